"""The passkey API's routes: an API Gateway HTTP API event (payload 2.0) in, a response out.

API Gateway's JWT authorizer has checked the token's signature, expiry, issuer, audience and
scope (``aws.cognito.signin.user.admin``) before the function runs, and passes its claims. This
module checks them again, and what the authorizer cannot:

- the token is an access token (``token_use``) of this pool (``iss``) for an allowed client
  (``client_id``) with the user-admin scope, naming a user;
- it is still live: Cognito's ``GetUser`` with it answers (a token signed out by GlobalSignOut,
  revoked with its refresh token, or of a deleted or disabled user is refused, which no JWT
  check can see) and names the same user;
- for what changes how the user signs in (registration options, registration, deletion), the
  sign-in it comes from (``auth_time``, which refreshed tokens keep) is recent:
  ``PASSKEY_FRESH_SIGN_IN_SECONDS``, 300 by default. A stolen token refreshed for hours cannot
  add the thief's passkey; a user whose sign-in is older signs in again (401
  ``FreshSignInRequired``).

A request without claims, or whose token is no longer live, is 401; a token that is not a
usable access token 403; each with a JSON body ``{"error": ..., "message": ...}``, as every
refusal has. The local pool (``custom-auth serve``) checks the token as the authorizer does,
builds the same event, and answers ``GetUser`` itself.

``POST /passkeys/sign-in-challenge`` takes no token: it is how a usernameless sign-in gets
its challenge before it knows who is signing in.
"""

import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from hmac import compare_digest
from typing import Any

from custom_auth.code_key import error_code
from custom_auth.credentials import CredentialStore
from custom_auth.model import USER_ADMIN_SCOPE
from custom_auth.otp import CLOCK_SKEW_SECONDS
from custom_auth.passkeys import PasskeySettings
from custom_auth.registration import (
    Caller,
    RegistrationError,
    delete_passkey,
    finish_registration,
    list_passkeys,
    registration_options,
    rename_passkey,
    sign_in_challenge,
)
from custom_auth.state_store import StateUnavailableError

#: The routes, as HTTP API route keys.
SIGN_IN_CHALLENGE = "POST /passkeys/sign-in-challenge"
OPTIONS = "POST /passkeys/registration/options"
REGISTER = "POST /passkeys/registration"
LIST = "GET /passkeys"
RENAME = "PATCH /passkeys/{id}"
DELETE = "DELETE /passkeys/{id}"
ROUTES = (SIGN_IN_CHALLENGE, OPTIONS, REGISTER, LIST, RENAME, DELETE)
#: The routes that change what signs the user in: they want a recent sign-in.
CHANGES = (OPTIONS, REGISTER, DELETE)


def _logger() -> Any:
    # Imported when first needed: the local tools import this module, and Powertools' logger
    # takes its level from the environment when it is made, which they set later.
    from custom_auth.observability import logger

    return logger


@dataclass(frozen=True)
class PasskeyApi:
    """The routes, for one pool and its clients."""

    settings: PasskeySettings
    store: CredentialStore
    #: The pool's token issuer: ``https://cognito-idp.<region>.amazonaws.com/<userPoolId>``.
    issuer: str
    #: The app clients whose access tokens are accepted.
    client_ids: frozenset[str]
    #: Whether an access token is still live, and whose: the user name Cognito's GetUser
    #: gives for it (:func:`cognito_user`); raises :class:`RegistrationError` (401 when it
    #: is not live, 503 when Cognito cannot be asked).
    live_user: Callable[[str], str]
    #: ``PASSKEY_FRESH_SIGN_IN_SECONDS``: how old a sign-in may be to change passkeys.
    fresh_sign_in_seconds: int = 300
    clock: Callable[[], float] = time.time

    @property
    def user_pool_id(self) -> str:
        """The pool's id: the issuer's last part."""
        return self.issuer.rsplit("/", 1)[-1]

    def handle(self, event: Mapping[str, Any]) -> dict[str, Any]:
        """Answer one request; every refusal is a JSON error, never an exception."""
        route = event.get("routeKey") if isinstance(event, Mapping) else None
        now = int(self.clock())
        try:
            if route == SIGN_IN_CHALLENGE:
                return _ok(200, sign_in_challenge(self.settings, self.store, now))
            if route not in ROUTES:
                raise RegistrationError(404, "route: not one of the passkey API's")
            caller = self.caller(event)
            if route in CHANGES:
                self.check_fresh(event, now)
            if not compare_digest(
                self.live_user(_bearer(event)).encode(), caller.user_name.encode()
            ):
                raise RegistrationError(403, "Authorization: the token names another user")
            body = _body(event)
            if route == OPTIONS:
                return _ok(200, registration_options(self.settings, self.store, caller, now))
            if route == REGISTER:
                stored = finish_registration(self.settings, self.store, caller, body, now)
                _logger().info("passkey registered", extra={"passkeys": "registered"})
                return _ok(201, stored.described())
            if route == LIST:
                passkeys = list_passkeys(self.store, caller)
                # The RP id lets the page tell the browser which of its passkeys are gone.
                return _ok(200, {"passkeys": passkeys, "rpId": self.settings.rp_ids[0]})
            passkey_id = _path_id(event)
            if route == RENAME:
                rename_passkey(self.store, caller, passkey_id, body)
                return _ok(204, None)
            delete_passkey(self.store, caller, passkey_id)
            return _ok(204, None)
        except RegistrationError as refusal:
            _logger().warning(
                "passkey request refused",
                extra={
                    "route": route if route in ROUTES else "other",
                    "status": refusal.status,
                    "reason": str(refusal),
                },
            )
            return _error(refusal.status, str(refusal), refusal.error)
        except StateUnavailableError as error:
            _logger().error("passkey table unavailable", extra={"error": str(error)})
            return _error(503, "the passkey table is unavailable: try again")

    def caller(self, event: Mapping[str, Any]) -> Caller:
        """The user the authorizer's claims name; 401 without claims, 403 for a token that
        is not this pool's access token for an allowed client with the user-admin scope."""
        claims = _claims(event)
        if claims.get("token_use") != "access":
            raise RegistrationError(403, "Authorization: must be an access token, not an ID token")
        if claims.get("iss") != self.issuer:
            raise RegistrationError(403, "Authorization: a token of another user pool")
        if claims.get("client_id") not in self.client_ids:
            raise RegistrationError(403, "Authorization: a token of another app client")
        if USER_ADMIN_SCOPE not in str(claims.get("scope", "")).split():
            raise RegistrationError(
                403, f"Authorization: the token must have the {USER_ADMIN_SCOPE} scope"
            )
        user_name, sub = claims.get("username"), claims.get("sub")
        if not isinstance(user_name, str) or not user_name or not isinstance(sub, str):
            raise RegistrationError(403, "Authorization: the token names no user")
        return Caller(self.user_pool_id, user_name, sub)

    def check_fresh(self, event: Mapping[str, Any], now: int) -> None:
        """401 ``FreshSignInRequired`` unless the token's sign-in (``auth_time``) is at most
        :attr:`fresh_sign_in_seconds` old."""
        raw = _claims(event).get("auth_time")
        try:
            auth_time = int(str(raw))
        except ValueError:
            raise RegistrationError(403, "Authorization: the token has no auth_time") from None
        if not auth_time - CLOCK_SKEW_SECONDS <= now <= auth_time + self.fresh_sign_in_seconds:
            raise RegistrationError(
                401,
                f"Authorization: changing passkeys needs a sign-in of the last "
                f"{self.fresh_sign_in_seconds} seconds (PASSKEY_FRESH_SIGN_IN_SECONDS): "
                "sign in again",
                error="FreshSignInRequired",
            )


def _claims(event: Mapping[str, Any]) -> Mapping[str, Any]:
    context = event.get("requestContext")
    authorizer = context.get("authorizer") if isinstance(context, Mapping) else None
    jwt = authorizer.get("jwt") if isinstance(authorizer, Mapping) else None
    claims = jwt.get("claims") if isinstance(jwt, Mapping) else None
    if not isinstance(claims, Mapping) or not claims:
        raise RegistrationError(401, "Authorization: a valid access token is required")
    return claims


def _bearer(event: Mapping[str, Any]) -> str:
    """The access token the request came with (the authorizer took it from here)."""
    headers = event.get("headers")
    value = headers.get("authorization") if isinstance(headers, Mapping) else None
    token = value.removeprefix("Bearer ").strip() if isinstance(value, str) else ""
    if not token:
        raise RegistrationError(401, "Authorization: a valid access token is required")
    return token


#: GetUser's answers for a token that no longer stands for a user who may act.
_NOT_LIVE = (
    "NotAuthorizedException",
    "UserNotFoundException",
    "UserNotConfirmedException",
    "PasswordResetRequiredException",
)


def cognito_user(client_for: Callable[[], Any]) -> Callable[[str], str]:
    """:attr:`PasskeyApi.live_user` through Cognito's GetUser, with the client ``client_for``
    makes (once, when first needed)."""
    made: list[Any] = []

    def live_user(token: str) -> str:
        from botocore.exceptions import BotoCoreError, ClientError

        if not made:
            made.append(client_for())
        try:
            answer = made[0].get_user(AccessToken=token)
        except ClientError as error:
            code = error_code(error)
            if code in _NOT_LIVE:
                raise RegistrationError(
                    401, "Authorization: the token was signed out, revoked or has expired"
                ) from None
            raise _unchecked(code) from None
        except BotoCoreError as error:
            raise _unchecked(type(error).__name__) from None
        name = answer.get("Username") if isinstance(answer, Mapping) else None
        if not isinstance(name, str):
            raise _unchecked("GetUser named no user")
        return name

    return live_user


def _unchecked(why: str) -> RegistrationError:
    _logger().error("cannot check the token", extra={"error": why})
    return RegistrationError(503, "the token cannot be checked just now: try again")


def _body(event: Mapping[str, Any]) -> str:
    body = event.get("body") or ""
    if not isinstance(body, str):
        raise RegistrationError(400, "body: must be text")
    if event.get("isBase64Encoded"):
        import base64
        import binascii

        try:
            return base64.b64decode(body, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise RegistrationError(400, "body: not base64 of UTF-8 text") from None
    return body


def _path_id(event: Mapping[str, Any]) -> str:
    parameters = event.get("pathParameters")
    value = parameters.get("id") if isinstance(parameters, Mapping) else None
    if not isinstance(value, str) or not value:
        raise RegistrationError(400, "id: the passkey's id is required in the path")
    return value


_HEADERS = {"content-type": "application/json", "cache-control": "no-store"}


def _ok(status: int, value: object) -> dict[str, Any]:
    if value is None:
        return {"statusCode": status, "headers": {"cache-control": "no-store"}, "body": ""}
    return {"statusCode": status, "headers": dict(_HEADERS), "body": json.dumps(value)}


def _error(status: int, message: str, error: str | None = None) -> dict[str, Any]:
    error = error or {
        401: "Unauthorized",
        403: "Forbidden",
        404: "NotFound",
        409: "Conflict",
        413: "TooLarge",
        503: "Unavailable",
    }.get(status, "BadRequest")
    return {
        "statusCode": status,
        "headers": dict(_HEADERS),
        "body": json.dumps({"error": error, "message": message}),
    }


def from_env(env: Mapping[str, str]) -> PasskeyApi:
    """The API from ``PASSKEY_*``, ``TOKEN_ISSUER`` and ``ALLOWED_CLIENT_IDS``."""
    from custom_auth.flow_settings import SettingsError, _integer, _required

    settings = PasskeySettings.from_env(env)
    issuer = _required(env, "TOKEN_ISSUER", "the pool whose access tokens are accepted")
    if not issuer.startswith(("https://", "http://")) or issuer.endswith("/"):
        raise SettingsError(f"TOKEN_ISSUER: must be the pool's issuer URL; got {issuer!r}")
    clients = _required(env, "ALLOWED_CLIENT_IDS", "the app clients whose tokens are accepted")
    region = issuer.rsplit("/", 1)[-1].split("_", 1)[0]  # us-east-1_AbC: us-east-1

    def client() -> Any:
        import boto3

        from custom_auth.state_store import short_timeouts

        # Short timeouts: an answer within the function's 10 seconds, a JSON 503 if not.
        return boto3.client("cognito-idp", region_name=region, config=short_timeouts())

    return PasskeyApi(
        settings=settings,
        store=CredentialStore(settings.table_name),
        issuer=issuer,
        client_ids=frozenset(c.strip() for c in clients.split(",") if c.strip()),
        live_user=cognito_user(client),
        fresh_sign_in_seconds=_integer(env, "PASSKEY_FRESH_SIGN_IN_SECONDS", 300, 60, 3600),
    )
