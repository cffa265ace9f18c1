"""The three custom-authentication triggers, as the functions their handlers call.

Each takes a parsed event and its collaborators (settings, the code key, the delivery), logs
and counts what it did, and returns the event with ``response`` filled. The handlers in
``functions/`` only parse, call one of these, and return ``to_dict()``.
"""

import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from custom_auth._evolve import evolve
from custom_auth.challenge_names import ChallengeName
from custom_auth.code_key import CodeKey, KeyVersion

# Define's function lives in custom_auth.define (its handler imports only that); it is
# re-exported here so that all three triggers can be imported from one place.
from custom_auth.define import define_auth_challenge, failed_define
from custom_auth.delivery import Delivery, DeliveryError
from custom_auth.errors import InvalidEventError
from custom_auth.events import (
    CreateAuthChallengeEvent,
    VerifyAuthChallengeResponseEvent,
)
from custom_auth.limits import (
    HOUR,
    AnswerOutcome,
    SendPlan,
    UserState,
    after_answer,
    after_send,
    plan_send,
)
from custom_auth.observability import Metric, count, logger, with_response
from custom_auth.otp import (
    CLOCK_SKEW_SECONDS,
    LOCKOUT_CODE_BITS,
    CodeRecord,
    CodeSpec,
    InvalidCodeRecordError,
    Verdict,
    check_answer,
    display_code,
    generate_code,
    hash_code,
    read_private_parameters,
)
from custom_auth.pacing import Pacer
from custom_auth.settings import Channel, CodeSettings, LimitSettings
from custom_auth.state_store import (
    StateConflictError,
    StateStore,
    StateUnavailableError,
    pool_sends_key,
    state_key,
    update,
)

__all__ = [
    "Limits",
    "UnexpectedChallengeError",
    "create_auth_challenge",
    "define_auth_challenge",
    "failed_define",
    "verify_auth_challenge_response",
    "wrong_answer",
]

Clock = Callable[[], float]


def _now(clock: Clock | None) -> int:
    # time.time is looked up at each call, so a local runner can pin the clock.
    return int((clock or time.time)())


class UnexpectedChallengeError(InvalidEventError):
    """Create was asked for a challenge custom-auth does not create."""


# --- Create ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Limits:
    """What holds a user to the limits across sign-ins: the rules, their store, the pacer."""

    settings: LimitSettings
    store: StateStore
    pacer: Pacer


def create_auth_challenge(
    event: CreateAuthChallengeEvent,
    *,
    codes: CodeSettings,
    delivery: Delivery,
    key: CodeKey,
    limits: Limits,
    clock: Clock | None = None,
) -> CreateAuthChallengeEvent:
    """On a sign-in's first code round, send a code if the limits allow (else reuse the one
    already sent, or withhold); on later rounds carry the same code.

    Whatever happened, the response has the same shape; an unknown user, or one whose
    destination may not get a message (none, unverified, a country not allowed), gets
    nothing sent and a code that cannot match.
    """
    if event.challenge_name != ChallengeName.CUSTOM_CHALLENGE:
        raise UnexpectedChallengeError(
            "request.challengeName: custom-auth creates CUSTOM_CHALLENGE only, "
            f"not {event.challenge_name}"
        )
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
        record = _first_round(event, codes, delivery, key.current(), limits, _now(clock))
    count(Metric.CHALLENGES_CREATED)
    return event.respond(
        public_challenge_parameters=record.public_parameters(),
        private_challenge_parameters=record.private_parameters(),
        challenge_metadata=record.to_metadata(),
    )


def _unmatchable(
    channel: Channel, destination: str, issued_at: int, spec: CodeSpec, key: KeyVersion
) -> CodeRecord:
    # No code went out, so no answer may ever match: a random value, not a code's hash. The
    # record has every field a real one has.
    return CodeRecord(
        code_hash=secrets.token_urlsafe(32),
        issued_at=issued_at,
        channel=channel,
        destination=destination,
        spec=spec,
        key_version=key.version_id,
    )


def _first_round(
    event: CreateAuthChallengeEvent,
    codes: CodeSettings,
    delivery: Delivery,
    key: KeyVersion,
    limits: Limits,
    now: int,
) -> CodeRecord:
    started = limits.pacer.start()
    channel = delivery.channel
    spec = CodeSpec(codes.code_format, codes.otp_length)
    refusal = "unknown user" if event.user_not_found else delivery.refusal(event.user_attributes)
    if refusal is not None:
        if not event.user_not_found:
            logger.error(
                "cannot send a code: " + refusal,
                extra={"attribute": delivery.attribute, "channel": channel.value},
            )
            no_destination = not event.user_attributes.get(delivery.attribute)
            count(Metric.DELIVERIES_IMPOSSIBLE if no_destination else Metric.DELIVERIES_REFUSED)
        record = _unmatchable(channel, "", now, spec, key)
        limits.pacer.imitate(started)
        _log_created("withhold", refusal, record)
        return record

    destination = event.user_attributes[delivery.attribute]
    masked = delivery.mask(destination)
    user = state_key(event.user_pool_id, event.user_name)
    # The code to send, if any, and its record: never logged, and the code is never stored.
    outbound: list[tuple[str, CodeRecord]] = []

    def change(state: UserState) -> tuple[UserState | None, tuple[SendPlan, str, UserState]]:
        plan, why = plan_send(
            state,
            now,
            limits.settings,
            code_ttl_seconds=codes.code_ttl_seconds,
            channel=channel,
        )
        if plan is not SendPlan.SEND:
            return None, (plan, why, state)
        made = spec.lockout() if state.is_locked(now) else spec
        code = generate_code(made)
        code_hash = hash_code(
            key.secret,
            code,
            user_pool_id=event.user_pool_id,
            user_name=event.user_name,
            issued_at=now,
        )
        sent = CodeRecord(
            code_hash=code_hash,
            issued_at=now,
            channel=channel,
            destination=masked,
            spec=made,
            key_version=key.version_id,
        )
        outbound[:] = [(code, sent)]
        return after_send(state, sent, now), (plan, why, state)

    try:
        plan, why, before = update(
            limits.store, user, now, change, code_ttl_seconds=codes.code_ttl_seconds
        )
    except StateUnavailableError as error:
        _state_unavailable("no code is sent", error)
        raise
    if plan is SendPlan.SEND:
        try:
            allowed = _pool_allows_a_send(event, limits, now)
        except StateUnavailableError as error:
            # The send is recorded but will not happen: take it back, so the next sign-in
            # does not reuse a code nobody received.
            _forget_send(limits.store, user, before, codes.code_ttl_seconds)
            _state_unavailable("no code is sent", error)
            raise
        if not allowed:
            _forget_send(limits.store, user, before, codes.code_ttl_seconds)
            plan, why = SendPlan.WITHHOLD, "the pool's hourly cap is reached"

    chosen: CodeRecord | None
    if plan is SendPlan.SEND:
        code, chosen = outbound[0]
        lockout = chosen.spec != spec
        try:
            delivery.send(
                destination, display_code(code, chosen.spec), codes.code_ttl_seconds,
                lockout=lockout,
            )  # fmt: skip
        except DeliveryError:
            _forget_send(limits.store, user, before, codes.code_ttl_seconds)
            raise
        limits.pacer.full(started)
        count(Metric.CODES_SENT)
        if lockout:
            count(Metric.LOCKOUT_CODES_SENT)
    else:
        limits.pacer.imitate(started)
        count(Metric.CODES_REUSED if plan is SendPlan.REUSE else Metric.CODES_WITHHELD)
        chosen = before.code if plan is SendPlan.REUSE else None
    record = chosen if chosen is not None else _unmatchable(channel, masked, now, spec, key)
    _log_created(plan.value, why, record)
    return record


def _pool_allows_a_send(event: CreateAuthChallengeEvent, limits: Limits, now: int) -> bool:
    """Count one message against the pool's hourly cap, if it is not reached."""
    allowed = limits.store.count_send(
        pool_sends_key(event.user_pool_id, now),
        limits.settings.pool_max_sends_per_hour,
        expires_at=(now // HOUR + 2) * HOUR,
    )
    if not allowed:
        logger.error(
            "the pool's hourly cap on messages is reached: no code is sent",
            extra={"cap": limits.settings.pool_max_sends_per_hour},
        )
        count(Metric.POOL_SEND_CAP_REACHED)
    return allowed


def _log_created(plan: str, why: str, record: CodeRecord) -> None:
    logger.info(
        "code challenge created",
        extra={
            "round": 1,
            "plan": plan,
            "why": why,
            "channel": record.channel.value,
            "destination": record.destination,
        },
    )


def _forget_send(store: StateStore, user: str, before: UserState, code_ttl_seconds: int) -> None:
    """The message was not sent: put back the state from before it, so a retry can send."""
    restored = evolve(before, version=before.version + 1)
    try:
        store.save(user, restored, restored.expires_at(code_ttl_seconds))
    except (StateConflictError, StateUnavailableError) as error:
        logger.warning(
            "a send that failed stays counted: the next one waits for the cooldown",
            extra={"error": str(error)},
        )


def _state_unavailable(consequence: str, error: StateUnavailableError) -> None:
    logger.error(
        f"the user's sign-in state is unavailable: {consequence}", extra={"error": str(error)}
    )
    count(Metric.STATE_UNAVAILABLE)


# --- Verify ---------------------------------------------------------------------------------


def verify_auth_challenge_response(
    event: VerifyAuthChallengeResponseEvent,
    *,
    codes: CodeSettings,
    key: CodeKey,
    limits: Limits,
    clock: Clock | None = None,
) -> VerifyAuthChallengeResponseEvent:
    """Judge the answer: right only for the unexpired, unused code, compared in constant time,
    and only while the user is not locked out (or with a lockout code). Every answer but the
    accepted one counts towards the lockout; if the state cannot be read or written, no
    answer is right."""
    now = _now(clock)
    started = limits.pacer.start()
    code_hash: str | None = None
    issued_at = 0
    spec = CodeSpec(codes.code_format, codes.otp_length)
    try:
        private = read_private_parameters(event.private_challenge_parameters)
        code_hash, issued_at = private.code_hash, private.issued_at
        spec = private.spec or spec
        verdict = check_answer(
            event.challenge_answer,
            code_hash=code_hash,
            issued_at=issued_at,
            key=key.for_code(private.key_version, issued_at),
            spec=spec,
            ttl_seconds=codes.code_ttl_seconds,
            now=now,
            user_pool_id=event.user_pool_id,
            user_name=event.user_name,
        )
    except InvalidCodeRecordError as error:
        logger.error("cannot check the answer", extra={"error": str(error)})
        verdict = Verdict.MALFORMED

    outcome: AnswerOutcome | None = None
    if event.user_not_found:
        limits.pacer.imitate(started)  # no state for unknown users; as slow as a known one
    else:
        try:
            outcome = update(
                limits.store,
                state_key(event.user_pool_id, event.user_name),
                now,
                lambda state: after_answer(
                    state,
                    right=verdict is Verdict.RIGHT,
                    code_hash=code_hash,
                    code_expires_at=issued_at + codes.code_ttl_seconds + CLOCK_SKEW_SECONDS,
                    now=now,
                    limits=limits.settings,
                    lockout_code=spec.bits >= LOCKOUT_CODE_BITS,
                ),
                code_ttl_seconds=codes.code_ttl_seconds,
            )
        except StateUnavailableError as error:
            _state_unavailable("the answer is refused", error)
        # A failed path (timeouts, retries) must not teach the pacer how long a sign-in takes.
        if outcome is AnswerOutcome.REFUSED_LOCKED:
            limits.pacer.imitate(started)
        elif outcome is not None:
            limits.pacer.full(started)

    right = outcome is not None and outcome.signs_in
    count(Metric.ANSWERS_RIGHT if right else Metric.ANSWERS_WRONG)
    if outcome in _OUTCOME_METRICS:
        count(_OUTCOME_METRICS[outcome])
    logger.info(
        "answer checked",
        extra={
            "verdict": verdict.value,
            "outcome": outcome.value if outcome else None,
            "answer_correct": right,
        },
    )
    return event.respond(answer_correct=right)


_OUTCOME_METRICS = {
    AnswerOutcome.LOCKED_NOW: Metric.LOCKOUTS,
    AnswerOutcome.REFUSED_LOCKED: Metric.ANSWERS_REFUSED_LOCKED_OUT,
    AnswerOutcome.REPLAYED: Metric.CODES_REPLAYED,
    AnswerOutcome.ACCEPTED_WHILE_LOCKED: Metric.LOCKOUT_CODES_USED,
}


def wrong_answer(event: Any) -> dict[str, Any]:
    """Verify's answer to an event it cannot read: the answer is not correct."""
    count(Metric.ANSWERS_WRONG)
    return with_response(event, {"answerCorrect": False})
