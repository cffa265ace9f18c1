"""Over HTTP, the local pool refuses what Cognito refuses: no flow the app client does not allow,
no password proof it cannot check, no session twice, no tell about who has an account, and no
HTML error page for a call it does not implement."""

import base64
import functools
import json
import re
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import requests
from pycognito.aws_srp import AWSSRP

from custom_auth_local import srp
from tests.browser import SignInPage, chromium
from tests.local_templates import write_template
from tests.serving import CLI, Served, error_of, free_port, serving
from tests.triggers import ROOT

EMAIL = "carol@example.com"
PASSWORD = "Corr3ct-Horse-Battery"
NOBODY = "nobody@example.com"
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")
#: The flows that run no trigger: with one of them, the password alone returns tokens.
PASSWORD_FLOWS = [
    "ALLOW_USER_SRP_AUTH",
    "ALLOW_USER_PASSWORD_AUTH",
    "ALLOW_ADMIN_USER_PASSWORD_AUTH",
]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    with serving(tmp_path_factory.mktemp("serve-flows")) as running:
        running.create_user(EMAIL, PASSWORD)
        yield running


@pytest.fixture(scope="module")
def password_client(served: Served) -> str:
    """A second app client that allows the password flows (as a careless template might)."""
    return served.create_client(*PASSWORD_FLOWS, "ALLOW_REFRESH_TOKEN_AUTH")


# --- the template's client: custom authentication and refresh, nothing else -----------------------


@pytest.mark.parametrize(
    ("auth_flow", "parameters", "message"),
    [
        (
            "USER_PASSWORD_AUTH",
            {"PASSWORD": PASSWORD},
            "USER_PASSWORD_AUTH flow not enabled for this client",
        ),
        ("USER_SRP_AUTH", {"SRP_A": "abc123"}, "USER_SRP_AUTH is not enabled for the client."),
        ("USER_AUTH", {}, "USER_AUTH flow not enabled for this client"),
        # An admin flow through the public call is refused before the client is looked at.
        ("ADMIN_USER_PASSWORD_AUTH", {"PASSWORD": PASSWORD}, "Initiate Auth method not supported."),
    ],
)
def test_the_template_client_refuses_every_flow_but_custom_auth(
    served: Served, auth_flow: str, parameters: dict[str, str], message: str
) -> None:
    sent = served.sent()
    call = lambda: served.cognito().initiate_auth(  # noqa: E731
        ClientId=served.client_id,
        AuthFlow=auth_flow,
        AuthParameters={"USERNAME": EMAIL, **parameters},
    )
    assert error_of(call) == ("InvalidParameterException", message)
    assert served.sent() == sent  # nothing was sent either


@pytest.mark.parametrize("auth_flow", ["ADMIN_USER_PASSWORD_AUTH", "ADMIN_NO_SRP_AUTH"])
def test_the_template_client_refuses_the_admin_password_flows(
    served: Served, auth_flow: str
) -> None:
    call = lambda: served.cognito().admin_initiate_auth(  # noqa: E731
        UserPoolId=served.user_pool_id,
        ClientId=served.client_id,
        AuthFlow=auth_flow,
        AuthParameters={"USERNAME": EMAIL, "PASSWORD": PASSWORD},
    )
    assert error_of(call) == ("InvalidParameterException", "Auth flow not enabled for this client")


def test_a_client_without_refresh_refuses_to_refresh(served: Served) -> None:
    custom_only = served.create_client("ALLOW_CUSTOM_AUTH")
    tokens = served.sign_in(EMAIL, custom_only)
    call = lambda: served.cognito().initiate_auth(  # noqa: E731
        ClientId=custom_only,
        AuthFlow="REFRESH_TOKEN_AUTH",
        AuthParameters={"REFRESH_TOKEN": tokens["RefreshToken"]},
    )
    assert error_of(call) == (
        "InvalidParameterException",
        "REFRESH_TOKEN_AUTH flow not enabled for this client",
    )


def test_an_auth_flow_outside_the_api_is_a_validation_error(served: Served) -> None:
    call = lambda: served.cognito().initiate_auth(  # noqa: E731
        ClientId=served.client_id, AuthFlow="MAGIC", AuthParameters={"USERNAME": EMAIL}
    )
    code, message = error_of(call)
    assert code == "InvalidParameterException"
    assert message.startswith("1 validation error detected: Value 'MAGIC' at 'authFlow'")


# --- where a client allows the password flows, the password is checked for real -------------------


def junk_proof(parameters: dict[str, str]) -> dict[str, str]:
    return {
        "USERNAME": parameters["USER_ID_FOR_SRP"],
        "PASSWORD_CLAIM_SECRET_BLOCK": parameters["SECRET_BLOCK"],
        "TIMESTAMP": srp.cognito_timestamp(datetime.now(UTC)),
        "PASSWORD_CLAIM_SIGNATURE": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
    }


def start_srp(served: Served, client_id: str, username: str) -> dict[str, Any]:
    started: dict[str, Any] = served.cognito().initiate_auth(
        ClientId=client_id,
        AuthFlow="USER_SRP_AUTH",
        AuthParameters={"USERNAME": username, "SRP_A": srp.Client.start(served.user_pool_id).srp_a},
    )
    return started


@pytest.mark.parametrize("username", [EMAIL, NOBODY])
def test_user_srp_auth_refuses_a_junk_proof(
    served: Served, password_client: str, username: str
) -> None:
    started = start_srp(served, password_client, username)
    assert started["ChallengeName"] == "PASSWORD_VERIFIER"
    call = lambda: served.cognito().respond_to_auth_challenge(  # noqa: E731
        ClientId=password_client,
        ChallengeName="PASSWORD_VERIFIER",
        Session=started["Session"],
        ChallengeResponses=junk_proof(started["ChallengeParameters"]),
    )
    assert error_of(call) == ("NotAuthorizedException", "Incorrect username or password.")


def test_user_srp_auth_with_a_third_party_client_needs_the_right_password(
    served: Served, password_client: str
) -> None:
    def authenticate(password: str) -> dict[str, Any]:
        client = AWSSRP(
            username=EMAIL,
            password=password,
            pool_id=served.user_pool_id,
            client_id=password_client,
            client=served.cognito(),
        )
        result: dict[str, Any] = client.authenticate_user()
        return result

    assert error_of(lambda: authenticate("Wr0ng-Horse-Battery")) == (
        "NotAuthorizedException",
        "Incorrect username or password.",
    )
    assert set(authenticate(PASSWORD)["AuthenticationResult"]) >= {"IdToken", "AccessToken"}


def test_the_password_flows_check_the_password(served: Served, password_client: str) -> None:
    cognito = served.cognito()

    def public(username: str, password: str) -> Any:
        return cognito.initiate_auth(
            ClientId=password_client,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": username, "PASSWORD": password},
        )

    def admin(username: str, password: str) -> Any:
        return cognito.admin_initiate_auth(
            UserPoolId=served.user_pool_id,
            ClientId=password_client,
            AuthFlow="ADMIN_USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": username, "PASSWORD": password},
        )

    refused = ("NotAuthorizedException", "Incorrect username or password.")
    for call in (public, admin):
        assert error_of(functools.partial(call, EMAIL, "Wr0ng-Horse-Battery")) == refused
        assert error_of(functools.partial(call, NOBODY, PASSWORD)) == refused  # no tell
        assert "AccessToken" in call(EMAIL, PASSWORD)["AuthenticationResult"]


# --- sessions -------------------------------------------------------------------------------------


def test_a_reused_session_gets_cognitos_message(served: Served) -> None:
    cognito = served.cognito()
    challenge = cognito.initiate_auth(
        ClientId=served.client_id, AuthFlow="CUSTOM_AUTH", AuthParameters={"USERNAME": EMAIL}
    )

    def answer(session: str) -> Any:
        return cognito.respond_to_auth_challenge(
            ClientId=served.client_id,
            ChallengeName="CUSTOM_CHALLENGE",
            Session=session,
            ChallengeResponses={
                "USERNAME": challenge["ChallengeParameters"]["USERNAME"],
                "ANSWER": "x",
            },
        )

    answer(challenge["Session"])  # a wrong answer: the next round has a new session
    assert error_of(lambda: answer(challenge["Session"])) == (
        "NotAuthorizedException",
        "Invalid session for the user, session can only be used once.",
    )
    assert error_of(lambda: answer("A" * 128)) == (
        "NotAuthorizedException",
        "Invalid session for the user.",
    )


# --- unknown users --------------------------------------------------------------------------------


def test_usernames_in_challenges_do_not_tell_who_has_an_account(
    served: Served, password_client: str
) -> None:
    cognito = served.cognito()

    def custom_username(email: str) -> str:
        started = cognito.initiate_auth(
            ClientId=served.client_id, AuthFlow="CUSTOM_AUTH", AuthParameters={"USERNAME": email}
        )
        return str(started["ChallengeParameters"]["USERNAME"])

    def srp_identity(email: str) -> tuple[str, str, str]:
        parameters = start_srp(served, password_client, email)["ChallengeParameters"]
        return parameters["USERNAME"], parameters["USER_ID_FOR_SRP"], parameters["SALT"]

    known, nobody, other = custom_username(EMAIL), custom_username(NOBODY), custom_username("x@y.z")
    # A UUID for everyone (the pool signs in by email: its usernames are UUIDs), the same one
    # for the same name each time, as Cognito does for nobody.
    assert all(UUID.fullmatch(name) for name in (known, nobody, other))
    assert custom_username(NOBODY) == nobody and len({known, nobody, other}) == 3
    assert EMAIL not in known and NOBODY not in nobody
    known_srp, nobody_srp = srp_identity(EMAIL), srp_identity(NOBODY)
    assert known_srp[:2] == (known, known) and nobody_srp[:2] == (nobody, nobody)
    assert srp_identity(NOBODY) == nobody_srp  # the salt too is stable, as a real user's is
    assert len(known_srp[2]) == len(nobody_srp[2])


# --- calls the local pool does not implement: JSON in Cognito's shape, never HTML -----------------


def raw_call(served: Served, operation: str) -> requests.Response:
    return requests.post(
        served.endpoint,
        headers={
            "X-Amz-Target": f"AWSCognitoIdentityProviderService.{operation}",
            "Content-Type": "application/x-amz-json-1.1",
        },
        data=json.dumps({"UserPoolId": served.user_pool_id}),
        timeout=30,
    )


def test_an_operation_moto_lacks_is_a_json_error(served: Served) -> None:
    reply = raw_call(served, "GetUserAuthFactors")
    assert reply.status_code == 400
    assert reply.headers["Content-Type"] == "application/x-amz-json-1.1"
    assert reply.json() == {
        "__type": "UnsupportedOperationException",
        "message": "The local user pool does not emulate GetUserAuthFactors "
        "(moto does not implement it either).",
    }


def test_an_unknown_operation_is_answered_as_aws_answers_it(served: Served) -> None:
    reply = raw_call(served, "NoSuchOperation")
    assert reply.status_code == 400
    assert reply.json()["__type"] == "UnknownOperationException"


def test_serve_warns_of_a_client_that_skips_the_triggers(tmp_path: Path) -> None:
    template = write_template(tmp_path)
    template.write_text(
        template.read_text().replace(
            "ExplicitAuthFlows: [ALLOW_CUSTOM_AUTH]",
            "ExplicitAuthFlows: [ALLOW_CUSTOM_AUTH, ALLOW_USER_SRP_AUTH]",
        )
    )
    with serving(tmp_path, parameters=(), template=template) as running:
        assert running.stack["explicit_auth_flows"] == ["ALLOW_CUSTOM_AUTH", "ALLOW_USER_SRP_AUTH"]
    printed = (tmp_path / "serve.log").read_text()
    assert (
        "custom-auth: warning: the app client allows ALLOW_USER_SRP_AUTH: a password alone "
        "signs in there, without the triggers"
    ) in printed
    # No web/ beside this template: the API only, and it says so.
    assert "sign-in page  none: no web/index.html beside the template (--web DIR)" in printed
    assert "sign_in_page" not in running.stack


def test_serve_on_every_interface_warns_and_its_page_works(tmp_path: Path) -> None:
    # Deliberately every interface, for the few seconds of the test: the warning is the point.
    options = ("--host", "0.0.0.0")  # noqa: S104
    with serving(tmp_path, users=("ada@example.com",), options=options) as running:
        assert running.endpoint.startswith("http://0.0.0.0:")
        with chromium() as driver:  # the URL it printed: the page calls the API it came from
            page = SignInPage(driver, running.stack["sign_in_page"], "test_serve_flows/0.0.0.0")
            page.open()
            page.sign_in_as("ada@example.com")
            page.enter_code(running.latest_code(0))
            page.wait_for_step("signed-in-step")
    assert (
        "custom-auth: warning: --host 0.0.0.0: anyone who can reach this port can read the "
        "outbox page, codes included"
    ) in (tmp_path / "serve.log").read_text()


def test_serve_refuses_a_web_folder_without_a_page(tmp_path: Path) -> None:
    done = subprocess.run(
        [CLI, "serve", "--web", str(tmp_path), "--port", str(free_port())],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert f"--web {tmp_path}: no index.html there (the sign-in page's folder)" in done.stderr


# --- codes moto never checks, and claims a user cannot make ---------------------------------------


@pytest.mark.parametrize(
    ("operation", "request_", "what"),
    [
        ("forgot_password", {"Username": EMAIL}, "password reset by code (ForgotPassword)"),
        (
            "confirm_forgot_password",
            {"Username": EMAIL, "ConfirmationCode": "000000", "Password": "Att4cker-Passw0rd-1"},
            "password reset by code (ConfirmForgotPassword)",
        ),
        (
            "confirm_sign_up",
            {"Username": EMAIL, "ConfirmationCode": "1"},
            "confirming a sign-up by code (ConfirmSignUp)",
        ),
    ],
)
def test_a_code_the_pool_cannot_check_is_refused(
    served: Served, password_client: str, operation: str, request_: dict[str, str], what: str
) -> None:
    call = functools.partial(
        getattr(served.cognito(), operation), ClientId=served.client_id, **request_
    )
    assert error_of(call) == (
        "UnsupportedOperationException",
        f"The local user pool does not emulate {what}.",
    )
    # The password is still the user's own: a made-up code changed nothing.
    reply = served.cognito().initiate_auth(
        ClientId=password_client,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": EMAIL, "PASSWORD": PASSWORD},
    )
    assert "AccessToken" in reply["AuthenticationResult"]


def test_no_user_can_say_their_address_is_verified(served: Served) -> None:
    cognito = served.cognito()
    claimed = [
        {"Name": "email", "Value": "ceo@bigcorp.example"},
        {"Name": "email_verified", "Value": "true"},
    ]
    refused = (
        "UnsupportedOperationException",
        "The local user pool does not emulate a user setting email_verified "
        "(Cognito verifies an address with a code it sends).",
    )
    sign_up = functools.partial(
        cognito.sign_up,
        ClientId=served.client_id,
        Username="ceo@bigcorp.example",
        Password=PASSWORD,
        UserAttributes=claimed,
    )
    # The template's pool allows no self sign-up at all (AllowSelfSignUp false)...
    assert error_of(sign_up) == (
        "NotAuthorizedException",
        "SignUp is not permitted for this user pool",
    )
    # ...and a signed-in user cannot mark an address verified either.
    tokens = served.sign_in(EMAIL)
    update = functools.partial(
        cognito.update_user_attributes, AccessToken=tokens["AccessToken"], UserAttributes=claimed
    )
    assert error_of(update) == refused
    # A new address the user sets is theirs to prove: unverified, in GetUser and in ID tokens.
    cognito.update_user_attributes(AccessToken=tokens["AccessToken"], UserAttributes=[claimed[0]])
    attributes = {
        a["Name"]: a["Value"]
        for a in cognito.get_user(AccessToken=tokens["AccessToken"])["UserAttributes"]
    }
    assert attributes["email"] == "ceo@bigcorp.example"
    assert attributes["email_verified"] == "false"
    renewed = cognito.initiate_auth(
        ClientId=served.client_id,
        AuthFlow="REFRESH_TOKEN_AUTH",
        AuthParameters={"REFRESH_TOKEN": tokens["RefreshToken"]},
    )["AuthenticationResult"]
    payload = renewed["IdToken"].split(".")[1]
    id_claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    assert id_claims["email_verified"] is False
    cognito.update_user_attributes(  # back, for the other tests
        AccessToken=tokens["AccessToken"], UserAttributes=[{"Name": "email", "Value": EMAIL}]
    )
    cognito.admin_update_user_attributes(  # an administrator may say so
        UserPoolId=served.user_pool_id,
        Username=EMAIL,
        UserAttributes=[{"Name": "email_verified", "Value": "true"}],
    )


def test_no_error_message_holds_a_secret_of_the_call(served: Served) -> None:
    started = start_srp(served, served.create_client("ALLOW_USER_SRP_AUTH"), EMAIL)
    # moto answers this with the session string itself as the message.
    call = functools.partial(served.cognito().associate_software_token, Session=started["Session"])
    code, message = error_of(call)
    assert started["Session"] not in message
    assert message == "The local user pool withheld moto's message: it held a secret of the call."
    assert code == "NotAuthorizedException"


def test_a_rotating_client_refuses_refresh_token_auth(served: Served) -> None:
    # Cognito refuses this client's settings together; made through the API, it is still
    # held to rotation.
    rotating = served.create_client(
        "ALLOW_CUSTOM_AUTH",
        "ALLOW_REFRESH_TOKEN_AUTH",
        RefreshTokenRotation={"Feature": "ENABLED", "RetryGracePeriodSeconds": 0},
    )
    tokens = served.sign_in(EMAIL, rotating)
    call = functools.partial(
        served.cognito().initiate_auth,
        ClientId=rotating,
        AuthFlow="REFRESH_TOKEN_AUTH",
        AuthParameters={"REFRESH_TOKEN": tokens["RefreshToken"]},
    )
    assert error_of(call) == (
        "InvalidParameterException",
        "REFRESH_TOKEN_AUTH flow not enabled for this client",
    )


def test_admin_initiate_auth_does_not_take_user_password_auth(
    served: Served, password_client: str
) -> None:
    call = functools.partial(
        served.cognito().admin_initiate_auth,
        UserPoolId=served.user_pool_id,
        ClientId=password_client,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": EMAIL, "PASSWORD": PASSWORD},
    )
    assert error_of(call) == ("InvalidParameterException", "Initiate Auth method not supported.")
