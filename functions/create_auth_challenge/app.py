"""Create Auth Challenge: the next round: a choice of method, or a method's challenge (which
may send a code, or carry the one already sent).

The user's sends are held to the throttle in the state table. Any error (the table unavailable
included) is logged without secrets and raised as a generic one: no challenge, no tokens.
"""

import os
from typing import Any

from custom_auth import (
    cold_start,  # noqa: F401 - first: Powertools in, then gc.freeze()
    methods,
    sign_up,
)
from custom_auth.events import CreateAuthChallengeEvent
from custom_auth.observability import guarded, logger, metrics
from custom_auth.pacing import Pacer
from custom_auth.settings import LimitSettings, sign_in_methods
from custom_auth.state_store import DynamoDBStateStore
from custom_auth.triggers import Limits, create_auth_challenge

# Only the enabled methods' modules are imported; each checks its own variables.
METHODS = methods.build(sign_in_methods(os.environ), os.environ)
_LIMITS = LimitSettings.from_env()
# Sign-up (SIGN_UP=true) starts every sign-in with a choice and makes proven addresses' accounts.
LIMITS = Limits(
    _LIMITS, DynamoDBStateStore(_LIMITS.state_table_name), Pacer(), sign_up.build(os.environ)
)


@metrics.log_metrics
@logger.inject_lambda_context(log_event=False, clear_state=True)
@guarded("CreateAuthChallenge")
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    parsed = CreateAuthChallengeEvent.from_dict(event)
    return create_auth_challenge(parsed, methods=METHODS, limits=LIMITS).to_dict()
