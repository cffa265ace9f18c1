"""events/: current with the generator, and each file answered as its name promises."""

import json
from pathlib import Path
from typing import Any, NamedTuple

import pytest

from custom_auth.events import parse_event
from custom_auth.rounds import parse_round
from custom_auth.state_store import DynamoDBStateStore, choice_key
from custom_auth_local.cli import frozen_clock
from custom_auth_local.invoke import Invocation, LocalFunction
from custom_auth_local.sample_events import (
    DEFAULT_USER_POOL_ID,
    FOLDERS,
    PARAMETERS,
    PASSKEY_TABLE,
    PRECEDED_BY,
    READ_THE_PASSKEY,
    SAMPLE_CREDENTIAL_ID,
    SAMPLE_PASSKEY_CHALLENGE,
    SAMPLE_SIGN_IN,
    SAMPLE_TIME,
    TRIGGERS,
    generate,
    parameters,
    passkey_items,
    scenarios,
)
from custom_auth_local.standins import Outbox, local_aws
from custom_auth_local.template import Template, local_ref
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
SENDER = {"SenderEmail": "no-reply@example.com"}


class Created(NamedTuple):
    """What a Create sample promises: the round's method, and the messages sent (by channel)."""

    method: str
    sent: tuple[str, ...] = ()


class Verified(NamedTuple):
    """What a Verify sample promises: the response, and the choice it records (round, method)."""

    response: dict[str, bool]
    records: tuple[int, str] | None = None


D, C, V = FOLDERS["define"], FOLDERS["create"], FOLDERS["verify"]
PROMISES: dict[str, Any] = {
    f"{D}/new_sign_in.json": ASK_CODE,
    f"{D}/after_right_answer.json": ISSUED,
    f"{D}/after_wrong_answer.json": ASK_CODE,
    f"{D}/after_last_wrong_answer.json": FAILED,
    f"{D}/after_srp_a.json": ASK_PASSWORD,
    f"{D}/after_right_password.json": ASK_CODE,
    f"{D}/after_wrong_password.json": FAILED,
    f"{D}/unknown_user.json": ASK_CODE,
    f"{D}/after_forged_round.json": FAILED,
    f"{D}/after_choice.json": ASK_CODE,
    f"{D}/after_refused_choice.json": ASK_CODE,
    f"{D}/after_choice_and_right_answer.json": ISSUED,
    f"{D}/after_switch_and_right_answer.json": ISSUED,
    f"{C}/first_round.json": Created("EMAIL_OTP", ("email",)),
    f"{C}/later_round.json": Created("EMAIL_OTP"),
    f"{C}/unknown_user.json": Created("EMAIL_OTP"),
    f"{C}/sms_first_round.json": Created("SMS_OTP", ("sms",)),
    f"{C}/choice_round.json": Created("SELECT"),
    f"{C}/after_refused_choice.json": Created("SELECT"),
    f"{C}/after_choice.json": Created("EMAIL_OTP", ("email",)),
    f"{C}/after_switch.json": Created("SMS_OTP", ("sms",)),
    f"{V}/right_answer.json": Verified(RIGHT),
    f"{V}/wrong_answer.json": Verified(WRONG),
    f"{V}/expired_answer.json": Verified(WRONG),
    f"{V}/malformed_answer.json": Verified(WRONG),
    f"{V}/unknown_user.json": Verified(WRONG),
    f"{V}/choice.json": Verified(RIGHT, (0, "EMAIL_OTP")),
    f"{V}/bad_choice.json": Verified(WRONG),
    f"{V}/switch.json": Verified(WRONG, (1, "SMS_OTP")),  # not right: the next round is SMS's
    f"{V}/second_switch.json": Verified(WRONG),
    f"{D}/sign_up_after_its_code.json": ASK_CODE,
    f"{C}/sign_up_first_round.json": Created("EMAIL_OTP", ("email",)),
    f"{V}/sign_up_choice.json": Verified(RIGHT, (0, "EMAIL_OTP\nnewcomer@example.com")),
    f"{D}/after_passkey_right_assertion.json": ISSUED,
    f"{C}/passkey_round.json": Created("PASSKEY"),
    f"{V}/passkey_choice.json": Verified(RIGHT, (0, "PASSKEY")),
    f"{V}/passkey_right_assertion.json": Verified(RIGHT),
    f"{V}/passkey_bad_signature.json": Verified(WRONG),
}


def test_every_sample_has_a_promise_and_every_promise_a_sample() -> None:
    assert set(all_event_files()) == set(PROMISES)
    assert set(PARAMETERS) <= set(PROMISES)
    assert set(PRECEDED_BY) | set(PRECEDED_BY.values()) <= set(PROMISES)
    assert set(READ_THE_PASSKEY) <= set(PROMISES)


def test_the_samples_are_what_the_generator_makes() -> None:
    assert generator_is_current("generate_sample_events.py") == ""


def template_for(path: str, extra: dict[str, str] | None = None) -> Template:
    return Template.load(
        ROOT / "template.yaml", {**SENDER, **PARAMETERS.get(path, {}), **(extra or {})}
    )


class Ran(NamedTuple):
    """A sample's invocation, the choices recorded (by round), and the sign count of each
    stored passkey (by item key) after it."""

    invocation: Invocation
    recorded: dict[int, str | None]
    sign_counts: dict[str, int]


def run(
    template: Template, path: str, outbox: Outbox, *before: str, at: int = SAMPLE_TIME + 60
) -> Ran:
    """Invoke the sample's function on it (after the samples ``before``, in the same
    stand-ins, and with the sample passkey stored if one of them reads it), at ``at``: by
    default a minute after the samples were issued."""
    import boto3

    functions = {name: LocalFunction(template.function(name)) for name in FUNCTION.values()}
    with local_aws(template, outbox=outbox), frozen_clock(at):
        credentials = local_ref(PASSKEY_TABLE, "AWS::DynamoDB::Table")
        if READ_THE_PASSKEY & {path, *before}:
            for item in passkey_items():
                boto3.client("dynamodb").put_item(TableName=credentials, Item=item)
        for earlier in before:
            done = functions[FUNCTION[earlier.split("/")[0]]].invoke(load_event(earlier))
            assert done.error is None, done.error
        invocation = functions[FUNCTION[path.split("/")[0]]].invoke(load_event(path))
        table = functions[FUNCTION[V]].environment["STATE_TABLE_NAME"]
        recorded = {
            index: DynamoDBStateStore(table).read_choice(
                choice_key(DEFAULT_USER_POOL_ID, SAMPLE_SIGN_IN, index), at
            )
            for index in range(3)
        }
        stored = (
            boto3.client("dynamodb").scan(TableName=credentials)["Items"]
            if PASSKEY_TABLE in template.resources_of_type("AWS::DynamoDB::Table")
            else []
        )
    sign_counts = {item["pk"]["S"]: int(item["signCount"]["N"]) for item in stored}
    return Ran(invocation, recorded, sign_counts)


@pytest.mark.parametrize("path", sorted(PROMISES))
def test_each_sample_gets_the_answer_its_name_promises(path: str, tmp_path: Path) -> None:
    expected = PROMISES[path]
    outbox = Outbox(tmp_path / "outbox")
    before = (PRECEDED_BY[path],) if path in PRECEDED_BY else ()
    invocation, recorded, _ = run(template_for(path), path, outbox, *before)
    assert invocation.error is None, invocation.error
    response = invocation.result["response"]
    if isinstance(expected, Created):
        assert tuple(message.channel for message in outbox.messages()) == expected.sent
        public = response["publicChallengeParameters"]
        methods = PARAMETERS.get(path, {}).get("SignInMethods", "")
        several = "," in methods
        keys = {"SIGN_IN_METHOD"} | ({"SIGN_IN_METHODS"} if several else set())
        if expected.method == "PASSKEY":
            keys |= {"PASSKEY_OPTIONS"}
        elif expected.method != "SELECT":
            keys |= {"CODE_DELIVERY_DELIVERY_MEDIUM", "CODE_DELIVERY_DESTINATION"}
        assert set(public) == keys
        assert public["SIGN_IN_METHOD"] == expected.method
        if several:
            assert json.loads(public["SIGN_IN_METHODS"]) == methods.split(",")
        described = parse_round(response["challengeMetadata"])
        assert described is not None and described.method == expected.method
        assert response["privateChallengeParameters"]["signInMethod"] == expected.method
        if load_event(path)["request"]["session"]:  # a later round of the sample sign-in
            assert described.sign_in == SAMPLE_SIGN_IN
    elif isinstance(expected, Verified):
        assert response == expected.response
        wanted = dict([expected.records]) if expected.records else {}
        assert {index: method for index, method in recorded.items() if method} == wanted
    else:
        assert response == expected


def test_create_after_a_choice_alone_fails_closed_and_after_a_switch_carries_on(
    tmp_path: Path,
) -> None:
    # What events/README.md says of running them by themselves (custom-auth invoke).
    path = f"{C}/after_choice.json"
    invocation, *_ = run(template_for(path), path, Outbox(tmp_path / "a"))
    assert invocation.error is not None
    assert str(invocation.error).startswith("CreateAuthChallenge could not complete")
    path = f"{C}/after_switch.json"
    outbox = Outbox(tmp_path / "b")
    invocation, *_ = run(template_for(path), path, outbox)
    assert invocation.error is None
    assert invocation.result["response"]["publicChallengeParameters"]["SIGN_IN_METHOD"] == (
        "EMAIL_OTP"
    )
    assert outbox.messages() == []


@pytest.mark.parametrize(
    "path",
    [f"{D}/after_choice.json", f"{D}/after_choice_and_right_answer.json"],
)
def test_a_choice_fails_a_deployment_with_one_method(path: str, tmp_path: Path) -> None:
    template = template_for(path, {"SignInMethods": "EMAIL_OTP"})
    invocation, *_ = run(template, path, Outbox(tmp_path))
    assert invocation.result["response"] == FAILED


def test_the_passkey_samples_are_the_round_create_makes(tmp_path: Path) -> None:
    # Create's round has a random challenge: with it swapped for the samples' one, the round
    # Create makes when the samples were issued has the Verify samples' private parameters
    # and the Define sample's metadata.
    path = f"{C}/passkey_round.json"
    ran = run(template_for(path), path, Outbox(tmp_path), PRECEDED_BY[path], at=SAMPLE_TIME)
    response = ran.invocation.result["response"]
    challenge = response["privateChallengeParameters"]["passkeyChallenge"]
    options = json.loads(response["publicChallengeParameters"]["PASSKEY_OPTIONS"])
    assert options["challenge"] == challenge != SAMPLE_PASSKEY_CHALLENGE
    assert [allowed["id"] for allowed in options["allowCredentials"]] == [SAMPLE_CREDENTIAL_ID]
    assert options["rpId"] == PARAMETERS[path]["PasskeyRpIds"]

    def as_sampled(text: str) -> Any:
        return json.loads(json.dumps(text).replace(challenge, SAMPLE_PASSKEY_CHALLENGE))

    for verify in (f"{V}/passkey_right_assertion.json", f"{V}/passkey_bad_signature.json"):
        private = load_event(verify)["request"]["privateChallengeParameters"]
        assert as_sampled(response["privateChallengeParameters"]) == private
    [*_, passkey_round] = load_event(f"{D}/after_passkey_right_assertion.json")["request"][
        "session"
    ]
    assert as_sampled(response["challengeMetadata"]) == passkey_round["challengeMetadata"]


@pytest.mark.parametrize(
    ("path", "sign_count"),
    [(f"{V}/passkey_right_assertion.json", 1), (f"{V}/passkey_bad_signature.json", 0)],
)
def test_a_passkey_sample_moves_the_stored_sign_count_only_when_right(
    path: str, sign_count: int, tmp_path: Path
) -> None:
    ran = run(template_for(path), path, Outbox(tmp_path))
    assert ran.sign_counts == {f"cred#{SAMPLE_CREDENTIAL_ID}": sign_count}


def test_without_the_stored_passkey_the_right_assertion_is_refused(tmp_path: Path) -> None:
    path = f"{V}/passkey_right_assertion.json"
    template = template_for(path)
    functions = LocalFunction(template.function(FUNCTION[V]))
    with local_aws(template, outbox=Outbox(tmp_path)), frozen_clock(SAMPLE_TIME + 60):
        invocation = functions.invoke(load_event(path))
    assert invocation.result["response"] == WRONG


@pytest.mark.parametrize("trigger", list(TRIGGERS))
def test_generated_events_of_every_scenario_parse(trigger: str) -> None:
    for scenario in scenarios(trigger):
        event = generate(trigger, scenario, user_pool_id="eu-west-1_Custom", username="bob")
        parsed = parse_event(event)
        assert parsed.user_pool_id == "eu-west-1_Custom"
        assert parsed.region == "eu-west-1"
        assert parsed.to_dict() == event
        assert f"{FOLDERS[trigger]}/{scenario}.json" in PROMISES
        assert parameters(trigger, scenario) == PARAMETERS.get(
            f"{FOLDERS[trigger]}/{scenario}.json", {}
        )


@pytest.mark.parametrize(
    ("seconds", "sign_count"),
    [(-30, 1), (-31, 0), (120 + 30, 1), (120 + 31, 0)],
    ids=["skew before", "before the skew", "lifetime and skew", "after"],
)
def test_a_passkey_round_stands_from_a_clock_skew_before_it_was_made_to_its_end(
    seconds: int, sign_count: int, tmp_path: Path
) -> None:
    # Create's clock and Verify's may disagree by CLOCK_SKEW_SECONDS either way.
    path = f"{V}/passkey_right_assertion.json"
    ran = run(template_for(path), path, Outbox(tmp_path), at=SAMPLE_TIME + seconds)
    assert ran.sign_counts == {f"cred#{SAMPLE_CREDENTIAL_ID}": sign_count}


def test_a_passkey_of_an_earlier_user_of_the_same_name_is_refused(tmp_path: Path) -> None:
    path = f"{V}/passkey_right_assertion.json"
    template = template_for(path)
    event = load_event(path)
    event["request"]["userAttributes"]["sub"] = "0d7c6f1e-9a8b-4c3d-8e2f-1a2b3c4d5e6f"
    import boto3

    function = LocalFunction(template.function(FUNCTION[V]))
    with local_aws(template, outbox=Outbox(tmp_path)), frozen_clock(SAMPLE_TIME + 60):
        for item in passkey_items():
            boto3.client("dynamodb").put_item(
                TableName=local_ref(PASSKEY_TABLE, "AWS::DynamoDB::Table"), Item=item
            )
        invocation = function.invoke(event)
        assert invocation.result["response"] == WRONG
        assert function.invoke(load_event(path)).result["response"] == {"answerCorrect": True}
