"""A CUSTOM_AUTH sign-in from the client's side, against any Cognito endpoint.

Used by ``custom-auth sign-in`` (a deployed pool, or the local endpoint) and ``custom-auth
demo``. The answers go through ``custom_auth.model``: each response is parsed and checked, and
each ChallengeResponses map is built by ``challenge_responses`` (SECRET_HASH included when the
client has a secret). With a password, the sign-in starts with SRP_A and answers
PASSWORD_VERIFIER with a real SRP proof.

Sign-in methods (``SIGN_IN_METHODS`` of the deployment): when several are enabled, the first
round is a choice (``SIGN_IN_METHOD=SELECT``, the offered ones in ``SIGN_IN_METHODS``), which
:func:`sign_in` answers with the method asked for (or the first offered), as the ``ANSWER`` and
as ``ClientMetadata.signInMethod``. A code round is answered by ``ask_code``, which may instead
return the name of another offered method: that switches to it (once per sign-in), and the
next round is that method's.

Sign-up (``sign_up=True``, a pool with ``SIGN_UP=true``): every choice also carries the
username as ``ClientMetadata.signUpAddress``, whether or not the account exists. A new
address's right code answers with a ``SIGNED_UP`` round: the account is made, and that sign-in
can go no further, so :func:`sign_in` signs in again at once, with the same method and the same
code (nothing is sent the second time), without asking ``ask_code``.
"""

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from custom_auth.errors import CustomAuthError
from custom_auth.magic_link import (
    FRAGMENT_KEY,
    MODE_METADATA_KEY,
    REDEEM,
    REDIRECT_METADATA_KEY,
    InvalidLinkError,
    ParsedLink,
    looks_like_link,
)
from custom_auth.magic_link import METHOD as MAGIC_LINK
from custom_auth.methods import METHOD_METADATA_KEY, SELECT, SIGN_IN_METHOD, SIGN_IN_METHODS
from custom_auth.model import (
    AdminInitiateAuthResponse,
    ChallengeName,
    ChallengeParameters,
    secret_hash,
)
from custom_auth.sign_up import ADDRESS_METADATA_KEY, SIGNED_UP
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


def round_method(parameters: ChallengeParameters) -> str | None:
    """The round's method (``SIGN_IN_METHOD``): SELECT for a choice, None if not named."""
    return parameters.get(SIGN_IN_METHOD)


def offered_methods(parameters: ChallengeParameters) -> tuple[str, ...]:
    """The methods the user may choose or switch to (``SIGN_IN_METHODS``); () when the
    deployment has one method (the parameter is then absent)."""
    raw = parameters.get(SIGN_IN_METHODS)
    if raw is None:
        return ()
    try:
        value = json.loads(raw)
    except ValueError:
        value = None
    if not isinstance(value, list) or not all(isinstance(name, str) for name in value):
        raise SignInError("InvalidChallenge", f"{SIGN_IN_METHODS} is not a JSON list of names")
    return tuple(value)


#: A method a terminal cannot answer: a passkey needs a browser's authenticator.
NEEDS_A_BROWSER = "PASSKEY"


def choose(parameters: ChallengeParameters, method: str | None) -> str:
    """The answer to a choice round: ``method``, which must be offered, or the first offered
    that a terminal can answer (PASSKEY only when nothing else is offered)."""
    offered = offered_methods(parameters)
    if not offered:
        raise SignInError("InvalidChallenge", "a choice of method that offers none")
    if method is None:
        return next((m for m in offered if m != NEEDS_A_BROWSER), offered[0])
    if method not in offered:
        raise SignInError(
            "MethodNotOffered",
            f"{method} is not offered to this user; the pool offers {', '.join(offered)}",
        )
    return method


def link_in(text: str) -> str | None:
    """The magic link in ``text``: the link itself (``ml1.…``) or a URL holding it in its
    fragment (``…#magic-link=ml1.…``); None when there is none."""
    candidate = text.strip()
    marker = f"#{FRAGMENT_KEY}="
    if marker in candidate:
        candidate = candidate.split(marker, 1)[1].split("&", 1)[0]
    return candidate if looks_like_link(candidate) else None


def link_user(link: str) -> str:
    """The user name a link signs in (its claims' ``u``), read without checking its MAC: what
    a sign-in started from the link gives InitiateAuth. Raises :class:`SignInError` for text
    that is not a link."""
    try:
        return ParsedLink.parse(link).claims.user_name
    except InvalidLinkError as error:
        raise SignInError("InvalidLink", f"not a sign-in link: {error}") from None


def _choice_metadata(
    answer: str, redeem: bool, redirect_uri: str | None, sign_up_address: str | None
) -> dict[str, str]:
    metadata = {METHOD_METADATA_KEY: answer}
    if sign_up_address is not None:
        metadata[ADDRESS_METADATA_KEY] = sign_up_address
    if answer == MAGIC_LINK and redeem:
        metadata[MODE_METADATA_KEY] = REDEEM
    elif answer == MAGIC_LINK and redirect_uri:
        metadata[REDIRECT_METADATA_KEY] = redirect_uri
    return metadata


def sign_in(
    client: Client,
    username: str,
    ask_code: AskCode,
    *,
    password: str | None = None,
    method: str | None = None,
    on_step: Step | None = None,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
    redeem: bool = False,
    redirect_uri: str | None = None,
    sign_up: bool = False,
) -> AdminInitiateAuthResponse:
    """Sign ``username`` in; returns the final response (with AuthenticationResult).

    ``method`` is the sign-in method to use (``EMAIL_OTP``, ``SMS_OTP``): a choice round is
    answered with it (without it, with the first offered); a deployment whose one method is
    another raises :class:`SignInError` before ``ask_code`` is asked. ``ask_code`` answers each
    code round; returning an offered method's name instead switches to that method.

    MAGIC_LINK: ``redeem`` says the caller holds a link already (nothing is sent, and
    ``ask_code`` must answer with the link); otherwise the email goes out and ``ask_code``
    answers with its code or its link, and ``redirect_uri`` names the page it points to.

    ``sign_up``: a new ``username`` (an email address or phone number) gets an account with
    its code (see the module); ``on_step`` then also sees ``("signed up", response)``."""
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
    last_answer: str | None = None  # the last code round's answer and method, for a sign-up
    last_method: str | None = None
    replay: str | None = None  # the code to answer again with, after SIGNED_UP
    restarted = False
    while response.challenge_name is not None:
        if on_step is not None:
            on_step("challenge", response)
        params = response.challenge_parameters or ChallengeParameters()
        metadata: dict[str, str] = {}
        if response.challenge_name is ChallengeName.PASSWORD_VERIFIER and srp_client and password:
            answers = srp_client.answer(dict(params), password, now())
        elif response.challenge_name is ChallengeName.CUSTOM_CHALLENGE:
            current = round_method(params)
            if current == SIGNED_UP:
                if not sign_up or last_answer is None or restarted or password is not None:
                    raise SignInError("UnexpectedChallenge", "a SIGNED_UP round out of place")
                if on_step is not None:
                    on_step("signed up", response)
                # The account exists now: sign in to it, with the same method and code.
                restarted, replay, method = True, last_answer, last_method
                response = _call(client, "initiate", parameters=parameters)
                continue
            if current == SELECT:
                answer = choose(params, method)
            elif replay is not None:
                answer, replay = replay, None
            else:
                _check_method(params, method, current)
                answer = ask_code(params)
                last_answer, last_method = answer, current
            if answer != current and answer in offered_methods(params):
                # A choice, or a switch: named in ClientMetadata too, as the ANSWER.
                address = username if sign_up else None
                metadata = _choice_metadata(answer, redeem, redirect_uri, address)
            answers = {"ANSWER": answer}
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
            metadata=metadata,
        )
    if on_step is not None:
        on_step("tokens", response)
    return response


def _check_method(parameters: ChallengeParameters, method: str | None, current: str | None) -> None:
    """A first round of a pool with one method: refuse it if it is not ``method``, before a
    code is asked for (with several methods, the choice took care of it)."""
    if method is None or current is None or current == method or offered_methods(parameters):
        return
    raise SignInError(
        "MethodNotEnabled",
        f"{method} is not enabled for this pool; its only sign-in method is {current}",
    )


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
            metadata = arguments.get("metadata")
            raw = method(
                ClientId=client.client_id,
                ChallengeName=arguments["challenge"],
                Session=arguments["session"],
                ChallengeResponses=arguments["responses"],
                **({"ClientMetadata": metadata} if metadata else {}),
                **pool,
            )
    except ClientError as error:
        detail = error.response.get("Error", {})
        raise SignInError(detail.get("Code", "Error"), detail.get("Message", "")) from None
    return AdminInitiateAuthResponse.from_dict(raw)
