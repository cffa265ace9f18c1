"""Shared fixtures: sample events from events/, and hypothesis profiles."""

import json
import logging
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from hypothesis import HealthCheck, settings
from moto import mock_aws

EVENTS_DIR = Path(__file__).resolve().parent.parent / "events"

# "default" keeps `make test` quick; "thorough" is for a deliberate, longer search:
#   HYPOTHESIS_PROFILE=thorough make pytest
settings.register_profile("default", max_examples=150, deadline=None)
settings.register_profile(
    "thorough", max_examples=5000, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
# "fuzz" is for `make fuzz`: 10,000 malformed events per handler (tests/test_fuzz.py).
settings.register_profile(
    "fuzz", max_examples=10_000, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


def generator_is_current(script: str) -> str:
    """Run ``tools/<script> --check``; returns its complaints ("" when the output is current)."""
    import subprocess
    import sys

    tool = Path(__file__).resolve().parent.parent / "tools" / script
    done = subprocess.run(
        [sys.executable, str(tool), "--check"], capture_output=True, text=True, check=False
    )
    return "" if done.returncode == 0 else done.stderr or f"{script} --check failed"


def load_event(relative: str) -> dict[str, Any]:
    """A sample event from events/, as a fresh dict."""
    data: dict[str, Any] = json.loads((EVENTS_DIR / relative).read_text(encoding="utf-8"))
    return data


def all_event_files() -> list[str]:
    """Every sample event, as a path relative to events/."""
    return sorted(str(p.relative_to(EVENTS_DIR)) for p in EVENTS_DIR.rglob("*.json"))


@pytest.fixture
def define_event() -> dict[str, Any]:
    return load_event("define_auth_challenge/after_wrong_answer.json")


@pytest.fixture
def create_event() -> dict[str, Any]:
    return load_event("create_auth_challenge/later_round.json")


@pytest.fixture
def verify_event() -> dict[str, Any]:
    """A Verify event in Cognito's shape (answerCorrect null, no clientMetadata)."""
    return {
        "version": "1",
        "region": "us-east-1",
        "userPoolId": "us-east-1_EXAMPLE01",
        "userName": "alice",
        "callerContext": {"awsSdkVersion": "aws-sdk-js-3.0.0", "clientId": "1example23456789"},
        "triggerSource": "VerifyAuthChallengeResponse_Authentication",
        "request": {
            "userAttributes": {"sub": "7c1e1b7a", "email": "alice@example.com"},
            "privateChallengeParameters": {"codeHash": "PRIVATE-HASH-MARKER"},
            "challengeAnswer": "ANSWER-MARKER-424242",
            "userNotFound": False,
        },
        "response": {"answerCorrect": None},
    }


# Every variable the triggers read, so that nothing from the developer's shell leaks in.
TRIGGER_VARIABLES = (
    "AUTH_FLOW",
    "MAX_ATTEMPTS",
    "OTP_LENGTH",
    "CODE_TTL_SECONDS",
    "OTP_CHANNEL",
    "SIGN_IN_METHODS",
    "SENDER_EMAIL",
    "APP_NAME",
    "EMAIL_SUBJECT",
    "CODE_KEY_SECRET_ID",
    "PASSKEY_DECOY_KEY_SECRET_ID",
    "STATE_TABLE_NAME",
    "LOCKOUT_AFTER_FAILURES",
    "LOCKOUT_SECONDS",
    "RESEND_COOLDOWN_SECONDS",
    "MAX_SENDS_PER_HOUR",
    "CODE_FORMAT",
    "BIND_CODE_TO_SIGN_IN",
    "POOL_MAX_SENDS_PER_HOUR",
    "SMS_ALLOWED_COUNTRY_CODES",
    "ALLOW_UNVERIFIED_DESTINATIONS",
    "POWERTOOLS_LOGGER_LOG_EVENT",
)


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """moto for every AWS call, with the code key's secret, a verified SES sender, and the
    state table as template.yaml declares it."""
    from custom_auth_local.standins import atomic_dynamodb_writes, create_table
    from custom_auth_local.template import Template
    from tests.triggers import CODE_KEY, REGION, ROOT, SECRET_ID, SENDER, STATE_TABLE

    for name in TRIGGER_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    for name, value in {
        "AWS_DEFAULT_REGION": REGION,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "SENDER_EMAIL": SENDER,
        "CODE_KEY_SECRET_ID": SECRET_ID,
        "STATE_TABLE_NAME": STATE_TABLE,
    }.items():
        monkeypatch.setenv(name, value)
    template = Template.load(ROOT / "template.yaml", {"SenderEmail": SENDER})
    table = template.properties("UserStateTable")
    with mock_aws(), atomic_dynamodb_writes():
        boto3.client("secretsmanager").create_secret(Name=SECRET_ID, SecretString=CODE_KEY)
        boto3.client("sesv2").create_email_identity(EmailIdentity=SENDER)
        create_table(boto3.client("dynamodb"), STATE_TABLE, table)
        yield


@pytest.fixture
def logs() -> Iterator[list[str]]:
    """Every line the triggers' Powertools logger writes, formatted as in production.

    The logger keeps the stdout it found at import, before capsys or capfd could replace it,
    so a handler of our own with Powertools' formatter is attached instead.
    """
    from custom_auth.observability import SERVICE, logger

    lines: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(self.format(record))

    collect = Collect()
    collect.setFormatter(logger.registered_formatter)
    underlying = logging.getLogger(SERVICE)  # the logging.Logger behind Powertools' Logger
    underlying.addHandler(collect)
    try:
        yield lines
    finally:
        underlying.removeHandler(collect)


@pytest.fixture
def quiet(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No per-call logs or metrics from the trigger functions: the simulations make up to a
    million calls, which would measure the logger, not the rules (and the pool's cap logs an
    error for each sign-in it refuses)."""
    import logging

    from custom_auth.observability import logger

    monkeypatch.setattr("custom_auth.triggers.count", lambda metric: None)
    level = logger.log_level
    logger.setLevel(logging.CRITICAL)
    yield
    logger.setLevel(level)


# --- the sign-in page's browser tests (tests/test_web_*.py) ------------------------------------
# A module that uses `page` defines `serving`: the local pool it serves the page with.


@pytest.fixture(scope="module")
def driver() -> Iterator[Any]:
    """One headless Chromium for the module (skipped, saying how to install one, if none)."""
    from tests.browser import chromium

    with chromium() as browser:
        yield browser


@pytest.fixture
def page(serving: Any, driver: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    """The module's pool's sign-in page, fresh, its screenshots under the test's name; after
    the test, nothing may have leaked (a ``console`` mark names console lines it expects)."""
    from custom_auth_local.site import PAGE_PATH
    from tests.browser import SignInPage
    from tests.web_pool import check_nothing_leaked, screenshot_folder

    signin = SignInPage(driver, serving.endpoint_url + PAGE_PATH, screenshot_folder(request))
    signin.console()  # what earlier tests left
    signin.open()
    yield signin
    allowed = request.node.get_closest_marker("console")
    check_nothing_leaked(signin, allowed_console=allowed.args[0] if allowed else None)
