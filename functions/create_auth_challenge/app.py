"""Create Auth Challenge: send a one-time code, or carry the one already sent.

Any error is logged without secrets and raised as a generic one: no challenge, no tokens.
"""

from typing import Any

from custom_auth.code_key import CodeKey
from custom_auth.delivery import delivery_for
from custom_auth.events import CreateAuthChallengeEvent
from custom_auth.observability import guarded, logger, metrics
from custom_auth.settings import CodeSettings, DeliverySettings
from custom_auth.triggers import create_auth_challenge

CODES = CodeSettings.from_env()
DELIVERY = delivery_for(DeliverySettings.from_env())
KEY = CodeKey(CODES.code_key_secret_id)


@metrics.log_metrics
@logger.inject_lambda_context(log_event=False, clear_state=True)
@guarded("CreateAuthChallenge")
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    parsed = CreateAuthChallengeEvent.from_dict(event)
    return create_auth_challenge(parsed, codes=CODES, delivery=DELIVERY, key=KEY).to_dict()
