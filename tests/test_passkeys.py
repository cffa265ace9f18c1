"""custom_auth.passkeys and custom_auth.passkey_api without a pool: the settings' refusals,
the bounds an assertion must keep, and the claims the API takes."""

import json
from typing import Any

import pytest

from custom_auth.credentials import CredentialStore
from custom_auth.flow_settings import SettingsError
from custom_auth.passkey_api import (
    DELETE,
    LIST,
    OPTIONS,
    REGISTER,
    RENAME,
    PasskeyApi,
    cognito_user,
)
from custom_auth.passkeys import (
    Assertion,
    PasskeyRefused,
    PasskeySettings,
    UserVerification,
    b64url,
    from_b64url,
    request_options,
)
from custom_auth.registration import RegistrationError

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


NOW = 1_700_000_000


def api(live_user: Any = None, store: Any = None) -> PasskeyApi:
    settings = PasskeySettings.from_env(GOOD)

    def never(token: str) -> str:
        raise AssertionError("refused before the token is checked with Cognito")

    return PasskeyApi(
        settings=settings,
        # never reached unless a test gives one: refused first
        store=store or CredentialStore("passkeys", client=object()),
        issuer="https://cognito-idp.us-east-1.amazonaws.com/us-east-1_POOL",
        client_ids=frozenset({"client"}),
        live_user=live_user or never,
        clock=lambda: NOW,
    )


ACCESS = {
    "token_use": "access",
    "iss": "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_POOL",
    "client_id": "client",
    "username": "alice",
    "sub": "1",
    "scope": "aws.cognito.signin.user.admin",
    "auth_time": str(NOW - 60),
}


def request(route: str, claims: dict[str, str]) -> dict[str, Any]:
    return {
        "routeKey": route,
        "headers": {"authorization": "Bearer the-token"},
        "requestContext": {"authorizer": {"jwt": {"claims": claims}}},
        "pathParameters": {"id": "AAAA"},
        "body": "",
    }


@pytest.mark.parametrize(
    ("claims", "status", "message"),
    [
        (None, 401, "Authorization: a valid access token is required"),
        ({**ACCESS, "token_use": "id"}, 403, "Authorization: must be an access token"),
        ({**ACCESS, "iss": "https://x"}, 403, "Authorization: a token of another user pool"),
        ({**ACCESS, "client_id": "other"}, 403, "Authorization: a token of another app client"),
        ({**ACCESS, "username": ""}, 403, "Authorization: the token names no user"),
        ({**ACCESS, "scope": "openid email"}, 403, "Authorization: the token must have the"),
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
    assert set(counts) == {1, 2, 3, 4} and 0.65 < counts[1] / len(drawn) < 0.80
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


class Tables:
    """A credentials table's client that has nothing: enough for the routes to answer."""

    def query(self, **call: Any) -> dict[str, Any]:
        return {"Items": []}

    def get_item(self, **call: Any) -> dict[str, Any]:
        return {}

    def put_item(self, **call: Any) -> dict[str, Any]:
        return {}


@pytest.mark.parametrize("route", [OPTIONS, REGISTER, DELETE, LIST, RENAME])
def test_every_route_with_a_token_asks_cognito_whether_it_is_still_live(route: str) -> None:
    asked: list[str] = []

    def signed_out(token: str) -> str:
        asked.append(token)
        raise RegistrationError(401, "Authorization: the token was signed out")

    response = api(signed_out).handle(request(route, ACCESS))
    assert response["statusCode"] == 401 and asked == ["the-token"]
    # A live token of someone else (a mix-up of claims and token) is refused too.
    response = api(lambda token: "mallory").handle(request(route, ACCESS))
    assert response["statusCode"] == 403
    assert json.loads(response["body"])["message"] == "Authorization: the token names another user"


def test_a_request_without_the_token_in_its_header_is_401() -> None:
    event = request(LIST, ACCESS)
    event["headers"] = {}
    assert api(lambda token: "alice").handle(event)["statusCode"] == 401


@pytest.mark.parametrize(
    ("route", "fresh_needed"),
    [(OPTIONS, True), (REGISTER, True), (DELETE, True), (LIST, False), (RENAME, False)],
)
def test_changing_passkeys_needs_a_recent_sign_in(route: str, fresh_needed: bool) -> None:
    old = {**ACCESS, "auth_time": str(NOW - 301)}
    response = api(lambda token: "alice", store=CredentialStore("t", client=Tables())).handle(
        request(route, old)
    )
    body = json.loads(response["body"]) if response["body"] else {}
    if fresh_needed:
        assert response["statusCode"] == 401 and body["error"] == "FreshSignInRequired"
        assert "PASSKEY_FRESH_SIGN_IN_SECONDS" in body["message"]
    else:
        assert body.get("error") != "FreshSignInRequired"
    # Five minutes old is recent enough; a sign-in in the future (beyond clock skew) is not.
    recent = api(lambda token: "alice", store=CredentialStore("t", client=Tables()))
    assert "FreshSignInRequired" not in recent.handle(request(route, ACCESS))["body"]
    future = {**ACCESS, "auth_time": str(NOW + 3600)}
    assert ("FreshSignInRequired" in recent.handle(request(route, future))["body"]) is fresh_needed
    if fresh_needed:
        missing = {k: v for k, v in ACCESS.items() if k != "auth_time"}
        assert recent.handle(request(route, missing))["statusCode"] == 403


class GetUser:
    def __init__(self, error: Exception | None = None, answer: Any = None) -> None:
        self.error, self.answer = error, answer
        self.tokens: list[str] = []

    def get_user(self, AccessToken: str) -> Any:  # noqa: N803 - boto3's name
        self.tokens.append(AccessToken)
        if self.error is not None:
            raise self.error
        return self.answer


def client_error(code: str) -> Exception:
    from botocore.exceptions import ClientError

    error: Exception = ClientError(
        {"Error": {"Code": code, "Message": "the-token is bad"}}, "GetUser"
    )
    return error


@pytest.mark.parametrize(
    ("client", "status"),
    [
        (GetUser(answer={"Username": "alice", "UserAttributes": []}), None),
        (GetUser(client_error("NotAuthorizedException")), 401),
        (GetUser(client_error("UserNotFoundException")), 401),
        (GetUser(client_error("PasswordResetRequiredException")), 401),
        (GetUser(client_error("TooManyRequestsException")), 503),
        (GetUser(answer={}), 503),
    ],
    ids=["live", "signed out", "user deleted", "password reset", "throttled", "no user"],
)
def test_getuser_tells_a_live_token_from_a_dead_one(client: GetUser, status: int | None) -> None:
    from botocore.exceptions import EndpointConnectionError

    made: list[GetUser] = []

    def make() -> GetUser:
        made.append(client)
        return client

    live_user = cognito_user(make)
    if status is None:
        assert live_user("the-token") == "alice" and live_user("the-token") == "alice"
        assert len(made) == 1  # one client, made when first needed
    else:
        with pytest.raises(RegistrationError) as caught:
            live_user("the-token")
        assert caught.value.status == status and "the-token" not in str(caught.value)
    assert client.tokens[0] == "the-token"
    unreachable = GetUser(EndpointConnectionError(endpoint_url="https://cognito-idp"))
    with pytest.raises(RegistrationError) as caught:
        cognito_user(lambda: unreachable)("the-token")
    assert caught.value.status == 503


def test_attestation_roots_are_read_from_the_functions_package(tmp_path: Any) -> None:
    from tests.authenticator import attestation_ca, attestation_certificate

    first, second = attestation_ca("One")[1], attestation_ca("Two")[1]
    (tmp_path / "roots.pem").write_bytes(b"# the makers we trust\n" + first + second)
    env = {
        **GOOD,
        "PASSKEY_ATTESTATION": "direct",
        "PASSKEY_ATTESTATION_ROOTS": "roots.pem",
        "LAMBDA_TASK_ROOT": str(tmp_path),
    }
    assert PasskeySettings.from_env(env).attestation_roots == (first, second)
    assert (
        PasskeySettings.from_env({**env, "PASSKEY_ATTESTATION_ROOTS": ""}).attestation_roots == ()
    )
    device = attestation_certificate(attestation_ca())
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    leaf = x509.load_der_x509_certificate(device.chain[0]).public_bytes(serialization.Encoding.PEM)
    (tmp_path / "leaf.pem").write_bytes(leaf)
    (tmp_path / "empty.pem").write_bytes(b"")
    (tmp_path / "junk.pem").write_bytes(
        b"-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n"
    )
    rule = "PASSKEY_ATTESTATION_ROOTS: "
    for change, message in [
        ({"PASSKEY_ATTESTATION": "none"}, "only with PASSKEY_ATTESTATION=direct"),
        (
            {"PASSKEY_ATTESTATION_ROOTS": "missing.pem"},
            "must name a PEM file in the function's package; 'missing.pem' cannot be read",
        ),
        (
            {"PASSKEY_ATTESTATION_ROOTS": "empty.pem"},
            "'empty.pem' must hold 1 to 200 PEM certificates",
        ),
        ({"PASSKEY_ATTESTATION_ROOTS": "junk.pem"}, "certificate 1 of 'junk.pem' cannot be read"),
        (
            {"PASSKEY_ATTESTATION_ROOTS": "leaf.pem"},
            "certificate 1 of 'leaf.pem' is not a CA certificate",
        ),
    ]:
        with pytest.raises(SettingsError) as caught:
            PasskeySettings.from_env({**env, **change})
        assert str(caught.value).startswith(rule + message), str(caught.value)
