"""Routes moto's cognito-idp CUSTOM_AUTH calls to the local pools; moto keeps everything else.

moto answers InitiateAuth(CUSTOM_AUTH) with an empty result and AdminInitiateAuth with
"Initiate Auth method not supported", and never calls a trigger. The four calls of the
conversation are taken over at moto's response layer (which both ``mock_aws`` and moto's
server use, and which still sees ClientMetadata) for app clients of a registered pool.
"""

import threading
from collections.abc import Callable
from typing import Any

from moto.cognitoidp.responses import CognitoIdpResponse
from moto.core.responses import ActionResult

from custom_auth_local.pool import LocalUserPool

_pools: list[LocalUserPool] = []
_lock = threading.Lock()
_originals: dict[str, Callable[[CognitoIdpResponse], Any]] = {}


def register(pool: LocalUserPool) -> None:
    """Route ``pool``'s custom-auth calls to it (and install the routing on first use)."""
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


def _initiate_auth(self: CognitoIdpResponse) -> Any:
    pool = _pool_for(self._get_param("ClientId"))
    if pool is None or self._get_param("AuthFlow") != "CUSTOM_AUTH":
        return _originals["initiate_auth"](self)
    result = pool.initiate(self._get_param("ClientId"), self._get_param("AuthParameters") or {})
    return ActionResult(result)


def _admin_initiate_auth(self: CognitoIdpResponse) -> Any:
    pool = _pool_for(self._get_param("ClientId"))
    if pool is None or self._get_param("AuthFlow") != "CUSTOM_AUTH":
        return _originals["admin_initiate_auth"](self)
    result = pool.initiate(
        self._get_param("ClientId"),
        self._get_param("AuthParameters") or {},
        user_pool_id=self._get_param("UserPoolId"),
    )
    return ActionResult(result)


def _respond(name: str) -> Callable[[CognitoIdpResponse], Any]:
    def respond(self: CognitoIdpResponse) -> Any:
        pool = _pool_for(self._get_param("ClientId"))
        session = self._get_param("Session")
        challenge = self._get_param("ChallengeName")
        ours = pool is not None and (
            challenge == "CUSTOM_CHALLENGE" or pool.sessions.knows(session)
        )
        if pool is None or not ours:
            return _originals[name](self)
        result = pool.respond(
            self._get_param("ClientId"),
            challenge,
            session,
            self._get_param("ChallengeResponses") or {},
            self._get_param("ClientMetadata"),
        )
        return ActionResult(result)

    return respond


def _install() -> None:
    if _originals:
        return
    for name, replacement in (
        ("initiate_auth", _initiate_auth),
        ("admin_initiate_auth", _admin_initiate_auth),
        ("respond_to_auth_challenge", _respond("respond_to_auth_challenge")),
        ("admin_respond_to_auth_challenge", _respond("admin_respond_to_auth_challenge")),
    ):
        _originals[name] = getattr(CognitoIdpResponse, name)
        setattr(CognitoIdpResponse, name, replacement)
