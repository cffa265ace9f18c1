"""The passkey API of a local stack: the template's ``PasskeyApiFunction``, as API Gateway
would run it, with the local pool's issuer and app client in place of the template's, and its
GetUser (boto3 through moto, which the pool answers) in place of Cognito's.

:func:`passkey_api` builds it from the function's environment; :func:`api_event` turns a
request into the HTTP API event (payload 2.0) the function receives, with the claims of an
access token the local pool signed, checked as API Gateway's JWT authorizer checks them
(signature, expiry, issuer, audience): a token that fails is a 401 before the function runs.
"""

import dataclasses
import json
from collections.abc import Mapping
from typing import Any

from custom_auth.passkey_api import ROUTES, SIGN_IN_CHALLENGE, PasskeyApi, cognito_user, from_env
from custom_auth_local.stack import LocalStack

#: The template's function behind the passkey API.
FUNCTION = "PasskeyApiFunction"


def passkey_api(stack: LocalStack, overrides: Mapping[str, str] | None = None) -> PasskeyApi | None:
    """The stack's passkey API (None when the template has none: PASSKEY is off), its
    environment with ``overrides``; relative paths in it are the function's directory's, as
    in Lambda."""
    if FUNCTION not in stack.template.functions():
        return None
    spec = stack.template.function(FUNCTION)
    env = {"LAMBDA_TASK_ROOT": str(spec.code_uri), **spec.environment, **(overrides or {})}
    env["TOKEN_ISSUER"] = stack.pool.tokens.issuer
    env["ALLOWED_CLIENT_IDS"] = stack.client_id
    # GetUser goes to the local pool, which refuses signed-out and revoked tokens as Cognito does.
    return dataclasses.replace(from_env(env), live_user=cognito_user(stack.cognito))


def route_key(method: str, path: str) -> tuple[str, dict[str, str]] | None:
    """The route a request is for, and its path parameters; None for no route of the API."""
    for route in ROUTES:
        verb, pattern = route.split(" ", 1)
        if verb != method:
            continue
        if "{id}" in pattern:
            prefix = pattern.removesuffix("{id}")
            rest = path.removeprefix(prefix)
            if path.startswith(prefix) and rest and "/" not in rest:
                return route, {"id": rest}
        elif path == pattern:
            return route, {}
    return None


def api_event(
    stack: LocalStack,
    route: str,
    *,
    authorization: str | None,
    body: str = "",
    path_parameters: Mapping[str, str] | None = None,
) -> dict[str, Any] | None:
    """The event API Gateway gives the function; None when the authorizer refuses the token
    (missing, not signed by this pool, expired, or for another client): a 401."""
    context: dict[str, Any] = {"http": {"method": route.split(" ", 1)[0]}}
    if route != SIGN_IN_CHALLENGE:
        claims = _authorized(stack, authorization)
        if claims is None:
            return None
        context["authorizer"] = {"jwt": {"claims": claims, "scopes": None}}
    return {
        "version": "2.0",
        "routeKey": route,
        "rawPath": route.split(" ", 1)[1],
        "headers": {"authorization": authorization} if authorization else {},
        "pathParameters": dict(path_parameters or {}),
        "requestContext": context,
        "body": body,
        "isBase64Encoded": False,
    }


def _authorized(stack: LocalStack, authorization: str | None) -> dict[str, str] | None:
    # The authorizer takes the token alone or after "Bearer ".
    token = (authorization or "").removeprefix("Bearer ").strip()
    if not token:
        return None
    claims = stack.pool.tokens.authorizer_claims(token)
    # API Gateway checks aud (ID tokens) or client_id (access tokens) against the audience.
    if claims is None or stack.client_id not in (claims.get("aud"), claims.get("client_id")):
        return None
    # HTTP API hands the function every claim as a string.
    return {k: v if isinstance(v, str) else json.dumps(v) for k, v in claims.items()}


UNAUTHORIZED = {
    "statusCode": 401,
    "headers": {"content-type": "application/json"},
    "body": json.dumps({"message": "Unauthorized"}),
}
