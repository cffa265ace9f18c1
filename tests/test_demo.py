"""custom-auth demo, outbox and the client-side sign-in (our own SRP client included)."""

import io
import json
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from custom_auth.model import ChallengeParameters
from custom_auth_local import signin
from custom_auth_local.cli import main
from custom_auth_local.demo import DemoError, deployment, run_demo
from custom_auth_local.stack import LocalStack
from tests.triggers import ROOT

TEMPLATE = ROOT / "template.yaml"
SENDER = {"SenderEmail": "no-reply@example.com"}


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_make_demo_walks_one_sign_in_from_nothing_but_the_repository(tmp_path: Path) -> None:
    # What `make demo` runs, in a folder of its own.
    done = subprocess.run(
        [str(Path(sys.executable).with_name("custom-auth")), "demo", "-t", str(TEMPLATE)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout
    headings = re.findall(r"^\d\. .+$", out, flags=re.MULTILINE)
    assert [h.split(" ", 1)[1].split(",")[0] for h in headings] == [
        "A local user pool",
        "AdminInitiateAuth",
        "The message that was delivered  (.custom-auth/outbox)",
        "The answer",
        "Tokens",
    ]
    assert "session=<redacted>" in out
    code = re.search(r"read from the outbox: (\d{6})", out)
    assert code is not None and f"|     {code.group(1)}" in out  # the code, as the email shows it
    assert "access_token=<redacted>" in out and "email  alice@example.com" in out
    assert "Signed in: 4 trigger calls (Define, Create, Verify, Define)" in out
    assert "then open http://127.0.0.1:4566/signin/" in out  # the page, for a browser
    assert "\033[" not in out  # not a terminal: no colour
    assert not re.search(r"[A-Za-z0-9_-]{100,}", out)  # no session string, no token
    assert '"level"' not in out + done.stderr  # the triggers' own logs stay quiet
    messages = list((tmp_path / ".custom-auth" / "outbox").glob("*.json"))
    assert len(messages) == 1


def test_the_demo_asks_for_the_code_when_interactive_and_colours_a_terminal(tmp_path: Path) -> None:
    out = Terminal()
    outbox = tmp_path / "outbox"
    asked: list[str] = []

    def ask(prompt: str) -> str:
        asked.append(prompt)
        body: str = json.loads(sorted(outbox.glob("*.json"))[-1].read_text())["body"]
        return str(re.findall(r"\d{6}", body)[0])

    run_demo(
        template=TEMPLATE,
        username="bob@example.com",
        parameter_overrides=SENDER,
        outbox=outbox,
        interactive=True,
        verbose=False,
        out=out,
        ask=ask,
    )
    assert asked == ["   code sent to ***@***: "]
    assert "\033[1;36m1. A local user pool" in out.getvalue()
    assert "Signed in" in out.getvalue()


def test_no_color_turns_colour_off(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    out = Terminal()
    run_demo(
        template=TEMPLATE,
        username="carol@example.com",
        parameter_overrides=SENDER,
        outbox=tmp_path,
        interactive=False,
        verbose=False,
        out=out,
    )
    assert "\033[" not in out.getvalue()


def test_outbox_shows_the_delivered_messages(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    outbox = tmp_path / "outbox"
    assert main(["outbox", "--outbox", str(outbox)]) == 1
    assert capsys.readouterr().err == f"custom-auth: no messages in {outbox}\n"
    run_demo(
        template=TEMPLATE,
        username="dave@example.com",
        parameter_overrides=SENDER,
        outbox=outbox,
        interactive=False,
        verbose=False,
        out=io.StringIO(),
    )
    assert main(["outbox", "--outbox", str(outbox), "--last", "--json"]) == 0
    message = json.loads(capsys.readouterr().out)
    assert (message["channel"], message["to"]) == ("email", "dave@example.com")
    assert main(["outbox", "--outbox", str(outbox)]) == 0
    listing = capsys.readouterr().out
    assert "email to dave@example.com" in listing and "subject: Your My App sign-in code" in listing


# --- the client-side sign-in, with our own SRP client ----------------------------------------


def test_sign_in_with_a_password_uses_our_srp_client(
    make_custom_auth_stack: Callable[..., LocalStack],
) -> None:
    stack = make_custom_auth_stack(parameter_overrides={**SENDER, "AuthFlow": "password+otp"})
    stack.create_user("erin@example.com", password="Corr3ct-Horse-Battery")
    client = signin.Client(stack.cognito(), stack.client_id, None, stack.user_pool_id)

    def code(_: object) -> str:
        return str(re.findall(r"\d{6}", stack.outbox.messages()[-1].body)[0])

    done = signin.sign_in(client, "erin@example.com", code, password="Corr3ct-Horse-Battery")
    assert done.authentication_result is not None
    with pytest.raises(
        signin.SignInError, match=r"NotAuthorizedException: Incorrect username or password\."
    ):
        signin.sign_in(client, "erin@example.com", code, password="Wr0ng-Horse-Battery")


def test_sign_in_without_a_pool_id_cannot_do_srp(custom_auth_stack: LocalStack) -> None:
    client = signin.Client(custom_auth_stack.cognito(), custom_auth_stack.client_id)
    with pytest.raises(signin.SignInError, match="a user pool id is needed"):
        signin.sign_in(client, "x@example.com", lambda _: "1", password="p")


# --- sign-in methods --------------------------------------------------------------------------


def headings(out: str) -> list[str]:
    return [h.split(" ", 1)[1].split(",")[0] for h in re.findall(r"^\d\. .+$", out, re.MULTILINE)]


def test_the_demo_with_the_sms_method_enables_it_and_shows_the_choice(tmp_path: Path) -> None:
    out = io.StringIO()
    run_demo(
        template=TEMPLATE,
        parameter_overrides=SENDER,
        outbox=tmp_path,
        interactive=False,
        verbose=False,
        out=out,
        method="SMS_OTP",
    )
    story = out.getvalue()
    assert headings(story) == [
        "A local user pool",
        "AdminInitiateAuth",
        "The choice of method",
        f"The message that was delivered  ({tmp_path})",
        "The answer",
        "Tokens",
    ]
    assert "user alice@example.com (username " in story and "), phone +12065550100" in story
    assert "sign-in methods (SignInMethods): EMAIL_OTP, SMS_OTP" in story
    assert "'SIGN_IN_METHOD': 'SELECT', 'SIGN_IN_METHODS': '[\"EMAIL_OTP\",\"SMS_OTP\"]'" in story
    assert "offered to this user (SIGN_IN_METHODS): EMAIL_OTP, SMS_OTP" in story
    assert 'ANSWER=SMS_OTP and ClientMetadata {"signInMethod": "SMS_OTP"}' in story
    assert "sms to +12065550100" in story
    code = re.search(r"read from the outbox: (\d{6})", story)
    assert code is not None and f"| {code.group(1)} is your My App sign-in code" in story
    assert "phone_number  +12065550100" in story
    assert (
        "Signed in: 7 trigger calls (Define, Create, Verify, Define, Create, Verify, Define)"
        in (story)
    )
    messages = [json.loads(path.read_text()) for path in tmp_path.glob("*.json")]
    assert [(m["channel"], m["to"]) for m in messages] == [("sms", "+12065550100")]


def test_the_demo_of_a_pool_that_signs_in_by_phone_uses_the_phone_number(tmp_path: Path) -> None:
    out = io.StringIO()
    run_demo(
        template=TEMPLATE,
        parameter_overrides={"SignInMethods": "SMS_OTP"},
        outbox=tmp_path,
        interactive=False,
        verbose=False,
        out=out,
    )
    story = out.getvalue()
    assert "user +12065550100 (username " in story
    assert "The choice of method" not in story and "sign-in methods" not in story
    assert "phone_number  +12065550100" in story and "email" not in story.split("5. Tokens")[1]
    assert "Signed in: 4 trigger calls (Define, Create, Verify, Define)" in story


@pytest.mark.parametrize(
    ("overrides", "method", "expected"),
    [
        ({}, None, ({}, ("EMAIL_OTP",))),
        ({}, "EMAIL_OTP", ({}, ("EMAIL_OTP",))),
        (
            {},
            "SMS_OTP",
            (
                {"SignInMethods": "EMAIL_OTP,SMS_OTP", "SmsAllowedCountryCodes": "1"},
                ("EMAIL_OTP", "SMS_OTP"),
            ),
        ),
        (
            {"SignInMethods": "SMS_OTP,EMAIL_OTP", "SmsAllowedCountryCodes": "44"},
            "EMAIL_OTP",
            (
                {"SignInMethods": "SMS_OTP,EMAIL_OTP", "SmsAllowedCountryCodes": "44"},
                ("SMS_OTP", "EMAIL_OTP"),
            ),
        ),
    ],
)
def test_the_demo_enables_the_method_only_when_the_overrides_do_not_say(
    overrides: dict[str, str], method: str | None, expected: tuple[dict[str, str], tuple[str, ...]]
) -> None:
    setup = deployment(TEMPLATE, {**SENDER, **overrides}, method)
    assert (setup.parameter_overrides, setup.methods) == ({**SENDER, **expected[0]}, expected[1])


def test_the_demo_refuses_what_it_cannot_show(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        main(
            [
                "demo",
                "-t",
                str(TEMPLATE),
                "--method",
                "SMS_OTP",
                "--parameter-overrides",
                "SignInMethods=EMAIL_OTP",
                "--outbox",
                str(tmp_path),
            ]
        )
        == 2
    )
    assert capsys.readouterr().err.endswith(
        "custom-auth: error: --method SMS_OTP: the parameter overrides enable "
        "SignInMethods=EMAIL_OTP only\n"
    )
    with pytest.raises(DemoError, match=r"--username bob@example.com: this pool's users sign in"):
        run_demo(
            template=TEMPLATE,
            username="bob@example.com",
            parameter_overrides={"SignInMethods": "SMS_OTP", "SmsAllowedCountryCodes": "1"},
            outbox=tmp_path,
            interactive=False,
            verbose=False,
            out=io.StringIO(),
        )


# --- choosing and switching, as the client sends them ----------------------------------------


class FakeCognito:
    """Answers InitiateAuth and RespondToAuthChallenge from a script; records the calls."""

    def __init__(self, *rounds: dict[str, str]) -> None:
        self.rounds = list(rounds)
        self.calls: list[dict[str, Any]] = []

    def _next(self, **call: Any) -> dict[str, Any]:
        self.calls.append(call)
        if not self.rounds:
            return {"AuthenticationResult": {"AccessToken": "a", "ExpiresIn": 3600}}
        parameters = {"USERNAME": "alice", **self.rounds.pop(0)}
        return {
            "ChallengeName": "CUSTOM_CHALLENGE",
            "Session": "s" * 40,
            "ChallengeParameters": parameters,
        }

    def initiate_auth(self, **call: Any) -> dict[str, Any]:
        return self._next(**call)

    def respond_to_auth_challenge(self, **call: Any) -> dict[str, Any]:
        return self._next(**call)


CHOICE = {"SIGN_IN_METHOD": "SELECT", "SIGN_IN_METHODS": '["EMAIL_OTP","SMS_OTP"]'}
EMAIL_ROUND = {
    "CODE_DELIVERY_DELIVERY_MEDIUM": "EMAIL",
    "CODE_DELIVERY_DESTINATION": "***@***",
    "SIGN_IN_METHOD": "EMAIL_OTP",
}
SMS_ROUND = {
    "CODE_DELIVERY_DELIVERY_MEDIUM": "SMS",
    "CODE_DELIVERY_DESTINATION": "+***",
    "SIGN_IN_METHOD": "SMS_OTP",
}
SEVERAL = {"SIGN_IN_METHODS": CHOICE["SIGN_IN_METHODS"]}


def sent(cognito: FakeCognito) -> list[tuple[str, dict[str, str] | None]]:
    """(ANSWER, ClientMetadata) of each respond call."""
    return [
        (call["ChallengeResponses"]["ANSWER"], call.get("ClientMetadata"))
        for call in cognito.calls[1:]
    ]


@pytest.mark.parametrize(("method", "chosen"), [(None, "EMAIL_OTP"), ("SMS_OTP", "SMS_OTP")])
def test_a_choice_is_answered_with_the_method_in_the_answer_and_the_metadata(
    method: str | None, chosen: str
) -> None:
    cognito = FakeCognito(
        CHOICE, {**(SMS_ROUND if chosen == "SMS_OTP" else EMAIL_ROUND), **SEVERAL}
    )
    asked: list[str | None] = []

    def code(parameters: ChallengeParameters) -> str:
        asked.append(signin.round_method(parameters))
        return "123456"

    signin.sign_in(signin.Client(cognito, "client"), "alice", code, method=method)
    assert asked == [chosen]  # the choice itself is not asked for
    assert sent(cognito) == [(chosen, {"signInMethod": chosen}), ("123456", None)]


def test_a_code_round_answered_with_another_methods_name_switches() -> None:
    cognito = FakeCognito(CHOICE, {**EMAIL_ROUND, **SEVERAL}, {**SMS_ROUND, **SEVERAL})
    answers = iter(["SMS_OTP", "654321"])
    signin.sign_in(signin.Client(cognito, "client"), "alice", lambda _: next(answers))
    assert sent(cognito) == [
        ("EMAIL_OTP", {"signInMethod": "EMAIL_OTP"}),
        ("SMS_OTP", {"signInMethod": "SMS_OTP"}),
        ("654321", None),
    ]


@pytest.mark.parametrize(
    ("rounds", "method", "message"),
    [
        (
            [EMAIL_ROUND],
            "SMS_OTP",
            "MethodNotEnabled: SMS_OTP is not enabled for this pool; its only sign-in method is "
            "EMAIL_OTP",
        ),
        (
            [{**CHOICE, "SIGN_IN_METHODS": '["EMAIL_OTP"]'}],
            "SMS_OTP",
            "MethodNotOffered: SMS_OTP is not offered to this user; the pool offers EMAIL_OTP",
        ),
        (
            [{**CHOICE, "SIGN_IN_METHODS": "EMAIL_OTP"}],
            None,
            "InvalidChallenge: SIGN_IN_METHODS is not a JSON list of names",
        ),
        ([{"SIGN_IN_METHOD": "SELECT"}], None, "InvalidChallenge: a choice of method that offers"),
    ],
)
def test_a_method_that_cannot_be_had_fails_before_a_code_is_asked_for(
    rounds: list[dict[str, str]], method: str | None, message: str
) -> None:
    cognito = FakeCognito(*rounds)

    def never(_: ChallengeParameters) -> str:
        raise AssertionError("no code should be asked for")

    with pytest.raises(signin.SignInError, match=re.escape(message)):
        signin.sign_in(signin.Client(cognito, "client"), "alice", never, method=method)
    assert len(cognito.calls) == 1  # nothing answered


def test_a_pool_that_names_no_method_is_answered_as_before() -> None:
    # A deployment from before sign-in methods: no SIGN_IN_METHOD, and --method is no obstacle.
    cognito = FakeCognito({"CODE_DELIVERY_DELIVERY_MEDIUM": "EMAIL"})
    signin.sign_in(signin.Client(cognito, "client"), "alice", lambda _: "1", method="SMS_OTP")
    assert sent(cognito) == [("1", None)]
