"""The interface every sign-in method has, and what the triggers hand it.

A method is a small object (:class:`SignInMethod`). It says:

- what it needs from the user's attributes (:meth:`~SignInMethod.usable`): whether this user
  can be offered it;
- what Create presents and keeps private: :meth:`~SignInMethod.start` for its first round in a
  sign-in (which may send a message, held to the limits), :meth:`~SignInMethod.carry` for each
  later one (the same secret stands);
- how Verify judges an answer (:meth:`~SignInMethod.judge`);
- which limits apply to it (:class:`MethodLimits`): whether its secret can be guessed, which
  decides whether its failures share the user's one guess budget and whether it can be used
  during a lockout, and which channel its messages count against.

Everything else (the rounds, choosing and switching, the attempt limits, the lockout, timing)
is the triggers' (:mod:`custom_auth.triggers`), the same for every method.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple, Protocol

from custom_auth.verdict import Verdict

if TYPE_CHECKING:
    from custom_auth.events import CreateAuthChallengeEvent, VerifyAuthChallengeResponseEvent
    from custom_auth.otp import CodeRecord
    from custom_auth.pacing import Pacer
    from custom_auth.settings import LimitSettings
    from custom_auth.sign_up import Address, SignUp
    from custom_auth.state_store import StateStore


@dataclass(frozen=True)
class Limits:
    """What holds a user to the limits across sign-ins: the rules, their store, the pacer; and
    sign-up, when it is on (None: off)."""

    settings: "LimitSettings"
    store: "StateStore"
    pacer: "Pacer"
    sign_up: "SignUp | None" = None


@dataclass(frozen=True)
class MethodLimits:
    """Which of the limits apply to a method."""

    #: Its secret can be guessed (a code a person types): each wrong answer counts towards the
    #: user's lockout, shared by every guessable method, and while the user is locked out only
    #: a secret too strong to guess is accepted. False for a proof nobody can guess (a signed
    #: link, a passkey): such a proof signs in even during a lockout, which is the way out of
    #: a lockout someone else caused.
    guessable: bool
    #: The channel whose per-user throttle (cooldown, hourly cap) and the pool's hourly cap
    #: its messages count against; None for a method that sends nothing.
    sends_over: str | None


class Challenge(NamedTuple):
    """What Create answers for one round of a method."""

    #: ``publicChallengeParameters`` of the method (the triggers add the method's name).
    public: dict[str, str]
    #: ``privateChallengeParameters``, for Verify.
    private: dict[str, str]
    #: The method's record, kept in the round's ``challengeMetadata`` for the later rounds.
    body: str
    #: For the log line: what happened, in a few words, and never a secret.
    log: Mapping[str, object]

    def __repr__(self) -> str:
        # The private parameters and the record hold the code's hash; the public ones may
        # too, for a method that has no other way to carry a challenge.
        return f"Challenge(public=<{len(self.public)} keys>, private=<redacted>, log={self.log!r})"


class Judgement(NamedTuple):
    """How a method judged an answer."""

    verdict: Verdict
    #: What identifies the secret the answer was judged against (a hash, never the secret),
    #: so that one that signed the user in cannot do it again; None when there is none.
    secret_id: str | None = None
    #: Until when that secret matters (when it would expire anyway).
    expires_at: int = 0
    #: The secret is too strong to guess: accepted during a lockout (a lockout code).
    unguessable: bool = False
    #: The secret must be the one last sent over this channel (a magic link: the user's one
    #: outstanding link, whose id the state keeps); None when any unused one will do.
    current_on: str | None = None

    def __repr__(self) -> str:
        return (
            f"Judgement(verdict={self.verdict.value!r}, secret_id=<redacted>, "
            f"expires_at={self.expires_at}, unguessable={self.unguessable}, "
            f"current_on={self.current_on!r})"
        )


class SignInMethod(Protocol):
    """One way to sign in. Implementations: :mod:`custom_auth.methods.email_otp`,
    :mod:`custom_auth.methods.sms_otp` (both :class:`~custom_auth.methods.code.CodeMethod`)."""

    #: The name clients choose it by, as ``SIGN_IN_METHODS`` lists it (``EMAIL_OTP``).
    name: str
    limits: MethodLimits

    def usable(self, attributes: Mapping[str, str]) -> bool:
        """Whether a user with these attributes can be offered the method (it has what the
        method needs, such as a phone number). Whether a message may actually go there is
        :meth:`start`'s business, and looks the same to the caller either way."""
        ...

    def option(self, client_metadata: Mapping[str, str]) -> str | None:
        """How the client asks this method's first round to go, from the ClientMetadata of
        the answer that chose (or switched to) it: ``""`` for the usual way, a short word of
        the method's own (MAGIC_LINK: ``redeem``, a link in hand), or None when the client
        asked for something the method refuses (a redirect URI not on the list)."""
        ...

    def start(
        self,
        event: "CreateAuthChallengeEvent",
        limits: Limits,
        now: int,
        option: str = "",
        sign_up: "Address | None" = None,
    ) -> Challenge:
        """The method's first round in this sign-in: send what it sends (within the limits),
        and what Create answers. An unknown user gets the same shape and nothing sent, unless
        they are signing up (``sign_up``, the address they typed, which :meth:`sign_up_address`
        accepted): then the code goes there. ``option`` is what :meth:`option` returned when
        the method was chosen."""
        ...

    def sign_up_address(self, raw: str) -> "Address | None":
        """``raw`` (what an unknown user typed) as an address this method can send a sign-up
        code to; None if it is not one."""
        ...

    def rebind(
        self, event: "VerifyAuthChallengeResponseEvent", user_name: str, address: "Address"
    ) -> "CodeRecord | None":
        """The record of the secret ``event`` just proved at sign-up, for the account
        ``user_name`` made for it, so that the account's first sign-in takes the same answer;
        None if it cannot be."""
        ...

    def carry(self, body: str) -> Challenge:
        """A later round of the method in the same sign-in, from the record of the one before."""
        ...

    def judge(self, event: "VerifyAuthChallengeResponseEvent", now: int) -> Judgement:
        """Judge ``event.challenge_answer`` against what :meth:`start` kept private."""
        ...


class Methods:
    """The enabled methods of a deployment, in the order they are offered."""

    def __init__(self, enabled: "tuple[SignInMethod, ...]") -> None:
        if not enabled:
            raise ValueError("at least one sign-in method must be enabled")
        self.enabled = enabled
        self.names = tuple(method.name for method in enabled)
        self._by_name = {method.name: method for method in enabled}

    def __len__(self) -> int:
        return len(self.enabled)

    def __repr__(self) -> str:
        return f"Methods({', '.join(self.names)})"

    def named(self, name: str | None) -> "SignInMethod | None":
        """The enabled method called ``name``, if any."""
        return self._by_name.get(name) if name is not None else None

    def offered(self, attributes: Mapping[str, str], *, user_not_found: bool) -> tuple[str, ...]:
        """The methods a user can choose from: those whose needs the attributes meet.

        An unknown user is offered every enabled method, as a user who has all they need is;
        so is a user who meets no method's needs (nothing can be sent to them either way, and a
        shorter list would set them apart)."""
        if user_not_found:
            return self.names
        usable = tuple(method.name for method in self.enabled if method.usable(attributes))
        return usable or self.names
