"""custom_auth.code_key: the code key's versions, cached for a while, failing closed."""

from typing import Any

import boto3
import pytest

from custom_auth.code_key import (
    KEY_CACHE_SECONDS,
    ROTATION_SLACK_SECONDS,
    CodeKey,
    CodeKeyError,
    KeyVersion,
)
from tests.triggers import CODE_KEY, SECRET_ID

NEW_KEY = "new-code-key-" + "n" * 40


class CountingClient:
    """Forwards to a real (moto) client, recording the staging label of each GetSecretValue."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.stages: list[str] = []

    @property
    def calls(self) -> int:
        return len(self.stages)

    def get_secret_value(self, **kwargs: Any) -> Any:
        self.stages.append(kwargs["VersionStage"])
        return self.client.get_secret_value(**kwargs)


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def counted_key(secret_id: str = SECRET_ID) -> tuple[CodeKey, CountingClient, Clock]:
    client, clock = CountingClient(boto3.client("secretsmanager")), Clock()
    return CodeKey(secret_id, client=client, clock=clock), client, clock


def rotate_by_hand(value: str = NEW_KEY) -> str:
    """A new AWSCURRENT version (the old one becomes AWSPREVIOUS); returns its id."""
    put = boto3.client("secretsmanager").put_secret_value(SecretId=SECRET_ID, SecretString=value)
    version_id: str = put["VersionId"]
    return version_id


def test_the_current_version_is_read_once_per_cache_period(aws: None) -> None:
    key, client, clock = counted_key()
    first = key.current()
    assert first.secret == CODE_KEY.encode()
    clock.now += KEY_CACHE_SECONDS - 1
    assert key.current() == first
    assert client.calls == 1
    clock.now += 1
    assert key.current() == first
    assert client.calls == 2


def test_a_rotation_reaches_a_warm_container_when_its_cache_expires(aws: None) -> None:
    key, _, clock = counted_key()
    old = key.current()
    new_id = rotate_by_hand()
    assert key.current() == old
    clock.now += KEY_CACHE_SECONDS
    assert key.current().version_id == new_id
    assert key.current().secret == NEW_KEY.encode()


def test_neither_the_key_nor_a_version_shows_the_secret(aws: None) -> None:
    key, _, _ = counted_key()
    assert repr(key) == f"CodeKey(secret_id={SECRET_ID!r}, loaded=False)"
    version = key.current()
    assert repr(key) == f"CodeKey(secret_id={SECRET_ID!r}, loaded=True)"
    for shown in (repr(version), str(version), repr(key)):
        assert CODE_KEY not in shown
    assert "secret=<redacted>" in repr(version)
    assert version.version_id in repr(version)


def test_a_missing_secret_fails_closed_and_is_tried_again(aws: None) -> None:
    key, client, _ = counted_key("missing")
    with pytest.raises(
        CodeKeyError,
        match=r"could not read the code key secret missing \(AWSCURRENT: ResourceNotFoundException",
    ):
        key.current()
    with pytest.raises(CodeKeyError):
        key.for_code(None, 0)
    boto3.client("secretsmanager").create_secret(Name="missing", SecretString="m" * 40)
    assert key.current().secret == b"m" * 40
    assert client.calls == 3


def test_a_short_secret_is_not_a_key(aws: None) -> None:
    boto3.client("secretsmanager").create_secret(Name="short", SecretString="too-short")
    with pytest.raises(CodeKeyError, match="must hold at least 32 bytes") as caught:
        CodeKey("short").current()
    assert "too-short" not in str(caught.value)


def test_a_short_previous_version_is_not_a_key_either(aws: None) -> None:
    boto3.client("secretsmanager").create_secret(Name="short", SecretString="too-short")
    old = boto3.client("secretsmanager").get_secret_value(SecretId="short")["VersionId"]
    boto3.client("secretsmanager").put_secret_value(SecretId="short", SecretString="s" * 40)
    key = CodeKey("short")
    assert key.current().secret == b"s" * 40
    with pytest.raises(CodeKeyError, match=r"at least 32 bytes \(AWSPREVIOUS version") as caught:
        key.for_code(old, 0)
    assert "too-short" not in str(caught.value)


def test_a_binary_secret_is_used_as_is(aws: None) -> None:
    boto3.client("secretsmanager").create_secret(Name="binary", SecretBinary=b"\x01" * 32)
    assert CodeKey("binary").current().secret == b"\x01" * 32


def test_a_version_knows_its_id_and_creation_date(aws: None) -> None:
    stored = boto3.client("secretsmanager").get_secret_value(SecretId=SECRET_ID)
    version = CodeKey(SECRET_ID).current()
    assert version == KeyVersion(
        version_id=stored["VersionId"],
        secret=CODE_KEY.encode(),
        created_at=int(stored["CreatedDate"].timestamp()),
    )


def test_codes_without_a_version_and_codes_of_the_current_version_use_the_current_key(
    aws: None,
) -> None:
    key, client, _ = counted_key()
    current = key.current()
    assert key.for_code(None, 0) == CODE_KEY.encode()
    assert key.for_code(current.version_id, 0) == CODE_KEY.encode()
    assert client.stages == ["AWSCURRENT"]


def test_an_unknown_version_is_looked_for_once_more_then_refused(aws: None) -> None:
    key, client, _ = counted_key()
    key.current()
    assert key.for_code("no-such-version", 0) is None
    # AWSPREVIOUS (not there before a first rotation: no error), then one more read of both.
    assert client.stages == ["AWSCURRENT", "AWSPREVIOUS", "AWSCURRENT", "AWSPREVIOUS"]


def test_a_stale_cache_finds_a_version_made_current_since(aws: None) -> None:
    key, client, _ = counted_key()
    key.current()
    new_id = rotate_by_hand()
    assert key.for_code(new_id, 0) == NEW_KEY.encode()
    assert key.current().version_id == new_id
    assert client.stages == ["AWSCURRENT", "AWSPREVIOUS", "AWSCURRENT"]


def test_the_previous_key_is_accepted_for_one_cache_period_after_the_rotation(aws: None) -> None:
    key, _, clock = counted_key()
    old = key.current()
    rotate_by_hand()
    clock.now += KEY_CACHE_SECONDS
    current = key.current()
    last_issue = current.created_at + KEY_CACHE_SECONDS + ROTATION_SLACK_SECONDS
    assert key.for_code(old.version_id, old.created_at) == CODE_KEY.encode()
    assert key.for_code(old.version_id, last_issue) == CODE_KEY.encode()
    assert key.for_code(old.version_id, last_issue + 1) is None
    assert key.for_code(current.version_id, last_issue + 1) == NEW_KEY.encode()


def test_a_version_two_rotations_old_is_refused(aws: None) -> None:
    key, _, clock = counted_key()
    oldest = key.current()
    rotate_by_hand()
    rotate_by_hand("third-code-key-" + "t" * 40)
    clock.now += KEY_CACHE_SECONDS
    assert key.for_code(oldest.version_id, oldest.created_at) is None


class FailingClient:
    """A client whose GetSecretValue fails for one staging label, as botocore does."""

    class ServiceError(Exception):
        def __init__(self, code: str) -> None:
            super().__init__(f"An error occurred ({code}): message with {CODE_KEY}")
            self.response = {"Error": {"Code": code, "Message": CODE_KEY}}

    def __init__(self, client: Any, stage: str, code: str) -> None:
        self.client, self.stage, self.code = client, stage, code

    def get_secret_value(self, **kwargs: Any) -> Any:
        if kwargs["VersionStage"] == self.stage:
            raise self.ServiceError(self.code)
        return self.client.get_secret_value(**kwargs)


def test_an_unreadable_previous_version_fails_closed(aws: None) -> None:
    client = FailingClient(boto3.client("secretsmanager"), "AWSPREVIOUS", "AccessDeniedException")
    key = CodeKey(SECRET_ID, client=client)
    assert key.current().secret == CODE_KEY.encode()
    with pytest.raises(CodeKeyError) as caught:
        key.for_code("an-older-version", 0)
    assert str(caught.value) == (
        f"could not read the code key secret {SECRET_ID} (AWSPREVIOUS: AccessDeniedException)"
    )
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


def test_an_error_without_a_code_is_named_by_its_type(aws: None) -> None:
    class Unreachable:
        def get_secret_value(self, **kwargs: Any) -> Any:
            raise ConnectionError(CODE_KEY)

    with pytest.raises(CodeKeyError) as caught:
        CodeKey(SECRET_ID, client=Unreachable()).current()
    assert str(caught.value).endswith("(AWSCURRENT: ConnectionError)")
    assert CODE_KEY not in str(caught.value)
