"""The local pool's tokens and password flows in-process, where the clock can be moved: expiry,
users who are gone or disabled, what the pool refuses rather than skip, and errors it cannot
help being JSON."""

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests
from botocore.config import Config
from moto.cognitoidp.models import CognitoIdpBackend

from custom_auth.challenge_responses import secret_hash
from custom_auth_local import tokens
from custom_auth_local.stack import LocalStack
from custom_auth_local.template import TemplateError
from tests.local_templates import write_template
from tests.serving import error_of
from tests.test_pool import EMAIL, SENDER, answer, initiate, latest_code, srp_sign_in

PASSWORD = "Corr3ct-Horse-Battery"
NOW = 1_900_000_000.0


def signed_in(stack: LocalStack) -> dict[str, Any]:
    result = answer(stack, initiate(stack), latest_code(stack)).authentication_result
    assert result is not None
    return {
        "AccessToken": result.access_token,
        "IdToken": result.id_token,
        "RefreshToken": result.refresh_token,
    }


def refresh(stack: LocalStack, refresh_token: str) -> Any:
    return stack.cognito().initiate_auth(
        ClientId=stack.client_id,
        AuthFlow="REFRESH_TOKEN_AUTH",
        AuthParameters={"REFRESH_TOKEN": refresh_token},
    )


@pytest.fixture
def clocked(make_custom_auth_stack: Callable[..., LocalStack]) -> tuple[LocalStack, list[float]]:
    now = [NOW]
    stack = make_custom_auth_stack(parameter_overrides=SENDER, clock=lambda: now[0])
    stack.create_user(EMAIL)
    return stack, now


def test_an_access_token_expires_after_an_hour(clocked: tuple[LocalStack, list[float]]) -> None:
    stack, now = clocked
    tokens = signed_in(stack)
    now[0] += 3600
    assert stack.cognito().get_user(AccessToken=tokens["AccessToken"])["Username"]
    now[0] += 1
    assert error_of(lambda: stack.cognito().get_user(AccessToken=tokens["AccessToken"])) == (
        "NotAuthorizedException",
        "Access Token has expired",
    )
    assert "AccessToken" in refresh(stack, tokens["RefreshToken"])["AuthenticationResult"]


def test_a_refresh_token_expires_after_thirty_days(
    clocked: tuple[LocalStack, list[float]],
) -> None:
    stack, now = clocked
    tokens = signed_in(stack)
    now[0] += 30 * 86400 + 1
    assert error_of(lambda: refresh(stack, tokens["RefreshToken"])) == (
        "NotAuthorizedException",
        "Refresh Token has expired",
    )


def test_the_template_sets_the_token_lifetimes(
    make_custom_auth_stack: Callable[..., LocalStack], tmp_path: Path
) -> None:
    path = write_template(tmp_path)
    path.write_text(
        path.read_text().replace(
            "      PreventUserExistenceErrors: ENABLED\n",
            "      PreventUserExistenceErrors: ENABLED\n"
            "      AccessTokenValidity: 10\n"
            "      TokenValidityUnits: {AccessToken: minutes}\n",
        )
    )
    stack = make_custom_auth_stack(template=path)
    stack.create_user(EMAIL)
    challenge = initiate(stack)
    result = answer(stack, challenge, "42").authentication_result
    assert result is not None and result.expires_in == 600


def test_a_disabled_or_deleted_user_cannot_refresh_or_use_the_tokens(
    clocked: tuple[LocalStack, list[float]],
) -> None:
    stack, _ = clocked
    cognito = stack.cognito()
    tokens = signed_in(stack)
    cognito.admin_disable_user(UserPoolId=stack.user_pool_id, Username=EMAIL)
    disabled = ("NotAuthorizedException", "User is disabled.")
    assert error_of(lambda: refresh(stack, tokens["RefreshToken"])) == disabled
    assert error_of(lambda: cognito.get_user(AccessToken=tokens["AccessToken"])) == disabled
    cognito.admin_delete_user(UserPoolId=stack.user_pool_id, Username=EMAIL)
    assert error_of(lambda: refresh(stack, tokens["RefreshToken"])) == (
        "NotAuthorizedException",
        "User does not exist.",
    )


# --- password flows: what comes after the password is refused, never skipped ----------------------


@pytest.fixture
def password_client(custom_auth_stack: LocalStack) -> tuple[LocalStack, str]:
    client = custom_auth_stack.cognito().create_user_pool_client(
        UserPoolId=custom_auth_stack.user_pool_id,
        ClientName="password",
        ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_USER_AUTH"],
        PreventUserExistenceErrors="ENABLED",
    )["UserPoolClient"]["ClientId"]
    return custom_auth_stack, client


def password_sign_in(stack: LocalStack, client: str) -> Any:
    return stack.cognito().initiate_auth(
        ClientId=client,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": EMAIL, "PASSWORD": PASSWORD},
    )


def test_a_user_who_must_reset_the_password_is_told_so(
    password_client: tuple[LocalStack, str],
) -> None:
    stack, client = password_client
    stack.create_user(EMAIL, password=PASSWORD)
    stack.cognito().admin_reset_user_password(UserPoolId=stack.user_pool_id, Username=EMAIL)
    assert error_of(lambda: password_sign_in(stack, client)) == (
        "PasswordResetRequiredException",
        "Password reset required for the user",
    )


def test_a_new_password_challenge_is_refused_not_skipped(
    password_client: tuple[LocalStack, str],
) -> None:
    stack, client = password_client
    stack.cognito().admin_create_user(
        UserPoolId=stack.user_pool_id,
        Username=EMAIL,
        TemporaryPassword=PASSWORD,
        MessageAction="SUPPRESS",
    )
    assert error_of(lambda: password_sign_in(stack, client)) == (
        "UnsupportedOperationException",
        "The local user pool does not emulate the NEW_PASSWORD_REQUIRED challenge.",
    )


def test_mfa_after_a_password_is_refused_not_skipped(
    password_client: tuple[LocalStack, str],
) -> None:
    stack, client = password_client
    stack.create_user(EMAIL, password=PASSWORD, attributes={"phone_number": "+12065550100"})
    stack.cognito().admin_set_user_mfa_preference(
        UserPoolId=stack.user_pool_id,
        Username=EMAIL,
        SMSMfaSettings={"Enabled": True, "PreferredMfa": True},
    )
    assert error_of(lambda: password_sign_in(stack, client)) == (
        "UnsupportedOperationException",
        "The local user pool does not emulate multi-factor authentication after a password.",
    )


def test_choice_based_sign_in_is_refused_where_allowed(
    password_client: tuple[LocalStack, str],
) -> None:
    stack, client = password_client
    stack.create_user(EMAIL, password=PASSWORD)
    call = lambda: stack.cognito().initiate_auth(  # noqa: E731
        ClientId=client, AuthFlow="USER_AUTH", AuthParameters={"USERNAME": EMAIL}
    )
    assert error_of(call) == (
        "UnsupportedOperationException",
        "The local user pool does not emulate choice-based sign-in (USER_AUTH).",
    )


# --- settings the local pool refuses to guess at --------------------------------------------------


@pytest.mark.parametrize(
    ("flows", "extra", "message"),
    [
        (
            "[ADMIN_NO_SRP_AUTH, CUSTOM_AUTH_FLOW_ONLY]",
            "",
            "UserPoolClient: ExplicitAuthFlows: ADMIN_NO_SRP_AUTH is a legacy value",
        ),
        (
            "[ALLOW_CUSTOM_AUTH, ALLOW_REFRESH_TOKEN_AUTH]",
            "      RefreshTokenRotation: {Feature: ENABLED}\n",
            "UserPoolClient: RefreshTokenRotation ENABLED cannot go with ALLOW_REFRESH_TOKEN_AUTH",
        ),
    ],
)
def test_client_settings_cognito_refuses_stop_the_pool(
    make_custom_auth_stack: Callable[..., LocalStack],
    tmp_path: Path,
    flows: str,
    extra: str,
    message: str,
) -> None:
    path = write_template(tmp_path)
    path.write_text(
        path.read_text().replace(
            "ExplicitAuthFlows: [ALLOW_CUSTOM_AUTH]", f"ExplicitAuthFlows: {flows}"
        )
        + extra
    )
    with pytest.raises(TemplateError) as caught:
        make_custom_auth_stack(template=path)
    assert str(caught.value).startswith(message)


# --- a failure inside moto is a JSON error, not a traceback or an HTML page -----------------------


def test_a_call_that_fails_inside_moto_is_an_internal_error(
    custom_auth_stack: LocalStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise KeyError("a bug inside moto")

    monkeypatch.setattr(CognitoIdpBackend, "list_users", broken)
    # One try: botocore would retry a 500 and get the same answer each time.
    cognito = boto3.client(
        "cognito-idp",
        region_name=custom_auth_stack.region,
        config=Config(retries={"max_attempts": 1}),
    )
    call = lambda: cognito.list_users(UserPoolId=custom_auth_stack.user_pool_id)  # noqa: E731
    assert error_of(call) == (
        "InternalErrorException",
        "ListUsers failed inside the local user pool.",
    )


def test_the_password_flow_tells_what_cognito_tells(
    make_custom_auth_stack: Callable[..., LocalStack],
) -> None:
    stack = make_custom_auth_stack(
        parameter_overrides={"SenderEmail": "no-reply@example.com", "AllowSelfSignUp": "true"}
    )
    cognito = stack.cognito()

    def client(prevent: str) -> str:
        return str(
            cognito.create_user_pool_client(
                UserPoolId=stack.user_pool_id,
                ClientName=f"password-{prevent}",
                ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH"],
                PreventUserExistenceErrors=prevent,
            )["UserPoolClient"]["ClientId"]
        )

    legacy, hiding = client("LEGACY"), client("ENABLED")
    assert error_of(lambda: password_sign_in(stack, legacy)) == (
        "UserNotFoundException",
        "User does not exist.",
    )
    cognito.sign_up(ClientId=hiding, Username=EMAIL, Password=PASSWORD)  # never confirmed
    assert error_of(lambda: password_sign_in(stack, hiding)) == (
        "UserNotConfirmedException",
        "User is not confirmed.",
    )
    cognito.admin_confirm_sign_up(UserPoolId=stack.user_pool_id, Username=EMAIL)
    cognito.admin_disable_user(UserPoolId=stack.user_pool_id, Username=EMAIL)
    assert error_of(lambda: password_sign_in(stack, hiding)) == (
        "NotAuthorizedException",
        "User is disabled.",
    )


def test_a_client_with_a_secret_needs_it_to_refresh_and_revoke(
    make_custom_auth_stack: Callable[..., LocalStack],
) -> None:
    stack = make_custom_auth_stack(parameter_overrides={**SENDER, "GenerateClientSecret": "true"})
    assert stack.client_secret
    stack.create_user(EMAIL)
    cognito = stack.cognito()
    name = cognito.admin_get_user(UserPoolId=stack.user_pool_id, Username=EMAIL)["Username"]
    hashed = secret_hash(EMAIL, stack.client_id, stack.client_secret)
    started = cognito.initiate_auth(
        ClientId=stack.client_id,
        AuthFlow="CUSTOM_AUTH",
        AuthParameters={"USERNAME": EMAIL, "SECRET_HASH": hashed},
    )
    result = cognito.respond_to_auth_challenge(
        ClientId=stack.client_id,
        ChallengeName="CUSTOM_CHALLENGE",
        Session=started["Session"],
        ChallengeResponses={
            "USERNAME": name,
            "ANSWER": latest_code(stack),
            "SECRET_HASH": secret_hash(name, stack.client_id, stack.client_secret),
        },
    )["AuthenticationResult"]
    refresh_token = result["RefreshToken"]
    wrong = ("NotAuthorizedException", f"Unable to verify secret hash for client {stack.client_id}")
    for secret in (None, "not-the-secret-of-this-client"):
        extra = {} if secret is None else {"ClientSecret": secret}
        get = functools.partial(
            cognito.get_tokens_from_refresh_token,
            ClientId=stack.client_id,
            RefreshToken=refresh_token,
            **extra,
        )
        revoke = functools.partial(
            cognito.revoke_token, ClientId=stack.client_id, Token=refresh_token, **extra
        )
        assert error_of(get) == wrong and error_of(revoke) == wrong
    got = cognito.get_tokens_from_refresh_token(
        ClientId=stack.client_id, RefreshToken=refresh_token, ClientSecret=stack.client_secret
    )
    assert "AccessToken" in got["AuthenticationResult"]
    # REFRESH_TOKEN_AUTH takes SECRET_HASH over the user's username (a UUID here).
    renewed = cognito.initiate_auth(
        ClientId=stack.client_id,
        AuthFlow="REFRESH_TOKEN_AUTH",
        AuthParameters={
            "REFRESH_TOKEN": refresh_token,
            "SECRET_HASH": secret_hash(name, stack.client_id, stack.client_secret),
        },
    )
    assert "AccessToken" in renewed["AuthenticationResult"]
    cognito.revoke_token(
        ClientId=stack.client_id, Token=refresh_token, ClientSecret=stack.client_secret
    )
    assert error_of(
        lambda: cognito.get_tokens_from_refresh_token(
            ClientId=stack.client_id, RefreshToken=refresh_token, ClientSecret=stack.client_secret
        )
    ) == ("NotAuthorizedException", "Refresh Token has been revoked")


def test_moto_keeps_answering_for_pools_that_are_not_local(custom_auth_stack: LocalStack) -> None:
    cognito = custom_auth_stack.cognito()
    other = cognito.create_user_pool(PoolName="plain-moto")["UserPool"]["Id"]
    client = cognito.create_user_pool_client(UserPoolId=other, ClientName="plain")[
        "UserPoolClient"
    ]["ClientId"]
    assert (
        error_of(lambda: cognito.get_tokens_from_refresh_token(ClientId=client, RefreshToken="x"))[
            0
        ]
        == "UnsupportedOperationException"
    )
    assert error_of(lambda: cognito.revoke_token(ClientId=client, Token="x"))[0] == (
        "UnsupportedOperationException"
    )
    # Its keys are moto's own, not the local pool's.
    local = tokens.fetch_jwks(tokens.issuer("us-east-1", custom_auth_stack.user_pool_id))
    plain = tokens.fetch_jwks(tokens.issuer("us-east-1", other))
    assert [key["kid"] for key in plain["keys"]] == ["dummy"]
    assert "dummy" not in {key["kid"] for key in local["keys"]}
    discovery = requests.get(
        f"{tokens.issuer('us-east-1', other)}/.well-known/openid-configuration", timeout=10
    ).json()
    assert discovery["issuer"] == tokens.issuer("us-east-1", other)


def test_admin_responses_check_the_pool(custom_auth_stack: LocalStack) -> None:
    stack = custom_auth_stack
    stack.create_user(EMAIL)
    challenge = initiate(stack)
    call = lambda: stack.cognito().admin_respond_to_auth_challenge(  # noqa: E731
        UserPoolId="us-east-1_other",
        ClientId=stack.client_id,
        ChallengeName="CUSTOM_CHALLENGE",
        Session=str(challenge.session),
        ChallengeResponses={"USERNAME": EMAIL, "ANSWER": "1"},
    )
    assert error_of(call) == (
        "ResourceNotFoundException",
        "User pool us-east-1_other does not exist.",
    )


@pytest.mark.parametrize("state", ["reset", "temporary"])
def test_password_first_refuses_a_reset_or_temporary_password(
    make_custom_auth_stack: Callable[..., LocalStack], state: str
) -> None:
    stack = make_custom_auth_stack(parameter_overrides={**SENDER, "AuthFlow": "password+otp"})
    cognito = stack.cognito()
    if state == "reset":  # an administrator reset it, after a compromise say
        stack.create_user(EMAIL, password=PASSWORD)
        cognito.admin_reset_user_password(UserPoolId=stack.user_pool_id, Username=EMAIL)
        expected = ("PasswordResetRequiredException", "Password reset required for the user")
    else:  # an administrator created the user with a temporary password
        cognito.admin_create_user(
            UserPoolId=stack.user_pool_id,
            Username=EMAIL,
            TemporaryPassword=PASSWORD,
            UserAttributes=[{"Name": "email", "Value": EMAIL}],
            MessageAction="SUPPRESS",
        )
        expected = (
            "UnsupportedOperationException",
            "The local user pool does not emulate the NEW_PASSWORD_REQUIRED challenge.",
        )
    assert error_of(lambda: srp_sign_in(stack, PASSWORD)) == expected
    assert not stack.outbox.messages()  # no code was sent either


def test_nothing_secret_in_a_conversations_repr(
    make_custom_auth_stack: Callable[..., LocalStack],
) -> None:
    stack = make_custom_auth_stack(parameter_overrides={**SENDER, "AuthFlow": "password+otp"})
    stack.create_user(EMAIL, password=PASSWORD)
    challenge = srp_sign_in(stack, PASSWORD)  # now at the code round
    conversation = stack.pool.sessions.take(challenge.session)
    shown = repr(conversation)
    assert conversation.srp_challenge is not None and conversation.metadata
    for secret in (
        conversation.metadata,  # the code's record
        str(conversation.srp_challenge._b),
        str(conversation.srp_challenge._v),
        conversation.srp_challenge.secret_block,
        str(conversation.srp_a),
    ):
        assert secret not in shown
    assert "CUSTOM_AUTH" in shown and ", _b=" not in repr(conversation.srp_challenge)
