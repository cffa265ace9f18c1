"""The three custom-authentication triggers, as the functions their handlers call.

Each takes a parsed event and its collaborators (settings, the code key, the delivery), logs
and counts what it did, and returns the event with ``response`` filled. The handlers in
``functions/`` only parse, call one of these, and return ``to_dict()``.
"""

import secrets
import time
from collections.abc import Callable
from typing import Any

from custom_auth.code_key import CodeKey
from custom_auth.delivery import Delivery
from custom_auth.errors import CustomAuthError
from custom_auth.events import (
    CreateAuthChallengeEvent,
    DefineAuthChallengeEvent,
    VerifyAuthChallengeResponseEvent,
)
from custom_auth.flow import Outcome, decide
from custom_auth.model import ChallengeName
from custom_auth.observability import Metric, count, logger, with_response
from custom_auth.otp import (
    CodeRecord,
    InvalidCodeRecordError,
    Verdict,
    check_answer,
    generate_code,
    hash_code,
    read_private_parameters,
)
from custom_auth.settings import CodeSettings, FlowSettings

Clock = Callable[[], float]


def _now(clock: Clock | None) -> int:
    # time.time is looked up at each call, so a local runner can pin the clock.
    return int((clock or time.time)())


class UnexpectedChallengeError(CustomAuthError):
    """Create was asked for a challenge custom-auth does not create."""


# --- Define ---------------------------------------------------------------------------------


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


# --- Create ---------------------------------------------------------------------------------


def create_auth_challenge(
    event: CreateAuthChallengeEvent,
    *,
    codes: CodeSettings,
    delivery: Delivery,
    key: CodeKey,
    clock: Clock | None = None,
) -> CreateAuthChallengeEvent:
    """Send a new code on a sign-in's first code round; carry the same one on later rounds.

    For an unknown user, or a user without the attribute the channel needs, nothing is sent,
    the answer can never match, and the response looks like any other.
    """
    if event.challenge_name != ChallengeName.CUSTOM_CHALLENGE:
        raise UnexpectedChallengeError(
            "request.challengeName: custom-auth creates CUSTOM_CHALLENGE only, "
            f"not {event.challenge_name}"
        )
    secret = key.get()
    earlier = [e for e in event.session if e.challenge_name == ChallengeName.CUSTOM_CHALLENGE]
    if earlier:
        record = CodeRecord.from_metadata(earlier[-1].challenge_metadata)
        logger.info(
            "code round: the code already sent stands",
            extra={
                "round": len(earlier) + 1,
                "channel": record.channel.value,
                "destination": record.destination,
            },
        )
    else:
        record = _new_code(event, codes, delivery, secret, _now(clock))
    count(Metric.CHALLENGES_CREATED)
    return event.respond(
        public_challenge_parameters=record.public_parameters(),
        private_challenge_parameters=record.private_parameters(),
        challenge_metadata=record.to_metadata(),
    )


def _new_code(
    event: CreateAuthChallengeEvent,
    codes: CodeSettings,
    delivery: Delivery,
    secret: bytes,
    issued_at: int,
) -> CodeRecord:
    code = generate_code(codes.otp_length)
    code_hash = hash_code(
        secret,
        code,
        user_pool_id=event.user_pool_id,
        user_name=event.user_name,
        issued_at=issued_at,
    )
    destination = None if event.user_not_found else event.user_attributes.get(delivery.attribute)
    if destination:
        delivery.send(destination, code, codes.code_ttl_seconds)
        count(Metric.CODES_SENT)
        masked = delivery.mask(destination)
    else:
        if not event.user_not_found:
            logger.error(
                "cannot send a code: the user has no such attribute",
                extra={"attribute": delivery.attribute, "channel": delivery.channel.value},
            )
            count(Metric.DELIVERIES_IMPOSSIBLE)
        # No code went out, so no answer may ever match: a random value, not a code's hash.
        code_hash = secrets.token_urlsafe(32)
        masked = delivery.plausible(event.user_name, secret)
    logger.info(
        "code challenge created",
        extra={"round": 1, "channel": delivery.channel.value, "destination": masked},
    )
    return CodeRecord(
        code_hash=code_hash, issued_at=issued_at, channel=delivery.channel, destination=masked
    )


# --- Verify ---------------------------------------------------------------------------------


def verify_auth_challenge_response(
    event: VerifyAuthChallengeResponseEvent,
    *,
    codes: CodeSettings,
    key: CodeKey,
    clock: Clock | None = None,
) -> VerifyAuthChallengeResponseEvent:
    """Judge the answer: right only for the unexpired code, compared in constant time."""
    secret = key.get()
    try:
        code_hash, issued_at = read_private_parameters(event.private_challenge_parameters)
        verdict = check_answer(
            event.challenge_answer,
            code_hash=code_hash,
            issued_at=issued_at,
            key=secret,
            length=codes.otp_length,
            ttl_seconds=codes.code_ttl_seconds,
            now=_now(clock),
            user_pool_id=event.user_pool_id,
            user_name=event.user_name,
        )
    except InvalidCodeRecordError as error:
        logger.error("cannot check the answer", extra={"error": str(error)})
        verdict = Verdict.MALFORMED
    right = verdict is Verdict.RIGHT and not event.user_not_found
    count(Metric.ANSWERS_RIGHT if right else Metric.ANSWERS_WRONG)
    logger.info("answer checked", extra={"verdict": verdict.value, "answer_correct": right})
    return event.respond(answer_correct=right)


def wrong_answer(event: Any) -> dict[str, Any]:
    """Verify's answer to an event it cannot read: the answer is not correct."""
    count(Metric.ANSWERS_WRONG)
    return with_response(event, {"answerCorrect": False})
