"""custom_auth.state_store: the same contract from DynamoDB (through moto) and from memory."""

from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from custom_auth.limits import Sent, UsedCode, UserState
from custom_auth.otp import CodeRecord, CodeSpec
from custom_auth.settings import Channel, CodeFormat
from custom_auth.state_store import (
    MAX_CONFLICTS,
    DynamoDBStateStore,
    InMemoryStateStore,
    StateConflictError,
    StateStore,
    StateUnavailableError,
    choice_key,
    pool_sends_key,
    state_key,
    update,
)
from tests.triggers import STATE_TABLE

T0 = 1_800_000_000
KEY = state_key("us-east-1_EXAMPLE01", "alice")
FULL = UserState(
    failures=3,
    lockouts=1,
    locked_until=T0 + 900,
    last_failure_at=T0,
    sends=(Sent("email", T0 - 100), Sent("sms", T0)),
    codes=(
        CodeRecord("HASH-E", T0 - 100, Channel.EMAIL, "a***@e***.com"),
        CodeRecord(
            "HASH-1", T0, Channel.SMS, "+*******0100", CodeSpec(CodeFormat.ALPHANUMERIC, 12), "v1"
        ),
    ),
    used=(UsedCode("HASH-0", T0 + 200),),
)


@pytest.fixture(params=["dynamodb", "memory"])
def store(request: pytest.FixtureRequest, aws: None) -> Iterator[StateStore]:
    if request.param == "memory":
        yield InMemoryStateStore()
    else:
        yield DynamoDBStateStore(STATE_TABLE, client=boto3.client("dynamodb"))


def test_no_item_is_a_new_state(store: StateStore) -> None:
    assert store.load(KEY, T0) == UserState()


def test_a_state_comes_back_as_it_was_saved_one_version_on(store: StateStore) -> None:
    store.save(KEY, FULL, T0 + 3600)
    loaded = store.load(KEY, T0)
    assert loaded.version == 1
    assert loaded == UserState(**{**FULL.__dict__, "version": 1})
    assert store.load(state_key("us-east-1_EXAMPLE01", "bob"), T0) == UserState()


def test_a_save_from_a_stale_read_is_a_conflict(store: StateStore) -> None:
    first = store.load(KEY, T0)
    store.save(KEY, first, T0 + 3600)
    with pytest.raises(StateConflictError):
        store.save(KEY, first, T0 + 3600)  # version 0 again: someone saved in between
    current = store.load(KEY, T0)
    store.save(KEY, current, T0 + 3600)
    assert store.load(KEY, T0).version == 2


def test_an_expired_item_reads_as_no_state_but_keeps_its_version(store: StateStore) -> None:
    store.save(KEY, FULL, T0 + 60)
    assert store.load(KEY, T0 + 59).failures == 3
    expired = store.load(KEY, T0 + 60)
    assert expired == UserState(version=1)
    store.save(KEY, expired, T0 + 3600)  # TTL deletion is lazy: the item is still there
    assert store.load(KEY, T0 + 61).version == 2


def test_update_reads_again_after_losing_a_race(store: StateStore) -> None:
    calls = []

    def change(state: UserState) -> tuple[UserState | None, int]:
        calls.append(state.version)
        if len(calls) == 1:  # another sign-in writes between our read and our write
            store.save(KEY, store.load(KEY, T0), T0 + 3600)
        return UserState(version=state.version, failures=state.failures + 1), len(calls)

    assert update(store, KEY, T0, change, code_ttl_seconds=300) == 2
    assert calls == [0, 1]
    assert store.load(KEY, T0).version == 2


def test_update_writes_nothing_when_the_change_is_none(store: StateStore) -> None:
    assert update(store, KEY, T0, lambda state: (None, "unchanged"), code_ttl_seconds=300) == (
        "unchanged"
    )
    assert store.load(KEY, T0) == UserState()


def test_the_pool_counter_counts_up_to_its_cap_and_no_further(store: StateStore) -> None:
    key = pool_sends_key("us-east-1_EXAMPLE01", T0)
    assert [store.count_send(key, 3, T0 + 7200) for _ in range(5)] == [True] * 3 + [False] * 2
    # Another hour, another counter; and no user's state key can be a counter's.
    assert store.count_send(pool_sends_key("us-east-1_EXAMPLE01", T0 + 3600), 3, T0 + 10_800)
    assert not key.startswith("us-east-1_EXAMPLE01#")


def test_fifty_racing_sends_are_counted_exactly(store: StateStore) -> None:
    from concurrent.futures import ThreadPoolExecutor

    key = pool_sends_key("us-east-1_EXAMPLE01", T0)
    with ThreadPoolExecutor(max_workers=10) as pool:
        results = list(pool.map(lambda _: store.count_send(key, 20, T0 + 7200), range(50)))
    assert results.count(True) == 20


def test_a_choice_is_recorded_once_and_read_until_it_expires(store: StateStore) -> None:
    key = choice_key("us-east-1_EXAMPLE01", "sign-in-id", 0)
    assert store.read_choice(key, T0) is None
    assert store.record_choice(key, "SMS_OTP", T0 + 1200)
    assert not store.record_choice(key, "EMAIL_OTP", T0 + 1200)  # one choice per round
    assert store.record_choice(key, "SMS_OTP", T0 + 1200)  # the same again: a retried Verify
    assert store.read_choice(key, T0) == "SMS_OTP"
    assert store.read_choice(key, T0 + 1200) is None  # expired (DynamoDB deletes it later)
    assert store.read_choice(choice_key("us-east-1_EXAMPLE01", "sign-in-id", 1), T0) is None
    assert not key.startswith("us-east-1_EXAMPLE01#")  # never a user's state key


def test_fifty_racing_choices_record_one(store: StateStore) -> None:
    from concurrent.futures import ThreadPoolExecutor

    key = choice_key("us-east-1_EXAMPLE01", "sign-in-id", 0)
    names = ["EMAIL_OTP", "SMS_OTP"] * 25
    with ThreadPoolExecutor(max_workers=10) as pool:
        results = list(pool.map(lambda name: store.record_choice(key, name, T0 + 60), names))
    stored = store.read_choice(key, T0)
    assert results.count(True) == 25  # every call naming the stored method, no other
    assert all(ok == (name == stored) for ok, name in zip(results, names, strict=True))


def test_an_item_from_before_sends_were_per_channel_is_read(aws: None) -> None:
    """Items written by the version before #13 (one code, bare send times) still load: their
    sends belong to their code's channel."""
    client = boto3.client("dynamodb")
    client.put_item(
        TableName=STATE_TABLE,
        Item={
            "pk": {"S": KEY},
            "version": {"N": "4"},
            "failures": {"N": "2"},
            "lockouts": {"N": "0"},
            "locked_until": {"N": "0"},
            "last_failure_at": {"N": str(T0)},
            "sends": {"L": [{"N": str(T0 - 5)}]},
            "used": {"L": []},
            "expires_at": {"N": str(T0 + 3600)},
            "code": {
                "M": {
                    "h": {"S": "OLD"},
                    "t": {"N": str(T0 - 5)},
                    "c": {"S": "sms"},
                    "d": {"S": "+*******0100"},
                    "s": {"S": "digits-6"},
                }
            },
        },
    )
    loaded = DynamoDBStateStore(STATE_TABLE, client=client).load(KEY, T0)
    assert loaded.sends == (Sent("sms", T0 - 5),)
    assert loaded.code_for("sms") == CodeRecord("OLD", T0 - 5, Channel.SMS, "+*******0100")
    assert loaded.code_for("email") is None
    assert (loaded.version, loaded.failures) == (4, 2)


def test_update_gives_up_after_losing_every_race() -> None:
    class AlwaysConflicting(InMemoryStateStore):
        def save(self, key: str, state: UserState, expires_at: int) -> None:
            raise StateConflictError("the state changed since it was read")

    with pytest.raises(StateUnavailableError) as caught:
        update(
            AlwaysConflicting(),
            KEY,
            T0,
            lambda state: (state, None),
            code_ttl_seconds=300,
        )
    assert str(caught.value) == f"state of one user changed {MAX_CONFLICTS} times in a row"


# --- DynamoDB's failures ------------------------------------------------------------------------


class Refusing:
    """A DynamoDB client whose every call fails as DynamoDB fails."""

    def __init__(self, code: str) -> None:
        self.code = code

    def _fail(self, **_: Any) -> None:
        from botocore.exceptions import ClientError

        raise ClientError({"Error": {"Code": self.code, "Message": "PRIVATE"}}, "Call")

    get_item = put_item = update_item = _fail


@pytest.mark.parametrize(
    "code", ["ProvisionedThroughputExceededException", "ResourceNotFoundException"]
)
def test_dynamodb_errors_are_state_unavailable_naming_the_call_and_the_code(code: str) -> None:
    store = DynamoDBStateStore(STATE_TABLE, client=Refusing(code))
    with pytest.raises(StateUnavailableError) as read:
        store.load(KEY, T0)
    with pytest.raises(StateUnavailableError) as written:
        store.save(KEY, FULL, T0)
    assert str(read.value) == f"DynamoDB GetItem failed ({code})"
    assert str(written.value) == f"DynamoDB PutItem failed ({code})"
    with pytest.raises(StateUnavailableError, match=rf"DynamoDB PutItem failed \({code}\)"):
        store.record_choice("#choice#p#s#0", "EMAIL_OTP", T0)
    with pytest.raises(StateUnavailableError, match=rf"DynamoDB GetItem failed \({code}\)"):
        store.read_choice("#choice#p#s#0", T0)


def test_an_unreachable_endpoint_is_state_unavailable() -> None:
    from botocore.exceptions import EndpointConnectionError

    class Unreachable:
        def get_item(self, **_: Any) -> None:
            raise EndpointConnectionError(endpoint_url="https://dynamodb.example")

    with pytest.raises(StateUnavailableError, match=r"\(EndpointConnectionError\)"):
        DynamoDBStateStore(STATE_TABLE, client=Unreachable()).load(KEY, T0)


def test_an_item_custom_auth_did_not_write_is_state_unavailable(aws: None) -> None:
    client = boto3.client("dynamodb")
    client.put_item(
        TableName=STATE_TABLE,
        Item={"pk": {"S": KEY}, "version": {"N": "1"}, "expires_at": {"S": "soon"}},
    )
    with pytest.raises(StateUnavailableError, match="an item custom-auth cannot read"):
        DynamoDBStateStore(STATE_TABLE, client=client).load(KEY, T0)


def test_the_default_client_fails_fast(aws: None) -> None:
    config = DynamoDBStateStore(STATE_TABLE).client.meta.config
    assert (config.connect_timeout, config.read_timeout) == (1, 1)
    assert config.retries == {"total_max_attempts": 2, "mode": "standard"}  # two tries in all
