"""A CUSTOM_AUTH sign-in from the client's side, against any Cognito endpoint.

Used by ``custom-auth sign-in`` (a deployed pool, or the local endpoint) and ``custom-auth
demo``. The answers go through ``custom_auth.model``: each response is parsed and checked, and
each ChallengeResponses map is built by ``challenge_responses`` (SECRET_HASH included when the
client has a secret). With a password, the sign-in starts with SRP_A and answers
PASSWORD_VERIFIER with a real SRP proof.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from custom_auth.errors import CustomAuthError
from custom_auth.model import (
    AdminInitiateAuthResponse,
    ChallengeName,
    ChallengeParameters,
    secret_hash,
)
from custom_auth_local import srp

AskCode = Callable[[ChallengeParameters], str]
Step = Callable[[str, AdminInitiateAuthResponse], None]


class SignInError(CustomAuthError):
    """Cognito refused the sign-in; the message is its error code and message."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code


@dataclass(frozen=True)
class Client:
    """An app client to sign in through."""

    cognito: Any  # a boto3 cognito-idp client
    client_id: str
    client_secret: str | None = None
    user_pool_id: str | None = None  # needed for SRP (the pool id goes into the proof)
    admin: bool = False  # AdminInitiateAuth / AdminRespondToAuthChallenge (needs user_pool_id)


def sign_in(
    client: Client,
    username: str,
    ask_code: AskCode,
    *,
    password: str | None = None,
    on_step: Step | None = None,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> AdminInitiateAuthResponse:
    """Sign ``username`` in; returns the final response (with AuthenticationResult)."""
    if (password is not None or client.admin) and not client.user_pool_id:
        raise SignInError("InvalidParameter", "a user pool id is needed for SRP and admin calls")
    parameters = {"USERNAME": username}
    if client.client_secret is not None:
        parameters["SECRET_HASH"] = secret_hash(username, client.client_id, client.client_secret)
    srp_client = None
    if password is not None:
        srp_client = srp.Client.start(str(client.user_pool_id))
        parameters |= {"CHALLENGE_NAME": "SRP_A", "SRP_A": srp_client.srp_a}

    response = _call(client, "initiate", parameters=parameters)
    while response.challenge_name is not None:
        if on_step is not None:
            on_step("challenge", response)
        params = response.challenge_parameters or ChallengeParameters()
        if response.challenge_name is ChallengeName.PASSWORD_VERIFIER and srp_client and password:
            answers = srp_client.answer(dict(params), password, now())
        elif response.challenge_name is ChallengeName.CUSTOM_CHALLENGE:
            answers = {"ANSWER": ask_code(params)}
        else:
            raise SignInError(
                "UnexpectedChallenge", f"{response.challenge_name} is not handled here"
            )
        responses = response.challenge_responses(
            client_id=client.client_id, client_secret=client.client_secret, **answers
        )
        response = _call(
            client,
            "respond",
            challenge=str(response.challenge_name),
            session=str(response.session),
            responses=responses,
        )
    if on_step is not None:
        on_step("tokens", response)
    return response


def _call(client: Client, call: str, **arguments: Any) -> AdminInitiateAuthResponse:
    cognito, admin = client.cognito, client.admin
    pool = {"UserPoolId": client.user_pool_id} if admin else {}
    try:
        if call == "initiate":
            method = cognito.admin_initiate_auth if admin else cognito.initiate_auth
            raw = method(
                ClientId=client.client_id,
                AuthFlow="CUSTOM_AUTH",
                AuthParameters=arguments["parameters"],
                **pool,
            )
        else:
            method = (
                cognito.admin_respond_to_auth_challenge
                if admin
                else cognito.respond_to_auth_challenge
            )
            raw = method(
                ClientId=client.client_id,
                ChallengeName=arguments["challenge"],
                Session=arguments["session"],
                ChallengeResponses=arguments["responses"],
                **pool,
            )
    except ClientError as error:
        detail = error.response.get("Error", {})
        raise SignInError(detail.get("Code", "Error"), detail.get("Message", "")) from None
    return AdminInitiateAuthResponse.from_dict(raw)
