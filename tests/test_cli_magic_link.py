"""``custom-auth sign-in`` with MAGIC_LINK: the link shown from the local outbox and used, a
link or URL pasted back, and ``--redeem`` for a link received already."""

import json
from pathlib import Path
from typing import Any

import pytest

from custom_auth_local.demo import QUIET_TRIGGERS
from tests.test_cli import run
from tests.triggers import code_in

EMAIL = "alice@example.com"
LINKS = {
    "SenderEmail": "no-reply@example.com",
    "SignInMethods": "EMAIL_OTP,MAGIC_LINK",
    "MagicLinkRedirectUris": "http://localhost:4566/signin/,https://app.example.com/in",
}


@pytest.fixture
def stack(make_custom_auth_stack: Any) -> Any:
    made = make_custom_auth_stack(parameter_overrides=LINKS, env_overrides=QUIET_TRIGGERS)
    made.create_user(EMAIL)
    return made


@pytest.fixture
def stack_file(stack: Any, tmp_path: Path) -> Path:
    """What `custom-auth serve` writes, for the in-process pool (no endpoint: moto answers)."""
    path = tmp_path / "stack.json"
    description = {
        "client_id": stack.client_id,
        "user_pool_id": stack.user_pool_id,
        "region": stack.region,
        "outbox": str(stack.outbox.directory),
    }
    path.write_text(json.dumps(description))
    return path


def typing(monkeypatch: pytest.MonkeyPatch, answers: list[str]) -> list[str]:
    prompts: list[str] = []

    def typed(prompt: str) -> str:
        prompts.append(prompt)
        return answers.pop(0)

    monkeypatch.setattr("builtins.input", typed)
    return prompts


def url_in(body: str) -> str:
    [url] = [word for word in body.split() if "#magic-link=" in word]
    return url


def test_the_link_from_the_outbox_is_shown_and_enter_uses_it(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    stack: Any,
    stack_file: Path,
) -> None:
    prompts = typing(monkeypatch, [""])
    argv = ["sign-in", "--username", EMAIL, "--stack-file", str(stack_file)]
    code, output, _ = run(capsys, *argv, "--method", "MAGIC_LINK")
    [message] = stack.outbox.messages()
    assert code == 0, output
    assert f"Sign-in link (from the local outbox):\n  {url_in(message.body)}" in output
    assert prompts == ["Press Enter to use it, or paste a link or type the code from the email: "]
    assert output.rstrip().endswith("valid for 3600 s.")
    assert len(stack.pool.invocations) == 7


def test_the_code_or_a_pasted_url_answers_instead(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    stack: Any,
    stack_file: Path,
) -> None:
    argv = ["sign-in", "--username", EMAIL, "--stack-file", str(stack_file)]
    answers = ["placeholder"]

    def typed(prompt: str) -> str:
        body = stack.outbox.messages()[-1].body
        return code_in(body) if answers.pop() == "placeholder" else url_in(body)

    monkeypatch.setattr("builtins.input", typed)
    assert run(capsys, *argv, "--method", "MAGIC_LINK")[0] == 0  # the code
    answers.append("url")
    assert len(stack.outbox.messages()) == 1
    assert run(capsys, *argv, "--method", "MAGIC_LINK")[0] == 0  # the URL, pasted
    assert len(stack.outbox.messages()) == 2  # the used code ended the cooldown: a new email


def test_redeem_signs_in_with_a_link_received_already_and_sends_nothing(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    stack: Any,
    stack_file: Path,
) -> None:
    # A sign-in elsewhere sent the email, and is left waiting.
    argv = ["sign-in", "--username", EMAIL, "--stack-file", str(stack_file)]
    monkeypatch.setattr("builtins.input", lambda prompt: (_ for _ in ()).throw(EOFError()))
    with pytest.raises(EOFError):
        run(capsys, *argv, "--method", "MAGIC_LINK")
    capsys.readouterr()
    [message] = stack.outbox.messages()
    url = url_in(message.body)
    redeem = ["sign-in", "--redeem", url, "--stack-file", str(stack_file)]
    code, output, err = run(capsys, *redeem)
    assert code == 0, err
    assert output.startswith("Signed in as ")  # the user name from the link
    assert len(stack.outbox.messages()) == 1
    # The link signed in once: again, it is a failed sign-in.
    code, _, err = run(capsys, *redeem)
    assert code == 1 and "sign-in failed: NotAuthorizedException" in err


def test_redeem_of_what_is_not_a_link_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], stack_file: Path
) -> None:
    code, _, err = run(capsys, "sign-in", "--redeem", "123456", "--stack-file", str(stack_file))
    assert code == 2
    assert "--redeem: must be a sign-in link, or the URL of one" in err


def test_a_redirect_uri_names_the_page_and_one_off_the_list_fails(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    stack: Any,
    stack_file: Path,
) -> None:
    typing(monkeypatch, [""])
    argv = ["sign-in", "--username", EMAIL, "--stack-file", str(stack_file), "--method"]
    page = ["--redirect-uri", "https://app.example.com/in"]
    assert run(capsys, *argv, "MAGIC_LINK", *page)[0] == 0
    assert url_in(stack.outbox.messages()[-1].body).startswith("https://app.example.com/in#")
    off = ["--redirect-uri", "https://evil.example/in"]
    code, _, err = run(capsys, *argv, "MAGIC_LINK", *off)
    assert code == 1 and "sign-in failed" in err
