"""``custom-auth sign-in --sign-up``: the same prompts for an address with an account and a new
one; a new one's code makes the account and signs in to it; a malformed one is a usage error."""

import json
from pathlib import Path
from typing import Any

import pytest

from custom_auth_local.demo import QUIET_TRIGGERS
from tests.test_cli import run
from tests.triggers import code_in

EMAIL = "alice@example.com"
NEW = "newcomer@example.com"
SIGN_UP = {"SenderEmail": "no-reply@example.com", "PasswordlessSignUp": "true"}


@pytest.fixture
def stack(make_custom_auth_stack: Any) -> Any:
    made = make_custom_auth_stack(parameter_overrides=SIGN_UP, env_overrides=QUIET_TRIGGERS)
    made.create_user(EMAIL)
    return made


@pytest.fixture
def stack_file(stack: Any, tmp_path: Path) -> Path:
    """What `custom-auth serve` writes, for the in-process pool (no endpoint: moto answers)."""
    path = tmp_path / "stack.json"
    description = {"client_id": stack.client_id, "user_pool_id": stack.user_pool_id}
    path.write_text(json.dumps({**description, "region": stack.region}))
    return path


def answering_from_the_outbox(monkeypatch: pytest.MonkeyPatch, stack: Any) -> list[str]:
    prompts: list[str] = []

    def typed(prompt: str) -> str:
        prompts.append(prompt)
        return code_in(stack.outbox.messages()[-1].body)

    monkeypatch.setattr("builtins.input", typed)
    return prompts


def test_a_new_address_gets_an_account_and_is_signed_in(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    stack: Any,
    stack_file: Path,
) -> None:
    prompts = answering_from_the_outbox(monkeypatch, stack)
    argv = ["sign-in", "--sign-up", "--username", NEW, "--stack-file", str(stack_file)]
    code, output, _ = run(capsys, *argv)
    assert code == 0, output
    assert f"Your account is ready: {NEW} is proven. Signing you in to it…" in output
    assert output.rstrip().endswith("valid for 3600 s.")
    assert len(prompts) == 1 and len(stack.outbox.messages()) == 1  # asked once, sent once
    made = stack.cognito().admin_get_user(UserPoolId=stack.user_pool_id, Username=NEW)
    assert {"Name": "email_verified", "Value": "true"} in made["UserAttributes"]


def test_an_address_with_an_account_gets_the_same_prompts(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    stack: Any,
    stack_file: Path,
) -> None:
    prompts = answering_from_the_outbox(monkeypatch, stack)
    for username in (EMAIL, NEW):
        argv = ["sign-in", "--sign-up", "--username", username, "--stack-file", str(stack_file)]
        assert run(capsys, *argv)[0] == 0
    assert prompts[0] == prompts[1] == "Code sent by email to ***@***: "


@pytest.mark.parametrize("username", ["not-an-address", "+1234", "alice@", "ada"])
def test_a_malformed_address_is_a_usage_error_naming_the_field(
    capsys: pytest.CaptureFixture[str], stack: Any, stack_file: Path, username: str
) -> None:
    argv = ["sign-in", "--sign-up", "--username", username, "--stack-file", str(stack_file)]
    code, _, errors = run(capsys, *argv)
    assert code == 2
    assert "--username: with --sign-up, must be an email address (name@example.com)" in errors
    assert stack.pool.invocations == []  # nothing was called


def test_without_sign_up_a_new_address_cannot_sign_in(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    stack: Any,
    stack_file: Path,
) -> None:
    monkeypatch.setattr("builtins.input", lambda prompt: "123456")
    argv = ["sign-in", "--username", NEW, "--stack-file", str(stack_file)]
    code, _, errors = run(capsys, *argv)
    assert code == 1 and "NotAuthorizedException" in errors
    assert stack.outbox.messages() == []  # no address sent, so nothing to send to
