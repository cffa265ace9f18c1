"""A software WebAuthn authenticator and client, for the PASSKEY tests.

It plays both the browser (clientDataJSON) and a platform authenticator (authenticatorData,
attestation objects, assertion signatures), with real P-256 keys, real CBOR and real ECDSA
signatures, so that tests drive registration and sign-in through Duo Labs' webauthn library
with nothing mocked. It takes the options as the relying party sends them
(``json.loads(webauthn.options_to_json(...))``) and answers with what a browser's
``credential.toJSON()`` gives. The keyword overrides of :meth:`SoftwareAuthenticator.get`
produce each response a relying party must refuse; an override changes only what is reported,
never which credential is picked or where it is kept.
"""

import base64
import datetime
import hashlib
import json
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import EllipsisType
from typing import Any
from urllib.parse import urlsplit

import cbor2
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

ES256 = -7  # COSE algorithm: ECDSA over P-256 with SHA-256

# authenticatorData flags (WebAuthn section 6.1)
UP = 0x01  # user present
UV = 0x04  # user verified
BE = 0x08  # backup eligible
BS = 0x10  # backed up
AT = 0x40  # attested credential data included


def b64url(data: bytes) -> str:
    """Base64url without padding, as WebAuthn's JSON forms carry bytes."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    """The bytes of unpadded base64url text."""
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class StoredCredential:
    """A credential the authenticator keeps: its key, the RP it is for, and its user."""

    credential_id: bytes
    private_key: ec.EllipticCurvePrivateKey
    rp_id: str
    user_handle: bytes
    sign_count: int


def cose_key(public_key: ec.EllipticCurvePublicKey) -> bytes:
    """The COSE_Key (EC2, ES256, P-256) of a public key, as authenticatorData carries it."""
    numbers = public_key.public_numbers()
    key = {
        1: 2,
        3: ES256,
        -1: 1,
        -2: numbers.x.to_bytes(32, "big"),
        -3: numbers.y.to_bytes(32, "big"),
    }
    return cbor2.dumps(key, canonical=True)


class SoftwareAuthenticator:
    """A platform authenticator with its client, holding discoverable ES256 credentials.

    ``counter_step`` is what each assertion adds to a credential's sign count; 0 imitates a
    synced passkey, whose count is always 0. ``backed_up`` sets the BE and BS flags (a synced,
    multi-device credential); without it neither is set (a single-device one).
    """

    def __init__(
        self,
        *,
        origin: str,
        aaguid: bytes = bytes(16),
        counter_step: int = 1,
        backed_up: bool = True,
    ) -> None:
        if len(aaguid) != 16:
            raise ValueError("an AAGUID is 16 bytes")
        self.origin = origin
        self.aaguid = aaguid
        self.counter_step = counter_step
        self.backed_up = backed_up
        self.credentials: dict[bytes, StoredCredential] = {}

    def create(
        self,
        options: Mapping[str, Any],
        *,
        attestation: str = "none",
        user_verified: bool = True,
        origin: str | None = None,
        rp_id: str | None = None,
        transports: Sequence[str] = ("internal", "hybrid"),
        attested_by: "AttestationCertificate | None" = None,
    ) -> dict[str, Any]:
        """Answer ``navigator.credentials.create()``: a new credential, as RegistrationResponseJSON.

        ``attestation`` is "none" or "packed": self attestation (no x5c), or with
        ``attested_by``, signed by that attestation certificate's key, its chain as x5c. Raises
        ValueError when the options allow no ES256 or exclude a credential held for the RP.
        """
        scope = self._rp_id(options["rp"].get("id"))
        if not any(
            param.get("type") == "public-key" and param.get("alg") == ES256
            for param in options.get("pubKeyCredParams", [])
        ):
            raise ValueError("NotSupportedError: the options allow no ES256 (alg -7)")
        for descriptor in options.get("excludeCredentials", []):
            held = self.credentials.get(b64url_decode(descriptor["id"]))
            if held is not None and held.rp_id == scope:
                raise ValueError("InvalidStateError: an excluded credential is held for this RP")
        if attestation not in ("none", "packed"):
            raise ValueError(f"unsupported attestation format {attestation!r}")

        credential_id = secrets.token_bytes(32)
        private_key = ec.generate_private_key(ec.SECP256R1())
        flags = UP | AT | (UV if user_verified else 0) | self._backup_flags()
        auth_data = (
            self._rp_id_hash(scope if rp_id is None else rp_id)
            + bytes([flags])
            + (0).to_bytes(4, "big")
            + self.aaguid
            + len(credential_id).to_bytes(2, "big")
            + credential_id
            + cose_key(private_key.public_key())
        )
        client_data = self._client_data("webauthn.create", options["challenge"], origin)
        statement: dict[str, Any] = {}
        if attestation == "packed":
            signed = auth_data + hashlib.sha256(client_data).digest()
            signer = private_key if attested_by is None else attested_by.private_key
            statement = {"alg": ES256, "sig": signer.sign(signed, ec.ECDSA(hashes.SHA256()))}
            if attested_by is not None:
                statement["x5c"] = list(attested_by.chain)
        attestation_object = cbor2.dumps(
            {"fmt": attestation, "attStmt": statement, "authData": auth_data}, canonical=True
        )
        self.credentials[credential_id] = StoredCredential(
            credential_id=credential_id,
            private_key=private_key,
            rp_id=scope,
            user_handle=b64url_decode(options["user"]["id"]),
            sign_count=0,
        )
        public_key = private_key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return {
            "id": b64url(credential_id),
            "rawId": b64url(credential_id),
            "type": "public-key",
            "response": {
                "clientDataJSON": b64url(client_data),
                "attestationObject": b64url(attestation_object),
                "authenticatorData": b64url(auth_data),
                "publicKey": b64url(public_key),
                "publicKeyAlgorithm": ES256,
                "transports": list(transports),
            },
            "clientExtensionResults": {},
            "authenticatorAttachment": "platform",
        }

    def get(
        self,
        options: Mapping[str, Any],
        *,
        credential_id: bytes | None = None,
        origin: str | None = None,
        rp_id: str | None = None,
        user_present: bool = True,
        user_verified: bool = True,
        sign_count: int | None = None,
        challenge: str | None = None,
        client_type: str = "webauthn.get",
        user_handle: bytes | EllipsisType | None = ...,
        tamper_signature: bool = False,
        extra_client_data: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Answer ``navigator.credentials.get()``: an assertion, as AuthenticationResponseJSON.

        Signs with ``credential_id`` if given, else the first allowed credential held for the
        RP, else (no allowCredentials: a discoverable sign-in) the newest held for it; raises
        LookupError when there is none. Without ``sign_count`` the stored count goes up by
        ``counter_step`` and is reported; with it, that count is reported and the stored one
        left alone. ``user_handle`` None leaves userHandle out; ``tamper_signature`` signs
        other bytes; ``extra_client_data`` is merged last into the client data.
        """
        credential = self._pick(options, credential_id)
        if sign_count is None:
            credential.sign_count += self.counter_step
            sign_count = credential.sign_count
        flags = (UP if user_present else 0) | (UV if user_verified else 0) | self._backup_flags()
        auth_data = (
            self._rp_id_hash(self._rp_id(options.get("rpId")) if rp_id is None else rp_id)
            + bytes([flags])
            + sign_count.to_bytes(4, "big")
        )
        client_data = self._client_data(
            client_type,
            options["challenge"] if challenge is None else challenge,
            origin,
            extra_client_data,
        )
        signed = auth_data + hashlib.sha256(client_data).digest()
        if tamper_signature:
            signed += b"tampered"
        signature = credential.private_key.sign(signed, ec.ECDSA(hashes.SHA256()))
        response = {
            "clientDataJSON": b64url(client_data),
            "authenticatorData": b64url(auth_data),
            "signature": b64url(signature),
        }
        if isinstance(user_handle, EllipsisType):
            user_handle = credential.user_handle
        if user_handle is not None:
            response["userHandle"] = b64url(user_handle)
        return {
            "id": b64url(credential.credential_id),
            "rawId": b64url(credential.credential_id),
            "type": "public-key",
            "response": response,
            "clientExtensionResults": {},
            "authenticatorAttachment": "platform",
        }

    def forget(self, credential_id: bytes) -> None:
        """Delete a credential, as a user removing a passkey; KeyError if it is not held."""
        del self.credentials[credential_id]

    def _pick(self, options: Mapping[str, Any], credential_id: bytes | None) -> StoredCredential:
        if credential_id is not None:
            if credential_id not in self.credentials:
                raise LookupError(f"no credential {b64url(credential_id)} is held")
            return self.credentials[credential_id]
        scope = self._rp_id(options.get("rpId"))
        allowed = [b64url_decode(item["id"]) for item in options.get("allowCredentials") or []]
        held = [
            credential
            for credential in self.credentials.values()
            if credential.rp_id == scope and (not allowed or credential.credential_id in allowed)
        ]
        if not held:
            raise LookupError(f"no credential for {scope} is held that the options allow")
        if allowed:
            return min(held, key=lambda credential: allowed.index(credential.credential_id))
        return held[-1]

    def _rp_id(self, rp_id: str | None) -> str:
        """The RP ID the options name, or by default the origin's host (as browsers do)."""
        return rp_id or urlsplit(self.origin).hostname or ""

    def _backup_flags(self) -> int:
        return BE | BS if self.backed_up else 0

    @staticmethod
    def _rp_id_hash(rp_id: str) -> bytes:
        return hashlib.sha256(rp_id.encode()).digest()

    def _client_data(
        self,
        client_type: str,
        challenge: str,
        origin: str | None,
        extra: Mapping[str, Any] | None = None,
    ) -> bytes:
        """clientDataJSON, compact and in the order browsers write it."""
        data: dict[str, Any] = {
            "type": client_type,
            "challenge": challenge,
            "origin": self.origin if origin is None else origin,
            "crossOrigin": False,
        }
        data.update(extra or {})
        return json.dumps(data, separators=(",", ":")).encode()


@dataclass(frozen=True)
class AttestationCertificate:
    """An authenticator maker's attestation key and its certificate chain (DER, leaf first)."""

    private_key: ec.EllipticCurvePrivateKey
    chain: tuple[bytes, ...]


def attestation_ca(name: str = "Test Maker Root") -> tuple[ec.EllipticCurvePrivateKey, bytes]:
    """A maker's root: its key and its self-signed CA certificate (PEM)."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    certificate = (
        _certificate_builder(subject, subject, key.public_key())
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    return key, certificate.public_bytes(serialization.Encoding.PEM)


def attestation_certificate(
    root: tuple[ec.EllipticCurvePrivateKey, bytes],
    *,
    unit: str = "Authenticator Attestation",
    ca: bool = False,
    aaguid: bytes | None = None,
) -> AttestationCertificate:
    """An attestation certificate issued by ``root``, as WebAuthn 8.2.1 asks (OU
    "Authenticator Attestation", not a CA, the AAGUID extension when ``aaguid`` is given);
    ``unit`` and ``ca`` make one that breaks the rules."""
    root_key, root_pem = root
    issuer = x509.load_pem_x509_certificate(root_pem).subject
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "US"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Test Maker"),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, unit),
            x509.NameAttribute(NameOID.COMMON_NAME, "Test Maker Attestation"),
        ]
    )
    builder = _certificate_builder(subject, issuer, key.public_key()).add_extension(
        x509.BasicConstraints(ca=ca, path_length=None), critical=True
    )
    if aaguid is not None:
        builder = builder.add_extension(
            x509.UnrecognizedExtension(
                x509.ObjectIdentifier("1.3.6.1.4.1.45724.1.1.4"), b"\x04\x10" + aaguid
            ),
            critical=False,
        )
    certificate = builder.sign(root_key, hashes.SHA256())
    return AttestationCertificate(key, (certificate.public_bytes(serialization.Encoding.DER),))


def _certificate_builder(
    subject: x509.Name, issuer: x509.Name, public_key: ec.EllipticCurvePublicKey
) -> x509.CertificateBuilder:
    now = datetime.datetime.now(datetime.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=365))
    )
