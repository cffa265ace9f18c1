"""custom_auth.code_key: the code-hashing key, read once, failing closed."""

from typing import Any

import boto3
import pytest

from custom_auth.code_key import CodeKey, CodeKeyError
from tests.triggers import CODE_KEY, SECRET_ID


class CountingClient:
    """Forwards to a real (moto) client, counting GetSecretValue calls."""

    def __init__(self, client: Any) -> None:
        self.client, self.calls = client, 0

    def get_secret_value(self, **kwargs: Any) -> Any:
        self.calls += 1
        return self.client.get_secret_value(**kwargs)


def test_the_key_is_read_once_per_container(aws: None) -> None:
    client = CountingClient(boto3.client("secretsmanager"))
    key = CodeKey(SECRET_ID, client=client)
    assert key.get() == CODE_KEY.encode()
    assert key.get() == CODE_KEY.encode()
    assert client.calls == 1
    assert CODE_KEY not in repr(key)


def test_a_missing_secret_fails_closed_and_is_tried_again(aws: None) -> None:
    client = CountingClient(boto3.client("secretsmanager"))
    key = CodeKey("missing", client=client)
    with pytest.raises(CodeKeyError, match=r"could not read the code key secret missing \("):
        key.get()
    boto3.client("secretsmanager").create_secret(Name="missing", SecretString="m" * 40)
    assert key.get() == b"m" * 40
    assert client.calls == 2


def test_a_short_secret_is_not_a_key(aws: None) -> None:
    boto3.client("secretsmanager").create_secret(Name="short", SecretString="too-short")
    with pytest.raises(CodeKeyError, match="must hold at least 32 bytes") as caught:
        CodeKey("short").get()
    assert "too-short" not in str(caught.value)


def test_a_binary_secret_is_used_as_is(aws: None) -> None:
    boto3.client("secretsmanager").create_secret(Name="binary", SecretBinary=b"\x01" * 32)
    assert CodeKey("binary").get() == b"\x01" * 32
