"""custom-auth demo, outbox and the client-side sign-in (our own SRP client included)."""

import io
import json
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from custom_auth_local import signin
from custom_auth_local.cli import main
from custom_auth_local.demo import run_demo
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
