"""``custom-auth sign-in`` and PASSKEY: a terminal has no authenticator, so a passkey's round
stops the command, saying why (the other methods are chosen without --method)."""

import json
from typing import Any

import pytest

from tests.test_pool_passkey import EMAIL, PASSKEYS


def test_the_cli_stops_at_a_passkeys_round_saying_why(
    make_custom_auth_stack: Any, tmp_path: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    from custom_auth_local.demo import QUIET_TRIGGERS
    from tests.test_cli import run

    only = make_custom_auth_stack(
        parameter_overrides={**PASSKEYS, "SignInMethods": "PASSKEY", "SenderEmail": ""},
        env_overrides=QUIET_TRIGGERS,
    )
    only.create_user(EMAIL)
    stack_file = tmp_path / "stack.json"
    description = {"client_id": only.client_id, "user_pool_id": only.user_pool_id}
    stack_file.write_text(json.dumps({**description, "region": only.region}))
    code, _, error = run(capsys, "sign-in", "--username", EMAIL, "--stack-file", str(stack_file))
    assert code != 0
    assert "PasskeyNeedsABrowser" in error and "sign-in page" in error
