"""Local stand-ins for the AWS services the triggers call, provisioned from template.yaml.

moto answers every AWS call. What the template declares is put in place first: each
Secrets Manager secret holds :data:`DEVELOPMENT_CODE_KEY`, and each sender address the
functions are configured with is a verified SES identity. Every message the triggers send is
also written to the local outbox, one JSON file per message, so a person or a test can read
the code.
"""

import json
import os
import threading
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

import boto3
from moto import mock_aws

from custom_auth_local.template import LOCAL_REGION, LOCAL_STACK_NAME, Template, local_ref

#: The code-hashing key the local stand-ins use, published so that sample events can carry
#: valid code hashes. A deployment never uses it: the template generates a random secret.
DEVELOPMENT_CODE_KEY = "custom-auth-local-development-key-never-deployed"
#: Where messages are written unless told otherwise.
DEFAULT_OUTBOX = Path(".custom-auth") / "outbox"
_FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "local",
    "AWS_SECRET_ACCESS_KEY": "local",
    "AWS_SESSION_TOKEN": "local",
    "AWS_DEFAULT_REGION": LOCAL_REGION,
}


@dataclass(frozen=True)
class OutboxMessage:
    """One message the triggers sent."""

    channel: str
    to: str
    subject: str
    body: str
    sent_at: str


class Outbox:
    """A folder of sent messages, one JSON file each, named so they sort by time."""

    def __init__(self, directory: Path | str = DEFAULT_OUTBOX) -> None:
        self.directory = Path(directory)
        self._lock = threading.Lock()
        self._count = 0

    def write(self, message: OutboxMessage) -> Path:
        """Store ``message``; returns its file."""
        with self._lock:
            self._count += 1
            self.directory.mkdir(parents=True, exist_ok=True)
            stamp = message.sent_at.replace(":", "").replace("-", "").replace("+0000", "Z")
            path = (
                self.directory / f"{stamp}-{os.getpid()}-{self._count:04d}-{message.channel}.json"
            )
            path.write_text(json.dumps(asdict(message), indent=2) + "\n", encoding="utf-8")
            return path

    def messages(self) -> list[OutboxMessage]:
        """Every message in the folder, oldest first."""
        if not self.directory.is_dir():
            return []
        found = []
        for path in sorted(self.directory.glob("*.json")):
            found.append(OutboxMessage(**json.loads(path.read_text(encoding="utf-8"))))
        return found


def _sent_at() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def _email(params: Mapping[str, Any]) -> OutboxMessage:
    simple = params.get("Content", {}).get("Simple", {})
    body = simple.get("Body", {})
    text = body.get("Text", {}).get("Data") or body.get("Html", {}).get("Data", "")
    to = ", ".join(params.get("Destination", {}).get("ToAddresses", []))
    subject = simple.get("Subject", {}).get("Data", "")
    return OutboxMessage("email", to, subject, text, _sent_at())


def _sms(params: Mapping[str, Any]) -> OutboxMessage | None:
    if "PhoneNumber" not in params:
        return None  # a topic or endpoint publish: not a message to a person
    return OutboxMessage("sms", params["PhoneNumber"], "", params.get("Message", ""), _sent_at())


class _OutboxHooks:
    """botocore event handlers: note what is about to be sent, write it once it was accepted."""

    _KEY = "custom_auth_outbox"

    def __init__(self, outbox: Outbox) -> None:
        self.outbox = outbox

    def remember_email(self, params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        context[self._KEY] = _email(params)

    def remember_sms(self, params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        message = _sms(params)
        if message is not None:
            context[self._KEY] = message

    def written(self, http_response: Any, context: dict[str, Any], **_: Any) -> None:
        message = context.pop(self._KEY, None)
        if message is not None and getattr(http_response, "status_code", 500) < 300:
            self.outbox.write(message)

    def _handlers(self) -> list[tuple[str, Any]]:
        return [
            ("provide-client-params.sesv2.SendEmail", self.remember_email),
            ("provide-client-params.sns.Publish", self.remember_sms),
            ("after-call.sesv2.SendEmail", self.written),
            ("after-call.sns.Publish", self.written),
        ]

    def register(self, session: Any) -> None:
        for event, handler in self._handlers():
            session.events.register(event, handler)

    def unregister(self, session: Any) -> None:
        for event, handler in self._handlers():
            session.events.unregister(event, handler)


def _default_session() -> boto3.Session:
    # The triggers create their clients with boto3.client(), i.e. from boto3's default session;
    # clients copy the session's event handlers when they are created, so register first.
    if boto3.DEFAULT_SESSION is None:
        boto3.setup_default_session()
    return cast(boto3.Session, boto3.DEFAULT_SESSION)


#: Who holds each variable :func:`environment` set, newest last: (holder, value).
_HOLDERS: dict[str, list[tuple[object, str]]] = {}
#: Each held variable's value before the first holder set it (None: unset).
_ORIGINALS: dict[str, str | None] = {}
_ENVIRONMENT_LOCK = threading.Lock()


@contextmanager
def environment(variables: Mapping[str, str]) -> Iterator[None]:
    """``os.environ`` with ``variables`` set, restored afterwards.

    Safe for triggers running at once in several threads (the local pool serves calls in
    parallel, and Lambda runs each in a container of its own): a variable keeps the value of
    its newest holder, and goes back to what it was only when nobody holds it any more, so one
    invocation ending never takes a variable from under another one still starting."""
    holder = object()
    with _ENVIRONMENT_LOCK:
        for name, value in variables.items():
            holders = _HOLDERS.setdefault(name, [])
            if not holders:
                _ORIGINALS[name] = os.environ.get(name)
            holders.append((holder, value))
            os.environ[name] = value
    try:
        yield
    finally:
        with _ENVIRONMENT_LOCK:
            for name in variables:
                holders = [held for held in _HOLDERS[name] if held[0] is not holder]
                if holders:
                    _HOLDERS[name] = holders
                    os.environ[name] = holders[-1][1]
                    continue
                del _HOLDERS[name]
                original = _ORIGINALS.pop(name)
                if original is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = original


@contextmanager
def atomic_dynamodb_writes() -> Iterator[None]:
    """Make moto's DynamoDB writes atomic, as DynamoDB's are.

    moto checks a ConditionExpression and then writes, with nothing between two threads doing
    the same: both can pass. DynamoDB evaluates the condition and writes as one step, which is
    what the triggers' conditional writes rely on, so the stand-in does too.
    """
    from moto.dynamodb.models import DynamoDBBackend

    names = ("put_item", "update_item", "delete_item", "transact_write_items")
    originals = {name: getattr(DynamoDBBackend, name) for name in names}
    lock = threading.RLock()

    def atomic(method: Any) -> Any:
        def call(*args: Any, **kwargs: Any) -> Any:
            with lock:
                return method(*args, **kwargs)

        return call

    for name, method in originals.items():
        setattr(DynamoDBBackend, name, atomic(method))
    try:
        yield
    finally:
        for name, method in originals.items():
            setattr(DynamoDBBackend, name, method)


@contextmanager
def local_aws(
    template: Template, *, outbox: Outbox | None = None, senders: Iterable[str] = ()
) -> Iterator[None]:
    """moto for every AWS call, provisioned as the template declares, with an outbox."""
    with environment(_FAKE_CREDENTIALS), mock_aws(), atomic_dynamodb_writes():
        provision(template, senders)
        hooks = _OutboxHooks(outbox) if outbox is not None else None
        session = _default_session()
        if hooks is not None:
            hooks.register(session)
        try:
            yield
        finally:
            if hooks is not None:
                hooks.unregister(session)


def provision(template: Template, senders: Iterable[str] = ()) -> None:
    """Create the template's secrets (holding the development key), its magic-link key,
    DynamoDB tables, and verify its senders."""
    secrets = boto3.client("secretsmanager")
    for name, resource in template.resources_of_type("AWS::SecretsManager::Secret").items():
        secret_id = local_ref(name, resource["Type"])
        secrets.create_secret(Name=secret_id, SecretString=DEVELOPMENT_CODE_KEY)
    kms = boto3.client("kms")
    aliases = {
        function.environment.get("MAGIC_LINK_KEY_ALIAS", "")
        for function in template.functions().values()
    } - {""}
    for alias in sorted(aliases):
        create_link_key(kms, alias)
    dynamodb = boto3.client("dynamodb")
    for name, resource in template.resources_of_type("AWS::DynamoDB::Table").items():
        create_table(dynamodb, local_ref(name, resource["Type"]), template.properties(name))
    addresses = set(senders)
    for function in template.functions().values():
        sender = function.environment.get("SENDER_EMAIL")
        if sender:
            addresses.add(sender)
    ses = boto3.client("sesv2")
    for address in sorted(addresses):
        ses.create_email_identity(EmailIdentity=address)


def create_link_key(client: Any, alias: str) -> str:
    """An HMAC key for magic links, tagged and aliased as the template's MagicLinkKey is: both
    ``alias`` and ``<alias>-previous`` name it. Returns its id."""
    key_id = str(
        client.create_key(
            Description="custom-auth magic links (local)",
            KeySpec="HMAC_256",
            KeyUsage="GENERATE_VERIFY_MAC",
            Tags=[{"TagKey": "custom-auth-magic-link", "TagValue": LOCAL_STACK_NAME}],
        )["KeyMetadata"]["KeyId"]
    )
    client.create_alias(AliasName=alias, TargetKeyId=key_id)
    client.create_alias(AliasName=alias + "-previous", TargetKeyId=key_id)
    return key_id


def create_table(client: Any, table_name: str, properties: Mapping[str, Any]) -> None:
    """Create a table as an ``AWS::DynamoDB::Table`` with ``properties`` declares it: its keys,
    indexes, billing mode and TTL attribute (what the triggers' reads and writes depend on)."""
    capacity = {
        key: properties[key]
        for key in ("BillingMode", "ProvisionedThroughput", "GlobalSecondaryIndexes")
        if key in properties
    }
    client.create_table(
        TableName=table_name,
        KeySchema=properties["KeySchema"],
        AttributeDefinitions=properties["AttributeDefinitions"],
        **capacity,
    )
    ttl = properties.get("TimeToLiveSpecification")
    if ttl:
        client.update_time_to_live(
            TableName=table_name,
            TimeToLiveSpecification={
                "AttributeName": ttl["AttributeName"],
                "Enabled": bool(ttl.get("Enabled", True)),
            },
        )
