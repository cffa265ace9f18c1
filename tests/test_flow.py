"""custom_auth.flow: Define's decision, checked exhaustively and case by case."""

import itertools
import sys
import threading
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import pytest

from custom_auth.events import ChallengeResult
from custom_auth.flow import SRP_A, Decision, Outcome, decide
from custom_auth.model import ChallengeName
from custom_auth.settings import AuthFlow, FlowSettings

CUSTOM, VERIFIER = "CUSTOM_CHALLENGE", "PASSWORD_VERIFIER"
NAMES = (CUSTOM, SRP_A, VERIFIER, "SMS_MFA", "SOME_UNKNOWN_NAME")
RESULTS: tuple[Any, ...] = (True, False, None, "true")
# ChallengeResult is typed bool, but Define must refuse whatever a bug or a forged event could
# put there; built directly, the dataclass holds the raw value as given.
SYMBOLS = tuple(ChallengeResult(name, result) for name in NAMES for result in RESULTS)
MAX_LENGTH = 6

Step = tuple[str, Any]


def specification(
    flow: AuthFlow, max_attempts: int
) -> dict[tuple[Step, ...], tuple[Outcome, str | None]]:
    """Written out: the only sessions that go on or end in tokens. Every other one fails."""
    password: list[Step] = (
        [(SRP_A, True), (VERIFIER, True)] if flow is AuthFlow.PASSWORD_OTP else []
    )
    spec: dict[tuple[Step, ...], tuple[Outcome, str | None]] = {}
    if flow is AuthFlow.PASSWORD_OTP:
        spec[((SRP_A, True),)] = (Outcome.PRESENT_CHALLENGE, VERIFIER)
    for wrong in range(max_attempts):
        tries: list[Step] = [(CUSTOM, False)] * wrong
        spec[(*password, *tries)] = (Outcome.PRESENT_CHALLENGE, CUSTOM)
        spec[(*password, *tries, (CUSTOM, True))] = (Outcome.ISSUE_TOKENS, None)
    return spec


def stop_tracing() -> None:
    """A forked worker inherits the coverage tracer, which cannot report from it anyway and
    would make 67 million calls many times slower."""
    sys.settrace(None)
    threading.settrace(None)


def sessions_not_failed(job: tuple[AuthFlow, int]) -> tuple[int, dict[Any, Any]]:
    """Run decide on every session of up to MAX_LENGTH entries whose first entry is
    SYMBOLS[first] (-1: the empty session); return how many, and the ones not failed."""
    flow, first = job
    policy = FlowSettings(auth_flow=flow, max_attempts=3)
    fail = Outcome.FAIL_AUTHENTICATION
    if first < 0:
        sessions: Iterable[tuple[ChallengeResult, ...]] = [()]
    else:
        # product() builds each whole session in C, its first entry fixed.
        sessions = itertools.chain.from_iterable(
            itertools.product((SYMBOLS[first],), *[SYMBOLS] * n) for n in range(MAX_LENGTH)
        )
    checked, not_failed = 0, {}
    for candidate in sessions:
        checked += 1
        decision = decide(candidate, policy)
        if decision.outcome is not fail:
            steps = tuple((e.challenge_name, e.challenge_result) for e in candidate)
            not_failed[steps] = (decision.outcome, decision.challenge_name)
    return checked, not_failed


@pytest.mark.parametrize("flow", list(AuthFlow))
def test_every_session_up_to_length_six(flow: AuthFlow) -> None:
    """20 symbols (5 names x 4 results), lengths 0 to 6: 67,368,421 sessions per policy.

    Tokens are issued, or the sign-in goes on, for exactly the sessions the specification
    lists, with the challenge it lists; every other session fails authentication.
    """
    jobs = [(flow, first) for first in range(-1, len(SYMBOLS))]
    with ProcessPoolExecutor(max_workers=2, initializer=stop_tracing) as pool:
        results = list(pool.map(sessions_not_failed, jobs))
    checked = sum(count for count, _ in results)
    not_failed = {steps: got for _, found in results for steps, got in found.items()}
    assert checked == sum(len(SYMBOLS) ** n for n in range(MAX_LENGTH + 1))
    assert not_failed == specification(flow, max_attempts=3)


# --- case by case ---------------------------------------------------------------------------

OTP = FlowSettings()
PASSWORD = FlowSettings(auth_flow=AuthFlow.PASSWORD_OTP)


def session(*steps: Step, metadata: str | None = None) -> tuple[ChallengeResult, ...]:
    return tuple(ChallengeResult(ChallengeName.parse(n), r, metadata) for n, r in steps)


def test_a_new_sign_in_asks_for_a_code() -> None:
    assert decide((), OTP) == Decision(
        Outcome.PRESENT_CHALLENGE, ChallengeName.CUSTOM_CHALLENGE, "first code round", 0, 0
    )


def test_a_right_answer_issues_tokens_and_counts_the_rounds() -> None:
    decision = decide(session((CUSTOM, False), (CUSTOM, True)), OTP)
    assert decision.outcome is Outcome.ISSUE_TOKENS
    assert (decision.rounds, decision.wrong_answers) == (2, 1)


@pytest.mark.parametrize("max_attempts", range(1, 11))
def test_max_attempts_wrong_answers_fail_the_sign_in(max_attempts: int) -> None:
    policy = FlowSettings(max_attempts=max_attempts)
    wrong = [(CUSTOM, False)] * max_attempts
    assert decide(session(*wrong[:-1]), policy).outcome is Outcome.PRESENT_CHALLENGE
    failed = decide(session(*wrong), policy)
    assert failed.outcome is Outcome.FAIL_AUTHENTICATION
    assert failed.reason == "too many wrong answers"
    # A right answer after the last allowed wrong one is too late.
    late = decide(session(*wrong, (CUSTOM, True)), policy)
    assert late.outcome is Outcome.FAIL_AUTHENTICATION


def test_an_unknown_user_runs_the_same_rounds_and_never_gets_tokens() -> None:
    for steps in ([], [(CUSTOM, False)], [(CUSTOM, False), (CUSTOM, False)]):
        known = decide(session(*steps), OTP)
        unknown = decide(session(*steps), OTP, user_not_found=True)
        assert unknown == known
    assert decide(
        session(
            (CUSTOM, False),
        )
        * 3,
        OTP,
        user_not_found=True,
    ).outcome is (Outcome.FAIL_AUTHENTICATION)
    # Even if a forged session claimed a right answer.
    assert decide(session((CUSTOM, True)), OTP, user_not_found=True).reason == "unknown user"


def test_password_first_then_a_code() -> None:
    assert decide((), PASSWORD).reason == "password+otp: the sign-in must start with SRP_A"
    asked = decide(session((SRP_A, True)), PASSWORD)
    assert (asked.outcome, asked.challenge_name) == (
        Outcome.PRESENT_CHALLENGE,
        ChallengeName.PASSWORD_VERIFIER,
    )
    assert decide(session((SRP_A, True), (VERIFIER, False)), PASSWORD).reason == "wrong password"
    code = decide(session((SRP_A, True), (VERIFIER, True)), PASSWORD)
    assert code.challenge_name is ChallengeName.CUSTOM_CHALLENGE
    assert code.rounds == 0
    done = decide(session((SRP_A, True), (VERIFIER, True), (CUSTOM, True)), PASSWORD)
    assert done.outcome is Outcome.ISSUE_TOKENS


def test_the_otp_policy_refuses_password_steps() -> None:
    assert decide(session((SRP_A, True)), OTP).outcome is Outcome.FAIL_AUTHENTICATION


@pytest.mark.parametrize(
    ("steps", "reason"),
    [
        ([(CUSTOM, True)], "unexpected session: an entry the policy does not expect"),
        ([(SRP_A, False)], "unexpected session: a password step that did not pass"),
        ([(SRP_A, True), (CUSTOM, True)], "unexpected session: an entry the policy does not"),
        ([(SRP_A, True), (VERIFIER, None)], "unexpected session: a password step that did not"),
        (
            [(SRP_A, True), (VERIFIER, True), (CUSTOM, True), (CUSTOM, True)],
            "unexpected session: a round after a right",
        ),
    ],
)
def test_each_refusal_under_password_otp_says_why(steps: list[Step], reason: str) -> None:
    decision = decide(session(*steps), PASSWORD)
    assert decision.outcome is Outcome.FAIL_AUTHENTICATION
    assert decision.reason.startswith(reason)


def test_decisions_are_immutable() -> None:
    decision = decide((), OTP)
    with pytest.raises(AttributeError):
        decision.outcome = Outcome.ISSUE_TOKENS  # type: ignore[misc]
