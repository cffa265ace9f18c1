"""Define Auth Challenge, as the function its handler calls: decide, log, count, answer.

In a module of its own so that the Define handler imports only what deciding needs (no code
hashing, no delivery, no state store) and its cold start stays short.
"""

from typing import Any

from custom_auth.define_event import DefineAuthChallengeEvent
from custom_auth.flow import Outcome, decide
from custom_auth.flow_settings import FlowSettings
from custom_auth.observability import Metric, count, logger, with_response


def define_auth_challenge(
    event: DefineAuthChallengeEvent, policy: FlowSettings
) -> DefineAuthChallengeEvent:
    """Decide the next step of the sign-in (see :func:`custom_auth.flow.decide`)."""
    decision = decide(event.session, policy, user_not_found=event.user_not_found)
    logger.info(
        "define decision",
        extra={
            "outcome": decision.outcome.value,
            "reason": decision.reason,
            "rounds": decision.rounds,
            "wrong_answers": decision.wrong_answers,
            "method": decision.method,
            "auth_flow": policy.auth_flow.value,
            "user_not_found": event.user_not_found,
        },
    )
    if decision.outcome is Outcome.ISSUE_TOKENS:
        count(Metric.SIGN_INS_SUCCEEDED)
        return event.issue_tokens()
    if decision.outcome is Outcome.FAIL_AUTHENTICATION or decision.challenge_name is None:
        count(Metric.SIGN_INS_FAILED)
        return event.fail_authentication()
    count(Metric.CHALLENGES_PRESENTED)
    return event.present_challenge(decision.challenge_name)


def failed_define(event: Any) -> dict[str, Any]:
    """Define's answer to an event it cannot read: fail the sign-in."""
    count(Metric.SIGN_INS_FAILED)
    return with_response(
        event, {"challengeName": None, "issueTokens": False, "failAuthentication": True}
    )
