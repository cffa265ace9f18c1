"""custom_auth.limits: lockout, send throttle, single use, as pure rules over an injected clock."""

from dataclasses import replace

import pytest

from custom_auth.limits import (
    FAILURE_MEMORY_SECONDS,
    HOUR,
    AnswerOutcome,
    SendPlan,
    Sent,
    UserState,
    after_answer,
    after_send,
    plan_send,
)
from custom_auth.otp import CodeRecord, CodeSpec
from custom_auth.settings import Channel, CodeFormat, LimitSettings

T0 = 1_800_000_000
TTL = 300
LIMITS = LimitSettings("custom-auth-state")  # 10 failures, 900 s, 60 s cooldown, 5 an hour
LOCKOUT = CodeSpec(CodeFormat.ALPHANUMERIC, 12)


def plan(state: UserState, now: int, limits: LimitSettings = LIMITS) -> SendPlan:
    return plan_send(state, now, limits, code_ttl_seconds=TTL, channel=Channel.EMAIL)[0]


def sent(state: UserState, now: int, code_hash: str = "") -> UserState:
    code = CodeRecord(code_hash or f"hash-{now}", now, Channel.EMAIL, "a***@e***.com")
    return after_send(state, code, now)


def answer(
    state: UserState, now: int, *, right: bool, code_hash: str | None = None
) -> tuple[UserState, AnswerOutcome]:
    code = state.code_for("email")
    chosen = code_hash if code_hash is not None else (code.code_hash if code else "none")
    issued = code.issued_at if code else now
    changed, outcome = after_answer(
        state,
        right=right,
        code_hash=chosen,
        code_expires_at=issued + TTL + 30,
        now=now,
        limits=LIMITS,
    )
    return (changed if changed is not None else state), outcome


# --- send throttle -------------------------------------------------------------------------------


def test_a_new_user_gets_a_code() -> None:
    assert plan(UserState(), T0) is SendPlan.SEND


def test_inside_the_cooldown_the_code_already_sent_is_reused() -> None:
    state = sent(UserState(), T0)
    assert [plan(state, T0 + s) for s in (0, 1, 59)] == [SendPlan.REUSE] * 3
    assert plan(state, T0 + 60) is SendPlan.SEND


def test_the_cooldown_holds_for_a_clock_a_little_behind_the_senders() -> None:
    state = sent(UserState(), T0)
    assert plan(state, T0 - 2) is SendPlan.REUSE  # another container, 2 s behind


def test_at_most_max_sends_per_hour_then_the_last_code_stands_until_it_expires() -> None:
    state, now = UserState(), T0
    for _ in range(LIMITS.max_sends_per_hour):
        assert plan(state, now) is SendPlan.SEND
        state = sent(state, now)
        now += LIMITS.resend_cooldown_seconds
    assert plan(state, now) is SendPlan.REUSE  # the hourly cap: the live code stands
    last = now - LIMITS.resend_cooldown_seconds
    assert plan(state, last + TTL) is SendPlan.WITHHOLD  # it expired: nothing to send or reuse
    assert plan(state, T0 + HOUR - 1) is SendPlan.WITHHOLD
    assert plan(state, T0 + HOUR) is SendPlan.SEND  # the first send left the hour


def test_a_code_that_signed_in_ends_its_cooldown_but_counts_for_the_hour() -> None:
    state = sent(UserState(), T0)
    state, outcome = answer(state, T0 + 5, right=True)
    assert outcome is AnswerOutcome.ACCEPTED
    assert plan(state, T0 + 6) is SendPlan.SEND
    assert len(after_send(state, CodeRecord("h2", T0 + 6, Channel.EMAIL, "x"), T0 + 6).sends) == 2


def sms_plan(state: UserState, now: int) -> SendPlan:
    return plan_send(state, now, LIMITS, code_ttl_seconds=TTL, channel=Channel.SMS)[0]


def test_each_channel_has_its_own_cooldown_cap_and_code() -> None:
    """An email inside the cooldown does not hold back a text (the email did not arrive: try
    SMS), an email code is never reused for SMS, and each channel has its own hourly cap."""
    state = sent(UserState(), T0)
    assert sms_plan(state, T0 + 1) is SendPlan.SEND
    texted = after_send(state, CodeRecord("sms-1", T0 + 1, Channel.SMS, "+***0100"), T0 + 1)
    assert plan(texted, T0 + 2) is SendPlan.REUSE  # the email code still stands for email
    assert sms_plan(texted, T0 + 2) is SendPlan.REUSE
    sms_code, email_code = texted.code_for("sms"), texted.code_for("email")
    assert sms_code is not None and sms_code.code_hash == "sms-1"
    assert email_code is not None and email_code.code_hash == f"hash-{T0}"
    now = T0
    for _ in range(LIMITS.max_sends_per_hour - 1):
        now += LIMITS.resend_cooldown_seconds
        state = sent(state, now)
    assert len(state.sent_over("email", now)) == LIMITS.max_sends_per_hour
    assert plan(state, now + TTL) is SendPlan.WITHHOLD  # email's cap is reached
    assert sms_plan(state, now + TTL) is SendPlan.SEND  # SMS's is not


def test_sends_older_than_an_hour_are_dropped() -> None:
    state = sent(sent(UserState(), T0), T0 + 100)
    assert after_send(state, CodeRecord("h", T0 + HOUR, Channel.EMAIL, "x"), T0 + HOUR).sends == (
        Sent("email", T0 + 100),
        Sent("email", T0 + HOUR),
    )


# --- lockout -------------------------------------------------------------------------------------


def fail(state: UserState, times: int, now: int) -> tuple[UserState, list[AnswerOutcome]]:
    outcomes = []
    for _ in range(times):
        state, outcome = answer(state, now, right=False)
        outcomes.append(outcome)
    return state, outcomes


def test_the_tenth_wrong_answer_in_a_row_locks_the_user_out() -> None:
    state, outcomes = fail(sent(UserState(), T0), 10, T0 + 1)
    assert outcomes == [AnswerOutcome.WRONG] * 9 + [AnswerOutcome.LOCKED_NOW]
    assert state.is_locked(T0 + 1) and state.locked_until == T0 + 1 + 900


def locked_answer(
    state: UserState, now: int, *, right: bool, lockout_code: bool, code_hash: str = ""
) -> tuple[UserState | None, AnswerOutcome]:
    return after_answer(
        state,
        right=right,
        code_hash=code_hash or (code.code_hash if (code := state.code_for("email")) else None),
        code_expires_at=now + TTL,
        now=now,
        limits=LIMITS,
        unguessable=lockout_code,
    )


def lockout_code(now: int) -> CodeRecord:
    return CodeRecord(f"lockout-{now}", now, Channel.EMAIL, "a***@e***.com", LOCKOUT)


def test_while_locked_an_ordinary_right_code_is_refused_and_not_counted() -> None:
    state, _ = fail(sent(UserState(), T0), 10, T0 + 1)
    changed, outcome = locked_answer(state, T0 + 2, right=True, lockout_code=False)
    assert (changed, outcome) == (None, AnswerOutcome.REFUSED_LOCKED)


def test_while_locked_a_lockout_code_is_sent_even_inside_the_cooldown_then_reused() -> None:
    state, _ = fail(sent(UserState(), T0), 10, T0 + 1)
    # The ordinary code outstanding would be refused: a lockout code goes out at once.
    assert plan_send(state, T0 + 2, LIMITS, code_ttl_seconds=TTL, channel=Channel.EMAIL) == (
        SendPlan.SEND,
        "locked out: a lockout code",
    )
    state = after_send(state, lockout_code(T0 + 2), T0 + 2)
    assert plan(state, T0 + 3) is SendPlan.REUSE  # inside the cooldown: that lockout code
    assert plan(state, T0 + 62) is SendPlan.SEND


def test_while_locked_the_lockout_codes_right_answer_signs_in_and_the_lockout_stays() -> None:
    state, _ = fail(sent(UserState(), T0), 10, T0 + 1)
    state = after_send(state, lockout_code(T0 + 2), T0 + 2)
    wrong, refused = locked_answer(state, T0 + 3, right=False, lockout_code=True)
    assert (wrong, refused) == (None, AnswerOutcome.REFUSED_LOCKED)  # not counted either
    after, outcome = locked_answer(state, T0 + 4, right=True, lockout_code=True)
    assert outcome is AnswerOutcome.ACCEPTED_WHILE_LOCKED and outcome.signs_in
    assert after is not None
    # Nothing the attacker caused is forgiven: the same lockout, count and doubling.
    assert (after.locked_until, after.lockouts, after.failures) == (
        state.locked_until,
        state.lockouts,
        state.failures,
    )
    # And the lockout code is single use.
    assert locked_answer(after, T0 + 5, right=True, lockout_code=True)[1] is (
        AnswerOutcome.REFUSED_LOCKED
    )


def test_while_locked_the_hourly_cap_still_holds() -> None:
    state, _ = fail(sent(UserState(), T0), 10, T0 + 1)
    now = T0 + 2
    for _ in range(LIMITS.max_sends_per_hour - 1):
        assert plan(state, now) is SendPlan.SEND
        state = after_send(state, lockout_code(now), now)
        now += LIMITS.resend_cooldown_seconds
    assert plan(state, now) is SendPlan.REUSE  # the cap: the last lockout code stands
    assert plan(state, now + TTL) is SendPlan.WITHHOLD


def test_bound_codes_a_new_sign_in_inside_the_cooldown_gets_its_own_code() -> None:
    bound = replace(LIMITS, bind_code_to_sign_in=True)
    state = sent(UserState(), T0)
    assert plan(state, T0 + 1) is SendPlan.REUSE  # the default: the double click shares it
    assert plan_send(state, T0 + 1, bound, code_ttl_seconds=TTL, channel=Channel.EMAIL) == (
        SendPlan.SEND,
        "a code of its own for this sign-in",
    )
    for _ in range(LIMITS.max_sends_per_hour - 1):
        state = sent(state, T0 + 1)
    assert plan(state, T0 + 2, bound) is SendPlan.WITHHOLD  # the cap, and no reuse


def test_the_lockout_ends_and_a_right_answer_forgives_nothing() -> None:
    state, _ = fail(sent(UserState(), T0), 10, T0 + 1)
    end = state.locked_until
    assert state.is_locked(end - 1) and not state.is_locked(end)
    assert plan(state, end) is SendPlan.SEND
    state = sent(state, end)
    state, outcome = answer(state, end + 1, right=True)
    assert outcome is AnswerOutcome.ACCEPTED
    assert (state.failures, state.lockouts) == (0, 1)  # the doubling is remembered
    state, _ = fail(state, 10, end + 2)
    assert state.locked_until == end + 2 + 1800


def lockout_lengths(count: int) -> list[int]:
    """How long each of ``count`` lockouts in a row lasts, waiting each one out."""
    state, now, lengths = sent(UserState(), T0), T0, []
    for _ in range(count):
        state, _ = fail(state, 10, now)
        lengths.append(state.locked_until - now)
        now = state.locked_until
    return lengths


def test_repeat_lockouts_grow_up_to_a_day_and_stay_there() -> None:
    # Repeats are remembered for a day after a lockout ends, not only after the last answer,
    # so day-long lockouts do not reset the growth.
    assert lockout_lengths(11) == [
        900, 1800, 3600, 7200, 14400, 28800, 57600, 86400, 86400, 86400, 86400,
    ]  # fmt: skip


def test_neither_a_right_answer_nor_a_new_code_forgives_wrong_answers() -> None:
    # Forgiving them on a right answer gave an attacker a fresh budget each time the user
    # signed in (tests/test_attacks.py measured 232 checked guesses a week instead of 130).
    state, _ = fail(sent(UserState(), T0), 9, T0 + 1)
    state = sent(state, T0 + 61)  # a new sign-in, a new code
    assert state.failures == 9
    state, outcome = answer(state, T0 + 62, right=True)
    assert outcome is AnswerOutcome.ACCEPTED and state.failures == 9
    state, outcomes = fail(state, 1, T0 + 63)
    assert outcomes == [AnswerOutcome.LOCKED_NOW]


def test_wrong_answers_are_forgotten_a_day_after_the_last_one() -> None:
    state, _ = fail(sent(UserState(), T0), 9, T0)
    later = T0 + FAILURE_MEMORY_SECONDS
    assert state.current(later - 1).failures == 9
    assert state.current(later).failures == 0
    _, outcome = answer(state, later, right=False)
    assert outcome is AnswerOutcome.WRONG


# --- single use ----------------------------------------------------------------------------------


def test_a_code_that_signed_in_is_dead_and_replaying_it_counts_as_wrong() -> None:
    state = sent(UserState(), T0)
    state, first = answer(state, T0 + 1, right=True)
    state, again = answer(state, T0 + 2, right=True)
    assert (first, again) == (AnswerOutcome.ACCEPTED, AnswerOutcome.REPLAYED)
    assert state.failures == 1


def test_a_used_code_is_remembered_until_it_would_have_expired() -> None:
    state = sent(UserState(), T0)
    state, _ = answer(state, T0 + 1, right=True)
    [used] = state.used
    assert used.expires_at == T0 + TTL + 30
    assert state.current(used.expires_at - 1).used == (used,)
    assert state.current(used.expires_at).used == ()


# --- the item's expiry ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("state", "expires_at"),
    [
        (UserState(sends=(Sent("sms", T0),)), T0 + HOUR),
        (UserState(locked_until=T0 + 86_400, sends=(Sent("email", T0),)), T0 + 86_400),
        (UserState(failures=1, last_failure_at=T0), T0 + FAILURE_MEMORY_SECONDS),
        (UserState(codes=(CodeRecord("h", T0, Channel.EMAIL, "x"),)), T0 + TTL + 30),
    ],
)
def test_the_item_lives_as_long_as_anything_in_it_matters(
    state: UserState, expires_at: int
) -> None:
    assert state.expires_at(TTL) == expires_at


def test_no_hash_in_a_states_repr() -> None:
    state = replace(sent(UserState(), T0, code_hash="SECRET-HASH"), failures=2)
    state, _ = answer(state, T0 + 1, right=True)
    assert "SECRET-HASH" not in repr(state) and "failures=0" in repr(state)
