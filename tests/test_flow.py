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
from custom_auth.methods import SELECT
from custom_auth.model import ChallengeName
from custom_auth.rounds import Round
from custom_auth.settings import AuthFlow, FlowSettings
from tests.triggers import coverage_paused

CUSTOM, VERIFIER = "CUSTOM_CHALLENGE", "PASSWORD_VERIFIER"
EMAIL, SMS = "EMAIL_OTP", "SMS_OTP"
MAX_LENGTH = 6
ONE = (EMAIL,)
BOTH = (EMAIL, SMS)
#: MAGIC_LINK alone: one method, chosen first (custom_auth.methods.CHOSEN_FIRST).
LINK_ONLY = ("MAGIC_LINK",)


def described(method: str, switched: bool = False) -> str:
    """A round's metadata as Create writes it."""
    return Round(method, switched, "sign-in-id", "otp1:{}").to_metadata()


# A symbol: (challenge name, result, the round's method, switched). The method is written into
# the metadata; "garbage" metadata is not Create's, and PASSKEY is a method no policy enables.
Symbol = tuple[str, Any, str | None, bool]
ALPHABET: tuple[Symbol, ...] = (
    (CUSTOM, True, SELECT, False),
    (CUSTOM, False, SELECT, False),
    (CUSTOM, True, EMAIL, False),
    (CUSTOM, False, EMAIL, False),
    (CUSTOM, "true", EMAIL, False),
    (CUSTOM, True, SMS, False),
    (CUSTOM, False, SMS, False),
    (CUSTOM, True, EMAIL, True),
    (CUSTOM, False, EMAIL, True),
    (CUSTOM, True, SMS, True),
    (CUSTOM, False, SMS, True),
    (CUSTOM, True, "garbage", False),
    (CUSTOM, True, "PASSKEY", False),
    (SRP_A, True, None, False),
    (VERIFIER, True, None, False),
    (VERIFIER, False, None, False),
)


def to_entry(symbol: Symbol) -> ChallengeResult:
    name, result, method, switched = symbol
    if method is None:
        metadata = None
    elif method == "garbage":
        metadata = "otp1:" + '{"h":"x"}'  # a code record, but not a round
    else:
        metadata = described(method, switched)
    # ChallengeResult is typed bool, but Define must refuse whatever a bug or a forged event
    # could put there; built directly, the dataclass holds the raw value as given.
    return ChallengeResult(ChallengeName.parse(name), result, metadata)


SYMBOLS = tuple(to_entry(symbol) for symbol in ALPHABET)


def alphabet_for(methods: tuple[str, ...]) -> tuple[Symbol, ...]:
    """The alphabet, with MAGIC_LINK's rounds where EMAIL_OTP's are for a policy of MAGIC_LINK
    alone (SMS_OTP then stands for a method the policy does not enable)."""
    if methods != LINK_ONLY:
        return ALPHABET
    return tuple(
        (name, result, LINK_ONLY[0] if method == EMAIL else method, switched)
        for name, result, method, switched in ALPHABET
    )


Expected = tuple[Outcome, str | None]


def specification(
    flow: AuthFlow,
    methods: tuple[str, ...],
    max_attempts: int,
    *,
    sign_up: bool = False,
    user_not_found: bool = False,
) -> dict[tuple[Symbol, ...], Expected]:
    """Written out: the only sessions that go on or end in tokens. Every other one fails.

    A sign-in is the password steps (password+otp), then, with several methods, choices until
    one is made (each refused choice a failed round), then the chosen method's rounds until a
    right answer; a failed round of a method may be followed, once, by the first round of
    another method marked switched (that failed round was the switch and stops counting).
    Define asks for a round only while fewer than max_attempts rounds have failed.

    With sign-up on, every sign-in starts with a choice, and no session holding a SIGNED_UP
    round goes on (the round after the code that made an unknown user's account, which Verify
    answers False): tokens come from the next sign-in.
    """
    spec: dict[tuple[Symbol, ...], Expected] = {}
    prefix: tuple[Symbol, ...] = ()
    if flow is AuthFlow.PASSWORD_OTP:
        spec[((SRP_A, True, None, False),)] = (Outcome.PRESENT_CHALLENGE, VERIFIER)
        prefix = ((SRP_A, True, None, False), (VERIFIER, True, None, False))
    # MAGIC_LINK starts with a choice, and so does every sign-in with sign-up on.
    several = len(methods) > 1 or methods == LINK_ONLY or sign_up

    def presented(session: tuple[Symbol, ...]) -> bool:
        if len(session) > MAX_LENGTH:
            return False
        spec[session] = (Outcome.PRESENT_CHALLENGE, CUSTOM)
        return True

    def signed_in(session: tuple[Symbol, ...]) -> None:
        if sign_up and user_not_found:
            return  # nobody gets tokens; a sign-up's code is answered False
        if len(session) <= MAX_LENGTH:
            spec[session] = (Outcome.ISSUE_TOKENS, None)

    def choosing(session: tuple[Symbol, ...], failed: int) -> None:
        if failed >= max_attempts or not presented(session):
            return
        chosen = (*session, (CUSTOM, True, SELECT, False))
        if presented(chosen):
            for method in methods:
                answering(chosen, failed, method, switch_left=True, first=True)
        choosing((*session, (CUSTOM, False, SELECT, False)), failed + 1)

    def answering(
        session: tuple[Symbol, ...], failed: int, method: str, *, switch_left: bool, first: bool
    ) -> None:
        # The rounds of `method` that follow `session`, which Define has just presented.
        signed_in((*session, (CUSTOM, True, method, False)))
        wrong = (*session, (CUSTOM, False, method, False))
        if failed + 1 < max_attempts and presented(wrong):
            answering(wrong, failed + 1, method, switch_left=switch_left, first=False)
            if switch_left and several:
                for other in methods:
                    if other != method:
                        switched_to(wrong, failed, other)

    def switched_to(session: tuple[Symbol, ...], failed: int, method: str) -> None:
        # The round before was the switch: it does not count.
        signed_in((*session, (CUSTOM, True, method, True)))
        wrong = (*session, (CUSTOM, False, method, True))
        if failed + 1 < max_attempts and presented(wrong):
            answering(wrong, failed + 1, method, switch_left=False, first=False)

    if several:
        choosing(prefix, 0)
    elif presented(prefix):
        answering(prefix, 0, methods[0], switch_left=False, first=True)
    return spec


def stop_tracing() -> None:
    """A forked worker inherits the coverage tracer, which cannot report from it anyway and
    would make tens of millions of calls many times slower."""
    sys.settrace(None)
    threading.settrace(None)


def sessions_not_failed(
    job: tuple[AuthFlow, tuple[str, ...], int, bool]
    | tuple[AuthFlow, tuple[str, ...], int, bool, bool, int],
) -> tuple[int, dict[Any, Any]]:
    """Run decide on every session of up to MAX_LENGTH entries (or the job's length) whose
    first entry is SYMBOLS[first] (-1: the empty session); return how many, and the ones not
    failed. A job that names sign-up runs with it on, over the alphabet with SIGNED_UP's
    rounds."""
    flow, methods, first, user_not_found = job[:4]
    sign_up = len(job) > 4 and bool(job[4])
    length = int(job[5]) if len(job) > 5 else MAX_LENGTH
    policy = FlowSettings(auth_flow=flow, max_attempts=3, methods=methods, sign_up=sign_up)
    fail = Outcome.FAIL_AUTHENTICATION
    alphabet = (*alphabet_for(methods), *SIGNED_UP_SYMBOLS) if sign_up else alphabet_for(methods)
    symbols = tuple(to_entry(symbol) for symbol in alphabet)
    indexes = range(len(symbols))
    if first < 0:
        sessions: Iterable[tuple[int, ...]] = [()]
    else:
        # product() builds each whole session in C, its first entry fixed.
        sessions = itertools.chain.from_iterable(
            itertools.product((first,), *[indexes] * n) for n in range(length)
        )
    checked, not_failed = 0, {}
    for candidate in sessions:
        checked += 1
        decision = decide([symbols[i] for i in candidate], policy, user_not_found=user_not_found)
        if decision.outcome is not fail:
            steps = tuple(alphabet[i] for i in candidate)
            not_failed[steps] = (decision.outcome, decision.challenge_name)
    return checked, not_failed


#: The round after a sign-up's right code, answered either way.
SIGNED_UP_SYMBOLS: tuple[Symbol, ...] = (
    (CUSTOM, True, "SIGNED_UP", False),
    (CUSTOM, False, "SIGNED_UP", False),
)

POLICIES = [
    *((flow, methods) for flow in AuthFlow for methods in (ONE, BOTH)),
    (AuthFlow.OTP, LINK_ONLY),
]


# Every policy to length five in the default run (1.1 million sessions each), to length six in
# `make long` (17.9 million each: about 45 s a policy on two cores).
EVERY_LENGTH = [
    pytest.param(*policy, length, marks=[pytest.mark.long] if length == MAX_LENGTH else [])
    for policy in POLICIES
    for length in (MAX_LENGTH - 1, MAX_LENGTH)
]


@pytest.mark.parametrize(("flow", "methods", "length"), EVERY_LENGTH, ids=lambda p: str(p))
def test_every_session_up_to_a_length(
    flow: AuthFlow, methods: tuple[str, ...], length: int
) -> None:
    """16 symbols, lengths 0 to ``length``: 1,118,481 sessions per policy to five, 17,895,697
    to six.

    Tokens are issued, or the sign-in goes on, for exactly the sessions the specification
    lists, with the challenge it lists; every other session fails authentication.
    """
    jobs = [(flow, methods, first, False, False, length) for first in range(-1, len(SYMBOLS))]
    if length < MAX_LENGTH:
        with coverage_paused():
            results = [sessions_not_failed(job) for job in jobs]
    else:
        with ProcessPoolExecutor(max_workers=2, initializer=stop_tracing) as pool:
            results = list(pool.map(sessions_not_failed, jobs))
    checked = sum(count for count, _ in results)
    not_failed = {steps: got for _, found in results for steps, got in found.items()}
    assert checked == sum(len(SYMBOLS) ** n for n in range(length + 1))
    expected = {
        steps: got
        for steps, got in specification(flow, methods, max_attempts=3).items()
        if len(steps) <= length
    }
    assert not_failed == expected
    # The specification is not empty: every policy signs someone in.
    assert any(outcome is Outcome.ISSUE_TOKENS for outcome, _ in expected.values())


@pytest.mark.parametrize(("flow", "methods"), POLICIES, ids=lambda p: str(p))
def test_an_unknown_user_goes_as_far_and_never_gets_tokens(
    flow: AuthFlow, methods: tuple[str, ...]
) -> None:
    """Every session up to length 5 (1.1 million): for an unknown user, the same sessions go
    on as for a known one, and none ends in tokens."""
    spec = specification(flow, methods, max_attempts=3)
    policy = FlowSettings(auth_flow=flow, methods=methods)
    alphabet = alphabet_for(methods)
    symbols = tuple(to_entry(symbol) for symbol in alphabet)
    with coverage_paused():
        going_on = set()
        for length in range(6):
            for candidate in itertools.product(range(len(symbols)), repeat=length):
                decision = decide([symbols[i] for i in candidate], policy, user_not_found=True)
                assert decision.outcome is not Outcome.ISSUE_TOKENS
                if decision.outcome is Outcome.PRESENT_CHALLENGE:
                    going_on.add(tuple(alphabet[i] for i in candidate))
    assert going_on == {
        steps
        for steps, (outcome, _) in spec.items()
        if outcome is Outcome.PRESENT_CHALLENGE and len(steps) < 6
    }


SIGN_UP_CASES = [
    pytest.param(methods, user_not_found, length, marks=[pytest.mark.long] if length > 4 else [])
    for methods in (ONE, BOTH)
    for user_not_found in (False, True)
    for length in (4, 6)
]


@pytest.mark.parametrize(("methods", "user_not_found", "length"), SIGN_UP_CASES)
def test_with_sign_up_every_session_and_no_tokens_for_nobody_nor_after_signed_up(
    methods: tuple[str, ...], user_not_found: bool, length: int
) -> None:
    """18 symbols (SIGNED_UP's two rounds added), every session up to ``length`` (4: 111,151
    sessions; 6 in ``make long``: 36 million). Sign-up on: a known user signs in as with a
    choice first; an unknown user goes as far and never gets tokens; a session holding a
    SIGNED_UP round fails, whoever it is for."""
    jobs = [
        (AuthFlow.OTP, methods, first, user_not_found, True, length)
        for first in range(-1, len(SYMBOLS) + len(SIGNED_UP_SYMBOLS))
    ]
    if length > 4:
        with ProcessPoolExecutor(max_workers=2, initializer=stop_tracing) as pool:
            results = list(pool.map(sessions_not_failed, jobs))
    else:
        with coverage_paused():
            results = [sessions_not_failed(job) for job in jobs]
    not_failed = {steps: got for _, found in results for steps, got in found.items()}
    assert sum(count for count, _ in results) == sum(18**n for n in range(length + 1))
    expected = {
        steps: got
        for steps, got in specification(
            AuthFlow.OTP, methods, 3, sign_up=True, user_not_found=user_not_found
        ).items()
        if len(steps) <= length
    }
    assert not_failed == expected
    outcomes = {outcome for outcome, _ in expected.values()}
    assert (Outcome.ISSUE_TOKENS in outcomes) is not user_not_found


# --- case by case ---------------------------------------------------------------------------

OTP = FlowSettings()
PASSWORD = FlowSettings(auth_flow=AuthFlow.PASSWORD_OTP)
CHOOSING = FlowSettings(methods=BOTH)

Step = tuple[str, Any] | tuple[str, Any, str] | tuple[str, Any, str, bool]


def session(*steps: Step) -> tuple[ChallengeResult, ...]:
    """Entries from (name, result[, method[, switched]]); a CUSTOM_CHALLENGE round without a
    method is an EMAIL_OTP round."""
    entries = []
    for step in steps:
        name, result = step[0], step[1]
        method = step[2] if len(step) > 2 else (EMAIL if name == CUSTOM else None)
        switched = bool(step[3]) if len(step) > 3 else False
        metadata = described(method, switched) if method is not None else None
        entries.append(ChallengeResult(ChallengeName.parse(name), result, metadata))
    return tuple(entries)


def test_a_new_sign_in_asks_for_the_methods_round() -> None:
    assert decide((), OTP) == Decision(
        Outcome.PRESENT_CHALLENGE, ChallengeName.CUSTOM_CHALLENGE, "first round", 0, 0
    )
    assert decide((), CHOOSING).reason == "choose a method"


def test_a_right_answer_issues_tokens_and_counts_the_rounds() -> None:
    decision = decide(session((CUSTOM, False), (CUSTOM, True)), OTP)
    assert decision.outcome is Outcome.ISSUE_TOKENS
    assert (decision.rounds, decision.wrong_answers, decision.method) == (2, 1, EMAIL)


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


def test_choosing_is_not_a_wrong_answer_and_a_refused_choice_is() -> None:
    chose = session((CUSTOM, True, SELECT))
    assert decide(chose, CHOOSING) == Decision(
        Outcome.PRESENT_CHALLENGE, ChallengeName.CUSTOM_CHALLENGE, "the chosen method", 1, 0
    )
    signed_in = decide(session((CUSTOM, True, SELECT), (CUSTOM, True, SMS)), CHOOSING)
    assert (signed_in.outcome, signed_in.wrong_answers, signed_in.method) == (
        Outcome.ISSUE_TOKENS, 0, SMS,
    )  # fmt: skip
    refused = decide(session((CUSTOM, False, SELECT), (CUSTOM, False, SELECT)), CHOOSING)
    assert (refused.outcome, refused.wrong_answers) == (Outcome.PRESENT_CHALLENGE, 2)
    thrice = session((CUSTOM, False, SELECT), (CUSTOM, False, SELECT), (CUSTOM, False, SELECT))
    assert decide(thrice, CHOOSING).reason == "too many wrong answers"


def test_a_switch_does_not_count_once_the_next_round_shows_it() -> None:
    asked = session((CUSTOM, True, SELECT), (CUSTOM, False, EMAIL))
    assert decide(asked, CHOOSING).wrong_answers == 1  # a wrong code, or a switch: not known yet
    switched = session((CUSTOM, True, SELECT), (CUSTOM, False, EMAIL), (CUSTOM, False, SMS, True))
    assert decide(switched, CHOOSING).wrong_answers == 1
    done = decide(
        session((CUSTOM, True, SELECT), (CUSTOM, False, EMAIL), (CUSTOM, True, SMS, True)),
        CHOOSING,
    )
    assert (done.outcome, done.wrong_answers) == (Outcome.ISSUE_TOKENS, 0)


@pytest.mark.parametrize(
    ("steps", "reason"),
    [
        # A method nobody chose, with several enabled.
        ([(CUSTOM, True, EMAIL)], "unexpected session: a method nobody chose"),
        # A choice that was made, then another choice.
        ([(CUSTOM, True, SELECT), (CUSTOM, True, SELECT)], "unexpected session: a choice"),
        # A second switch.
        (
            [(CUSTOM, True, SELECT), (CUSTOM, False, EMAIL), (CUSTOM, False, SMS, True),
             (CUSTOM, True, EMAIL, True)],
            "unexpected session: a switch",
        ),
        # A switch to the same method, or straight after a choice.
        ([(CUSTOM, True, SELECT), (CUSTOM, False, EMAIL), (CUSTOM, True, EMAIL, True)],
         "unexpected session: a switch"),
        ([(CUSTOM, True, SELECT), (CUSTOM, True, SMS, True)], "unexpected session: a switch"),
        # Another method without a switch.
        ([(CUSTOM, True, SELECT), (CUSTOM, False, EMAIL), (CUSTOM, True, SMS)],
         "unexpected session: a method the policy"),
        # A method that is not enabled.
        ([(CUSTOM, True, SELECT), (CUSTOM, True, "PASSKEY")], "unexpected session: a method"),
    ],
)  # fmt: skip
def test_each_refusal_when_choosing_says_why(steps: list[Step], reason: str) -> None:
    decision = decide(session(*steps), CHOOSING)
    assert decision.outcome is Outcome.FAIL_AUTHENTICATION
    assert decision.reason.startswith(reason)


def test_a_switch_with_the_last_allowed_attempt_still_fails() -> None:
    steps: list[Step] = [(CUSTOM, True, SELECT), (CUSTOM, False, EMAIL), (CUSTOM, False, EMAIL)]
    assert decide(session(*steps, (CUSTOM, False, EMAIL)), CHOOSING).reason == (
        "too many wrong answers"
    )
    late = decide(session(*steps, (CUSTOM, False, EMAIL), (CUSTOM, True, SMS, True)), CHOOSING)
    assert late.reason == "unexpected session: a round after the last allowed one"


@pytest.mark.parametrize(
    "metadata",
    [None, "", "otp1:{}", "ca2:EMAIL_OTP:2:id:", "ca2::0:id:", "ca2:EMAIL_OTP:0::", "ca1:x:0:i:"],
)
def test_a_round_whose_metadata_is_not_creates_fails(metadata: str | None) -> None:
    entry = ChallengeResult(ChallengeName.CUSTOM_CHALLENGE, True, metadata)
    decision = decide((entry,), OTP)
    assert decision.outcome is Outcome.FAIL_AUTHENTICATION
    assert decision.reason == "unexpected session: a round whose metadata is not Create's"


def test_a_single_method_policy_refuses_choices_and_switches() -> None:
    assert decide(session((CUSTOM, True, SELECT)), OTP).outcome is Outcome.FAIL_AUTHENTICATION
    switched = session((CUSTOM, False, EMAIL), (CUSTOM, True, SMS, True))
    assert decide(switched, OTP).outcome is Outcome.FAIL_AUTHENTICATION


def test_an_unknown_user_runs_the_same_rounds_and_never_gets_tokens() -> None:
    for steps in ([], [(CUSTOM, False)], [(CUSTOM, False), (CUSTOM, False)]):
        known = decide(session(*steps), OTP)
        unknown = decide(session(*steps), OTP, user_not_found=True)
        assert unknown == known
    assert decide(session(*[(CUSTOM, False)] * 3), OTP, user_not_found=True).outcome is (
        Outcome.FAIL_AUTHENTICATION
    )
    # Even if a forged session claimed a right answer.
    assert decide(session((CUSTOM, True)), OTP, user_not_found=True).reason == "unknown user"


def test_password_first_then_a_method() -> None:
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
        ([(SRP_A, True), ("SMS_MFA", True)], "unexpected session: an entry the policy does not"),
        (
            [(SRP_A, True), (VERIFIER, True), (CUSTOM, True), (CUSTOM, True)],
            "unexpected session: a round after a right",
        ),
        ([(SRP_A, True), (VERIFIER, True), (CUSTOM, None)], "unexpected session: an entry"),
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
