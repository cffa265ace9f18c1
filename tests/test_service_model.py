"""Conformance with the cognito-idp service model of the installed (pinned) botocore."""

import dataclasses
from pathlib import Path
from typing import Any

import boto3
import botocore
import botocore.session
import pytest
from botocore.loaders import Loader
from botocore.stub import Stubber
from botocore.validate import ParamValidator
from moto import mock_aws

from custom_auth import _service_model
from custom_auth._redact import is_sensitive
from custom_auth.model import (
    AdminInitiateAuthResponse,
    AuthenticationResult,
    ChallengeName,
    ChallengeParameters,
    NewDeviceMetadata,
    secret_hash,
)
from tests.conftest import generator_is_current

ROOT = Path(__file__).resolve().parent.parent
SHAPES: dict[str, Any] = Loader().load_service_model("cognito-idp", "service-2")["shapes"]
OPERATIONS = (
    "InitiateAuthResponse",
    "AdminInitiateAuthResponse",
    "RespondToAuthChallengeResponse",
    "AdminRespondToAuthChallengeResponse",
)
# Our structures, by the botocore shape each one models.
STRUCTURES = {
    "AdminInitiateAuthResponse": AdminInitiateAuthResponse,
    "AuthenticationResultType": AuthenticationResult,
    "NewDeviceMetadataType": NewDeviceMetadata,
}


def wire_members(cls: type) -> dict[str, dataclasses.Field[Any]]:
    return {
        f.metadata["wire"]: f
        for f in dataclasses.fields(cls)
        if "wire" in f.metadata  # request_id is metadata, not a member
    }


def test_the_generated_copy_of_the_model_is_current() -> None:
    assert generator_is_current("generate_service_model.py") == ""
    assert botocore.__version__ == _service_model.BOTOCORE_VERSION


def test_challenge_name_has_exactly_the_values_of_challenge_name_type() -> None:
    assert [name.value for name in ChallengeName] == SHAPES["ChallengeNameType"]["enum"]
    assert len(ChallengeName) == 16


def test_session_bounds_are_the_models() -> None:
    session = SHAPES["SessionType"]
    ok_short = AdminInitiateAuthResponse(
        challenge_name="CUSTOM_CHALLENGE", session="s" * session["min"]
    )
    ok_long = AdminInitiateAuthResponse(
        challenge_name="CUSTOM_CHALLENGE", session="s" * session["max"]
    )
    assert (len(ok_short.session or ""), len(ok_long.session or "")) == (
        session["min"],
        session["max"],
    )
    with pytest.raises(ValueError, match=rf"Session: must be at least {session['min']} characters"):
        AdminInitiateAuthResponse(
            challenge_name="CUSTOM_CHALLENGE", session="s" * (session["min"] - 1)
        )
    with pytest.raises(ValueError, match=rf"Session: must be at most {session['max']} characters"):
        AdminInitiateAuthResponse(
            challenge_name="CUSTOM_CHALLENGE", session="s" * (session["max"] + 1)
        )


@pytest.mark.parametrize("operation", OPERATIONS)
def test_the_four_operations_share_one_shape(operation: str) -> None:
    members = {k: v["shape"] for k, v in SHAPES[operation]["members"].items()}
    assert members == _service_model.SHAPES["AdminInitiateAuthResponse"]["members"]


@pytest.mark.parametrize("shape", sorted(STRUCTURES))
def test_each_structure_has_exactly_the_models_members(shape: str) -> None:
    assert set(wire_members(STRUCTURES[shape])) == set(SHAPES[shape]["members"])


def test_hidden_fields_are_exactly_the_fields_of_sensitive_shapes() -> None:
    expected = {
        f"{shape}.{member}"
        for shape in STRUCTURES
        for member, spec in SHAPES[shape]["members"].items()
        if SHAPES[spec["shape"]].get("sensitive")
    }
    hidden = {
        f"{shape}.{wire}"
        for shape, cls in STRUCTURES.items()
        for wire, field in wire_members(cls).items()
        if is_sensitive(field)
    }
    assert hidden == expected
    assert expected == {
        "AdminInitiateAuthResponse.Session",
        "AuthenticationResultType.AccessToken",
        "AuthenticationResultType.IdToken",
        "AuthenticationResultType.RefreshToken",
    }


STUBBED = {
    "custom challenge": {
        "ChallengeName": "CUSTOM_CHALLENGE",
        "Session": "AYABeEXAMPLE-session-string-0123456789",
        "ChallengeParameters": {"USERNAME": "alice", "email": "a***@e***.com"},
    },
    "tokens": {
        "AuthenticationResult": {
            "AccessToken": "eyJraWQiOiJ.eyJzdWIiOiI.c2lnbmF0dXJl",
            "ExpiresIn": 3600,
            "TokenType": "Bearer",
            "RefreshToken": "eyJjdHkiOiJKV1QiLCJlbmMiOiJBMjU2R0NNIn0.refresh",
            "IdToken": "eyJraWQiOiJ.eyJlbWFpbCI6Im.c2lnbmF0dXJl",
            "NewDeviceMetadata": {
                "DeviceKey": "us-east-1_0a1b2c3d-4e5f-6789-abcd-ef0123456789",
                "DeviceGroupKey": "-abcdEFGH",
            },
        },
        "ChallengeParameters": {},
    },
    "choice-based sign-in": {
        "ChallengeName": "SELECT_CHALLENGE",
        "Session": "AYABeEXAMPLE-session-string-0123456789",
        "AvailableChallenges": ["PASSWORD", "EMAIL_OTP", "WEB_AUTHN"],
        "ChallengeParameters": {"USERNAME": "alice"},
    },
    "a challenge name the enum lacks": {
        "ChallengeName": "EMAIL_MFA",
        "Session": "AYABeEXAMPLE-session-string-0123456789",
        "ChallengeParameters": {"CODE_DELIVERY_DELIVERY_MEDIUM": "EMAIL"},
    },
}


@pytest.mark.parametrize("wire", STUBBED.values(), ids=STUBBED.keys())
def test_stubber_accepts_to_dict_and_the_stubbed_call_reads_back_equal(
    wire: dict[str, Any],
) -> None:
    response = AdminInitiateAuthResponse.from_dict(wire)
    client = boto3.client(
        "cognito-idp",
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    with Stubber(client) as stubber:
        stubber.add_response("admin_initiate_auth", response.to_dict())
        returned = client.admin_initiate_auth(
            UserPoolId="us-east-1_EXAMPLE01",
            ClientId="1example23456789",
            AuthFlow="CUSTOM_AUTH",
            AuthParameters={"USERNAME": "alice"},
        )
    assert AdminInitiateAuthResponse.from_dict(returned) == response
    assert response.to_dict() == wire


def test_botocore_rejects_too_short_a_session_just_as_the_model_does() -> None:
    output = botocore.session.get_session().get_service_model("cognito-idp")
    shape = output.operation_model("AdminInitiateAuth").output_shape
    short = {"ChallengeName": "CUSTOM_CHALLENGE", "Session": "x" * 19}
    assert ParamValidator().validate(short, shape).has_errors()
    with pytest.raises(ValueError, match="Session"):
        AdminInitiateAuthResponse.from_dict(short)


@mock_aws
def test_real_boto3_responses_read_and_answer_through_the_model() -> None:
    """moto's Cognito returns real boto3 responses (ResponseMetadata included): a
    NEW_PASSWORD_REQUIRED challenge, answered, then tokens; then a refresh, where moto checks
    SECRET_HASH with its own implementation."""
    cognito = boto3.client("cognito-idp", region_name="us-east-1")
    pool_id = cognito.create_user_pool(PoolName="model-test")["UserPool"]["Id"]
    app = cognito.create_user_pool_client(
        UserPoolId=pool_id,
        ClientName="model-test",
        ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
        GenerateSecret=True,
    )["UserPoolClient"]
    client_id, client_secret = app["ClientId"], app["ClientSecret"]
    cognito.admin_create_user(
        UserPoolId=pool_id, Username="alice", TemporaryPassword="Temp-Passw0rd!"
    )

    raw = cognito.initiate_auth(
        ClientId=client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={
            "USERNAME": "alice",
            "PASSWORD": "Temp-Passw0rd!",
            "SECRET_HASH": secret_hash("alice", client_id, client_secret),
        },
    )
    first = AdminInitiateAuthResponse.from_dict(raw)
    assert first.challenge_name is ChallengeName.NEW_PASSWORD_REQUIRED
    assert first.request_id == raw["ResponseMetadata"]["RequestId"]
    assert "ResponseMetadata" not in first.to_dict()

    # moto leaves ChallengeParameters empty where Cognito sends USER_ID_FOR_SRP; add it.
    challenge = dataclasses.replace(
        first, challenge_parameters=ChallengeParameters({"USER_ID_FOR_SRP": "alice"})
    )
    answers = challenge.challenge_responses(
        client_id=client_id, client_secret=client_secret, NEW_PASSWORD="N3w-Passw0rd!"
    )
    raw = cognito.respond_to_auth_challenge(
        ClientId=client_id,
        ChallengeName=str(challenge.challenge_name),
        Session=str(challenge.session),
        ChallengeResponses=answers,
    )
    done = AdminInitiateAuthResponse.from_dict(raw)
    assert done.authentication_result is not None
    assert done.authentication_result.token_type == "Bearer"
    assert done.authentication_result.access_token == raw["AuthenticationResult"]["AccessToken"]
    assert done.to_dict() == {k: v for k, v in raw.items() if k != "ResponseMetadata"}

    def refresh(secret: str) -> AdminInitiateAuthResponse:
        assert done.authentication_result is not None
        return AdminInitiateAuthResponse.from_dict(
            cognito.initiate_auth(
                ClientId=client_id,
                AuthFlow="REFRESH_TOKEN_AUTH",
                AuthParameters={
                    "REFRESH_TOKEN": str(done.authentication_result.refresh_token),
                    "SECRET_HASH": secret_hash("alice", client_id, secret),
                },
            )
        )

    with pytest.raises(cognito.exceptions.NotAuthorizedException):
        refresh("not-the-client-secret")
    refreshed = refresh(client_secret)
    assert refreshed.authentication_result is not None
    assert refreshed.authentication_result.id_token
