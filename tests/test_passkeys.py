"""custom_auth.passkeys and custom_auth.passkey_api without a pool: the settings' refusals,
the bounds an assertion must keep, and the claims the API takes."""

import json
from typing import Any

import pytest

from custom_auth.credentials import CredentialStore
from custom_auth.flow_settings import SettingsError
from custom_auth.passkey_api import LIST, PasskeyApi
from custom_auth.passkeys import (
    Assertion,
    PasskeyRefused,
    PasskeySettings,
    UserVerification,
    b64url,
    from_b64url,
    request_options,
)

GOOD = {
    "PASSKEY_RP_IDS": "example.com,login.example.com",
    "PASSKEY_ORIGINS": "https://app.example.com,http://localhost:4566",
    "PASSKEY_TABLE_NAME": "passkeys",
}


def test_the_settings_and_their_defaults() -> None:
    settings = PasskeySettings.from_env(GOOD)
    assert settings.rp_ids == ("example.com", "login.example.com")
    assert settings.origins == ("https://app.example.com", "http://localhost:4566")
    assert settings.user_verification is UserVerification.REQUIRED and settings.uv_required
    assert (settings.attestation, settings.timeout_seconds) == ("none", 120)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"PASSKEY_RP_IDS": ""}, "PASSKEY_RP_IDS: is required (SIGN_IN_METHODS includes PASSKEY)"),
        ({"PASSKEY_RP_IDS": "https://example.com"}, "PASSKEY_RP_IDS: each must be a domain name"),
        ({"PASSKEY_RP_IDS": "Example.com"}, "PASSKEY_RP_IDS: each must be a domain name"),
        ({"PASSKEY_ORIGINS": ""}, "PASSKEY_ORIGINS: is required"),
        (
            {"PASSKEY_ORIGINS": "https://app.example.com/signin"},
            "PASSKEY_ORIGINS: each must be an origin",
        ),
        ({"PASSKEY_ORIGINS": "http://app.example.com"}, "PASSKEY_ORIGINS: each must use https"),
        ({"PASSKEY_USER_VERIFICATION": "discouraged"}, "PASSKEY_USER_VERIFICATION: must be one of"),
        ({"PASSKEY_ATTESTATION": "enterprise"}, "PASSKEY_ATTESTATION: must be one of none, direct"),
        (
            {"PASSKEY_TIMEOUT_SECONDS": "5"},
            "PASSKEY_TIMEOUT_SECONDS: must be a whole number from 30",
        ),
        ({"PASSKEY_TABLE_NAME": ""}, "PASSKEY_TABLE_NAME: is required"),
    ],
)
def test_a_bad_setting_names_the_variable_and_the_rule(
    change: dict[str, str], message: str
) -> None:
    with pytest.raises(SettingsError) as caught:
        PasskeySettings.from_env({**GOOD, **change})
    assert str(caught.value).startswith(message)


def test_request_options_are_what_the_browser_takes() -> None:
    settings = PasskeySettings.from_env(GOOD)
    options = request_options(
        settings, b"\x01" * 32, [(b"\x02" * 16, ("internal",)), (b"\x03", ())]
    )
    assert options == {
        "challenge": b64url(b"\x01" * 32),
        "rpId": "example.com",
        "allowCredentials": [
            {"id": b64url(b"\x02" * 16), "type": "public-key", "transports": ["internal"]},
            {"id": b64url(b"\x03"), "type": "public-key"},
        ],
        "timeout": 120_000,
        "userVerification": "required",
    }


def test_base64url_is_read_strictly() -> None:
    assert from_b64url(b64url(b"abc"), "f", 8) == b"abc"
    for bad in ("", "a", "ab$c", "YWJj=x", 3, "€€", b64url(b"x" * 9)):
        with pytest.raises(PasskeyRefused) as caught:
            from_b64url(bad, "field", 8)
        assert str(caught.value).startswith("field: not base64url")


def assertion(**response: Any) -> str:
    client_data = {"type": "webauthn.get", "challenge": b64url(b"c" * 32), "origin": "x"}
    body = {
        "clientDataJSON": b64url(json.dumps(client_data).encode()),
        "authenticatorData": b64url(b"a" * 37),
        "signature": b64url(b"s" * 70),
        **response,
    }
    return json.dumps({"id": b64url(b"i"), "rawId": b64url(b"i"), "type": "public-key",
                       "response": body})  # fmt: skip


def test_an_assertion_in_bounds_parses_and_shows_nothing_in_its_repr() -> None:
    parsed = Assertion.parse(assertion(userHandle=b64url(b"alice")))
    assert (parsed.credential_id, parsed.user_handle) == (b"i", b"alice")
    assert parsed.challenge == b"c" * 32 and "alice" not in repr(parsed)


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        ("123456", "the answer is not a public-key credential"),
        ("not json", "the answer is not an assertion (JSON)"),
        ("x" * 20_000, "the assertion is longer than 16384"),
        (assertion(authenticatorData=b64url(b"a" * 36)), "authenticatorData: shorter than 37"),
        (assertion(signature="!"), "signature: not base64url"),
        (assertion(userHandle=b64url(b"u" * 65)), "userHandle: not base64url of at most 64"),
        (assertion(clientDataJSON=b64url(b"[]")), "clientDataJSON: not an object"),
        (assertion(clientDataJSON=b64url(b"{")), "clientDataJSON: not JSON"),
        (
            assertion(clientDataJSON=b64url(json.dumps({"challenge": b64url(b"c"),
                                                        "crossOrigin": True}).encode())),
            "clientDataJSON: a cross-origin ceremony",
        ),
    ],
)  # fmt: skip
def test_a_malformed_assertion_is_refused_naming_the_part(answer: str, message: str) -> None:
    with pytest.raises(PasskeyRefused) as caught:
        Assertion.parse(answer)
    assert str(caught.value).startswith(message)


def api() -> PasskeyApi:
    settings = PasskeySettings.from_env(GOOD)
    return PasskeyApi(
        settings=settings,
        store=CredentialStore("passkeys", client=object()),  # never reached: refused first
        issuer="https://cognito-idp.us-east-1.amazonaws.com/us-east-1_POOL",
        client_ids=frozenset({"client"}),
    )


ACCESS = {
    "token_use": "access",
    "iss": "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_POOL",
    "client_id": "client",
    "username": "alice",
    "sub": "1",
}


@pytest.mark.parametrize(
    ("claims", "status", "message"),
    [
        (None, 401, "Authorization: a valid access token is required"),
        ({**ACCESS, "token_use": "id"}, 403, "Authorization: must be an access token"),
        ({**ACCESS, "iss": "https://x"}, 403, "Authorization: a token of another user pool"),
        ({**ACCESS, "client_id": "other"}, 403, "Authorization: a token of another app client"),
        ({**ACCESS, "username": ""}, 403, "Authorization: the token names no user"),
    ],
)  # fmt: skip
def test_the_api_refuses_what_is_not_an_access_token_of_the_pool(
    claims: dict[str, str] | None, status: int, message: str
) -> None:
    context: dict[str, Any] = {"authorizer": {"jwt": {"claims": claims}}} if claims else {}
    response = api().handle({"routeKey": LIST, "requestContext": context})
    assert response["statusCode"] == status
    body = json.loads(response["body"])
    assert body["message"] == message or body["message"].startswith(message)
    assert body["error"] == ("Unauthorized" if status == 401 else "Forbidden")


def test_a_route_the_api_does_not_have_is_a_json_404() -> None:
    response = api().handle({"routeKey": "GET /elsewhere"})
    assert response["statusCode"] == 404 and json.loads(response["body"])["error"] == "NotFound"


def test_made_up_credentials_are_all_drawn_under_the_key() -> None:
    from custom_auth.methods.passkey import decoys

    key, other_key = b"k" * 32, b"o" * 32
    alice = decoys(key, "pool", "alice")
    assert alice == decoys(key, "pool", "alice")  # the same each time, as real ones are
    assert alice != decoys(key, "pool", "bob") and alice != decoys(key, "other-pool", "alice")
    # Nothing of them is the same under another key: no part can be made without it.
    elsewhere = decoys(other_key, "pool", "alice")
    assert not {cid for cid, _ in alice} & {cid for cid, _ in elsewhere}
    for cid, _ in alice:
        assert all(cid[i : i + 8] not in b"".join(c for c, _ in elsewhere) for i in range(8))


def test_made_up_credentials_look_like_real_ones_in_number_length_and_transports() -> None:
    from collections import Counter

    from custom_auth.methods.passkey import decoys

    drawn = [decoys(b"k" * 32, "pool", f"user{n}") for n in range(2000)]
    counts = Counter(len(d) for d in drawn)
    lengths = Counter(len(cid) for d in drawn for cid, _ in d)
    transports = Counter(t for d in drawn for _, t in d)
    # Every shape real passkeys have turns up, about as often as its weight says (of 256).
    assert set(counts) == {1, 2} and 0.70 < counts[1] / len(drawn) < 0.86
    assert set(lengths) == {16, 20, 32, 64}
    assert 0.05 < lengths[64] / sum(lengths.values()) < 0.15
    assert set(transports) == {("hybrid", "internal"), ("internal",), ("nfc", "usb"), ("usb",)}
    assert 0.6 < transports[("hybrid", "internal")] / sum(transports.values()) < 0.77


@pytest.mark.usefixtures("aws")
@pytest.mark.parametrize("user_not_found", [False, True])
def test_a_round_fails_closed_when_the_decoy_key_cannot_be_read(user_not_found: bool) -> None:
    from custom_auth.code_key import CodeKey, CodeKeyError
    from custom_auth.events import CreateAuthChallengeEvent, parse_event
    from custom_auth.methods.passkey import PasskeyMethod
    from tests.triggers import create_event

    method = PasskeyMethod(
        PasskeySettings.from_env(GOOD), CredentialStore("passkeys"), CodeKey("no-such-secret")
    )
    event = parse_event(
        create_event([], challengeName="CUSTOM_CHALLENGE", userNotFound=user_not_found)
    )
    assert isinstance(event, CreateAuthChallengeEvent)
    # Every user's round needs the key, so none is told apart by failing or not.
    with pytest.raises(CodeKeyError, match="no-such-secret"):
        method.start(event, limits=None, now=1_700_000_000)  # type: ignore[arg-type]
