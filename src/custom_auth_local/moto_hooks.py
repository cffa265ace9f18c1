"""Routes moto's cognito-idp calls for the local pools' app clients to the pools.

moto answers InitiateAuth(CUSTOM_AUTH) with an empty result, never calls a trigger, accepts any
SRP proof, ignores the app client's ExplicitAuthFlows, signs every pool's tokens with one key
that ships inside moto, and has no GetTokensFromRefreshToken or RevokeToken. So for an app
client of a registered pool, every sign-in call (InitiateAuth, AdminInitiateAuth and both
RespondToAuthChallenge calls, whatever the flow), the refresh and revocation calls and the
pool's JWKS are answered by the pool; moto keeps the users and clients. Calls authorized by an
access token (GetUser, GlobalSignOut...) are let through to moto only once the pool has
checked the token (its signature, expiry, and that it was not revoked).

The routing sits at moto's response layer, which both ``mock_aws`` and moto's server use. Any
cognito-idp call that fails inside moto, or that moto does not implement, gets a JSON error in
Cognito's shape, never moto's HTML error page, and no error message carries a secret of the
call (moto's sometimes are the session or the token itself).
"""

import functools
import json
import logging
import threading
import traceback
from collections.abc import Callable
from typing import Any
from urllib.parse import urlparse

from moto.cognitoidp import urls
from moto.cognitoidp.responses import (
    CognitoIdpJsonWebKeyResponse,
    CognitoIdpOpenIdConfigurationResponse,
    CognitoIdpResponse,
)
from moto.core.exceptions import JsonRESTError
from moto.core.responses import ActionResult, EmptyResult

from custom_auth_local import cognito_errors as errors
from custom_auth_local.pool import LocalUserPool

_log = logging.getLogger(__name__)
_pools: list[LocalUserPool] = []
_lock = threading.Lock()
_originals: dict[str, Callable[..., Any]] = {}


def register(pool: LocalUserPool) -> None:
    """Route ``pool``'s calls to it (and install the routing on first use)."""
    with _lock:
        _install()
        _pools.append(pool)


def unregister(pool: LocalUserPool) -> None:
    """Stop routing to ``pool``."""
    with _lock:
        if pool in _pools:
            _pools.remove(pool)


def _pool_for(client_id: str | None) -> LocalUserPool | None:
    with _lock:
        return next((pool for pool in _pools if pool.owns_client(client_id)), None)


def _pool_named(user_pool_id: str | None) -> LocalUserPool | None:
    with _lock:
        return next((pool for pool in _pools if pool.user_pool_id == user_pool_id), None)


def _pool_that_issued(token: str) -> LocalUserPool | None:
    """The pool a JWT says it comes from (its ``kid`` or ``iss``), before any check: that pool
    then judges it, so a forgery naming a local pool is refused by that pool."""
    with _lock:
        pools = list(_pools)
    return next((pool for pool in pools if pool.tokens.named_in(token)), None)


# --- the calls the pools answer -------------------------------------------------------------------


def _initiate(admin: bool) -> Callable[[CognitoIdpResponse], Any]:
    name = "admin_initiate_auth" if admin else "initiate_auth"

    def initiate(self: CognitoIdpResponse) -> Any:
        pool = _pool_for(self._get_param("ClientId"))
        if pool is None:
            return _originals[name](self)
        return ActionResult(
            pool.initiate(
                self._get_param("ClientId"),
                str(self._get_param("AuthFlow")),
                self._get_param("AuthParameters") or {},
                admin=admin,
                user_pool_id=self._get_param("UserPoolId"),
            )
        )

    return initiate


def _respond(admin: bool) -> Callable[[CognitoIdpResponse], Any]:
    name = "admin_respond_to_auth_challenge" if admin else "respond_to_auth_challenge"

    def respond(self: CognitoIdpResponse) -> Any:
        pool = _pool_for(self._get_param("ClientId"))
        if pool is None:
            return _originals[name](self)
        return ActionResult(
            pool.respond(
                self._get_param("ClientId"),
                str(self._get_param("ChallengeName")),
                self._get_param("Session"),
                self._get_param("ChallengeResponses") or {},
                self._get_param("ClientMetadata"),
                admin=admin,
                user_pool_id=self._get_param("UserPoolId"),
            )
        )

    return respond


def _get_tokens_from_refresh_token(self: CognitoIdpResponse) -> Any:
    pool = _pool_for(self._get_param("ClientId"))
    if pool is None:
        raise _not_implemented("GetTokensFromRefreshToken")
    return ActionResult(
        pool.get_tokens_from_refresh_token(
            self._get_param("ClientId"),
            self._get_param("RefreshToken"),
            self._get_param("ClientSecret"),
        )
    )


def _revoke_token(self: CognitoIdpResponse) -> Any:
    pool = _pool_for(self._get_param("ClientId"))
    if pool is None:
        raise _not_implemented("RevokeToken")
    pool.revoke_token(
        self._get_param("ClientId"), self._get_param("Token"), self._get_param("ClientSecret")
    )
    return EmptyResult()


def _global_sign_out(self: CognitoIdpResponse) -> Any:
    token = self._get_param("AccessToken")
    pool = _pool_that_issued(str(token)) if token else None
    if pool is not None:  # the token was checked before the call reached here
        pool.sign_out(pool.user_of_access_token(token))
    return _originals["global_sign_out"](self)


def _admin_user_global_sign_out(self: CognitoIdpResponse) -> Any:
    result = _originals["admin_user_global_sign_out"](self)  # checks the pool and the user
    pool = _pool_named(self._get_param("UserPoolId"))
    if pool is not None:
        pool.sign_out(str(self._get_param("Username")))
    return result


# --- codes moto does not check, and claims it lets users make about themselves --------------------

#: Calls that prove something with a code Cognito sends; moto takes any code (or none), so for
#: the local pools' clients they are refused rather than let a made-up code reset a password,
#: confirm an account or verify an address.
_UNCHECKED_CODES = {
    "forgot_password": "password reset by code (ForgotPassword)",
    "confirm_forgot_password": "password reset by code (ConfirmForgotPassword)",
    "confirm_sign_up": "confirming a sign-up by code (ConfirmSignUp)",
}
#: Attributes only Cognito (a code it sent) or an administrator may set.
VERIFIED_FLAGS = ("email_verified", "phone_number_verified")


def _refuse_unchecked_code(name: str) -> Callable[[CognitoIdpResponse], Any]:
    def refuse(self: CognitoIdpResponse) -> Any:
        if _pool_for(self._get_param("ClientId")) is None:
            return _originals[name](self)
        raise errors.not_emulated(_UNCHECKED_CODES[name])

    return refuse


def _no_verified_flags(attributes: Any) -> None:
    names = {str(a.get("Name")) for a in attributes or [] if isinstance(a, dict)}
    claimed = sorted(names.intersection(VERIFIED_FLAGS))
    if claimed:
        raise errors.not_emulated(
            f"a user setting {claimed[0]} (Cognito verifies an address with a code it sends)"
        )


def _sign_up(self: CognitoIdpResponse) -> Any:
    pool = _pool_for(self._get_param("ClientId"))
    if pool is not None:
        if pool.admin_create_user_only:
            raise errors.not_authorized("SignUp is not permitted for this user pool")
        _no_verified_flags(self._get_param("UserAttributes"))
    return _originals["sign_up"](self)


def _update_user_attributes(self: CognitoIdpResponse) -> Any:
    token = str(self._get_param("AccessToken") or "")
    pool = _pool_that_issued(token) if token else None
    if pool is None:
        return _originals["update_user_attributes"](self)
    attributes = self._get_param("UserAttributes") or []
    _no_verified_flags(attributes)
    username = pool.user_of_access_token(token)
    result = _originals["update_user_attributes"](self)
    # A new address is unverified until its code comes back, as in Cognito.
    pool.unverify({str(a.get("Name")) for a in attributes if isinstance(a, dict)}, username)
    return result


# --- every call: the access-token check, and errors in Cognito's shape ----------------------------

#: Request members whose values must never come back in an error message (moto puts some of
#: them there: a session, an access token, a secret hash).
_SECRET_MEMBERS = (
    "AccessToken",
    "Session",
    "RefreshToken",
    "Token",
    "ClientSecret",
    "Password",
    "PreviousPassword",
    "ProposedPassword",
    "ConfirmationCode",
    "SecretHash",
    "UserCode",
    "AuthParameters",
    "ChallengeResponses",
)


def _call_action(self: CognitoIdpResponse) -> Any:
    action = self._get_action()
    try:
        token = self._get_param("AccessToken")
        if token:
            pool = _pool_that_issued(str(token))
            if pool is not None:
                pool.user_of_access_token(str(token))  # raises NotAuthorizedException if dead
        status, headers, body = _originals["call_action"](self)
    except JsonRESTError as error:
        status, headers, body = _error_response(error)
    except NotImplementedError:
        status, headers, body = _error_response(_not_implemented(action))
    except Exception as error:  # noqa: BLE001 - a JSON error for the client, and a log line
        # Not the message, nor the traceback's values: moto puts tokens in both.
        where = traceback.extract_tb(error.__traceback__)[-1]
        _log.error(
            "cognito-idp %s failed inside the local user pool: %s at %s:%s",
            action,
            type(error).__name__,
            where.filename,
            where.lineno,
        )
        status, headers, body = _error_response(
            errors.CognitoError(
                "InternalErrorException", f"{action} failed inside the local user pool."
            ),
            status=500,
        )
    if int(status) >= 400:
        body = _withhold_secrets(self, body)
    return status, headers, body


def _withhold_secrets(self: CognitoIdpResponse, body: Any) -> Any:
    """An error body whose message holds a secret of the request gets a message without it."""
    secrets: list[str] = []
    for member in _SECRET_MEMBERS:
        value = self._get_param(member)
        values = value.values() if isinstance(value, dict) else [value]
        secrets.extend(str(v) for v in values if isinstance(v, str) and len(v) >= 6)
    text = body.decode() if isinstance(body, bytes) else str(body)
    if not any(secret in text for secret in secrets):
        return body
    try:
        error = json.loads(text)
    except ValueError:
        error = {"__type": "NotAuthorizedException"}
    error["message"] = "The local user pool withheld moto's message: it held a secret of the call."
    return json.dumps(error)


@functools.cache
def _cognito_operations() -> frozenset[str]:
    import botocore.session

    model = botocore.session.get_session().get_service_model("cognito-idp")
    return frozenset(model.operation_names)


def _not_implemented(action: str) -> JsonRESTError:
    if action in _cognito_operations():
        return errors.not_emulated(f"{action} (moto does not implement it either)")
    return errors.CognitoError("UnknownOperationException", "")


def _error_response(
    error: JsonRESTError, status: int | None = None
) -> tuple[int, dict[str, str], str]:
    headers = dict(error.get_headers())
    headers["Content-Type"] = "application/x-amz-json-1.1"
    return status or int(error.code), headers, error.get_body()


# --- the pools' keys ------------------------------------------------------------------------------


def _pool_in_path(full_url: str) -> LocalUserPool | None:
    return _pool_named(urlparse(full_url).path.strip("/").split("/")[0])


def _serve_jwks(request: Any, full_url: str, headers: Any) -> Any:
    pool = _pool_in_path(full_url)
    if pool is None:
        return _originals["jwks"](request, full_url, headers)
    return 200, {"Content-Type": "application/json"}, json.dumps(pool.tokens.jwks())


def _serve_openid_configuration(request: Any, full_url: str, headers: Any) -> Any:
    pool = _pool_in_path(full_url)
    if pool is None:
        return _originals["openid"](request, full_url, headers)
    issuer = pool.tokens.issuer
    document = {
        "issuer": issuer,
        "jwks_uri": f"{issuer}/.well-known/jwks.json",
        "response_types_supported": ["code", "token"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
    }
    return 200, {"Content-Type": "application/json"}, json.dumps(document)


def _install() -> None:
    if _originals:
        return
    for name, replacement in (
        ("initiate_auth", _initiate(admin=False)),
        ("admin_initiate_auth", _initiate(admin=True)),
        ("respond_to_auth_challenge", _respond(admin=False)),
        ("admin_respond_to_auth_challenge", _respond(admin=True)),
        ("global_sign_out", _global_sign_out),
        ("admin_user_global_sign_out", _admin_user_global_sign_out),
        ("sign_up", _sign_up),
        ("update_user_attributes", _update_user_attributes),
        *((name, _refuse_unchecked_code(name)) for name in _UNCHECKED_CODES),
        ("call_action", _call_action),
    ):
        _originals[name] = getattr(CognitoIdpResponse, name)
        setattr(CognitoIdpResponse, name, replacement)
    # Actions moto lacks: methods of the response class are what moto dispatches to.
    CognitoIdpResponse.get_tokens_from_refresh_token = _get_tokens_from_refresh_token  # type: ignore[attr-defined]
    CognitoIdpResponse.revoke_token = _revoke_token  # type: ignore[attr-defined]
    # The JWKS and OpenID configuration URLs: moto looks its url_paths up per request (in
    # process) and when its server first serves cognito-idp, which is after this.
    _originals["jwks"] = CognitoIdpJsonWebKeyResponse.serve_json_web_key
    _originals["openid"] = CognitoIdpOpenIdConfigurationResponse.serve_openid_configuration
    for pattern, handler in list(urls.url_paths.items()):
        if handler is _originals["jwks"]:
            urls.url_paths[pattern] = _serve_jwks
        elif handler is _originals["openid"]:
            urls.url_paths[pattern] = _serve_openid_configuration
