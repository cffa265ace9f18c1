"""The local pool's tokens, as Cognito issues them: ID and access tokens signed with a key made
for the pool, opaque refresh tokens, and the records that make a refresh, a revocation and a
sign-out work.

Every sign-in starts an *origin* (the ``origin_jti`` of its tokens): the refresh token and every
access token renewed from it belong to it, keep its ``auth_time`` and ``event_id``, and are
revoked with it (RevokeToken, GlobalSignOut). Tokens never appear in a ``repr``, a log line or an
error message.
"""

import base64
import json
import secrets
import threading
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeyParameters, RSAKey

from custom_auth.model import USER_ADMIN_SCOPE
from custom_auth_local import cognito_errors as errors
from custom_auth_local.tokens import issuer

_UNIT_SECONDS = {"seconds": 1, "minutes": 60, "hours": 3600, "days": 86400}
#: How many sign-ins between two passes that forget expired origins.
_PRUNE_EVERY = 256
#: The longest AccessTokenValidity Cognito allows.
_LONGEST_ACCESS_TOKEN_SECONDS = 86400


@dataclass(frozen=True)
class ClientTokenSettings:
    """An app client's token settings (CreateUserPoolClient), with Cognito's defaults."""

    client_id: str
    id_token_seconds: int = 3600
    access_token_seconds: int = 3600
    refresh_token_seconds: int = 30 * 86400
    revocation_enabled: bool = True
    rotation_enabled: bool = False
    rotation_grace_seconds: int = 0

    @classmethod
    def from_config(cls, client_id: str, config: Mapping[str, Any]) -> "ClientTokenSettings":
        """From a client's settings as CreateUserPoolClient takes them."""
        units = config.get("TokenValidityUnits") or {}
        rotation = config.get("RefreshTokenRotation") or {}

        def seconds(key: str, unit_key: str, default_unit: str, default: int) -> int:
            value = config.get(key)
            if not value:  # unset, or 0: Cognito applies the default
                return default
            return int(value) * _UNIT_SECONDS[units.get(unit_key, default_unit)]

        return cls(
            client_id=client_id,
            id_token_seconds=seconds("IdTokenValidity", "IdToken", "hours", 3600),
            access_token_seconds=seconds("AccessTokenValidity", "AccessToken", "hours", 3600),
            refresh_token_seconds=seconds(
                "RefreshTokenValidity", "RefreshToken", "days", 30 * 86400
            ),
            revocation_enabled=str(config.get("EnableTokenRevocation", True)).lower() != "false",
            rotation_enabled=rotation.get("Feature") == "ENABLED",
            rotation_grace_seconds=int(rotation.get("RetryGracePeriodSeconds", 0)),
        )


@dataclass(frozen=True)
class Principal:
    """Who the tokens are for, as they are at the time of issue."""

    username: str
    sub: str
    #: The ID token's attribute claims (``email``, ``email_verified`` as a boolean...).
    id_claims: Mapping[str, Any]
    groups: tuple[str, ...] = ()


@dataclass
class Origin:
    """One authentication and everything renewed from it."""

    origin_jti: str
    client_id: str
    username: str
    auth_time: int
    event_id: str
    refresh_expires_at: int
    revoked: bool = False


@dataclass
class _RefreshToken:
    origin_jti: str
    #: When rotation replaced it: it still works for the grace period after that, no longer
    #: (using it inside the grace period does not extend it).
    rotated_at: float | None = None


@dataclass
class TokenIssuer:
    """Issues and checks one pool's tokens."""

    user_pool_id: str
    region: str
    clock: Callable[[], float]
    #: Where the pool is served; the tokens' ``iss`` is ``<issuer_base>/<pool id>``, and the
    #: pool's JWKS is at ``<iss>/.well-known/jwks.json``, as on AWS.
    issuer_base: str | None = None
    #: One key for ID tokens and one for access tokens, as Cognito has: their ``kid``.
    key_ids: dict[str, str] = field(
        default_factory=lambda: {use: _new_key_id() for use in ("id", "access")}
    )
    _made_keys: dict[str, RSAKey] = field(default_factory=dict, repr=False)
    _origins: dict[str, Origin] = field(default_factory=dict, repr=False)
    _refresh_tokens: dict[str, _RefreshToken] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _key_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def _keys(self) -> dict[str, RSAKey]:
        # Keys of the pool's own (tokens of another pool, or of moto's shared key, never
        # verify), made when first needed: a pool that issues no token costs no key.
        with self._key_lock:
            if not self._made_keys:
                self._made_keys.update(
                    (use, RSAKey.generate_key(2048, parameters=_key_parameters(kid)))
                    for use, kid in self.key_ids.items()
                )
            return self._made_keys

    @property
    def issuer(self) -> str:
        """The ``iss`` of this pool's tokens."""
        return issuer(self.region, self.user_pool_id, self.issuer_base)

    def jwks(self) -> dict[str, Any]:
        """The pool's JSON Web Key Set: its two public keys."""
        return {"keys": [key.as_dict(private=False) for key in self._keys.values()]}

    def named_in(self, token: str) -> bool:
        """Whether ``token`` says it is this pool's: a ``kid`` of this pool's, or its issuer
        (nothing verified yet)."""
        try:
            header, claims = (_segment(part) for part in token.split(".")[:2])
        except ValueError:
            return False
        return header.get("kid") in self.key_ids.values() or claims.get("iss") == self.issuer

    def signed_by_this_pool(self, token: str) -> bool:
        """Whether ``token`` is a JWT signed with one of this pool's keys (its claims not yet
        checked)."""
        return any(self._decode(token, use) is not None for use in self._keys)

    def _decode(self, token: str, use: str) -> jwt.Token | None:
        try:
            decoded = jwt.decode(token, self._keys[use], algorithms=["RS256"])
        except (JoseError, ValueError, TypeError):
            return None
        return decoded if decoded.header.get("kid") == self.key_ids[use] else None

    # --- issuing ----------------------------------------------------------------------------------

    def sign_in(self, client: ClientTokenSettings, principal: Principal) -> dict[str, Any]:
        """The AuthenticationResult of a completed sign-in: a new origin and its three tokens."""
        now = int(self.clock())
        origin = Origin(
            origin_jti=str(uuid.uuid4()),
            client_id=client.client_id,
            username=principal.username,
            auth_time=now,
            event_id=str(uuid.uuid4()),
            refresh_expires_at=now + client.refresh_token_seconds,
        )
        refresh_token = _new_refresh_token()
        with self._lock:
            self._origins[origin.origin_jti] = origin
            self._refresh_tokens[refresh_token] = _RefreshToken(origin.origin_jti)
            if len(self._origins) % _PRUNE_EVERY == 0:
                self._forget_expired(now)
        return {**self._id_and_access(client, principal, origin), "RefreshToken": refresh_token}

    def _forget_expired(self, now: float) -> None:
        # An origin whose refresh token expired a day ago can renew nothing, and every access
        # token made from it has expired too (none lives longer than a day): forget it.
        gone = {
            jti
            for jti, origin in self._origins.items()
            if origin.refresh_expires_at < now - _LONGEST_ACCESS_TOKEN_SECONDS
        }
        for jti in gone:
            del self._origins[jti]
        for token in [t for t, record in self._refresh_tokens.items() if record.origin_jti in gone]:
            del self._refresh_tokens[token]

    def origin_of_refresh_token(
        self, client: ClientTokenSettings, refresh_token: str, *, rotate: bool = False
    ) -> Origin:
        """The live origin of ``refresh_token`` for ``client``; NotAuthorizedException
        otherwise, with Cognito's message. With ``rotate``, the token is marked replaced in the
        same step, so that of several refreshes racing with one token, only those inside the
        grace period get through."""
        with self._lock:
            now = self.clock()
            record = self._refresh_tokens.get(refresh_token)
            origin = self._origins.get(record.origin_jti) if record is not None else None
            if record is None or origin is None or origin.client_id != client.client_id:
                raise errors.not_authorized("Invalid Refresh Token.")
            if origin.revoked:
                raise errors.not_authorized("Refresh Token has been revoked")
            if record.rotated_at is not None and (
                now >= record.rotated_at + client.rotation_grace_seconds
            ):
                # Replaced by rotation, its grace period over. (Cognito's wording here is not
                # in any public capture; the error code is the model's.)
                raise errors.CognitoError(
                    "RefreshTokenReuseException", "Refresh Token has been revoked"
                )
            if now > origin.refresh_expires_at:
                raise errors.not_authorized("Refresh Token has expired")
            if rotate and record.rotated_at is None:
                record.rotated_at = now
            return origin

    def renew(
        self,
        client: ClientTokenSettings,
        refresh_token: str,
        principal: Principal,
        *,
        rotate: bool,
    ) -> dict[str, Any]:
        """New ID and access tokens of the refresh token's origin (its ``auth_time`` kept); with
        ``rotate``, a new refresh token too, and the old one dies when the grace period after
        its first renewal ends."""
        origin = self.origin_of_refresh_token(client, refresh_token, rotate=rotate)
        result = self._id_and_access(client, principal, origin)
        if rotate:
            replacement = _new_refresh_token()
            with self._lock:
                self._refresh_tokens[replacement] = _RefreshToken(origin.origin_jti)
            result["RefreshToken"] = replacement
        return result

    def _id_and_access(
        self, client: ClientTokenSettings, principal: Principal, origin: Origin
    ) -> dict[str, Any]:
        now = int(self.clock())
        common = {
            "sub": principal.sub,
            "iss": self.issuer,
            "origin_jti": origin.origin_jti,
            "event_id": origin.event_id,
            "auth_time": origin.auth_time,
            "iat": now,
        }
        groups = {"cognito:groups": list(principal.groups)} if principal.groups else {}
        id_token = self._sign(
            "id",
            {
                **common,
                **groups,
                **principal.id_claims,
                "cognito:username": principal.username,
                "aud": client.client_id,
                "token_use": "id",
                "exp": now + client.id_token_seconds,
                "jti": str(uuid.uuid4()),
            },
        )
        access_token = self._sign(
            "access",
            {
                **common,
                **groups,
                "client_id": client.client_id,
                "token_use": "access",
                "scope": USER_ADMIN_SCOPE,
                "exp": now + client.access_token_seconds,
                "jti": str(uuid.uuid4()),
                "username": principal.username,
            },
        )
        return {
            "IdToken": id_token,
            "AccessToken": access_token,
            "ExpiresIn": client.access_token_seconds,
            "TokenType": "Bearer",
        }

    def _sign(self, use: str, claims: dict[str, Any]) -> str:
        header = {"kid": self.key_ids[use], "alg": "RS256"}
        return jwt.encode(header, claims, self._keys[use])

    # --- revoking ---------------------------------------------------------------------------------

    def revoke(self, client_id: str, token: str) -> None:
        """RevokeToken: the refresh token's origin, with every access token renewed from it.

        A token of this pool's that is not a refresh token (an ID or access token) raises
        UnsupportedTokenTypeException; a refresh token of another client,
        UnauthorizedException. An unknown or already revoked refresh token is accepted, as
        revoking it again changes nothing.
        """
        if self.signed_by_this_pool(token):
            raise errors.CognitoError("UnsupportedTokenTypeException", "Unsupported token type")
        with self._lock:
            record = self._refresh_tokens.get(token)
            origin = self._origins.get(record.origin_jti) if record is not None else None
            if origin is None:
                return
            if origin.client_id != client_id:
                raise errors.CognitoError("UnauthorizedException", "Invalid client for token")
            origin.revoked = True

    def sign_out(self, username: str) -> None:
        """GlobalSignOut / AdminUserGlobalSignOut: every origin of the user, revoked."""
        with self._lock:
            for origin in self._origins.values():
                if origin.username == username:
                    origin.revoked = True

    # --- checking ---------------------------------------------------------------------------------

    def authorizer_claims(self, token: str) -> dict[str, Any] | None:
        """The claims of ``token`` as API Gateway's JWT authorizer checks it: signed by one of
        this pool's keys, this pool's issuer, not expired (by the pool's clock); None if not.
        Like that authorizer, it does not ask whether the token was revoked, nor which kind it
        is (the function checks ``token_use``); the caller checks the audience."""
        for use in self._keys:
            decoded = self._decode(token, use)
            if decoded is not None:
                claims = dict(decoded.claims)
                if claims.get("iss") == self.issuer and self.clock() < float(claims.get("exp", 0)):
                    return claims
        return None

    def access_token_origin(self, token: str) -> Origin:
        """The origin of a live access token of this pool; NotAuthorizedException otherwise,
        with Cognito's message (never the token)."""
        decoded = self._decode(token, "access")
        if decoded is None:
            raise errors.not_authorized("Invalid Access Token")
        claims = decoded.claims
        if (
            claims.get("iss") != self.issuer
            or claims.get("token_use") != "access"
            or USER_ADMIN_SCOPE not in str(claims.get("scope", "")).split()
        ):
            raise errors.not_authorized("Invalid Access Token")
        with self._lock:
            origin = self._origins.get(str(claims.get("origin_jti")))
        if origin is None:
            raise errors.not_authorized("Invalid Access Token")
        if origin.revoked:
            raise errors.not_authorized("Access Token has been revoked")
        if self.clock() > float(claims.get("exp", 0)):
            raise errors.not_authorized("Access Token has expired")
        return origin


#: Cognito's refresh tokens are encrypted JWTs (JWE compact form: five parts, this header).
_JWE_HEADER = base64.urlsafe_b64encode(
    json.dumps({"cty": "JWT", "enc": "A256GCM", "alg": "RSA-OAEP"}).encode()
).rstrip(b"=")


def _new_refresh_token() -> str:
    # Shaped like Cognito's, and as opaque: random parts nobody can read anything from.
    parts = [_JWE_HEADER.decode()] + [secrets.token_urlsafe(n) for n in (192, 9, 300, 12)]
    return ".".join(parts)


def _segment(part: str) -> dict[str, Any]:
    """One base64url JSON part of a JWT; ValueError for anything else."""
    try:
        decoded = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    except (ValueError, TypeError) as error:
        raise ValueError("not a JWT part") from error
    if not isinstance(decoded, dict):
        raise ValueError("not a JWT part")
    return decoded


def _key_parameters(kid: str) -> KeyParameters:
    return {"kid": kid, "alg": "RS256", "use": "sig"}


def _new_key_id() -> str:
    # Cognito's kids are 32 bytes in standard base64 (44 characters).
    return base64.standard_b64encode(secrets.token_bytes(32)).decode()
