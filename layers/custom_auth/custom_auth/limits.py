"""The limits that hold across sign-ins: lockout, send throttle, single use. Pure rules.

Cognito keeps no memory between sign-ins for a custom challenge, so each user of a pool has a
:class:`UserState`: the codes recently sent to them, their recent wrong answers, and any
lockout. The functions here decide, from a state and the time, what Create may send and
whether Verify may accept; they return the next state and never touch storage
(:mod:`custom_auth.state_store` loads and saves states with conditional writes).

- Lockout: ``lockout_after_failures`` wrong answers (a replayed code counts as one) lock the
  user out for ``lockout_duration(n)``. Wrong answers are forgotten only with time (a day
  after the last one, or after the end of the lockout it caused), never by a right answer:
  forgiving them would hand whoever made them a fresh budget each time the user signs in.
  While locked, no ordinary code is accepted, the right one included. The way out is a
  lockout code: what Create sends while the user is locked is a code of at least 60 bits
  (:meth:`~custom_auth.otp.CodeSpec.lockout`), which only the person who receives it can type,
  and whose right answer signs the user in while the lockout stays, so that the attacker who
  caused it gains no guesses.
- Send throttle, per channel (a method's ``sends_over``): at most one message per
  ``resend_cooldown_seconds`` and ``max_sends_per_hour`` in any hour on each channel, so a
  user whose email did not arrive can still get a text. A new sign-in inside the cooldown
  reuses the code already sent (or, with ``bind_code_to_sign_in``, gets its own). A code that
  signed the user in ends its cooldown (the hourly cap still counts it), so signing in again
  right after signing out works.
- Single use: a code that signed the user in is dead; replaying it fails.
"""

import hmac
from dataclasses import dataclass, field
from enum import StrEnum
from typing import NamedTuple, Self

from custom_auth._evolve import evolve
from custom_auth._redact import RedactedRepr, sensitive
from custom_auth.otp import CLOCK_SKEW_SECONDS, LOCKOUT_CODE_BITS, CodeRecord
from custom_auth.settings import LimitSettings

HOUR = 3600
#: Wrong answers and lockout repeats are forgotten this long after the last wrong answer (or
#: after the end of the lockout it caused), so repeat lockouts keep growing.
FAILURE_MEMORY_SECONDS = 86_400


@dataclass(frozen=True, repr=False)
class UsedCode(RedactedRepr):
    """A code that signed the user in, remembered until it would have expired anyway."""

    code_hash: str = field(metadata=sensitive())
    expires_at: int


class Sent(NamedTuple):
    """One message sent to the user: over which channel, and when."""

    channel: str
    at: int


@dataclass(frozen=True, repr=False)
class UserState(RedactedRepr):
    """What custom-auth remembers about one user of one pool."""

    #: The stored version this state was read at (0: nothing stored); saves are conditional on it.
    version: int = 0
    #: Wrong answers since the last lockout (forgotten a day after the last one).
    failures: int = 0
    #: Lockouts in a row, each a day or less after the one before ended (each lasts twice the
    #: one before).
    lockouts: int = 0
    #: Until when the user is locked out (seconds since the epoch; 0 for never).
    locked_until: int = 0
    #: When the last wrong answer came.
    last_failure_at: int = 0
    #: Each message of the last hour: its channel and when it was sent.
    sends: tuple[Sent, ...] = ()
    #: The last code sent over each channel (its keyed hash, when, how, and where, masked).
    codes: tuple[CodeRecord, ...] = ()
    #: Codes that signed the user in and have not expired yet.
    used: tuple[UsedCode, ...] = ()
    #: Until when the code outstanding is the one this account's address was proven with at
    #: sign-up (:mod:`custom_auth.sign_up`): the next sign-in reuses it, whatever the
    #: cooldown, instead of sending another (0: no such code).
    sign_up_until: int = 0

    def is_locked(self, now: int) -> bool:
        """Whether the user is locked out at ``now``."""
        return now < self.locked_until

    def expires_at(self, code_ttl_seconds: int) -> int:
        """When nothing in this state matters any more (the table's TTL attribute)."""
        moments = [self.locked_until, self.sign_up_until, *(used.expires_at for used in self.used)]
        moments.extend(sent.at + HOUR for sent in self.sends)
        moments.extend(
            code.issued_at + code_ttl_seconds + CLOCK_SKEW_SECONDS for code in self.codes
        )
        if self.failures or self.lockouts:
            moments.append(self._forgotten_at())
        return max(moments)

    def _forgotten_at(self) -> int:
        # A day after the last wrong answer, or after the end of the lockout it caused.
        return max(self.last_failure_at, self.locked_until) + FAILURE_MEMORY_SECONDS

    def current(self, now: int) -> Self:
        """This state without what no longer counts at ``now`` (old sends, expired used codes)."""
        sends = tuple(sent for sent in self.sends if sent.at > now - HOUR)
        used = tuple(code for code in self.used if code.expires_at > now)
        forgotten = (self.failures or self.lockouts) and self._forgotten_at() <= now
        if forgotten:
            return evolve(self, sends=sends, used=used, failures=0, lockouts=0)
        if sends == self.sends and used == self.used:
            return self
        return evolve(self, sends=sends, used=used)

    def code_for(self, channel: str) -> CodeRecord | None:
        """The last code sent over ``channel``, if any."""
        for code in self.codes:
            if code.channel == channel:
                return code
        return None

    def sent_over(self, channel: str, now: int) -> tuple[int, ...]:
        """When each message of the last hour before ``now`` went over ``channel``."""
        return tuple(s.at for s in self.sends if s.channel == channel and s.at > now - HOUR)

    def is_used(self, code_hash: str) -> bool:
        """Whether the code with this hash already signed the user in."""
        return any(code.code_hash == code_hash for code in self.used)


# --- Create: may a message go out? ----------------------------------------------------------


class SendPlan(StrEnum):
    """What Create does on a sign-in's first code round."""

    #: Send a new code.
    SEND = "send"
    #: Send nothing; the code already sent (still valid, not used) stands.
    REUSE = "reuse"
    #: Send nothing, and no code can be right: over the hourly cap, or inside the cooldown
    #: with no code to reuse.
    WITHHOLD = "withhold"


def plan_send(
    state: UserState, now: int, limits: LimitSettings, *, code_ttl_seconds: int, channel: str
) -> tuple[SendPlan, str]:
    """What Create may do for this user over ``channel`` at ``now``, and why in a few words.

    While the user is locked out, what is sent must be a lockout code (the caller makes it),
    and only a lockout code already sent may be reused: an ordinary one would be refused.
    """
    locked = state.is_locked(now)
    code = state.code_for(channel)
    used = code is not None and state.is_used(code.code_hash)
    usable = (
        code is not None
        and not used
        and now < code.issued_at + code_ttl_seconds
        and (not locked or code.spec.bits >= LOCKOUT_CODE_BITS)
    )
    if usable and now < state.sign_up_until:
        return SendPlan.REUSE, "the code proven at sign-up stands"
    reusable = usable and not limits.bind_code_to_sign_in
    sends = state.sent_over(channel, now)  # the last hour's, over this channel
    # Measured from the last send as stored: a container whose clock is a little behind the
    # sender's still sees the cooldown.
    cooling = bool(sends) and now < max(sends) + limits.resend_cooldown_seconds and not used
    if cooling and reusable:
        return SendPlan.REUSE, "inside the resend cooldown"
    if len(sends) >= limits.max_sends_per_hour:
        if reusable:
            return SendPlan.REUSE, "hourly cap reached; the code already sent stands"
        return SendPlan.WITHHOLD, "hourly cap reached"
    if locked:
        # Inside the cooldown too: the code outstanding is an ordinary one, which the lockout
        # refuses; one more message per lockout at most, and the hourly cap holds.
        return SendPlan.SEND, "locked out: a lockout code"
    if cooling:
        if limits.bind_code_to_sign_in:
            return SendPlan.SEND, "a code of its own for this sign-in"
        return SendPlan.WITHHOLD, "inside the resend cooldown"
    return SendPlan.SEND, "new code"


def after_sign_up(state: UserState, code: CodeRecord, now: int, code_ttl_seconds: int) -> UserState:
    """The state of an account a sign-up just made: ``code``, the one its address was proven
    with (bound to the account), outstanding for its first sign-in, which reuses it."""
    sent = after_send(state, code, now)
    return evolve(sent, sign_up_until=code.issued_at + code_ttl_seconds)


def after_send(state: UserState, code: CodeRecord, now: int) -> UserState:
    """The state once ``code`` has been sent at ``now`` (over its channel)."""
    current = state.current(now)
    channel = str(code.channel)
    others = tuple(kept for kept in current.codes if kept.channel != channel)
    return evolve(current, sends=(*current.sends, Sent(channel, now)), codes=(*others, code))


# --- Verify: may an answer be accepted? -----------------------------------------------------


class AnswerOutcome(StrEnum):
    """What became of an answer once the limits were applied."""

    ACCEPTED = "accepted"
    #: A lockout code's right answer while locked out: signs in, and the lockout stays.
    ACCEPTED_WHILE_LOCKED = "accepted_while_locked"
    WRONG = "wrong"
    #: The right code, which already signed the user in.
    REPLAYED = "replayed"
    #: A wrong answer that reached the limit: the user is now locked out.
    LOCKED_NOW = "locked_now"
    #: Any other answer while locked out: refused, and not counted.
    REFUSED_LOCKED = "refused_locked"

    @property
    def signs_in(self) -> bool:
        """Whether the answer counts as correct."""
        return self in (AnswerOutcome.ACCEPTED, AnswerOutcome.ACCEPTED_WHILE_LOCKED)


def after_answer(
    state: UserState,
    *,
    right: bool,
    code_hash: str | None,
    code_expires_at: int,
    now: int,
    limits: LimitSettings,
    unguessable: bool = False,
    current_on: str | None = None,
) -> tuple[UserState | None, AnswerOutcome]:
    """Apply an answer (``right``: it matches the sign-in's unexpired secret) at ``now``.

    ``unguessable``: the secret cannot be guessed in the guesses anyone gets (a lockout code,
    or a method whose proof is not a guess), so it is accepted during a lockout.
    ``current_on``: the secret must also be the one last sent over this channel (a magic
    link, of which a user has one outstanding): one that a later send replaced is wrong.
    Returns the next state (None when nothing changes) and the outcome; only an outcome that
    :attr:`~AnswerOutcome.signs_in` lets the answer count as correct.
    """
    if right and current_on is not None:
        outstanding = state.code_for(current_on)
        right = (
            outstanding is not None
            and outstanding.link_id is not None
            and code_hash is not None
            and hmac.compare_digest(outstanding.link_id.encode(), code_hash.encode())
        )
    if state.is_locked(now):
        current = state.current(now)
        if not (unguessable and right and code_hash is not None):
            return None, AnswerOutcome.REFUSED_LOCKED
        if current.is_used(code_hash):
            return None, AnswerOutcome.REFUSED_LOCKED
        # Signed in; the failures, the lockout and its doubling stay as they are, so the
        # attacker who caused the lockout is as locked out as before.
        used = (*current.used, UsedCode(code_hash=code_hash, expires_at=code_expires_at))
        return evolve(current, used=used), AnswerOutcome.ACCEPTED_WHILE_LOCKED
    current = state.current(now)
    if right and code_hash is not None and not current.is_used(code_hash):
        # Signed in, and nothing forgiven: a right answer that cleared the wrong ones would
        # give whoever made them a fresh budget each time the user signs in.
        used = (*current.used, UsedCode(code_hash=code_hash, expires_at=code_expires_at))
        return evolve(current, used=used), AnswerOutcome.ACCEPTED
    outcome = AnswerOutcome.REPLAYED if right else AnswerOutcome.WRONG
    failures = current.failures + 1
    if failures < limits.lockout_after_failures:
        return evolve(current, failures=failures, last_failure_at=now), outcome
    lockouts = current.lockouts + 1
    locked = evolve(
        current,
        failures=0,
        lockouts=lockouts,
        locked_until=now + limits.lockout_duration(lockouts),
        last_failure_at=now,
    )
    return locked, AnswerOutcome.LOCKED_NOW
