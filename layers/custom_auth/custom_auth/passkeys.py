"""WebAuthn for custom-auth: the settings, the options a client passes to the browser, and the
checks of what the browser answers.

The checks are Duo Labs' ``webauthn`` library's (imported only when an answer is judged: it
costs a cold start about 150 ms, see ``make bench``). It checks, in one call, the client data's
type (``webauthn.get``, ``webauthn.create``), the challenge, the origin against a list, the
rpIdHash against one RP id, user presence, user verification when required, the signature with
the stored public key and a sign count that must increase (0 and 0 are allowed: synced passkeys
count nothing). What it leaves to us is done here: the size of everything a client sends, which
of the allowed RP ids the authenticator signed for (one library call, not one per id), and that
the credential and its ``userHandle`` are this user's (:mod:`custom_auth.methods.passkey`).

A user's handle (``user.id`` at registration, ``userHandle`` in an assertion) is the Cognito
``userName``: a usernameless sign-in reads it from the assertion and starts InitiateAuth with
it. Cognito user names are at most 128 characters and WebAuthn handles at most 64 bytes, so
registration refuses a longer name.
"""

import base64
import binascii
import hashlib
import json
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any, Self

from custom_auth.errors import CustomAuthError, InvalidEventError
from custom_auth.flow_settings import SettingsError, _choice, _integer, _required
from custom_auth.settings import redirect_uri_problem

#: The public challenge parameter holding the request options, as JSON.
OPTIONS_PARAMETER = "PASSKEY_OPTIONS"
#: The private challenge parameters of a round: its challenge (base64url), and when it was made.
CHALLENGE_PARAMETER = "passkeyChallenge"
ISSUED_AT_PARAMETER = "passkeyIssuedAt"
#: The bytes of every challenge (WebAuthn asks for at least 16).
CHALLENGE_BYTES = 32
#: The longest user handle WebAuthn allows.
MAX_USER_HANDLE_BYTES = 64
#: The longest credential id WebAuthn allows.
MAX_CREDENTIAL_ID_BYTES = 1023
#: The most an assertion or registration may weigh as the client sends it (JSON).
MAX_RESPONSE_CHARACTERS = 16_384
_MAX_CLIENT_DATA_BYTES = 4_096
_MAX_AUTHENTICATOR_DATA_BYTES = 2_048
_MAX_SIGNATURE_BYTES = 512
#: Kinds of stored challenges (:mod:`custom_auth.credentials`).
SIGN_IN = "sign-in"
REGISTRATION = "registration"


class UserVerification(StrEnum):
    """``PASSKEY_USER_VERIFICATION``."""

    REQUIRED = "required"
    PREFERRED = "preferred"


class Attestation(StrEnum):
    """``PASSKEY_ATTESTATION``."""

    NONE = "none"
    DIRECT = "direct"


class PasskeyRefused(CustomAuthError):  # noqa: N818 - a refusal, in the method's words
    """An assertion or registration was refused. The message is the reason, in a few words,
    and never holds what the client sent."""


@dataclass(frozen=True)
class PasskeySettings:
    """``PASSKEY_*``: what the relying party is and what it demands."""

    #: ``PASSKEY_RP_IDS``: the relying party ids (domains) an assertion may be signed for; the
    #: first is the one options name.
    rp_ids: tuple[str, ...]
    #: ``PASSKEY_ORIGINS``: the origins (``https://host[:port]``) a ceremony may happen on.
    origins: tuple[str, ...]
    #: ``PASSKEY_USER_VERIFICATION``: ``required`` (the default: a PIN or biometric every
    #: time) or ``preferred`` (user presence is enough).
    user_verification: UserVerification
    #: ``PASSKEY_ATTESTATION``: ``none`` (the default: any authenticator, nothing verified
    #: about its maker) or ``direct`` (an attestation statement is required, and must chain to
    #: a trusted root: no ``none``, no self attestation).
    attestation: Attestation
    #: ``PASSKEY_TIMEOUT_SECONDS``: how long a challenge stands (and the browser waits).
    timeout_seconds: int
    #: ``PASSKEY_TABLE_NAME``: the credentials table.
    table_name: str
    #: ``PASSKEY_RP_NAME``: the name browsers show when a passkey is made.
    rp_name: str = "custom-auth"
    #: ``PASSKEY_ATTESTATION_ROOTS`` (with ``direct`` only): the root certificates (PEM) that
    #: packed, tpm and fido-u2f statements must chain to; read from a file in the function's
    #: package. Apple's and Google's roots (apple, android-key) are the
    #: library's own.
    attestation_roots: tuple[bytes, ...] = ()

    @property
    def uv_required(self) -> bool:
        return self.user_verification is UserVerification.REQUIRED

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Self:
        """Read ``PASSKEY_*``; a bad value names the variable and the rule."""
        env = os.environ if env is None else env
        why = "SIGN_IN_METHODS includes PASSKEY"
        rp_ids = _list(_required(env, "PASSKEY_RP_IDS", why))
        for rp_id in rp_ids:
            if not _is_domain(rp_id):
                raise SettingsError(
                    "PASSKEY_RP_IDS: each must be a domain name in lower case "
                    f"(example.com, localhost), no scheme or port; got {rp_id!r}"
                )
        origins = _list(_required(env, "PASSKEY_ORIGINS", why))
        for origin in origins:
            problem = redirect_uri_problem(origin)
            if problem is None and origin.count("/") != 2:
                problem = "must be an origin: a scheme and a host, no path"
            if problem is not None:
                raise SettingsError(f"PASSKEY_ORIGINS: each {problem}; got {origin!r}")
        if len(rp_ids) > 10 or len(origins) > 10:
            raise SettingsError("PASSKEY_RP_IDS, PASSKEY_ORIGINS: at most 10 each")
        attestation = _choice(env, "PASSKEY_ATTESTATION", Attestation, Attestation.NONE)
        return cls(
            rp_ids=rp_ids,
            origins=origins,
            user_verification=_choice(
                env, "PASSKEY_USER_VERIFICATION", UserVerification, UserVerification.REQUIRED
            ),
            attestation=attestation,
            timeout_seconds=_integer(env, "PASSKEY_TIMEOUT_SECONDS", 120, 30, 600),
            table_name=_required(env, "PASSKEY_TABLE_NAME", why),
            rp_name=env.get("PASSKEY_RP_NAME", "").strip() or "custom-auth",
            attestation_roots=_attestation_roots(env, attestation),
        )


#: The most root certificates ``PASSKEY_ATTESTATION_ROOTS`` may hold.
MAX_ATTESTATION_ROOTS = 200
_PEM = re.compile(rb"-----BEGIN CERTIFICATE-----\r?\n.+?-----END CERTIFICATE-----", re.S)


def _attestation_roots(env: Mapping[str, str], attestation: Attestation) -> tuple[bytes, ...]:
    """The PEM certificates of the file ``PASSKEY_ATTESTATION_ROOTS`` names (relative to the
    function's directory, ``LAMBDA_TASK_ROOT``); none when it is not set."""
    name = env.get("PASSKEY_ATTESTATION_ROOTS", "").strip()
    if not name:
        return ()
    rule = "PASSKEY_ATTESTATION_ROOTS"
    if attestation is not Attestation.DIRECT:
        raise SettingsError(f"{rule}: only with PASSKEY_ATTESTATION=direct")
    path = Path(env.get("LAMBDA_TASK_ROOT") or ".") / name
    try:
        data = path.read_bytes()
    except OSError as error:
        raise SettingsError(
            f"{rule}: must name a PEM file in the function's package; {name!r} cannot be read "
            f"({error.strerror or type(error).__name__})"
        ) from None
    found = tuple(match.group(0) + b"\n" for match in _PEM.finditer(data))
    if not found or len(found) > MAX_ATTESTATION_ROOTS:
        raise SettingsError(
            f"{rule}: {name!r} must hold 1 to {MAX_ATTESTATION_ROOTS} PEM certificates "
            f"(-----BEGIN CERTIFICATE-----); it holds {len(found)}"
        )
    from cryptography import x509

    for index, pem in enumerate(found, 1):
        try:
            certificate = x509.load_pem_x509_certificate(pem)
        except ValueError:
            raise SettingsError(f"{rule}: certificate {index} of {name!r} cannot be read") from None
        if not ca_flag(certificate):
            raise SettingsError(
                f"{rule}: certificate {index} of {name!r} is not a CA certificate "
                "(basicConstraints CA:TRUE): list the makers' roots, not their devices'"
            )
    return found


def ca_flag(certificate: Any) -> bool | None:
    """The CA flag of an X.509 certificate's basicConstraints (a ``cryptography``
    certificate); None when it has no such extension."""
    from cryptography import x509

    try:
        return bool(certificate.extensions.get_extension_for_class(x509.BasicConstraints).value.ca)
    except x509.ExtensionNotFound:
        return None


def _list(raw: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in raw.split(",") if part.strip())


def _is_domain(name: str) -> bool:
    labels = name.split(".")
    return (
        0 < len(name) <= 253
        and name.isascii()
        and name == name.lower()
        and all(
            0 < len(label) <= 63
            and label[0] != "-"
            and label[-1] != "-"
            and all(c.isalnum() or c == "-" for c in label)
            for label in labels
        )
    )


# --- base64url, strictly ---------------------------------------------------------------------


def b64url(data: bytes) -> str:
    """``data`` as unpadded base64url, as WebAuthn's JSON has it."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def from_b64url(text: object, field: str, most: int) -> bytes:
    """``text`` (unpadded or padded base64url) as bytes, of at most ``most``; else refused,
    naming ``field``."""
    if not isinstance(text, str) or not text.isascii() or len(text) > most * 4 // 3 + 4:
        raise PasskeyRefused(f"{field}: not base64url of at most {most} bytes")
    try:
        data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise PasskeyRefused(f"{field}: not base64url") from None
    if not data or len(data) > most or b64url(data) != text.rstrip("="):
        raise PasskeyRefused(f"{field}: not base64url of at most {most} bytes")
    return data


# --- what the browser is asked -----------------------------------------------------------------


def request_options(
    settings: PasskeySettings, challenge: bytes, allowed: Sequence[tuple[bytes, Sequence[str]]]
) -> dict[str, Any]:
    """``PublicKeyCredentialRequestOptionsJSON`` for ``navigator.credentials.get``: the
    challenge, the first RP id, the credentials that may answer (empty: any discoverable one),
    the timeout and user verification."""
    return {
        "challenge": b64url(challenge),
        "rpId": settings.rp_ids[0],
        "allowCredentials": [
            {"id": b64url(cid), "type": "public-key", **({"transports": list(t)} if t else {})}
            for cid, t in allowed
        ],
        "timeout": settings.timeout_seconds * 1000,
        "userVerification": str(settings.user_verification),
    }


def round_parameters(body: str) -> tuple[dict[str, str], dict[str, str]]:
    """The public and private challenge parameters of a round, from the record Create keeps
    in its metadata (``<issued at>|<challenge>|<options JSON>``)."""
    issued_at, _, rest = body.partition("|")
    challenge, _, options = rest.partition("|")
    if not (issued_at.isascii() and issued_at.isdigit()) or not challenge or not options:
        raise InvalidEventError("challengeMetadata: not a passkey round")
    return (
        {OPTIONS_PARAMETER: options},
        {CHALLENGE_PARAMETER: challenge, ISSUED_AT_PARAMETER: issued_at},
    )


def compact(value: Mapping[str, Any]) -> str:
    """JSON without spaces, for a challenge parameter."""
    return json.dumps(value, separators=(",", ":"))


# --- what the browser answers ----------------------------------------------------------------


@dataclass(frozen=True)
class Assertion:
    """An assertion (``AuthenticationResponseJSON``) that is well formed and within bounds.
    Nothing here is checked yet but its shape; its ``repr`` shows no content."""

    credential_id: bytes
    client_data: dict[str, Any]
    challenge: bytes
    rp_id_hash: bytes
    user_handle: bytes | None
    raw: dict[str, Any]

    def __repr__(self) -> str:
        return f"Assertion(<{len(self.credential_id)}-byte credential id>)"

    @classmethod
    def parse(cls, answer: str) -> Self:
        """The answer as an assertion; :class:`PasskeyRefused` names what is malformed."""
        if len(answer) > MAX_RESPONSE_CHARACTERS:
            raise PasskeyRefused(f"the assertion is longer than {MAX_RESPONSE_CHARACTERS}")
        try:
            raw = json.loads(answer)
        except (ValueError, RecursionError):
            raise PasskeyRefused("the answer is not an assertion (JSON)") from None
        if not isinstance(raw, dict) or raw.get("type") != "public-key":
            raise PasskeyRefused("the answer is not a public-key credential")
        response = raw.get("response")
        if not isinstance(response, dict):
            raise PasskeyRefused("response: missing")
        credential_id = from_b64url(raw.get("rawId"), "rawId", MAX_CREDENTIAL_ID_BYTES)
        if raw.get("id") != b64url(credential_id):
            raise PasskeyRefused("id: not rawId")
        client_bytes = from_b64url(
            response.get("clientDataJSON"), "clientDataJSON", _MAX_CLIENT_DATA_BYTES
        )
        authenticator_data = from_b64url(
            response.get("authenticatorData"), "authenticatorData", _MAX_AUTHENTICATOR_DATA_BYTES
        )
        from_b64url(response.get("signature"), "signature", _MAX_SIGNATURE_BYTES)
        handle = response.get("userHandle")
        user_handle = from_b64url(handle, "userHandle", MAX_USER_HANDLE_BYTES) if handle else None
        try:
            client_data = json.loads(client_bytes)
        except (ValueError, RecursionError):
            raise PasskeyRefused("clientDataJSON: not JSON") from None
        if not isinstance(client_data, dict):
            raise PasskeyRefused("clientDataJSON: not an object")
        challenge = from_b64url(client_data.get("challenge"), "clientDataJSON.challenge", 64)
        if client_data.get("crossOrigin") is True:
            # The library does not look: a ceremony in a frame of another origin is refused.
            raise PasskeyRefused("clientDataJSON: a cross-origin ceremony")
        if len(authenticator_data) < 37:
            raise PasskeyRefused("authenticatorData: shorter than 37 bytes")
        return cls(
            credential_id=credential_id,
            client_data=client_data,
            challenge=challenge,
            rp_id_hash=authenticator_data[:32],
            user_handle=user_handle,
            raw=raw,
        )


def signed_for(settings: PasskeySettings, rp_id_hash: bytes) -> str:
    """The allowed RP id whose hash the authenticator signed; refused if none."""
    for rp_id in settings.rp_ids:
        if hashlib.sha256(rp_id.encode()).digest() == rp_id_hash:
            return rp_id
    raise PasskeyRefused("the rpIdHash is not an allowed RP id's")


def verify_assertion(
    settings: PasskeySettings,
    assertion: Assertion,
    *,
    challenge: bytes,
    public_key: bytes,
    sign_count: int,
) -> int:
    """Everything the library checks (see the module); the new sign count. Refused with the
    reason, never the content."""
    from webauthn import verify_authentication_response
    from webauthn.helpers.exceptions import InvalidAuthenticationResponse, WebAuthnException

    rp_id = signed_for(settings, assertion.rp_id_hash)
    try:
        verified = verify_authentication_response(
            credential=assertion.raw,
            expected_challenge=challenge,
            expected_rp_id=rp_id,
            expected_origin=list(settings.origins),
            credential_public_key=public_key,
            credential_current_sign_count=sign_count,
            require_user_verification=settings.uv_required,
        )
    except (InvalidAuthenticationResponse, WebAuthnException) as error:
        raise PasskeyRefused(_reason(str(error))) from None
    except Exception:  # noqa: BLE001 - a malformed part the library trips on
        raise PasskeyRefused("the assertion cannot be read") from None
    return int(verified.new_sign_count)


# The library's messages quote what was expected and what came (an origin, a challenge): the
# log line gets the kind of failure only.
_REASONS = (
    ("type", "the client data's type is not webauthn.get"),
    ("challenge", "the challenge is not this sign-in's"),
    ("origin", "the origin is not allowed"),
    ("rp id", "the rpIdHash is not an allowed RP id's"),
    ("user verification", "the user was not verified"),
    ("user was not present", "the user was not present"),
    ("user presence", "the user was not present"),
    ("sign count", "the sign count did not increase"),
    ("signature", "the signature does not verify"),
)


def _reason(message: str) -> str:
    lowered = message.lower()
    for needle, reason in _REASONS:
        if needle in lowered:
            return reason
    return "the assertion does not verify"
