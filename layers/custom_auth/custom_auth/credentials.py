"""Where passkeys live: one DynamoDB item per credential, and the challenges waiting for one.

The table (``PasskeyCredentialsTable``, ``PASSKEY_TABLE_NAME``) has the partition key ``pk``
and a global secondary index ``owner-index`` on ``owner``, ``<userPoolId>#<userName>``:

- a credential is ``cred#<credential id, base64url>``: its owner, the user's ``sub``, the
  COSE public key, the sign count, transports, a name the user gave it, when it was created and
  last used, the authenticator's AAGUID, whether it is backed up, its attestation format;
- a challenge is ``challenge#<kind>#<sha256 of the challenge, hex>``, with its owner (a
  registration's) and ``expires_at``, the table's TTL attribute. A challenge is taken with a
  conditional delete, so it is used once whatever the race.

Every change is conditional: a new credential must not exist yet (``attribute_not_exists``),
a sign count changes only from the value it was read at, and a rename or delete only touches
a credential of the owner who asks. Any failure to read or write is a
:class:`~custom_auth.state_store.StateUnavailableError` (the triggers fail closed on it); a
condition that does not hold is the method's answer (False, None), never an exception.
"""

import hashlib
import hmac
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from custom_auth.passkeys import MAX_CREDENTIAL_ID_BYTES, PasskeyRefused, b64url, from_b64url
from custom_auth.state_store import (
    StateUnavailableError,
    _error_code,
    _n,
    _unavailable,
    short_timeouts,
)

#: The index that lists one owner's credentials.
OWNER_INDEX = "owner-index"
#: The most pages of an owner's credentials read (each of ``MAX_CREDENTIALS``).
MAX_PAGES = 3
#: The most credentials one user may register.
MAX_CREDENTIALS = 20
_CONDITION_FAILED = "ConditionalCheckFailedException"


def owner_key(user_pool_id: str, user_name: str) -> str:
    """Who owns a credential: one user of one pool."""
    return f"{user_pool_id}#{user_name}"


def credential_key(credential_id: bytes) -> str:
    """The item key of a credential."""
    return "cred#" + b64url(credential_id)


def challenge_key(kind: str, challenge: bytes) -> str:
    """The item key of a waiting challenge: its kind (``registration``, ``sign-in``) and its
    hash, never the challenge itself."""
    return f"challenge#{kind}#{hashlib.sha256(challenge).hexdigest()}"


@dataclass(frozen=True)
class Credential:
    """One registered passkey."""

    credential_id: bytes
    owner: str
    sub: str
    public_key: bytes = field(repr=False)
    sign_count: int
    transports: tuple[str, ...] = ()
    name: str = ""
    created_at: int = 0
    last_used_at: int = 0
    aaguid: str = ""
    backed_up: bool = False
    attestation_format: str = "none"

    @property
    def id_b64url(self) -> str:
        """The credential id as a client sends it."""
        return b64url(self.credential_id)

    def described(self) -> dict[str, Any]:
        """What the registration API shows its owner (no key)."""
        return {
            "id": self.id_b64url,
            "name": self.name,
            "transports": list(self.transports),
            "createdAt": self.created_at,
            "lastUsedAt": self.last_used_at or None,
            "backedUp": self.backed_up,
            "aaguid": self.aaguid,
            "attestationFormat": self.attestation_format,
        }


class CredentialStore:
    """Credentials and waiting challenges in a DynamoDB table (see the module). The client is
    made on first use with short timeouts (:func:`~custom_auth.state_store.short_timeouts`);
    tests inject one."""

    def __init__(self, table_name: str, *, client: Any = None) -> None:
        self.table_name = table_name
        self._client = client

    def __repr__(self) -> str:
        return f"CredentialStore({self.table_name!r})"

    @property
    def client(self) -> Any:
        if self._client is None:
            import boto3  # only the functions that read passkeys pay for it

            self._client = boto3.client("dynamodb", config=short_timeouts())
        return self._client

    def _call(self, operation: str, **kwargs: Any) -> Any:
        try:
            return getattr(self.client, operation)(TableName=self.table_name, **kwargs)
        except Exception as error:  # noqa: BLE001 - every failure is the same to the caller
            if _error_code(error) == _CONDITION_FAILED:
                return None
            raise _unavailable(_OPERATIONS[operation], error) from None

    # --- credentials -----------------------------------------------------------------------

    def get(self, credential_id: bytes) -> Credential | None:
        """The credential with this id, if any."""
        found = self._call(
            "get_item", Key={"pk": {"S": credential_key(credential_id)}}, ConsistentRead=True
        )
        item = (found or {}).get("Item")
        return _credential(item) if item else None

    def owned_by(self, owner: str, sub: str) -> list[Credential]:
        """The owner's credentials registered by the user ``sub`` (not an earlier user given
        the same name), newest first (the index is read eventually consistent: a credential
        registered a moment ago may be missing for a moment). Every page is read, up to
        :data:`MAX_PAGES` of ``MAX_CREDENTIALS`` (more than the cap lets anyone have)."""
        items: list[dict[str, Any]] = []
        start: dict[str, Any] | None = None
        for _ in range(MAX_PAGES):
            found = self._call(
                "query",
                IndexName=OWNER_INDEX,
                KeyConditionExpression="#o = :o",
                ExpressionAttributeNames={"#o": "owner"},
                ExpressionAttributeValues={":o": {"S": owner}},
                Limit=MAX_CREDENTIALS,
                **({"ExclusiveStartKey": start} if start else {}),
            )
            items.extend((found or {}).get("Items", []))
            start = (found or {}).get("LastEvaluatedKey")
            if not start:
                break
        else:
            from custom_auth.observability import logger  # only now: the local tools import this

            logger.error("more passkeys than are read", extra={"read": len(items)})
        credentials = [
            c for c in map(_credential, items) if hmac.compare_digest(c.sub.encode(), sub.encode())
        ]
        return sorted(credentials, key=lambda c: c.created_at, reverse=True)

    def add(self, credential: Credential) -> bool:
        """Store a new credential; False if one with its id exists (whoever owns it)."""
        done = self._call(
            "put_item", Item=_item(credential), ConditionExpression="attribute_not_exists(pk)"
        )
        return done is not None

    def record_use(self, credential: Credential, sign_count: int, now: int) -> bool:
        """Set the sign count and the time of last use, if the count is still the one
        ``credential`` was read with and the owner the same; whether it was (False: another
        sign-in that raised the count came first). A passkey whose counts stay 0 (a synced
        one) writes 0 over 0, so two sign-ins with it at once both succeed: only a counter
        tells clones apart, and such a passkey has none."""
        done = self._call(
            "update_item",
            Key={"pk": {"S": credential_key(credential.credential_id)}},
            UpdateExpression="SET signCount = :new, lastUsedAt = :now",
            ConditionExpression="attribute_exists(pk) AND signCount = :old AND #o = :o",
            ExpressionAttributeNames={"#o": "owner"},
            ExpressionAttributeValues={
                ":new": _n(sign_count),
                ":old": _n(credential.sign_count),
                ":now": _n(now),
                ":o": {"S": credential.owner},
            },
        )
        return done is not None

    def rename(self, credential_id: bytes, owner: str, name: str) -> bool:
        """Rename the owner's credential; False if the owner has none with this id."""
        done = self._call(
            "update_item",
            Key={"pk": {"S": credential_key(credential_id)}},
            UpdateExpression="SET #name = :name",
            ConditionExpression="attribute_exists(pk) AND #o = :o",
            ExpressionAttributeNames={"#o": "owner", "#name": "name"},
            ExpressionAttributeValues={":o": {"S": owner}, ":name": {"S": name}},
        )
        return done is not None

    def delete(self, credential_id: bytes, owner: str) -> bool:
        """Delete the owner's credential; False if the owner has none with this id."""
        done = self._call(
            "delete_item",
            Key={"pk": {"S": credential_key(credential_id)}},
            ConditionExpression="attribute_exists(pk) AND #o = :o",
            ExpressionAttributeNames={"#o": "owner"},
            ExpressionAttributeValues={":o": {"S": owner}},
        )
        return done is not None

    # --- challenges ------------------------------------------------------------------------

    def put_challenge(self, kind: str, challenge: bytes, owner: str, expires_at: int) -> None:
        """Keep a challenge (its hash) for ``owner`` (empty: anyone) until ``expires_at``."""
        done = self._call(
            "put_item",
            Item={
                "pk": {"S": challenge_key(kind, challenge)},
                "challengeOwner": {"S": owner or "-"},
                "expires_at": _n(expires_at),
            },
            ConditionExpression="attribute_not_exists(pk)",
        )
        if done is None:  # 32 random bytes twice: the generator is broken
            raise StateUnavailableError("a new challenge is already stored")

    def challenge_waiting(self, kind: str, challenge: bytes, now: int) -> bool:
        """Whether the challenge waits, unexpired, for anyone."""
        found = self._call(
            "get_item", Key={"pk": {"S": challenge_key(kind, challenge)}}, ConsistentRead=True
        )
        item = (found or {}).get("Item") or {}
        return int(item.get("expires_at", {}).get("N", "0")) > now

    def take_challenge(self, kind: str, challenge: bytes, owner: str, now: int) -> bool:
        """Delete the challenge if it is waiting, unexpired and ``owner``'s (empty: anyone's);
        whether this call took it (one caller wins, whatever the race)."""
        done = self._call(
            "delete_item",
            Key={"pk": {"S": challenge_key(kind, challenge)}},
            ConditionExpression=(
                "attribute_exists(pk) AND expires_at > :now AND challengeOwner = :o"
            ),
            ExpressionAttributeValues={":now": _n(now), ":o": {"S": owner or "-"}},
        )
        return done is not None


_OPERATIONS = {
    "get_item": "GetItem",
    "query": "Query",
    "put_item": "PutItem",
    "update_item": "UpdateItem",
    "delete_item": "DeleteItem",
}


def _item(credential: Credential) -> dict[str, Any]:
    item: dict[str, Any] = {
        "pk": {"S": credential_key(credential.credential_id)},
        "owner": {"S": credential.owner},
        "sub": {"S": credential.sub},
        "publicKey": {"B": credential.public_key},
        "signCount": _n(credential.sign_count),
        "name": {"S": credential.name},
        "createdAt": _n(credential.created_at or int(time.time())),
        "lastUsedAt": _n(credential.last_used_at),
        "aaguid": {"S": credential.aaguid},
        "backedUp": {"BOOL": credential.backed_up},
        "attestationFormat": {"S": credential.attestation_format},
    }
    if credential.transports:
        item["transports"] = {"L": [{"S": t} for t in credential.transports]}
    return item


def _credential(item: dict[str, Any]) -> Credential:
    try:
        encoded = item["pk"]["S"].removeprefix("cred#")
        transports: Sequence[dict[str, str]] = item.get("transports", {}).get("L", [])
        return Credential(
            credential_id=from_b64url(encoded, "pk", MAX_CREDENTIAL_ID_BYTES),
            owner=item["owner"]["S"],
            sub=item["sub"]["S"],
            public_key=bytes(item["publicKey"]["B"]),
            sign_count=int(item["signCount"]["N"]),
            transports=tuple(t["S"] for t in transports),
            name=item.get("name", {}).get("S", ""),
            created_at=int(item["createdAt"]["N"]),
            last_used_at=int(item.get("lastUsedAt", {}).get("N", "0")),
            aaguid=item.get("aaguid", {}).get("S", ""),
            backed_up=bool(item.get("backedUp", {}).get("BOOL", False)),
            attestation_format=item.get("attestationFormat", {}).get("S", "none"),
        )
    except (KeyError, TypeError, ValueError, PasskeyRefused):
        raise StateUnavailableError("passkey table: an item custom-auth cannot read") from None
