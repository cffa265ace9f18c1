"""custom_auth_local.sessions: Cognito's Session strings."""

import re

import pytest
from moto.core.exceptions import JsonRESTError

from custom_auth_local.sessions import SESSION_CHARACTERS, SessionStore


def test_sessions_are_opaque_alphanumeric_and_safe_on_a_command_line() -> None:
    store: SessionStore[int] = SessionStore(lambda: 0.0)
    tokens = {store.issue(n, 3) for n in range(2000)}
    assert len(tokens) == 2000
    # Never a leading "-": the AWS CLI would take `--session -...` for an option.
    assert all(re.fullmatch(rf"[A-Za-z0-9]{{{SESSION_CHARACTERS}}}", token) for token in tokens)


def test_each_session_is_taken_once_and_expires() -> None:
    now = [0.0]
    store: SessionStore[str] = SessionStore(lambda: now[0])
    token = store.issue("state", 3)
    assert store.take(token) == "state"
    with pytest.raises(JsonRESTError, match=r"session can only be used once\."):
        store.take(token)
    with pytest.raises(JsonRESTError, match=r"\"Invalid session for the user\.\""):
        store.take("never-issued")
    late = store.issue("later", 3)
    now[0] = 3 * 60 + 0.5
    with pytest.raises(JsonRESTError, match="session is expired"):
        store.take(late)
