"""Checking the tokens a sign-in ends with against the pool's published JWKS."""

from collections.abc import Mapping
from typing import Any

import requests
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from custom_auth.errors import CustomAuthError


class TokenError(CustomAuthError):
    """A token that does not verify. The message never holds the token."""


def issuer(region: str, user_pool_id: str, endpoint_url: str | None = None) -> str:
    """The pool's issuer URL, as its tokens carry it in ``iss``: on AWS
    ``https://cognito-idp.<region>.amazonaws.com/<pool>``; for a pool served elsewhere (the local
    pool's ``custom-auth serve``), ``<endpoint_url>/<pool>``. Its JWKS is under it."""
    base = endpoint_url or f"https://cognito-idp.{region}.amazonaws.com"
    return f"{base.rstrip('/')}/{user_pool_id}"


def fetch_jwks(issuer_url: str) -> dict[str, Any]:
    """The pool's JSON Web Key Set, from ``<issuer_url>/.well-known/jwks.json``."""
    url = f"{issuer_url.rstrip('/')}/.well-known/jwks.json"
    try:
        reply = requests.get(url, timeout=10)
        reply.raise_for_status()
        keys: dict[str, Any] = reply.json()
    except (requests.RequestException, ValueError) as error:
        raise TokenError(f"cannot read the JWKS at {url} ({type(error).__name__})") from None
    return keys


def verify(
    token: str,
    jwks: Mapping[str, Any],
    *,
    expected_issuer: str,
    client_id: str,
    use: str,
) -> dict[str, Any]:
    """The claims of ``token`` once its RS256 signature, issuer, client, ``token_use`` (``id``
    or ``access``) and expiry hold."""
    try:
        keys = KeySet.import_key_set(dict(jwks))  # type: ignore[arg-type]  # a JWKS document
        decoded = jwt.decode(token, keys, algorithms=["RS256"])
    except (JoseError, ValueError) as error:
        raise TokenError(
            f"{use} token: signature does not verify ({type(error).__name__})"
        ) from None
    claims: dict[str, Any] = dict(decoded.claims)
    required = {
        "iss": expected_issuer,
        "token_use": use,
        # ID tokens name the client as their audience; access tokens in client_id.
        "aud" if use == "id" else "client_id": client_id,
    }
    registry = jwt.JWTClaimsRegistry(
        exp={"essential": True},
        **{name: {"essential": True, "value": value} for name, value in required.items()},  # type: ignore[arg-type]
    )
    try:
        registry.validate(claims)
    except JoseError as error:
        raise TokenError(f"{use} token: {error.description or type(error).__name__}") from None
    return claims
