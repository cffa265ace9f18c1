"""custom_auth_local.sessions: Cognito's Session strings."""

import re

import pytest
from moto.core.exceptions import JsonRESTError

from custom_auth_local.sessions import FORGET_AFTER_SECONDS, SESSION_CHARACTERS, SessionStore


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


def test_sessions_nobody_answers_are_forgotten_an_hour_after_they_expire() -> None:
    now = [0.0]
    store: SessionStore[str] = SessionStore(lambda: now[0])
    old = store.issue("old", 3, alias="old-block")
    now[0] = 3 * 60 + FORGET_AFTER_SECONDS - 1
    recent = store.issue("recent", 3, alias="recent-block")
    with pytest.raises(JsonRESTError, match="session is expired"):  # still known: expired
        store.take(old)
    now[0] = 3 * 60 + FORGET_AFTER_SECONDS + 1
    for _ in range(300):  # the store forgets every few hundred issues
        store.issue("filler", 3)
    assert store.token_for("old-block") is None  # forgotten, alias and all
    with pytest.raises(JsonRESTError, match=r"\"Invalid session for the user\.\""):
        store.take(old)
    assert store.token_for("recent-block") == recent
    assert len(store) == 301
