"""Create Auth Challenge: send a one-time code, or carry the one already sent.

The user's sends are held to the throttle in the state table. Any error (the table unavailable
included) is logged without secrets and raised as a generic one: no challenge, no tokens.
"""

from typing import Any

from custom_auth.code_key import CodeKey
from custom_auth.delivery import delivery_for
from custom_auth.events import CreateAuthChallengeEvent
from custom_auth.observability import guarded, logger, metrics
from custom_auth.pacing import Pacer
from custom_auth.settings import CodeSettings, DeliverySettings, LimitSettings
from custom_auth.state_store import DynamoDBStateStore
from custom_auth.triggers import Limits, create_auth_challenge

CODES = CodeSettings.from_env()
DELIVERY = delivery_for(DeliverySettings.from_env())
KEY = CodeKey(CODES.code_key_secret_id)
_LIMITS = LimitSettings.from_env(code_ttl_seconds=CODES.code_ttl_seconds)
LIMITS = Limits(_LIMITS, DynamoDBStateStore(_LIMITS.state_table_name), Pacer())


@metrics.log_metrics
@logger.inject_lambda_context(log_event=False, clear_state=True)
@guarded("CreateAuthChallenge")
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    parsed = CreateAuthChallengeEvent.from_dict(event)
    return create_auth_challenge(
        parsed, codes=CODES, delivery=DELIVERY, key=KEY, limits=LIMITS
    ).to_dict()
