"""events/: current with the generator, and each file answered as its name promises."""

from pathlib import Path
from typing import Any

import pytest

from custom_auth.events import parse_event
from custom_auth_local.cli import frozen_clock
from custom_auth_local.invoke import LocalFunction
from custom_auth_local.sample_events import FOLDERS, SAMPLE_TIME, TRIGGERS, generate, scenarios
from custom_auth_local.standins import Outbox, local_aws
from custom_auth_local.template import Template
from tests.conftest import all_event_files, generator_is_current, load_event
from tests.triggers import ROOT

FUNCTION = {
    "define_auth_challenge": "DefineAuthChallengeFunction",
    "create_auth_challenge": "CreateAuthChallengeFunction",
    "verify_auth_challenge_response": "VerifyAuthChallengeResponseFunction",
}
ASK_CODE = {"challengeName": "CUSTOM_CHALLENGE", "issueTokens": False, "failAuthentication": False}
ASK_PASSWORD = {
    "challengeName": "PASSWORD_VERIFIER",
    "issueTokens": False,
    "failAuthentication": False,
}
ISSUED = {"challengeName": None, "issueTokens": True, "failAuthentication": False}
FAILED = {"challengeName": None, "issueTokens": False, "failAuthentication": True}
RIGHT, WRONG = {"answerCorrect": True}, {"answerCorrect": False}
PASSWORD_FIRST = {"AuthFlow": "password+otp"}
SMS = {"OtpChannel": "sms", "SenderEmail": "", "SmsAllowedCountryCodes": "1"}

# path: (template parameters, expected response or the number of messages Create sends)
PROMISES: dict[str, tuple[dict[str, str], Any]] = {
    "define_auth_challenge/new_sign_in.json": ({}, ASK_CODE),
    "define_auth_challenge/after_right_answer.json": ({}, ISSUED),
    "define_auth_challenge/after_wrong_answer.json": ({}, ASK_CODE),
    "define_auth_challenge/after_last_wrong_answer.json": ({}, FAILED),
    "define_auth_challenge/after_srp_a.json": (PASSWORD_FIRST, ASK_PASSWORD),
    "define_auth_challenge/after_right_password.json": (PASSWORD_FIRST, ASK_CODE),
    "define_auth_challenge/after_wrong_password.json": (PASSWORD_FIRST, FAILED),
    "define_auth_challenge/unknown_user.json": ({}, ASK_CODE),
    "create_auth_challenge/first_round.json": ({}, 1),
    "create_auth_challenge/later_round.json": ({}, 0),
    "create_auth_challenge/unknown_user.json": ({}, 0),
    "create_auth_challenge/sms_channel.json": (SMS, 1),
    "verify_auth_challenge_response/right_answer.json": ({}, RIGHT),
    "verify_auth_challenge_response/wrong_answer.json": ({}, WRONG),
    "verify_auth_challenge_response/expired_answer.json": ({}, WRONG),
    "verify_auth_challenge_response/malformed_answer.json": ({}, WRONG),
    "verify_auth_challenge_response/unknown_user.json": ({}, WRONG),
}


def test_every_sample_has_a_promise_and_every_promise_a_sample() -> None:
    assert set(all_event_files()) == set(PROMISES)


def test_the_samples_are_what_the_generator_makes() -> None:
    assert generator_is_current("generate_sample_events.py") == ""


@pytest.mark.parametrize("path", sorted(PROMISES))
def test_each_sample_gets_the_answer_its_name_promises(path: str, tmp_path: Path) -> None:
    parameters, expected = PROMISES[path]
    template = Template.load(
        ROOT / "template.yaml", {"SenderEmail": "no-reply@example.com", **parameters}
    )
    function = LocalFunction(template.function(FUNCTION[path.split("/")[0]]))
    outbox = Outbox(tmp_path / "outbox")
    # The samples were issued at SAMPLE_TIME; answer them a minute later.
    with local_aws(template, outbox=outbox), frozen_clock(SAMPLE_TIME + 60):
        invocation = function.invoke(load_event(path))
    assert invocation.error is None, invocation.error
    response = invocation.result["response"]
    if isinstance(expected, int):
        assert len(outbox.messages()) == expected
        assert set(response["publicChallengeParameters"]) == {
            "CODE_DELIVERY_DELIVERY_MEDIUM",
            "CODE_DELIVERY_DESTINATION",
        }
    else:
        assert response == expected


@pytest.mark.parametrize("trigger", list(TRIGGERS))
def test_generated_events_of_every_scenario_parse(trigger: str) -> None:
    for scenario in scenarios(trigger):
        event = generate(trigger, scenario, user_pool_id="eu-west-1_Custom", username="bob")
        parsed = parse_event(event)
        assert parsed.user_pool_id == "eu-west-1_Custom"
        assert parsed.region == "eu-west-1"
        assert parsed.to_dict() == event
        assert f"{FOLDERS[trigger]}/{scenario}.json" in PROMISES
