"""Cognito's ``Session`` strings: opaque, single use, expiring after AuthSessionValidity."""

import secrets
import string
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from custom_auth_local.cognito_errors import invalid_session, not_authorized

T = TypeVar("T")
#: Session strings are this long: inside the model's 20 to 4096 characters, opaque.
SESSION_CHARACTERS = 128
# Letters and digits only (about 760 bits in all): a session that began with "-" would be
# read as an option by the AWS CLI (`--session -x...`), as one did in CI.
_ALPHABET = string.ascii_letters + string.digits


@dataclass
class _Entry(Generic[T]):
    state: T
    expires_at: float
    spent: bool = False


class SessionStore(Generic[T]):
    """Issues session strings for conversation states and takes each back exactly once."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._entries: dict[str, _Entry[T]] = {}
        self._lock = threading.Lock()

    def issue(self, state: T, validity_minutes: int) -> str:
        """A new session string for ``state``, valid for ``validity_minutes``."""
        token = "".join(secrets.choice(_ALPHABET) for _ in range(SESSION_CHARACTERS))
        with self._lock:
            self._entries[token] = _Entry(state, self._clock() + validity_minutes * 60)
        return token

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
