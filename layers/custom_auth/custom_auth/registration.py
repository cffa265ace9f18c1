"""The passkey registration API: what a signed-in user may do with their passkeys.

The API (``functions/passkeys``, behind an HTTP API whose JWT authorizer accepts the pool's
tokens for its app client) calls these with the :class:`Caller` its access token names:

- ``POST /passkeys/registration/options``: :func:`registration_options`, the creation options
  for ``navigator.credentials.create`` (a challenge of 32 random bytes kept for the caller for
  ``PASSKEY_TIMEOUT_SECONDS``, the RP, the user's handle (their ``userName``), resident key
  required, user verification as configured, the caller's credentials excluded, attestation
  ``none`` or ``direct``);
- ``POST /passkeys/registration``: :func:`finish_registration`, the browser's answer checked
  by the library (type ``webauthn.create``, the challenge, which must be the caller's and is
  taken once, an allowed origin and RP id, user presence and verification, the attestation
  statement of any format the library supports; with ``PASSKEY_ATTESTATION=direct`` only a
  statement that chains to a trusted root: no ``none``, no self attestation, packed, tpm and
  fido-u2f to ``PASSKEY_ATTESTATION_ROOTS``, and a packed certificate as WebAuthn 8.2.1 says),
  then stored on the condition that its id is new;
- ``GET /passkeys``, ``PATCH /passkeys/{id}`` (a new name), ``DELETE /passkeys/{id}``.

And one call without a token, for usernameless sign-in: ``POST /passkeys/sign-in-challenge``
(:func:`sign_in_challenge`), a challenge kept for ``PASSKEY_TIMEOUT_SECONDS`` that any user's
assertion may answer once (:mod:`custom_auth.methods.passkey`).

Every refusal is a :class:`RegistrationError` with an HTTP status and a message naming the
field and the rule, never what was sent.
"""

import json
import secrets
from dataclasses import dataclass
from hmac import compare_digest
from typing import Any

from custom_auth.credentials import MAX_CREDENTIALS, Credential, CredentialStore, owner_key
from custom_auth.errors import CustomAuthError
from custom_auth.passkeys import (
    CHALLENGE_BYTES,
    MAX_CREDENTIAL_ID_BYTES,
    MAX_RESPONSE_CHARACTERS,
    MAX_USER_HANDLE_BYTES,
    REGISTRATION,
    SIGN_IN,
    Attestation,
    PasskeyRefused,
    PasskeySettings,
    b64url,
    ca_flag,
    from_b64url,
    signed_for,
)

#: The longest name a user may give a passkey.
MAX_NAME_CHARACTERS = 64


class RegistrationError(CustomAuthError):
    """A request the API refuses: its HTTP status and why (the field and the rule)."""

    def __init__(self, status: int, message: str, error: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        #: The error's name in the body, when not the status's own (``FreshSignInRequired``).
        self.error = error


@dataclass(frozen=True)
class Caller:
    """The signed-in user an access token names."""

    user_pool_id: str
    user_name: str
    sub: str

    @property
    def owner(self) -> str:
        return owner_key(self.user_pool_id, self.user_name)


def registration_options(
    settings: PasskeySettings, store: CredentialStore, caller: Caller, now: int
) -> dict[str, Any]:
    """``PublicKeyCredentialCreationOptionsJSON`` for the caller; the challenge is kept."""
    from webauthn import generate_registration_options, options_to_json
    from webauthn.helpers.structs import (
        AttestationConveyancePreference,
        AuthenticatorSelectionCriteria,
        PublicKeyCredentialDescriptor,
        ResidentKeyRequirement,
        UserVerificationRequirement,
    )

    handle = caller.user_name.encode()
    if len(handle) > MAX_USER_HANDLE_BYTES:
        raise RegistrationError(
            400,
            f"username: a passkey's user handle is the user name, which WebAuthn allows "
            f"{MAX_USER_HANDLE_BYTES} bytes; this one has {len(handle)}",
        )
    existing = store.owned_by(caller.owner, caller.sub)
    if len(existing) >= MAX_CREDENTIALS:
        raise RegistrationError(409, f"passkeys: at most {MAX_CREDENTIALS} per user")
    challenge = secrets.token_bytes(CHALLENGE_BYTES)
    store.put_challenge(REGISTRATION, challenge, caller.owner, now + settings.timeout_seconds)
    options = generate_registration_options(
        rp_id=settings.rp_ids[0],
        rp_name=settings.rp_name,
        user_name=caller.user_name,
        user_id=handle,
        challenge=challenge,
        timeout=settings.timeout_seconds * 1000,
        attestation=AttestationConveyancePreference(str(settings.attestation)),
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.REQUIRED,
            user_verification=UserVerificationRequirement(str(settings.user_verification)),
        ),
        exclude_credentials=[PublicKeyCredentialDescriptor(id=c.credential_id) for c in existing],
    )
    result: dict[str, Any] = json.loads(options_to_json(options))
    return result


def finish_registration(
    settings: PasskeySettings, store: CredentialStore, caller: Caller, body: str, now: int
) -> Credential:
    """Check and store the browser's answer (``{"credential": ..., "name": ...}``)."""
    from webauthn import verify_registration_response
    from webauthn.helpers import parse_attestation_object
    from webauthn.helpers.exceptions import InvalidRegistrationResponse

    request = _json_object(body, MAX_RESPONSE_CHARACTERS)
    credential = request.get("credential")
    name = _name(request.get("name", ""))
    if not isinstance(credential, dict):
        raise RegistrationError(400, "credential: must be the RegistrationResponseJSON object")
    response = credential.get("response")
    if not isinstance(response, dict):
        raise RegistrationError(400, "credential.response: missing")
    try:
        client_data = json.loads(
            from_b64url(response.get("clientDataJSON"), "credential.response.clientDataJSON", 4096)
        )
        challenge = from_b64url(
            client_data.get("challenge") if isinstance(client_data, dict) else None,
            "clientDataJSON.challenge",
            64,
        )
        attestation_object = from_b64url(
            response.get("attestationObject"), "credential.response.attestationObject", 16_384
        )
        raw_id = from_b64url(credential.get("rawId"), "credential.rawId", MAX_CREDENTIAL_ID_BYTES)
    except PasskeyRefused as refusal:
        raise RegistrationError(400, str(refusal)) from None
    except (ValueError, RecursionError):
        raise RegistrationError(400, "credential.response.clientDataJSON: not JSON") from None
    if not store.take_challenge(REGISTRATION, challenge, caller.owner, now):
        raise RegistrationError(
            403 if store.challenge_waiting(REGISTRATION, challenge, now) else 400,
            "clientDataJSON.challenge: not a registration challenge of yours that is still "
            "waiting (each is used once, within PASSKEY_TIMEOUT_SECONDS)",
        )
    direct = settings.attestation is Attestation.DIRECT
    try:
        parsed = parse_attestation_object(attestation_object)
        rp_id = signed_for(settings, parsed.auth_data.rp_id_hash)
        if direct:
            _attested_enough(settings, parsed)
        verified = verify_registration_response(
            credential=credential,
            expected_challenge=challenge,
            expected_rp_id=rp_id,
            expected_origin=list(settings.origins),
            require_user_verification=settings.uv_required,
            pem_root_certs_bytes_by_fmt=_roots(settings) if direct else None,
        )
        if direct:
            _check_attestation_certificate(parsed)
    except PasskeyRefused as refusal:
        raise RegistrationError(400, f"credential: {refusal}") from None
    except InvalidRegistrationResponse as error:
        raise RegistrationError(400, f"credential: {_registration_reason(str(error))}") from None
    except Exception:  # noqa: BLE001 - a malformed part the library trips on
        raise RegistrationError(400, "credential: cannot be read as a registration") from None
    fmt = _format(verified)
    # The id the authenticator data attests is the one stored: it must be the one sent.
    if verified.credential_id != raw_id:
        raise RegistrationError(400, "credential.rawId: not the attested credential id")
    # Checked again here: two option requests may have been open at once.
    if len(store.owned_by(caller.owner, caller.sub)) >= MAX_CREDENTIALS:
        raise RegistrationError(409, f"passkeys: at most {MAX_CREDENTIALS} per user")
    transports = response.get("transports", [])
    stored = Credential(
        credential_id=verified.credential_id,
        owner=caller.owner,
        sub=caller.sub,
        public_key=verified.credential_public_key,
        sign_count=verified.sign_count,
        transports=tuple(t for t in transports if isinstance(t, str) and len(t) <= 16)[:8]
        if isinstance(transports, list)
        else (),
        name=name or "Passkey",
        created_at=now,
        aaguid=verified.aaguid,
        backed_up=bool(verified.credential_backed_up),
        attestation_format=fmt,
    )
    if not store.add(stored):
        raise RegistrationError(409, "credential: this passkey is registered already")
    return stored


#: Formats whose statements chain to roots the library holds itself (Apple's, Google's).
_LIBRARY_ROOTS = ("apple", "android-key")
#: Formats refused with ``direct``, and why.
_REFUSED_FORMATS = {
    "android-safetynet": (
        "android-safetynet attestation is refused: Google retired SafetyNet, and the library "
        "checks only its basicIntegrity, under a public web CA"
    ),
}
#: Formats whose statements chain only to the roots of ``PASSKEY_ATTESTATION_ROOTS``.
_CONFIGURED_ROOTS = ("packed", "tpm", "fido-u2f")
#: The AAGUID extension of an attestation certificate (id-fido-gen-ce-aaguid).
_AAGUID_EXTENSION = "1.3.6.1.4.1.45724.1.1.4"


def _format(attested: Any) -> str:
    """The attestation format of a parsed attestation object or a verified registration."""
    return str(getattr(attested.fmt, "value", attested.fmt))


def _attested_enough(settings: PasskeySettings, parsed: Any) -> None:
    """With ``direct``: refused unless the statement can chain to a trusted root (the library
    then checks that it does). The library would pass ``none``, self attestation, and any
    chain of a format it was given no roots for."""
    fmt = _format(parsed)
    if fmt == "none":
        raise PasskeyRefused("PASSKEY_ATTESTATION=direct requires an attestation statement")
    if fmt == "packed" and not parsed.att_stmt.x5c:
        raise PasskeyRefused(
            "PASSKEY_ATTESTATION=direct refuses self attestation: it proves nothing about who "
            "made the authenticator"
        )
    if fmt in _REFUSED_FORMATS:
        raise PasskeyRefused(_REFUSED_FORMATS[fmt])
    if fmt in _CONFIGURED_ROOTS and not settings.attestation_roots:
        raise PasskeyRefused(
            f"no root is trusted for {fmt} attestation: PASSKEY_ATTESTATION_ROOTS names none"
        )
    if fmt not in _CONFIGURED_ROOTS + _LIBRARY_ROOTS:
        raise PasskeyRefused(f"attestation format {fmt[:32]!r} is not one the library verifies")


def _roots(settings: PasskeySettings) -> dict[Any, list[bytes]]:
    from webauthn.helpers.structs import AttestationFormat

    return {AttestationFormat(fmt): list(settings.attestation_roots) for fmt in _CONFIGURED_ROOTS}


def _check_attestation_certificate(parsed: Any) -> None:
    """What the library leaves of WebAuthn's rules for a packed attestation certificate
    (section 8.2.1): X.509 v3, subject OU "Authenticator Attestation", not a CA, and an AAGUID
    extension, when present, naming the authenticator's AAGUID."""
    if _format(parsed) != "packed":
        return
    from cryptography import x509
    from cryptography.x509.oid import NameOID

    certificate = x509.load_der_x509_certificate(parsed.att_stmt.x5c[0])
    units = certificate.subject.get_attributes_for_oid(NameOID.ORGANIZATIONAL_UNIT_NAME)
    if certificate.version is not x509.Version.v3 or [u.value for u in units] != [
        "Authenticator Attestation"
    ]:
        raise PasskeyRefused("the attestation certificate is not one (WebAuthn 8.2.1)")
    ca = ca_flag(certificate)
    if ca is None:
        raise PasskeyRefused("the attestation certificate has no basic constraints")
    if ca:
        raise PasskeyRefused("the attestation certificate is a CA's (WebAuthn 8.2.1)")
    try:
        extension = certificate.extensions.get_extension_for_oid(
            x509.ObjectIdentifier(_AAGUID_EXTENSION)
        )
    except x509.ExtensionNotFound:
        return
    value = getattr(extension.value, "value", b"")
    # An OCTET STRING holding the 16 bytes: 04 10 <aaguid>.
    aaguid = parsed.auth_data.attested_credential_data.aaguid
    if value != b"\x04\x10" + aaguid:
        raise PasskeyRefused("the attestation certificate names another AAGUID")


def list_passkeys(store: CredentialStore, caller: Caller) -> list[dict[str, Any]]:
    """The caller's passkeys, newest first, without their keys."""
    return [c.described() for c in store.owned_by(caller.owner, caller.sub)]


def rename_passkey(store: CredentialStore, caller: Caller, encoded_id: str, body: str) -> None:
    """Give one of the caller's passkeys a new name (``{"name": ...}``)."""
    name = _name(_json_object(body, 1024).get("name"))
    if not name:
        raise RegistrationError(400, f"name: 1 to {MAX_NAME_CHARACTERS} printable characters")
    credential_id = _owned(store, caller, encoded_id)
    if not store.rename(credential_id, caller.owner, name):
        raise RegistrationError(404, "id: no passkey of yours has this id")


def delete_passkey(store: CredentialStore, caller: Caller, encoded_id: str) -> None:
    """Delete one of the caller's passkeys."""
    credential_id = _owned(store, caller, encoded_id)
    if not store.delete(credential_id, caller.owner):
        raise RegistrationError(404, "id: no passkey of yours has this id")


def sign_in_challenge(
    settings: PasskeySettings, store: CredentialStore, now: int
) -> dict[str, Any]:
    """A usernameless sign-in's request options: a kept challenge, no credentials listed."""
    from custom_auth.passkeys import request_options

    challenge = secrets.token_bytes(CHALLENGE_BYTES)
    store.put_challenge(SIGN_IN, challenge, "", now + settings.timeout_seconds)
    return request_options(settings, challenge, [])


def _owned(store: CredentialStore, caller: Caller, encoded_id: str) -> bytes:
    try:
        credential_id = from_b64url(encoded_id, "id", MAX_CREDENTIAL_ID_BYTES)
    except PasskeyRefused as refusal:
        raise RegistrationError(400, str(refusal)) from None
    found = store.get(credential_id)
    if found is None:
        raise RegistrationError(404, "id: no passkey of yours has this id")
    if found.owner != caller.owner or not compare_digest(found.sub.encode(), caller.sub.encode()):
        raise RegistrationError(403, "id: this passkey is not yours")
    return credential_id


def _json_object(body: str, most: int) -> dict[str, Any]:
    if len(body) > most:
        raise RegistrationError(413, f"body: at most {most} characters")
    try:
        value = json.loads(body or "{}")
    except (ValueError, RecursionError):
        raise RegistrationError(400, "body: must be a JSON object") from None
    if not isinstance(value, dict):
        raise RegistrationError(400, "body: must be a JSON object")
    return value


def _name(value: object) -> str:
    if value is None or value == "":
        return ""
    if (
        not isinstance(value, str)
        or len(value.strip()) > MAX_NAME_CHARACTERS
        or not value.strip().isprintable()
    ):
        raise RegistrationError(400, f"name: 1 to {MAX_NAME_CHARACTERS} printable characters")
    return value.strip()


_REGISTRATION_REASONS = (
    ("type", "the client data's type is not webauthn.create"),
    ("challenge", "the challenge is not the one given"),
    ("origin", "the origin is not allowed"),
    ("rp id", "the rpIdHash is not an allowed RP id's"),
    ("user verification", "the user was not verified"),
    ("present", "the user was not present"),
    ("algorithm", "the key's algorithm is not supported"),
    ("certificate", "the attestation statement's certificate does not verify"),
    ("signature", "the attestation statement does not verify"),
)


def _registration_reason(message: str) -> str:
    lowered = message.lower()
    for needle, reason in _REGISTRATION_REASONS:
        if needle in lowered:
            return reason
    return "the registration does not verify"


__all__ = [
    "Caller",
    "RegistrationError",
    "b64url",
    "delete_passkey",
    "finish_registration",
    "list_passkeys",
    "registration_options",
    "rename_passkey",
    "sign_in_challenge",
]
