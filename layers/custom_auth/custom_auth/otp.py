"""One-time codes: made by ``secrets``, stored only as a keyed hash, checked in constant time.

A sent code is represented by a :class:`CodeRecord`: an HMAC-SHA256 of the code under the
deployment's secret key, bound to the user pool, the user and the issue time, so a record can
neither be replayed for another user nor re-dated. The record travels in Create's
``challengeMetadata`` (for the later rounds of the same sign-in) and its
``privateChallengeParameters`` (for Verify); the plain code is never stored anywhere.
"""

import base64
import hmac
import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Self

from custom_auth._redact import RedactedRepr, sensitive
from custom_auth.errors import InvalidEventError
from custom_auth.settings import Channel

_DIGITS = frozenset("0123456789")
# Marks the metadata format, so a later version can read (or refuse) an older one.
_METADATA_PREFIX = "otp1:"
# A clock that is ahead of the one that issued a code by more than this is not believed.
CLOCK_SKEW_SECONDS = 30


class InvalidCodeRecordError(InvalidEventError):
    """Challenge metadata or private parameters that are not a code record we wrote: the event
    carries something custom-auth's Create did not put there."""


class Verdict(StrEnum):
    """How an answer fared."""

    RIGHT = "right"
    WRONG = "wrong"
    MALFORMED = "malformed"
    EXPIRED = "expired"


def generate_code(length: int) -> str:
    """A code of ``length`` decimal digits, each equally likely, from ``secrets``."""
    return f"{secrets.randbelow(10**length):0{length}d}"


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
    #: Where it was sent, masked.
    destination: str

    def public_parameters(self) -> dict[str, str]:
        """``publicChallengeParameters``: how and where the code went, in Cognito's own keys."""
        return {
            "CODE_DELIVERY_DELIVERY_MEDIUM": self.channel.value.upper(),
            "CODE_DELIVERY_DESTINATION": self.destination,
        }

    def private_parameters(self) -> dict[str, str]:
        """``privateChallengeParameters``: what Verify needs."""
        return {"codeHash": self.code_hash, "issuedAt": str(self.issued_at)}

    def to_metadata(self) -> str:
        """``challengeMetadata``: everything a later round of the same sign-in needs."""
        body = {
            "h": self.code_hash,
            "t": self.issued_at,
            "c": self.channel.value,
            "d": self.destination,
        }
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
        except (ValueError, KeyError, TypeError):
            raise InvalidCodeRecordError("challengeMetadata: malformed code record") from None
        if not (
            isinstance(code_hash, str)
            and code_hash
            and _is_timestamp(issued_at)
            and isinstance(destination, str)
        ):
            raise InvalidCodeRecordError("challengeMetadata: malformed code record")
        return cls(
            code_hash=code_hash, issued_at=issued_at, channel=channel, destination=destination
        )


def read_private_parameters(parameters: Mapping[str, str]) -> tuple[str, int]:
    """The code hash and issue time from :meth:`CodeRecord.private_parameters`' output."""
    code_hash = parameters.get("codeHash", "")
    issued_at = parameters.get("issuedAt", "")
    if not code_hash or not issued_at.isascii() or not issued_at.isdigit():
        raise InvalidCodeRecordError("privateChallengeParameters: malformed code record")
    return code_hash, int(issued_at)


def _is_timestamp(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def check_answer(
    answer: str,
    *,
    code_hash: str,
    issued_at: int,
    key: bytes,
    length: int,
    ttl_seconds: int,
    now: int,
    user_pool_id: str,
    user_name: str,
) -> Verdict:
    """Judge ``answer`` against a code record.

    Surrounding whitespace is ignored. An answer that is not exactly ``length`` ASCII digits is
    MALFORMED and never compared; a code older than ``ttl_seconds`` (or issued in the future)
    is EXPIRED; otherwise the keyed hashes are compared with ``hmac.compare_digest``.
    """
    candidate = answer.strip()
    if len(candidate) != length or not _DIGITS.issuperset(candidate):
        return Verdict.MALFORMED
    if not issued_at - CLOCK_SKEW_SECONDS <= now <= issued_at + ttl_seconds:
        return Verdict.EXPIRED
    expected = hash_code(
        key, candidate, user_pool_id=user_pool_id, user_name=user_name, issued_at=issued_at
    )
    if hmac.compare_digest(expected.encode(), code_hash.encode()):
        return Verdict.RIGHT
    return Verdict.WRONG
