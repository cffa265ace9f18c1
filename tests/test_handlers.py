"""The three handlers together, through moto's SES v2, SNS and Secrets Manager."""

import json
import re
import subprocess
import sys
import time
from typing import Any

import pytest

from custom_auth.observability import TriggerError
from custom_auth.settings import CodeSettings, SettingsError
from tests.triggers import (
    CUSTOM,
    ROOT,
    SENDER,
    Context,
    SignIn,
    Triggers,
    code_in,
    code_methods,
    create_event,
    define_event,
    entry,
    load_handler,
    memory_limits,
    sent_emails,
    sent_sms,
    verify_event,
)

ISSUED = {"challengeName": None, "issueTokens": True, "failAuthentication": False}
FAILED = {"challengeName": None, "issueTokens": False, "failAuthentication": True}
ASK_CODE = {"challengeName": CUSTOM, "issueTokens": False, "failAuthentication": False}


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 10 ** len(code):0{len(code)}d}"


# --- the email code, end to end -------------------------------------------------------------


def test_an_emailed_code_signs_the_user_in(aws: None) -> None:
    signin = SignIn(Triggers.load())
    assert signin.start() == ASK_CODE
    assert signin.public == {
        "CODE_DELIVERY_DELIVERY_MEDIUM": "EMAIL",
        "CODE_DELIVERY_DESTINATION": "***@***",  # never a mask of the address (issue #12)
        "SIGN_IN_METHOD": "EMAIL_OTP",
    }
    [email] = sent_emails()
    assert email.destinations["ToAddresses"] == ["alice@example.com"]
    assert email.source == SENDER
    assert email.subject == "Your My App sign-in code"
    assert signin.answer(code_in(email.body)) == ISSUED
    assert signin.invocations == 4  # Define, Create, Verify, Define


def test_a_wrong_code_then_the_right_one_with_no_second_message(aws: None) -> None:
    signin = SignIn(Triggers.load())
    signin.start()
    code = code_in(sent_emails()[0].body)
    assert signin.answer(wrong(code)) == ASK_CODE
    assert signin.public["CODE_DELIVERY_DESTINATION"] == "***@***"
    assert len(sent_emails()) == 1  # the user keeps the code they have
    assert signin.answer(code) == ISSUED


def test_three_wrong_codes_fail_the_sign_in(aws: None) -> None:
    signin = SignIn(Triggers.load())
    signin.start()
    code = code_in(sent_emails()[0].body)
    assert signin.answer(wrong(code)) == ASK_CODE
    assert signin.answer(wrong(code)) == ASK_CODE
    assert signin.answer(wrong(code)) == FAILED
    assert len(sent_emails()) == 1


@pytest.mark.parametrize(
    "answer",
    ["", "12345", "1234567", "12a456", "\u0661\u0662\u0663\u0664\u0665\u0666", "123 456", "-12345"],
)
def test_malformed_answers_are_wrong_and_never_raise(aws: None, answer: str) -> None:
    signin = SignIn(Triggers.load())
    signin.start()
    assert signin.answer(answer) == ASK_CODE
    assert signin.session[-1]["challengeResult"] is False


def test_whitespace_around_the_code_is_forgiven(aws: None) -> None:
    signin = SignIn(Triggers.load())
    signin.start()
    assert signin.answer(f"  {code_in(sent_emails()[0].body)}\n") == ISSUED


def test_the_code_email_reads_well(aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APP_NAME", "Acme <Books>")
    monkeypatch.setenv("EMAIL_SUBJECT", "Your Acme code")
    SignIn(Triggers.load()).start()
    [email] = sent_emails()
    assert email.subject == "Your Acme code"
    code = code_in(email.body)
    assert "Acme" in email.body
    assert "5 minutes" in email.body
    assert code in email.body


# --- SMS ---------------------------------------------------------------------------------------


def test_an_sms_code_signs_the_user_in(aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SIGN_IN_METHODS", "SMS_OTP")
    monkeypatch.setenv("OTP_LENGTH", "8")
    monkeypatch.setenv("SMS_ALLOWED_COUNTRY_CODES", "1")
    monkeypatch.delenv("SENDER_EMAIL")  # not needed for SMS
    signin = SignIn(Triggers.load())
    assert signin.start() == ASK_CODE
    assert signin.public == {
        "CODE_DELIVERY_DELIVERY_MEDIUM": "SMS",
        "CODE_DELIVERY_DESTINATION": "+***",
        "SIGN_IN_METHOD": "SMS_OTP",
    }
    [(number, text)] = sent_sms()
    assert number == "+12065550100"
    assert text.endswith("is your My App sign-in code. It expires in 5 minutes.")
    code = code_in(text, length=8)
    assert signin.answer(wrong(code)) == ASK_CODE
    assert signin.answer(code) == ISSUED
    assert not sent_emails()


# --- password then code ------------------------------------------------------------------------


def test_password_then_code(aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AUTH_FLOW", "password+otp")
    signin = SignIn(Triggers.load())
    # Cognito records SRP_A, asks Define, and verifies the password itself.
    assert signin.start([entry("SRP_A", True)])["challengeName"] == "PASSWORD_VERIFIER"
    assert not sent_emails()  # no code before the password is proven
    assert signin.start([entry("SRP_A", True), entry("PASSWORD_VERIFIER", False)]) == FAILED
    assert not sent_emails()
    assert signin.start([entry("SRP_A", True), entry("PASSWORD_VERIFIER", True)]) == ASK_CODE
    assert signin.answer(code_in(sent_emails()[0].body)) == ISSUED


def test_password_then_code_refuses_a_sign_in_without_the_password(
    aws: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AUTH_FLOW", "password+otp")
    assert SignIn(Triggers.load()).start([]) == FAILED
    assert not sent_emails()


# --- unknown users look like known ones --------------------------------------------------------


def run_failing_sign_in(signin: SignIn) -> list[tuple[str, dict[str, Any]]]:
    """Start, then answer wrong until the sign-in fails: what the caller saw at each step."""
    seen = [("start", signin.start())]
    public = [signin.public]
    while seen[-1][1] == ASK_CODE:
        seen.append(("answer", signin.answer("000000")))
        public.append(signin.public)
    return [
        (step, {**response, **params})
        for (step, response), params in zip(seen, public, strict=True)
    ]


def test_an_unknown_user_sees_what_a_known_one_sees(aws: None) -> None:
    known = run_failing_sign_in(SignIn(Triggers.load()))
    known_invocations = len(sent_emails())
    unknown_signin = SignIn(Triggers.load(), request={"userNotFound": True, "userAttributes": {}})
    unknown_signin.request["userAttributes"] = {}
    unknown = run_failing_sign_in(unknown_signin)
    assert [step for step, _ in unknown] == [step for step, _ in known]
    assert [set(seen) for _, seen in unknown] == [set(seen) for _, seen in known]
    assert unknown[-1][1]["failAuthentication"] is True
    assert len(sent_emails()) == known_invocations  # nothing was sent for the unknown user
    destination = unknown[0][1]["CODE_DELIVERY_DESTINATION"]
    assert destination.count("***") == 2 and "@" in destination
    # The same name shows the same masked destination every time.
    again = SignIn(Triggers.load(), request={"userNotFound": True, "userAttributes": {}})
    again.start()
    assert again.public["CODE_DELIVERY_DESTINATION"] == destination


def test_an_unknown_users_lucky_guess_still_fails(aws: None) -> None:
    # Even the code Create generated internally (never sent) cannot sign in an unknown user.
    triggers = Triggers.load()
    created = triggers.create.lambda_handler(
        create_event([], userNotFound=True, userAttributes={}), Context()
    )
    private = created["response"]["privateChallengeParameters"]
    for guess in ("000000", "123456", "999999"):
        verified = triggers.verify.lambda_handler(
            verify_event(private, guess, userNotFound=True), Context()
        )
        assert verified["response"] == {"answerCorrect": False}


def test_a_user_without_an_email_is_refused_like_an_unknown_user(
    aws: None, logs: list[str]
) -> None:
    signin = SignIn(Triggers.load(), request={"userAttributes": {"sub": "x", "phone_number": "+1"}})
    assert signin.start() == ASK_CODE
    assert not sent_emails()
    [line] = [json.loads(line) for line in logs if "cannot send" in line]
    assert line["message"] == "cannot send a code: the user has no email"
    assert (line["level"], line["attribute"]) == ("ERROR", "email")
    assert signin.answer("000000") == ASK_CODE


# --- failures are safe ---------------------------------------------------------------------------


def test_define_fails_closed_on_an_event_it_cannot_read(aws: None) -> None:
    define = load_handler("define_auth_challenge")
    event = define_event([entry(CUSTOM, "true")])  # a truthy string, not the boolean true
    assert define.lambda_handler(event, Context())["response"] == FAILED
    assert define.lambda_handler({"nonsense": True}, Context())["response"] == FAILED
    assert define.lambda_handler([1, 2], Context()) == {"response": FAILED}


def test_define_fails_closed_on_any_error(aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    define = load_handler("define_auth_challenge")

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("something unexpected")

    monkeypatch.setattr(define, "define_auth_challenge", broken)
    assert define.lambda_handler(define_event([entry(CUSTOM, True)]), Context())["response"] == (
        FAILED
    )


def test_verify_calls_an_unreadable_event_wrong(aws: None) -> None:
    verify = load_handler("verify_auth_challenge_response")
    event = verify_event({"codeHash": "x", "issuedAt": "1"}, "123456")
    del event["request"]["challengeAnswer"]
    assert verify.lambda_handler(event, Context())["response"] == {"answerCorrect": False}
    tampered = verify_event({"codeHash": "x", "issuedAt": "soon"}, "123456")
    assert verify.lambda_handler(tampered, Context())["response"] == {"answerCorrect": False}


def test_create_raises_a_generic_error_when_it_cannot_send(
    aws: None, logs: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SENDER_EMAIL", "unverified@example.org")  # SES refuses this sender
    create = load_handler("create_auth_challenge")
    with pytest.raises(TriggerError) as caught:
        create.lambda_handler(create_event([]), Context())
    assert str(caught.value) == (
        "CreateAuthChallenge could not complete; see the function's logs (request test-request-id)"
    )
    [failure] = [json.loads(line) for line in logs if '"ERROR"' in line]
    assert failure["error"] == "SES refused to send the code (MessageRejected)"
    assert failure["error_type"] == "DeliveryError"
    assert not sent_emails()


def test_create_and_verify_fail_closed_without_the_code_key(
    aws: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CODE_KEY_SECRET_ID", "no-such-secret")
    triggers = Triggers.load()
    with pytest.raises(TriggerError):
        triggers.create.lambda_handler(create_event([]), Context())
    with pytest.raises(TriggerError):
        triggers.verify.lambda_handler(
            verify_event({"codeHash": "x", "issuedAt": "1"}, "123456"), Context()
        )
    assert not sent_emails()


def test_create_refuses_a_challenge_it_does_not_make(aws: None) -> None:
    create = load_handler("create_auth_challenge")
    with pytest.raises(TriggerError):
        create.lambda_handler(create_event([], challengeName="PASSWORD_VERIFIER"), Context())


def test_create_refuses_a_later_round_without_its_code_record(aws: None) -> None:
    create = load_handler("create_auth_challenge")
    with pytest.raises(TriggerError):
        create.lambda_handler(create_event([entry(CUSTOM, False, "forged")]), Context())
    assert not sent_emails()


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("OTP_CHANNEL", "email", "OTP_CHANNEL: is replaced by SIGN_IN_METHODS; set SIGN_IN_MET"),
        ("SIGN_IN_METHODS", "PIGEON_OTP", "SIGN_IN_METHODS: each must be one of EMAIL_OTP, SMS"),
        ("OTP_LENGTH", "4", "OTP_LENGTH: must be a whole number from 6 to 20"),
        ("CODE_FORMAT", "hex", "CODE_FORMAT: must be one of digits, alphanumeric"),
        ("BIND_CODE_TO_SIGN_IN", "yes", "BIND_CODE_TO_SIGN_IN: must be true or false"),
        ("POOL_MAX_SENDS_PER_HOUR", "0", "POOL_MAX_SENDS_PER_HOUR: must be a whole number"),
        ("CODE_TTL_SECONDS", "3600", "CODE_TTL_SECONDS: must be a whole number from 30 to 600"),
        ("SENDER_EMAIL", "", "SENDER_EMAIL: is required (SIGN_IN_METHODS includes EMAIL_OTP)"),
        ("CODE_KEY_SECRET_ID", "", "CODE_KEY_SECRET_ID: is required"),
    ],
)
def test_create_refuses_to_start_with_a_bad_setting(
    aws: None, monkeypatch: pytest.MonkeyPatch, variable: str, value: str, message: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError, match=re.escape(message)):
        load_handler("create_auth_challenge")


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the metrics the trigger functions count."""
    from custom_auth.observability import count

    names: list[str] = []

    def record(metric: Any) -> None:
        names.append(metric.value)
        count(metric)

    monkeypatch.setattr("custom_auth.triggers.count", record)
    monkeypatch.setattr("custom_auth.methods.code.count", record)
    return names


def test_the_pools_hourly_cap_holds_across_users_and_looks_like_any_sign_in(
    aws: None, monkeypatch: pytest.MonkeyPatch, logs: list[str], counted: list[str]
) -> None:
    monkeypatch.setenv("POOL_MAX_SENDS_PER_HOUR", "2")
    create = load_handler("create_auth_challenge")
    public = []
    for user in ("alice", "bob", "carol"):
        event = create_event([])
        event["userName"] = user
        public.append(create.lambda_handler(event, Context())["response"])
    assert len(sent_emails()) == 2
    assert len({json.dumps(r["publicChallengeParameters"]) for r in public}) == 1
    [line] = [json.loads(line) for line in logs if "hourly cap on messages" in line]
    assert (line["level"], line["cap"]) == ("ERROR", 2)
    assert counted.count("PoolSendCapReached") == 1
    # carol's sign-in holds no code that any answer could match, and her own cap is untouched:
    # the next hour she gets one.
    assert public[2]["privateChallengeParameters"]["codeHash"] not in {
        r["privateChallengeParameters"]["codeHash"] for r in public[:2]
    }


def test_when_the_pool_counter_cannot_be_written_the_send_is_taken_back(aws: None) -> None:
    from custom_auth.events import CreateAuthChallengeEvent
    from custom_auth.state_store import InMemoryStateStore, StateUnavailableError, state_key
    from custom_auth.triggers import create_auth_challenge
    from tests.triggers import FixedKey, RecordingDelivery

    class CounterDown(InMemoryStateStore):
        def count_send(self, key: str, cap: int, expires_at: int) -> bool:
            raise StateUnavailableError("DynamoDB UpdateItem failed (ThrottlingException)")

    store = CounterDown()
    limits = memory_limits(store)
    event = CreateAuthChallengeEvent.from_dict(create_event([]))
    delivery = RecordingDelivery()
    codes = CodeSettings("fixed")
    with pytest.raises(StateUnavailableError):
        create_auth_challenge(
            event, methods=code_methods(codes, delivery, FixedKey()), limits=limits
        )
    assert delivery.sent == []
    # No send stays recorded: the next sign-in sends (rather than reuse a code never sent).
    state = store.load(state_key(event.user_pool_id, event.user_name), int(time.time()))
    assert state.sends == () and state.codes == ()


def test_a_user_whose_email_is_not_verified_gets_nothing_and_looks_the_same(
    aws: None, logs: list[str], counted: list[str]
) -> None:
    attributes = {"sub": "x", "email": "alice@example.com", "email_verified": "false"}
    signin = SignIn(Triggers.load(), request={"userAttributes": attributes})
    assert signin.start() == ASK_CODE
    assert signin.public == {
        "CODE_DELIVERY_DELIVERY_MEDIUM": "EMAIL",
        "CODE_DELIVERY_DESTINATION": "***@***",
        "SIGN_IN_METHOD": "EMAIL_OTP",
    }
    assert not sent_emails()
    assert any("the user's email is not verified" in line for line in logs)
    assert "DeliveriesRefused" in counted and "DeliveriesImpossible" not in counted


def test_an_alphanumeric_code_signs_in_typed_in_lower_case(
    aws: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CODE_FORMAT", "alphanumeric")
    monkeypatch.setenv("OTP_LENGTH", "13")
    signin = SignIn(Triggers.load())
    signin.start()
    [code] = re.findall(r"\b[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]\b", sent_emails()[0].body)
    assert signin.answer(code.replace("-", "")[:12]) == ASK_CODE  # one character short
    assert signin.answer(code.lower()) == ISSUED


def test_define_refuses_to_start_with_a_bad_setting(
    aws: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MAX_ATTEMPTS", "0")
    with pytest.raises(SettingsError, match="MAX_ATTEMPTS: must be a whole number from 1 to 10"):
        load_handler("define_auth_challenge")


# --- imports -----------------------------------------------------------------------------------


def test_the_define_handler_imports_no_boto3(aws: None) -> None:
    probe = (
        "import importlib.util, json, sys\n"
        "spec = importlib.util.spec_from_file_location('app', sys.argv[1])\n"
        "module = importlib.util.module_from_spec(spec); spec.loader.exec_module(module)\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('boto3', 'botocore'))))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe, str(ROOT / "functions/define_auth_challenge/app.py")],
        capture_output=True,
        text=True,
        check=True,
    )
    # Powertools' user-agent hook imports botocore's package __init__ (about 1 ms) and no more.
    assert json.loads(done.stdout) == ["botocore"]


# --- expiry, with an injected clock -------------------------------------------------------------


def test_an_emailed_code_expires(aws: None) -> None:
    from custom_auth.code_key import CodeKey
    from custom_auth.delivery import delivery_for
    from custom_auth.events import CreateAuthChallengeEvent, VerifyAuthChallengeResponseEvent
    from custom_auth.settings import CodeSettings, DeliverySettings
    from custom_auth.triggers import create_auth_challenge, verify_auth_challenge_response

    codes = CodeSettings.from_env()
    key = CodeKey(codes.code_key_secret_id)
    issued = 1_800_000_000.0
    limits = memory_limits()
    created = create_auth_challenge(
        CreateAuthChallengeEvent.from_dict(create_event([])),
        methods=code_methods(codes, delivery_for(DeliverySettings.from_env()), key),
        limits=limits,
        clock=lambda: issued,
    )
    assert created.response is not None
    private = dict(created.response.private_challenge_parameters)
    code = code_in(sent_emails()[0].body)

    def verdict(answer: str, seconds_later: float) -> bool:
        event = VerifyAuthChallengeResponseEvent.from_dict(verify_event(private, answer))
        verified = verify_auth_challenge_response(
            event,
            methods=code_methods(codes, None, key),
            limits=limits,
            clock=lambda: issued + seconds_later,
        )
        assert verified.response is not None
        return verified.response.answer_correct

    assert verdict(code, 300) is True  # the last second of CODE_TTL_SECONDS
    assert verdict(code, 301) is False
    assert verdict(wrong(code), 10) is False
