"""The envelope every custom-authentication trigger event shares, and Define's own event.

In a module of its own so that Define, which needs nothing else, imports only this
(:mod:`custom_auth.events` adds the Create and Verify events and re-exports everything here).
Parsing is tolerant where real events vary and strict where a value could only be a mistake;
see :mod:`custom_auth.events`.
"""

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, ClassVar, Self, cast

from custom_auth._evolve import evolve
from custom_auth._mapping import FrozenStrMap
from custom_auth._redact import RedactedRepr, sensitive
from custom_auth.challenge_names import ChallengeName
from custom_auth.errors import InvalidEventError


class TriggerSource(StrEnum):
    """``triggerSource`` of the three custom-authentication triggers."""

    DEFINE_AUTH_CHALLENGE = "DefineAuthChallenge_Authentication"
    CREATE_AUTH_CHALLENGE = "CreateAuthChallenge_Authentication"
    VERIFY_AUTH_CHALLENGE_RESPONSE = "VerifyAuthChallengeResponse_Authentication"


#: The ``response`` object Cognito sends each trigger, before the handler fills it in.
UNFILLED_RESPONSES: Mapping[TriggerSource, Mapping[str, None]] = {
    TriggerSource.DEFINE_AUTH_CHALLENGE: {
        "challengeName": None,
        "issueTokens": None,
        "failAuthentication": None,
    },
    TriggerSource.CREATE_AUTH_CHALLENGE: {
        "publicChallengeParameters": None,
        "privateChallengeParameters": None,
        "challengeMetadata": None,
    },
    TriggerSource.VERIFY_AUTH_CHALLENGE_RESPONSE: {"answerCorrect": None},
}


# --- reading raw values ----------------------------------------------------------------------


def _type_name(value: object) -> str:
    return "null" if value is None else type(value).__name__


def _map(data: object, path: str) -> Mapping[str, Any]:
    if not isinstance(data, Mapping):
        raise InvalidEventError(f"{path}: must be an object, got {_type_name(data)}")
    return data


def _str(data: Mapping[str, Any], key: str, path: str) -> str:
    value = data.get(key)
    if not isinstance(value, str):
        problem = "is required" if key not in data else f"must be a string, got {_type_name(value)}"
        raise InvalidEventError(f"{path}.{key}: {problem}")
    return value


def _text(data: Mapping[str, Any], key: str, path: str) -> str:
    """A string that is also valid Unicode text: JSON can carry a lone surrogate (``"\\ud800"``),
    which no UTF-8 encoding, hash or store accepts."""
    value = _str(data, key, path)
    if not value.isascii():
        try:
            value.encode()
        except UnicodeEncodeError:
            raise InvalidEventError(
                f"{path}.{key}: must be valid Unicode text (it holds a lone surrogate)"
            ) from None
    return value


def _pool_id(data: Mapping[str, Any]) -> str:
    # Never empty on Cognito; keys in the state table are built on it.
    value = _text(data, "userPoolId", "event")
    if not value:
        raise InvalidEventError("event.userPoolId: must not be empty")
    return value


def _optional_str(data: Mapping[str, Any], key: str, path: str) -> str | None:
    value = data.get(key)
    if value is not None and not isinstance(value, str):
        raise InvalidEventError(f"{path}.{key}: must be a string or null, got {_type_name(value)}")
    return value


def _bool(value: object, path: str) -> bool:
    if not isinstance(value, bool):
        raise InvalidEventError(f"{path}: must be true or false, got {_type_name(value)}")
    return value


def _str_map(data: Mapping[str, Any], key: str, path: str, *, nullable: bool) -> FrozenStrMap:
    value = data.get(key)
    if value is None:
        if nullable:
            return FrozenStrMap()
        problem = "is required" if key not in data else "must be an object, got null"
        raise InvalidEventError(f"{path}.{key}: {problem}")
    return FrozenStrMap.checked(value, f"{path}.{key}", InvalidEventError)


# --- the parts of an event -------------------------------------------------------------------


@dataclass(frozen=True)
class CallerContext:
    """``callerContext``: who called Cognito."""

    #: ``awsSdkVersion``: the AWS SDK that made the call.
    aws_sdk_version: str
    #: ``clientId``: the app client the sign-in runs through.
    client_id: str


@dataclass(frozen=True, repr=False)
class ChallengeResult(RedactedRepr):
    """One completed round of the sign-in, as ``request.session`` lists it."""

    #: ``challengeName``: the challenge of that round (``SRP_A``, unknown to the enum, stays a str).
    challenge_name: ChallengeName | str
    #: ``challengeResult``: whether the user passed it.
    challenge_result: bool
    #: ``challengeMetadata``: what Create attached to that round; never shown to the client.
    challenge_metadata: str | None = field(default=None, metadata=sensitive())

    @classmethod
    def from_dict(cls, data: object, path: str) -> Self:
        """Read one ``request.session`` entry; ``path`` names it in errors."""
        entry = _map(data, path)
        return cls(
            challenge_name=ChallengeName.parse(_str(entry, "challengeName", path)),
            challenge_result=_bool(entry.get("challengeResult"), f"{path}.challengeResult"),
            challenge_metadata=_optional_str(entry, "challengeMetadata", path),
        )


def _session(request: Mapping[str, Any]) -> tuple[ChallengeResult, ...]:
    if "session" not in request:
        raise InvalidEventError("request.session: is required")
    entries = request["session"]
    if not isinstance(entries, list):
        raise InvalidEventError(f"request.session: must be a list, got {_type_name(entries)}")
    return tuple(
        ChallengeResult.from_dict(entry, f"request.session[{index}]")
        for index, entry in enumerate(entries)
    )


# --- responses -------------------------------------------------------------------------------


@dataclass(frozen=True)
class DefineAuthChallengeResponse:
    """What Define answers: present a challenge, issue tokens, or fail. Exactly one."""

    #: ``challengeName``: the challenge to present next.
    challenge_name: ChallengeName | str | None = None
    #: ``issueTokens``: the user has passed; Cognito issues tokens.
    issue_tokens: bool = False
    #: ``failAuthentication``: end the sign-in; the caller gets NotAuthorizedException.
    fail_authentication: bool = False

    def __post_init__(self) -> None:
        _bool(self.issue_tokens, "response.issueTokens")
        _bool(self.fail_authentication, "response.failAuthentication")
        if self.challenge_name is not None:
            if not isinstance(self.challenge_name, str) or not self.challenge_name:
                raise InvalidEventError("response.challengeName: must be a non-empty string")
            object.__setattr__(self, "challenge_name", ChallengeName.parse(self.challenge_name))
        outcomes = (self.challenge_name is not None) + self.issue_tokens + self.fail_authentication
        if outcomes != 1:
            raise InvalidEventError(
                "response: Define must do exactly one of challengeName, issueTokens, "
                "failAuthentication"
            )

    def to_dict(self) -> dict[str, Any]:
        """The ``response`` object in the shape Cognito reads."""
        name = self.challenge_name
        return {
            "challengeName": name.value if isinstance(name, ChallengeName) else name,
            "issueTokens": self.issue_tokens,
            "failAuthentication": self.fail_authentication,
        }


@dataclass(frozen=True, kw_only=True, repr=False)
class TriggerEvent(RedactedRepr):
    """The envelope every custom-authentication trigger event shares."""

    #: ``version``: the event format version.
    version: str
    #: ``triggerSource``: which trigger this event is for.
    trigger_source: TriggerSource
    #: ``region``: the AWS Region of the user pool.
    region: str
    #: ``userPoolId``: the user pool.
    user_pool_id: str
    #: ``userName``: the user signing in, as Cognito knows them (or as typed, if unknown).
    user_name: str
    #: ``callerContext``: the SDK and app client of the call.
    caller_context: CallerContext
    #: ``request.userAttributes``: the user's attributes (empty for an unknown user).
    user_attributes: FrozenStrMap
    #: ``request.clientMetadata``: caller-supplied, unvalidated: treat it as hostile input.
    client_metadata: FrozenStrMap
    #: ``request.userNotFound``: the user does not exist (PreventUserExistenceErrors ENABLED).
    user_not_found: bool
    # The event as received, so that to_dict() loses no field this class does not model.
    _raw: Mapping[str, Any] = field(repr=False, compare=False, hash=False)

    #: The trigger this class is the event of (None: any, for TriggerEvent itself).
    SOURCE: ClassVar[TriggerSource | None] = None

    @classmethod
    def from_dict(cls, event: object) -> Self:
        """Parse ``event``; it must be this class's trigger, else :class:`InvalidEventError`."""
        if cls.SOURCE is None:  # any trigger's event: custom_auth.events knows them all
            from custom_auth.events import parse_event

            return cast(Self, parse_event(event))
        source, request, envelope = read_envelope(event)
        if source is not cls.SOURCE:
            raise InvalidEventError(f"triggerSource: must be {cls.SOURCE.value} for {cls.__name__}")
        return cls.from_request(request, envelope)

    @classmethod
    def from_request(cls, request: Mapping[str, Any], envelope: dict[str, Any]) -> Self:
        """The event, from its ``request`` and the envelope :func:`read_envelope` read."""
        raise NotImplementedError

    def to_dict(self) -> dict[str, Any]:
        """The whole event as a new ``dict``, ``response`` filled if a builder was called."""
        out = copy.deepcopy(dict(self._raw))
        response = getattr(self, "response", None)
        if response is not None:
            out["response"] = response.to_dict()
        return out


@dataclass(frozen=True, kw_only=True, repr=False)
class DefineAuthChallengeEvent(TriggerEvent):
    """The Define Auth Challenge event: decide what comes next from the session so far."""

    SOURCE: ClassVar[TriggerSource | None] = TriggerSource.DEFINE_AUTH_CHALLENGE

    #: ``request.session``: one entry per completed round, oldest first.
    session: tuple[ChallengeResult, ...]
    #: The response a builder filled in, or None.
    response: DefineAuthChallengeResponse | None = None

    @classmethod
    def from_request(cls, request: Mapping[str, Any], envelope: dict[str, Any]) -> Self:
        return cls(session=_session(request), **envelope)

    def present_challenge(self, challenge_name: ChallengeName | str) -> Self:
        """A new event whose response asks Cognito to present ``challenge_name``."""
        return evolve(self, response=DefineAuthChallengeResponse(challenge_name=challenge_name))

    def issue_tokens(self) -> Self:
        """A new event whose response tells Cognito to issue tokens."""
        return evolve(self, response=DefineAuthChallengeResponse(issue_tokens=True))

    def fail_authentication(self) -> Self:
        """A new event whose response ends the sign-in as failed."""
        return evolve(self, response=DefineAuthChallengeResponse(fail_authentication=True))


_SOURCES = frozenset(source.value for source in TriggerSource)


def read_envelope(event: object) -> tuple[TriggerSource, Mapping[str, Any], dict[str, Any]]:
    """The trigger source, the ``request`` and the fields every event has, checked."""
    data = _map(event, "event")
    raw_source = data.get("triggerSource")
    if not isinstance(raw_source, str) or raw_source not in _SOURCES:
        known = ", ".join(s.value for s in TriggerSource)
        raise InvalidEventError(f"triggerSource: must be one of {known}")
    source = TriggerSource(raw_source)

    caller = _map(data.get("callerContext"), "callerContext")
    request = _map(data.get("request"), "request")
    response = data.get("response")
    if response is not None:
        _map(response, "response")
    user_not_found = request.get("userNotFound")
    envelope: dict[str, Any] = {
        "version": _str(data, "version", "event"),
        "trigger_source": source,
        "region": _str(data, "region", "event"),
        "user_pool_id": _pool_id(data),
        "user_name": _text(data, "userName", "event"),
        "caller_context": CallerContext(
            aws_sdk_version=_str(caller, "awsSdkVersion", "callerContext"),
            client_id=_str(caller, "clientId", "callerContext"),
        ),
        "user_attributes": _str_map(request, "userAttributes", "request", nullable=False),
        "client_metadata": _str_map(request, "clientMetadata", "request", nullable=True),
        # Cognito sends userNotFound only when PreventUserExistenceErrors is ENABLED.
        "user_not_found": (
            False if user_not_found is None else _bool(user_not_found, "request.userNotFound")
        ),
        "_raw": copy.deepcopy(dict(data)),
    }
    return source, request, envelope
