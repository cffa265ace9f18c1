"""Where each user's :class:`~custom_auth.limits.UserState` lives: DynamoDB, or memory.

Every change is a conditional write on the version the state was read at, so two sign-ins
racing on one user cannot both pass a rule: the loser reads again and decides again
(:func:`update`). Any failure to read or write is a :class:`StateUnavailableError`, and the
triggers fail closed on it: no message, no correct answer, so no tokens.

One item per user of a pool, keyed ``<userPoolId>#<userName>``; ``expires_at`` is the table's
TTL attribute. DynamoDB deletes expired items only eventually, so an expired item is read as
no state at all.
"""

import threading
from collections.abc import Callable
from typing import Any, Protocol, TypeVar

from custom_auth._evolve import evolve
from custom_auth.errors import CustomAuthError
from custom_auth.limits import HOUR, Sent, UsedCode, UserState
from custom_auth.otp import CodeRecord, CodeSpec, InvalidCodeRecordError
from custom_auth.settings import Channel

#: How often :func:`update` reads again after losing a race before it gives up.
MAX_CONFLICTS = 8

R = TypeVar("R")


class StateUnavailableError(CustomAuthError):
    """The state could not be read or written. Names the operation and the error, no data."""


class StateConflictError(CustomAuthError):
    """The state changed since it was read: read it again."""


def state_key(user_pool_id: str, user_name: str) -> str:
    """The item key of one user of one pool."""
    return f"{user_pool_id}#{user_name}"


def choice_key(user_pool_id: str, sign_in: str, round_index: int) -> str:
    """The item key of the method chosen in one round of one sign-in (by its random id)."""
    return f"#choice#{user_pool_id}#{sign_in}#{round_index}"


def pool_sends_key(user_pool_id: str, now: int) -> str:
    """The item key of a pool's message count in the clock hour of ``now``. It starts with
    ``#``, which no user pool id does, so no user's state key can be one."""
    return f"#pool-sends#{user_pool_id}#{now // HOUR}"


class StateStore(Protocol):
    """Loads and conditionally saves user states."""

    def load(self, key: str, now: int) -> UserState:
        """The state under ``key`` (a new one if none, or if it expired before ``now``)."""
        ...

    def save(self, key: str, state: UserState, expires_at: int) -> None:
        """Store ``state`` if the stored version is still ``state.version``; else conflict."""
        ...

    def count_send(self, key: str, cap: int, expires_at: int) -> bool:
        """Add one to the counter under ``key`` if it is below ``cap``; whether it was."""
        ...

    def record_choice(self, key: str, method: str, expires_at: int) -> bool:
        """Store ``method`` under ``key`` unless another choice is already there; whether
        ``method`` is the one stored (a retried Verify records the same choice again)."""
        ...

    def read_choice(self, key: str, now: int) -> str | None:
        """The method stored under ``key`` (None if none, or if it expired before ``now``)."""
        ...

    def claim(self, key: str, now: int, expires_at: int) -> bool:
        """Take ``key`` until ``expires_at`` unless someone holds it at ``now``; whether this
        call took it (one caller wins, whatever the race)."""
        ...


def update(
    store: StateStore,
    key: str,
    now: int,
    change: Callable[[UserState], tuple[UserState | None, R]],
    *,
    code_ttl_seconds: int,
) -> R:
    """Read, apply ``change`` (next state or None for no write, and a result), write; repeat on
    a lost race. Returns the result of the ``change`` that was written (or needed no write)."""
    for _ in range(MAX_CONFLICTS):
        state = store.load(key, now)
        changed, result = change(state)
        if changed is None:
            return result
        try:
            store.save(key, changed, changed.expires_at(code_ttl_seconds))
        except StateConflictError:
            continue
        return result
    raise StateUnavailableError(f"state of one user changed {MAX_CONFLICTS} times in a row")


# --- in memory --------------------------------------------------------------------------------


class InMemoryStateStore:
    """A thread-safe store in a dict, with DynamoDB's conditional semantics. For tests and the
    pure benchmarks; it forgets everything when the process ends."""

    def __init__(self) -> None:
        self._items: dict[str, tuple[UserState, int]] = {}
        self._counters: dict[str, int] = {}
        self._choices: dict[str, tuple[str, int]] = {}
        self._claims: dict[str, int] = {}
        self._lock = threading.Lock()

    def load(self, key: str, now: int) -> UserState:
        with self._lock:
            stored = self._items.get(key)
        if stored is None:
            return UserState()
        state, expires_at = stored
        return state if expires_at > now else UserState(version=state.version)

    def save(self, key: str, state: UserState, expires_at: int) -> None:
        with self._lock:
            stored = self._items.get(key)
            if (stored[0].version if stored else 0) != state.version:
                raise StateConflictError("the state changed since it was read")
            self._items[key] = (evolve(state, version=state.version + 1), expires_at)

    def count_send(self, key: str, cap: int, expires_at: int) -> bool:
        with self._lock:
            sent = self._counters.get(key, 0)
            if sent >= cap:
                return False
            self._counters[key] = sent + 1
            return True

    def record_choice(self, key: str, method: str, expires_at: int) -> bool:
        with self._lock:
            if key in self._choices:
                return self._choices[key][0] == method
            self._choices[key] = (method, expires_at)
            return True

    def read_choice(self, key: str, now: int) -> str | None:
        with self._lock:
            stored = self._choices.get(key)
        return stored[0] if stored is not None and stored[1] > now else None

    def claim(self, key: str, now: int, expires_at: int) -> bool:
        with self._lock:
            if self._claims.get(key, 0) > now:
                return False
            self._claims[key] = expires_at
            return True


# --- DynamoDB ---------------------------------------------------------------------------------


class DynamoDBStateStore:
    """States in a DynamoDB table whose partition key is ``pk`` (a string).

    Reads are strongly consistent. The client is created on first use with short timeouts and
    two tries, so a struggling table fails the trigger well inside Cognito's 5 seconds; tests
    inject one.
    """

    def __init__(self, table_name: str, *, client: Any = None) -> None:
        self.table_name = table_name
        self._client = client

    @property
    def client(self) -> Any:
        if self._client is None:
            import boto3  # Create and Verify already pay for boto3; Define never loads this

            self._client = boto3.client("dynamodb", config=short_timeouts())
        return self._client

    def load(self, key: str, now: int) -> UserState:
        try:
            found = self.client.get_item(
                TableName=self.table_name, Key={"pk": {"S": key}}, ConsistentRead=True
            )
        except Exception as error:  # noqa: BLE001 - every failure is the same to the caller
            raise _unavailable("GetItem", error) from None
        item = found.get("Item")
        if item is None:
            return UserState()
        try:
            return _from_item(item, now)
        except (KeyError, TypeError, ValueError, InvalidCodeRecordError):
            raise StateUnavailableError(
                f"{self.table_name}: an item custom-auth cannot read"
            ) from None

    def save(self, key: str, state: UserState, expires_at: int) -> None:
        if state.version:
            condition = "#v = :v"
            values: dict[str, Any] = {":v": {"N": str(state.version)}}
            names: dict[str, str] = {"#v": "version"}
            extra = {"ExpressionAttributeNames": names, "ExpressionAttributeValues": values}
        else:
            condition, extra = "attribute_not_exists(pk)", {}
        try:
            self.client.put_item(
                TableName=self.table_name,
                Item=_to_item(key, state, expires_at),
                ConditionExpression=condition,
                **extra,
            )
        except Exception as error:  # noqa: BLE001 - every failure is the same to the caller
            if _error_code(error) == "ConditionalCheckFailedException":
                raise StateConflictError("the state changed since it was read") from None
            raise _unavailable("PutItem", error) from None

    def count_send(self, key: str, cap: int, expires_at: int) -> bool:
        try:
            self.client.update_item(
                TableName=self.table_name,
                Key={"pk": {"S": key}},
                UpdateExpression="ADD #n :one SET expires_at = :x",
                ConditionExpression="attribute_not_exists(#n) OR #n < :cap",
                ExpressionAttributeNames={"#n": "sent"},
                ExpressionAttributeValues={
                    ":one": _n(1),
                    ":cap": _n(cap),
                    ":x": _n(expires_at),
                },
            )
        except Exception as error:  # noqa: BLE001 - every failure is the same to the caller
            if _error_code(error) == "ConditionalCheckFailedException":
                return False
            raise _unavailable("UpdateItem", error) from None
        return True

    def record_choice(self, key: str, method: str, expires_at: int) -> bool:
        try:
            self.client.put_item(
                TableName=self.table_name,
                Item={"pk": {"S": key}, "method": {"S": method}, "expires_at": _n(expires_at)},
                ConditionExpression="attribute_not_exists(pk) OR #m = :m",
                ExpressionAttributeNames={"#m": "method"},
                ExpressionAttributeValues={":m": {"S": method}},
            )
        except Exception as error:  # noqa: BLE001 - every failure is the same to the caller
            if _error_code(error) == "ConditionalCheckFailedException":
                return False
            raise _unavailable("PutItem", error) from None
        return True

    def read_choice(self, key: str, now: int) -> str | None:
        try:
            item = self.client.get_item(
                TableName=self.table_name, Key={"pk": {"S": key}}, ConsistentRead=True
            ).get("Item")
        except Exception as error:  # noqa: BLE001 - every failure is the same to the caller
            raise _unavailable("GetItem", error) from None
        if not item or int(item["expires_at"]["N"]) <= now:
            return None
        return str(item["method"]["S"])

    def claim(self, key: str, now: int, expires_at: int) -> bool:
        try:
            self.client.put_item(
                TableName=self.table_name,
                Item={"pk": {"S": key}, "expires_at": _n(expires_at)},
                # DynamoDB deletes expired items only eventually: an expired claim is free.
                ConditionExpression="attribute_not_exists(pk) OR expires_at <= :now",
                ExpressionAttributeValues={":now": _n(now)},
            )
        except Exception as error:  # noqa: BLE001 - every failure is the same to the caller
            if _error_code(error) == "ConditionalCheckFailedException":
                return False
            raise _unavailable("PutItem", error) from None
        return True


def short_timeouts() -> Any:
    """A botocore ``Config`` that fails a struggling service well inside Cognito's 5 seconds:
    one-second timeouts, two tries."""
    from botocore.config import Config

    return Config(
        connect_timeout=1,
        read_timeout=1,
        retries={"total_max_attempts": 2, "mode": "standard"},
    )


def _error_code(error: Exception) -> str:
    response = getattr(error, "response", None)
    code = response.get("Error", {}).get("Code") if isinstance(response, dict) else None
    return str(code or type(error).__name__)


def _unavailable(operation: str, error: Exception) -> StateUnavailableError:
    return StateUnavailableError(f"DynamoDB {operation} failed ({_error_code(error)})")


def _n(value: int) -> dict[str, str]:
    return {"N": str(value)}


def _to_item(key: str, state: UserState, expires_at: int) -> dict[str, Any]:
    item: dict[str, Any] = {
        "pk": {"S": key},
        "version": _n(state.version + 1),
        "failures": _n(state.failures),
        "lockouts": _n(state.lockouts),
        "locked_until": _n(state.locked_until),
        "last_failure_at": _n(state.last_failure_at),
        "sends": {
            "L": [{"M": {"c": {"S": sent.channel}, "t": _n(sent.at)}} for sent in state.sends]
        },
        "used": {
            "L": [
                {"M": {"h": {"S": used.code_hash}, "x": _n(used.expires_at)}} for used in state.used
            ]
        },
        "expires_at": _n(expires_at),
    }
    if state.codes:
        item["codes"] = {"L": [{"M": _code_item(code)} for code in state.codes]}
    if state.sign_up_until:
        item["sign_up_until"] = _n(state.sign_up_until)
    return item


def _code_item(code: CodeRecord) -> dict[str, Any]:
    body: dict[str, Any] = {
        "h": {"S": code.code_hash},
        "t": _n(code.issued_at),
        "c": {"S": code.channel.value},
        "d": {"S": code.destination},
        "s": {"S": str(code.spec)},
    }
    if code.key_version is not None:
        body["k"] = {"S": code.key_version}
    if code.link_id is not None:
        body["l"] = {"S": code.link_id}
    return body


def _code_from(body: dict[str, Any]) -> CodeRecord:
    return CodeRecord(
        code_hash=body["h"]["S"],
        issued_at=int(body["t"]["N"]),
        channel=Channel(body["c"]["S"]),
        destination=body["d"]["S"],
        spec=CodeSpec.parse(body["s"]["S"]) if "s" in body else CodeSpec(),
        key_version=body["k"]["S"] if "k" in body else None,
        link_id=body["l"]["S"] if "l" in body else None,
    )


def _sent_from(value: dict[str, Any], channel: str) -> Sent:
    # Items written before sends were per channel hold bare times: their code's channel.
    if "N" in value:
        return Sent(channel, int(value["N"]))
    return Sent(value["M"]["c"]["S"], int(value["M"]["t"]["N"]))


def _from_item(item: dict[str, Any], now: int) -> UserState:
    version = int(item["version"]["N"])
    if int(item["expires_at"]["N"]) <= now:
        return UserState(version=version)
    if "codes" in item:
        codes = tuple(_code_from(code["M"]) for code in item["codes"]["L"])
    else:  # an item from before codes were kept per channel
        codes = (_code_from(item["code"]["M"]),) if "code" in item else ()
    old_channel = codes[0].channel.value if codes else Channel.EMAIL.value
    return UserState(
        version=version,
        failures=int(item["failures"]["N"]),
        lockouts=int(item["lockouts"]["N"]),
        locked_until=int(item["locked_until"]["N"]),
        last_failure_at=int(item["last_failure_at"]["N"]),
        sends=tuple(_sent_from(sent, old_channel) for sent in item["sends"]["L"]),
        codes=codes,
        used=tuple(
            UsedCode(code_hash=used["M"]["h"]["S"], expires_at=int(used["M"]["x"]["N"]))
            for used in item["used"]["L"]
        ),
        sign_up_until=int(item["sign_up_until"]["N"]) if "sign_up_until" in item else 0,
    )
