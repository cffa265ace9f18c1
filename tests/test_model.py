"""custom_auth.model: the challenge model's behaviour as a user sees it."""

import dataclasses
from typing import Any

import pytest

from custom_auth.errors import ChallengeResponsesError, InvalidResponseError
from custom_auth.model import (
    AdminInitiateAuthResponse,
    AdminRespondToAuthChallengeResponse,
    AuthenticationResult,
    ChallengeName,
    ChallengeParameters,
    InitiateAuthResponse,
    NewDeviceMetadata,
    RespondToAuthChallengeResponse,
    secret_hash,
)

SESSION = "SESSION-MARKER-" + "q" * 40
ACCESS = "ACCESSxMARKER.payload.signature"
ID = "IDxMARKER.payload.signature"
REFRESH = "REFRESHxMARKER.opaque"


def challenge(**params: str) -> dict[str, Any]:
    return {
        "ChallengeName": "CUSTOM_CHALLENGE",
        "Session": SESSION,
        "ChallengeParameters": {"USERNAME": "alice", **params},
    }


def tokens() -> dict[str, Any]:
    return {
        "AuthenticationResult": {
            "AccessToken": ACCESS,
            "ExpiresIn": 3600,
            "TokenType": "Bearer",
            "RefreshToken": REFRESH,
            "IdToken": ID,
        },
        "ChallengeParameters": {},
    }


# --- reading and writing the wire shape ------------------------------------------------------


def test_from_dict_reads_a_boto3_response_with_its_metadata() -> None:
    boto3_response = {
        **challenge(),
        "ResponseMetadata": {
            "RequestId": "5f1e9a7c-0000-4000-8000-000000000000",
            "HTTPStatusCode": 200,
            "HTTPHeaders": {"content-type": "application/x-amz-json-1.1"},
            "RetryAttempts": 0,
        },
    }
    response = AdminInitiateAuthResponse.from_dict(boto3_response)
    assert response.challenge_name is ChallengeName.CUSTOM_CHALLENGE
    assert response.session == SESSION
    assert response.challenge_parameters == {"USERNAME": "alice"}
    assert response.request_id == "5f1e9a7c-0000-4000-8000-000000000000"
    assert response.to_dict() == challenge()  # no ResponseMetadata, nothing added


def test_request_id_takes_no_part_in_equality_or_to_dict() -> None:
    one = AdminInitiateAuthResponse.from_dict(
        {**challenge(), "ResponseMetadata": {"RequestId": "a"}}
    )
    two = AdminInitiateAuthResponse.from_dict(
        {**challenge(), "ResponseMetadata": {"RequestId": "b"}}
    )
    assert one == two
    assert hash(one) == hash(two)
    assert "RequestId" not in str(one.to_dict())


def test_to_dict_omits_absent_members() -> None:
    response = AdminInitiateAuthResponse(challenge_name="MFA_SETUP", session=SESSION)
    assert response.to_dict() == {"ChallengeName": "MFA_SETUP", "Session": SESSION}


def test_tokens_round_trip_with_empty_challenge_parameters_kept() -> None:
    response = AdminInitiateAuthResponse.from_dict(tokens())
    assert response.authentication_result is not None
    assert response.authentication_result.access_token == ACCESS
    assert response.authentication_result.expires_in == 3600
    assert response.to_dict() == tokens()
    assert AdminInitiateAuthResponse.from_dict(response.to_dict()) == response


def test_new_device_metadata_round_trips() -> None:
    wire = tokens()
    wire["AuthenticationResult"]["NewDeviceMetadata"] = {
        "DeviceKey": "us-east-1_0a1b2c3d-4e5f",
        "DeviceGroupKey": "-grp",
    }
    response = AdminInitiateAuthResponse.from_dict(wire)
    assert response.authentication_result is not None
    assert response.authentication_result.new_device_metadata == NewDeviceMetadata(
        device_key="us-east-1_0a1b2c3d-4e5f", device_group_key="-grp"
    )
    assert response.to_dict() == wire


def test_a_challenge_name_outside_the_enum_is_kept_and_written_back() -> None:
    wire = {
        "ChallengeName": "EMAIL_MFA",
        "Session": SESSION,
        "AvailableChallenges": ["PASSWORD", "FUTURE_CHALLENGE"],
    }
    response = AdminInitiateAuthResponse.from_dict(wire)
    assert response.challenge_name == "EMAIL_MFA"
    assert not isinstance(response.challenge_name, ChallengeName)
    assert response.available_challenges == (ChallengeName.PASSWORD, "FUTURE_CHALLENGE")
    assert response.to_dict() == wire


def test_known_names_become_enum_members_whatever_way_they_come_in() -> None:
    response = AdminInitiateAuthResponse(
        challenge_name="SELECT_CHALLENGE", session=SESSION, available_challenges=["WEB_AUTHN"]
    )
    assert response.challenge_name is ChallengeName.SELECT_CHALLENGE
    assert response.available_challenges == (ChallengeName.WEB_AUTHN,)
    assert type(response.to_dict()["ChallengeName"]) is str


def test_the_four_response_names_are_one_type() -> None:
    assert (
        InitiateAuthResponse
        is RespondToAuthChallengeResponse
        is AdminRespondToAuthChallengeResponse
        is AdminInitiateAuthResponse
    )


# --- immutability, equality, copies ----------------------------------------------------------


def test_responses_are_immutable_and_detached_from_their_input() -> None:
    wire = challenge(email="a***@e***.com")
    response = AdminInitiateAuthResponse.from_dict(wire)
    wire["ChallengeParameters"]["email"] = "changed"
    assert response.challenge_parameters is not None
    assert response.challenge_parameters["email"] == "a***@e***.com"
    with pytest.raises(dataclasses.FrozenInstanceError):
        response.session = "x" * 30  # type: ignore[misc]
    with pytest.raises(TypeError):
        response.challenge_parameters["email"] = "x"  # type: ignore[index]
    exported = response.to_dict()
    exported["ChallengeParameters"]["email"] = "changed"
    assert response.challenge_parameters["email"] == "a***@e***.com"


def test_replace_makes_a_changed_copy_and_checks_it() -> None:
    response = AdminInitiateAuthResponse.from_dict(challenge())
    # Typed code passes ChallengeParameters; at run time any str-to-str mapping is accepted.
    changed = dataclasses.replace(response, challenge_parameters={"USERNAME": "bob"})  # type: ignore[arg-type]
    assert isinstance(changed.challenge_parameters, ChallengeParameters)
    assert changed.challenge_parameters.username == "bob"
    assert response.challenge_parameters is not None
    assert response.challenge_parameters.username == "alice"
    assert changed != response
    with pytest.raises(InvalidResponseError, match="Session: must be at least 20"):
        dataclasses.replace(response, session="too short")


def test_equal_responses_hash_alike_and_work_as_set_members() -> None:
    a = AdminInitiateAuthResponse.from_dict(tokens())
    b = AdminInitiateAuthResponse.from_dict(tokens())
    assert a == b
    assert len({a, b}) == 1


# --- secrets stay hidden -------------------------------------------------------------------


def test_repr_and_str_never_show_the_session_or_a_token() -> None:
    for wire in (challenge(), tokens()):
        response = AdminInitiateAuthResponse.from_dict(wire)
        for text in (repr(response), str(response)):
            for secret in (SESSION, ACCESS, ID, REFRESH, "MARKER"):
                assert secret not in text
    shown = repr(AdminInitiateAuthResponse.from_dict(tokens()))
    assert "access_token=<redacted>" in shown
    assert "expires_in=3600" in shown  # what is not secret stays visible


def test_errors_name_the_field_and_rule_but_never_the_value() -> None:
    long_session = "SESSION-MARKER-" * 300
    with pytest.raises(InvalidResponseError) as caught:
        AdminInitiateAuthResponse(challenge_name="CUSTOM_CHALLENGE", session=long_session)
    assert "Session: must be at most 4096 characters (SessionType max)" in str(caught.value)
    assert "MARKER" not in str(caught.value)
    with pytest.raises(InvalidResponseError) as caught:
        # The model's pattern is unanchored: only a value with no allowed character fails it.
        AuthenticationResult(access_token="§§ ## §§")
    assert "AuthenticationResult.AccessToken: must match the TokenModelType pattern" in str(
        caught.value
    )
    assert "§§ ## §§" not in str(caught.value)


# --- validation: each rule ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("wire", "message"),
    [
        ({"ChallengeName": "CUSTOM_CHALLENGE"}, "Session: required with a ChallengeName"),
        ({"Session": SESSION}, "ChallengeName: required when there is no AuthenticationResult"),
        ({}, "ChallengeName: required when there is no AuthenticationResult"),
        (
            {**tokens(), "ChallengeName": "CUSTOM_CHALLENGE"},
            "ChallengeName: must be absent when AuthenticationResult is present",
        ),
        ({**tokens(), "Session": SESSION}, "Session: must be absent when AuthenticationResult"),
        ({**challenge(), "Extra": "x"}, "Extra: is not a member of AdminInitiateAuthResponse"),
        ({**challenge(), "Session": None}, "Session: must be a string"),
        ({**challenge(), "Session": 12345678901234567890123}, "Session: must be a string"),
        ({**challenge(), "ChallengeName": 7}, "ChallengeName: must be a string"),
        ({**challenge(), "ChallengeParameters": []}, "ChallengeParameters: must be a map"),
        (
            {**challenge(), "ChallengeParameters": {"n": 5}},
            "ChallengeParameters.n: must be a string",
        ),
        ({**challenge(), "AvailableChallenges": "PASSWORD"}, "AvailableChallenges: must be a list"),
        (
            {**challenge(), "AvailableChallenges": ["PASSWORD", 3]},
            r"AvailableChallenges\[1\]: must be a string",
        ),
        (
            {"AuthenticationResult": {"ExpiresIn": "3600"}},
            "AuthenticationResult.ExpiresIn: must be an integer",
        ),
        (
            {"AuthenticationResult": {"ExpiresIn": True}},
            "AuthenticationResult.ExpiresIn: must be an integer",
        ),
        (
            {"AuthenticationResult": {"AccessToken": ""}},
            "AuthenticationResult.AccessToken: must match",
        ),
        ({"AuthenticationResult": {"Scope": "x"}}, "AuthenticationResult.Scope: is not a member"),
        ({"AuthenticationResult": []}, "AuthenticationResult: must be a map"),
        (
            {"AuthenticationResult": {"NewDeviceMetadata": {"DeviceKey": "no-underscore"}}},
            "AuthenticationResult.NewDeviceMetadata.DeviceKey: must match",
        ),
        (
            {"AuthenticationResult": {"NewDeviceMetadata": {"DeviceKey": "a_" + "0" * 60}}},
            "DeviceKey: must be at most 55 characters",
        ),
        ({**challenge(), "ResponseMetadata": "x"}, "ResponseMetadata: must be a map"),
        (
            {**challenge(), "ResponseMetadata": {"RequestId": 5}},
            "ResponseMetadata.RequestId: must be a string",
        ),
    ],
)
def test_a_response_that_breaks_a_rule_is_refused_with_the_field_and_rule(
    wire: dict[str, Any], message: str
) -> None:
    with pytest.raises(InvalidResponseError, match=message):
        AdminInitiateAuthResponse.from_dict(wire)


def test_a_non_mapping_is_refused() -> None:
    with pytest.raises(InvalidResponseError, match="response: must be a map"):
        AdminInitiateAuthResponse.from_dict(["not", "a", "map"])  # type: ignore[arg-type]


def test_invalid_response_error_is_a_value_error() -> None:
    assert issubclass(InvalidResponseError, ValueError)


def test_constructing_with_a_wire_map_where_a_structure_belongs_is_refused() -> None:
    with pytest.raises(InvalidResponseError, match=r"use AuthenticationResult\.from_dict"):
        AdminInitiateAuthResponse(authentication_result={"AccessToken": "x"})  # type: ignore[arg-type]
    with pytest.raises(
        InvalidResponseError, match="NewDeviceMetadata: must be a NewDeviceMetadata"
    ):
        AuthenticationResult(new_device_metadata={"DeviceKey": "a_1"})  # type: ignore[arg-type]


# --- typed challenge parameters ------------------------------------------------------------


def test_documented_challenge_parameters_are_typed() -> None:
    params = ChallengeParameters(
        {
            "USERNAME": "alice@example.com",
            "USER_ID_FOR_SRP": "7c1e1b7a",
            "MFAS_CAN_SETUP": '["SMS_MFA","SOFTWARE_TOKEN_MFA"]',
            "requiredAttributes": '["userAttributes.name"]',
            "userAttributes": '{"email":"alice@example.com","email_verified":"true"}',
            "CODE_DELIVERY_DELIVERY_MEDIUM": "EMAIL",
            "CODE_DELIVERY_DESTINATION": "a***@e***.com",
            "SALT": "c0ffee",
            "SRP_B": "abcdef0123",
            "SECRET_BLOCK": "c2VjcmV0",
        }
    )
    assert params.username == "alice@example.com"
    assert params.user_id_for_srp == "7c1e1b7a"
    assert params.mfas_can_setup == ("SMS_MFA", "SOFTWARE_TOKEN_MFA")
    assert params.required_attributes == ("userAttributes.name",)
    assert params.user_attributes == {"email": "alice@example.com", "email_verified": "true"}
    assert params.code_delivery_delivery_medium == "EMAIL"
    assert params.code_delivery_destination == "a***@e***.com"
    assert (params.salt, params.srp_b, params.secret_block) == ("c0ffee", "abcdef0123", "c2VjcmV0")


def test_absent_challenge_parameters_read_as_none() -> None:
    params = ChallengeParameters({})
    assert params.username is None
    assert params.mfas_can_setup is None
    assert params.required_attributes is None
    assert params.user_attributes is None


@pytest.mark.parametrize(
    ("key", "raw", "prop", "message"),
    [
        ("MFAS_CAN_SETUP", "[SMS_MFA", "mfas_can_setup", "must be valid JSON"),
        ("MFAS_CAN_SETUP", '{"a": 1}', "mfas_can_setup", "must be a JSON list of strings"),
        ("requiredAttributes", "[1, 2]", "required_attributes", "must be a JSON list of strings"),
        ("userAttributes", "[]", "user_attributes", "must be a map of strings to strings"),
        ("userAttributes", '{"age": 3}', "user_attributes", "userAttributes.age: must be a string"),
    ],
)
def test_malformed_json_parameters_raise_naming_the_key(
    key: str, raw: str, prop: str, message: str
) -> None:
    params = ChallengeParameters({key: raw})
    with pytest.raises(InvalidResponseError, match=message) as caught:
        getattr(params, prop)
    assert key in str(caught.value)


# --- answering ---------------------------------------------------------------------------


def test_challenge_responses_for_a_custom_challenge() -> None:
    response = AdminInitiateAuthResponse.from_dict(challenge())
    assert response.challenge_responses(client_id="client", ANSWER="123456") == {
        "USERNAME": "alice",
        "ANSWER": "123456",
    }


def test_username_comes_from_user_id_for_srp_never_the_alias() -> None:
    response = AdminInitiateAuthResponse(
        challenge_name="PASSWORD_VERIFIER",
        session=SESSION,
        challenge_parameters={"USERNAME": "alice@example.com", "USER_ID_FOR_SRP": "7c1e1b7a"},
    )
    answers = response.challenge_responses(
        client_id="c",
        PASSWORD_CLAIM_SIGNATURE="sig",
        PASSWORD_CLAIM_SECRET_BLOCK="blk",
        TIMESTAMP="Sun Nov 22 00:30:57 UTC 2026",
    )
    assert answers["USERNAME"] == "7c1e1b7a"


def test_secret_hash_is_added_when_the_client_has_a_secret() -> None:
    response = AdminInitiateAuthResponse.from_dict(challenge())
    without = response.challenge_responses(client_id="client-id-123", ANSWER="1")
    with_secret = response.challenge_responses(
        client_id="client-id-123", client_secret="client-secret-xyz", ANSWER="1"
    )
    assert "SECRET_HASH" not in without
    assert with_secret["SECRET_HASH"] == secret_hash("alice", "client-id-123", "client-secret-xyz")


def test_secret_hash_matches_an_independent_implementation() -> None:
    # printf 'user1client-id-123' | openssl dgst -sha256 -hmac 'client-secret-xyz' -binary | base64
    expected = "XCP2A2ft9s2hRMSSH9HxHe0PMYs3jMEv4KlQXmja63Y="
    assert secret_hash("user1", "client-id-123", "client-secret-xyz") == expected


def test_a_missing_answer_lists_what_the_challenge_needs() -> None:
    response = AdminInitiateAuthResponse(
        challenge_name="PASSWORD_VERIFIER", session=SESSION, challenge_parameters={"USERNAME": "a"}
    )
    with pytest.raises(ChallengeResponsesError) as caught:
        response.challenge_responses(client_id="c", TIMESTAMP="t")
    message = str(caught.value)
    assert (
        "PASSWORD_VERIFIER needs PASSWORD_CLAIM_SIGNATURE, PASSWORD_CLAIM_SECRET_BLOCK, TIMESTAMP"
        in message
    )
    assert "missing: PASSWORD_CLAIM_SIGNATURE, PASSWORD_CLAIM_SECRET_BLOCK" in message


def test_an_answer_key_the_challenge_does_not_take_is_refused() -> None:
    response = AdminInitiateAuthResponse.from_dict(challenge())
    with pytest.raises(ChallengeResponsesError, match="CUSTOM_CHALLENGE does not take ANSWR"):
        response.challenge_responses(client_id="c", ANSWER="1", ANSWR="1")


def test_device_key_is_accepted_where_device_authentication_may_apply() -> None:
    response = AdminInitiateAuthResponse.from_dict(challenge())
    answers = response.challenge_responses(client_id="c", ANSWER="1", DEVICE_KEY="us-east-1_ab")
    assert answers["DEVICE_KEY"] == "us-east-1_ab"


@pytest.mark.parametrize("key", ["USERNAME", "SECRET_HASH"])
def test_username_and_secret_hash_are_not_passed_by_hand(key: str) -> None:
    response = AdminInitiateAuthResponse.from_dict(challenge())
    with pytest.raises(ChallengeResponsesError, match=f"{key} is filled in for you"):
        response.challenge_responses(client_id="c", ANSWER="1", **{key: "x"})


def test_answers_must_be_strings() -> None:
    response = AdminInitiateAuthResponse.from_dict(challenge())
    with pytest.raises(ChallengeResponsesError, match="ANSWER: must be a string, got int"):
        response.challenge_responses(client_id="c", ANSWER=123456)  # type: ignore[arg-type]


def test_a_tokens_response_has_no_challenge_to_answer() -> None:
    response = AdminInitiateAuthResponse.from_dict(tokens())
    with pytest.raises(ChallengeResponsesError, match="carries tokens, not a challenge"):
        response.challenge_responses(client_id="c", ANSWER="1")


def test_a_challenge_without_any_username_cannot_be_answered() -> None:
    response = AdminInitiateAuthResponse(challenge_name="CUSTOM_CHALLENGE", session=SESSION)
    with pytest.raises(ChallengeResponsesError, match="neither USER_ID_FOR_SRP nor USERNAME"):
        response.challenge_responses(client_id="c", ANSWER="1")


def test_new_password_required_needs_each_required_attribute() -> None:
    response = AdminInitiateAuthResponse(
        challenge_name="NEW_PASSWORD_REQUIRED",
        session=SESSION,
        challenge_parameters={
            "USER_ID_FOR_SRP": "alice",
            "requiredAttributes": '["userAttributes.name", "family_name"]',
        },
    )
    with pytest.raises(
        ChallengeResponsesError, match=r"missing: userAttributes\.name, userAttributes\.family_name"
    ):
        response.challenge_responses(client_id="c", NEW_PASSWORD="n3w-Passw0rd!")
    answers = response.challenge_responses(
        client_id="c",
        NEW_PASSWORD="n3w-Passw0rd!",
        **{
            "userAttributes.name": "Alice",
            "userAttributes.family_name": "Liddell",
            "userAttributes.nickname": "Al",  # writable but not required: allowed
        },
    )
    assert answers["userAttributes.family_name"] == "Liddell"


def test_select_challenge_needs_the_key_of_the_chosen_challenge() -> None:
    response = AdminInitiateAuthResponse(
        challenge_name="SELECT_CHALLENGE",
        session=SESSION,
        challenge_parameters={"USERNAME": "alice"},
        available_challenges=("PASSWORD", "EMAIL_OTP"),
    )
    assert response.challenge_responses(client_id="c", ANSWER="EMAIL_OTP") == {
        "USERNAME": "alice",
        "ANSWER": "EMAIL_OTP",
    }
    with pytest.raises(ChallengeResponsesError, match="missing: PASSWORD"):
        response.challenge_responses(client_id="c", ANSWER="PASSWORD")
    assert (
        response.challenge_responses(client_id="c", ANSWER="PASSWORD", PASSWORD="pw")["PASSWORD"]
        == "pw"
    )
    with pytest.raises(ChallengeResponsesError, match="one of the AvailableChallenges"):
        response.challenge_responses(client_id="c", ANSWER="WEB_AUTHN", CREDENTIAL="{}")
    with pytest.raises(
        ChallengeResponsesError, match="ANSWER must be one of PASSWORD, PASSWORD_SRP"
    ):
        response.challenge_responses(client_id="c", ANSWER="CUSTOM_CHALLENGE")


def test_select_mfa_type_answers_with_an_mfa_type() -> None:
    response = AdminInitiateAuthResponse(
        challenge_name="SELECT_MFA_TYPE", session=SESSION, challenge_parameters={"USERNAME": "a"}
    )
    assert (
        response.challenge_responses(client_id="c", ANSWER="SOFTWARE_TOKEN_MFA")["ANSWER"]
        == "SOFTWARE_TOKEN_MFA"
    )
    with pytest.raises(ChallengeResponsesError, match="SELECT_MFA_TYPE: ANSWER must be one of"):
        response.challenge_responses(client_id="c", ANSWER="PASSWORD")


def test_admin_no_srp_auth_is_a_flow_not_an_answerable_challenge() -> None:
    response = AdminInitiateAuthResponse(
        challenge_name="ADMIN_NO_SRP_AUTH", session=SESSION, challenge_parameters={"USERNAME": "a"}
    )
    with pytest.raises(ChallengeResponsesError, match="not a challenge to answer"):
        response.challenge_responses(client_id="c")


def test_mfa_setup_takes_no_answer_keys() -> None:
    response = AdminInitiateAuthResponse(
        challenge_name="MFA_SETUP", session=SESSION, challenge_parameters={"USERNAME": "a"}
    )
    assert response.challenge_responses(client_id="c") == {"USERNAME": "a"}
    with pytest.raises(ChallengeResponsesError, match="it needs no answer keys"):
        response.challenge_responses(client_id="c", ANSWER="x")


def test_a_challenge_no_table_knows_takes_the_answers_as_given() -> None:
    response = AdminInitiateAuthResponse(
        challenge_name="FUTURE_CHALLENGE", session=SESSION, challenge_parameters={"USERNAME": "a"}
    )
    assert response.challenge_responses(client_id="c", FUTURE_CODE="1") == {
        "USERNAME": "a",
        "FUTURE_CODE": "1",
    }
