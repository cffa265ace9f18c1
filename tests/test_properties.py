"""Properties over generated inputs: round trips, and only our own errors for malformed ones."""

import copy
from typing import Any

import botocore.session
from botocore.validate import ParamValidator
from hypothesis import given, note
from hypothesis import strategies as st

from custom_auth.errors import InvalidEventError, InvalidResponseError
from custom_auth.events import (
    CreateAuthChallengeEvent,
    DefineAuthChallengeEvent,
    VerifyAuthChallengeResponseEvent,
    parse_event,
)
from custom_auth.model import AdminInitiateAuthResponse
from tests.conftest import all_event_files, load_event
from tests.strategies import json_values, responses

OUTPUT_SHAPE = (
    botocore.session.get_session()
    .get_service_model("cognito-idp")
    .operation_model("AdminInitiateAuth")
    .output_shape
)
SAMPLE_EVENTS = [load_event(path) for path in all_event_files()]


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path to a member of a nested dict/list value."""
    found = []
    children = (
        value.items()
        if isinstance(value, dict)
        else enumerate(value)
        if isinstance(value, list)
        else ()
    )
    for key, child in children:
        found.append((*prefix, key))
        found.extend(paths(child, (*prefix, key)))
    return found


@st.composite
def mutated(draw: st.DrawFn, value: dict[str, Any]) -> dict[str, Any]:
    """``value`` with one member deleted, replaced by junk, or given an unknown sibling."""
    out = copy.deepcopy(value)
    path = draw(st.sampled_from([(), *paths(out)]))
    parent: Any = out
    for key in path[:-1]:
        parent = parent[key]
    action = draw(st.sampled_from(["replace", "delete", "add"] if path else ["add"]))
    note(f"{action} at {path}")
    if action == "replace":
        parent[path[-1]] = draw(json_values)
    elif action == "delete":
        del parent[path[-1]]
    else:
        target = parent[path[-1]] if path else out
        if isinstance(target, dict):
            target[draw(st.text(max_size=12))] = draw(json_values)
        elif isinstance(target, list):
            target.append(draw(json_values))
        else:
            parent[path[-1]] = draw(json_values)
    return out


@given(responses())
def test_valid_responses_round_trip_and_satisfy_botocore(wire: dict[str, Any]) -> None:
    response = AdminInitiateAuthResponse.from_dict(wire)
    assert response.to_dict() == wire
    assert AdminInitiateAuthResponse.from_dict(response.to_dict()) == response
    # The validator botocore's Stubber applies to a stubbed response.
    report = ParamValidator().validate(response.to_dict(), OUTPUT_SHAPE)
    assert not report.has_errors(), report.generate_report()


@given(responses().flatmap(mutated))
def test_malformed_responses_raise_only_invalid_response_error(wire: dict[str, Any]) -> None:
    try:
        response = AdminInitiateAuthResponse.from_dict(wire)
    except InvalidResponseError:
        return
    # Accepted: then it was valid after all, and nothing of it may be lost.
    assert response.to_dict() == wire


@given(json_values)
def test_arbitrary_values_are_not_responses(value: Any) -> None:
    try:
        AdminInitiateAuthResponse.from_dict(value)
    except InvalidResponseError:
        return
    assert isinstance(value, dict)


@given(st.sampled_from(SAMPLE_EVENTS).flatmap(mutated))
def test_malformed_events_raise_only_invalid_event_error(event: dict[str, Any]) -> None:
    before = copy.deepcopy(event)
    try:
        parsed = parse_event(event)
    except InvalidEventError:
        assert event == before  # a failed parse changes nothing either
        return
    assert parsed.to_dict() == event  # accepted: nothing lost
    assert event == before
    if isinstance(parsed, DefineAuthChallengeEvent):
        assert parsed.fail_authentication().to_dict()["response"]["failAuthentication"] is True


@given(json_values)
def test_arbitrary_values_are_not_events(value: Any) -> None:
    try:
        parse_event(value)
    except InvalidEventError:
        return
    raise AssertionError("a random value parsed as a trigger event")


@st.composite
def verify_events(draw: st.DrawFn) -> tuple[dict[str, Any], str]:
    secret = "SECRET" + draw(st.text(min_size=8, max_size=20))
    event = {
        "version": "1",
        "region": "eu-west-1",
        "userPoolId": "eu-west-1_EXAMPLE",
        "userName": "alice",
        "callerContext": {"awsSdkVersion": "aws-sdk-js-3", "clientId": "client"},
        "triggerSource": "VerifyAuthChallengeResponse_Authentication",
        "request": {
            "userAttributes": {},
            "privateChallengeParameters": {"codeHash": secret},
            "challengeAnswer": secret,
        },
        "response": {"answerCorrect": None},
    }
    return draw(mutated(event)), secret


@given(verify_events())
def test_errors_and_reprs_never_carry_the_answer_or_private_parameters(
    case: tuple[dict[str, Any], str],
) -> None:
    event, secret = case
    try:
        parsed = VerifyAuthChallengeResponseEvent.from_dict(event)
    except InvalidEventError as error:
        assert secret not in str(error)
        return
    assert secret not in repr(parsed)
    assert secret not in repr(parsed.respond(answer_correct=False))


@given(st.sampled_from(SAMPLE_EVENTS), st.dictionaries(st.text(), st.text(), max_size=4))
def test_builders_never_mutate_what_they_were_given(
    event: dict[str, Any], params: dict[str, str]
) -> None:
    before = copy.deepcopy(event)
    parsed = parse_event(event)
    if isinstance(parsed, CreateAuthChallengeEvent):
        built = parsed.respond(
            public_challenge_parameters=params, private_challenge_parameters=params
        )
        assert built.to_dict()["response"]["publicChallengeParameters"] == params
    elif isinstance(parsed, VerifyAuthChallengeResponseEvent):
        verdict = bool(params)
        assert parsed.respond(answer_correct=verdict).to_dict()["response"] == {
            "answerCorrect": verdict
        }
    else:
        assert isinstance(parsed, DefineAuthChallengeEvent)
        built_define = parsed.issue_tokens()
        assert built_define.to_dict()["response"]["issueTokens"] is True
    assert parsed.to_dict() == before == event
