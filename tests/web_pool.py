"""A local pool served in this process for the sign-in page's browser tests: the same
``served()`` as ``custom-auth serve``, with a clock the tests can move on."""

import functools
import http.server
import json
import re
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from selenium.webdriver.chrome.webdriver import WebDriver

from custom_auth_local.serve import Serving, served
from tests.browser import CODE, LOCKOUT_CODE, SCREENSHOTS, SignInPage, wait_until
from tests.serving import free_port
from tests.triggers import ROOT

QUIET = {"POWERTOOLS_LOG_LEVEL": "ERROR", "POWERTOOLS_METRICS_DISABLED": "true"}
SENDER = "no-reply@example.com"


@contextmanager
def page_pool(overrides: Mapping[str, str]) -> Iterator[Serving]:
    """The template's pool with ``overrides``, served with the sign-in page on a free port.

    Its clock is ``time.time`` looked up at each call, so a test that moves ``time.time`` on
    (:class:`Clock`) moves the pool's sessions and the triggers' codes on with it.
    """
    outbox = Path(tempfile.mkdtemp(prefix="custom-auth-web-outbox-"))
    with served(
        ROOT / "template.yaml",
        host="127.0.0.1",
        port=free_port(),
        users=[],
        outbox=outbox,
        parameter_overrides={"SenderEmail": SENDER, **overrides},
        env_overrides=QUIET,
        web=ROOT / "web",
        clock=lambda: time.time(),
    ) as serving:
        yield serving


class Clock:
    """Moves this process's ``time.time`` on (the pool, the triggers and moto all read it)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self._monkeypatch = monkeypatch
        self._real = time.time
        self.offset = 0.0

    def advance(self, seconds: float) -> None:
        self.offset += seconds
        real, offset = self._real, self.offset
        self._monkeypatch.setattr(time, "time", lambda: real() + offset)


def screenshot_folder(request: pytest.FixtureRequest) -> str:
    """<test file>/<test>: where a test's screenshots go, under tests.browser.SCREENSHOTS,
    emptied of an earlier run's."""
    folder = f"{request.node.module.__name__.split('.')[-1]}/{request.node.name}"
    shutil.rmtree(SCREENSHOTS / folder, ignore_errors=True)
    return folder


def messages_to(serving: Serving, to: str) -> list[str]:
    return [m.body for m in serving.stack.outbox.messages() if m.to == to]


def code_for(serving: Serving, to: str, *, after: int = 0) -> str:
    """The code of the newest message to ``to`` once there are more than ``after``."""
    bodies = wait_until(
        lambda: (found := messages_to(serving, to)) and len(found) > after and found
    )
    newest = bodies[-1]
    match = LOCKOUT_CODE.search(newest) or CODE.search(newest)
    assert match, "no code in the message"
    return match.group()


def new_user(serving: Serving, email: str, **attributes: str) -> str:
    """A confirmed user with a verified email (and ``attributes``); returns the username."""
    return serving.stack.create_user(email, attributes=attributes)


def origins(serving: Serving, username: str) -> list[Any]:
    """The pool's sign-ins (token origins) of ``username``: which are revoked."""
    issuer = serving.stack.pool.tokens
    return [o for o in issuer._origins.values() if o.username == username]


def check_nothing_leaked(page: SignInPage, *, allowed_console: str | None = None) -> None:
    """The page put no code, session or token in the URL, storage, cookies or the console.

    The console may hold Chromium's own line for a response Cognito answered with an error
    ("<endpoint> - Failed to load resource: ... 400"), which names the URL only; nothing the
    page's scripts wrote (``console-api``) and no uncaught exception (``javascript``) is let
    through, and nor is any other line unless the test expects it (``allowed_console``).
    """
    stored = page.stored()
    assert stored["url"] == page.url  # no query, no fragment, nothing added to the path
    assert stored["local"] == {} and stored["session"] == {} and stored["cookies"] == ""
    assert stored["name"] == ""
    unexpected = [
        entry
        for entry in page.console()
        if not (
            entry.get("source") == "network"
            and re.fullmatch(
                r"http://[^ ?#]+/ - Failed to load resource: the server responded with a "
                r"status of 400 \((BAD REQUEST|Bad Request)\)",
                entry["message"],
            )
        )
        and not (allowed_console and re.search(allowed_console, entry["message"]))
    ]
    assert unexpected == []


#: The page's own files: what a deployer copies to a static host.
PAGE_FILES = ("index.html", "signin.js", "cognito.js", "config.js", "signin.css", "favicon.svg")


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextmanager
def static_site(config: str | None) -> Iterator[str]:
    """web/'s files and ``config`` as config.json (none if None), on a plain static file server
    (Python's http.server: any static host would do). Yields the page's URL."""
    folder = Path(tempfile.mkdtemp(prefix="custom-auth-static-"))
    for name in PAGE_FILES:
        shutil.copy(ROOT / "web" / name, folder / name)
    if config is not None:
        (folder / "config.json").write_text(config, encoding="utf-8")
    handler = functools.partial(_QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), handler)
    # A short poll: shutdown() waits for it (the default half second, at every test).
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        thread.join()
        server.server_close()
        shutil.rmtree(folder, ignore_errors=True)


def refused_with(
    driver: WebDriver, request: pytest.FixtureRequest, serving: Serving, client_id: str
) -> str:
    """What the page, on a static host and configured for ``client_id`` of ``serving``'s pool,
    says when ada@example.com tries to sign in and is refused at once."""
    config = {
        "region": "us-east-1",
        "userPoolClientId": client_id,
        "endpoint": serving.endpoint_url,
    }
    with static_site(json.dumps(config)) as url:
        page = SignInPage(
            driver, url, f"{request.node.module.__name__.split('.')[-1]}/{request.node.name}"
        )
        page.console()
        page.open()
        page.sign_in_as("ada@example.com")
        assert page.step() == "username-step"
        page.shot("refused")
        said = page.alert()
        check_nothing_leaked(page)
        return said


def passkey_parameters(port: int) -> dict[str, str]:
    """PASSKEY beside EMAIL_OTP for a page served on ``port``: the RP id ``localhost`` and its
    origin ``http://localhost:<port>`` (WebAuthn takes localhost, not 127.0.0.1, over http)."""
    return {
        "SignInMethods": "EMAIL_OTP,PASSKEY",
        "PasskeyRpIds": "localhost",
        "PasskeyOrigins": f"http://localhost:{port}",
    }


@contextmanager
def passkey_page_pool(
    overrides: Mapping[str, str] | None = None, clock: Callable[[], float] = time.time
) -> Iterator[Serving]:
    """:func:`page_pool` with PASSKEY on (:func:`passkey_parameters`) and ``overrides``, on
    ``clock``; the page is to be opened at :func:`localhost_page`."""
    port = free_port()
    outbox = Path(tempfile.mkdtemp(prefix="custom-auth-web-outbox-"))
    with served(
        ROOT / "template.yaml",
        host="127.0.0.1",
        port=port,
        users=[],
        outbox=outbox,
        parameter_overrides={
            "SenderEmail": SENDER,
            **passkey_parameters(port),
            **(overrides or {}),
        },
        env_overrides=QUIET,
        web=ROOT / "web",
        clock=clock,
    ) as serving:
        yield serving


def localhost_page(serving: Serving) -> str:
    """The served sign-in page's URL by the name ``localhost`` (a WebAuthn RP id)."""
    port = serving.endpoint_url.rsplit(":", 1)[1]
    return f"http://localhost:{port}/signin/"
