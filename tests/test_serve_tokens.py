"""Over HTTP, the local pool's tokens are Cognito's: signed with keys made for the pool, with
Cognito's claims, refreshed with the first sign-in's auth_time, revoked by RevokeToken and
GlobalSignOut, and verifiable by a client given the local endpoint."""

import base64
import functools
import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from joserfc import jwt
from joserfc.jwk import RSAKey
from moto.utilities.utils import load_resource
from pycognito import Cognito

from custom_auth_local import tokens
from tests.serving import SENDER, Served, error_of, serving

EMAIL = "dave@example.com"
OTHER_EMAIL = "erin@example.com"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    # Many sign-ins of the same users: the hourly cap on messages would withhold codes.
    directory = tmp_path_factory.mktemp("serve-tokens")
    with serving(
        directory, users=(EMAIL, OTHER_EMAIL), parameters=(SENDER, "MaxSendsPerHour=60")
    ) as running:
        yield running


def claims(token: str) -> dict[str, Any]:
    """A JWT's claims, unverified (the tests that verify do so separately)."""
    payload = token.split(".")[1]
    decoded: dict[str, Any] = json.loads(
        base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    )
    return decoded


def header(token: str) -> dict[str, Any]:
    part = token.split(".")[0]
    decoded: dict[str, Any] = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    return decoded


def refresh(served: Served, refresh_token: str, client_id: str | None = None) -> dict[str, Any]:
    result: dict[str, Any] = served.cognito().initiate_auth(
        ClientId=client_id or served.client_id,
        AuthFlow="REFRESH_TOKEN_AUTH",
        AuthParameters={"REFRESH_TOKEN": refresh_token},
    )["AuthenticationResult"]
    return result


# --- keys and claims ------------------------------------------------------------------------------


def test_the_tokens_carry_cognitos_claims_and_verify_against_the_endpoints_jwks(
    served: Served,
) -> None:
    result = served.sign_in(EMAIL)
    issuer = tokens.issuer("us-east-1", served.user_pool_id, served.endpoint)
    jwks = tokens.fetch_jwks(issuer)
    id_claims = tokens.verify(
        result["IdToken"], jwks, expected_issuer=issuer, client_id=served.client_id, use="id"
    )
    access = tokens.verify(
        result["AccessToken"],
        jwks,
        expected_issuer=issuer,
        client_id=served.client_id,
        use="access",
    )
    username = served.cognito().get_user(AccessToken=result["AccessToken"])["Username"]
    assert id_claims["email"] == EMAIL and id_claims["email_verified"] is True
    assert id_claims["cognito:username"] == access["username"] == username == access["sub"]
    for claim in ("event_id", "origin_jti", "auth_time", "jti", "iat"):
        assert id_claims[claim] and access[claim], claim
    assert id_claims["event_id"] == access["event_id"]
    assert access["scope"] == "aws.cognito.signin.user.admin"
    assert result["ExpiresIn"] == 3600 and result["TokenType"] == "Bearer"
    # Two keys, as Cognito has: one signs ID tokens, the other access tokens.
    assert {key["kid"] for key in jwks["keys"]} == {
        header(result["IdToken"])["kid"],
        header(result["AccessToken"])["kid"],
    }
    assert len(jwks["keys"]) == 2 and "dummy" not in {key["kid"] for key in jwks["keys"]}
    # The refresh token is opaque, shaped like Cognito's encrypted JWT.
    assert result["RefreshToken"].count(".") == 4
    discovery = requests.get(f"{issuer}/.well-known/openid-configuration", timeout=10).json()
    assert discovery["issuer"] == issuer
    assert discovery["jwks_uri"] == f"{issuer}/.well-known/jwks.json"


def test_pycognito_given_the_endpoint_verifies_the_tokens(served: Served) -> None:
    result = served.sign_in(EMAIL)
    user = Cognito(
        served.user_pool_id,
        served.client_id,
        id_token=result["IdToken"],
        access_token=result["AccessToken"],
        refresh_token=result["RefreshToken"],
        boto3_client_kwargs={
            "endpoint_url": served.endpoint,
            "aws_access_key_id": "local",
            "aws_secret_access_key": "local",
        },
    )
    user.verify_tokens()  # raises TokenVerificationException ("Invalid issuer"...) if not
    assert user.id_claims["email"] == EMAIL
    assert user.check_token(renew=True) is False  # not expired: nothing to renew


def test_a_token_signed_with_motos_shipped_key_is_refused(served: Served) -> None:
    result = served.sign_in(EMAIL)
    real = claims(result["AccessToken"])
    moto_key = RSAKey.import_key(load_resource("cognitoidp/resources/jwks-private.json"))
    # Everyone has moto's private key: a token it signs must not pass, whatever it claims.
    forged = jwt.encode(
        {"kid": header(result["AccessToken"])["kid"], "alg": "RS256"},
        {**real, "exp": int(time.time()) + 3600},
        moto_key,
    )
    assert error_of(lambda: served.cognito().get_user(AccessToken=forged)) == (
        "NotAuthorizedException",
        "Invalid Access Token",
    )
    issuer = tokens.issuer("us-east-1", served.user_pool_id, served.endpoint)
    with pytest.raises(tokens.TokenError, match="signature does not verify"):
        tokens.verify(
            forged,
            tokens.fetch_jwks(issuer),
            expected_issuer=issuer,
            client_id=served.client_id,
            use="access",
        )


# --- refresh --------------------------------------------------------------------------------------


def test_a_refresh_keeps_the_sign_in_time_and_the_origin(served: Served) -> None:
    first = served.sign_in(EMAIL)
    time.sleep(1.1)  # claims count whole seconds
    renewed = refresh(served, first["RefreshToken"])
    assert "RefreshToken" not in renewed  # no rotation on this client
    before, after = claims(first["IdToken"]), claims(renewed["IdToken"])
    assert after["auth_time"] == before["auth_time"] < after["iat"]
    assert after["origin_jti"] == before["origin_jti"] and after["jti"] != before["jti"]
    assert after["event_id"] == before["event_id"]
    assert claims(renewed["AccessToken"])["auth_time"] == before["auth_time"]
    assert served.cognito().get_user(AccessToken=renewed["AccessToken"])["Username"]


def test_get_tokens_from_refresh_token_answers_json(served: Served) -> None:
    first = served.sign_in(EMAIL)
    got = served.cognito().get_tokens_from_refresh_token(
        ClientId=served.client_id, RefreshToken=first["RefreshToken"]
    )["AuthenticationResult"]
    assert set(got) == {"IdToken", "AccessToken", "ExpiresIn", "TokenType"}  # no rotation
    assert claims(got["IdToken"])["auth_time"] == claims(first["IdToken"])["auth_time"]


def test_with_rotation_a_refresh_token_is_replaced_and_the_old_one_refused(
    served: Served,
) -> None:
    rotating = served.create_client(
        "ALLOW_CUSTOM_AUTH",
        RefreshTokenRotation={"Feature": "ENABLED", "RetryGracePeriodSeconds": 0},
    )
    first = served.sign_in(EMAIL, rotating)
    cognito = served.cognito()
    got = cognito.get_tokens_from_refresh_token(
        ClientId=rotating, RefreshToken=first["RefreshToken"]
    )["AuthenticationResult"]
    assert got["RefreshToken"] != first["RefreshToken"]
    code, _ = error_of(
        lambda: cognito.get_tokens_from_refresh_token(
            ClientId=rotating, RefreshToken=first["RefreshToken"]
        )
    )
    assert code == "RefreshTokenReuseException"
    again = cognito.get_tokens_from_refresh_token(
        ClientId=rotating, RefreshToken=got["RefreshToken"]
    )
    assert "AccessToken" in again["AuthenticationResult"]


def test_a_refresh_token_belongs_to_its_client(served: Served) -> None:
    other = served.create_client("ALLOW_CUSTOM_AUTH", "ALLOW_REFRESH_TOKEN_AUTH")
    first = served.sign_in(EMAIL)
    assert error_of(lambda: refresh(served, first["RefreshToken"], other)) == (
        "NotAuthorizedException",
        "Invalid Refresh Token.",
    )
    assert error_of(lambda: refresh(served, "not-a-token")) == (
        "NotAuthorizedException",
        "Invalid Refresh Token.",
    )


# --- revocation and sign-out ----------------------------------------------------------------------


def test_revoke_token_ends_the_refresh_token_and_its_access_tokens(served: Served) -> None:
    cognito = served.cognito()
    first = served.sign_in(EMAIL)
    renewed = refresh(served, first["RefreshToken"])
    untouched = served.sign_in(EMAIL)  # another sign-in of the same user

    for _ in range(2):  # revoking again changes nothing and is no error
        answer = cognito.revoke_token(ClientId=served.client_id, Token=first["RefreshToken"])
        assert set(answer) == {"ResponseMetadata"}
    revoked = ("NotAuthorizedException", "Refresh Token has been revoked")
    assert error_of(lambda: refresh(served, first["RefreshToken"])) == revoked
    assert (
        error_of(
            lambda: cognito.get_tokens_from_refresh_token(
                ClientId=served.client_id, RefreshToken=first["RefreshToken"]
            )
        )
        == revoked
    )
    for access_token in (first["AccessToken"], renewed["AccessToken"]):
        assert error_of(functools.partial(cognito.get_user, AccessToken=access_token)) == (
            "NotAuthorizedException",
            "Access Token has been revoked",
        )
    assert cognito.get_user(AccessToken=untouched["AccessToken"])["Username"]
    assert "AccessToken" in refresh(served, untouched["RefreshToken"])


def test_revoke_token_takes_refresh_tokens_only_and_of_its_own_client(served: Served) -> None:
    cognito = served.cognito()
    first = served.sign_in(EMAIL)
    code, _ = error_of(
        lambda: cognito.revoke_token(ClientId=served.client_id, Token=first["AccessToken"])
    )
    assert code == "UnsupportedTokenTypeException"
    other = served.create_client("ALLOW_CUSTOM_AUTH", "ALLOW_REFRESH_TOKEN_AUTH")
    code, _ = error_of(lambda: cognito.revoke_token(ClientId=other, Token=first["RefreshToken"]))
    assert code == "UnauthorizedException"
    no_revocation = served.create_client(
        "ALLOW_CUSTOM_AUTH", "ALLOW_REFRESH_TOKEN_AUTH", EnableTokenRevocation=False
    )
    theirs = served.sign_in(EMAIL, no_revocation)
    code, _ = error_of(
        lambda: cognito.revoke_token(ClientId=no_revocation, Token=theirs["RefreshToken"])
    )
    assert code == "UnsupportedOperationException"
    assert "AccessToken" in refresh(served, first["RefreshToken"])  # nothing was revoked


def test_global_sign_out_revokes_every_token_of_the_user_only(served: Served) -> None:
    cognito = served.cognito()
    first, second = served.sign_in(OTHER_EMAIL), served.sign_in(OTHER_EMAIL)
    bystander = served.sign_in(EMAIL)
    cognito.global_sign_out(AccessToken=first["AccessToken"])
    for result in (first, second):
        assert error_of(functools.partial(cognito.get_user, AccessToken=result["AccessToken"])) == (
            "NotAuthorizedException",
            "Access Token has been revoked",
        )
        assert error_of(functools.partial(refresh, served, result["RefreshToken"])) == (
            "NotAuthorizedException",
            "Refresh Token has been revoked",
        )
    assert cognito.get_user(AccessToken=bystander["AccessToken"])["Username"]
    assert "AccessToken" in served.sign_in(OTHER_EMAIL)  # signing in again works


def test_admin_global_sign_out_revokes_the_users_tokens(served: Served) -> None:
    cognito = served.cognito()
    result = served.sign_in(OTHER_EMAIL)
    cognito.admin_user_global_sign_out(UserPoolId=served.user_pool_id, Username=OTHER_EMAIL)
    assert error_of(lambda: refresh(served, result["RefreshToken"])) == (
        "NotAuthorizedException",
        "Refresh Token has been revoked",
    )
    assert error_of(lambda: cognito.get_user(AccessToken=result["AccessToken"]))[0] == (
        "NotAuthorizedException"
    )
