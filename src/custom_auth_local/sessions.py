"""Cognito's ``Session`` strings: opaque, single use, expiring after AuthSessionValidity."""

import secrets
import string
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from custom_auth_local.cognito_errors import invalid_session, not_authorized

T = TypeVar("T")
#: Session strings are this long: inside the model's 20 to 4096 characters, opaque.
SESSION_CHARACTERS = 128
# Letters and digits only (about 760 bits in all): a session that began with "-" would be
# read as an option by the AWS CLI (`--session -x...`), as one did in CI.
_ALPHABET = string.ascii_letters + string.digits


#: How long a session is remembered after it expires (so that using it then still gets
#: "session is expired"), before it is forgotten; and how often forgetting is done.
FORGET_AFTER_SECONDS = 3600
_PRUNE_EVERY = 256


@dataclass
class _Entry(Generic[T]):
    state: T = field(repr=False)
    expires_at: float
    alias: str | None = field(default=None, repr=False)
    spent: bool = False


class SessionStore(Generic[T]):
    """Issues session strings for conversation states and takes each back exactly once.

    A session may also be known by an alias (a PASSWORD_VERIFIER's SECRET_BLOCK, which clients
    such as pycognito answer with instead of the session). Sessions are forgotten an hour after
    they expire, so that callers who never answer cannot grow the store without end.
    """

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._entries: dict[str, _Entry[T]] = {}
        self._aliases: dict[str, str] = {}
        self._issued = 0
        self._lock = threading.Lock()

    def issue(self, state: T, validity_minutes: int, *, alias: str | None = None) -> str:
        """A new session string for ``state``, valid for ``validity_minutes``."""
        token = "".join(secrets.choice(_ALPHABET) for _ in range(SESSION_CHARACTERS))
        with self._lock:
            now = self._clock()
            self._entries[token] = _Entry(state, now + validity_minutes * 60, alias)
            if alias is not None:
                self._aliases[alias] = token
            self._issued += 1
            if self._issued % _PRUNE_EVERY == 0:
                self._forget_before(now - FORGET_AFTER_SECONDS)
        return token

    def token_for(self, alias: str) -> str | None:
        """The session string known by ``alias``, if any."""
        with self._lock:
            return self._aliases.get(alias)

    def take(self, token: str | None) -> T:
        """The state of ``token``, which is spent from now on.

        An unknown, spent or expired session raises NotAuthorizedException with Cognito's
        message for each.
        """
        with self._lock:
            entry = self._entries.get(token or "")
            if entry is None:
                raise invalid_session()
            if entry.spent:
                raise not_authorized("Invalid session for the user, session can only be used once.")
            entry.spent = True
            if self._clock() > entry.expires_at:
                raise not_authorized("Invalid session for the user, session is expired.")
            return entry.state

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def _forget_before(self, moment: float) -> None:
        for token in [token for token, entry in self._entries.items() if entry.expires_at < moment]:
            alias = self._entries.pop(token).alias
            if alias is not None:
                self._aliases.pop(alias, None)
