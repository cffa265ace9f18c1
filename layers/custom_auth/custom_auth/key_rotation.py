"""Rotating the code key: the four steps of a Secrets Manager rotation function.

On each rotation Secrets Manager stages a new version id (the ``ClientRequestToken``) as
AWSPENDING and calls the rotation function four times with it, retrying a step that fails:

- ``createSecret`` gives the pending version a new random key, unless a retry finds it has one;
- ``setSecret`` has nothing to do: no system outside this application holds the key;
- ``testSecret`` checks that the pending key is long enough to be a key;
- ``finishSecret`` moves AWSCURRENT to it (and with that AWSPREVIOUS to the version it
  replaces), then takes AWSPENDING off it.

Create and Verify read the new version within ``KEY_CACHE_SECONDS``, and Verify accepts the
previous one for codes issued until then (see :mod:`custom_auth.code_key`), so no code in
flight is voided. Nothing here logs or raises with a key in it.
"""

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Self

from custom_auth.code_key import CURRENT, MIN_KEY_BYTES, error_code, key_bytes
from custom_auth.errors import CustomAuthError, InvalidEventError
from custom_auth.observability import logger

PENDING = "AWSPENDING"
#: Bytes of randomness in a new key; URL-safe base64 makes them 64 characters (384 bits).
NEW_KEY_BYTES = 48


class RotationStep(StrEnum):
    """``Step`` of a rotation event, in the order Secrets Manager calls them."""

    CREATE = "createSecret"
    SET = "setSecret"
    TEST = "testSecret"
    FINISH = "finishSecret"


class RotationError(CustomAuthError):
    """A rotation step cannot go ahead. Names the secret and the version, never a key."""


@dataclass(frozen=True)
class RotationEvent:
    """The event Secrets Manager sends a rotation function."""

    #: The secret to rotate (its ARN, or its name).
    secret_id: str
    #: The id of the version being rotated in, staged AWSPENDING.
    client_request_token: str
    #: Which of the four steps to take.
    step: RotationStep

    @classmethod
    def from_dict(cls, event: Any) -> Self:
        """Read ``event``; raises :class:`InvalidEventError` naming a missing or bad field."""
        if not isinstance(event, Mapping):
            raise InvalidEventError(f"event: must be an object, got {type(event).__name__}")
        fields = {name: _text(event, name) for name in ("SecretId", "ClientRequestToken", "Step")}
        try:
            step = RotationStep(fields["Step"])
        except ValueError:
            steps = ", ".join(step.value for step in RotationStep)
            raise InvalidEventError(f"Step: must be one of {steps}") from None
        return cls(fields["SecretId"], fields["ClientRequestToken"], step)


def _text(event: Mapping[str, Any], name: str) -> str:
    value = event.get(name)
    if not isinstance(value, str) or not value:
        raise InvalidEventError(f"{name}: is required (a non-empty string)")
    return value


def new_key() -> str:
    """A new code key: 64 URL-safe characters from :mod:`secrets`."""
    return secrets.token_urlsafe(NEW_KEY_BYTES)


class CodeKeyRotation:
    """Takes the steps of a code key rotation.

    ``client`` is a boto3 ``secretsmanager`` client to use (tests inject one); by default one
    is created on first use.
    """

    def __init__(self, *, client: Any = None) -> None:
        self._client = client

    def rotate(self, event: RotationEvent) -> None:
        """Take ``event.step``; a step already taken (on a retry) is not taken twice."""
        log = {
            "step": event.step.value,
            "secret_id": event.secret_id,
            "version_id": event.client_request_token,
        }
        versions = self._versions(event)
        if CURRENT in versions[event.client_request_token]:
            logger.info("rotation: the version is already current; nothing to do", extra=log)
            return
        if event.step is RotationStep.CREATE:
            self._create_secret(event, log)
        elif event.step is RotationStep.SET:
            logger.info("rotation: no system outside this application holds the key", extra=log)
        elif event.step is RotationStep.TEST:
            self._test_secret(event, log)
        else:
            self._finish_secret(event, versions, log)

    def _versions(self, event: RotationEvent) -> dict[str, list[str]]:
        """The secret's VersionIdsToStages, once sure that the rotation may go ahead: rotation
        is enabled and the token is a version staged AWSPENDING or AWSCURRENT."""
        described = self._secrets_manager().describe_secret(SecretId=event.secret_id)
        if not described.get("RotationEnabled"):
            raise RotationError(f"secret {event.secret_id}: rotation is not enabled")
        versions: dict[str, list[str]] = described.get("VersionIdsToStages") or {}
        stages = versions.get(event.client_request_token) or []
        if CURRENT not in stages and PENDING not in stages:
            raise RotationError(
                f"secret {event.secret_id}: version {event.client_request_token} is not "
                f"staged {PENDING}"
            )
        return versions

    def _create_secret(self, event: RotationEvent, log: dict[str, str]) -> None:
        client = self._secrets_manager()
        try:
            client.get_secret_value(
                SecretId=event.secret_id,
                VersionId=event.client_request_token,
                VersionStage=PENDING,
            )
        except Exception as error:
            if error_code(error) != "ResourceNotFoundException":
                raise
        else:
            logger.info("rotation: the pending version already has a key", extra=log)
            return
        client.put_secret_value(
            SecretId=event.secret_id,
            ClientRequestToken=event.client_request_token,
            SecretString=new_key(),
            VersionStages=[PENDING],
        )
        logger.info("rotation: a new key is pending", extra=log)

    def _test_secret(self, event: RotationEvent, log: dict[str, str]) -> None:
        pending = self._secrets_manager().get_secret_value(
            SecretId=event.secret_id,
            VersionId=event.client_request_token,
            VersionStage=PENDING,
        )
        key = key_bytes(pending)
        if key is None or len(key) < MIN_KEY_BYTES:
            raise RotationError(
                f"secret {event.secret_id}: the pending version {event.client_request_token} "
                f"must hold at least {MIN_KEY_BYTES} bytes"
            )
        logger.info("rotation: the pending key is usable", extra=log)

    def _finish_secret(
        self, event: RotationEvent, versions: dict[str, list[str]], log: dict[str, str]
    ) -> None:
        current = [version for version, stages in versions.items() if CURRENT in stages]
        if not current:
            raise RotationError(f"secret {event.secret_id}: no version is staged {CURRENT}")
        self._secrets_manager().update_secret_version_stage(
            SecretId=event.secret_id,
            VersionStage=CURRENT,
            MoveToVersionId=event.client_request_token,
            RemoveFromVersionId=current[0],
        )
        # Secrets Manager takes AWSPENDING on the new current version, or on none, as a finished
        # rotation; on none is the state no reader (moto included) takes for one underway.
        self._secrets_manager().update_secret_version_stage(
            SecretId=event.secret_id,
            VersionStage=PENDING,
            RemoveFromVersionId=event.client_request_token,
        )
        logger.info("rotation: the new key is current", extra={**log, "previous_id": current[0]})

    def _secrets_manager(self) -> Any:
        if self._client is None:
            # Imported here, as in code_key: the layer imports boto3 only where it is used.
            import boto3

            self._client = boto3.client("secretsmanager")
        return self._client
