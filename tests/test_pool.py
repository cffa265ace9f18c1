"""The local user pool, in-process: whole sign-ins through boto3 run the real triggers."""

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError
from pycognito.aws_srp import AWSSRP

from custom_auth.model import AdminInitiateAuthResponse, ChallengeName, secret_hash
from custom_auth_local import tokens
from custom_auth_local.invoke import Invocation
from custom_auth_local.stack import LocalStack
from tests.local_templates import RAISES, SLOW, UNREADABLE, write_template

EMAIL = "alice@example.com"
SENDER = {"SenderEmail": "no-reply@example.com"}


def latest_code(stack: LocalStack) -> str:
    match = re.search(r"(?<!\d)\d{6}(?!\d)", stack.outbox.messages()[-1].body)
    assert match is not None
    return match.group()


def initiate(stack: LocalStack, username: str = EMAIL, **extra: Any) -> AdminInitiateAuthResponse:
    raw = stack.cognito().initiate_auth(
        ClientId=stack.client_id,
        AuthFlow="CUSTOM_AUTH",
        AuthParameters={"USERNAME": username},
        **extra,
    )
    return AdminInitiateAuthResponse.from_dict(raw)


def answer(
    stack: LocalStack, challenge: AdminInitiateAuthResponse, code: str, **extra: Any
) -> AdminInitiateAuthResponse:
    raw = stack.cognito().respond_to_auth_challenge(
        ClientId=stack.client_id,
        ChallengeName=str(challenge.challenge_name),
        Session=str(challenge.session),
        ChallengeResponses=challenge.challenge_responses(client_id=stack.client_id, ANSWER=code),
        **extra,
    )
    return AdminInitiateAuthResponse.from_dict(raw)


def error_of(call: Callable[[], Any]) -> tuple[str, str]:
    with pytest.raises(ClientError) as caught:
        call()
    error = caught.value.response["Error"]
    return error["Code"], error["Message"]


def test_a_right_code_gives_tokens_that_verify_against_the_pools_jwks(
    custom_auth_stack: LocalStack,
) -> None:
    stack = custom_auth_stack
    username = stack.create_user(EMAIL)
    challenge = initiate(stack)
    assert challenge.challenge_name is ChallengeName.CUSTOM_CHALLENGE
    assert challenge.challenge_parameters == {
        "CODE_DELIVERY_DELIVERY_MEDIUM": "EMAIL",
        "CODE_DELIVERY_DESTINATION": "***@***",
        "SIGN_IN_METHOD": "EMAIL_OTP",
        "USERNAME": username,
    }
    [message] = stack.outbox.messages()
    assert (message.channel, message.to) == ("email", EMAIL)

    done = answer(stack, challenge, latest_code(stack))
    result = done.authentication_result
    assert result is not None and result.id_token and result.access_token
    expected = tokens.issuer(stack.region, stack.user_pool_id)
    jwks = tokens.fetch_jwks(expected)
    id_claims = tokens.verify(
        result.id_token, jwks, expected_issuer=expected, client_id=stack.client_id, use="id"
    )
    access = tokens.verify(
        result.access_token,
        jwks,
        expected_issuer=expected,
        client_id=stack.client_id,
        use="access",
    )
    assert id_claims["email"] == EMAIL
    assert id_claims["sub"] == access["sub"]
    assert access["username"] == username
    # Define, Create, Verify, Define: no dummy first round.
    assert stack.pool.invocations == [
        "DefineAuthChallenge",
        "CreateAuthChallenge",
        "VerifyAuthChallengeResponse",
        "DefineAuthChallenge",
    ]


def test_a_token_from_another_pool_does_not_verify(custom_auth_stack: LocalStack) -> None:
    stack = custom_auth_stack
    stack.create_user(EMAIL)
    challenge = initiate(stack)
    result = answer(stack, challenge, latest_code(stack)).authentication_result
    assert result is not None and result.id_token
    jwks = tokens.fetch_jwks(tokens.issuer(stack.region, stack.user_pool_id))
    with pytest.raises(tokens.TokenError, match="id token: "):
        tokens.verify(
            result.id_token,
            jwks,
            expected_issuer="https://elsewhere",
            client_id=stack.client_id,
            use="id",
        )
    with pytest.raises(tokens.TokenError, match="access token: "):
        tokens.verify(
            result.id_token,
            jwks,
            expected_issuer=tokens.issuer(stack.region, stack.user_pool_id),
            client_id=stack.client_id,
            use="access",
        )


def test_the_admin_calls_run_the_same_conversation(custom_auth_stack: LocalStack) -> None:
    stack = custom_auth_stack
    username = stack.create_user(EMAIL)
    cognito = stack.cognito()
    raw = cognito.admin_initiate_auth(
        UserPoolId=stack.user_pool_id,
        ClientId=stack.client_id,
        AuthFlow="CUSTOM_AUTH",
        AuthParameters={"USERNAME": EMAIL},
    )
    challenge = AdminInitiateAuthResponse.from_dict(raw)
    raw = cognito.admin_respond_to_auth_challenge(
        UserPoolId=stack.user_pool_id,
        ClientId=stack.client_id,
        ChallengeName="CUSTOM_CHALLENGE",
        Session=str(challenge.session),
        ChallengeResponses={"USERNAME": username, "ANSWER": latest_code(stack)},
    )
    assert AdminInitiateAuthResponse.from_dict(raw).authentication_result is not None


def test_three_wrong_codes_give_not_authorized(custom_auth_stack: LocalStack) -> None:
    stack = custom_auth_stack
    stack.create_user(EMAIL)
    challenge = initiate(stack)
    wrong = "000000" if latest_code(stack) != "000000" else "111111"
    challenge = answer(stack, challenge, wrong)
    challenge = answer(stack, challenge, wrong)
    assert error_of(lambda: answer(stack, challenge, wrong)) == (
        "NotAuthorizedException",
        "Incorrect username or password.",
    )
    assert len(stack.outbox.messages()) == 1


def test_a_replayed_session_is_refused(custom_auth_stack: LocalStack) -> None:
    stack = custom_auth_stack
    stack.create_user(EMAIL)
    challenge = initiate(stack)
    answer(stack, challenge, "000000")
    assert error_of(lambda: answer(stack, challenge, latest_code(stack))) == (
        "NotAuthorizedException",
        "Invalid session for the user, session can only be used once.",
    )


def test_an_expired_session_is_refused(make_custom_auth_stack: Callable[..., LocalStack]) -> None:
    now = [1_800_000_000.0]
    stack = make_custom_auth_stack(
        parameter_overrides={**SENDER, "AuthSessionValidity": "5"}, clock=lambda: now[0]
    )
    stack.create_user(EMAIL)
    fresh = initiate(stack)
    now[0] += 5 * 60  # the last second of AuthSessionValidity
    assert answer(stack, fresh, "000000").challenge_name is ChallengeName.CUSTOM_CHALLENGE
    stale = initiate(stack)
    now[0] += 5 * 60 + 1
    assert error_of(lambda: answer(stack, stale, latest_code(stack))) == (
        "NotAuthorizedException",
        "Invalid session for the user, session is expired.",
    )


def test_the_conversation_follows_the_contract(
    custom_auth_stack: LocalStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    stack = custom_auth_stack
    username = stack.create_user(EMAIL)
    seen: list[tuple[str, dict[str, Any]]] = []  # (trigger, the event it returned)
    for trigger, function in stack.pool.functions.items():
        original = function.invoke

        def recording(event: Any, trigger: str = trigger, original: Any = original) -> Invocation:
            invocation: Invocation = original(event)
            seen.append((trigger, invocation.result))
            return invocation

        monkeypatch.setattr(function, "invoke", recording)

    challenge = initiate(stack, ClientMetadata={"from": "initiate"})
    first = answer(stack, challenge, "000000", ClientMetadata={"from": "respond"})
    answer(stack, first, latest_code(stack), ClientMetadata={"from": "respond-2"})

    names = [trigger for trigger, _ in seen]
    one_round = ["VerifyAuthChallengeResponse", "DefineAuthChallenge", "CreateAuthChallenge"]
    assert names == ["DefineAuthChallenge", "CreateAuthChallenge", *one_round, *one_round[:2]]
    define_1, create_1, verify_1, define_2, create_2, verify_2, define_3 = (e for _, e in seen)
    # ClientMetadata of InitiateAuth reaches no trigger; that of a respond call reaches all three.
    assert (
        "clientMetadata" not in define_1["request"] and "clientMetadata" not in create_1["request"]
    )
    assert verify_1["request"]["clientMetadata"] == {"from": "respond"}
    assert (
        define_2["request"]["clientMetadata"]
        == create_2["request"]["clientMetadata"]
        == {"from": "respond"}
    )
    assert verify_2["request"]["clientMetadata"] == {"from": "respond-2"}
    # One ChallengeResult per completed round, its challengeMetadata carried from Create.
    assert define_1["request"]["session"] == []
    [round_1] = define_2["request"]["session"]
    assert round_1["challengeName"] == "CUSTOM_CHALLENGE" and round_1["challengeResult"] is False
    assert round_1["challengeMetadata"] == create_1["response"]["challengeMetadata"] is not None
    assert [r["challengeResult"] for r in define_3["request"]["session"]] == [False, True]
    assert create_1["request"]["challengeName"] == "CUSTOM_CHALLENGE"
    # Private parameters reach Verify only; the client sees the public ones plus USERNAME.
    private = create_1["response"]["privateChallengeParameters"]
    assert verify_1["request"]["privateChallengeParameters"] == private
    assert "privateChallengeParameters" not in define_2["request"]
    assert challenge.challenge_parameters == {
        **create_1["response"]["publicChallengeParameters"],
        "USERNAME": username,
    }
    assert private["codeHash"] not in str(challenge.to_dict())
    for _, event in seen:
        assert event["userName"] == username
        assert event["callerContext"]["clientId"] == stack.client_id
        assert event["request"]["userNotFound"] is False


def test_an_unknown_user_looks_like_a_known_one_until_it_fails(
    custom_auth_stack: LocalStack,
) -> None:
    stack = custom_auth_stack
    stack.create_user(EMAIL)

    def failing_sign_in(username: str) -> list[tuple[str | None, list[str]]]:
        steps = []
        challenge = initiate(stack, username)
        for _ in range(2):
            steps.append((challenge.challenge_name, sorted(challenge.challenge_parameters or {})))
            challenge = answer(stack, challenge, "000000")
        steps.append((challenge.challenge_name, sorted(challenge.challenge_parameters or {})))
        assert error_of(lambda: answer(stack, challenge, "000000"))[0] == "NotAuthorizedException"
        return steps

    before = len(stack.pool.invocations)
    known = failing_sign_in(EMAIL)
    known_calls = len(stack.pool.invocations) - before
    sent = len(stack.outbox.messages())
    unknown = failing_sign_in("mallory@example.com")
    assert unknown == known
    assert len(stack.pool.invocations) - before - known_calls == known_calls
    assert len(stack.outbox.messages()) == sent  # nothing sent to a nobody


def test_a_legacy_client_says_the_user_does_not_exist(custom_auth_stack: LocalStack) -> None:
    stack = custom_auth_stack
    legacy = stack.cognito().create_user_pool_client(
        UserPoolId=stack.user_pool_id,
        ClientName="legacy",
        ExplicitAuthFlows=["ALLOW_CUSTOM_AUTH"],
        PreventUserExistenceErrors="LEGACY",
    )["UserPoolClient"]["ClientId"]
    code, message = error_of(
        lambda: stack.cognito().initiate_auth(
            ClientId=legacy,
            AuthFlow="CUSTOM_AUTH",
            AuthParameters={"USERNAME": "nobody@example.com"},
        )
    )
    assert (code, message) == ("UserNotFoundException", "User does not exist.")


def test_a_client_without_custom_auth_is_refused(custom_auth_stack: LocalStack) -> None:
    stack = custom_auth_stack
    stack.create_user(EMAIL)
    other = stack.cognito().create_user_pool_client(
        UserPoolId=stack.user_pool_id,
        ClientName="srp-only",
        ExplicitAuthFlows=["ALLOW_USER_SRP_AUTH"],
    )["UserPoolClient"]["ClientId"]
    code, _ = error_of(
        lambda: stack.cognito().initiate_auth(
            ClientId=other, AuthFlow="CUSTOM_AUTH", AuthParameters={"USERNAME": EMAIL}
        )
    )
    assert code == "InvalidParameterException"
    assert not stack.outbox.messages()


def test_a_client_with_a_secret_needs_the_secret_hash(
    make_custom_auth_stack: Callable[..., LocalStack],
) -> None:
    stack = make_custom_auth_stack(parameter_overrides={**SENDER, "GenerateClientSecret": "true"})
    secret = stack.client_secret
    assert secret
    stack.create_user(EMAIL)
    cognito = stack.cognito()

    def start(parameters: dict[str, str]) -> Any:
        return cognito.initiate_auth(
            ClientId=stack.client_id, AuthFlow="CUSTOM_AUTH", AuthParameters=parameters
        )

    assert error_of(lambda: start({"USERNAME": EMAIL})) == (
        "NotAuthorizedException",
        f"Client {stack.client_id} is configured with secret but SECRET_HASH was not received",
    )
    assert error_of(lambda: start({"USERNAME": EMAIL, "SECRET_HASH": "d3Jvbmc="})) == (
        "NotAuthorizedException",
        f"Unable to verify secret hash for client {stack.client_id}",
    )
    assert not stack.outbox.messages()
    challenge = AdminInitiateAuthResponse.from_dict(
        start({"USERNAME": EMAIL, "SECRET_HASH": secret_hash(EMAIL, stack.client_id, secret)})
    )
    raw = cognito.respond_to_auth_challenge(
        ClientId=stack.client_id,
        ChallengeName="CUSTOM_CHALLENGE",
        Session=str(challenge.session),
        ChallengeResponses=challenge.challenge_responses(
            client_id=stack.client_id, client_secret=secret, ANSWER=latest_code(stack)
        ),
    )
    assert AdminInitiateAuthResponse.from_dict(raw).authentication_result is not None


# --- password, then code: the SRP proof checked, with a client nobody here wrote ----------------


def srp_sign_in(stack: LocalStack, password: str) -> AdminInitiateAuthResponse:
    """pycognito's SRP client: SRP_A, then its answer to PASSWORD_VERIFIER."""
    cognito = stack.cognito()
    client = AWSSRP(
        username=EMAIL,
        password=password,
        pool_id=stack.user_pool_id,
        client_id=stack.client_id,
        client=cognito,
    )
    parameters = client.get_auth_params()
    raw = cognito.initiate_auth(
        ClientId=stack.client_id,
        AuthFlow="CUSTOM_AUTH",
        AuthParameters={**parameters, "CHALLENGE_NAME": "SRP_A"},
    )
    assert raw["ChallengeName"] == "PASSWORD_VERIFIER"
    assert set(raw["ChallengeParameters"]) == {
        "SALT",
        "SRP_B",
        "SECRET_BLOCK",
        "USER_ID_FOR_SRP",
        "USERNAME",
    }
    assert not stack.outbox.messages()  # no code before the password is proven
    raw = cognito.respond_to_auth_challenge(
        ClientId=stack.client_id,
        ChallengeName="PASSWORD_VERIFIER",
        Session=raw["Session"],
        ChallengeResponses=client.process_challenge(raw["ChallengeParameters"], parameters),
    )
    return AdminInitiateAuthResponse.from_dict(raw)


PASSWORD = "Corr3ct-Horse-Battery"


def test_password_then_code_with_a_third_party_srp_client(
    make_custom_auth_stack: Callable[..., LocalStack],
) -> None:
    stack = make_custom_auth_stack(parameter_overrides={**SENDER, "AuthFlow": "password+otp"})
    stack.create_user(EMAIL, password=PASSWORD)
    challenge = srp_sign_in(stack, PASSWORD)
    assert challenge.challenge_name is ChallengeName.CUSTOM_CHALLENGE
    assert answer(stack, challenge, latest_code(stack)).authentication_result is not None


def test_a_wrong_password_fails_and_sends_nothing(
    make_custom_auth_stack: Callable[..., LocalStack],
) -> None:
    stack = make_custom_auth_stack(parameter_overrides={**SENDER, "AuthFlow": "password+otp"})
    stack.create_user(EMAIL, password=PASSWORD)
    assert error_of(lambda: srp_sign_in(stack, "Wr0ng-Horse-Battery")) == (
        "NotAuthorizedException",
        "Incorrect username or password.",
    )
    assert not stack.outbox.messages()


# --- trigger failures, as Cognito reports them ---------------------------------------------------


def test_a_trigger_that_raises(
    make_custom_auth_stack: Callable[..., LocalStack], tmp_path: Path
) -> None:
    stack = make_custom_auth_stack(template=write_template(tmp_path, create=RAISES))
    stack.create_user(EMAIL)
    assert error_of(lambda: initiate(stack)) == (
        "UserLambdaValidationException",
        "CreateAuthChallenge failed with error the database is unreachable.",
    )


def test_a_trigger_whose_output_cannot_be_read(
    make_custom_auth_stack: Callable[..., LocalStack], tmp_path: Path
) -> None:
    stack = make_custom_auth_stack(template=write_template(tmp_path, define=UNREADABLE))
    stack.create_user(EMAIL)
    assert error_of(lambda: initiate(stack)) == (
        "InvalidLambdaResponseException",
        "Unrecognizable lambda output",
    )


def test_a_slow_trigger_is_tried_three_times_then_fails(
    make_custom_auth_stack: Callable[..., LocalStack], tmp_path: Path
) -> None:
    stack = make_custom_auth_stack(
        template=write_template(tmp_path, verify=SLOW), trigger_timeout=0.1
    )
    stack.create_user(EMAIL)
    challenge = initiate(stack)
    code, message = error_of(lambda: answer(stack, challenge, "42"))
    assert code == "UnexpectedLambdaException"
    assert message == (
        "VerifyAuthChallengeResponse failed with error Task timed out after 0.1 seconds (3 tries)."
    )
    assert stack.pool.invocations.count("VerifyAuthChallengeResponse") == 3


def test_your_own_triggers_run_the_same_way(
    make_custom_auth_stack: Callable[..., LocalStack], tmp_path: Path
) -> None:
    stack = make_custom_auth_stack(template=write_template(tmp_path))
    stack.create_user(EMAIL)
    challenge = initiate(stack)
    assert challenge.challenge_parameters is not None
    assert challenge.challenge_parameters["hint"] == "the answer"
    assert answer(stack, challenge, "42").authentication_result is not None
