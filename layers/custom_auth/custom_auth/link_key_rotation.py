"""Replacing the magic-link key: the scheduled rotation KMS cannot do for an HMAC key.

Create signs with the key ``MAGIC_LINK_KEY_ALIAS`` names and Verify also accepts the one
``<alias>-previous`` names (:mod:`custom_auth.link_key`). A rotation moves both aliases on:

1. it reads which keys the two aliases name (the *current* and the *previous* key);
2. it creates a new HMAC_256 key, tagged ``custom-auth-magic-link=<MAGIC_LINK_KEY_TAG>`` (the
   tag Create's and Verify's permissions ask for) and ``custom-auth-created-by=rotation``;
3. it points ``<alias>-previous`` at the current key, so links it signed are still accepted;
4. it points the alias at the new key, which Create signs with from then on;
5. it retires the key that fell off: the one ``-previous`` named before, once neither alias
   names it;
6. it retires any other key of the stack that neither alias names, left by a run that failed
   (see below), once it is :data:`SETTLE_SECONDS` old.

Retiring depends on who made the key. One the rotation made (tagged ``created-by=rotation``) is
scheduled for deletion, :data:`PENDING_WINDOW_DAYS` days out. The template's own key
(MagicLinkKey) is only disabled: CloudFormation owns it, and a key deleted under it breaks the
stack. An update that touches MagicLinkKey fails on a key pending deletion, and once deleted
the stack's deletion and rollbacks trip over a key that is gone; a disabled key is a state
CloudFormation can still update, delete at the stack's deletion, or re-enable. A disabled key
still costs what an enabled one does until the stack is deleted. A key the rotation did not
make and cannot tell apart is treated the same way. A key already disabled or pending deletion
is left alone, whoever did it (cancelling a deletion leaves a key disabled).

A run is safe to start again after it failed at any point, and again while one is in flight:

- no alias is ever pointed at a key that is not enabled: when the current key is not usable,
  both aliases move to the new key;
- no key is retired while an alias names it: the aliases are read again after they moved, and
  what KMS answers a moment late (it is eventually consistent) is what they named before, which
  only spares a key that would have been retired;
- a current key less than :data:`SETTLE_SECONDS` old is not replaced: the run only does steps
  5 and 6. A run retried after it moved the alias (Lambda retries a failed run within minutes)
  finishes that rotation instead of doing a second one, and so never drops a key whose links
  may still be in flight: an hour is longer than a link lives (``CODE_TTL_SECONDS`` at most 600
  plus the clock skew) after Create stopped signing with it (within the 300 s it keeps the
  alias). A schedule that fires at deployment does nothing either;
- a failure between steps 2 and 4 leaves the new key unnamed, and one between 4 and 5 leaves
  the key that fell off enabled and unnamed, no longer known from the aliases: step 6 finds
  both by their tag, with the Resource Groups Tagging API, and retires them, the old key on
  the retry itself and the new one on a run an hour or more later. The age keeps step 6 off a
  key that a run still in flight has just made. Two runs at once may each make a key, and
  only one stays current: the other is retired later, and any link signed in the seconds it
  was current is refused.

Every error is a :class:`LinkKeyRotationError` naming the step and the AWS error code; nothing
here logs or raises with more than key ids, which are not secret (CloudTrail shows them).
"""

import os
import re
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Self

from custom_auth.code_key import error_code
from custom_auth.errors import CustomAuthError
from custom_auth.flow_settings import SettingsError, _required
from custom_auth.link_key import key_id_of
from custom_auth.observability import logger
from custom_auth.settings import link_key_alias, previous_key_alias

#: The tag Create's and Verify's permissions require on a key (its value: the stack's name).
KEY_TAG = "custom-auth-magic-link"
#: The tag that marks a key this rotation made, which it may therefore delete.
CREATED_BY_TAG = "custom-auth-created-by"
CREATED_BY = "rotation"
#: Days between a retired key's scheduled deletion and the deletion (KMS allows 7 to 30).
PENDING_WINDOW_DAYS = 7
#: How old a key must be before a run replaces it (as the current key) or retires it (as a
#: key no alias names): longer than a link lives, and than a run of the function lasts.
SETTLE_SECONDS = 3600
KEY_SPEC = "HMAC_256"
KEY_USAGE = "GENERATE_VERIFY_MAC"

_TAG_VALUE = re.compile(r"[\w.:/=+@ -]{1,256}")


class LinkKeyRotationError(CustomAuthError):
    """A step of the rotation failed. Names the step and the AWS error code, nothing else."""

    def __init__(self, step: str, code: str) -> None:
        super().__init__(f"{step}: failed ({code})")
        #: What the run was doing.
        self.step = step
        #: The AWS error code (or, for an answer KMS should not have given, what was wrong).
        self.code = code


@dataclass(frozen=True)
class LinkKeyRotationSettings:
    """What the rotation needs: the alias links are signed through, and the stack's tag."""

    #: ``MAGIC_LINK_KEY_ALIAS``: the alias of the key links are signed with; the key before it
    #: is ``<alias>-previous``.
    key_alias: str
    #: ``MAGIC_LINK_KEY_TAG``: the value of the ``custom-auth-magic-link`` tag of the stack's
    #: keys (the stack's name).
    key_tag: str

    @property
    def previous_key_alias(self) -> str:
        """The alias of the key before the last rotation."""
        return previous_key_alias(self.key_alias)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Self:
        """Read ``MAGIC_LINK_KEY_ALIAS`` and ``MAGIC_LINK_KEY_TAG``."""
        env = os.environ if env is None else env
        why = "the magic-link key's rotation"
        alias = link_key_alias(env, why)
        tag = _required(env, "MAGIC_LINK_KEY_TAG", why)
        if not _TAG_VALUE.fullmatch(tag):
            raise SettingsError(
                "MAGIC_LINK_KEY_TAG: must be a tag value (at most 256 letters, digits, spaces "
                f"and _ . : / = + - @); got {tag!r}"
            )
        return cls(key_alias=alias, key_tag=tag)


@dataclass(frozen=True)
class Key:
    """What a rotation needs to know of a key, from DescribeKey."""

    key_id: str
    #: ``KeyState``: Enabled, Disabled, PendingDeletion, ...
    state: str
    usage: str
    created_at: float

    @property
    def usable(self) -> bool:
        """Whether Create and Verify can use it: enabled, and an HMAC key."""
        return self.state == "Enabled" and self.usage == KEY_USAGE


@dataclass(frozen=True)
class RotationResult:
    """What a run did (key ids only)."""

    #: The key the alias names now.
    current_key_id: str
    #: The key ``<alias>-previous`` names now.
    previous_key_id: str
    #: The key this run made, or None when the current key was too new to replace.
    created_key_id: str | None
    #: The keys this run scheduled for deletion.
    deleted_key_ids: tuple[str, ...]
    #: The keys this run disabled (the template's own key, once it fell off).
    disabled_key_ids: tuple[str, ...]


class LinkKeyRotation:
    """Replaces the magic-link key (see the module).

    ``client`` is a boto3 ``kms`` client and ``tagging`` a ``resourcegroupstaggingapi`` one
    (tests inject them; by default each is made on first use); ``clock`` (epoch seconds,
    default :func:`time.time`) tells how old a key is.
    """

    def __init__(
        self,
        settings: LinkKeyRotationSettings,
        *,
        client: Any = None,
        tagging: Any = None,
        clock: Callable[[], float] | None = None,
    ) -> None:
        self.settings = settings
        self._client = client
        self._tagging = tagging
        self._clock = clock or time.time

    def __repr__(self) -> str:
        return f"LinkKeyRotation(key_alias={self.settings.key_alias!r})"

    def rotate(self) -> RotationResult:
        """One run: replace the current key unless it is too new, then retire what fell off."""
        alias, previous_alias = self.settings.key_alias, self.settings.previous_key_alias
        current = self._describe(alias, "read the current alias")
        previous = self._describe(previous_alias, "read the previous alias")
        created: str | None = None
        if current.usable and self._age(current) < SETTLE_SECONDS:
            logger.info(
                "magic-link key rotation: the current key is too new to replace",
                extra={"current_key_id": current.key_id},
            )
        else:
            created = self._create_key()
            # A key Create and Verify cannot use is no previous key: both move to the new one.
            kept = current.key_id if current.usable else created
            self._point(previous_alias, kept, "point the previous alias at the current key")
            self._point(alias, created, "point the alias at the new key")
            logger.info(
                "magic-link key rotation: the alias names a new key",
                extra={"current_key_id": created, "previous_key_id": kept},
            )
        # Read again: nothing an alias names now is retired.
        named_current = self._describe(alias, "read the aliases again").key_id
        named_previous = self._describe(previous_alias, "read the aliases again").key_id
        named = {named_current, named_previous}
        fell_off = [k for k in dict.fromkeys((previous.key_id, current.key_id)) if k not in named]
        deleted: list[str] = []
        disabled: list[str] = []
        for key_id in fell_off:
            self._retire(key_id, deleted, disabled, minimum_age=0)
        for key_id in self._stack_keys():
            if key_id not in named and key_id not in fell_off and key_id != created:
                self._retire(key_id, deleted, disabled, minimum_age=SETTLE_SECONDS)
        return RotationResult(
            current_key_id=named_current,
            previous_key_id=named_previous,
            created_key_id=created,
            deleted_key_ids=tuple(deleted),
            disabled_key_ids=tuple(disabled),
        )

    def _describe(self, key: str, step: str) -> Key:
        metadata = self._kms(step, "describe_key", KeyId=key)["KeyMetadata"]
        created = metadata.get("CreationDate")
        return Key(
            key_id=str(metadata["KeyId"]),
            state=str(metadata.get("KeyState", "")),
            usage=str(metadata.get("KeyUsage", "")),
            created_at=created.timestamp() if isinstance(created, datetime) else 0.0,
        )

    def _age(self, key: Key) -> float:
        return self._clock() - key.created_at

    def _create_key(self) -> str:
        step = "create the new key"
        response = self._kms(
            step,
            "create_key",
            Description=(
                f"custom-auth magic links of {self.settings.key_tag} (HMAC-SHA256), made by "
                "its key rotation"
            ),
            KeySpec=KEY_SPEC,
            KeyUsage=KEY_USAGE,
            # The defaults, given so the function's IAM conditions on them have values to check.
            Origin="AWS_KMS",
            MultiRegion=False,
            Tags=[
                {"TagKey": KEY_TAG, "TagValue": self.settings.key_tag},
                {"TagKey": CREATED_BY_TAG, "TagValue": CREATED_BY},
            ],
        )
        metadata = response.get("KeyMetadata", {})
        if metadata.get("KeySpec") != KEY_SPEC or metadata.get("Enabled") is not True:
            raise LinkKeyRotationError(step, "KMS answered with another kind of key")
        key_id = str(metadata["KeyId"])
        logger.info("magic-link key rotation: a new key is made", extra={"key_id": key_id})
        return key_id

    def _point(self, alias: str, key_id: str, step: str) -> None:
        self._kms(step, "update_alias", AliasName=alias, TargetKeyId=key_id)

    def _retire(
        self, key_id: str, deleted: list[str], disabled: list[str], *, minimum_age: float
    ) -> None:
        """Schedule the deletion of a key the rotation made, disable any other; only an enabled
        key of this stack, ``minimum_age`` seconds old or more."""
        step = "retire a key no alias names"
        try:
            key = self._describe(key_id, step)
        except LinkKeyRotationError as error:
            if error.code == "NotFoundException":
                return  # deleted already
            raise
        if key.state != "Enabled" or self._age(key) < minimum_age:
            return
        tags = {
            tag["TagKey"]: tag["TagValue"]
            for page in self._pages(step, "list_resource_tags", "Tags", KeyId=key_id)
            for tag in page
        }
        if tags.get(KEY_TAG) != self.settings.key_tag:
            logger.warning(
                "magic-link key rotation: a key that fell off is not tagged as this stack's; "
                "it is left as it is",
                extra={"key_id": key_id},
            )
            return
        if tags.get(CREATED_BY_TAG) == CREATED_BY:
            self._kms(
                step, "schedule_key_deletion", KeyId=key_id, PendingWindowInDays=PENDING_WINDOW_DAYS
            )
            deleted.append(key_id)
            logger.info(
                "magic-link key rotation: a retired key is scheduled for deletion",
                extra={"key_id": key_id, "pending_window_days": PENDING_WINDOW_DAYS},
            )
        else:
            self._kms(step, "disable_key", KeyId=key_id)
            disabled.append(key_id)
            logger.info(
                "magic-link key rotation: a retired key that CloudFormation owns is disabled",
                extra={"key_id": key_id},
            )

    def _stack_keys(self) -> list[str]:
        """The ids of the keys tagged as this stack's, as the Tagging API lists them."""
        step = "find the stack's keys"
        return [
            key_id_of(str(resource["ResourceARN"]))
            for page in self._pages(
                step,
                "get_resources",
                "ResourceTagMappingList",
                client=self.tagging,
                TagFilters=[{"Key": KEY_TAG, "Values": [self.settings.key_tag]}],
                ResourceTypeFilters=["kms:key"],
            )
            for resource in page
        ]

    def _pages(
        self, step: str, operation: str, field: str, *, client: Any = None, **kwargs: Any
    ) -> Iterator[list[Any]]:
        """Each page's ``field`` of a paginated call (KMS's Marker, or the Tagging API's
        PaginationToken)."""
        token_in, token_out = (
            ("Marker", "NextMarker") if client is None else ("PaginationToken", "PaginationToken")
        )
        request = dict(kwargs)
        while True:
            response = self._kms(step, operation, client=client, **request)
            yield list(response.get(field) or [])
            token = response.get(token_out)
            if not token or (client is None and not response.get("Truncated")):
                return
            request[token_in] = token

    def _kms(self, step: str, operation: str, *, client: Any = None, **kwargs: Any) -> Any:
        try:
            return getattr(client or self.kms, operation)(**kwargs)
        except Exception as error:  # noqa: BLE001 - every failure is reported the same way
            raise LinkKeyRotationError(step, error_code(error)) from None

    @property
    def kms(self) -> Any:
        """The boto3 ``kms`` client, made on first use."""
        if self._client is None:
            import boto3  # the layer imports boto3 only where it is used

            self._client = boto3.client("kms")
        return self._client

    @property
    def tagging(self) -> Any:
        """The boto3 ``resourcegroupstaggingapi`` client, made on first use."""
        if self._tagging is None:
            import boto3

            self._tagging = boto3.client("resourcegroupstaggingapi")
        return self._tagging
