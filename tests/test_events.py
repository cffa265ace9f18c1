"""custom_auth.events: parsing real trigger events, and building their responses."""

import copy
import dataclasses
from typing import Any

import pytest

from custom_auth.errors import InvalidEventError
from custom_auth.events import (
    CallerContext,
    ChallengeResult,
    CreateAuthChallengeEvent,
    DefineAuthChallengeEvent,
    DefineAuthChallengeResponse,
    TriggerEvent,
    TriggerSource,
    VerifyAuthChallengeResponseEvent,
    parse_event,
)
from custom_auth.model import ChallengeName
from tests.conftest import all_event_files, load_event

# The challengeMetadata (a code record) of the round in the sample "after a wrong answer" events.
CODE_RECORD = load_event("define_auth_challenge/after_wrong_answer.json")["request"]["session"][0][
    "challengeMetadata"
]

CLASS_BY_FOLDER = {
    "define_auth_challenge": DefineAuthChallengeEvent,
    "create_auth_challenge": CreateAuthChallengeEvent,
    "verify_auth_challenge_response": VerifyAuthChallengeResponseEvent,
}


@pytest.mark.parametrize("path", all_event_files())
def test_every_sample_event_parses_into_its_triggers_class(path: str) -> None:
    event = load_event(path)
    parsed = parse_event(event)
    assert type(parsed) is CLASS_BY_FOLDER[path.split("/")[0]]
    assert parsed.trigger_source == event["triggerSource"]
    assert parsed.to_dict() == event  # nothing lost, nothing added


def test_the_envelope_is_typed(define_event: dict[str, Any]) -> None:
    parsed = DefineAuthChallengeEvent.from_dict(define_event)
    assert parsed.version == "1"
    assert parsed.trigger_source is TriggerSource.DEFINE_AUTH_CHALLENGE
    assert parsed.region == "us-east-1"
    assert parsed.user_pool_id == "us-east-1_EXAMPLE01"
    assert parsed.user_name == define_event["userName"]
    assert parsed.caller_context == CallerContext(
        aws_sdk_version="aws-sdk-unknown-unknown", client_id="1example23456789abcdefghij"
    )
    assert parsed.user_attributes["email"] == "alice@example.com"
    assert parsed.client_metadata == {"app": "web"}
    assert parsed.user_not_found is False


def test_the_session_is_a_list_of_typed_challenge_results() -> None:
    parsed = DefineAuthChallengeEvent.from_dict(
        load_event("define_auth_challenge/after_wrong_answer.json")
    )
    assert parsed.session == (ChallengeResult(ChallengeName.CUSTOM_CHALLENGE, False, CODE_RECORD),)
    assert parsed.session[0].challenge_name is ChallengeName.CUSTOM_CHALLENGE


def test_srp_a_which_the_enum_lacks_stays_a_string() -> None:
    parsed = DefineAuthChallengeEvent.from_dict(
        load_event("define_auth_challenge/after_srp_a.json")
    )
    assert parsed.session[0].challenge_name == "SRP_A"
    assert parsed.session[0].challenge_result is True
    assert parsed.session[0].challenge_metadata is None


def test_unknown_user_events_are_read_as_such() -> None:
    parsed = parse_event(load_event("define_auth_challenge/unknown_user.json"))
    assert parsed.user_not_found is True
    assert parsed.user_attributes == {}


def test_create_reads_the_challenge_it_must_build() -> None:
    parsed = CreateAuthChallengeEvent.from_dict(
        load_event("create_auth_challenge/later_round.json")
    )
    assert parsed.challenge_name is ChallengeName.CUSTOM_CHALLENGE
    assert [entry.challenge_result for entry in parsed.session] == [False]


def test_verify_reads_the_answer_and_private_parameters(verify_event: dict[str, Any]) -> None:
    parsed = VerifyAuthChallengeResponseEvent.from_dict(verify_event)
    assert parsed.challenge_answer == "ANSWER-MARKER-424242"
    assert parsed.private_challenge_parameters == {"codeHash": "PRIVATE-HASH-MARKER"}
    assert parsed.client_metadata == {}  # absent in the event


# --- tolerance: what real events do ---------------------------------------------------------


def test_null_and_absent_client_metadata_read_as_empty(define_event: dict[str, Any]) -> None:
    define_event["request"]["clientMetadata"] = None
    assert parse_event(define_event).client_metadata == {}
    del define_event["request"]["clientMetadata"]
    assert parse_event(define_event).client_metadata == {}


def test_absent_user_not_found_means_the_user_exists(define_event: dict[str, Any]) -> None:
    # Cognito sends userNotFound only when the app client has PreventUserExistenceErrors.
    del define_event["request"]["userNotFound"]
    assert parse_event(define_event).user_not_found is False


def test_a_custom_challenge_session_entry_and_unknown_names_are_accepted(
    define_event: dict[str, Any],
) -> None:
    define_event["request"]["session"] = [
        {"challengeName": "CUSTOM_CHALLENGE", "challengeResult": False},
        {
            "challengeName": "SOME_FUTURE_CHALLENGE",
            "challengeResult": True,
            "challengeMetadata": None,
        },
    ]
    session = DefineAuthChallengeEvent.from_dict(define_event).session
    assert session[0].challenge_name is ChallengeName.CUSTOM_CHALLENGE
    assert session[1].challenge_name == "SOME_FUTURE_CHALLENGE"


def test_extra_fields_are_kept_on_the_way_back_out(define_event: dict[str, Any]) -> None:
    define_event["newTopLevelField"] = {"x": [1, 2]}
    define_event["request"]["newRequestField"] = "kept"
    define_event["callerContext"]["newCallerField"] = True
    out = parse_event(define_event).to_dict()
    assert out["newTopLevelField"] == {"x": [1, 2]}
    assert out["request"]["newRequestField"] == "kept"
    assert out["callerContext"]["newCallerField"] is True


def test_an_event_without_response_parses(define_event: dict[str, Any]) -> None:
    del define_event["response"]
    parsed = DefineAuthChallengeEvent.from_dict(define_event)
    assert "response" not in parsed.to_dict()
    assert parsed.fail_authentication().to_dict()["response"]["failAuthentication"] is True


# --- strictness: what no real event does -----------------------------------------------------


def mutate(event: dict[str, Any], path: tuple[str | int, ...], value: Any) -> dict[str, Any]:
    """A copy of ``event`` with ``path`` set to ``value`` (``...`` deletes it)."""
    out = copy.deepcopy(event)
    target: Any = out
    for key in path[:-1]:
        target = target[key]
    if value is ...:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return out


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (("triggerSource",), "PreSignUp_SignUp", "triggerSource: must be one of"),
        (("triggerSource",), ..., "triggerSource: must be one of"),
        (
            ("triggerSource",),
            ["DefineAuthChallenge_Authentication"],
            "triggerSource: must be one of",
        ),
        (("version",), ..., "event.version: is required"),
        (("region",), 1, "event.region: must be a string, got int"),
        (("userPoolId",), None, "event.userPoolId: must be a string, got null"),
        (("userPoolId",), "", "event.userPoolId: must not be empty"),
        (("userName",), "al\ud800", "event.userName: must be valid Unicode text"),
        (("userName",), ..., "event.userName: is required"),
        (("callerContext",), ..., "callerContext: must be an object, got null"),
        (("callerContext", "clientId"), ..., "callerContext.clientId: is required"),
        (("callerContext", "awsSdkVersion"), 3, "callerContext.awsSdkVersion: must be a string"),
        (("request",), "x", "request: must be an object, got str"),
        (("response",), [], "response: must be an object, got list"),
        (("request", "userAttributes"), ..., "request.userAttributes: is required"),
        (
            ("request", "userAttributes"),
            None,
            "request.userAttributes: must be an object, got null",
        ),
        (
            ("request", "userAttributes", "email"),
            1,
            "request.userAttributes.email: must be a string",
        ),
        (("request", "clientMetadata"), [], "request.clientMetadata: must be a map"),
        (
            ("request", "clientMetadata", "app"),
            {"a": 1},
            "request.clientMetadata.app: must be a string",
        ),
        (("request", "userNotFound"), "false", "request.userNotFound: must be true or false"),
        (("request", "session"), ..., "request.session: is required"),
        (("request", "session"), {}, "request.session: must be a list, got dict"),
        (("request", "session", 0), "CUSTOM_CHALLENGE", r"request.session\[0\]: must be an object"),
        (
            ("request", "session", 0, "challengeName"),
            ...,
            r"session\[0\].challengeName: is required",
        ),
        (
            ("request", "session", 0, "challengeResult"),
            "true",
            r"request.session\[0\].challengeResult: must be true or false, got str",
        ),
        (
            ("request", "session", 0, "challengeResult"),
            None,
            r"request.session\[0\].challengeResult: must be true or false, got null",
        ),
        (
            ("request", "session", 0, "challengeResult"),
            1,
            r"challengeResult: must be true or false, got int",
        ),
        (
            ("request", "session", 0, "challengeMetadata"),
            7,
            r"challengeMetadata: must be a string or null",
        ),
    ],
)
def test_a_malformed_define_event_names_the_field_and_rule(
    define_event: dict[str, Any], path: tuple[str | int, ...], value: Any, message: str
) -> None:
    with pytest.raises(InvalidEventError, match=message):
        parse_event(mutate(define_event, path, value))


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (("request", "challengeName"), ..., "request.challengeName: is required"),
        (("request", "challengeName"), None, "request.challengeName: must be a string, got null"),
    ],
)
def test_a_malformed_create_event_names_the_field(
    create_event: dict[str, Any], path: tuple[str, ...], value: Any, message: str
) -> None:
    with pytest.raises(InvalidEventError, match=message):
        parse_event(mutate(create_event, path, value))


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (("request", "challengeAnswer"), ..., "request.challengeAnswer: is required"),
        (
            ("request", "challengeAnswer"),
            123456,
            "request.challengeAnswer: must be a string, got int",
        ),
        (
            ("request", "privateChallengeParameters"),
            ...,
            "request.privateChallengeParameters: is required",
        ),
        (
            ("request", "privateChallengeParameters", "codeHash"),
            ["x"],
            "request.privateChallengeParameters.codeHash: must be a string, got list",
        ),
    ],
)
def test_a_malformed_verify_event_names_the_field_and_not_the_secret(
    verify_event: dict[str, Any], path: tuple[str, ...], value: Any, message: str
) -> None:
    with pytest.raises(InvalidEventError, match=message) as caught:
        parse_event(mutate(verify_event, path, value))
    assert "MARKER" not in str(caught.value)


def test_a_non_object_event_is_refused() -> None:
    with pytest.raises(InvalidEventError, match="event: must be an object, got list"):
        parse_event([])


def test_from_dict_of_one_trigger_refuses_another(create_event: dict[str, Any]) -> None:
    with pytest.raises(
        InvalidEventError,
        match="triggerSource: must be DefineAuthChallenge_Authentication for Define",
    ):
        DefineAuthChallengeEvent.from_dict(create_event)
    assert isinstance(TriggerEvent.from_dict(create_event), CreateAuthChallengeEvent)


def test_invalid_event_error_is_a_value_error() -> None:
    assert issubclass(InvalidEventError, ValueError)


# --- responses ------------------------------------------------------------------------------


def test_define_builders_fill_the_response_and_leave_the_input_alone(
    define_event: dict[str, Any],
) -> None:
    before = copy.deepcopy(define_event)
    parsed = DefineAuthChallengeEvent.from_dict(define_event)
    asked = parsed.present_challenge(ChallengeName.CUSTOM_CHALLENGE)
    issued = parsed.issue_tokens()
    failed = parsed.fail_authentication()

    assert asked.to_dict()["response"] == {
        "challengeName": "CUSTOM_CHALLENGE",
        "issueTokens": False,
        "failAuthentication": False,
    }
    assert issued.to_dict()["response"] == {
        "challengeName": None,
        "issueTokens": True,
        "failAuthentication": False,
    }
    assert failed.to_dict()["response"] == {
        "challengeName": None,
        "issueTokens": False,
        "failAuthentication": True,
    }
    assert define_event == before
    assert parsed.response is None
    assert parsed.to_dict() == before
    assert {k: v for k, v in asked.to_dict().items() if k != "response"} == {
        k: v for k, v in before.items() if k != "response"
    }


def test_define_can_present_a_challenge_the_enum_lacks(define_event: dict[str, Any]) -> None:
    parsed = DefineAuthChallengeEvent.from_dict(define_event)
    assert parsed.present_challenge("PASSWORD_VERIFIER").to_dict()["response"]["challengeName"] == (
        "PASSWORD_VERIFIER"
    )
    assert parsed.present_challenge("SRP_A").to_dict()["response"]["challengeName"] == "SRP_A"


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"issue_tokens": True, "fail_authentication": True},
        {"challenge_name": "CUSTOM_CHALLENGE", "issue_tokens": True},
        {"challenge_name": "CUSTOM_CHALLENGE", "fail_authentication": True},
    ],
)
def test_define_must_do_exactly_one_thing(kwargs: dict[str, Any]) -> None:
    with pytest.raises(InvalidEventError, match="exactly one of"):
        DefineAuthChallengeResponse(**kwargs)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"challenge_name": ""}, "response.challengeName: must be a non-empty string"),
        ({"challenge_name": 3}, "response.challengeName: must be a non-empty string"),
        ({"issue_tokens": 1}, "response.issueTokens: must be true or false, got int"),
        ({"fail_authentication": "yes"}, "response.failAuthentication: must be true or false"),
    ],
)
def test_define_response_values_are_checked(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidEventError, match=message):
        DefineAuthChallengeResponse(**kwargs)


def test_create_respond_fills_parameters_and_metadata(create_event: dict[str, Any]) -> None:
    before = copy.deepcopy(create_event)
    parsed = CreateAuthChallengeEvent.from_dict(create_event)
    public = {
        "CODE_DELIVERY_DELIVERY_MEDIUM": "EMAIL",
        "CODE_DELIVERY_DESTINATION": "a***@e***.com",
    }
    private = {"codeHash": "PRIVATE-MARKER"}
    built = parsed.respond(
        public_challenge_parameters=public,
        private_challenge_parameters=private,
        challenge_metadata="META-MARKER",
    )
    public["CODE_DELIVERY_DELIVERY_MEDIUM"] = "changed afterwards"
    assert built.to_dict()["response"] == {
        "publicChallengeParameters": {
            "CODE_DELIVERY_DELIVERY_MEDIUM": "EMAIL",
            "CODE_DELIVERY_DESTINATION": "a***@e***.com",
        },
        "privateChallengeParameters": {"codeHash": "PRIVATE-MARKER"},
        "challengeMetadata": "META-MARKER",
    }
    assert create_event == before
    for secret in ("PRIVATE-MARKER", "META-MARKER"):
        assert secret not in repr(built)
        assert secret not in str(built.response)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"public_challenge_parameters": {"n": 1}, "private_challenge_parameters": {}},
            "response.publicChallengeParameters.n: must be a string, got int",
        ),
        (
            {"public_challenge_parameters": {}, "private_challenge_parameters": ["x"]},
            "response.privateChallengeParameters: must be a map",
        ),
        (
            {
                "public_challenge_parameters": {},
                "private_challenge_parameters": {},
                "challenge_metadata": 5,
            },
            "response.challengeMetadata: must be a string or null, got int",
        ),
    ],
)
def test_create_response_values_are_checked(
    create_event: dict[str, Any], kwargs: dict[str, Any], message: str
) -> None:
    parsed = CreateAuthChallengeEvent.from_dict(create_event)
    with pytest.raises(InvalidEventError, match=message):
        parsed.respond(**kwargs)


def test_verify_respond_fills_answer_correct(verify_event: dict[str, Any]) -> None:
    parsed = VerifyAuthChallengeResponseEvent.from_dict(verify_event)
    assert parsed.respond(answer_correct=True).to_dict()["response"] == {"answerCorrect": True}
    assert parsed.respond(answer_correct=False).to_dict()["response"] == {"answerCorrect": False}
    assert verify_event["response"] == {"answerCorrect": None}
    with pytest.raises(InvalidEventError, match=r"response\.answerCorrect: must be true or false"):
        parsed.respond(answer_correct="true")  # type: ignore[arg-type]


# --- secrets stay hidden, values stay frozen -----------------------------------------------


def test_repr_never_shows_the_answer_private_parameters_or_metadata(
    verify_event: dict[str, Any], define_event: dict[str, Any]
) -> None:
    verify = parse_event(verify_event)
    define = parse_event(define_event)
    for text in (repr(verify), str(verify), repr(define), str(define)):
        for secret in ("ANSWER-MARKER-424242", "PRIVATE-HASH-MARKER", CODE_RECORD):
            assert secret not in text
    assert "challenge_answer=<redacted>" in repr(verify)
    assert "user_pool_id='us-east-1_EXAMPLE01'" in repr(verify)


def test_events_are_frozen_and_detached_from_the_input(define_event: dict[str, Any]) -> None:
    parsed = DefineAuthChallengeEvent.from_dict(define_event)
    define_event["request"]["session"][0]["challengeResult"] = True
    define_event["userName"] = "mallory"
    assert parsed.session[0].challenge_result is False
    assert parsed.to_dict()["request"]["session"][0]["challengeResult"] is False
    assert parsed.to_dict()["userName"] != "mallory"
    with pytest.raises(dataclasses.FrozenInstanceError):
        parsed.user_name = "mallory"  # type: ignore[misc]
    out = parsed.to_dict()
    out["request"]["session"].clear()
    assert len(parsed.to_dict()["request"]["session"]) == 1


def test_equal_events_hash_alike(define_event: dict[str, Any]) -> None:
    one = DefineAuthChallengeEvent.from_dict(define_event)
    two = DefineAuthChallengeEvent.from_dict(copy.deepcopy(define_event))
    assert one == two
    assert hash(one) == hash(two)
    assert one.issue_tokens() != one.fail_authentication()
