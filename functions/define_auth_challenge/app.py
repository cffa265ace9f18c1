"""Define Auth Challenge: decide the next step of a sign-in from the session so far.

Fails closed: an event it cannot read, or any error, fails the sign-in. Imports no boto3.
"""

from typing import Any

from custom_auth import cold_start  # noqa: F401 - first: Powertools in, then gc.freeze()
from custom_auth.define import define_auth_challenge, failed_define
from custom_auth.define_event import DefineAuthChallengeEvent
from custom_auth.flow_settings import FlowSettings
from custom_auth.observability import guarded, logger, metrics

POLICY = FlowSettings.from_env()


@metrics.log_metrics
@logger.inject_lambda_context(log_event=False, clear_state=True)
@guarded("DefineAuthChallenge", fallback=failed_define)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    parsed = DefineAuthChallengeEvent.from_dict(event)
    return define_auth_challenge(parsed, POLICY).to_dict()
