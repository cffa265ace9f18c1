"""Verify Auth Challenge Response: is the answer the code that was sent, in time?

An answer or event it cannot read is simply not correct; never an exception.
"""

from typing import Any

from custom_auth.code_key import CodeKey
from custom_auth.errors import InvalidEventError
from custom_auth.events import VerifyAuthChallengeResponseEvent
from custom_auth.observability import guarded, logger, metrics
from custom_auth.settings import CodeSettings
from custom_auth.triggers import verify_auth_challenge_response, wrong_answer

CODES = CodeSettings.from_env()
KEY = CodeKey(CODES.code_key_secret_id)


@metrics.log_metrics
@logger.inject_lambda_context(log_event=False, clear_state=True)
@guarded("VerifyAuthChallengeResponse", fallback=wrong_answer, fallback_on=(InvalidEventError,))
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    parsed = VerifyAuthChallengeResponseEvent.from_dict(event)
    return verify_auth_challenge_response(parsed, codes=CODES, key=KEY).to_dict()
