"""The per-deployment secret key that the code hashes are made with, and its versions.

It lives in AWS Secrets Manager (the SAM template generates it; ``custom_auth.key_rotation``
replaces it on a schedule). Create hashes each new code with the current version and records
that version's id beside the hash; Verify checks an answer with the version the code names.
The current version is read again every :data:`KEY_CACHE_SECONDS`, so a rotation reaches warm
containers, and the previous one is accepted only for codes issued while a Create container
could still hold it in its cache. When the key cannot be read, or is too short to be a key,
Create and Verify fail closed with :class:`CodeKeyError`.

The values are read with GetSecretValue by staging label: Powertools' SecretsProvider caches by
secret name alone (it would answer AWSPREVIOUS with the current value) and does not return a
version's id or creation date.
"""

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from custom_auth._redact import RedactedRepr, sensitive
from custom_auth.errors import CustomAuthError

#: A key shorter than this is refused: HMAC-SHA256 wants at least 256 bits of secret.
MIN_KEY_BYTES = 32
#: How long a container keeps the versions it read before it reads them again.
KEY_CACHE_SECONDS = 300
#: Allowance for a rotation's steps between creating the new version (its CreatedDate) and
#: making it current, and for clocks that disagree by a little.
ROTATION_SLACK_SECONDS = 30

#: The staging labels Secrets Manager moves on rotation.
CURRENT = "AWSCURRENT"
PREVIOUS = "AWSPREVIOUS"


class CodeKeyError(CustomAuthError):
    """The code key could not be read, or is not a usable key. Never carries the key."""


@dataclass(frozen=True, repr=False)
class KeyVersion(RedactedRepr):
    """One version of the code key, as Secrets Manager holds it."""

    #: The version's id in Secrets Manager (its VersionId).
    version_id: str
    #: The key's bytes.
    secret: bytes = field(metadata=sensitive())
    #: When the version was created (its CreatedDate), in whole seconds since the epoch.
    created_at: int


def error_code(error: BaseException) -> str:
    """The AWS error code of a botocore ``ClientError``, else the error's type: never its text."""
    response = getattr(error, "response", None)
    code = response.get("Error", {}).get("Code") if isinstance(response, dict) else None
    return code if isinstance(code, str) and code else type(error).__name__


def key_bytes(response: Mapping[str, Any]) -> bytes | None:
    """The value of a GetSecretValue response as bytes (a SecretString in UTF-8), if any."""
    value = response.get("SecretString")
    if value is None:
        value = response.get("SecretBinary")
    if isinstance(value, str):
        return value.encode("utf-8")
    return value if isinstance(value, bytes) else None


@dataclass
class _Versions:
    """What one read of the secret found; ``previous`` is read only when a code names it."""

    current: KeyVersion
    read_at: float
    previous: KeyVersion | None = None
    previous_read: bool = False


class CodeKey:
    """The code-hashing key's current and previous versions, cached per container.

    ``client`` is a boto3 ``secretsmanager`` client to use (tests inject one); by default one
    is created on first use. ``clock`` (seconds, default :func:`time.monotonic`) times the
    cache, which is read again after ``max_age_seconds``.
    """

    def __init__(
        self,
        secret_id: str,
        *,
        client: Any = None,
        clock: Callable[[], float] | None = None,
        max_age_seconds: int = KEY_CACHE_SECONDS,
    ) -> None:
        self.secret_id = secret_id
        self.max_age_seconds = max_age_seconds
        self._client = client
        self._clock = clock or time.monotonic
        self._versions: _Versions | None = None
        self._lock = threading.Lock()

    def current(self) -> KeyVersion:
        """The AWSCURRENT version, to hash new codes with; raises :class:`CodeKeyError`."""
        with self._lock:
            return self._fresh().current

    def for_code(self, version_id: str | None, issued_at: int) -> bytes | None:
        """The key that hashed a code issued at ``issued_at`` (epoch seconds) with key version
        ``version_id``, or None when that key is no longer accepted.

        A code without a version id (recorded before keys had versions) is checked with the
        current key. The previous version is accepted for codes issued until the current one
        can have reached every container. A version id the cache does not know makes the
        versions be read again once, since a rotation may have happened since they were read.
        Raises :class:`CodeKeyError` when the key cannot be read.
        """
        with self._lock:
            versions = self._fresh()
            if version_id is None:
                return versions.current.secret
            known, secret = self._match(versions, version_id, issued_at)
            if known:
                return secret
            _, secret = self._match(self._read(), version_id, issued_at)
            return secret

    def _match(
        self, versions: _Versions, version_id: str, issued_at: int
    ) -> tuple[bool, bytes | None]:
        """(whether ``version_id`` is the current or previous version, the key to use)."""
        if version_id == versions.current.version_id:
            return True, versions.current.secret
        previous = self._previous(versions)
        if previous is None or version_id != previous.version_id:
            return False, None
        last_issue = versions.current.created_at + self.max_age_seconds + ROTATION_SLACK_SECONDS
        return True, previous.secret if issued_at <= last_issue else None

    def _fresh(self) -> _Versions:
        versions = self._versions
        if versions is not None and self._clock() - versions.read_at < self.max_age_seconds:
            return versions
        return self._read()

    def _read(self) -> _Versions:
        # Nothing is cached on failure: the next call tries again.
        current = self._read_stage(CURRENT)
        if current is None:
            raise CodeKeyError(f"the code key secret {self.secret_id} has no {CURRENT} version")
        self._versions = _Versions(current=current, read_at=self._clock())
        return self._versions

    def _previous(self, versions: _Versions) -> KeyVersion | None:
        if not versions.previous_read:
            versions.previous = self._read_stage(PREVIOUS)
            versions.previous_read = True
        return versions.previous

    def _read_stage(self, stage: str) -> KeyVersion | None:
        """The version staged ``stage``; None if there is none (AWSPREVIOUS before a rotation)."""
        try:
            response = self._secrets_manager().get_secret_value(
                SecretId=self.secret_id, VersionStage=stage
            )
        except Exception as error:  # noqa: BLE001 - every failure fails closed, the same way
            code = error_code(error)
            if stage != CURRENT and code == "ResourceNotFoundException":
                return None
            raise CodeKeyError(
                f"could not read the code key secret {self.secret_id} ({stage}: {code})"
            ) from None
        return self._version(response, stage)

    def _version(self, response: Any, stage: str) -> KeyVersion:
        fields = response if isinstance(response, dict) else {}
        secret = key_bytes(fields)
        version_id, created = fields.get("VersionId"), fields.get("CreatedDate")
        if not isinstance(version_id, str) or not isinstance(created, datetime | int | float):
            raise CodeKeyError(
                f"the code key secret {self.secret_id} ({stage}) came without a version id "
                "or creation date"
            )
        if secret is None or len(secret) < MIN_KEY_BYTES:
            raise CodeKeyError(
                f"the code key secret {self.secret_id} must hold at least {MIN_KEY_BYTES} bytes "
                f"({stage} version {version_id} does not)"
            )
        created_at = int(created.timestamp() if isinstance(created, datetime) else created)
        return KeyVersion(version_id=version_id, secret=secret, created_at=created_at)

    def _secrets_manager(self) -> Any:
        if self._client is None:
            # Imported here: only the triggers that hash codes pay for boto3.
            import boto3

            self._client = boto3.client("secretsmanager")
        return self._client

    def __repr__(self) -> str:
        return f"CodeKey(secret_id={self.secret_id!r}, loaded={self._versions is not None})"
