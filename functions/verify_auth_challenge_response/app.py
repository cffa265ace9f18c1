"""Verify Auth Challenge Response: is the answer right (the code that was sent, in time), or a
choice of method?

An answer or event it cannot read is simply not correct; never an exception. Neither is an
answer while the user is locked out, nor any answer when the state table is unavailable.
"""

import os
from typing import Any

from custom_auth import (
    cold_start,  # noqa: F401 - first: Powertools in, then gc.freeze()
    methods,
    sign_up,
)
from custom_auth.errors import InvalidEventError
from custom_auth.events import VerifyAuthChallengeResponseEvent
from custom_auth.observability import guarded, logger, metrics
from custom_auth.pacing import Pacer
from custom_auth.settings import LimitSettings, sign_in_methods
from custom_auth.state_store import DynamoDBStateStore
from custom_auth.triggers import Limits, verify_auth_challenge_response, wrong_answer

METHODS = methods.build(sign_in_methods(os.environ), os.environ)
_LIMITS = LimitSettings.from_env()
# Verify's full path is a read and a write; its pacer starts from a DynamoDB round trip.
# Sign-up (SIGN_UP=true) starts every sign-in with a choice and makes proven addresses' accounts.
LIMITS = Limits(
    _LIMITS, DynamoDBStateStore(_LIMITS.state_table_name), Pacer(0.01), sign_up.build(os.environ)
)


@metrics.log_metrics
@logger.inject_lambda_context(log_event=False, clear_state=True)
@guarded("VerifyAuthChallengeResponse", fallback=wrong_answer, fallback_on=(InvalidEventError,))
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    parsed = VerifyAuthChallengeResponseEvent.from_dict(event)
    return verify_auth_challenge_response(parsed, methods=METHODS, limits=LIMITS).to_dict()
