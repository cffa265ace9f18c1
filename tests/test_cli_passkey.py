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


def test_invoke_runs_the_passkey_samples_against_the_sample_passkey(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from custom_auth_local.sample_events import PASSKEYS as SAMPLE_DEPLOYMENT
    from custom_auth_local.sample_events import SAMPLE_TIME
    from tests.test_cli import run
    from tests.triggers import ROOT

    overrides = [f"{k}={v}" for k, v in SAMPLE_DEPLOYMENT.items()]
    for scenario, right in (("passkey_right_assertion", True), ("passkey_bad_signature", False)):
        event = ROOT / "events" / "verify_auth_challenge_response" / f"{scenario}.json"
        code, result, _ = run(
            capsys, "invoke", "VerifyAuthChallengeResponseFunction", "--event", str(event),
            "--template", str(ROOT / "template.yaml"), "--at", str(SAMPLE_TIME + 30),
            "--parameter-overrides", "SenderEmail=no-reply@example.com", *overrides,
        )  # fmt: skip
        assert (code, result["response"]) == (0, {"answerCorrect": right}), scenario
