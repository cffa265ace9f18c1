"""custom_auth.key_rotation and functions/rotate_code_key: rotating the code key in moto's
Secrets Manager, and Verify still accepting the previous key for one cache period."""

import io
import json
import zipfile
from collections.abc import Callable
from typing import Any

import boto3
import pytest

from custom_auth.code_key import KEY_CACHE_SECONDS, ROTATION_SLACK_SECONDS, CodeKey
from custom_auth.errors import InvalidEventError
from custom_auth.key_rotation import CodeKeyRotation, RotationError, RotationEvent, new_key
from tests.triggers import CODE_KEY, SECRET_ID, Context, load_handler

STEPS = ["createSecret", "setSecret", "testSecret", "finishSecret"]
Event = dict[str, Any]


def secrets_manager() -> Any:
    return boto3.client("secretsmanager")


def stages() -> dict[str, list[str]]:
    described = secrets_manager().describe_secret(SecretId=SECRET_ID)
    versions: dict[str, list[str]] = described["VersionIdsToStages"]
    return {version: sorted(labels) for version, labels in versions.items()}


def version_staged(stage: str) -> str:
    [version] = [v for v, labels in stages().items() if stage in labels]
    return version


class SecretsManagerRotation:
    """Starts rotations as Secrets Manager does: moto stages a new version AWSPENDING and
    invokes the rotation function (a moto Lambda) once per step. ``run`` says what an
    invocation does; by default it only records the event, for the test to take the steps."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        from moto.awslambda.models import LambdaBackend

        self.events: list[Event] = []
        self.run: Callable[[Event], None] = lambda event: None
        role = boto3.client("iam").create_role(
            RoleName="rotate-code-key", AssumeRolePolicyDocument="{}"
        )
        package = io.BytesIO()
        with zipfile.ZipFile(package, "w") as archive:
            archive.writestr("app.py", "def lambda_handler(event, context): pass\n")
        self.function_arn = boto3.client("lambda").create_function(
            FunctionName="rotate-code-key",
            Runtime="python3.13",
            Role=role["Role"]["Arn"],
            Handler="app.lambda_handler",
            Code={"ZipFile": package.getvalue()},
        )["FunctionArn"]

        def invoke(_backend: Any, _function: str, body: str, **_: Any) -> bytes:
            event: Event = json.loads(body)
            self.events.append(event)
            self.run(event)
            return b""

        monkeypatch.setattr(LambdaBackend, "invoke", invoke)

    def start(self) -> list[Event]:
        """Start a rotation; returns the events Secrets Manager sent, in order."""
        self.events.clear()
        secrets_manager().rotate_secret(
            SecretId=SECRET_ID,
            RotationLambdaARN=self.function_arn,
            RotationRules={"AutomaticallyAfterDays": 30},
        )
        return list(self.events)


@pytest.fixture
def rotation(aws: None, monkeypatch: pytest.MonkeyPatch) -> SecretsManagerRotation:
    return SecretsManagerRotation(monkeypatch)


@pytest.fixture
def handler() -> Callable[[Event], None]:
    module = load_handler("rotate_code_key")
    return lambda event: module.lambda_handler(event, Context())


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_four_steps_make_a_new_current_key_and_keep_the_old_one_previous(
    rotation: SecretsManagerRotation, handler: Callable[[Event], None]
) -> None:
    old = version_staged("AWSCURRENT")
    events = rotation.start()
    assert [event["Step"] for event in events] == STEPS
    token = events[0]["ClientRequestToken"]
    assert {event["ClientRequestToken"] for event in events} == {token}
    assert stages() == {old: ["AWSCURRENT"], token: ["AWSPENDING"]}

    handler(events[0])  # createSecret
    pending = secrets_manager().get_secret_value(SecretId=SECRET_ID, VersionStage="AWSPENDING")
    handler(events[0])  # createSecret again, as Secrets Manager retries a step
    again = secrets_manager().get_secret_value(SecretId=SECRET_ID, VersionStage="AWSPENDING")
    assert again["SecretString"] == pending["SecretString"]
    assert pending["VersionId"] == token and len(stages()) == 2

    for event in events[1:]:
        handler(event)
    assert stages() == {old: ["AWSPREVIOUS"], token: ["AWSCURRENT"]}
    current = secrets_manager().get_secret_value(SecretId=SECRET_ID)["SecretString"]
    assert current == pending["SecretString"] != CODE_KEY
    assert len(current) == 64

    for event in events:  # every step once more, after the rotation: nothing to do
        handler(event)
    assert stages() == {old: ["AWSPREVIOUS"], token: ["AWSCURRENT"]}


def test_verify_accepts_the_previous_key_for_one_cache_period_after_the_rotation(
    rotation: SecretsManagerRotation, handler: Callable[[Event], None]
) -> None:
    clock = Clock()
    key = CodeKey(SECRET_ID, clock=clock)
    old = key.current()
    issued_before = old.created_at + 1  # a code hashed with the old key just before the rotation

    rotation.run = handler  # Secrets Manager takes all four steps now
    rotation.start()
    assert key.current() == old  # the cache still holds the old key
    clock.now += KEY_CACHE_SECONDS
    new = key.current()
    assert new.version_id != old.version_id and new.secret != old.secret
    assert key.for_code(new.version_id, issued_before) == new.secret
    assert key.for_code(old.version_id, issued_before) == CODE_KEY.encode()
    last_issue = new.created_at + KEY_CACHE_SECONDS + ROTATION_SLACK_SECONDS
    assert key.for_code(old.version_id, last_issue) == CODE_KEY.encode()
    assert key.for_code(old.version_id, last_issue + 1) is None


def test_a_second_rotation_retires_the_first_key(
    rotation: SecretsManagerRotation, handler: Callable[[Event], None]
) -> None:
    first = version_staged("AWSCURRENT")
    rotation.run = handler
    rotation.start()
    second = version_staged("AWSCURRENT")
    rotation.start()
    third = version_staged("AWSCURRENT")
    assert stages() == {first: [], second: ["AWSPREVIOUS"], third: ["AWSCURRENT"]}
    key = CodeKey(SECRET_ID)
    assert key.for_code(first, key.current().created_at) is None


def test_the_logs_name_the_steps_and_never_the_key(
    rotation: SecretsManagerRotation, handler: Callable[[Event], None], logs: list[str]
) -> None:
    rotation.run = handler
    rotation.start()
    key = secrets_manager().get_secret_value(SecretId=SECRET_ID)["SecretString"]
    messages = [json.loads(line)["message"] for line in logs]
    assert messages == [
        "rotation: a new key is pending",
        "rotation: no system outside this application holds the key",
        "rotation: the pending key is usable",
        "rotation: the new key is current",
    ]
    assert all(key not in line and CODE_KEY not in line for line in logs)


def test_a_short_pending_key_fails_the_test_step(
    rotation: SecretsManagerRotation, handler: Callable[[Event], None]
) -> None:
    events = rotation.start()
    token = events[0]["ClientRequestToken"]
    secrets_manager().put_secret_value(
        SecretId=SECRET_ID,
        ClientRequestToken=token,
        SecretString="too-short",
        VersionStages=["AWSPENDING"],
    )
    with pytest.raises(RotationError, match="must hold at least 32 bytes") as caught:
        handler(events[2])
    assert "too-short" not in str(caught.value)
    assert token in str(caught.value)


def test_a_secret_without_rotation_enabled_is_not_rotated(aws: None) -> None:
    version = version_staged("AWSCURRENT")
    event = RotationEvent.from_dict(
        {"SecretId": SECRET_ID, "ClientRequestToken": version, "Step": "createSecret"}
    )
    with pytest.raises(RotationError, match=f"secret {SECRET_ID}: rotation is not enabled"):
        CodeKeyRotation().rotate(event)
    assert stages() == {version: ["AWSCURRENT"]}


def test_a_token_that_is_not_pending_is_refused(
    rotation: SecretsManagerRotation, handler: Callable[[Event], None]
) -> None:
    events = rotation.start()
    for step in STEPS:
        with pytest.raises(RotationError, match="version not-a-version is not staged AWSPENDING"):
            handler({**events[0], "ClientRequestToken": "not-a-version", "Step": step})


@pytest.mark.parametrize(
    ("event", "message"),
    [
        ({"ClientRequestToken": "t", "Step": "createSecret"}, "SecretId: is required"),
        ({"SecretId": "s", "ClientRequestToken": "", "Step": "createSecret"}, "ClientRequestToken"),
        ({"SecretId": "s", "ClientRequestToken": "t", "Step": 1}, "Step: is required"),
        (
            {"SecretId": "s", "ClientRequestToken": "t", "Step": "rotateSecret"},
            "Step: must be one of createSecret, setSecret, testSecret, finishSecret",
        ),
        (["createSecret"], "event: must be an object, got list"),
    ],
)
def test_a_bad_event_is_refused_naming_the_field(event: Any, message: str) -> None:
    with pytest.raises(InvalidEventError, match=message):
        RotationEvent.from_dict(event)


def test_the_handler_refuses_a_bad_event_before_calling_aws(
    handler: Callable[[Event], None],
) -> None:
    with pytest.raises(InvalidEventError, match="Step: must be one of"):
        handler({"SecretId": SECRET_ID, "ClientRequestToken": "t", "Step": "nextSecret"})


def test_new_keys_are_64_random_url_safe_characters() -> None:
    keys = {new_key() for _ in range(100)}
    assert len(keys) == 100
    assert all(len(key) == 64 and key.isascii() for key in keys)
    assert all(
        set(key) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
        for key in keys
    )
