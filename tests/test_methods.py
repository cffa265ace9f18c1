"""custom_auth.methods through the trigger handlers: several methods in one deployment, the
user choosing, switching once, and one guess budget across methods (moto for AWS)."""

import json
from typing import Any

import boto3
import pytest

from custom_auth.methods.base import Challenge, Judgement, MethodLimits
from custom_auth.observability import TriggerError
from custom_auth.rounds import parse_round
from custom_auth.state_store import DynamoDBStateStore, state_key
from custom_auth.verdict import Verdict
from tests.triggers import (
    CUSTOM,
    STATE_TABLE,
    Context,
    SignIn,
    Triggers,
    code_in,
    create_event,
    entry,
    load_handler,
    sent_emails,
    sent_sms,
    verify_event,
)

BOTH = "EMAIL_OTP,SMS_OTP"
ASK = {"challengeName": CUSTOM, "issueTokens": False, "failAuthentication": False}
TOKENS = {"challengeName": None, "issueTokens": True, "failAuthentication": False}
FAILED = {"challengeName": None, "issueTokens": False, "failAuthentication": True}
ALICE = {
    "sub": "7c1e1b7a-5d1f-4d4e-9f44-2f0c2b4c5a10",
    "email": "alice@example.com",
    "email_verified": "true",
    "phone_number": "+12065550100",
    "phone_number_verified": "true",
}


@pytest.fixture
def both(aws: None, monkeypatch: pytest.MonkeyPatch) -> Triggers:
    """The triggers of a deployment with EMAIL_OTP and SMS_OTP, in that order."""
    monkeypatch.setenv("SIGN_IN_METHODS", BOTH)
    monkeypatch.setenv("SMS_ALLOWED_COUNTRY_CODES", "1")
    return Triggers.load()


def sign_in(triggers: Triggers, attributes: dict[str, str] | None = None, **request: Any) -> SignIn:
    return SignIn(triggers, request={"userAttributes": attributes or ALICE, **request})


def failures() -> int:
    store = DynamoDBStateStore(STATE_TABLE, client=boto3.client("dynamodb"))
    user = create_event([])
    return store.load(state_key(user["userPoolId"], user["userName"]), 0).failures


def offered(signin: SignIn) -> list[str]:
    names: list[str] = json.loads(signin.public["SIGN_IN_METHODS"])
    return names


# --- one method: nothing changes --------------------------------------------------------------


@pytest.mark.parametrize("method", ["EMAIL_OTP", "SMS_OTP"])
def test_with_one_method_a_sign_in_takes_four_invocations(
    aws: None, monkeypatch: pytest.MonkeyPatch, method: str
) -> None:
    monkeypatch.setenv("SIGN_IN_METHODS", method)
    monkeypatch.setenv("SMS_ALLOWED_COUNTRY_CODES", "1")
    signin = sign_in(Triggers.load())
    assert signin.start() == ASK
    assert signin.public["SIGN_IN_METHOD"] == method
    assert "SIGN_IN_METHODS" not in signin.public  # no choice to offer
    code = code_in(sent_emails()[0].body if method == "EMAIL_OTP" else sent_sms()[0][1])
    assert signin.answer(code) == TOKENS
    assert signin.invocations == 4  # Define, Create, Verify, Define


# --- choosing ---------------------------------------------------------------------------------


def test_choosing_sends_nothing_is_not_wrong_and_costs_three_invocations(both: Triggers) -> None:
    signin = sign_in(both)
    assert signin.start() == ASK
    assert signin.public == {
        "SIGN_IN_METHOD": "SELECT",
        "SIGN_IN_METHODS": '["EMAIL_OTP","SMS_OTP"]',
    }
    assert not sent_emails() and not sent_sms()  # choosing sends nothing
    assert signin.answer("SMS_OTP") == ASK
    assert signin.public == {
        "CODE_DELIVERY_DELIVERY_MEDIUM": "SMS",
        "CODE_DELIVERY_DESTINATION": "+***",
        "SIGN_IN_METHOD": "SMS_OTP",
        "SIGN_IN_METHODS": '["EMAIL_OTP","SMS_OTP"]',
    }
    assert failures() == 0
    [(number, text)] = sent_sms()
    assert number == ALICE["phone_number"] and not sent_emails()
    assert signin.answer(code_in(text)) == TOKENS
    assert signin.invocations == 7  # 4 + Create (choice), Verify (choice), Define


def test_a_retried_verify_of_a_choice_is_still_right(both: Triggers) -> None:
    """Cognito retries a trigger that timed out with the same event: the choice it recorded
    the first time stands, and a different one in the same round is refused."""
    signin = sign_in(both)
    signin.start()
    event = verify_event(signin._private, "SMS_OTP")
    assert both.verify.lambda_handler(event, Context())["response"] == {"answerCorrect": True}
    assert both.verify.lambda_handler(event, Context())["response"] == {"answerCorrect": True}
    other = verify_event(signin._private, "EMAIL_OTP")
    assert both.verify.lambda_handler(other, Context())["response"] == {"answerCorrect": False}


def test_the_choice_may_be_named_in_client_metadata(both: Triggers) -> None:
    signin = sign_in(both)
    signin.start()
    assert signin.answer("-", {"signInMethod": "EMAIL_OTP"}) == ASK
    assert signin.public["SIGN_IN_METHOD"] == "EMAIL_OTP"
    assert signin.answer(code_in(sent_emails()[0].body)) == TOKENS


def test_create_decides_nothing_from_client_metadata(both: Triggers) -> None:
    """InitiateAuth's ClientMetadata never reaches Create, and respond's may not: even when an
    event carries one, the first round is the choice and the next is what Verify recorded."""
    created = both.create.lambda_handler(
        create_event([], clientMetadata={"signInMethod": "SMS_OTP"}), Context()
    )
    assert created["response"]["publicChallengeParameters"]["SIGN_IN_METHOD"] == "SELECT"
    signin = sign_in(both)
    signin.start()
    signin.answer("EMAIL_OTP")  # recorded: EMAIL_OTP
    again = create_event(signin.session, clientMetadata={"signInMethod": "SMS_OTP"})
    round_two = both.create.lambda_handler(again, Context())["response"]
    assert round_two["publicChallengeParameters"]["SIGN_IN_METHOD"] == "EMAIL_OTP"


def test_each_user_is_offered_what_their_attributes_allow(both: Triggers) -> None:
    no_phone = {k: v for k, v in ALICE.items() if not k.startswith("phone")}
    email_only = sign_in(both, no_phone)
    email_only.start()
    assert offered(email_only) == ["EMAIL_OTP"]
    full = sign_in(both)
    full.start()
    assert offered(full) == ["EMAIL_OTP", "SMS_OTP"]
    # An unknown user is offered what a user with everything is; so is one with nothing.
    unknown = sign_in(both, {}, userNotFound=True)
    unknown.start()
    assert unknown.public == full.public
    nothing = sign_in(both, {"sub": "x"})
    nothing.start()
    assert nothing.public == full.public


def test_an_unknown_user_who_chooses_looks_like_a_known_one_and_is_sent_nothing(
    both: Triggers,
) -> None:
    known = sign_in(both)
    known.start()
    known.answer("SMS_OTP")
    unknown = sign_in(both, {}, userNotFound=True)
    unknown.start()
    assert unknown.answer("SMS_OTP") == ASK
    assert unknown.public == known.public
    assert unknown.invocations == known.invocations
    assert len(sent_sms()) == 1  # the known user's only
    assert [unknown.answer("123456") for _ in range(3)] == [ASK, ASK, FAILED]


@pytest.mark.parametrize(
    ("answer", "metadata", "attributes", "logged"),
    [
        ("FAX_OTP", None, ALICE, "not a method name"),
        ("TOTP", None, ALICE, "not a method name"),
        ("424242", None, ALICE, "not a method name"),  # a code typed in the wrong place
        ("EMAIL_OTP", {"signInMethod": "SMS_OTP"}, ALICE, "two different names"),
        (
            "SMS_OTP",
            None,
            {"sub": "x", "email": "a@example.com", "email_verified": "true"},
            "SMS_OTP",
        ),
        ("", None, ALICE, "not a method name"),
    ],
)
def test_a_bad_choice_is_a_failed_round_counted_and_logged_by_name(
    both: Triggers,
    logs: list[str],
    answer: str,
    metadata: dict[str, str] | None,
    attributes: dict[str, str],
    logged: str,
) -> None:
    signin = sign_in(both, attributes)
    signin.start()
    assert signin.answer(answer, metadata) == ASK  # the shape of a wrong answer
    assert signin.public["SIGN_IN_METHOD"] == "SELECT"  # choose again
    assert not sent_emails() and not sent_sms()
    assert failures() == 1  # counted towards the lockout
    [line] = [json.loads(line) for line in logs if "choice of method refused" in line]
    assert line["method"] == logged
    if answer not in ("", "EMAIL_OTP", "SMS_OTP"):
        assert all(answer not in text for text in logs)
    assert signin.answer("EMAIL_OTP") == ASK
    assert signin.public["SIGN_IN_METHOD"] == "EMAIL_OTP"


def test_three_bad_choices_fail_the_sign_in(both: Triggers) -> None:
    signin = sign_in(both)
    signin.start()
    assert [signin.answer("nope") for _ in range(3)] == [ASK, ASK, FAILED]


# --- switching --------------------------------------------------------------------------------


def test_a_user_may_switch_method_once_and_the_switch_is_not_wrong(both: Triggers) -> None:
    signin = sign_in(both)
    signin.start()
    signin.answer("EMAIL_OTP")
    assert len(sent_emails()) == 1
    assert signin.answer("SMS_OTP") == ASK  # the email did not arrive: try SMS
    assert signin.public["SIGN_IN_METHOD"] == "SMS_OTP"
    assert len(sent_sms()) == 1  # sent although email's cooldown runs: a throttle per channel
    assert failures() == 0
    described = parse_round(signin.session[-1]["challengeMetadata"])
    assert described is not None and described.method == "EMAIL_OTP"
    # A second switch is refused, and counted.
    assert signin.answer("EMAIL_OTP") == ASK
    assert signin.public["SIGN_IN_METHOD"] == "SMS_OTP"
    assert failures() == 1
    assert len(sent_emails()) == 1
    assert signin.answer(code_in(sent_sms()[0][1])) == TOKENS
    # The email's code is not good for the SMS round, and two attempts were left, not one.
    assert signin.invocations == 7 + 3 + 3


def test_a_switch_through_client_metadata(both: Triggers) -> None:
    signin = sign_in(both)
    signin.start()
    signin.answer("EMAIL_OTP")
    assert signin.answer("ignored", {"signInMethod": "SMS_OTP"}) == ASK
    assert signin.public["SIGN_IN_METHOD"] == "SMS_OTP"
    # Naming the round's own method is an ordinary answer.
    assert signin.answer(code_in(sent_sms()[0][1]), {"signInMethod": "SMS_OTP"}) == TOKENS


def test_a_switch_to_a_method_the_user_was_not_offered_is_refused(both: Triggers) -> None:
    no_phone = {k: v for k, v in ALICE.items() if not k.startswith("phone")}
    signin = sign_in(both, no_phone)
    signin.start()
    signin.answer("EMAIL_OTP")
    assert signin.answer("SMS_OTP") == ASK
    assert signin.public["SIGN_IN_METHOD"] == "EMAIL_OTP"
    assert failures() == 1 and not sent_sms()


# --- one guess budget -------------------------------------------------------------------------


def test_wrong_answers_under_every_method_share_one_lockout(
    aws: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SIGN_IN_METHODS", BOTH)
    monkeypatch.setenv("SMS_ALLOWED_COUNTRY_CODES", "1")
    monkeypatch.setenv("LOCKOUT_AFTER_FAILURES", "4")
    triggers = Triggers.load()
    for method in ("EMAIL_OTP", "SMS_OTP"):
        signin = sign_in(triggers)
        signin.start()
        signin.answer(method)
        signin.answer("000000")
        signin.answer("000001")
    assert failures() == 0  # the fourth wrong answer locked the user out (and reset the count)
    locked = sign_in(triggers)
    locked.start()
    locked.answer("SMS_OTP")
    # Locked out under SMS_OTP by guesses made under both: the code sent is a lockout code.
    assert "longer one" in sent_sms()[-1][1]


# --- what Create and Verify refuse -------------------------------------------------------------


def test_a_round_of_a_method_that_is_not_enabled_fails_closed(
    aws: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SIGN_IN_METHODS", BOTH)
    monkeypatch.setenv("SMS_ALLOWED_COUNTRY_CODES", "1")
    signin = sign_in(Triggers.load())
    signin.start()
    signin.answer("SMS_OTP")
    monkeypatch.setenv("SIGN_IN_METHODS", "EMAIL_OTP")  # the deployment changed mid sign-in
    create = load_handler("create_auth_challenge")
    with pytest.raises(TriggerError):
        session = [*signin.session, entry(CUSTOM, False, signin._metadata)]
        create.lambda_handler(create_event(session), Context())
    verify = load_handler("verify_auth_challenge_response")
    event = verify_event({"signInMethod": "SMS_OTP", "codeHash": "x", "issuedAt": "1"}, "1")
    assert verify.lambda_handler(event, Context())["response"] == {"answerCorrect": False}


def test_a_choice_that_was_not_recorded_fails_closed(both: Triggers) -> None:
    signin = sign_in(both)
    signin.start()
    assert signin.session == []  # nothing chosen yet
    # A session claiming a choice was made in a round Verify never recorded.
    forged = [entry(CUSTOM, True, signin._metadata)]
    with pytest.raises(TriggerError):
        both.create.lambda_handler(create_event(forged), Context())
    assert not sent_emails() and not sent_sms()


# --- a method whose proof cannot be guessed -----------------------------------------------------


class SignedProof:
    """A stand-in for the methods to come (a signed link, a passkey): it sends nothing, and its
    proof cannot be guessed, which it says through its limits."""

    name = "EMAIL_OTP"  # registered names only; the interface is what is under test
    limits = MethodLimits(guessable=False, sends_over=None)

    def usable(self, attributes: Any) -> bool:
        return True

    def option(self, client_metadata: Any) -> str:
        return ""

    def start(
        self, event: Any, limits: Any, now: int, option: str = "", sign_up: Any = None
    ) -> Challenge:
        return Challenge({"PROOF": "wanted"}, {"expected": "proof-1"}, "body", {"plan": "none"})

    def sign_up_address(self, raw: str) -> None:
        return None  # a passkey-like proof makes no account

    def rebind(self, event: Any, user_name: str, address: Any) -> None:
        return None

    def carry(self, body: str) -> Challenge:
        return Challenge({"PROOF": "wanted"}, {"expected": "proof-1"}, body, {"plan": "carry"})

    def judge(self, event: Any, now: int) -> Judgement:
        right = event.challenge_answer == event.private_challenge_parameters["expected"]
        return Judgement(Verdict.RIGHT if right else Verdict.WRONG, "proof-1", now + 300)


def test_an_unguessable_proof_signs_in_during_a_lockout_once(
    quiet: None,
) -> None:
    from custom_auth.events import CreateAuthChallengeEvent, VerifyAuthChallengeResponseEvent
    from custom_auth.methods.base import Methods
    from custom_auth.triggers import create_auth_challenge, verify_auth_challenge_response
    from tests.triggers import memory_limits

    limits = memory_limits(lockout_after_failures=1)
    now = 1_800_000_000

    def answer(methods: Methods, answer: str) -> bool:
        created = create_auth_challenge(
            CreateAuthChallengeEvent.from_dict(create_event([])),
            methods=methods, limits=limits, clock=lambda: now,
        )  # fmt: skip
        assert created.response is not None
        private = dict(created.response.private_challenge_parameters)
        verified = verify_auth_challenge_response(
            VerifyAuthChallengeResponseEvent.from_dict(verify_event(private, answer)),
            methods=methods, limits=limits, clock=lambda: now,
        )  # fmt: skip
        assert verified.response is not None
        return verified.response.answer_correct

    proof = Methods((SignedProof(),))
    assert answer(proof, "forged") is False  # a wrong proof counts: the user is now locked out
    state = limits.store.load(state_key("us-east-1_EXAMPLE01", create_event([])["userName"]), now)
    assert state.is_locked(now)
    assert answer(proof, "proof-1") is True  # the way out of a lockout someone else caused
    assert limits.store.load(
        state_key("us-east-1_EXAMPLE01", create_event([])["userName"]), now
    ).is_locked(now)  # and the lockout stays
    assert answer(proof, "proof-1") is False  # one proof signs in once


def test_the_methods_values_never_show_a_secret_in_their_repr() -> None:
    from custom_auth.rounds import Round

    described = Round("EMAIL_OTP", False, "SIGN-IN-ID", 'otp1:{"h":"CODE-HASH"}')
    challenge = Challenge({"A": "b"}, {"codeHash": "CODE-HASH"}, "BODY-HASH", {"plan": "send"})
    judgement = Judgement(Verdict.RIGHT, "CODE-HASH", 10)
    shown = repr(described) + repr(challenge) + repr(judgement) + str(judgement)
    for secret in ("SIGN-IN-ID", "CODE-HASH", "BODY-HASH"):
        assert secret not in shown
    assert "EMAIL_OTP" in shown and "right" in shown and "send" in shown


@pytest.mark.parametrize("round_index", ["", "x", "\u00b2", "-1"])
def test_a_choice_in_a_round_create_did_not_describe_is_refused_not_raised(
    both: Triggers, round_index: str
) -> None:
    signin = sign_in(both)
    signin.start()
    event = verify_event({**signin._private, "round": round_index}, "EMAIL_OTP")
    assert both.verify.lambda_handler(event, Context())["response"] == {"answerCorrect": False}
