"""custom_auth_local.token_issuer: a pool's tokens, their origins, refresh, revocation, checks."""

import base64
import json
import threading
from typing import Any

import pytest
from joserfc import jwt
from joserfc.jwk import KeySet

from custom_auth_local.cognito_errors import CognitoError
from custom_auth_local.token_issuer import ClientTokenSettings, Principal, TokenIssuer

POOL = "us-east-1_TESTPOOL1"
CLIENT = ClientTokenSettings("client-1")
OTHER_CLIENT = ClientTokenSettings("client-2")
ALICE = Principal(
    username="2f1e1b7a-0000-4000-8000-000000000001",
    sub="2f1e1b7a-0000-4000-8000-000000000001",
    id_claims={"email": "alice@example.com", "email_verified": True},
    groups=("admins",),
)


class Clock:
    def __init__(self) -> None:
        self.now = 1_900_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def issuer(clock: Clock) -> TokenIssuer:
    return TokenIssuer(POOL, "us-east-1", clock)


def claims(token: str) -> dict[str, Any]:
    part = token.split(".")[1]
    decoded: dict[str, Any] = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    return decoded


def error(call: Any) -> tuple[str, str]:
    with pytest.raises(CognitoError) as caught:
        call()
    body = json.loads(caught.value.get_body())
    return body["__type"], body["message"]


def test_tokens_verify_with_the_published_keys_only(issuer: TokenIssuer) -> None:
    result = issuer.sign_in(CLIENT, ALICE)
    published = issuer.jwks()
    assert all("d" not in key for key in published["keys"])  # no private part
    keys = KeySet.import_key_set(published)  # type: ignore[arg-type]
    id_token = jwt.decode(result["IdToken"], keys, algorithms=["RS256"])
    access = jwt.decode(result["AccessToken"], keys, algorithms=["RS256"])
    assert id_token.header["kid"] != access.header["kid"]  # a key for each, as Cognito has
    assert all(len(kid) == 44 for kid in issuer.key_ids.values())
    assert id_token.claims["iss"] == f"https://cognito-idp.us-east-1.amazonaws.com/{POOL}"
    assert id_token.claims["cognito:groups"] == ["admins"]
    assert id_token.claims["email_verified"] is True
    another = TokenIssuer(POOL, "us-east-1", Clock())
    assert not another.signed_by_this_pool(result["AccessToken"])
    assert error(lambda: another.access_token_origin(result["AccessToken"])) == (
        "NotAuthorizedException",
        "Invalid Access Token",
    )


def test_the_issuer_follows_where_the_pool_is_served(clock: Clock) -> None:
    served = TokenIssuer(POOL, "us-east-1", clock, issuer_base="http://127.0.0.1:4566/")
    assert served.issuer == f"http://127.0.0.1:4566/{POOL}"
    assert claims(served.sign_in(CLIENT, ALICE)["IdToken"])["iss"] == served.issuer


def test_an_id_token_is_not_an_access_token(issuer: TokenIssuer) -> None:
    result = issuer.sign_in(CLIENT, ALICE)
    assert error(lambda: issuer.access_token_origin(result["IdToken"])) == (
        "NotAuthorizedException",
        "Invalid Access Token",
    )
    assert error(lambda: issuer.access_token_origin("not.a.token")) == (
        "NotAuthorizedException",
        "Invalid Access Token",
    )


def test_renewing_keeps_the_origin_and_the_sign_in_time(issuer: TokenIssuer, clock: Clock) -> None:
    first = issuer.sign_in(CLIENT, ALICE)
    clock.now += 600
    renewed = issuer.renew(CLIENT, first["RefreshToken"], ALICE, rotate=False)
    assert "RefreshToken" not in renewed
    before, after = claims(first["AccessToken"]), claims(renewed["AccessToken"])
    for kept in ("auth_time", "origin_jti", "event_id", "sub", "username"):
        assert after[kept] == before[kept], kept
    assert after["iat"] == before["iat"] + 600 and after["jti"] != before["jti"]
    assert issuer.access_token_origin(renewed["AccessToken"]).username == ALICE.username


def test_tokens_expire(issuer: TokenIssuer, clock: Clock) -> None:
    result = issuer.sign_in(CLIENT, ALICE)
    clock.now += 3601
    assert error(lambda: issuer.access_token_origin(result["AccessToken"])) == (
        "NotAuthorizedException",
        "Access Token has expired",
    )
    clock.now += 30 * 86400
    assert error(lambda: issuer.origin_of_refresh_token(CLIENT, result["RefreshToken"])) == (
        "NotAuthorizedException",
        "Refresh Token has expired",
    )


def test_lifetimes_follow_the_clients_settings() -> None:
    settings = ClientTokenSettings.from_config(
        "c",
        {
            "IdTokenValidity": 2,
            "AccessTokenValidity": 30,
            "RefreshTokenValidity": 0,  # Cognito reads 0 as the default
            "TokenValidityUnits": {"AccessToken": "minutes"},
            "EnableTokenRevocation": False,
            "RefreshTokenRotation": {"Feature": "ENABLED", "RetryGracePeriodSeconds": 10},
        },
    )
    assert (settings.id_token_seconds, settings.access_token_seconds) == (7200, 1800)
    assert settings.refresh_token_seconds == 30 * 86400
    assert not settings.revocation_enabled
    assert (settings.rotation_enabled, settings.rotation_grace_seconds) == (True, 10)
    assert ClientTokenSettings.from_config("c", {}) == ClientTokenSettings("c")


def test_revoking_ends_the_origin_and_nothing_else(issuer: TokenIssuer) -> None:
    first = issuer.sign_in(CLIENT, ALICE)
    renewed = issuer.renew(CLIENT, first["RefreshToken"], ALICE, rotate=False)
    second = issuer.sign_in(CLIENT, ALICE)
    issuer.revoke("client-1", first["RefreshToken"])
    for token in (first["AccessToken"], renewed["AccessToken"]):
        assert error(lambda token=token: issuer.access_token_origin(token)) == (
            "NotAuthorizedException",
            "Access Token has been revoked",
        )
    assert error(lambda: issuer.origin_of_refresh_token(CLIENT, first["RefreshToken"])) == (
        "NotAuthorizedException",
        "Refresh Token has been revoked",
    )
    assert (
        issuer.access_token_origin(second["AccessToken"]).origin_jti
        != claims(first["AccessToken"])["origin_jti"]
    )
    issuer.revoke("client-1", "never-issued")  # accepted, as it changes nothing


def test_revoke_takes_a_refresh_token_of_its_own_client(issuer: TokenIssuer) -> None:
    result = issuer.sign_in(CLIENT, ALICE)
    for token in (result["AccessToken"], result["IdToken"]):
        assert error(lambda token=token: issuer.revoke("client-1", token))[0] == (
            "UnsupportedTokenTypeException"
        )
    assert error(lambda: issuer.revoke("client-2", result["RefreshToken"]))[0] == (
        "UnauthorizedException"
    )
    assert error(lambda: issuer.origin_of_refresh_token(OTHER_CLIENT, result["RefreshToken"])) == (
        "NotAuthorizedException",
        "Invalid Refresh Token.",
    )
    assert issuer.origin_of_refresh_token(CLIENT, result["RefreshToken"])


def test_signing_out_revokes_every_origin_of_the_user(issuer: TokenIssuer) -> None:
    bob = Principal(username="bob", sub="b0b", id_claims={})
    alices = [issuer.sign_in(CLIENT, ALICE), issuer.sign_in(OTHER_CLIENT, ALICE)]
    bobs = issuer.sign_in(CLIENT, bob)
    issuer.sign_out(ALICE.username)
    for result in alices:
        assert error(lambda r=result: issuer.access_token_origin(r["AccessToken"]))[1] == (
            "Access Token has been revoked"
        )
    assert issuer.access_token_origin(bobs["AccessToken"]).username == "bob"


def test_rotation_replaces_the_refresh_token_after_a_grace_period(
    issuer: TokenIssuer, clock: Clock
) -> None:
    rotating = ClientTokenSettings("client-1", rotation_enabled=True, rotation_grace_seconds=30)
    first = issuer.sign_in(rotating, ALICE)
    renewed = issuer.renew(rotating, first["RefreshToken"], ALICE, rotate=True)
    assert renewed["RefreshToken"] != first["RefreshToken"]
    clock.now += 29  # a client retrying inside the grace period still gets through...
    retried = issuer.renew(rotating, first["RefreshToken"], ALICE, rotate=True)
    clock.now += 1  # ...and that retry does not extend it: 30 s after the first renewal, done
    assert (
        error(lambda: issuer.renew(rotating, first["RefreshToken"], ALICE, rotate=True))[0]
        == "RefreshTokenReuseException"
    )
    for token in (renewed["RefreshToken"], retried["RefreshToken"]):
        assert issuer.origin_of_refresh_token(rotating, token)


def test_without_a_grace_period_one_of_racing_refreshes_gets_through(
    issuer: TokenIssuer,
) -> None:
    rotating = ClientTokenSettings("client-1", rotation_enabled=True, rotation_grace_seconds=0)
    token = issuer.sign_in(rotating, ALICE)["RefreshToken"]
    start = threading.Barrier(16)
    outcomes: list[str] = []

    def refresh() -> None:
        start.wait()
        try:
            issuer.renew(rotating, token, ALICE, rotate=True)
            outcomes.append("renewed")
        except CognitoError as refused:
            outcomes.append(json.loads(refused.get_body())["__type"])

    threads = [threading.Thread(target=refresh) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["RefreshTokenReuseException"] * 15 + ["renewed"]


def test_nothing_secret_in_the_repr(issuer: TokenIssuer) -> None:
    result = issuer.sign_in(CLIENT, ALICE)
    shown = repr(issuer)
    for token in result.values():
        if isinstance(token, str):
            assert token not in shown
    assert "RSAKey" not in shown and "_refresh_tokens" not in shown


def test_a_refresh_token_is_opaque_and_fits_the_model(issuer: TokenIssuer) -> None:
    token = issuer.sign_in(CLIENT, ALICE)["RefreshToken"]
    parts = token.split(".")
    assert len(parts) == 5 and all(parts)
    assert ALICE.username not in token and ALICE.sub not in token
    assert json.loads(base64.urlsafe_b64decode(parts[0] + "=="))["alg"] == "RSA-OAEP"
    assert not issuer.named_in(token) and not issuer.signed_by_this_pool(token)
