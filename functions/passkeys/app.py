"""The passkey API: register, list, rename and delete a signed-in user's passkeys, and hand a
usernameless sign-in its challenge (:mod:`custom_auth.passkey_api`).

Behind an API Gateway HTTP API whose JWT authorizer accepts the pool's tokens for its app
client; every answer is JSON, every refusal a status with ``{"error", "message"}``.
"""

import os
from typing import Any

from custom_auth import (
    cold_start,  # noqa: F401 - first: Powertools in, then gc.freeze()
    passkey_api,
)
from custom_auth.observability import guarded, logger

API = passkey_api.from_env(os.environ)


@logger.inject_lambda_context(log_event=False, clear_state=True)
@guarded("PasskeyApi")
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return API.handle(event)
