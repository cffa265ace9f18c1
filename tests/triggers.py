"""Helpers for running the trigger handlers against moto, the way Cognito calls them."""

import copy
import importlib.util
import re
import sys
import threading
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

from moto.core.models import DEFAULT_ACCOUNT_ID
from moto.ses.models import ses_backends
from moto.sns.models import sns_backends

from custom_auth.code_key import CodeKey, KeyVersion
from custom_auth.settings import Channel
from tests.conftest import load_event

if TYPE_CHECKING:
    from custom_auth.delivery import Delivery
    from custom_auth.events import ChallengeResult
    from custom_auth.methods.base import Methods
    from custom_auth.settings import CodeSettings
    from custom_auth.state_store import StateStore
    from custom_auth.triggers import Limits

ROOT = Path(__file__).resolve().parent.parent
REGION = "us-east-1"
SENDER = "no-reply@example.com"
SECRET_ID = "custom-auth/code-key"
CODE_KEY = "test-code-key-" + "k" * 40
CUSTOM = "CUSTOM_CHALLENGE"
STATE_TABLE = "custom-auth-test-state"


@dataclass
class Context:
    """A LambdaContext with what Powertools reads."""

    function_name: str = "custom-auth-test"
    function_version: str = "$LATEST"
    memory_limit_in_mb: int = 128
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:custom-auth-test"
    aws_request_id: str = "test-request-id"


class FixedKey(CodeKey):
    """The code key, without Secrets Manager: one version, never rotated."""

    VERSION = KeyVersion(version_id="fixed-version", secret=CODE_KEY.encode(), created_at=0)

    def __init__(self) -> None:
        super().__init__("fixed")

    def current(self) -> KeyVersion:
        return self.VERSION

    def for_code(self, version_id: str | None, issued_at: int) -> bytes | None:
        return self.VERSION.secret if version_id in (None, self.VERSION.version_id) else None


_loaded = 0


def load_handler(name: str) -> ModuleType:
    """A fresh import of functions/<name>/app.py: settings read now, no client cached yet."""
    global _loaded
    _loaded += 1
    path = ROOT / "functions" / name / "app.py"
    spec = importlib.util.spec_from_file_location(f"handler_{name}_{_loaded}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def sent_emails() -> list[Any]:
    """Messages moto's SES accepted, oldest first (each has .destinations, .subject, .body)."""
    return list(ses_backends[DEFAULT_ACCOUNT_ID][REGION].sent_messages)


def sent_sms() -> list[tuple[str, str]]:
    """(phone number, text) of each SMS moto's SNS accepted, oldest first."""
    messages = sns_backends[DEFAULT_ACCOUNT_ID][REGION].sms_messages
    return [(number, text) for number, text in messages.values()]


def code_in(text: str, length: int = 6) -> str:
    """The one code of ``length`` digits in a message."""
    codes: set[str] = set(re.findall(rf"(?<!\d)\d{{{length}}}(?!\d)", text))
    assert len(codes) == 1, f"expected exactly one {length}-digit code in the message"
    return codes.pop()


def entry(name: str, result: Any, metadata: str | None = None) -> dict[str, Any]:
    return {"challengeName": name, "challengeResult": result, "challengeMetadata": metadata}


def define_event(session: list[dict[str, Any]], **request: Any) -> dict[str, Any]:
    event = load_event("define_auth_challenge/new_sign_in.json")
    event["request"]["session"] = copy.deepcopy(session)
    event["request"].update(request)
    return event


def create_event(session: list[dict[str, Any]], **request: Any) -> dict[str, Any]:
    event = load_event("create_auth_challenge/first_round.json")
    event["request"]["session"] = copy.deepcopy(session)
    event["request"].update(request)
    return event


def verify_event(private: dict[str, str], answer: str, **request: Any) -> dict[str, Any]:
    """A Verify event for an answer to a round whose private parameters are ``private`` (an
    EMAIL_OTP round unless they name another method)."""
    private = {"signInMethod": "EMAIL_OTP", **private}
    base = load_event("create_auth_challenge/first_round.json")
    event = {k: v for k, v in base.items() if k not in ("request", "response")}
    event["triggerSource"] = "VerifyAuthChallengeResponse_Authentication"
    event["request"] = {
        "userAttributes": base["request"]["userAttributes"],
        "privateChallengeParameters": dict(private),
        "challengeAnswer": answer,
        "userNotFound": False,
        **request,
    }
    event["response"] = {"answerCorrect": None}
    return event


@dataclass
class Triggers:
    """The three handlers, loaded together."""

    define: ModuleType
    create: ModuleType
    verify: ModuleType

    @classmethod
    def load(cls) -> "Triggers":
        return cls(
            load_handler("define_auth_challenge"),
            load_handler("create_auth_challenge"),
            load_handler("verify_auth_challenge_response"),
        )


@dataclass
class SignIn:
    """A sign-in driven the way Cognito drives the triggers: Define, Create, Verify, Define...

    Enough to test the triggers together; the local user pool (issue #5) is the real thing.
    """

    triggers: Triggers
    request: dict[str, Any] = field(default_factory=dict)
    session: list[dict[str, Any]] = field(default_factory=list)
    public: dict[str, str] = field(default_factory=dict)
    invocations: int = 0
    _private: dict[str, str] = field(default_factory=dict)
    _metadata: str | None = None

    def start(self, session: list[dict[str, Any]] | None = None) -> dict[str, Any]:
        """Run Define on the opening session and, if it asks for a code, Create."""
        self.session = list(session or [])
        return self._next()

    def answer(self, answer: str, client_metadata: dict[str, str] | None = None) -> dict[str, Any]:
        """Answer the current challenge: Verify, then Define (and Create for another round).

        ``client_metadata`` (RespondToAuthChallenge's) reaches Verify and Define, and not
        Create, which must not depend on it (shared/COGNITO_CONTRACT.md)."""
        private, metadata = self._private, self._metadata
        request = dict(self.request)
        if client_metadata is not None:
            request["clientMetadata"] = client_metadata
        verified = self._call(self.triggers.verify, verify_event(private, answer, **request))
        self.session.append(entry(CUSTOM, verified["response"]["answerCorrect"], metadata))
        return self._next(client_metadata)

    def _next(self, client_metadata: dict[str, str] | None = None) -> dict[str, Any]:
        request = dict(self.request)
        if client_metadata is not None:
            request["clientMetadata"] = client_metadata
        decided = self._call(self.triggers.define, define_event(self.session, **request))
        response: dict[str, Any] = decided["response"]
        if response["challengeName"] == CUSTOM:
            created = self._call(self.triggers.create, create_event(self.session, **self.request))
            self.public = created["response"]["publicChallengeParameters"]
            self._private = created["response"]["privateChallengeParameters"]
            self._metadata = created["response"]["challengeMetadata"]
        return response

    def _call(self, handler: ModuleType, event: dict[str, Any]) -> dict[str, Any]:
        self.invocations += 1
        result: dict[str, Any] = handler.lambda_handler(event, Context())
        return result


def memory_limits(store: "StateStore | None" = None, **settings: Any) -> "Limits":
    """Limits with the default rules (or ``settings``), an in-memory store, and no pacing."""
    from custom_auth.pacing import no_pacing
    from custom_auth.settings import LimitSettings
    from custom_auth.state_store import InMemoryStateStore
    from custom_auth.triggers import Limits

    return Limits(
        LimitSettings(STATE_TABLE, **settings),
        InMemoryStateStore() if store is None else store,
        no_pacing(),
    )


@dataclass
class RecordingDelivery:
    """Delivers nothing; remembers every code it was asked to send. Thread-safe."""

    channel: Channel = Channel.EMAIL
    attribute: str = "email"
    #: Each code as the message showed it, and whether it was a lockout code.
    sent: list[str] = field(default_factory=list)
    lockout: list[bool] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def refusal(self, attributes: Mapping[str, str]) -> str | None:
        return None if attributes.get(self.attribute) else f"the user has no {self.attribute}"

    def mask(self, destination: str) -> str:
        return "a***@e***.com"

    def send(
        self,
        destination: str,
        code: str,
        ttl_seconds: int,
        *,
        lockout: bool = False,
        link: str | None = None,
    ) -> None:
        with self._lock:
            self.sent.append(code)
            self.lockout.append(lockout)


def code_methods(
    codes: "CodeSettings",
    delivery: "Delivery | None" = None,
    key: CodeKey | None = None,
    *more: "Delivery",
) -> "Methods":
    """The methods of a deployment whose methods are codes over ``delivery`` (and ``more``),
    each named after its channel, hashed with the fixed key."""
    from custom_auth.methods.base import Methods
    from custom_auth.methods.code import CodeMethod

    deliveries = (delivery if delivery is not None else RecordingDelivery(), *more)
    return Methods(
        tuple(
            CodeMethod(f"{str(d.channel).upper()}_OTP", codes, d, key or FixedKey())
            for d in deliveries
        )
    )


def custom(result: bool, method: str = "EMAIL_OTP") -> "ChallengeResult":
    """A CUSTOM_CHALLENGE entry of a session (a round of ``method``), as Define reads it."""
    from custom_auth.events import ChallengeResult
    from custom_auth.model import ChallengeName
    from custom_auth.rounds import Round

    return ChallengeResult(
        challenge_name=ChallengeName.CUSTOM_CHALLENGE,
        challenge_result=result,
        challenge_metadata=Round(method, False, "sign-in-id", "").to_metadata(),
    )


@contextmanager
def coverage_paused() -> Iterator[None]:
    """No line tracing for a loop whose every line other tests cover: tracing a million tries
    would triple the run and measure nothing new. (The tracer itself is set aside: under
    pytest-xdist, stopping ``coverage.Coverage.current()`` leaves another instance's tracer.)"""
    saved = sys.gettrace()
    sys.settrace(None)
    try:
        yield
    finally:
        sys.settrace(saved)


# Attributes every LogRecord has that logging itself fills with times and ids: floats such as
# relativeCreated=20312.4871516 hold a six-digit code by chance now and then (the run of
# hundreds of moto and botocore DEBUG records made that a flaky failure twice), and no secret
# can be in them.
_CLOCKS_AND_IDS = frozenset(
    {"created", "msecs", "relativeCreated", "thread", "process", "lineno", "taskName"}
)


def records_written(records: Iterable[Any]) -> list[str]:
    """Each captured record as one JSON line: its message and every attribute but the clocks
    and ids logging fills in (the extras a logger call adds are all kept)."""
    import json

    return [
        json.dumps(
            {
                **{k: v for k, v in record.__dict__.items() if k not in _CLOCKS_AND_IDS},
                "message": record.getMessage(),
            },
            default=str,
        )
        for record in records
    ]


def leaked(secrets: Iterable[str], written: str) -> list[int]:
    """The lengths of the secrets found in ``written`` (lengths, so a failure shows none).
    A secret of digits only (a code) is found where it stands on its own, not inside a longer
    run of letters and digits, where six digits turn up by chance (a request id, a hash); any
    other secret is found anywhere."""
    found = []
    for secret in secrets:
        if not secret:
            continue
        if secret.isdigit():
            pattern = rf"(?<![0-9A-Za-z]){re.escape(secret)}(?![0-9A-Za-z])"
            if re.search(pattern, written):
                found.append(len(secret))
        elif secret in written:
            found.append(len(secret))
    return sorted(found)


@contextmanager
def everything_logged(monkeypatch: Any, caplog: Any, capfd: Any) -> Iterator[list[str]]:
    """Every line the triggers log inside the block, at DEBUG, with Powertools' event logging
    asked for too (the handlers must overrule it): the records and what went to stdout and
    stderr, as one text, in the list this yields, once the block ends."""
    import logging

    from custom_auth.observability import logger

    monkeypatch.setenv("POWERTOOLS_LOGGER_LOG_EVENT", "true")
    previous = logger.log_level
    logger.setLevel(logging.DEBUG)
    caplog.set_level(logging.DEBUG)
    written: list[str] = []
    try:
        yield written
    finally:
        logger.setLevel(previous)
    captured = capfd.readouterr()
    written.append("\n".join([*records_written(caplog.records), captured.out, captured.err]))
