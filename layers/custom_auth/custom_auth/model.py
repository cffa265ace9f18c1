"""The challenge model: what InitiateAuth and RespondToAuthChallenge (and Admin*) return.

The four operations return one shape, ``AdminInitiateAuthResponse`` in the botocore model; this
module is its Python counterpart, as the AWS SDKs for Go, Ruby and Rust model it::

    response = AdminInitiateAuthResponse.from_dict(cognito.initiate_auth(...))
    if response.challenge_name is ChallengeName.CUSTOM_CHALLENGE:
        cognito.respond_to_auth_challenge(
            ClientId=client_id,
            ChallengeName=response.challenge_name,
            Session=response.session,
            ChallengeResponses=response.challenge_responses(client_id=client_id, ANSWER=code),
        )

Values are immutable and checked against the model of the pinned botocore (string bounds,
types, the rule that a response carries either a next challenge or tokens). ``repr`` never
shows a session or a token, and no error message ever quotes a value.
"""

import dataclasses
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Self

from custom_auth._mapping import FrozenStrMap
from custom_auth._redact import RedactedRepr, sensitive
from custom_auth._shapes import validate
from custom_auth.challenge_names import ChallengeName
from custom_auth.challenge_responses import build_challenge_responses, secret_hash
from custom_auth.errors import ChallengeResponsesError, InvalidResponseError

__all__ = [
    "AdminInitiateAuthResponse",
    "AdminRespondToAuthChallengeResponse",
    "AuthenticationResult",
    "ChallengeName",
    "ChallengeParameters",
    "InitiateAuthResponse",
    "NewDeviceMetadata",
    "RespondToAuthChallengeResponse",
    "secret_hash",
]

#: The scope of an access token issued through the API (InitiateAuth and
#: RespondToAuthChallenge, not the OAuth endpoints): it authorizes the user's own Cognito
#: calls (GetUser, GlobalSignOut...).
USER_ADMIN_SCOPE = "aws.cognito.signin.user.admin"


class ChallengeParameters(FrozenStrMap):
    """``ChallengeParameters``: an immutable string map with typed access to documented keys.

    Each property returns ``None`` when Cognito did not send the key. The JSON-valued ones
    raise :class:`InvalidResponseError` when the value is not the documented JSON.
    """

    __slots__ = ()

    @property
    def username(self) -> str | None:
        """``USERNAME``: the user the challenge is for (may be an alias)."""
        return self.get("USERNAME")

    @property
    def user_id_for_srp(self) -> str | None:
        """``USER_ID_FOR_SRP``: the real username in SRP challenges, never an alias."""
        return self.get("USER_ID_FOR_SRP")

    @property
    def mfas_can_setup(self) -> tuple[str, ...] | None:
        """``MFAS_CAN_SETUP``: the MFA types the user can set up (MFA_SETUP)."""
        return self._json_strings("MFAS_CAN_SETUP")

    @property
    def required_attributes(self) -> tuple[str, ...] | None:
        """``requiredAttributes``: attributes a NEW_PASSWORD_REQUIRED answer must set."""
        return self._json_strings("requiredAttributes")

    @property
    def user_attributes(self) -> FrozenStrMap | None:
        """``userAttributes``: the user's current attributes (NEW_PASSWORD_REQUIRED)."""
        raw = self.get("userAttributes")
        if raw is None:
            return None
        value = _load_json(raw, "userAttributes")
        return FrozenStrMap.checked(
            value, "ChallengeParameters.userAttributes", InvalidResponseError
        )

    @property
    def code_delivery_delivery_medium(self) -> str | None:
        """``CODE_DELIVERY_DELIVERY_MEDIUM``: how a code was sent (SMS or EMAIL)."""
        return self.get("CODE_DELIVERY_DELIVERY_MEDIUM")

    @property
    def code_delivery_destination(self) -> str | None:
        """``CODE_DELIVERY_DESTINATION``: where a code was sent, masked."""
        return self.get("CODE_DELIVERY_DESTINATION")

    @property
    def salt(self) -> str | None:
        """``SALT``: the user's SRP salt (PASSWORD_VERIFIER)."""
        return self.get("SALT")

    @property
    def srp_b(self) -> str | None:
        """``SRP_B``: the server's public SRP value (PASSWORD_VERIFIER)."""
        return self.get("SRP_B")

    @property
    def secret_block(self) -> str | None:
        """``SECRET_BLOCK``: the opaque block to return as PASSWORD_CLAIM_SECRET_BLOCK."""
        return self.get("SECRET_BLOCK")

    def _json_strings(self, key: str) -> tuple[str, ...] | None:
        raw = self.get(key)
        if raw is None:
            return None
        value = _load_json(raw, key)
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise InvalidResponseError(f"ChallengeParameters.{key}: must be a JSON list of strings")
        return tuple(value)


def _load_json(raw: str, key: str) -> object:
    try:
        return json.loads(raw)
    except ValueError:
        raise InvalidResponseError(f"ChallengeParameters.{key}: must be valid JSON") from None


def _member(wire: str, *, is_sensitive: bool = False) -> Any:
    """An optional dataclass field that maps to the model member ``wire``."""
    metadata = sensitive(wire=wire) if is_sensitive else {"wire": wire}
    return field(default=None, metadata=metadata)


def _wire_value(value: object) -> object:
    if isinstance(value, _Structure | FrozenStrMap):
        return value.to_dict()
    if isinstance(value, ChallengeName):
        return value.value
    if isinstance(value, tuple):
        return [_wire_value(item) for item in value]
    return value


class _Structure(RedactedRepr):
    """Shared wire conversion of the model's structures (fields carry their member name)."""

    __slots__ = ()

    #: The botocore shape this structure checks itself against.
    SHAPE: ClassVar[str]

    def to_dict(self) -> dict[str, Any]:
        """The wire shape, as boto3 returns it: absent members omitted."""
        out: dict[str, Any] = {}
        for item in dataclasses.fields(self):  # type: ignore[arg-type]
            wire = item.metadata.get("wire")
            value = getattr(self, item.name)
            if wire is not None and value is not None:
                out[wire] = _wire_value(value)
        return out

    def _check(self, path: str) -> None:
        validate(self.to_dict(), self.SHAPE, path)


def _require_instance(value: object, cls: type, path: str) -> None:
    if value is not None and not isinstance(value, cls):
        raise InvalidResponseError(
            f"{path}: must be a {cls.__name__} (use {cls.__name__}.from_dict for a wire map), "
            f"got {type(value).__name__}"
        )


def _mapping(value: object, path: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise InvalidResponseError(f"{path}: must be a map, got {type(value).__name__}")
    return value


@dataclass(frozen=True, repr=False)
class NewDeviceMetadata(_Structure):
    """``NewDeviceMetadataType``: the device Cognito remembered at this sign-in."""

    SHAPE = "NewDeviceMetadataType"

    device_key: str | None = _member("DeviceKey")
    device_group_key: str | None = _member("DeviceGroupKey")

    def __post_init__(self) -> None:
        self._check("AuthenticationResult.NewDeviceMetadata")

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Self:
        """Build from the wire map, checking it against the model first."""
        path = "AuthenticationResult.NewDeviceMetadata"
        validate(_mapping(data, path), cls.SHAPE, path)
        return cls(device_key=data.get("DeviceKey"), device_group_key=data.get("DeviceGroupKey"))


@dataclass(frozen=True, repr=False)
class AuthenticationResult(_Structure):
    """``AuthenticationResultType``: the tokens of a completed sign-in."""

    SHAPE = "AuthenticationResultType"

    access_token: str | None = _member("AccessToken", is_sensitive=True)
    expires_in: int | None = _member("ExpiresIn")
    token_type: str | None = _member("TokenType")
    refresh_token: str | None = _member("RefreshToken", is_sensitive=True)
    id_token: str | None = _member("IdToken", is_sensitive=True)
    new_device_metadata: NewDeviceMetadata | None = _member("NewDeviceMetadata")

    def __post_init__(self) -> None:
        path = "AuthenticationResult"
        _require_instance(self.new_device_metadata, NewDeviceMetadata, f"{path}.NewDeviceMetadata")
        self._check(path)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Self:
        """Build from the wire map, checking it against the model first."""
        validate(_mapping(data, "AuthenticationResult"), cls.SHAPE, "AuthenticationResult")
        device = data.get("NewDeviceMetadata")
        return cls(
            access_token=data.get("AccessToken"),
            expires_in=data.get("ExpiresIn"),
            token_type=data.get("TokenType"),
            refresh_token=data.get("RefreshToken"),
            id_token=data.get("IdToken"),
            new_device_metadata=None if device is None else NewDeviceMetadata.from_dict(device),
        )


@dataclass(frozen=True, repr=False, init=False)
class AdminInitiateAuthResponse(_Structure):
    """``AdminInitiateAuthResponse``: a next challenge to answer, or the tokens.

    The same shape answers InitiateAuth, AdminInitiateAuth, RespondToAuthChallenge and
    AdminRespondToAuthChallenge. ``request_id`` is the call's ``ResponseMetadata.RequestId``:
    metadata, not part of equality or of :meth:`to_dict`.
    """

    SHAPE = "AdminInitiateAuthResponse"

    challenge_name: ChallengeName | str | None = _member("ChallengeName")
    session: str | None = _member("Session", is_sensitive=True)
    challenge_parameters: ChallengeParameters | None = _member("ChallengeParameters")
    authentication_result: AuthenticationResult | None = _member("AuthenticationResult")
    available_challenges: tuple[ChallengeName | str, ...] | None = _member("AvailableChallenges")
    request_id: str | None = field(default=None, compare=False)

    def __init__(
        self,
        *,
        challenge_name: ChallengeName | str | None = None,
        session: str | None = None,
        challenge_parameters: Mapping[str, str] | None = None,
        authentication_result: AuthenticationResult | None = None,
        available_challenges: Sequence[ChallengeName | str] | None = None,
        request_id: str | None = None,
    ) -> None:
        """Check the values against the model and store them immutable and typed.

        Plain types are accepted where a caller has them at hand: a ``str`` challenge name,
        a mapping of challenge parameters, a list of available challenges.
        """
        if isinstance(challenge_name, str):
            challenge_name = ChallengeName.parse(challenge_name)
        if challenge_parameters is not None:
            challenge_parameters = ChallengeParameters.checked(
                challenge_parameters, "ChallengeParameters", InvalidResponseError
            )
        if isinstance(available_challenges, list | tuple):
            available_challenges = tuple(
                ChallengeName.parse(name) if isinstance(name, str) else name
                for name in available_challenges
            )
        _require_instance(authentication_result, AuthenticationResult, "AuthenticationResult")
        unchecked: object = request_id  # from_dict passes whatever ResponseMetadata held
        if unchecked is not None and not isinstance(unchecked, str):
            kind = type(unchecked).__name__
            raise InvalidResponseError(f"ResponseMetadata.RequestId: must be a string, got {kind}")
        for name, value in (
            ("challenge_name", challenge_name),
            ("session", session),
            ("challenge_parameters", challenge_parameters),
            ("authentication_result", authentication_result),
            ("available_challenges", available_challenges),
            ("request_id", request_id),
        ):
            object.__setattr__(self, name, value)
        self._check("")
        self._check_outcome()

    def _check_outcome(self) -> None:
        """The documented rule: a next challenge (ChallengeName with Session) or tokens."""
        if self.authentication_result is not None:
            present = {"ChallengeName": self.challenge_name, "Session": self.session}
            for member, value in present.items():
                if value is not None:
                    raise InvalidResponseError(
                        f"{member}: must be absent when AuthenticationResult is present "
                        "(a response carries either a next challenge or tokens)"
                    )
            return
        if self.challenge_name is None:
            raise InvalidResponseError(
                "ChallengeName: required when there is no AuthenticationResult "
                "(a response carries either a next challenge or tokens)"
            )
        if self.session is None:
            raise InvalidResponseError("Session: required with a ChallengeName")

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Self:
        """Build from what boto3 returns, ``ResponseMetadata`` included.

        Raises :class:`InvalidResponseError` naming the member and the rule when ``data``
        does not fit the model; an unknown member is an error, not silently dropped.
        """
        body = dict(_mapping(data, "response"))
        metadata = body.pop("ResponseMetadata", None)
        request_id = None
        if metadata is not None:
            request_id = _mapping(metadata, "ResponseMetadata").get("RequestId")
        validate(body, cls.SHAPE, "")
        params = body.get("ChallengeParameters")
        tokens = body.get("AuthenticationResult")
        available = body.get("AvailableChallenges")
        return cls(
            challenge_name=body.get("ChallengeName"),
            session=body.get("Session"),
            challenge_parameters=params,
            authentication_result=None
            if tokens is None
            else AuthenticationResult.from_dict(tokens),
            available_challenges=available,
            request_id=request_id,
        )

    def challenge_responses(
        self, *, client_id: str, client_secret: str | None = None, **answers: str
    ) -> dict[str, str]:
        """The ``ChallengeResponses`` map answering this response's challenge.

        USERNAME is the challenge's ``USER_ID_FOR_SRP`` when present (never an alias), else
        its ``USERNAME``; SECRET_HASH is added when ``client_secret`` is given. ``answers``
        are the challenge's own keys, for example ``ANSWER="123456"`` for CUSTOM_CHALLENGE;
        a missing or unknown key raises :class:`ChallengeResponsesError` listing the keys
        the challenge needs.
        """
        if self.challenge_name is None:
            raise ChallengeResponsesError("this response carries tokens, not a challenge")
        params = self.challenge_parameters or ChallengeParameters()
        username = params.user_id_for_srp or params.username
        if username is None:
            raise ChallengeResponsesError(
                "ChallengeParameters carry neither USER_ID_FOR_SRP nor USERNAME"
            )
        return build_challenge_responses(
            self.challenge_name,
            username,
            client_id=client_id,
            client_secret=client_secret,
            answers=answers,
            required_attributes=(
                (params.required_attributes or ())
                if self.challenge_name is ChallengeName.NEW_PASSWORD_REQUIRED
                else ()
            ),
            available_challenges=self.available_challenges,
        )


InitiateAuthResponse = AdminInitiateAuthResponse
RespondToAuthChallengeResponse = AdminInitiateAuthResponse
AdminRespondToAuthChallengeResponse = AdminInitiateAuthResponse
