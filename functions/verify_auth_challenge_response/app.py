"""Verify Auth Challenge Response: is the answer the code that was sent, in time?

An answer or event it cannot read is simply not correct; never an exception. Neither is an
answer while the user is locked out, nor any answer when the state table is unavailable.
"""

from typing import Any

from custom_auth.code_key import CodeKey
from custom_auth.errors import InvalidEventError
from custom_auth.events import VerifyAuthChallengeResponseEvent
from custom_auth.observability import guarded, logger, metrics
from custom_auth.pacing import Pacer
from custom_auth.settings import CodeSettings, LimitSettings
from custom_auth.state_store import DynamoDBStateStore
from custom_auth.triggers import Limits, verify_auth_challenge_response, wrong_answer

CODES = CodeSettings.from_env()
KEY = CodeKey(CODES.code_key_secret_id)
_LIMITS = LimitSettings.from_env(code_ttl_seconds=CODES.code_ttl_seconds)
# Verify's full path is a read and a write; its pacer starts from a DynamoDB round trip.
LIMITS = Limits(_LIMITS, DynamoDBStateStore(_LIMITS.state_table_name), Pacer(0.01))


@metrics.log_metrics
@logger.inject_lambda_context(log_event=False, clear_state=True)
@guarded("VerifyAuthChallengeResponse", fallback=wrong_answer, fallback_on=(InvalidEventError,))
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    parsed = VerifyAuthChallengeResponseEvent.from_dict(event)
    return verify_auth_challenge_response(parsed, codes=CODES, key=KEY, limits=LIMITS).to_dict()
