"""PASSKEY through the local user pool, driven by boto3 and a software authenticator
(:mod:`tests.authenticator`: ES256 keys made here, real CBOR and signatures): a passkey
registered through the passkey API, a sign-in with it, a usernameless one, and every refusal."""

import json
import re
from collections.abc import Iterator
from typing import Any

import cbor2
import pytest

from custom_auth.methods.passkey import decoys
from custom_auth.model import AdminInitiateAuthResponse
from custom_auth.passkey_api import (
    DELETE,
    LIST,
    OPTIONS,
    REGISTER,
    RENAME,
    SIGN_IN_CHALLENGE,
    PasskeyApi,
)
from custom_auth_local.passkeys import api_event, passkey_api
from custom_auth_local.stack import LocalStack
from tests.authenticator import (
    SoftwareAuthenticator,
    attestation_ca,
    attestation_certificate,
    b64url,
    b64url_decode,
)
from tests.test_pool import answer as respond
from tests.test_pool import initiate
from tests.triggers import ROOT

EMAIL, OTHER = "alice@example.com", "bob@example.com"
ORIGIN = "http://localhost:4566"
PASSKEYS = {
    "SenderEmail": "no-reply@example.com",
    "SignInMethods": "EMAIL_OTP,PASSKEY",
    "PasskeyRpIds": "localhost",
    "PasskeyOrigins": ORIGIN,
    "LockoutAfterFailures": "5",
}


@pytest.fixture(scope="module")
def pool(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    from custom_auth_local.demo import QUIET_TRIGGERS
    from custom_auth_local.stack import local_stack

    with local_stack(
        ROOT / "template.yaml",
        parameter_overrides=PASSKEYS,
        env_overrides=QUIET_TRIGGERS,
        outbox=tmp_path_factory.mktemp("outbox"),
    ) as made:
        made.create_user(EMAIL)
        made.create_user(OTHER)
        yield made


@pytest.fixture
def stack(pool: LocalStack) -> LocalStack:
    """The module's pool with empty tables and outbox."""
    import boto3

    dynamodb = boto3.client("dynamodb")
    for table in dynamodb.list_tables()["TableNames"]:
        for item in dynamodb.scan(TableName=table)["Items"]:
            dynamodb.delete_item(TableName=table, Key={"pk": item["pk"]})
    for sent in pool.outbox.directory.glob("*.json"):
        sent.unlink()
    pool.pool.invocations.clear()
    return pool


@pytest.fixture
def api(stack: LocalStack) -> PasskeyApi:
    made = passkey_api(stack)
    assert made is not None
    return made


def tokens(stack: LocalStack, username: str = EMAIL) -> dict[str, Any]:
    """Sign in with an email code: the tokens."""
    choice = initiate(stack, username)
    code_round = respond(stack, choice, "EMAIL_OTP")
    [*_, message] = [m for m in stack.outbox.messages() if m.to == username]
    [code] = set(re.findall(r"(?<!\d)\d{6}(?!\d)", message.body))
    done = respond(stack, code_round, code)
    assert done.authentication_result is not None
    return done.authentication_result.to_dict()


def call(
    stack: LocalStack,
    api: PasskeyApi,
    route: str,
    token: str | None,
    body: object = None,
    passkey_id: str | None = None,
) -> tuple[int, Any]:
    event = api_event(
        stack,
        route,
        authorization=f"Bearer {token}" if token else None,
        body=json.dumps(body) if body is not None else "",
        path_parameters={"id": passkey_id} if passkey_id else None,
    )
    if event is None:
        return 401, None
    response = api.handle(event)
    return response["statusCode"], json.loads(response["body"]) if response["body"] else None


def register(
    stack: LocalStack, api: PasskeyApi, authenticator: SoftwareAuthenticator, token: str, **kw: Any
) -> tuple[int, Any]:
    status, options = call(stack, api, OPTIONS, token)
    assert status == 200, options
    credential = authenticator.create(options, **kw)
    return call(stack, api, REGISTER, token, {"credential": credential, "name": "Laptop"})


def options_of(response: AdminInitiateAuthResponse) -> dict[str, Any]:
    parameters = dict(response.challenge_parameters or {})
    assert parameters["SIGN_IN_METHOD"] == "PASSKEY"
    result: dict[str, Any] = json.loads(parameters["PASSKEY_OPTIONS"])
    return result


def passkey_round(stack: LocalStack, username: str = EMAIL) -> AdminInitiateAuthResponse:
    return respond(stack, initiate(stack, username), "PASSKEY")


def registered(stack: LocalStack, api: PasskeyApi) -> SoftwareAuthenticator:
    authenticator = SoftwareAuthenticator(origin=ORIGIN)
    status, body = register(stack, api, authenticator, tokens(stack)["AccessToken"])
    assert status == 201, body
    return authenticator


def test_register_then_sign_in_with_the_passkey(stack: LocalStack, api: PasskeyApi) -> None:
    authenticator = registered(stack, api)
    round_ = passkey_round(stack)
    options = options_of(round_)
    [allowed] = options["allowCredentials"]
    assert allowed["id"] == b64url(next(iter(authenticator.credentials)))
    assert options["rpId"] == "localhost" and options["userVerification"] == "required"
    assert len(json.loads(json.dumps(options))["challenge"]) >= 43  # 32 bytes
    done = respond(stack, round_, json.dumps(authenticator.get(options)))
    assert done.authentication_result is not None
    status, listed = call(stack, api, LIST, tokens(stack)["AccessToken"])
    [passkey] = listed["passkeys"]
    assert status == 200 and passkey["name"] == "Laptop" and passkey["lastUsedAt"]
    assert "publicKey" not in passkey


def test_one_assertion_signs_in_once(stack: LocalStack, api: PasskeyApi) -> None:
    authenticator = SoftwareAuthenticator(origin=ORIGIN, counter_step=0)  # synced: 0/0
    token = tokens(stack)["AccessToken"]
    assert register(stack, api, authenticator, token)[0] == 201
    round_ = passkey_round(stack)
    assertion = json.dumps(authenticator.get(options_of(round_)))
    assert respond(stack, round_, assertion).authentication_result is not None
    # The same assertion, in a new sign-in: the challenge is not this round's, nor waiting.
    again = respond(stack, passkey_round(stack), assertion)
    assert again.authentication_result is None and options_of(again)


def test_usernameless_sign_in(stack: LocalStack, api: PasskeyApi) -> None:
    authenticator = registered(stack, api)
    status, options = call(stack, api, SIGN_IN_CHALLENGE, None)
    assert status == 200 and options["allowCredentials"] == []
    assertion = authenticator.get(options)
    user_name = _decode(assertion["response"]["userHandle"])
    round_ = passkey_round(stack, user_name)
    done = respond(stack, round_, json.dumps(assertion))
    assert done.authentication_result is not None
    # The waiting challenge was taken: the same assertion cannot sign in again.
    again = respond(stack, passkey_round(stack, user_name), json.dumps(assertion))
    assert again.authentication_result is None and options_of(again)


def _decode(text: str) -> str:
    import base64

    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode()


REFUSALS = {
    "wrong origin": {"origin": "https://evil.example"},
    "wrong rp id": {"rp_id": "example.com"},
    "stale challenge": {"challenge": b64url(b"\x01" * 32)},
    "not webauthn.get": {"client_type": "webauthn.create"},
    "user not present": {"user_present": False},
    "user not verified": {"user_verified": False},
    "bad signature": {"tamper_signature": True},
    "sign count not increased": {"sign_count": 0},
    "another user's handle": {"user_handle": b"someone-else"},
    "cross origin": {"extra_client_data": {"crossOrigin": True}},
}


@pytest.mark.parametrize("change", REFUSALS.values(), ids=REFUSALS.keys())
def test_each_bad_assertion_is_a_wrong_answer(
    stack: LocalStack, api: PasskeyApi, change: dict[str, Any]
) -> None:
    authenticator = registered(stack, api)
    round_ = passkey_round(stack)
    options = options_of(round_)
    if "sign_count" in change:  # the authenticator has signed once before
        first = passkey_round(stack)
        respond(stack, first, json.dumps(authenticator.get(options_of(first))))
        round_ = passkey_round(stack)
        options = options_of(round_)
    again = respond(stack, round_, json.dumps(authenticator.get(options, **change)))
    assert again.authentication_result is None
    assert options_of(again)["challenge"] == options["challenge"]  # the round stands
    # And the right assertion still signs in: nothing was used up.
    done = respond(stack, again, json.dumps(authenticator.get(options)))
    assert done.authentication_result is not None


def test_another_users_credential_is_refused(stack: LocalStack, api: PasskeyApi) -> None:
    alices = registered(stack, api)
    bobs = SoftwareAuthenticator(origin=ORIGIN)
    assert register(stack, api, bobs, tokens(stack, OTHER)["AccessToken"])[0] == 201
    round_ = passkey_round(stack)
    bob_credential = next(iter(bobs.credentials))
    options = options_of(round_)
    again = respond(
        stack, round_, json.dumps(bobs.get(options, credential_id=bob_credential, user_handle=None))
    )
    assert again.authentication_result is None
    assert respond(stack, again, json.dumps(alices.get(options))).authentication_result


@pytest.mark.parametrize(
    "answer",
    ["123456", "{}", "[]", '{"type": "public-key"}', "x" * 20_000, '{"a":' * 5000],
    ids=["a code", "empty object", "a list", "no response", "oversized", "deeply nested"],
)
def test_malformed_assertions_are_wrong_answers(
    stack: LocalStack, api: PasskeyApi, answer: str
) -> None:
    registered(stack, api)
    again = respond(stack, passkey_round(stack), answer)
    assert again.authentication_result is None and options_of(again)


def test_an_unknown_credential_and_an_unknown_user(stack: LocalStack, api: PasskeyApi) -> None:
    stranger = SoftwareAuthenticator(origin=ORIGIN)
    stranger.create(
        {
            "challenge": b64url(b"0" * 32),
            "rp": {"id": "localhost", "name": "x"},
            "user": {"id": b64url(b"nobody"), "name": "nobody", "displayName": "nobody"},
            "pubKeyCredParams": [{"type": "public-key", "alg": -7}],
        }
    )
    round_ = passkey_round(stack)
    options = options_of(round_)
    again = respond(stack, round_, json.dumps(stranger.get({**options, "allowCredentials": []})))
    assert again.authentication_result is None
    # A user without passkeys and one who does not exist get made-up credentials of the same
    # shape as real ones, the same each time, under the stack's decoy key.
    key = _decoy_key(stack)
    for user in (EMAIL, "nobody@example.com"):
        made_up_round = passkey_round(stack, user)
        made_up = options_of(made_up_round)
        assert set(made_up) == set(options)
        assert made_up_round.challenge_parameters is not None
        user_name = made_up_round.challenge_parameters["USERNAME"]  # the name the events carry
        assert made_up["allowCredentials"] == [
            {"id": b64url(cid), "type": "public-key", "transports": list(transports)}
            for cid, transports in decoys(key, stack.user_pool_id, user_name)
        ]
        again_made_up = options_of(passkey_round(stack, user))
        assert again_made_up["allowCredentials"] == made_up["allowCredentials"]
        assert again_made_up["challenge"] != made_up["challenge"]


def _decoy_key(stack: LocalStack) -> bytes:
    import boto3

    secret_id = stack.template.function("CreateAuthChallengeFunction").environment[
        "PASSKEY_DECOY_KEY_SECRET_ID"
    ]
    value = boto3.client("secretsmanager").get_secret_value(SecretId=secret_id)["SecretString"]
    return str(value).encode()


def test_wrong_assertions_count_towards_the_lockout_and_a_passkey_signs_in_during_it(
    stack: LocalStack, api: PasskeyApi
) -> None:
    authenticator = registered(stack, api)
    for _ in range(5):  # LockoutAfterFailures
        round_ = passkey_round(stack)
        bad = authenticator.get(options_of(round_), tamper_signature=True)
        assert respond(stack, round_, json.dumps(bad)).authentication_result is None
    # Locked out now (the user's state says so); a passkey still signs in.
    state = _user_state(stack)
    assert int(state["locked_until"]["N"]) > int(state["last_failure_at"]["N"])
    round_ = passkey_round(stack)
    done = respond(stack, round_, json.dumps(authenticator.get(options_of(round_))))
    assert done.authentication_result is not None


def _user_state(stack: LocalStack, username: str = EMAIL) -> dict[str, Any]:
    import boto3

    table = stack.template.function("VerifyAuthChallengeResponseFunction").environment[
        "STATE_TABLE_NAME"
    ]
    user_name = stack.cognito().admin_get_user(UserPoolId=stack.user_pool_id, Username=username)
    key = f"{stack.user_pool_id}#{user_name['Username']}"
    item: dict[str, Any] = boto3.client("dynamodb").get_item(
        TableName=table, Key={"pk": {"S": key}}
    )["Item"]
    return item


# --- the registration API ---------------------------------------------------------------------


def test_registration_refusals(stack: LocalStack, api: PasskeyApi) -> None:
    alice, bob = tokens(stack)["AccessToken"], tokens(stack, OTHER)
    assert call(stack, api, OPTIONS, None)[0] == 401
    assert call(stack, api, OPTIONS, "not-a-token")[0] == 401
    status, body = call(stack, api, OPTIONS, bob["IdToken"])
    assert status == 403 and body["error"] == "Forbidden" and "access token" in body["message"]
    # Options made for Alice, finished with Bob's token: refused.
    status, options = call(stack, api, OPTIONS, alice)
    credential = SoftwareAuthenticator(origin=ORIGIN).create(options)
    status, body = call(stack, api, REGISTER, bob["AccessToken"], {"credential": credential})
    assert status == 403 and "challenge" in body["message"]
    # The challenge is Alice's and still waits; a wrong origin is refused and uses it up.
    bad = SoftwareAuthenticator(origin="https://evil.example").create(options)
    status, body = call(stack, api, REGISTER, alice, {"credential": bad})
    assert (status, body["message"]) == (400, "credential: the origin is not allowed")
    status, body = call(stack, api, REGISTER, alice, {"credential": credential})
    assert status == 400 and "challenge" in body["message"]
    status, body = call(stack, api, REGISTER, alice, {"credential": "x"})
    assert status == 400 and body["message"].startswith("credential")
    assert call(stack, api, REGISTER, alice, None)[0] == 400


def test_a_signed_out_or_revoked_token_is_refused_though_it_has_not_expired(
    stack: LocalStack, api: PasskeyApi
) -> None:
    signed_in = tokens(stack)
    assert call(stack, api, LIST, signed_in["AccessToken"])[0] == 200
    stack.cognito().global_sign_out(AccessToken=signed_in["AccessToken"])
    for route in (OPTIONS, LIST):
        # The JWT checks pass still (signature, expiry, issuer, audience); GetUser refuses it.
        status, body = call(stack, api, route, signed_in["AccessToken"])
        assert (status, body["error"]) == (401, "Unauthorized"), body
    revoked = tokens(stack)
    stack.cognito().revoke_token(Token=revoked["RefreshToken"], ClientId=stack.client_id)
    assert call(stack, api, OPTIONS, revoked["AccessToken"])[0] == 401


def test_changing_passkeys_needs_a_recent_sign_in_which_a_refresh_does_not_renew(
    stack: LocalStack, api: PasskeyApi
) -> None:
    import dataclasses
    import time

    signed_in = tokens(stack)
    later = dataclasses.replace(api, clock=lambda: time.time() + api.fresh_sign_in_seconds + 5)
    status, body = call(stack, later, OPTIONS, signed_in["AccessToken"])
    assert (status, body["error"]) == (401, "FreshSignInRequired")
    assert call(stack, later, LIST, signed_in["AccessToken"])[0] == 200  # reading is fine
    refreshed = stack.cognito().initiate_auth(
        ClientId=stack.client_id,
        AuthFlow="REFRESH_TOKEN_AUTH",
        AuthParameters={"REFRESH_TOKEN": signed_in["RefreshToken"]},
    )["AuthenticationResult"]["AccessToken"]
    assert call(stack, later, OPTIONS, refreshed)[1]["error"] == "FreshSignInRequired"
    assert call(stack, api, OPTIONS, refreshed)[0] == 200


def test_the_cap_holds_at_registration_and_every_passkey_is_listed(
    stack: LocalStack, api: PasskeyApi
) -> None:
    from custom_auth.credentials import MAX_CREDENTIALS, Credential, owner_key

    token = tokens(stack)["AccessToken"]
    status, options = call(stack, api, OPTIONS, token)  # asked for with none registered
    user_name, sub = _user(stack)
    owner = owner_key(stack.user_pool_id, user_name)
    # Meanwhile the user reached the cap elsewhere, and then some (two registrations racing).
    for n in range(MAX_CREDENTIALS + 5):
        assert api.store.add(
            Credential(bytes([n]) * 16, owner, sub, b"key", 0, name=f"Key {n}", created_at=n + 1)
        )
    listed = api.store.owned_by(owner, sub)  # pages of MAX_CREDENTIALS, all read
    assert [c.name for c in listed] == [f"Key {n}" for n in reversed(range(MAX_CREDENTIALS + 5))]
    credential = SoftwareAuthenticator(origin=ORIGIN).create(options)
    status, body = call(stack, api, REGISTER, token, {"credential": credential})
    assert (status, body["message"]) == (409, f"passkeys: at most {MAX_CREDENTIALS} per user")


def test_a_registration_whose_raw_id_is_not_the_attested_one_is_refused(
    stack: LocalStack, api: PasskeyApi
) -> None:
    token = tokens(stack)["AccessToken"]
    status, options = call(stack, api, OPTIONS, token)
    credential = SoftwareAuthenticator(origin=ORIGIN).create(options)
    credential["rawId"] = credential["id"] = b64url(b"\x07" * 32)
    status, body = call(stack, api, REGISTER, token, {"credential": credential})
    # The library does not compare them: the attested id would be stored under another name.
    assert (status, body["message"]) == (400, "credential.rawId: not the attested credential id")
    assert call(stack, api, LIST, token)[1] == {"passkeys": [], "rpId": "localhost"}


def _user(stack: LocalStack, username: str = EMAIL) -> tuple[str, str]:
    """The user's name in the pool (what the triggers see) and sub."""
    user = stack.cognito().admin_get_user(UserPoolId=stack.user_pool_id, Username=username)
    [sub] = [a["Value"] for a in user["UserAttributes"] if a["Name"] == "sub"]
    return str(user["Username"]), str(sub)


def test_an_earlier_user_of_the_same_name_leaves_no_passkey_to_see_touch_or_count(
    stack: LocalStack, api: PasskeyApi
) -> None:
    from custom_auth.credentials import MAX_CREDENTIALS, Credential, owner_key

    user_name, _ = _user(stack)
    owner = owner_key(stack.user_pool_id, user_name)
    earlier = [
        Credential(bytes([n]) * 16, owner, "an-earlier-sub", b"key", 0, created_at=n + 1)
        for n in range(MAX_CREDENTIALS)
    ]
    for credential in earlier:
        assert api.store.add(credential)
    token = tokens(stack)["AccessToken"]
    assert call(stack, api, LIST, token)[1]["passkeys"] == []
    hidden = earlier[0].id_b64url
    assert call(stack, api, RENAME, token, {"name": "mine"}, hidden)[0] == 403
    assert call(stack, api, DELETE, token, None, hidden)[0] == 403
    listed = {c["id"] for c in options_of(passkey_round(stack))["allowCredentials"]}
    assert not listed & {c.id_b64url for c in earlier}  # made-up ones instead
    assert register(stack, api, SoftwareAuthenticator(origin=ORIGIN), token)[0] == 201  # no cap


def test_rename_and_delete_only_ones_own(stack: LocalStack, api: PasskeyApi) -> None:
    authenticator = registered(stack, api)
    alice, bob = tokens(stack)["AccessToken"], tokens(stack, OTHER)["AccessToken"]
    passkey_id = b64url(next(iter(authenticator.credentials)))
    assert call(stack, api, RENAME, bob, {"name": "mine"}, passkey_id)[0] == 403
    assert call(stack, api, DELETE, bob, None, passkey_id)[0] == 403
    assert call(stack, api, RENAME, alice, {"name": "\x00"}, passkey_id)[0] == 400
    assert call(stack, api, RENAME, alice, {"name": "Phone"}, passkey_id)[0] == 204
    assert call(stack, api, LIST, alice)[1]["passkeys"][0]["name"] == "Phone"
    assert call(stack, api, LIST, bob)[1] == {"passkeys": [], "rpId": "localhost"}
    assert call(stack, api, DELETE, alice, None, passkey_id)[0] == 204
    assert call(stack, api, DELETE, alice, None, passkey_id)[0] == 404
    round_ = passkey_round(stack)
    options = options_of(round_)
    assert [c["id"] for c in options["allowCredentials"]] != [passkey_id]
    deleted = authenticator.get(options, credential_id=next(iter(authenticator.credentials)))
    again = respond(stack, round_, json.dumps(deleted))
    assert again.authentication_result is None  # a deleted passkey signs in no more


def direct_api(stack: LocalStack, roots: Any = None) -> PasskeyApi:
    """The passkey API with PasskeyAttestation=direct and, given a file, its roots."""
    made = passkey_api(
        stack,
        {
            "PASSKEY_ATTESTATION": "direct",
            **({"PASSKEY_ATTESTATION_ROOTS": str(roots)} if roots else {}),
        },
    )
    assert made is not None
    return made


def test_attestation_direct_without_roots_takes_only_what_the_library_has_roots_for(
    stack: LocalStack,
) -> None:
    direct = direct_api(stack)
    token = tokens(stack)["AccessToken"]
    status, options = call(stack, direct, OPTIONS, token)
    assert options["attestation"] == "direct"
    maker = attestation_certificate(attestation_ca())
    for attestation, attested_by, reason in [
        ("none", None, "PASSKEY_ATTESTATION=direct requires an attestation statement"),
        ("packed", None, "PASSKEY_ATTESTATION=direct refuses self attestation"),
        ("packed", maker, "no root is trusted for packed attestation"),
    ]:
        status, body = register(
            stack,
            direct,
            SoftwareAuthenticator(origin=ORIGIN),
            token,
            attestation=attestation,
            attested_by=attested_by,
        )
        assert status == 400 and body["message"].startswith(f"credential: {reason}"), body
    assert call(stack, direct, LIST, token)[1]["passkeys"] == []
    # android-safetynet: refused whatever it holds (the library checks too little of it).
    status, options = call(stack, direct, OPTIONS, token)
    credential = SoftwareAuthenticator(origin=ORIGIN).create(options)
    attestation = cbor2.loads(b64url_decode(credential["response"]["attestationObject"]))
    attestation["fmt"] = "android-safetynet"
    credential["response"]["attestationObject"] = b64url(cbor2.dumps(attestation))
    status, body = call(stack, direct, REGISTER, token, {"credential": credential})
    assert status == 400
    assert body["message"].startswith("credential: android-safetynet attestation is refused")


def test_attestation_direct_with_roots_takes_only_their_makers_authenticators(
    stack: LocalStack, tmp_path: Any
) -> None:
    root, stranger = attestation_ca("Trusted Maker"), attestation_ca("Someone Else")
    (tmp_path / "roots.pem").write_bytes(root[1])
    direct = direct_api(stack, tmp_path / "roots.pem")
    token = tokens(stack)["AccessToken"]
    aaguid = bytes(range(16))

    def attempt(attested_by: Any, aaguid_in_data: bytes = aaguid) -> tuple[int, Any]:
        authenticator = SoftwareAuthenticator(origin=ORIGIN, aaguid=aaguid_in_data)
        return register(
            stack, direct, authenticator, token, attestation="packed", attested_by=attested_by
        )

    status, body = attempt(attestation_certificate(root, aaguid=aaguid))
    assert status == 201 and body["attestationFormat"] == "packed", body
    assert body["aaguid"] == "00010203-0405-0607-0809-0a0b0c0d0e0f"
    for attested_by, reason in [
        (
            attestation_certificate(stranger),
            "the attestation statement's certificate does not verify",
        ),
        (attestation_certificate(root, unit="Something"), "the attestation certificate is not one"),
        (attestation_certificate(root, ca=True), "the attestation certificate is a CA's"),
        (
            attestation_certificate(root, aaguid=bytes(16)),
            "the attestation certificate names another AAGUID",
        ),
    ]:
        status, body = attempt(attested_by)
        assert status == 400 and body["message"].startswith(f"credential: {reason}"), body
    # Self attestation is refused with roots too; so is none.
    status, body = register(
        stack, direct, SoftwareAuthenticator(origin=ORIGIN), token, attestation="packed"
    )
    assert status == 400 and "self attestation" in body["message"]
    assert len(call(stack, direct, LIST, token)[1]["passkeys"]) == 1


def test_the_cli_lists_a_users_passkeys(
    stack: LocalStack, api: PasskeyApi, tmp_path: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.test_cli import run

    stack_file = tmp_path / "stack.json"
    stack_file.write_text(json.dumps({"user_pool_id": stack.user_pool_id, "region": stack.region}))
    argv = ["passkeys", "list", "--stack-file", str(stack_file)]
    code, output, _ = run(capsys, *argv, "--user", EMAIL)
    assert (code, output.strip()) == (0, f"{EMAIL} has no passkeys.")
    authenticator = registered(stack, api)
    code, output, _ = run(capsys, *argv, "--user", EMAIL)
    passkey_id = b64url(next(iter(authenticator.credentials)))
    assert code == 0 and f"Laptop  id {passkey_id}" in output and "last used never" in output
    code, output, _ = run(capsys, *argv, "--user", EMAIL, "--json")
    [listed] = output  # run() parses JSON output
    assert listed["id"] == passkey_id and "publicKey" not in listed
    code, _, error = run(capsys, *argv, "--user", "nobody@example.com")
    assert code == 2 and "no user 'nobody@example.com'" in error


def test_the_cli_signs_in_with_another_method_and_stops_at_a_passkeys_round(
    stack: LocalStack,
    tmp_path: Any,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from tests.test_cli import run
    from tests.triggers import code_in

    stack_file = tmp_path / "stack.json"
    description = {"client_id": stack.client_id, "user_pool_id": stack.user_pool_id}
    stack_file.write_text(json.dumps({**description, "region": stack.region}))
    monkeypatch.setattr("builtins.input", lambda _: code_in(stack.outbox.messages()[-1].body))
    argv = ["sign-in", "--username", EMAIL, "--stack-file", str(stack_file)]
    code, output, _ = run(capsys, *argv)  # the first offered a terminal can answer: EMAIL_OTP
    assert code == 0 and "tokens issued" in output
    with pytest.raises(SystemExit):  # argparse: --method offers no PASSKEY
        run(capsys, *argv, "--method", "PASSKEY")


def test_no_assertion_registration_or_challenge_in_any_log_line(
    stack: LocalStack,
    api: PasskeyApi,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    from tests.triggers import everything_logged, leaked

    with everything_logged(monkeypatch, caplog, capfd) as logged:
        authenticator = SoftwareAuthenticator(origin=ORIGIN)
        token = tokens(stack)["AccessToken"]
        status, options = call(stack, api, OPTIONS, token)
        assert status == 200
        credential = authenticator.create(options)
        assert call(stack, api, REGISTER, token, {"credential": credential})[0] == 201
        round_ = passkey_round(stack)
        request = options_of(round_)
        bad = authenticator.get(request, tamper_signature=True)
        again = respond(stack, round_, json.dumps(bad))
        good = authenticator.get(request)
        assert respond(stack, again, json.dumps(good)).authentication_result is not None
    [written] = logged
    assert "passkey refused" in written and "the signature does not verify" in written
    parts = [
        *good["response"].values(),
        *bad["response"].values(),
        *credential["response"].values(),
        options["challenge"],
        request["challenge"],
        token,
    ]
    found = leaked([p for p in parts if isinstance(p, str) and len(p) > 8], written)
    assert not found, f"passkey material in the logs (lengths): {found}"
