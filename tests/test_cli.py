"""The custom-auth command line: invoke and generate-event."""

import json
import os
from pathlib import Path
from typing import Any

import pytest

from custom_auth_local.cli import main
from custom_auth_local.demo import QUIET_TRIGGERS
from custom_auth_local.sample_events import SAMPLE_CODE
from tests.triggers import ROOT, code_in

NEW_SIGN_IN = str(ROOT / "events/define_auth_challenge/new_sign_in.json")
FIRST_ROUND = str(ROOT / "events/create_auth_challenge/first_round.json")
RIGHT_ANSWER = str(ROOT / "events/verify_auth_challenge_response/right_answer.json")
TEMPLATE = str(ROOT / "template.yaml")


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, Any, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    output = (
        json.loads(captured.out) if captured.out.strip().startswith(("{", "[")) else captured.out
    )
    return code, output, captured.err


@pytest.fixture(autouse=True)
def isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No AWS settings of the developer's shell; the outbox in a temporary folder."""
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


def test_invoke_prints_the_returned_event(capsys: pytest.CaptureFixture[str]) -> None:
    code, output, err = run(
        capsys, "invoke", "DefineAuthChallengeFunction", "-t", TEMPLATE, "--event", NEW_SIGN_IN
    )
    assert code == 0
    assert output["response"] == {
        "challengeName": "CUSTOM_CHALLENGE",
        "issueTokens": False,
        "failAuthentication": False,
    }
    assert output["request"] == json.loads(Path(NEW_SIGN_IN).read_text())["request"]
    assert "REPORT DefineAuthChallengeFunction Duration:" in err


def test_invoke_create_writes_the_message_to_the_outbox(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, output, err = run(
        capsys, "invoke", "CreateAuthChallengeFunction", "-t", TEMPLATE, "--event", FIRST_ROUND
    )
    assert code == 0
    assert "outbox: 1 message(s) written to .custom-auth/outbox" in err
    [path] = (tmp_path / ".custom-auth" / "outbox").glob("*.json")
    message = json.loads(path.read_text())
    assert set(message) == {"channel", "to", "subject", "body", "sent_at"}
    assert (message["channel"], message["to"]) == ("email", "alice@example.com")
    assert message["subject"] == "Your My App sign-in code"
    code_in(message["body"])  # exactly one code, in the plain-text body
    assert output["response"]["publicChallengeParameters"]["CODE_DELIVERY_DESTINATION"] == "***@***"


def test_invoke_sms_with_parameter_overrides(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, _, _ = run(
        capsys,
        "invoke",
        "CreateAuthChallengeFunction",
        "-t",
        TEMPLATE,
        "--event",
        str(ROOT / "events/create_auth_challenge/sms_first_round.json"),
        "--parameter-overrides",
        "SignInMethods=SMS_OTP",
        "SmsAllowedCountryCodes=1",
        "AppName='Acme Books'",
    )
    assert code == 0
    [path] = (tmp_path / ".custom-auth" / "outbox").glob("*.json")
    message = json.loads(path.read_text())
    assert (message["channel"], message["to"]) == ("sms", "+12065550100")
    assert "your Acme Books sign-in code" in message["body"]


def test_invoke_verify_at_the_samples_issue_time(capsys: pytest.CaptureFixture[str]) -> None:
    base = (
        "invoke",
        "VerifyAuthChallengeResponseFunction",
        "-t",
        TEMPLATE,
        "--event",
        RIGHT_ANSWER,
    )
    assert run(capsys, *base, "--at", "2026-11-22T00:01:00Z")[1]["response"] == {
        "answerCorrect": True
    }
    assert run(capsys, *base, "--at", "1795305660")[1]["response"] == {"answerCorrect": True}
    assert run(capsys, *base)[1]["response"] == {"answerCorrect": False}  # long expired by now


def test_a_generated_event_is_fresh_enough_to_verify(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, event, _ = run(capsys, "generate-event", "verify", "--scenario", "right_answer")
    assert code == 0
    assert event["request"]["challengeAnswer"] == SAMPLE_CODE
    path = tmp_path / "fresh.json"
    path.write_text(json.dumps(event))
    _, output, _ = run(
        capsys,
        "invoke",
        "VerifyAuthChallengeResponseFunction",
        "-t",
        TEMPLATE,
        "--event",
        str(path),
    )
    assert output["response"] == {"answerCorrect": True}


def test_env_vars_override_in_sams_format(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    env = tmp_path / "env.json"
    env.write_text(
        json.dumps(
            {
                "Parameters": {"MAX_ATTEMPTS": 1},
                "DefineAuthChallengeFunction": {"AUTH_FLOW": "password+otp"},
            }
        )
    )
    _, output, _ = run(
        capsys,
        "invoke",
        "DefineAuthChallengeFunction",
        "-t",
        TEMPLATE,
        "--event",
        NEW_SIGN_IN,
        "--env-vars",
        str(env),
    )
    # password+otp refuses a sign-in that does not start with SRP_A.
    assert output["response"]["failAuthentication"] is True


def test_a_function_that_raises_is_reported_as_lambda_reports_it(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    env = tmp_path / "env.json"
    env.write_text(
        json.dumps({"CreateAuthChallengeFunction": {"CODE_KEY_SECRET_ID": "no-such-secret"}})
    )
    code, output, _ = run(
        capsys,
        "invoke",
        "CreateAuthChallengeFunction",
        "-t",
        TEMPLATE,
        "--event",
        FIRST_ROUND,
        "--env-vars",
        str(env),
    )
    assert code == 1
    assert output["errorType"] == "TriggerError"
    assert output["errorMessage"].startswith("CreateAuthChallenge could not complete")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["invoke", "Nope", "--event", NEW_SIGN_IN],
            "no function Nope in template.yaml; it has DefineAuthChallengeFunction",
        ),
        (
            ["invoke", "DefineAuthChallengeFunction", "--event", "missing.json"],
            "--event missing.json: cannot read it",
        ),
        (
            ["invoke", "DefineAuthChallengeFunction", "--event", TEMPLATE],
            f"--event {TEMPLATE}: not valid JSON (line 1",
        ),
        (
            [
                "invoke",
                "DefineAuthChallengeFunction",
                "--event",
                NEW_SIGN_IN,
                "--parameter-overrides",
                "MaxAttempts=11",
            ],
            "parameter MaxAttempts: must be from 1 to 10",
        ),
        (
            [
                "invoke",
                "DefineAuthChallengeFunction",
                "--event",
                NEW_SIGN_IN,
                "--parameter-overrides",
                "MaxAttempts",
            ],
            "--parameter-overrides: 'MaxAttempts' is not Key=Value",
        ),
        (
            [
                "invoke",
                "DefineAuthChallengeFunction",
                "--event",
                NEW_SIGN_IN,
                "--parameter-overrides",
                "Nope=1",
            ],
            "unknown parameter Nope",
        ),
        (
            ["invoke", "DefineAuthChallengeFunction", "--event", NEW_SIGN_IN, "--at", "soon"],
            "--at 'soon': not seconds since the epoch",
        ),
        (
            [
                "invoke",
                "DefineAuthChallengeFunction",
                "--event",
                NEW_SIGN_IN,
                "--at",
                "2026-11-22T00:00:00",
            ],
            "give the offset",
        ),
        (
            [
                "invoke",
                "DefineAuthChallengeFunction",
                "--event",
                NEW_SIGN_IN,
                "--at",
                "1",
                "--real-aws",
            ],
            "--at pins the clock of the local stand-ins",
        ),
        (
            ["generate-event", "verify", "--scenario", "nope"],
            "no scenario 'nope' for verify; choose one of right_answer",
        ),
    ],
)
def test_bad_input_gets_a_one_line_error_and_exit_2(
    capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    if argv[0] == "invoke" and "-t" not in argv:
        argv = [*argv, "-t", TEMPLATE]
    code, output, err = run(capsys, *argv)
    assert code == 2
    assert output == ""
    assert err.startswith("custom-auth: error: ")
    assert message in err
    assert err.count("\n") == 1


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("[]", "--env-vars {}: must be a JSON object"),
        ('{"Parameters": []}', "--env-vars {}: Parameters must be an object"),
        (
            '{"DefineAuthChallengeFunction": {"X": {"a": 1}}}',
            "DefineAuthChallengeFunction.X must be a string or number",
        ),
    ],
)
def test_bad_env_vars_files_are_refused(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, content: str, message: str
) -> None:
    env = tmp_path / "env.json"
    env.write_text(content)
    code, _, err = run(
        capsys,
        "invoke",
        "DefineAuthChallengeFunction",
        "-t",
        TEMPLATE,
        "--event",
        NEW_SIGN_IN,
        "--env-vars",
        str(env),
    )
    assert code == 2
    assert message.format(env) in err


def test_generate_event_lists_scenarios_and_uses_the_given_pool(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, listing, _ = run(capsys, "generate-event", "define", "--list")
    assert code == 0
    assert listing.split() == [
        "new_sign_in",
        "after_right_answer",
        "after_wrong_answer",
        "after_last_wrong_answer",
        "after_srp_a",
        "after_right_password",
        "after_wrong_password",
        "unknown_user",
        "after_forged_round",
        "after_choice",
        "after_refused_choice",
        "after_choice_and_right_answer",
        "after_switch_and_right_answer",
        "sign_up_after_its_code",
        "after_passkey_right_assertion",
    ]
    assert run(capsys, "generate-event", "create", "--list")[1].split() == [
        "first_round",
        "later_round",
        "unknown_user",
        "sms_first_round",
        "choice_round",
        "after_refused_choice",
        "after_choice",
        "after_switch",
        "sign_up_first_round",
        "passkey_round",
    ]
    assert run(capsys, "generate-event", "verify", "--list")[1].split() == [
        "right_answer",
        "wrong_answer",
        "expired_answer",
        "malformed_answer",
        "unknown_user",
        "choice",
        "bad_choice",
        "switch",
        "second_switch",
        "sign_up_choice",
        "passkey_choice",
        "passkey_right_assertion",
        "passkey_bad_signature",
    ]
    _, event, _ = run(
        capsys, "generate-event", "create", "--user-pool-id", "eu-west-1_Pool", "--username", "bob"
    )
    assert (event["userPoolId"], event["region"], event["userName"]) == (
        "eu-west-1_Pool",
        "eu-west-1",
        "bob",
    )
    assert event["triggerSource"] == "CreateAuthChallenge_Authentication"


def test_an_unknown_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["deploy"])
    assert caught.value.code == 2
    assert "invalid choice: 'deploy'" in capsys.readouterr().err


# --- sign-in methods ----------------------------------------------------------------------------


def test_a_generated_event_of_another_deployment_says_which(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, event, err = run(capsys, "generate-event", "verify", "--scenario", "choice")
    assert code == 0
    assert event["request"]["privateChallengeParameters"]["signInMethod"] == "SELECT"
    assert event["request"]["challengeAnswer"] == "EMAIL_OTP"
    assert err == (
        "custom-auth: an event for --parameter-overrides SignInMethods=EMAIL_OTP,SMS_OTP "
        "SmsAllowedCountryCodes=1\n"
    )
    _, event, err = run(capsys, "generate-event", "create", "--scenario", "after_choice")
    assert [entry["challengeMetadata"].split(":")[1] for entry in event["request"]["session"]] == [
        "SELECT"
    ]
    assert "reads the choice that events/verify_auth_challenge_response/choice.json" in err
    assert run(capsys, "generate-event", "define")[2] == ""  # the default deployment's


def test_the_multi_config_env_runs_the_choosing_samples(capsys: pytest.CaptureFixture[str]) -> None:
    choice_round = str(ROOT / "events/create_auth_challenge/choice_round.json")
    base = ("invoke", "CreateAuthChallengeFunction", "-t", TEMPLATE, "--event", choice_round)
    code, output, err = run(capsys, *base, "--config-env", "multi")
    assert code == 0 and "outbox:" not in err  # a choice sends nothing
    assert output["response"]["publicChallengeParameters"] == {
        "SIGN_IN_METHOD": "SELECT",
        "SIGN_IN_METHODS": '["EMAIL_OTP","SMS_OTP"]',
    }
    # The same event, to the default deployment (EMAIL_OTP alone): first_round.json.
    _, output, err = run(capsys, *base)
    assert output["response"]["publicChallengeParameters"]["SIGN_IN_METHOD"] == "EMAIL_OTP"
    assert "outbox: 1 message(s)" in err


@pytest.mark.parametrize("command", ["sign-in", "demo"])
def test_an_unknown_method_is_an_argparse_error(
    capsys: pytest.CaptureFixture[str], command: str
) -> None:
    with pytest.raises(SystemExit) as caught:
        main([command, "--username", "a@example.com", "--method", "PASSKEY"])
    assert caught.value.code == 2
    assert (
        "argument --method: invalid choice: 'PASSKEY' "
        "(choose from 'EMAIL_OTP', 'SMS_OTP', 'MAGIC_LINK')" in capsys.readouterr().err
    )


SEVERAL = {
    "SenderEmail": "no-reply@example.com",
    "SignInMethods": "EMAIL_OTP,SMS_OTP",
    "SmsAllowedCountryCodes": "1",
}
PHONE = {"phone_number": "+12065550100", "phone_number_verified": "true"}


@pytest.fixture
def several(make_custom_auth_stack: Any) -> Any:
    """A local pool with EMAIL_OTP and SMS_OTP, and alice with a verified phone number."""
    stack = make_custom_auth_stack(parameter_overrides=SEVERAL, env_overrides=QUIET_TRIGGERS)
    stack.create_user("alice@example.com", attributes=PHONE)
    return stack


def sign_in(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    stack: Any,
    answers: list[str],
    *extra: str,
) -> tuple[int, str, str, list[str]]:
    """``custom-auth sign-in`` as alice, typing ``answers`` (``"code"``: the last message's)."""
    prompts: list[str] = []

    def typed(prompt: str) -> str:
        prompts.append(prompt)
        answer = answers.pop(0)
        return code_in(stack.outbox.messages()[-1].body) if answer == "code" else answer

    monkeypatch.setattr("builtins.input", typed)
    argv = ["sign-in", "--username", "alice@example.com", "--client-id", stack.client_id]
    code, output, err = run(capsys, *argv, "--user-pool-id", stack.user_pool_id, *extra)
    return code, output, err, prompts


def test_sign_in_chooses_the_method_asked_for(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    several: Any,
) -> None:
    stack = several
    code, output, _, prompts = sign_in(capsys, monkeypatch, stack, ["code"], "--method", "SMS_OTP")
    assert code == 0 and output.startswith("Signed in as alice@example.com: tokens issued")
    assert prompts == ["Code sent by sms to +*** (or EMAIL_OTP to switch): "]
    assert [message.channel for message in stack.outbox.messages()] == ["sms"]
    assert len(stack.pool.invocations) == 7


def test_sign_in_switches_once_when_the_answer_names_another_method(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    several: Any,
) -> None:
    stack = several
    code, _, _, prompts = sign_in(capsys, monkeypatch, stack, ["SMS_OTP", "code"])
    assert code == 0
    assert prompts == [
        "Code sent by email to ***@*** (or SMS_OTP to switch): ",
        "Code sent by sms to +***: ",  # switched once: no second offer
    ]
    assert [message.channel for message in stack.outbox.messages()] == ["email", "sms"]
    assert len(stack.pool.invocations) == 10


def test_sign_in_refuses_a_method_the_pool_does_not_have_before_asking_for_a_code(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    make_custom_auth_stack: Any,
) -> None:
    stack = make_custom_auth_stack(
        parameter_overrides={"SenderEmail": "no-reply@example.com"}, env_overrides=QUIET_TRIGGERS
    )
    stack.create_user("alice@example.com", attributes=PHONE)
    code, output, err, prompts = sign_in(capsys, monkeypatch, stack, [], "--method", "SMS_OTP")
    assert (code, output, prompts) == (1, "", [])
    # (endswith: in one process, the triggers' logger keeps the stream of the test that loaded it)
    assert err.endswith(
        "custom-auth: sign-in failed: MethodNotEnabled: SMS_OTP is not enabled for this pool; "
        "its only sign-in method is EMAIL_OTP\n"
    )


def test_sign_in_refuses_a_method_the_user_is_not_offered(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    make_custom_auth_stack: Any,
) -> None:
    stack = make_custom_auth_stack(parameter_overrides=SEVERAL, env_overrides=QUIET_TRIGGERS)
    stack.create_user("alice@example.com")  # no phone number: offered EMAIL_OTP only
    code, _, err, prompts = sign_in(capsys, monkeypatch, stack, [], "--method", "SMS_OTP")
    assert (code, prompts) == (1, [])
    assert err.endswith(
        "custom-auth: sign-in failed: MethodNotOffered: SMS_OTP is not offered to this user; "
        "the pool offers EMAIL_OTP\n"
    )
