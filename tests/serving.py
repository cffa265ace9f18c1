"""`custom-auth serve` in its own process, for tests that talk to the local pool over HTTP as a
developer's clients would: boto3, the AWS CLI, pycognito, the JavaScript SDKs."""

import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from tests.triggers import ROOT

CLI = str(Path(sys.executable).with_name("custom-auth"))
AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "local",
    "AWS_SECRET_ACCESS_KEY": "local",
    "AWS_DEFAULT_REGION": "us-east-1",
}
#: The template's email channel needs a sender; locally any address does.
SENDER = "SenderEmail=no-reply@example.com"
CODE = re.compile(r"(?<!\d)\d{6}(?!\d)")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Served:
    """A running `custom-auth serve`: what its stack.json says, and its folder."""

    stack: dict[str, Any]
    directory: Path

    @property
    def endpoint(self) -> str:
        return str(self.stack["endpoint_url"])

    @property
    def client_id(self) -> str:
        return str(self.stack["client_id"])

    @property
    def user_pool_id(self) -> str:
        return str(self.stack["user_pool_id"])

    @property
    def outbox(self) -> Path:
        return self.directory / ".custom-auth" / "outbox"

    def cognito(self) -> Any:
        return boto3.client(
            "cognito-idp",
            endpoint_url=self.endpoint,
            region_name="us-east-1",
            aws_access_key_id="local",
            aws_secret_access_key="local",
        )

    def messages(self, to: str | None = None) -> list[dict[str, Any]]:
        """The messages in the outbox, oldest first (only those to ``to``, if given)."""
        found = [json.loads(path.read_text()) for path in sorted(self.outbox.glob("*.json"))]
        return [message for message in found if to is None or message["to"] == to]

    def latest_code(
        self, after: int, *, to: str | None = None, reused_after: float | None = None
    ) -> str:
        """The code in the newest message (to ``to``), waiting until there are more than
        ``after``; with ``reused_after``, the newest one after that many seconds (a sign-in
        inside the resend cooldown reuses the code already sent)."""
        deadline = time.monotonic() + (reused_after or 10)
        while True:
            messages = self.messages(to)
            late = reused_after is not None and time.monotonic() > deadline
            if len(messages) > after or (messages and late):
                match = CODE.search(messages[-1]["body"])
                assert match is not None
                return match.group()
            if time.monotonic() > deadline:
                raise AssertionError("no message reached the outbox")
            time.sleep(0.05)

    def sent(self, to: str | None = None) -> int:
        return len(self.messages(to))

    def create_user(self, email: str, password: str) -> str:
        """A confirmed user with a known password, made through the API as an admin would;
        returns its username (a UUID: the pool signs in by email)."""
        cognito = self.cognito()
        created = cognito.admin_create_user(
            UserPoolId=self.user_pool_id,
            Username=email,
            UserAttributes=[
                {"Name": "email", "Value": email},
                {"Name": "email_verified", "Value": "true"},
            ],
            MessageAction="SUPPRESS",
        )
        username = str(created["User"]["Username"])
        cognito.admin_set_user_password(
            UserPoolId=self.user_pool_id, Username=username, Password=password, Permanent=True
        )
        return username

    def create_client(self, *flows: str, **settings: Any) -> str:
        """Another app client of the pool, allowing ``flows``."""
        created = self.cognito().create_user_pool_client(
            UserPoolId=self.user_pool_id,
            ClientName=f"test-{len(flows)}-{time.monotonic_ns()}",
            ExplicitAuthFlows=list(flows),
            PreventUserExistenceErrors="ENABLED",
            **settings,
        )
        return str(created["UserPoolClient"]["ClientId"])

    def sign_in(self, email: str, client_id: str | None = None) -> dict[str, Any]:
        """An email-code sign-in; returns the AuthenticationResult."""
        cognito, client = self.cognito(), client_id or self.client_id
        sent = self.sent(email)
        challenge = cognito.initiate_auth(
            ClientId=client, AuthFlow="CUSTOM_AUTH", AuthParameters={"USERNAME": email}
        )
        done = cognito.respond_to_auth_challenge(
            ClientId=client,
            ChallengeName="CUSTOM_CHALLENGE",
            Session=challenge["Session"],
            ChallengeResponses={
                "USERNAME": challenge["ChallengeParameters"]["USERNAME"],
                "ANSWER": self.latest_code(sent, to=email, reused_after=2),
            },
        )
        result: dict[str, Any] = done["AuthenticationResult"]
        return result


@contextlib.contextmanager
def serving(
    directory: Path,
    *,
    users: Sequence[str] = (),
    parameters: Sequence[str] = (SENDER,),
    template: Path = ROOT / "template.yaml",
    options: Sequence[str] = (),
) -> Iterator[Served]:
    """`custom-auth serve` of ``template`` (with ``options``) on a free port in ``directory``
    until the ``with`` ends (Ctrl-C)."""
    port = free_port()
    with (directory / "serve.log").open("w") as log:
        process = subprocess.Popen(
            [
                CLI,
                "serve",
                "-t",
                str(template),
                "--port",
                str(port),
                *(argument for user in users for argument in ("--user", user)),
                *(("--parameter-overrides", *parameters) if parameters else ()),
                *options,
            ],
            cwd=directory,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        stack_file = directory / ".custom-auth" / "stack.json"
        deadline = time.monotonic() + 60
        while not stack_file.is_file():
            assert process.poll() is None, (directory / "serve.log").read_text()
            assert time.monotonic() < deadline, "custom-auth serve did not start"
            time.sleep(0.1)
        try:
            yield Served(json.loads(stack_file.read_text()), directory)
        finally:
            process.send_signal(signal.SIGINT)  # Ctrl-C
            assert process.wait(timeout=30) == 0
    assert not stack_file.exists()  # cleaned up on the way out
    assert "custom-auth: stopped" in (directory / "serve.log").read_text()


def error_of(call: Callable[[], Any]) -> tuple[str, str]:
    """The error code and message of a call that must fail."""
    with pytest.raises(ClientError) as caught:
        call()
    error = caught.value.response["Error"]
    return str(error["Code"]), str(error["Message"])


def aws_cli(served: Served, *arguments: str) -> subprocess.CompletedProcess[str]:
    """The AWS CLI (from .venv-sam), pointed at the served pool."""
    cli = os.environ.get("CUSTOM_AUTH_AWS_CLI", str(ROOT / ".venv-sam" / "bin" / "aws"))
    if not Path(cli).is_file():
        pytest.fail(f"the AWS CLI is not at {cli}: run the tests with `make test` (it installs it)")
    return subprocess.run(
        [cli, "cognito-idp", *arguments, "--endpoint-url", served.endpoint, "--output", "json"],
        env={**os.environ, **AWS_ENV},
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
