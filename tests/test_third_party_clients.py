"""Clients this project did not write, against `custom-auth serve`, for each AuthFlow: boto3 and
the AWS CLI (with pycognito's SRP for the password), the JavaScript SDK v3 and
amazon-cognito-identity-js (from the npm registry, in tests/js/node_modules, which `make test`
installs). Each signs in, checks its tokens, gets the user, refreshes, revokes, and is refused
the flows that would skip the triggers. Where a client fails, the local pool is wrong until the
Cognito docs say otherwise.
"""

import json
import re
import shutil
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import pytest
from botocore.exceptions import ClientError
from pycognito.aws_srp import AWSSRP

from custom_auth_local import tokens
from tests.serving import SENDER, Served, aws_cli, serving
from tests.triggers import ROOT

PASSWORD = "Corr3ct-Horse-Battery"
JS = ROOT / "tests" / "js"
#: The checks each JavaScript script must report, by AuthFlow: a script that stops early, or
#: skips one, fails the test.
JS_CHECKS = {
    "sdk-v3": {
        "otp": ["code_sign_in"],
        "password+otp": ["code_alone_refused", "wrong_password_refused", "password_then_code"],
        "after": [
            "tokens_verify",
            "get_user",
            "refresh_token_auth",
            "get_tokens_from_refresh_token",
            "revoke_token",
            "refresh_after_revoke_refused",
            "get_user_after_revoke_refused",
            "user_password_auth_refused",
            "user_srp_auth_refused",
        ],
    },
    "identity-js": {
        "otp": ["code_sign_in"],
        "password+otp": ["code_alone_refused", "wrong_password_refused", "password_then_code"],
        "after": [
            "tokens_verify",
            "get_session_from_storage",
            "get_user_attributes",
            "refresh_session",
            "revoke_tokens",
            "refresh_after_revoke_refused",
            "global_sign_out",
            "get_user_after_global_sign_out_refused",
            "refresh_after_global_sign_out_refused",
            "user_srp_auth_refused",
            "user_password_auth_refused",
        ],
    },
}


@dataclass
class Deployment:
    """The served pool under one AuthFlow."""

    served: Served
    auth_flow: str

    def new_user(self, name: str) -> str:
        email = f"{name}@example.com"
        self.served.create_user(email, PASSWORD)
        return email


@pytest.fixture(scope="module", params=["otp", "password+otp"])
def deployment(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Deployment]:
    flow = str(request.param)
    directory = tmp_path_factory.mktemp(f"third-party-{flow.replace('+', '-')}")
    with serving(
        directory, parameters=(SENDER, f"AuthFlow={flow}", "MaxSendsPerHour=60")
    ) as served:
        yield Deployment(served, flow)


# --- boto3 and the AWS CLI: the same requests, through either ----------------------------------


class RefusedError(Exception):
    """Cognito refused the call: its error code and message."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code, self.message = code, message


class Client(Protocol):
    def __call__(self, operation: str, **request: Any) -> dict[str, Any]: ...


def boto3_client(served: Served) -> Client:
    cognito = served.cognito()

    def call(operation: str, **request: Any) -> dict[str, Any]:
        method = re.sub(r"(?<!^)(?=[A-Z])", "_", operation).lower()
        try:
            answer: dict[str, Any] = getattr(cognito, method)(**request)
        except ClientError as error:
            raise RefusedError(
                error.response["Error"]["Code"], error.response["Error"]["Message"]
            ) from None
        answer.pop("ResponseMetadata", None)
        return answer

    return call


def aws_cli_client(served: Served) -> Client:
    def call(operation: str, **request: Any) -> dict[str, Any]:
        command = re.sub(r"(?<!^)(?=[A-Z])", "-", operation).lower()
        done = aws_cli(served, command, "--cli-input-json", json.dumps(request))
        if done.returncode != 0:
            found = re.search(
                r"An error occurred \((\w+)\) when calling the \w+ operation: (.*)", done.stderr
            )
            assert found, done.stderr
            raise RefusedError(found.group(1), found.group(2).strip())
        answer: dict[str, Any] = json.loads(done.stdout or "{}")
        return answer

    return call


def refusal(call: Any) -> tuple[str, str]:
    with pytest.raises(RefusedError) as caught:
        call()
    return caught.value.code, caught.value.message


def sign_in(
    deployment: Deployment, call: Client, email: str, password: str | None
) -> dict[str, Any]:
    """CUSTOM_AUTH, with SRP first when ``password`` is given (pycognito's arithmetic), then the
    emailed code; returns the AuthenticationResult."""
    served = deployment.served
    parameters = {"USERNAME": email}
    srp = None
    if password is not None:
        srp = AWSSRP(
            username=email,
            password=password,
            pool_id=served.user_pool_id,
            client_id=served.client_id,
            client=served.cognito(),
        )
        parameters |= {"CHALLENGE_NAME": "SRP_A", "SRP_A": srp.get_auth_params()["SRP_A"]}
    sent = served.sent()
    step = call(
        "InitiateAuth", ClientId=served.client_id, AuthFlow="CUSTOM_AUTH", AuthParameters=parameters
    )
    if srp is not None:
        assert step["ChallengeName"] == "PASSWORD_VERIFIER"
        step = call(
            "RespondToAuthChallenge",
            ClientId=served.client_id,
            ChallengeName="PASSWORD_VERIFIER",
            Session=step["Session"],
            ChallengeResponses=srp.process_challenge(step["ChallengeParameters"], parameters),
        )
    assert step["ChallengeName"] == "CUSTOM_CHALLENGE"
    done = call(
        "RespondToAuthChallenge",
        ClientId=served.client_id,
        ChallengeName="CUSTOM_CHALLENGE",
        Session=step["Session"],
        ChallengeResponses={
            "USERNAME": step["ChallengeParameters"]["USERNAME"],
            "ANSWER": served.latest_code(sent),
        },
    )
    result: dict[str, Any] = done["AuthenticationResult"]
    return result


@pytest.mark.parametrize("make_client", [boto3_client, aws_cli_client], ids=["boto3", "aws-cli"])
def test_python_clients(deployment: Deployment, make_client: Any) -> None:
    served, call = deployment.served, make_client(deployment.served)
    email = deployment.new_user(f"{make_client.__name__.replace('_', '-')}")
    wrong = ("NotAuthorizedException", "Incorrect username or password.")
    if deployment.auth_flow == "otp":
        result = sign_in(deployment, call, email, None)
    else:
        assert refusal(lambda: sign_in(deployment, call, email, None)) == wrong  # no code alone
        assert refusal(lambda: sign_in(deployment, call, email, "Wr0ng-Horse-Battery")) == wrong
        result = sign_in(deployment, call, email, PASSWORD)

    issuer = tokens.issuer("us-east-1", served.user_pool_id, served.endpoint)
    jwks = tokens.fetch_jwks(issuer)
    first = tokens.verify(
        result["IdToken"], jwks, expected_issuer=issuer, client_id=served.client_id, use="id"
    )
    attributes = call("GetUser", AccessToken=result["AccessToken"])["UserAttributes"]
    assert {"Name": "email", "Value": email} in attributes

    refresh = {"ClientId": served.client_id, "AuthFlow": "REFRESH_TOKEN_AUTH"}
    renewed = call(
        "InitiateAuth", **refresh, AuthParameters={"REFRESH_TOKEN": result["RefreshToken"]}
    )
    again = tokens.verify(
        renewed["AuthenticationResult"]["IdToken"],
        jwks,
        expected_issuer=issuer,
        client_id=served.client_id,
        use="id",
    )
    assert again["auth_time"] == first["auth_time"] and again["origin_jti"] == first["origin_jti"]
    got = call(
        "GetTokensFromRefreshToken", ClientId=served.client_id, RefreshToken=result["RefreshToken"]
    )
    assert "AccessToken" in got["AuthenticationResult"]

    call("RevokeToken", ClientId=served.client_id, Token=result["RefreshToken"])
    assert refusal(
        lambda: call(
            "InitiateAuth", **refresh, AuthParameters={"REFRESH_TOKEN": result["RefreshToken"]}
        )
    ) == ("NotAuthorizedException", "Refresh Token has been revoked")
    assert refusal(lambda: call("GetUser", AccessToken=result["AccessToken"])) == (
        "NotAuthorizedException",
        "Access Token has been revoked",
    )

    # The flows that skip the triggers: refused, the right password or not.
    for flow, parameters, message in (
        (
            "USER_PASSWORD_AUTH",
            {"PASSWORD": PASSWORD},
            "USER_PASSWORD_AUTH flow not enabled for this client",
        ),
        ("USER_SRP_AUTH", {"SRP_A": "abc123"}, "USER_SRP_AUTH is not enabled for the client."),
    ):
        request = {
            "ClientId": served.client_id,
            "AuthFlow": flow,
            "AuthParameters": {"USERNAME": email, **parameters},
        }
        assert refusal(lambda request=request: call("InitiateAuth", **request)) == (
            "InvalidParameterException",
            message,
        )
    admin = {"UserPoolId": served.user_pool_id, "ClientId": served.client_id}
    assert refusal(
        lambda: call(
            "AdminInitiateAuth",
            **admin,
            AuthFlow="ADMIN_USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": email, "PASSWORD": PASSWORD},
        )
    ) == ("InvalidParameterException", "Auth flow not enabled for this client")


# --- JavaScript ----------------------------------------------------------------------------------


def node_or_skip() -> str:
    node = shutil.which("node")
    if node is None or shutil.which("npm") is None:
        pytest.skip("node or npm is not installed: the JavaScript clients are not checked")
    if not (JS / "node_modules" / "amazon-cognito-identity-js").is_dir():
        pytest.fail(
            f"{JS}/node_modules is missing: run the tests with `make test` (it installs them)"
        )
    return node


@pytest.mark.parametrize("script", sorted(JS_CHECKS))
def test_javascript_clients(deployment: Deployment, script: str, tmp_path: Path) -> None:
    node = node_or_skip()
    served = deployment.served
    config = {
        **served.stack,
        "outbox": str(served.outbox),
        "username": deployment.new_user(script),
        "password": PASSWORD,
        "auth_flow": deployment.auth_flow,
    }
    (tmp_path / "config.json").write_text(json.dumps(config))
    done = subprocess.run(
        [node, str(JS / f"{script}.mjs"), str(tmp_path / "config.json")],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
        cwd=JS,
    )
    lines = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    failed = [line for line in lines if not line["ok"]]
    assert not failed, json.dumps(failed, indent=2) + done.stderr[-2000:]
    expected = JS_CHECKS[script][deployment.auth_flow] + JS_CHECKS[script]["after"]
    assert [line["check"] for line in lines] == [f"{script}.{name}" for name in expected], (
        done.stderr
    )
    assert done.returncode == 0, done.stderr
    # Nothing secret in what the scripts print.
    assert PASSWORD not in done.stdout and not re.search(r"eyJ[\w-]{20,}", done.stdout)


# --- several methods, through the AWS CLI ---------------------------------------------------------


def respond_with(call: Client, served: Served) -> Callable[..., dict[str, Any]]:
    """RespondToAuthChallenge to a CUSTOM_CHALLENGE step, through ``call`` (the AWS CLI)."""

    def respond(step: dict[str, Any], answer: str, **extra: Any) -> dict[str, Any]:
        return call(
            "RespondToAuthChallenge",
            ClientId=served.client_id,
            ChallengeName="CUSTOM_CHALLENGE",
            Session=step["Session"],
            ChallengeResponses={
                "USERNAME": step["ChallengeParameters"]["USERNAME"],
                "ANSWER": answer,
            },
            **extra,
        )

    return respond


def test_the_aws_cli_chooses_a_method_and_switches_once(tmp_path: Path) -> None:
    """The AWS CLI against `custom-auth serve` with EMAIL_OTP and SMS_OTP: the choice round, a
    choice named in the ANSWER and in --client-metadata, a switch to SMS, and the texted code."""
    parameters = (SENDER, "SignInMethods=EMAIL_OTP,SMS_OTP", "SmsAllowedCountryCodes=1")
    with serving(tmp_path, parameters=parameters) as served:
        email = "carol@example.com"
        username = served.create_user(email, PASSWORD)
        served.cognito().admin_update_user_attributes(
            UserPoolId=served.user_pool_id,
            Username=username,
            UserAttributes=[
                {"Name": "phone_number", "Value": "+12065550123"},
                {"Name": "phone_number_verified", "Value": "true"},
            ],
        )
        call = aws_cli_client(served)
        respond = respond_with(call, served)

        choice = call(
            "InitiateAuth", ClientId=served.client_id, AuthFlow="CUSTOM_AUTH",
            AuthParameters={"USERNAME": email},
        )  # fmt: skip
        assert choice["ChallengeParameters"]["SIGN_IN_METHOD"] == "SELECT"
        assert json.loads(choice["ChallengeParameters"]["SIGN_IN_METHODS"]) == [
            "EMAIL_OTP",
            "SMS_OTP",
        ]
        assert served.sent() == 0
        emailed = respond(choice, "EMAIL_OTP", ClientMetadata={"signInMethod": "EMAIL_OTP"})
        assert emailed["ChallengeParameters"]["CODE_DELIVERY_DELIVERY_MEDIUM"] == "EMAIL"
        texted = respond(emailed, "SMS_OTP")  # the email did not arrive: try SMS
        assert texted["ChallengeParameters"]["CODE_DELIVERY_DELIVERY_MEDIUM"] == "SMS"
        assert [m["channel"] for m in served.messages()] == ["email", "sms"]
        done = respond(texted, served.latest_code(0, to="+12065550123"))
        assert set(done["AuthenticationResult"]) >= {"AccessToken", "IdToken", "RefreshToken"}


# --- sign-up, through the AWS CLI -----------------------------------------------------------------


def test_the_aws_cli_signs_up_a_new_address_and_signs_in_with_its_code(tmp_path: Path) -> None:
    """The AWS CLI against `custom-auth serve` with PasswordlessSignUp: a new address, named in
    --client-metadata with the choice, gets a code; the code makes the account (SIGNED_UP); the
    next sign-in takes the same code, nothing sent again."""
    with serving(tmp_path, parameters=(SENDER, "PasswordlessSignUp=true")) as served:
        call = aws_cli_client(served)
        address = "newcomer@example.com"
        metadata = {"signInMethod": "EMAIL_OTP", "signUpAddress": address}
        respond = respond_with(call, served)

        def chosen() -> dict[str, Any]:
            choice = call(
                "InitiateAuth", ClientId=served.client_id, AuthFlow="CUSTOM_AUTH",
                AuthParameters={"USERNAME": address},
            )  # fmt: skip
            assert choice["ChallengeParameters"]["SIGN_IN_METHOD"] == "SELECT"
            return respond(choice, "EMAIL_OTP", ClientMetadata=metadata)

        waiting = chosen()
        code = served.latest_code(0, to=address)
        done = respond(waiting, code)
        assert done["ChallengeParameters"]["SIGN_IN_METHOD"] == "SIGNED_UP"
        assert "AuthenticationResult" not in done
        signed_in = respond(chosen(), code)
        assert set(signed_in["AuthenticationResult"]) >= {"AccessToken", "IdToken", "RefreshToken"}
        assert served.sent(address) == 1
