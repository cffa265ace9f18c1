"""The local pool refuses what Cognito refuses, with Cognito's error codes."""

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError
from pycognito.aws_srp import AWSSRP

from custom_auth_local.stack import LocalStack
from tests.local_templates import write_template
from tests.serving import error_of

EMAIL = "alice@example.com"
SENDER = {"SenderEmail": "no-reply@example.com"}


def code_of(call: Callable[[], Any]) -> str:
    with pytest.raises(ClientError) as caught:
        call()
    return str(caught.value.response["Error"]["Code"])


def start(stack: LocalStack, **parameters: str) -> dict[str, Any]:
    reply: dict[str, Any] = stack.cognito().initiate_auth(
        ClientId=stack.client_id,
        AuthFlow="CUSTOM_AUTH",
        AuthParameters={"USERNAME": EMAIL, **parameters},
    )
    return reply


def respond(
    stack: LocalStack,
    session: str,
    challenge: str = "CUSTOM_CHALLENGE",
    client_id: str | None = None,
    **responses: str,
) -> Any:
    return stack.cognito().respond_to_auth_challenge(
        ClientId=client_id or stack.client_id,
        ChallengeName=challenge,
        Session=session,
        ChallengeResponses=responses,
    )


def test_initiate_needs_a_username(custom_auth_stack: LocalStack) -> None:
    cognito = custom_auth_stack.cognito()

    def call() -> Any:
        client_id = custom_auth_stack.client_id
        return cognito.initiate_auth(ClientId=client_id, AuthFlow="CUSTOM_AUTH", AuthParameters={})

    assert code_of(call) == "InvalidParameterException"


def test_a_disabled_user_is_not_authorized(custom_auth_stack: LocalStack) -> None:
    name = custom_auth_stack.create_user(EMAIL)
    custom_auth_stack.cognito().admin_disable_user(
        UserPoolId=custom_auth_stack.user_pool_id, Username=name
    )
    assert code_of(lambda: start(custom_auth_stack)) == "NotAuthorizedException"


def test_an_unconfirmed_user_is_told_so(
    make_custom_auth_stack: Callable[..., LocalStack],
) -> None:
    stack = make_custom_auth_stack(
        parameter_overrides={"SenderEmail": "no-reply@example.com", "AllowSelfSignUp": "true"}
    )
    stack.cognito().sign_up(
        ClientId=stack.client_id, Username=EMAIL, Password="Corr3ct-Horse-Battery"
    )
    assert code_of(lambda: start(stack)) == "UserNotConfirmedException"


def test_with_self_sign_up_no_user_can_sign_up_as_verified(
    make_custom_auth_stack: Callable[..., LocalStack],
) -> None:
    stack = make_custom_auth_stack(parameter_overrides={**SENDER, "AllowSelfSignUp": "true"})
    sign_up = lambda: stack.cognito().sign_up(  # noqa: E731
        ClientId=stack.client_id,
        Username=EMAIL,
        Password="Corr3ct-Horse-Battery",
        UserAttributes=[{"Name": "email_verified", "Value": "true"}],
    )
    assert error_of(sign_up)[0] == "UnsupportedOperationException"


def test_without_self_sign_up_signing_up_is_not_permitted(custom_auth_stack: LocalStack) -> None:
    sign_up = lambda: custom_auth_stack.cognito().sign_up(  # noqa: E731
        ClientId=custom_auth_stack.client_id, Username=EMAIL, Password="Corr3ct-Horse-Battery"
    )
    assert error_of(sign_up) == (
        "NotAuthorizedException",
        "SignUp is not permitted for this user pool",
    )


def test_admin_initiate_checks_the_pool(custom_auth_stack: LocalStack) -> None:
    custom_auth_stack.create_user(EMAIL)
    call = lambda: custom_auth_stack.cognito().admin_initiate_auth(  # noqa: E731
        UserPoolId="us-east-1_other",
        ClientId=custom_auth_stack.client_id,
        AuthFlow="CUSTOM_AUTH",
        AuthParameters={"USERNAME": EMAIL},
    )
    assert code_of(call) == "ResourceNotFoundException"


@pytest.mark.parametrize(
    ("challenge", "responses", "code"),
    [
        ("PASSWORD_VERIFIER", {"USERNAME": "{user}", "ANSWER": "1"}, "InvalidParameterException"),
        ("CUSTOM_CHALLENGE", {"ANSWER": "1"}, "InvalidParameterException"),
        (
            "CUSTOM_CHALLENGE",
            {"USERNAME": "mallory@example.com", "ANSWER": "1"},
            "NotAuthorizedException",
        ),
        ("CUSTOM_CHALLENGE", {"USERNAME": "{user}"}, "InvalidParameterException"),
    ],
)
def test_a_respond_call_that_does_not_fit_its_session(
    custom_auth_stack: LocalStack, challenge: str, responses: dict[str, str], code: str
) -> None:
    user = custom_auth_stack.create_user(EMAIL)
    session = start(custom_auth_stack)["Session"]
    filled = {k: v.format(user=user) for k, v in responses.items()}
    assert code_of(lambda: respond(custom_auth_stack, session, challenge, **filled)) == code


def test_a_session_belongs_to_its_client(custom_auth_stack: LocalStack) -> None:
    user = custom_auth_stack.create_user(EMAIL)
    other = custom_auth_stack.cognito().create_user_pool_client(
        UserPoolId=custom_auth_stack.user_pool_id,
        ClientName="other",
        ExplicitAuthFlows=["ALLOW_CUSTOM_AUTH"],
    )["UserPoolClient"]["ClientId"]
    session = start(custom_auth_stack)["Session"]
    call = lambda: respond(custom_auth_stack, session, client_id=other, USERNAME=user, ANSWER="1")  # noqa: E731
    assert code_of(call) == "NotAuthorizedException"


@pytest.mark.parametrize(
    ("source", "code"),
    [
        (
            "def lambda_handler(e, c):\n"
            '    e["response"]["publicChallengeParameters"] = {"n": 1}\n'
            "    return e\n",
            "InvalidLambdaResponseException",
        ),
        (
            'def lambda_handler(e, c):\n    e["response"]["challengeMetadata"] = 7\n    return e\n',
            "InvalidLambdaResponseException",
        ),
        ("def lambda_handler(e, c):\n    return None\n", "InvalidLambdaResponseException"),
    ],
)
def test_create_output_that_cannot_be_read(
    make_custom_auth_stack: Callable[..., LocalStack], tmp_path: Path, source: str, code: str
) -> None:
    stack = make_custom_auth_stack(template=write_template(tmp_path, create=source))
    stack.create_user(EMAIL)
    assert code_of(lambda: start(stack)) == code


@pytest.mark.parametrize(
    ("source", "outcome"),
    [
        (
            'def lambda_handler(e, c):\n    e["response"]["answerCorrect"] = "yes"\n    return e\n',
            "InvalidLambdaResponseException",
        ),
        (
            "def lambda_handler(e, c):\n    return e\n",
            "wrong",
        ),  # answerCorrect left null: not correct
    ],
)
def test_verify_output_is_read_strictly(
    make_custom_auth_stack: Callable[..., LocalStack], tmp_path: Path, source: str, outcome: str
) -> None:
    stack = make_custom_auth_stack(template=write_template(tmp_path, verify=source))
    user = stack.create_user(EMAIL)
    session = start(stack)["Session"]
    if outcome == "wrong":
        reply = respond(stack, session, USERNAME=user, ANSWER="42")
        assert reply["ChallengeName"] == "CUSTOM_CHALLENGE"  # another round, not tokens
    else:
        assert code_of(lambda: respond(stack, session, USERNAME=user, ANSWER="42")) == outcome


def test_define_must_say_something(
    make_custom_auth_stack: Callable[..., LocalStack], tmp_path: Path
) -> None:
    silent = "def lambda_handler(e, c):\n    return e\n"
    stack = make_custom_auth_stack(template=write_template(tmp_path, define=silent))
    stack.create_user(EMAIL)
    assert code_of(lambda: start(stack)) == "InvalidLambdaResponseException"


def test_password_verifier_answers_are_checked(
    make_custom_auth_stack: Callable[..., LocalStack],
) -> None:
    stack = make_custom_auth_stack(parameter_overrides={**SENDER, "AuthFlow": "password+otp"})
    user = stack.create_user(EMAIL, password="Corr3ct-Horse-Battery")
    client = AWSSRP(
        username=EMAIL,
        password="Corr3ct-Horse-Battery",
        pool_id=stack.user_pool_id,
        client_id=stack.client_id,
        client=stack.cognito(),
    )

    def challenge() -> tuple[dict[str, str], dict[str, str]]:
        parameters = client.get_auth_params()
        reply = start(stack, CHALLENGE_NAME="SRP_A", SRP_A=parameters["SRP_A"])
        answers = client.process_challenge(reply["ChallengeParameters"], parameters)
        return reply, answers

    reply, answers = challenge()
    missing = {k: v for k, v in answers.items() if k != "TIMESTAMP"}
    assert (
        code_of(lambda: respond(stack, reply["Session"], "PASSWORD_VERIFIER", **missing))
        == "InvalidParameterException"
    )
    reply, answers = challenge()
    bad_time = {**answers, "TIMESTAMP": "yesterday"}
    assert (
        code_of(lambda: respond(stack, reply["Session"], "PASSWORD_VERIFIER", **bad_time))
        == "InvalidParameterException"
    )
    reply, answers = challenge()
    stale = {**answers, "TIMESTAMP": "Sun Nov 22 00:00:00 UTC 2020"}
    assert (
        code_of(lambda: respond(stack, reply["Session"], "PASSWORD_VERIFIER", **stale))
        == "NotAuthorizedException"
    )
    reply, answers = challenge()
    other_block = {**answers, "PASSWORD_CLAIM_SECRET_BLOCK": "b3RoZXI="}
    assert (
        code_of(lambda: respond(stack, reply["Session"], "PASSWORD_VERIFIER", **other_block))
        == "NotAuthorizedException"
    )
    assert not stack.outbox.messages()
    assert user


def test_srp_a_is_required_with_challenge_name_srp_a(
    make_custom_auth_stack: Callable[..., LocalStack],
) -> None:
    stack = make_custom_auth_stack(parameter_overrides={**SENDER, "AuthFlow": "password+otp"})
    stack.create_user(EMAIL, password="Corr3ct-Horse-Battery")
    assert code_of(lambda: start(stack, CHALLENGE_NAME="SRP_A")) == "InvalidParameterException"


def test_an_unknown_users_password_never_verifies(
    make_custom_auth_stack: Callable[..., LocalStack],
) -> None:
    stack = make_custom_auth_stack(parameter_overrides={**SENDER, "AuthFlow": "password+otp"})
    client = AWSSRP(
        username="nobody@example.com",
        password="whatever-1A",
        pool_id=stack.user_pool_id,
        client_id=stack.client_id,
        client=stack.cognito(),
    )
    first = client.get_auth_params()
    one = stack.cognito().initiate_auth(
        ClientId=stack.client_id,
        AuthFlow="CUSTOM_AUTH",
        AuthParameters={**first, "CHALLENGE_NAME": "SRP_A"},
    )
    two = stack.cognito().initiate_auth(
        ClientId=stack.client_id,
        AuthFlow="CUSTOM_AUTH",
        AuthParameters={**client.get_auth_params(), "CHALLENGE_NAME": "SRP_A"},
    )
    assert one["ChallengeName"] == "PASSWORD_VERIFIER"
    assert (
        one["ChallengeParameters"]["SALT"] == two["ChallengeParameters"]["SALT"]
    )  # stable, like a real one
    answers = client.process_challenge(one["ChallengeParameters"], first)
    assert (
        code_of(lambda: respond(stack, one["Session"], "PASSWORD_VERIFIER", **answers))
        == "NotAuthorizedException"
    )
