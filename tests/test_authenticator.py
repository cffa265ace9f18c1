"""tests/authenticator.py: the software authenticator, proved against Duo Labs' webauthn itself.

What it makes must register and sign in through the library's own verification, and each
override must make the library refuse the response for the reason it names.
"""

import hashlib
import json
import uuid
from typing import Any

import pytest
import webauthn
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from webauthn.authentication.verify_authentication_response import VerifiedAuthentication
from webauthn.helpers import parse_authentication_credential_json, parse_authenticator_data
from webauthn.helpers.cose import COSEAlgorithmIdentifier
from webauthn.helpers.decode_credential_public_key import (
    DecodedEC2PublicKey,
    decode_credential_public_key,
)
from webauthn.helpers.exceptions import InvalidAuthenticationResponse, InvalidRegistrationResponse
from webauthn.helpers.structs import (
    AttestationConveyancePreference,
    AttestationFormat,
    CredentialDeviceType,
    PublicKeyCredentialDescriptor,
)
from webauthn.registration.verify_registration_response import VerifiedRegistration

from tests.authenticator import SoftwareAuthenticator, b64url, b64url_decode

RP_ID = "login.example.com"
ORIGIN = "https://login.example.com"
OTHER_ORIGIN = "https://login.example.net"
AAGUID = uuid.UUID("08987058-cadc-4b81-b6e1-30de50dcbe96")


def registration_options(
    user_id: bytes = b"user-1", exclude: tuple[bytes, ...] = (), **kwargs: Any
) -> dict[str, Any]:
    options = webauthn.generate_registration_options(
        rp_id=RP_ID,
        rp_name="Custom Auth",
        user_name="alice@example.com",
        user_id=user_id,
        exclude_credentials=[PublicKeyCredentialDescriptor(id=i) for i in exclude],
        **kwargs,
    )
    result: dict[str, Any] = json.loads(webauthn.options_to_json(options))
    return result


def authentication_options(*allowed: bytes) -> dict[str, Any]:
    options = webauthn.generate_authentication_options(
        rp_id=RP_ID, allow_credentials=[PublicKeyCredentialDescriptor(id=i) for i in allowed]
    )
    result: dict[str, Any] = json.loads(webauthn.options_to_json(options))
    return result


def verify_registration(
    options: dict[str, Any], response: dict[str, Any], *, require_uv: bool = True
) -> VerifiedRegistration:
    return webauthn.verify_registration_response(
        credential=response,
        expected_challenge=b64url_decode(options["challenge"]),
        expected_rp_id=RP_ID,
        expected_origin=ORIGIN,
        require_user_verification=require_uv,
    )


def register(authenticator: SoftwareAuthenticator, user_id: bytes = b"user-1") -> bytes:
    """A credential registered and verified; its COSE public key."""
    options = registration_options(user_id)
    return verify_registration(options, authenticator.create(options)).credential_public_key


def verify_assertion(
    options: dict[str, Any],
    response: dict[str, Any],
    public_key: bytes,
    current_count: int = 0,
    *,
    require_uv: bool = True,
) -> VerifiedAuthentication:
    return webauthn.verify_authentication_response(
        credential=response,
        expected_challenge=b64url_decode(options["challenge"]),
        expected_rp_id=RP_ID,
        expected_origin=ORIGIN,
        credential_public_key=public_key,
        credential_current_sign_count=current_count,
        require_user_verification=require_uv,
    )


def override_id(value: object) -> str | None:
    """A parametrized case's id: the name of its override."""
    return next(iter(value)) if isinstance(value, dict) else None


@pytest.fixture
def authenticator() -> SoftwareAuthenticator:
    return SoftwareAuthenticator(origin=ORIGIN, aaguid=AAGUID.bytes)


def test_b64url_round_trips_without_padding() -> None:
    for data in (b"", b"\xfb", b"\xfb\xff", b"\xfb\xff\xfe"):
        text = b64url(data)
        assert "=" not in text
        assert "+" not in text
        assert "/" not in text
        assert b64url_decode(text) == data


@pytest.mark.parametrize(
    ("attestation", "fmt"), [("none", AttestationFormat.NONE), ("packed", AttestationFormat.PACKED)]
)
def test_registration_verifies(
    authenticator: SoftwareAuthenticator, attestation: str, fmt: AttestationFormat
) -> None:
    options = registration_options(attestation=AttestationConveyancePreference.DIRECT)
    response = authenticator.create(options, attestation=attestation)

    verified = verify_registration(options, response)

    assert verified.fmt == fmt
    assert verified.credential_id == b64url_decode(response["rawId"])
    assert verified.aaguid == str(AAGUID)
    assert verified.sign_count == 0
    assert verified.user_verified
    assert verified.credential_device_type == CredentialDeviceType.MULTI_DEVICE
    assert verified.credential_backed_up
    stored = authenticator.credentials[verified.credential_id]
    assert stored.rp_id == RP_ID
    assert stored.user_handle == b"user-1"
    key = decode_credential_public_key(verified.credential_public_key)
    assert isinstance(key, DecodedEC2PublicKey)
    assert key.alg == COSEAlgorithmIdentifier.ECDSA_SHA_256
    numbers = stored.private_key.public_key().public_numbers()
    assert (key.x, key.y) == (numbers.x.to_bytes(32, "big"), numbers.y.to_bytes(32, "big"))
    assert response["response"]["transports"] == ["internal", "hybrid"]
    assert json.loads(b64url_decode(response["response"]["clientDataJSON"])) == {
        "type": "webauthn.create",
        "challenge": options["challenge"],
        "origin": ORIGIN,
        "crossOrigin": False,
    }


def test_single_device_credential_has_no_backup_flags() -> None:
    authenticator = SoftwareAuthenticator(origin=ORIGIN, backed_up=False)
    options = registration_options()
    verified = verify_registration(options, authenticator.create(options))
    assert verified.credential_device_type == CredentialDeviceType.SINGLE_DEVICE
    assert not verified.credential_backed_up


def test_registration_without_user_verification(authenticator: SoftwareAuthenticator) -> None:
    options = registration_options()
    response = authenticator.create(options, user_verified=False)
    with pytest.raises(InvalidRegistrationResponse, match="User verification is required"):
        verify_registration(options, response)
    assert not verify_registration(options, response, require_uv=False).user_verified


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"origin": OTHER_ORIGIN}, f'Unexpected client data origin "{OTHER_ORIGIN}"'),
        ({"rp_id": "login.example.net"}, "Unexpected RP ID hash"),
    ],
    ids=override_id,
)
def test_registration_refusals(
    authenticator: SoftwareAuthenticator, override: dict[str, Any], message: str
) -> None:
    options = registration_options()
    with pytest.raises(InvalidRegistrationResponse, match=message):
        verify_registration(options, authenticator.create(options, **override))


def test_create_refuses_options_without_es256(authenticator: SoftwareAuthenticator) -> None:
    options = registration_options(
        supported_pub_key_algs=[COSEAlgorithmIdentifier.RSASSA_PKCS1_v1_5_SHA_256]
    )
    with pytest.raises(ValueError, match="ES256"):
        authenticator.create(options)
    assert authenticator.credentials == {}


def test_create_refuses_an_excluded_credential_it_holds(
    authenticator: SoftwareAuthenticator,
) -> None:
    held = b64url_decode(authenticator.create(registration_options())["rawId"])
    with pytest.raises(ValueError, match="InvalidStateError"):
        authenticator.create(registration_options(exclude=(b"someone else's", held)))
    assert list(authenticator.credentials) == [held]
    # Excluding a credential it does not hold (or holds for another RP) is no bar.
    other = SoftwareAuthenticator(origin=OTHER_ORIGIN)
    other_options = registration_options()
    other_options["rp"]["id"] = "login.example.net"
    other_held = b64url_decode(other.create(other_options)["rawId"])
    other.create(registration_options(exclude=(other_held,)))
    assert len(other.credentials) == 2


def test_assertion_verifies_and_counts(authenticator: SoftwareAuthenticator) -> None:
    public_key = register(authenticator)
    (credential_id,) = authenticator.credentials
    for count in (1, 2):
        options = authentication_options(credential_id)
        response = authenticator.get(options)
        verified = verify_assertion(options, response, public_key, current_count=count - 1)
        assert verified.credential_id == credential_id
        assert verified.new_sign_count == count
        assert verified.user_verified
        assert authenticator.credentials[credential_id].sign_count == count
    assert b64url_decode(response["response"]["userHandle"]) == b"user-1"
    assert json.loads(b64url_decode(response["response"]["clientDataJSON"])) == {
        "type": "webauthn.get",
        "challenge": options["challenge"],
        "origin": ORIGIN,
        "crossOrigin": False,
    }


def test_synced_passkey_counts_zero() -> None:
    authenticator = SoftwareAuthenticator(origin=ORIGIN, counter_step=0)
    public_key = register(authenticator)
    (credential_id,) = authenticator.credentials
    for _ in range(2):
        options = authentication_options(credential_id)
        verified = verify_assertion(options, authenticator.get(options), public_key, 0)
        assert verified.new_sign_count == 0


@pytest.mark.parametrize(
    ("override", "current_count", "message"),
    [
        ({"origin": OTHER_ORIGIN}, 0, f'Unexpected client data origin "{OTHER_ORIGIN}"'),
        ({"rp_id": "login.example.net"}, 0, "Unexpected RP ID hash"),
        ({"user_present": False}, 0, "User was not present"),
        ({"user_verified": False}, 0, "User verification is required"),
        ({"sign_count": 5}, 5, "sign count of 5 was not greater than current count of 5"),
        ({"sign_count": 4}, 5, "sign count of 4 was not greater than current count of 5"),
        ({"sign_count": 0}, 5, "sign count of 0 was not greater than current count of 5"),
        ({"challenge": b64url(b"another challenge")}, 0, "challenge was not expected challenge"),
        ({"client_type": "webauthn.create"}, 0, 'Unexpected client data type "webauthn.create"'),
        ({"tamper_signature": True}, 0, "Could not verify authentication signature"),
    ],
    ids=override_id,
)
def test_each_override_is_refused(
    authenticator: SoftwareAuthenticator,
    override: dict[str, Any],
    current_count: int,
    message: str,
) -> None:
    public_key = register(authenticator)
    options = authentication_options(*authenticator.credentials)
    if current_count:  # the stored count, so that the default assertion would pass
        next(iter(authenticator.credentials.values())).sign_count = current_count
    good = authenticator.get(options)
    verify_assertion(options, good, public_key, current_count)

    refused = authenticator.get(options, **override)

    with pytest.raises(InvalidAuthenticationResponse, match=message):
        verify_assertion(options, refused, public_key, current_count)


def test_sign_count_override_leaves_stored_count(authenticator: SoftwareAuthenticator) -> None:
    register(authenticator)
    (stored,) = authenticator.credentials.values()
    response = authenticator.get(authentication_options(stored.credential_id), sign_count=41)
    data = parse_authenticator_data(b64url_decode(response["response"]["authenticatorData"]))
    assert data.sign_count == 41
    assert stored.sign_count == 0


def test_user_verification_off_passes_when_not_required(
    authenticator: SoftwareAuthenticator,
) -> None:
    public_key = register(authenticator)
    options = authentication_options()
    response = authenticator.get(options, user_verified=False)
    assert not verify_assertion(options, response, public_key, require_uv=False).user_verified


def test_discoverable_get_returns_newest_credential_and_its_user(
    authenticator: SoftwareAuthenticator,
) -> None:
    first_key = register(authenticator, b"user-1")
    second_key = register(authenticator, b"user-2")
    first, second = authenticator.credentials
    options = authentication_options()
    assert options["allowCredentials"] == []

    response = authenticator.get(options)

    assert b64url_decode(response["rawId"]) == second
    assert b64url_decode(response["response"]["userHandle"]) == b"user-2"
    verify_assertion(options, response, second_key)
    authenticator.forget(second)
    response = authenticator.get(options)
    assert b64url_decode(response["rawId"]) == first
    assert b64url_decode(response["response"]["userHandle"]) == b"user-1"
    verify_assertion(options, response, first_key)


def test_get_picks_the_first_allowed_credential_it_holds(
    authenticator: SoftwareAuthenticator,
) -> None:
    register(authenticator, b"user-1")
    second_key = register(authenticator, b"user-2")
    first, second = authenticator.credentials
    options = authentication_options(b"not held", second, first)
    response = authenticator.get(options)
    assert b64url_decode(response["rawId"]) == second
    verify_assertion(options, response, second_key)
    assert b64url_decode(authenticator.get(options, credential_id=first)["rawId"]) == first


def test_get_without_a_credential_is_a_lookup_error(
    authenticator: SoftwareAuthenticator,
) -> None:
    with pytest.raises(LookupError):
        authenticator.get(authentication_options())
    register(authenticator)
    (held,) = authenticator.credentials
    with pytest.raises(LookupError):
        authenticator.get(authentication_options(b"not held"))
    with pytest.raises(LookupError):
        authenticator.get(authentication_options(), credential_id=b"not held")
    other_rp = authentication_options()
    other_rp["rpId"] = "login.example.net"
    with pytest.raises(LookupError):
        authenticator.get(other_rp)
    authenticator.forget(held)
    with pytest.raises(LookupError):
        authenticator.get(authentication_options(held))
    with pytest.raises(KeyError):
        authenticator.forget(held)


def test_library_does_not_check_user_handle_or_cross_origin(
    authenticator: SoftwareAuthenticator,
) -> None:
    """What the library leaves to the relying party: these verify, so our code must check."""
    public_key = register(authenticator)
    options = authentication_options()

    no_handle = authenticator.get(options, user_handle=None)
    assert "userHandle" not in no_handle["response"]
    assert parse_authentication_credential_json(no_handle).response.user_handle is None
    verify_assertion(options, no_handle, public_key, 0)

    wrong_handle = authenticator.get(options, user_handle=b"user-2")
    assert b64url_decode(wrong_handle["response"]["userHandle"]) == b"user-2"
    verify_assertion(options, wrong_handle, public_key, 1)

    cross_origin = authenticator.get(options, extra_client_data={"crossOrigin": True})
    client_data = json.loads(b64url_decode(cross_origin["response"]["clientDataJSON"]))
    assert client_data["crossOrigin"] is True
    verify_assertion(options, cross_origin, public_key, 2)


def test_signature_is_ecdsa_sha256_over_authenticator_data_and_client_data_hash(
    authenticator: SoftwareAuthenticator,
) -> None:
    register(authenticator)
    (stored,) = authenticator.credentials.values()
    response = authenticator.get(authentication_options())["response"]
    signed = (
        b64url_decode(response["authenticatorData"])
        + hashlib.sha256(b64url_decode(response["clientDataJSON"])).digest()
    )
    stored.private_key.public_key().verify(
        b64url_decode(response["signature"]), signed, ec.ECDSA(hashes.SHA256())
    )
