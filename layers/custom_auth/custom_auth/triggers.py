"""The three custom-authentication triggers, as the functions their handlers call.

Each takes a parsed event and its collaborators (the enabled methods, the limits), logs and
counts what it did, and returns the event with ``response`` filled. The handlers in
``functions/`` only parse, call one of these, and return ``to_dict()``.

What a round is, the same for every method (:mod:`custom_auth.methods`):

- With one method enabled, the first round is that method's. With several, it is a choice
  (``SIGN_IN_METHOD=SELECT``): the public parameters list the methods this user can use
  (``SIGN_IN_METHODS``, a JSON list), nothing is sent, and the client answers with the name
  of one (the ``ANSWER``, or ``ClientMetadata.signInMethod``). Verify records the choice under
  the sign-in's random id, and the next Create reads it: Create cannot rely on seeing the
  client's metadata (``shared/COGNITO_CONTRACT.md``).
- Once in a sign-in, a client may answer a method's round by naming another method instead:
  a switch (the code did not arrive: try SMS). It is recorded the same way, does not count
  towards the lockout, and the next round is the new method's first.
- A choice or switch that names no method, one not enabled, or one this user was not offered,
  is a failed round like a wrong answer, counted towards the lockout and logged by name (only
  a name custom-auth knows is logged).
"""

import json
import secrets
import time
from collections.abc import Callable
from typing import Any

from custom_auth import sign_up
from custom_auth._evolve import evolve
from custom_auth.challenge_names import ChallengeName

# Define's function lives in custom_auth.define (its handler imports only that); it is
# re-exported here so that all three triggers can be imported from one place.
from custom_auth.define import define_auth_challenge, failed_define
from custom_auth.errors import InvalidEventError
from custom_auth.events import (
    ChallengeResult,
    CreateAuthChallengeEvent,
    VerifyAuthChallengeResponseEvent,
)
from custom_auth.limits import AnswerOutcome, after_answer, after_sign_up
from custom_auth.methods import (
    METHOD_METADATA_KEY,
    REGISTRY,
    SELECT,
    SIGN_IN_METHOD,
    SIGN_IN_METHODS,
    choice_value,
    read_choice_value,
    starts_with_choice,
)
from custom_auth.methods.base import Judgement, Limits, Methods, SignInMethod
from custom_auth.observability import Metric, count, logger, state_unavailable, with_response
from custom_auth.rounds import Round, parse_round, private_parameters
from custom_auth.sign_up import SIGNED_UP, Address, SignUpError
from custom_auth.state_store import (
    StateUnavailableError,
    choice_key,
    state_key,
    update,
)
from custom_auth.verdict import Verdict

__all__ = [
    "Limits",
    "Methods",
    "UnexpectedChallengeError",
    "create_auth_challenge",
    "define_auth_challenge",
    "failed_define",
    "verify_auth_challenge_response",
    "wrong_answer",
]

Clock = Callable[[], float]
#: How long a recorded choice is kept: longer than the longest auth session (15 minutes).
CHOICE_TTL_SECONDS = 1_200


def _now(clock: Clock | None) -> int:
    # time.time is looked up at each call, so a local runner can pin the clock.
    return int((clock or time.time)())


class UnexpectedChallengeError(InvalidEventError):
    """Create was asked for a challenge custom-auth does not create."""


class UnknownRoundError(InvalidEventError):
    """A round's metadata is not Create's, or names a method this deployment lacks."""


# --- Create ---------------------------------------------------------------------------------


def create_auth_challenge(
    event: CreateAuthChallengeEvent,
    *,
    methods: Methods,
    limits: Limits,
    clock: Clock | None = None,
) -> CreateAuthChallengeEvent:
    """The next round: a choice, a method's first round (which may send), or a later one."""
    if event.challenge_name != ChallengeName.CUSTOM_CHALLENGE:
        raise UnexpectedChallengeError(
            "request.challengeName: custom-auth creates CUSTOM_CHALLENGE only, "
            f"not {event.challenge_name}"
        )
    earlier = _rounds(event.session)
    index = len(earlier)
    now = _now(clock)
    offered = methods.offered(event.user_attributes, user_not_found=event.user_not_found)
    several = starts_with_choice(methods.names, sign_up=limits.sign_up is not None)
    switched_before = any(described.switched for _, described in earlier)
    switched = False
    address: Address | None = None
    if not earlier:
        sign_in = secrets.token_urlsafe(16)
        if several:
            return _select(event, sign_in, index, offered)
        method = methods.enabled[0]
        challenge = method.start(event, limits, now)
    else:
        entry, last = earlier[-1]
        sign_in = last.sign_in
        if last.method == SELECT:
            if not several:
                raise UnknownRoundError("challengeMetadata: a choice, with one method enabled")
            if entry.challenge_result is not True:
                return _select(event, sign_in, index, offered)  # the choice was refused
            method, option, address = _chosen(event, limits, methods, sign_in, index - 1, now)
            challenge = method.start(event, limits, now, option, address)
        elif last.method == SIGNED_UP:
            raise UnknownRoundError("challengeMetadata: a round after the sign-up's last")
        elif entry.challenge_result is True:
            raise UnknownRoundError("challengeMetadata: a round after a right answer")
        else:
            method = _method(methods, last.method)
            target = None
            # A wrong answer, a switch, or (sign-up) the code that made the account, which
            # Verify answered False: only the record tells.
            recorded = not switched_before or limits.sign_up is not None
            if several and entry.challenge_result is False and recorded:
                target = _recorded(event, limits, sign_in, index - 1, now)
            if target == SIGNED_UP:
                return _signed_up(event, sign_in, index)
            if target is not None and not switched_before:
                name, option, recorded_address = read_choice_value(target)
                method, switched = _method(methods, name), True
                address = _address(limits, method, recorded_address)
                challenge = method.start(event, limits, now, option, address)
            else:
                address = _carried_address(event, limits, method, earlier, now)
                challenge = method.carry(last.body)
    logger.info(
        "challenge created",
        extra={"round": index + 1, "method": method.name, "switched": switched, **challenge.log},
    )
    count(Metric.CHALLENGES_CREATED)
    may_switch = several and not switched and not switched_before
    public = {**challenge.public, SIGN_IN_METHOD: method.name}
    if several:
        public[SIGN_IN_METHODS] = _json_list(offered)
    private = {
        **challenge.private,
        **private_parameters(method.name, sign_in, index, offered, may_switch=may_switch),
    }
    if address is not None and event.user_not_found:
        private[sign_up.PRIVATE_KEY] = address.value  # for Verify: whose account to make
    return event.respond(
        public_challenge_parameters=public,
        private_challenge_parameters=private,
        challenge_metadata=Round(method.name, switched, sign_in, challenge.body).to_metadata(),
    )


def _rounds(session: tuple[ChallengeResult, ...]) -> list[tuple[ChallengeResult, Round]]:
    rounds = []
    for entry in session:
        if entry.challenge_name != ChallengeName.CUSTOM_CHALLENGE:
            continue
        described = parse_round(entry.challenge_metadata)
        if described is None:
            raise UnknownRoundError("challengeMetadata: not a round custom-auth created")
        rounds.append((entry, described))
    return rounds


def _method(methods: Methods, name: str) -> SignInMethod:
    method = methods.named(name)
    if method is None:
        raise UnknownRoundError(
            f"challengeMetadata: a round of a method not enabled ({_loggable(name)})"
        )
    return method


def _recorded(
    event: CreateAuthChallengeEvent, limits: Limits, sign_in: str, index: int, now: int
) -> str | None:
    try:
        return limits.store.read_choice(choice_key(event.user_pool_id, sign_in, index), now)
    except StateUnavailableError as error:
        state_unavailable("the choice of method cannot be read", error)
        raise


def _chosen(
    event: CreateAuthChallengeEvent,
    limits: Limits,
    methods: Methods,
    sign_in: str,
    index: int,
    now: int,
) -> tuple[SignInMethod, str, Address | None]:
    chosen = _recorded(event, limits, sign_in, index, now)
    if chosen is None:
        # Verify answers True for a choice only once it is recorded: it has expired, or the
        # table lost it. Fail closed: no challenge.
        raise UnknownRoundError("the method chosen in the round before is not recorded")
    name, option, recorded_address = read_choice_value(chosen)
    method = _method(methods, name)
    return method, option, _address(limits, method, recorded_address)


def _address(limits: Limits, method: SignInMethod, recorded: str | None) -> Address | None:
    """``recorded`` as an address that may sign up by ``method``: one the method can send to,
    of the pool's username kind, on the domain list; None otherwise, or with sign-up off. The
    one rule for what the client sends, what Verify records and what Create reads back."""
    if recorded is None or limits.sign_up is None:
        return None
    address = method.sign_up_address(recorded)
    return address if address is not None and limits.sign_up.settings.allows(address) else None


def _carried_address(
    event: CreateAuthChallengeEvent,
    limits: Limits,
    method: SignInMethod,
    earlier: list[tuple[ChallengeResult, Round]],
    now: int,
) -> Address | None:
    """A later round of an unknown user's method: the address its first round went to, from the
    record of the choice (or switch) that started the method. With sign-up on the record is
    read for everyone, so that a known user's later round takes as long as a new address's."""
    if limits.sign_up is None:
        return None
    origin = None
    for position, (entry, described) in enumerate(earlier):
        if described.method == SELECT and entry.challenge_result is True:
            origin = position
        elif described.switched:
            origin = position - 1
    if origin is None:
        return None
    recorded = _recorded(event, limits, earlier[origin][1].sign_in, origin, now)
    if not event.user_not_found or recorded is None:
        return None
    return _address(limits, method, read_choice_value(recorded)[2])


def _signed_up(
    event: CreateAuthChallengeEvent, sign_in: str, index: int
) -> CreateAuthChallengeEvent:
    """The round after a sign-up's right code (which Verify answered False, and recorded as
    SIGNED_UP): the account exists; nothing answers this round (Cognito issues no tokens in a
    sign-in that began for nobody), and the client signs in again."""
    logger.info("sign-up done: the client signs in again", extra={"round": index + 1})
    count(Metric.CHALLENGES_CREATED)
    return event.respond(
        public_challenge_parameters={SIGN_IN_METHOD: SIGNED_UP},
        private_challenge_parameters=private_parameters(
            SIGNED_UP, sign_in, index, (), may_switch=False
        ),
        challenge_metadata=Round(SIGNED_UP, False, sign_in, "").to_metadata(),
    )


def _select(
    event: CreateAuthChallengeEvent, sign_in: str, index: int, offered: tuple[str, ...]
) -> CreateAuthChallengeEvent:
    logger.info("choice of method presented", extra={"round": index + 1, "offered": offered})
    count(Metric.CHALLENGES_CREATED)
    public = {SIGN_IN_METHOD: SELECT, SIGN_IN_METHODS: _json_list(offered)}
    private = private_parameters(SELECT, sign_in, index, offered, may_switch=False)
    return event.respond(
        public_challenge_parameters=public,
        private_challenge_parameters=private,
        challenge_metadata=Round(SELECT, False, sign_in, "").to_metadata(),
    )


def _json_list(names: tuple[str, ...]) -> str:
    return json.dumps(list(names), separators=(",", ":"))


# --- Verify ---------------------------------------------------------------------------------


def verify_auth_challenge_response(
    event: VerifyAuthChallengeResponseEvent,
    *,
    methods: Methods,
    limits: Limits,
    clock: Clock | None = None,
) -> VerifyAuthChallengeResponseEvent:
    """Judge the answer. A choice is right once recorded; a switch is recorded and not right;
    a method's answer is the method's to judge, and the limits' to accept: only while the
    user is not locked out (or with a secret too strong to guess). Every answer but an
    accepted one counts towards the lockout; if the state cannot be read or written, no
    answer is right."""
    now = _now(clock)
    started = limits.pacer.start()
    private = event.private_challenge_parameters
    name = private.get("signInMethod")
    offered = tuple(filter(None, private.get("offered", "").split(",")))
    requested = _requested(event, choosing=name == SELECT)

    if name == SIGNED_UP:
        # Nothing answers the round after a sign-up: the client signs in again.
        logger.info("answer to the sign-up's last round: the client must sign in again")
        limits.pacer.imitate(started)
        count(Metric.ANSWERS_WRONG)
        return event.respond(answer_correct=False)

    if name == SELECT:
        chosen = methods.named(requested) if requested in offered else None
        option = chosen.option(event.client_metadata) if chosen is not None else None
        if (
            chosen is not None
            and option is not None
            and _record(event, limits, chosen, option, now)
        ):
            count(Metric.METHODS_CHOSEN)
            logger.info("method chosen", extra={"method": requested})
            return event.respond(answer_correct=True)
        return _refused_choice(event, limits, requested, now, started, "choice")

    method = methods.named(name)
    if method is None:
        logger.error("cannot check the answer", extra={"error": "not a round Create made"})
        return _judged(event, limits, Judgement(Verdict.MALFORMED), now, started, method=None)
    if requested is not None and requested != method.name:
        allowed = private.get("maySwitch") == "1" and requested in offered
        target = methods.named(requested) if allowed else None
        option = target.option(event.client_metadata) if target is not None else None
        if (
            target is not None
            and option is not None
            and _record(event, limits, target, option, now)
        ):
            count(Metric.METHODS_SWITCHED)
            logger.info("method switch asked", extra={"from": method.name, "to": requested})
            return event.respond(answer_correct=False)
        return _refused_choice(event, limits, requested, now, started, "switch")
    address = _sign_up_round(event, limits, method)
    # A sign-up's code is hashed under its address (sign_up.hash_name), not the made-up name.
    judged = evolve(event, user_name=sign_up.hash_name(address)) if address else event
    return _judged(event, limits, method.judge(judged, now), now, started, method=method)


def _requested(event: VerifyAuthChallengeResponseEvent, *, choosing: bool) -> str | None:
    """The method the client names, if it names one: ``ClientMetadata.signInMethod``, or an
    answer that is a method's name (no code is one); in a choice, whatever was answered. When
    both name a method they must agree."""
    named = event.client_metadata.get(METHOD_METADATA_KEY)
    answer = event.challenge_answer.strip()
    answered = answer if answer in REGISTRY else None
    if named is not None and answered is not None and named != answered:
        return _CONFLICTING
    if named is not None:
        return named
    return answer if choosing else answered


# Two different names: refused like a name no method has.
_CONFLICTING = "\0two different names"


def _loggable(name: str | None) -> str:
    # Names come from the client: only one custom-auth knows is logged (an answer could be a
    # code typed in the wrong place).
    if name is None:
        return "none"
    if name == _CONFLICTING:
        return "two different names"
    return name if name in REGISTRY or name == SELECT else "not a method name"


def _record(
    event: VerifyAuthChallengeResponseEvent,
    limits: Limits,
    method: SignInMethod,
    option: str,
    now: int,
) -> bool:
    address = _sign_up_address(event, limits, method)
    value = choice_value(method.name, option, address.value if address else None)
    return _record_round(event, limits, value, now, "the choice is refused")


def _record_round(
    event: VerifyAuthChallengeResponseEvent, limits: Limits, value: str, now: int, failed: str
) -> bool:
    """Record ``value`` beside this round (Create reads it in the next); whether it is the
    value recorded. ``failed``: what follows if the table fails."""
    private = event.private_challenge_parameters
    sign_in, index = private.get("signIn", ""), private.get("round", "")
    if not sign_in or not (index.isascii() and index.isdigit()):
        return False  # not what Create wrote: refused, like a bad choice
    try:
        return limits.store.record_choice(
            choice_key(event.user_pool_id, sign_in, int(index)),
            value,
            now + CHOICE_TTL_SECONDS,
        )
    except StateUnavailableError as error:
        state_unavailable(failed, error)
        return False


def _sign_up_address(
    event: VerifyAuthChallengeResponseEvent, limits: Limits, method: SignInMethod
) -> Address | None:
    """The address an unknown user signs up with: what the client sent as
    ``ClientMetadata.signUpAddress``, if sign-up is on, the method can send to it and its
    domain may sign up. A known user's is ignored. Whatever it is, the answer looks the same:
    without an address, the method's round sends nothing, as for any unknown user."""
    if not event.user_not_found or limits.sign_up is None:
        return None
    raw = event.client_metadata.get(sign_up.ADDRESS_METADATA_KEY)
    address = _address(limits, method, raw)
    if address is None:
        logger.info("no sign-up: " + ("no address" if raw is None else "an address refused"))
    return address


def _refused_choice(
    event: VerifyAuthChallengeResponseEvent,
    limits: Limits,
    requested: str | None,
    now: int,
    started: float,
    what: str,
) -> VerifyAuthChallengeResponseEvent:
    logger.warning(f"{what} of method refused", extra={"method": _loggable(requested)})
    count(Metric.CHOICES_REFUSED)
    return _judged(event, limits, Judgement(Verdict.WRONG), now, started, method=None)


def _judged(
    event: VerifyAuthChallengeResponseEvent,
    limits: Limits,
    judgement: Judgement,
    now: int,
    started: float,
    *,
    method: SignInMethod | None,
) -> VerifyAuthChallengeResponseEvent:
    """Apply the limits to a judged answer: the lockout, single use, the pacer."""
    unguessable = judgement.unguessable or (method is not None and not method.limits.guessable)
    outcome: AnswerOutcome | None = None
    address = _sign_up_round(event, limits, method)
    if event.user_not_found and address is None:
        limits.pacer.imitate(started)  # no state for unknown users; as slow as a known one
    else:
        if address is not None:
            key = sign_up.sign_up_key(event.user_pool_id, address)
        else:
            key = state_key(event.user_pool_id, event.user_name)
        try:
            outcome = update(
                limits.store,
                key,
                now,
                lambda state: after_answer(
                    state,
                    right=judgement.verdict is Verdict.RIGHT,
                    code_hash=judgement.secret_id,
                    code_expires_at=judgement.expires_at,
                    now=now,
                    limits=limits.settings,
                    unguessable=unguessable,
                    current_on=judgement.current_on,
                ),
                code_ttl_seconds=limits.settings.code_ttl_seconds,
            )
        except StateUnavailableError as error:
            state_unavailable("the answer is refused", error)
        # A failed path (timeouts, retries) must not teach the pacer how long a sign-in takes.
        if outcome is AnswerOutcome.REFUSED_LOCKED:
            limits.pacer.imitate(started)
        elif outcome is not None:
            limits.pacer.full(started)

    right = outcome is not None and outcome.signs_in
    if right and address is not None and method is not None:
        # A sign-up's right code makes the account, and is answered False all the same: no
        # session that began for nobody ever holds a right answer, whatever Cognito makes of
        # the user in its later calls. The round after it, SIGNED_UP, comes from the record.
        made = _make_account(event, limits, method, address, now)
        right = False
        if made and _record_signed_up(event, limits, now):
            count(Metric.ANSWERS_RIGHT)
            logger.info("answer checked", extra={"method": method.name, "signed_up": True})
            return event.respond(answer_correct=False)
    count(Metric.ANSWERS_RIGHT if right else Metric.ANSWERS_WRONG)
    if outcome in _OUTCOME_METRICS:
        count(_OUTCOME_METRICS[outcome])
    logger.info(
        "answer checked",
        extra={
            "method": method.name if method is not None else None,
            "verdict": judgement.verdict.value,
            "outcome": outcome.value if outcome else None,
            "answer_correct": right,
        },
    )
    return event.respond(answer_correct=right)


def _sign_up_round(
    event: VerifyAuthChallengeResponseEvent, limits: Limits, method: SignInMethod | None
) -> Address | None:
    """The address of a sign-up round (Create put it in the private parameters); None for
    any other round."""
    if not event.user_not_found or method is None:
        return None
    return _address(limits, method, event.private_challenge_parameters.get(sign_up.PRIVATE_KEY))


def _record_signed_up(event: VerifyAuthChallengeResponseEvent, limits: Limits, now: int) -> bool:
    """Record, beside this round, that its code made the account: the next Create presents
    SIGNED_UP. Whether it was recorded (if not, the account stands, and an ordinary sign-in
    gets into it with the same code)."""
    recorded = _record_round(
        event, limits, SIGNED_UP, now, "the sign-up's last round is not recorded"
    )
    if not recorded:
        logger.warning("the sign-up's last round is not recorded")
    return recorded


def _make_account(
    event: VerifyAuthChallengeResponseEvent,
    limits: Limits,
    method: SignInMethod,
    address: Address,
    now: int,
) -> bool:
    """The right code of a sign-up: make the account, once, within the pool's hourly cap, and
    bind the code to it for its first sign-in. Whether the account was made."""
    if limits.sign_up is None:  # _sign_up_round found none: no account without sign-up on
        return False
    settings, pool = limits.sign_up.settings, event.user_pool_id
    try:
        if not limits.store.claim(
            sign_up.claim_key(pool, address), now, now + sign_up.CLAIM_SECONDS
        ):
            logger.warning("sign-up refused: another sign-up of the address is under way")
            count(Metric.SIGN_UPS_REFUSED)
            return False
        if not limits.store.count_send(
            sign_up.sign_ups_key(pool, now),
            settings.max_per_hour,
            expires_at=(now // 3600 + 2) * 3600,
        ):
            logger.error(
                "the pool's hourly cap on sign-ups is reached: no account is made",
                extra={"cap": settings.max_per_hour},
            )
            count(Metric.SIGN_UP_CAP_REACHED)
            return False
    except StateUnavailableError as error:
        state_unavailable("no account is made", error)
        return False
    try:
        user_name = limits.sign_up.accounts.create(pool, address, settings.attributes)
    except SignUpError as error:
        logger.error("sign-up failed: no account is made", extra={"error": str(error)})
        count(Metric.SIGN_UPS_FAILED)
        return False
    if user_name is None:
        # Made since this sign-in began (by an administrator, or another sign-up): never
        # signed into by proving the address here.
        logger.warning("sign-up refused: the address has an account already")
        count(Metric.SIGN_UPS_REFUSED)
        return False
    record = method.rebind(event, user_name, address)
    ttl = limits.settings.code_ttl_seconds
    if record is not None:
        try:
            update(
                limits.store,
                state_key(pool, user_name),
                now,
                lambda state: (after_sign_up(state, record, now, ttl), None),
                code_ttl_seconds=ttl,
            )
        except StateUnavailableError as error:
            # The account stands; its first sign-in sends a new code.
            state_unavailable("the new account's first sign-in sends a new code", error)
    count(Metric.ACCOUNTS_SIGNED_UP)
    logger.info("account signed up", extra={"method": method.name})
    return True


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
