"""Shared fixtures: sample events from events/, and hypothesis profiles."""

import json
import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

EVENTS_DIR = Path(__file__).resolve().parent.parent / "events"

# "default" keeps `make test` quick; "thorough" is for a deliberate, longer search:
#   HYPOTHESIS_PROFILE=thorough make pytest
settings.register_profile("default", max_examples=150, deadline=None)
settings.register_profile(
    "thorough", max_examples=5000, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


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
