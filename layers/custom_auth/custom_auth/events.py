"""Typed events of the Define, Create and Verify Auth Challenge Lambda triggers.

``parse_event`` reads the event Cognito sends into a frozen, typed value; the response
builders return a *new* event with ``response`` filled, and ``to_dict()`` gives the whole event
back for the handler to return::

    def lambda_handler(event, context):
        parsed = DefineAuthChallengeEvent.from_dict(event)
        return parsed.present_challenge(ChallengeName.CUSTOM_CHALLENGE).to_dict()

Parsing is tolerant where real events vary (``null`` response fields, absent or ``null``
``clientMetadata``, challenge names no list knows, extra fields, which are kept) and strict
where a value could only be a mistake: a missing required field or a wrong type raises
:class:`InvalidEventError` naming the field's path, never its value.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Self, cast

from custom_auth._evolve import evolve
from custom_auth._mapping import FrozenStrMap
from custom_auth._redact import RedactedRepr, sensitive
from custom_auth.challenge_names import ChallengeName
from custom_auth.define_event import (
    UNFILLED_RESPONSES,
    CallerContext,
    ChallengeResult,
    DefineAuthChallengeEvent,
    DefineAuthChallengeResponse,
    TriggerEvent,
    TriggerSource,
    _bool,
    _session,
    _str,
    _str_map,
    _type_name,
    read_envelope,
)
from custom_auth.errors import InvalidEventError

__all__ = [
    "UNFILLED_RESPONSES",
    "CallerContext",
    "ChallengeResult",
    "CreateAuthChallengeEvent",
    "CreateAuthChallengeResponse",
    "DefineAuthChallengeEvent",
    "DefineAuthChallengeResponse",
    "TriggerEvent",
    "TriggerSource",
    "VerifyAuthChallengeResponseEvent",
    "VerifyAuthChallengeResponseResponse",
    "parse_event",
]


@dataclass(frozen=True, repr=False)
class CreateAuthChallengeResponse(RedactedRepr):
    """What Create answers: the challenge's public and private parameters and its metadata."""

    #: ``publicChallengeParameters``: returned to the client (plus USERNAME) as ChallengeParameters.
    public_challenge_parameters: FrozenStrMap = field(default_factory=FrozenStrMap)
    #: ``privateChallengeParameters``: kept by Cognito and handed to Verify only.
    private_challenge_parameters: FrozenStrMap = field(
        default_factory=FrozenStrMap, metadata=sensitive()
    )
    #: ``challengeMetadata``: recorded in the session list for later Define and Create calls.
    challenge_metadata: str | None = field(default=None, metadata=sensitive())

    def __post_init__(self) -> None:
        for name, wire in (
            ("public_challenge_parameters", "publicChallengeParameters"),
            ("private_challenge_parameters", "privateChallengeParameters"),
        ):
            checked = FrozenStrMap.checked(
                getattr(self, name), f"response.{wire}", InvalidEventError
            )
            object.__setattr__(self, name, checked)
        if self.challenge_metadata is not None and not isinstance(self.challenge_metadata, str):
            raise InvalidEventError(
                "response.challengeMetadata: must be a string or null, "
                f"got {_type_name(self.challenge_metadata)}"
            )

    def to_dict(self) -> dict[str, Any]:
        """The ``response`` object in the shape Cognito reads."""
        return {
            "publicChallengeParameters": self.public_challenge_parameters.to_dict(),
            "privateChallengeParameters": self.private_challenge_parameters.to_dict(),
            "challengeMetadata": self.challenge_metadata,
        }


@dataclass(frozen=True)
class VerifyAuthChallengeResponseResponse:
    """What Verify answers: whether the answer was correct."""

    #: ``answerCorrect``: true only for a correct answer.
    answer_correct: bool

    def __post_init__(self) -> None:
        _bool(self.answer_correct, "response.answerCorrect")

    def to_dict(self) -> dict[str, Any]:
        """The ``response`` object in the shape Cognito reads."""
        return {"answerCorrect": self.answer_correct}


# --- events ----------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True, repr=False)
class CreateAuthChallengeEvent(TriggerEvent):
    """The Create Auth Challenge event: build the challenge Define asked for."""

    SOURCE: ClassVar[TriggerSource | None] = TriggerSource.CREATE_AUTH_CHALLENGE

    #: ``request.challengeName``: the challenge Define asked for.
    challenge_name: ChallengeName | str
    #: ``request.session``: one entry per completed round, oldest first.
    session: tuple[ChallengeResult, ...]
    #: The response a builder filled in, or None.
    response: CreateAuthChallengeResponse | None = None

    @classmethod
    def from_request(cls, request: Mapping[str, Any], envelope: dict[str, Any]) -> Self:
        return cls(
            challenge_name=ChallengeName.parse(_str(request, "challengeName", "request")),
            session=_session(request),
            **envelope,
        )

    def respond(
        self,
        *,
        public_challenge_parameters: Mapping[str, str],
        private_challenge_parameters: Mapping[str, str],
        challenge_metadata: str | None = None,
    ) -> Self:
        """A new event whose response carries the challenge's parameters and metadata."""
        return evolve(
            self,
            response=CreateAuthChallengeResponse(
                public_challenge_parameters=FrozenStrMap.checked(
                    public_challenge_parameters,
                    "response.publicChallengeParameters",
                    InvalidEventError,
                ),
                private_challenge_parameters=FrozenStrMap.checked(
                    private_challenge_parameters,
                    "response.privateChallengeParameters",
                    InvalidEventError,
                ),
                challenge_metadata=challenge_metadata,
            ),
        )


@dataclass(frozen=True, kw_only=True, repr=False)
class VerifyAuthChallengeResponseEvent(TriggerEvent):
    """The Verify Auth Challenge Response event: judge the user's answer."""

    SOURCE: ClassVar[TriggerSource | None] = TriggerSource.VERIFY_AUTH_CHALLENGE_RESPONSE

    #: ``request.privateChallengeParameters``: what Create kept for Verify.
    private_challenge_parameters: FrozenStrMap = field(metadata=sensitive())
    #: ``request.challengeAnswer``: the user's answer, untrusted.
    challenge_answer: str = field(metadata=sensitive())
    #: The response a builder filled in, or None.
    response: VerifyAuthChallengeResponseResponse | None = None

    @classmethod
    def from_request(cls, request: Mapping[str, Any], envelope: dict[str, Any]) -> Self:
        return cls(
            private_challenge_parameters=_str_map(
                request, "privateChallengeParameters", "request", nullable=False
            ),
            challenge_answer=_str(request, "challengeAnswer", "request"),
            **envelope,
        )

    def respond(self, *, answer_correct: bool) -> Self:
        """A new event whose response says whether the answer was correct."""
        return evolve(
            self, response=VerifyAuthChallengeResponseResponse(answer_correct=answer_correct)
        )


_EVENT_CLASSES: Mapping[TriggerSource, type[TriggerEvent]] = {
    TriggerSource.DEFINE_AUTH_CHALLENGE: DefineAuthChallengeEvent,
    TriggerSource.CREATE_AUTH_CHALLENGE: CreateAuthChallengeEvent,
    TriggerSource.VERIFY_AUTH_CHALLENGE_RESPONSE: VerifyAuthChallengeResponseEvent,
}


def parse_event(
    event: object,
) -> DefineAuthChallengeEvent | CreateAuthChallengeEvent | VerifyAuthChallengeResponseEvent:
    """Read a custom-authentication trigger event; the class follows ``triggerSource``.

    Raises :class:`InvalidEventError` naming the field path (``request.session[1].challengeResult``)
    and the rule when the event is structurally impossible. The input is never modified.
    """
    source, request, envelope = read_envelope(event)
    event_class = cast(
        type[
            DefineAuthChallengeEvent | CreateAuthChallengeEvent | VerifyAuthChallengeResponseEvent
        ],
        _EVENT_CLASSES[source],
    )
    return event_class.from_request(request, envelope)
