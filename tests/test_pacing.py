"""custom_auth.pacing, and the triggers' use of it: the shorter paths wait out the full one."""

import pytest

from custom_auth.events import CreateAuthChallengeEvent, VerifyAuthChallengeResponseEvent
from custom_auth.limits import UserState
from custom_auth.pacing import INITIAL_SECONDS, Pacer
from custom_auth.settings import CodeSettings, LimitSettings
from custom_auth.state_store import InMemoryStateStore
from custom_auth.triggers import Limits, create_auth_challenge, verify_auth_challenge_response
from tests.triggers import STATE_TABLE, FixedKey, RecordingDelivery, create_event, verify_event

T0 = 1_800_000_000


class FakeTime:
    """A perf_counter that moves only when told to (or when the pacer sleeps)."""

    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(round(seconds, 6))
        self.now += seconds


def pacer(time: FakeTime, initial: float = INITIAL_SECONDS, window: int = 31) -> Pacer:
    return Pacer(initial, window=window, sleep=time.sleep, clock=time.clock)


def test_before_any_full_run_the_target_is_the_initial_guess() -> None:
    time = FakeTime()
    paced = pacer(time)
    started = paced.start()
    time.now += 0.03
    paced.imitate(started)
    assert time.slept == [round(INITIAL_SECONDS - 0.03, 6)]


def test_the_target_is_the_median_of_recent_full_runs() -> None:
    time = FakeTime()
    paced = pacer(time, initial=1.0, window=5)
    for seconds in (0.010, 0.012, 0.011, 0.500):  # one slow outlier
        started = paced.start()
        time.now += seconds
        paced.full(started)
    assert paced.target() == pytest.approx(0.012)  # 1.0, .010, .012, .011, .500
    started = paced.start()
    time.now += 0.010
    paced.full(started)  # the window now drops the initial guess
    assert paced.target() == pytest.approx(0.011)


def test_a_path_that_already_took_longer_does_not_wait() -> None:
    time = FakeTime()
    paced = pacer(time, initial=0.05)
    started = paced.start()
    time.now += 0.2
    paced.imitate(started)
    assert time.slept == []


CODES = CodeSettings("fixed", 6, 300)


def limits_with(paced: Pacer) -> Limits:
    return Limits(LimitSettings(STATE_TABLE), InMemoryStateStore(), paced)


def create(limits: Limits, delivery: RecordingDelivery, **request: object) -> None:
    event = CreateAuthChallengeEvent.from_dict(create_event([], **request))
    create_auth_challenge(
        event, codes=CODES, delivery=delivery, key=FixedKey(), limits=limits, clock=lambda: T0
    )


def test_create_waits_for_unknown_users_reused_codes_and_lockouts_not_for_a_send() -> None:
    time = FakeTime()
    limits = limits_with(pacer(time, initial=0.08))
    delivery = RecordingDelivery()
    create(limits, delivery)  # a send: the full path, measured (it took no fake time)
    assert (len(delivery.sent), time.slept) == (1, [])
    create(limits, delivery, userNotFound=True, userAttributes={})
    create(limits, delivery)  # inside the cooldown: the code is reused
    assert len(delivery.sent) == 1
    assert time.slept == [0.08, 0.08]  # median of (0.08 initial, 0.0 measured) is 0.08


def test_verify_waits_for_unknown_users() -> None:
    time = FakeTime()
    limits = limits_with(pacer(time, initial=0.01))
    raw = verify_event({"codeHash": "x", "issuedAt": str(T0)}, "123456", userNotFound=True)
    verify_auth_challenge_response(
        VerifyAuthChallengeResponseEvent.from_dict(raw),
        codes=CODES,
        key=FixedKey(),
        limits=limits,
        clock=lambda: T0,
    )
    assert time.slept == [0.01]


def test_a_verify_that_lost_the_state_does_not_teach_the_pacer() -> None:
    from custom_auth.state_store import StateUnavailableError

    class Down(InMemoryStateStore):
        def load(self, key: str, now: int) -> UserState:
            time.now += 2.0  # a timeout and a retry
            raise StateUnavailableError("DynamoDB GetItem failed (ReadTimeoutError)")

    time = FakeTime()
    paced = pacer(time, initial=0.01)
    limits = Limits(LimitSettings(STATE_TABLE), Down(), paced)
    raw = verify_event({"codeHash": "x", "issuedAt": str(T0)}, "123456")
    verified = verify_auth_challenge_response(
        VerifyAuthChallengeResponseEvent.from_dict(raw),
        codes=CODES,
        key=FixedKey(),
        limits=limits,
        clock=lambda: T0,
    )
    assert verified.response is not None and verified.response.answer_correct is False
    assert paced.target() == 0.01  # the 2-second failure was not learnt as a full run
