"""No code, answer, hash, key or private parameter ever reaches a log line or the client."""

import json
import logging
from collections.abc import Iterator, Mapping
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from custom_auth import triggers
from custom_auth.events import CreateAuthChallengeEvent
from custom_auth.observability import logger
from custom_auth.otp import CodeRecord, CodeSpec, generate_code
from custom_auth.rounds import Round, parse_round
from custom_auth.settings import Channel, CodeSettings
from tests.triggers import (
    CODE_KEY,
    CUSTOM,
    Context,
    FixedKey,
    SignIn,
    Triggers,
    code_in,
    code_methods,
    create_event,
    define_event,
    entry,
    leaked,
    memory_limits,
    records_written,
    sent_emails,
    sent_sms,
    verify_event,
)


@pytest.fixture
def debug_everywhere(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> Iterator[None]:
    """The triggers' logger and the root logger at DEBUG, and event logging asked for."""
    monkeypatch.setenv("POWERTOOLS_LOGGER_LOG_EVENT", "true")  # the handlers must overrule it
    previous = logger.log_level
    logger.setLevel(logging.DEBUG)
    caplog.set_level(logging.DEBUG)  # root: botocore, urllib3, Powertools' own loggers
    try:
        yield
    finally:
        logger.setLevel(previous)


def everything_written(
    logs: list[str], caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> str:
    captured = capfd.readouterr()
    return "\n".join([*logs, *records_written(caplog.records), captured.out, captured.err])


def test_no_secret_in_any_log_line_at_debug(
    aws: None,
    debug_everywhere: None,
    monkeypatch: pytest.MonkeyPatch,
    logs: list[str],
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    secrets_seen: set[str] = {CODE_KEY}

    def remember(signin: SignIn) -> None:
        if "codeHash" in signin._private:  # issuedAt is a timestamp, not a secret
            secrets_seen.add(signin._private["codeHash"])
        secrets_seen.add(signin._private["signIn"])  # the id that keys the sign-in's choices
        if signin._metadata:
            secrets_seen.add(signin._metadata)

    # Email: a wrong answer, then the right one.
    signin = SignIn(Triggers.load())
    signin.start()
    remember(signin)
    code = code_in(sent_emails()[0].body)
    wrong = "999999" if code != "999999" else "111111"
    secrets_seen.update({code, wrong})
    signin.answer(f" {wrong} ")
    remember(signin)
    signin.answer(code)

    # SMS, an unknown user, malformed events and a failing delivery.
    monkeypatch.setenv("SIGN_IN_METHODS", "SMS_OTP")
    monkeypatch.setenv("SMS_ALLOWED_COUNTRY_CODES", "1")
    sms = SignIn(Triggers.load())
    sms.start()
    remember(sms)
    sms_code = code_in(sent_sms()[0][1])
    secrets_seen.add(sms_code)
    sms.answer(sms_code)
    unknown = SignIn(Triggers.load(), request={"userNotFound": True, "userAttributes": {}})
    unknown.start()
    remember(unknown)
    unknown.answer("424242")
    secrets_seen.add("424242")
    handlers = Triggers.load()
    handlers.define.lambda_handler(define_event([entry(CUSTOM, "true")]), Context())
    bad = verify_event({"codeHash": "PRIVATE-HASH-MARKER"}, "ANSWER-MARKER-8086")
    handlers.verify.lambda_handler(bad, Context())
    secrets_seen.update({"PRIVATE-HASH-MARKER", "ANSWER-MARKER-8086"})
    # Both methods: a choice, a code typed where the choice goes, a switch, a second switch
    # attempt, a right code.
    monkeypatch.setenv("SIGN_IN_METHODS", "EMAIL_OTP,SMS_OTP")
    both = SignIn(Triggers.load())
    both.start()
    remember(both)
    both.answer("775577")  # a code typed in the choice: refused, and never logged
    secrets_seen.add("775577")
    both.answer("EMAIL_OTP")
    remember(both)
    both.answer("SMS_OTP")
    remember(both)
    switched_code = code_in(sent_sms()[-1][1])
    secrets_seen.add(switched_code)
    both.answer("EMAIL_OTP")
    both.answer(switched_code)
    monkeypatch.setenv("SIGN_IN_METHODS", "EMAIL_OTP")
    monkeypatch.setenv("SENDER_EMAIL", "unverified@example.org")
    fresh = create_event([])
    fresh["userName"] = "another-user"  # no code of the user above to reuse: a send, refused
    with pytest.raises(Exception, match="could not complete"):
        Triggers.load().create.lambda_handler(fresh, Context())

    written = everything_written(logs, caplog, capfd)
    assert any(record.levelno == logging.DEBUG for record in caplog.records)  # DEBUG was on
    assert "define decision" in written and "answer checked" in written
    assert len(secrets_seen) >= 10
    found = leaked(secrets_seen, written)
    assert not found, f"secrets in the logs (lengths): {found}"


@st.composite
def create_cases(draw: st.DrawFn) -> dict[str, Any]:
    channel = draw(st.sampled_from(list(Channel)))
    attributes = draw(
        st.fixed_dictionaries(
            {},
            optional={
                "email": st.emails(),
                "phone_number": st.from_regex(r"\+[1-9][0-9]{7,14}", fullmatch=True),
                "name": st.text(max_size=20),
            },
        )
    )
    later = draw(st.booleans())
    return {
        "channel": channel,
        "length": draw(st.integers(6, 20)),
        "user_name": draw(st.text(min_size=1, max_size=40)),
        "user_not_found": draw(st.booleans()),
        "attributes": attributes,
        "later_round": later,
        "now": draw(st.integers(1_600_000_000, 2_000_000_000)),
    }


class FakeDelivery:
    """Records what would be sent."""

    def __init__(self, channel: Channel) -> None:
        self.channel = channel
        self.attribute = "email" if channel is Channel.EMAIL else "phone_number"
        self.sent: list[tuple[str, str]] = []

    def mask(self, destination: str) -> str:
        return "masked:" + str(len(destination))

    def refusal(self, attributes: Mapping[str, str]) -> str | None:
        return None if attributes.get(self.attribute) else "none"

    def send(
        self,
        destination: str,
        code: str,
        ttl_seconds: int,
        *,
        lockout: bool = False,
        link: str | None = None,
    ) -> None:
        self.sent.append((destination, code))


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(create_cases())
def test_no_code_or_hash_in_public_parameters_or_metadata(
    monkeypatch: pytest.MonkeyPatch, case: dict[str, Any]
) -> None:
    generated: list[str] = []

    def recording(spec: CodeSpec) -> str:
        generated.append(generate_code(spec))
        return generated[-1]

    monkeypatch.setattr("custom_auth.methods.code.generate_code", recording)
    delivery = FakeDelivery(case["channel"])
    codes = CodeSettings("fixed", case["length"], 300)
    session = []
    if case["later_round"]:
        earlier = CodeRecord("EARLIER-HASH", case["now"] - 10, case["channel"], "masked:9")
        method = f"{case['channel'].value.upper()}_OTP"
        round_ = Round(method, False, "sign-in-id", earlier.to_metadata())
        session = [entry(CUSTOM, False, round_.to_metadata())]
    raw = create_event(
        session, userNotFound=case["user_not_found"], userAttributes=case["attributes"]
    )
    raw["userName"] = case["user_name"]
    event = CreateAuthChallengeEvent.from_dict(raw)

    created = triggers.create_auth_challenge(
        event,
        methods=code_methods(codes, delivery, FixedKey()),
        limits=memory_limits(),
        clock=lambda: case["now"],
    )
    response = created.to_dict()["response"]
    public, private = response["publicChallengeParameters"], response["privateChallengeParameters"]
    described = parse_round(response["challengeMetadata"])
    assert described is not None
    metadata = json.loads(described.body.removeprefix("otp1:"))

    assert set(public) == {
        "CODE_DELIVERY_DELIVERY_MEDIUM",
        "CODE_DELIVERY_DESTINATION",
        "SIGN_IN_METHOD",
    }
    assert public["SIGN_IN_METHOD"] == described.method
    assert set(metadata) - {"k"} == {"h", "t", "c", "d", "s"}  # k: the key version, if known
    assert metadata["h"] == private["codeHash"]
    public_text = json.dumps(public)
    for code in generated:
        assert code not in public_text
        assert all(code not in str(metadata[field]) for field in ("h", "c", "d"))
    assert private["codeHash"] not in public_text
    if case["later_round"]:
        assert not generated and not delivery.sent  # the code already sent stands
        assert metadata["h"] == "EARLIER-HASH"
    else:
        assert metadata["t"] == case["now"]
        expected_sent = not case["user_not_found"] and bool(
            case["attributes"].get(delivery.attribute)
        )
        assert len(generated) == (1 if expected_sent else 0)  # no code made for no one
        assert delivery.sent == (
            [(case["attributes"][delivery.attribute], generated[0])] if expected_sent else []
        )


def test_the_leak_check_finds_a_code_on_its_own_and_not_inside_a_longer_run() -> None:
    # What the log checks above rely on: a code logged is found wherever it stands on its own;
    # the same digits inside a clock or an id are not a leak; other secrets are found anywhere.
    for logged in ("code=248565", '{"answer": "248565"}', "248565", "sent 248565."):
        assert leaked({"248565"}, logged) == [6]
    for chance in ("'relativeCreated': 146414.86024856567", "id a248565f", "1248565"):
        assert leaked({"248565"}, chance) == []
    assert leaked({"aGVsbG8", "248565"}, "xaGVsbG8x") == [7]
