"""One-time codes: made by ``secrets``, stored only as a keyed hash, checked in constant time.

A sent code is represented by a :class:`CodeRecord`: an HMAC-SHA256 of the code under the
deployment's secret key, bound to the user pool, the user and the issue time, so a record can
neither be replayed for another user nor re-dated. The record travels in Create's
``challengeMetadata`` (for the later rounds of the same sign-in) and its
``privateChallengeParameters`` (for Verify); the plain code is never stored anywhere.

A code is digits or Crockford base-32 characters (:class:`CodeSpec`); the record says which,
and which version of the key hashed it, so Verify judges each code by its own kind and key.
"""

import base64
import hmac
import json
import math
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import NamedTuple, Self

from custom_auth._redact import RedactedRepr, sensitive
from custom_auth.errors import InvalidEventError
from custom_auth.masking import CHANNEL_HINTS
from custom_auth.settings import Channel, CodeFormat
from custom_auth.verdict import Verdict

_DIGITS = frozenset("0123456789")
#: Crockford's base 32: no I, L, O or U, so nothing reads as another character.
CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_CROCKFORD = frozenset(CROCKFORD)
# What a person may type for a Crockford character: lower case, and I, L, O for 1, 1, 0.
_READ_AS = str.maketrans("ilo", "110", "- ")
_SPEC = re.compile(r"(digits|alphanumeric)-([0-9]{1,2})")
#: A lockout code has at least this much entropy: no guess budget an attacker can spend on one
#: in its lifetime comes near it (2**-60 a guess).
LOCKOUT_CODE_BITS = 60
# Marks the metadata format, so a later version can read (or refuse) an older one.
_METADATA_PREFIX = "otp1:"
# A clock that is ahead of the one that issued a code by more than this is not believed.
CLOCK_SKEW_SECONDS = 30


class InvalidCodeRecordError(InvalidEventError):
    """Challenge metadata or private parameters that are not a code record we wrote: the event
    carries something custom-auth's Create did not put there."""


class CodeSpec(NamedTuple):
    """What a code is made of: its format and its length."""

    format: CodeFormat = CodeFormat.DIGITS
    length: int = 6

    @property
    def bits(self) -> float:
        """The code's entropy: every character is drawn uniformly."""
        return self.length * math.log2(10 if self.format is CodeFormat.DIGITS else 32)

    def lockout(self) -> "CodeSpec":
        """The code sent while the user is locked out: this one if it is strong enough, else
        12 Crockford characters (60 bits)."""
        if self.bits >= LOCKOUT_CODE_BITS:
            return self
        return CodeSpec(CodeFormat.ALPHANUMERIC, math.ceil(LOCKOUT_CODE_BITS / 5))

    def __str__(self) -> str:
        return f"{self.format.value}-{self.length}"

    @classmethod
    def parse(cls, text: str) -> "CodeSpec":
        """Read :meth:`__str__`'s output; anything else raises InvalidCodeRecordError."""
        matched = _SPEC.fullmatch(text) if isinstance(text, str) else None
        if matched is None:
            raise InvalidCodeRecordError("code spec: not a code spec")
        spec = cls(CodeFormat(matched[1]), int(matched[2]))
        if not 6 <= spec.length <= 20:
            raise InvalidCodeRecordError("code spec: a length from 6 to 20")
        return spec


#: Six digits: the code of a record that names no spec (one written before specs existed).
DEFAULT_SPEC = CodeSpec()


def generate_code(spec: CodeSpec) -> str:
    """A code of ``spec``, each character equally likely, from ``secrets``."""
    if spec.format is CodeFormat.DIGITS:
        return f"{secrets.randbelow(10**spec.length):0{spec.length}d}"
    return "".join(secrets.choice(CROCKFORD) for _ in range(spec.length))


def display_code(code: str, spec: CodeSpec) -> str:
    """The code as a message shows it: alphanumeric codes in groups of four (``7KQM-2PD9``)."""
    if spec.format is CodeFormat.DIGITS:
        return code
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def normalize_answer(answer: str, spec: CodeSpec) -> str | None:
    """The code an answer stands for, or None if it cannot be one of ``spec``.

    Surrounding whitespace is ignored; an alphanumeric answer may also be in lower case, in
    groups with hyphens or spaces, and with I, L or O for 1, 1 or 0.
    """
    candidate = answer.strip()
    if spec.format is CodeFormat.DIGITS:
        allowed = _DIGITS
    else:
        if not candidate.isascii():
            return None
        candidate = candidate.lower().translate(_READ_AS).upper()
        allowed = _CROCKFORD
    if len(candidate) != spec.length or not allowed.issuperset(candidate):
        return None
    return candidate


def hash_code(key: bytes, code: str, *, user_pool_id: str, user_name: str, issued_at: int) -> str:
    """HMAC-SHA256 of ``code`` under ``key``, bound to the pool, the user and the issue time."""
    message = f"otp1\0{user_pool_id}\0{user_name}\0{issued_at}\0{code}".encode()
    digest = hmac.digest(key, message, "sha256")
    return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


@dataclass(frozen=True, repr=False)
class CodeRecord(RedactedRepr):
    """What stands for a sent code: its keyed hash, when it was issued, and where it went."""

    #: The keyed hash of the code (never the code).
    code_hash: str = field(metadata=sensitive())
    #: When the code was issued, in whole seconds since the epoch.
    issued_at: int
    #: How the code was sent.
    channel: Channel
    #: Where it was sent, masked (for the logs: the caller sees only the channel's hint).
    destination: str
    #: What the code is made of.
    spec: CodeSpec = DEFAULT_SPEC
    #: The version of the code key that hashed it (None: a record from before versions).
    key_version: str | None = None
    #: The id of the magic link sent with the code (:func:`custom_auth.magic_link.link_id`, a
    #: hash of its nonce), if one was: the user's one outstanding link.
    link_id: str | None = field(default=None, metadata=sensitive())

    def public_parameters(self) -> dict[str, str]:
        """``publicChallengeParameters``: how the code went, in Cognito's own keys.

        The destination is the channel's fixed hint, never a mask of the user's address:
        Create never sees what the caller typed, so a mask of the real address could be held
        against it, and an unknown user's could not look the same (issue #12).
        """
        return {
            "CODE_DELIVERY_DELIVERY_MEDIUM": self.channel.value.upper(),
            "CODE_DELIVERY_DESTINATION": CHANNEL_HINTS[self.channel.value],
        }

    def private_parameters(self) -> dict[str, str]:
        """``privateChallengeParameters``: what Verify needs."""
        private = {"codeHash": self.code_hash, "issuedAt": str(self.issued_at)}
        private["codeSpec"] = str(self.spec)
        if self.key_version is not None:
            private["keyVersion"] = self.key_version
        return private

    def to_metadata(self) -> str:
        """``challengeMetadata``: everything a later round of the same sign-in needs."""
        body: dict[str, object] = {
            "h": self.code_hash,
            "t": self.issued_at,
            "c": self.channel.value,
            "d": self.destination,
            "s": str(self.spec),
        }
        if self.key_version is not None:
            body["k"] = self.key_version
        if self.link_id is not None:
            body["l"] = self.link_id
        return _METADATA_PREFIX + json.dumps(body, separators=(",", ":"))

    @classmethod
    def from_metadata(cls, metadata: str | None) -> Self:
        """Read :meth:`to_metadata`'s output; anything else raises InvalidCodeRecordError."""
        if not metadata or not metadata.startswith(_METADATA_PREFIX):
            raise InvalidCodeRecordError("challengeMetadata: not a code record")
        try:
            body = json.loads(metadata[len(_METADATA_PREFIX) :])
            code_hash, issued_at, destination = body["h"], body["t"], body["d"]
            channel = Channel(body["c"])
            spec = CodeSpec.parse(body["s"]) if "s" in body else DEFAULT_SPEC
            key_version = body.get("k")
            link = body.get("l")
        except (ValueError, KeyError, TypeError, AttributeError, InvalidCodeRecordError):
            raise InvalidCodeRecordError("challengeMetadata: malformed code record") from None
        if not (
            isinstance(code_hash, str)
            and code_hash
            and _is_timestamp(issued_at)
            and isinstance(destination, str)
            and (key_version is None or isinstance(key_version, str))
            and (link is None or isinstance(link, str))
        ):
            raise InvalidCodeRecordError("challengeMetadata: malformed code record")
        return cls(
            code_hash=code_hash,
            issued_at=issued_at,
            channel=channel,
            destination=destination,
            spec=spec,
            key_version=key_version,
            link_id=link,
        )


class PrivateRecord(NamedTuple):
    """What Verify reads from :meth:`CodeRecord.private_parameters`' output."""

    code_hash: str
    issued_at: int
    #: None in a record from before specs: the deployment's own.
    spec: CodeSpec | None
    key_version: str | None

    def __repr__(self) -> str:
        return (
            f"PrivateRecord(code_hash=<redacted>, issued_at={self.issued_at}, "
            f"spec={self.spec}, key_version={self.key_version!r})"
        )


def read_private_parameters(parameters: Mapping[str, str]) -> PrivateRecord:
    """The code hash, issue time, spec and key version Create put in the private parameters."""
    code_hash = parameters.get("codeHash", "")
    issued_at = parameters.get("issuedAt", "")
    if (
        not code_hash
        or not code_hash.isascii()
        or not issued_at.isascii()
        or not issued_at.isdigit()
    ):
        raise InvalidCodeRecordError("privateChallengeParameters: malformed code record")
    spec_text = parameters.get("codeSpec")
    spec = None if spec_text is None else CodeSpec.parse(spec_text)
    key_version = parameters.get("keyVersion")
    if key_version is not None and not (key_version.isascii() and 0 < len(key_version) <= 64):
        raise InvalidCodeRecordError("privateChallengeParameters: malformed key version")
    return PrivateRecord(code_hash, int(issued_at), spec, key_version)


def _is_timestamp(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def check_answer(
    answer: str,
    *,
    code_hash: str,
    issued_at: int,
    key: bytes | None,
    spec: CodeSpec,
    ttl_seconds: int,
    now: int,
    user_pool_id: str,
    user_name: str,
) -> Verdict:
    """Judge ``answer`` against a code record.

    An answer that cannot be a code of ``spec`` (:func:`normalize_answer`) is MALFORMED and
    never compared; a code older than ``ttl_seconds`` (or issued in the future), or whose key
    is no longer accepted (``key`` None), is EXPIRED; otherwise the keyed hashes are compared
    with ``hmac.compare_digest``.
    """
    candidate = normalize_answer(answer, spec)
    if candidate is None:
        return Verdict.MALFORMED
    if key is None:
        return Verdict.EXPIRED
    if not issued_at - CLOCK_SKEW_SECONDS <= now <= issued_at + ttl_seconds:
        return Verdict.EXPIRED
    expected = hash_code(
        key, candidate, user_pool_id=user_pool_id, user_name=user_name, issued_at=issued_at
    )
    if hmac.compare_digest(expected.encode(), code_hash.encode()):
        return Verdict.RIGHT
    return Verdict.WRONG
