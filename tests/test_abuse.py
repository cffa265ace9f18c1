"""Abuse resistance through the decision and the trigger functions: brute force, races.

The brute force runs every six-digit code against one user, through ``decide`` and the Create
and Verify trigger functions with an in-memory state store and an injected clock, and checks
each answer against an oracle of its own (the codes actually delivered). The races run 50
threads against one user, through moto's DynamoDB (made atomic as DynamoDB is) and in memory.
"""

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any

import boto3
import pytest

from custom_auth._mapping import FrozenStrMap
from custom_auth.events import (
    ChallengeResult,
    CreateAuthChallengeEvent,
    VerifyAuthChallengeResponseEvent,
)
from custom_auth.flow import Outcome, decide
from custom_auth.model import ChallengeName
from custom_auth.otp import hash_code
from custom_auth.settings import Channel, CodeSettings, FlowSettings, LimitSettings
from custom_auth.state_store import DynamoDBStateStore, InMemoryStateStore
from custom_auth.triggers import Limits, create_auth_challenge, verify_auth_challenge_response
from tests.triggers import (
    CODE_KEY,
    STATE_TABLE,
    FixedKey,
    RecordingDelivery,
    code_methods,
    coverage_paused,
    create_event,
    custom,
    memory_limits,
    verify_event,
)

KEY = CODE_KEY.encode()
CODES = CodeSettings("fixed", 6, 300)
FLOW = FlowSettings()  # three answers per sign-in
T0 = 1_800_000_000


CREATE = CreateAuthChallengeEvent.from_dict(create_event([]))
VERIFY = VerifyAuthChallengeResponseEvent.from_dict(verify_event({}, ""))


class Attacker:
    """Drives sign-ins for the sample user the way Cognito would, one answer at a time.

    With ``sms`` too, the deployment has both code methods: each sign-in starts with a choice,
    and the attacker alternates between them."""

    def __init__(
        self,
        limits: Limits,
        delivery: RecordingDelivery,
        clock: Callable[[], float],
        sms: RecordingDelivery | None = None,
    ):
        self.limits, self.delivery, self.clock, self.sms = limits, delivery, clock, sms
        more = (sms,) if sms is not None else ()
        self.methods = code_methods(CODES, delivery, FixedKey(), *more)
        self.sign_ins = 0
        #: The session entries before the method's rounds (the choice, if any).
        self.opening: list[ChallengeResult] = []

    def start(self) -> tuple[dict[str, str], str | None]:
        """A new sign-in: Create's private parameters, and the code they stand for (if any
        code that was actually delivered)."""
        self.sign_ins += 1
        event, self.opening = CREATE, []
        if self.sms is not None:
            chosen = ("EMAIL_OTP", "SMS_OTP")[self.sign_ins % 2]
            choice = self._create(CREATE)
            assert choice.response is not None
            assert self.answer(dict(choice.response.private_challenge_parameters), chosen)
            entry = ChallengeResult(
                ChallengeName.CUSTOM_CHALLENGE, True, choice.response.challenge_metadata
            )
            self.opening = [entry]
            event = replace(CREATE, session=(entry,))
        created = self._create(event)
        assert created.response is not None
        private = dict(created.response.private_challenge_parameters)
        return private, self.code_behind(private)

    def _create(self, event: CreateAuthChallengeEvent) -> CreateAuthChallengeEvent:
        return create_auth_challenge(
            event, methods=self.methods, limits=self.limits, clock=self.clock
        )

    def code_behind(self, private: dict[str, str]) -> str | None:
        # The oracle: which delivered code (if any) the sign-in's hash is the hash of.
        issued = int(private["issuedAt"])
        sent = self.delivery.sent[-6:] + (self.sms.sent[-6:] if self.sms is not None else [])
        for code in reversed(sent):
            expected = hash_code(
                KEY, code, user_pool_id=CREATE.user_pool_id, user_name=CREATE.user_name,
                issued_at=issued,
            )  # fmt: skip
            if expected == private["codeHash"]:
                return code
        return None

    def answer(self, private: dict[str, str], guess: str) -> bool:
        event = replace(
            VERIFY, private_challenge_parameters=FrozenStrMap(private), challenge_answer=guess
        )
        verified = verify_auth_challenge_response(
            event, methods=self.methods, limits=self.limits, clock=self.clock
        )
        assert verified.response is not None
        return verified.response.answer_correct


@pytest.mark.long  # two minutes: `make long`
def test_every_six_digit_code_against_one_user(quiet: None) -> None:
    with coverage_paused():
        brute_force(1_000_000)


@pytest.mark.parametrize(
    "guesses", [5_000, pytest.param(50_000, marks=pytest.mark.long)], ids=["5000", "50000"]
)
def test_one_guess_budget_across_both_code_methods(quiet: None, guesses: int) -> None:
    """With EMAIL_OTP and SMS_OTP enabled, an attacker who alternates between them gets no
    more guesses than with one: the lockout counts every wrong answer, whichever the method
    (a budget per method would let half as many lockouts through). 5,000 guesses in the
    default run, 50,000 in `make long`."""
    with coverage_paused():
        brute_force(guesses, both_methods=True)


def brute_force(count: int, *, both_methods: bool = False) -> None:
    settings = LimitSettings(STATE_TABLE)  # 10 failures, 900 s doubling, 60 s, 5 an hour
    store = InMemoryStateStore()
    limits = memory_limits(store)
    delivery = RecordingDelivery()
    sms = RecordingDelivery(Channel.SMS, "phone_number") if both_methods else None
    now = [float(T0)]
    attacker = Attacker(limits, delivery, lambda: now[0], sms)
    flow = FlowSettings(methods=("EMAIL_OTP", "SMS_OTP")) if both_methods else FLOW
    key = f"{CREATE.user_pool_id}#{CREATE.user_name}"

    guesses = (f"{number:06d}" for number in range(count))
    tried = wrong_accepted = right_accepted = lockouts = right_refused_while_locked = 0
    consecutive = 0  # wrong answers since the last lockout, by our own count
    sends_while_locked = 0  # ordinary codes sent while locked out
    exhausted = False
    while not exhausted:
        assert decide([], flow).outcome is Outcome.PRESENT_CHALLENGE
        locked = store.load(key, int(now[0])).is_locked(int(now[0]))
        before = len(delivery.sent), len(sms.sent) if sms else 0
        private, code = attacker.start()
        session: list[ChallengeResult] = list(attacker.opening)
        # While locked, only a lockout code may go out (the way out for the user).
        sends_while_locked += locked and any(
            not lockout
            for lockout in delivery.lockout[before[0] :] + (sms.lockout[before[1] :] if sms else [])
        )
        while True:
            if consecutive == settings.lockout_after_failures and code is not None:
                # Just locked out: the right code of a live sign-in must be refused.
                assert attacker.answer(private, code) is False
                right_refused_while_locked += 1
                session.append(custom(False, private["signInMethod"]))
            else:
                guess = next(guesses, None)
                if guess is None:
                    exhausted = True
                    break
                tried += 1
                accepted = attacker.answer(private, guess)
                if accepted and guess != code:
                    wrong_accepted += 1
                if accepted:
                    right_accepted += 1  # a right answer forgives no wrong one
                elif consecutive < settings.lockout_after_failures:
                    consecutive += 1
                    lockouts += consecutive == settings.lockout_after_failures
                session.append(custom(accepted, private["signInMethod"]))
            now[0] += 7  # a human-speed attacker: one guess every seven seconds
            decision = decide(session, flow)
            if decision.outcome is not Outcome.PRESENT_CHALLENGE:
                assert (decision.outcome is Outcome.ISSUE_TOKENS) == session[-1].challenge_result
                break
        state = store.load(key, int(now[0]))
        if consecutive == settings.lockout_after_failures:
            # The store agrees the user is locked; wait the lockout out, as an attacker would.
            assert state.is_locked(int(now[0])), f"not locked after {consecutive} wrong answers"
            now[0] = state.locked_until
            consecutive = 0

    assert tried == count
    assert wrong_accepted == 0
    assert lockouts >= count // (settings.lockout_after_failures + 1) - 1
    assert right_refused_while_locked >= lockouts * 0.9
    assert sends_while_locked == 0
    # At most 5 messages an hour per channel, over the whole (simulated) attack.
    hours = (now[0] - T0) / 3600
    assert len(delivery.sent) <= settings.max_sends_per_hour * (hours + 1)
    if sms is not None:
        assert len(sms.sent) <= settings.max_sends_per_hour * (hours + 1)
        assert sms.sent and delivery.sent  # both methods were used
    assert right_accepted <= 5  # a one-in-a-million guess may land; a wrong one never does


# --- races ---------------------------------------------------------------------------------------


@pytest.fixture(params=["dynamodb", "memory"])
def limits(request: pytest.FixtureRequest, aws: None) -> Limits:
    if request.param == "memory":
        return memory_limits()
    store = DynamoDBStateStore(STATE_TABLE, client=boto3.client("dynamodb"))
    return memory_limits(store)


def in_parallel(count: int, work: Callable[[], Any]) -> list[Any]:
    barrier = threading.Barrier(count)

    def run() -> Any:
        barrier.wait()
        return work()

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(lambda _: run(), range(count)))


def test_fifty_parallel_sign_ins_send_one_message(limits: Limits) -> None:
    delivery = RecordingDelivery()
    attacker = Attacker(limits, delivery, lambda: T0)
    started = in_parallel(50, attacker.start)
    assert len(delivery.sent) == 1
    # Every sign-in carries the one code sent (a sign-in that reused it may have been answered
    # before the sender's message left, so ask once all are done).
    assert {attacker.code_behind(private) for private, _ in started} == {delivery.sent[0]}


def test_fifty_threads_with_the_same_valid_code_sign_in_exactly_once(limits: Limits) -> None:
    delivery = RecordingDelivery()
    attacker = Attacker(limits, delivery, lambda: T0 + 1)
    sign_ins = [attacker.start() for _ in range(50)]
    [code] = delivery.sent
    assert all(behind == code for _, behind in sign_ins)
    answers = iter(sign_ins)
    lock = threading.Lock()

    def answer() -> bool:
        with lock:
            private, _ = next(answers)
        return attacker.answer(private, code)

    results = in_parallel(50, answer)
    assert results.count(True) == 1


def test_parallel_sign_ins_across_the_hour_stay_within_the_cap(limits: Limits) -> None:
    delivery = RecordingDelivery()
    now = [float(T0)]
    attacker = Attacker(limits, delivery, lambda: now[0])
    for minute in range(60):
        now[0] = T0 + minute * 61
        in_parallel(10, attacker.start)
    assert len(delivery.sent) == limits.settings.max_sends_per_hour


def test_a_retried_create_sends_no_second_message_and_carries_the_same_code(
    limits: Limits,
) -> None:
    # Cognito retries a Create that timed out or failed with the very same event.
    delivery = RecordingDelivery()
    attacker = Attacker(limits, delivery, lambda: T0)
    first, code = attacker.start()
    retried, same = attacker.start()
    assert len(delivery.sent) == 1
    assert same == code
    # The same code record; only the sign-in's random id differs (Cognito keeps one response).
    assert {**retried, "signIn": ""} == {**first, "signIn": ""}
    assert retried["signIn"] != first["signIn"]
