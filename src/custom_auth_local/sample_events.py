"""Trigger events in exactly the shape Cognito sends, one per situation.

``custom-auth generate-event`` prints them (the SAM CLI has no generator for these triggers);
the files in ``events/`` are these same events, issued at :data:`SAMPLE_TIME`, and a test keeps
the two identical. Code hashes are made with the local stand-ins' development key, so the
Verify samples hold a real hash of :data:`SAMPLE_CODE`.
"""

from collections.abc import Callable
from typing import Any

from custom_auth.events import UNFILLED_RESPONSES, TriggerSource
from custom_auth.otp import CodeRecord, hash_code
from custom_auth.settings import Channel
from custom_auth_local.standins import DEVELOPMENT_CODE_KEY

#: When the sample events in events/ were issued: 2026-11-22T00:00:00Z.
SAMPLE_TIME = 1_795_305_600
#: The code the samples' hashes are made from.
SAMPLE_CODE = "123456"
DEFAULT_USER_POOL_ID = "us-east-1_EXAMPLE01"
DEFAULT_USERNAME = "7c1e1b7a-5d1f-4d4e-9f44-2f0c2b4c5a10"
DEFAULT_CLIENT_ID = "1example23456789abcdefghij"
#: ClientMetadata of RespondToAuthChallenge reaches the triggers; that of InitiateAuth does not.
RESPOND_METADATA = {"clientMetadata": {"app": "web"}}

TRIGGERS = {
    "define": "DefineAuthChallenge_Authentication",
    "create": "CreateAuthChallenge_Authentication",
    "verify": "VerifyAuthChallengeResponse_Authentication",
}
#: The folder of events/ each trigger's samples live in.
FOLDERS = {
    "define": "define_auth_challenge",
    "create": "create_auth_challenge",
    "verify": "verify_auth_challenge_response",
}


class UnknownScenarioError(ValueError):
    """No such scenario for that trigger."""


def _attributes(username: str, *, email: bool = True, phone: bool = True) -> dict[str, str]:
    attributes = {"sub": username, "cognito:user_status": "CONFIRMED"}
    if email:
        attributes |= {"email_verified": "true", "email": "alice@example.com"}
    if phone:
        attributes |= {"phone_number_verified": "true", "phone_number": "+12065550100"}
    return attributes


class _Builder:
    """Builds one trigger's events for a pool, a user and an issue time."""

    def __init__(self, user_pool_id: str, username: str, now: int) -> None:
        self.user_pool_id, self.username, self.now = user_pool_id, username, now

    def envelope(self, trigger: str, request: dict[str, Any], username: str = "") -> dict[str, Any]:
        return {
            "version": "1",
            "region": self.user_pool_id.split("_", 1)[0],
            "userPoolId": self.user_pool_id,
            "userName": username or self.username,
            "callerContext": {
                "awsSdkVersion": "aws-sdk-unknown-unknown",
                "clientId": DEFAULT_CLIENT_ID,
            },
            "triggerSource": TRIGGERS[trigger],
            "request": request,
            "response": dict(UNFILLED_RESPONSES[TriggerSource(TRIGGERS[trigger])]),
        }

    def record(self, issued_at: int | None = None, username: str = "") -> CodeRecord:
        issued = self.now if issued_at is None else issued_at
        code_hash = hash_code(
            DEVELOPMENT_CODE_KEY.encode(),
            SAMPLE_CODE,
            user_pool_id=self.user_pool_id,
            user_name=username or self.username,
            issued_at=issued,
        )
        return CodeRecord(code_hash, issued, Channel.EMAIL, "a***@e***.com")

    def round(self, result: bool) -> dict[str, Any]:
        return {
            "challengeName": "CUSTOM_CHALLENGE",
            "challengeResult": result,
            "challengeMetadata": self.record().to_metadata(),
        }

    # -- Define -----------------------------------------------------------------------------

    def define(self, session: list[dict[str, Any]], **request: Any) -> dict[str, Any]:
        body = {"userAttributes": _attributes(self.username), "session": session}
        body |= {"userNotFound": False} | request
        return self.envelope("define", body)

    def define_scenarios(self) -> dict[str, Callable[[], dict[str, Any]]]:
        srp_a = {"challengeName": "SRP_A", "challengeResult": True, "challengeMetadata": None}

        def verifier(result: bool) -> dict[str, Any]:
            return {
                "challengeName": "PASSWORD_VERIFIER",
                "challengeResult": result,
                "challengeMetadata": None,
            }

        answered = RESPOND_METADATA
        return {
            "new_sign_in": lambda: self.define([]),
            "after_right_answer": lambda: self.define([self.round(True)], **answered),
            "after_wrong_answer": lambda: self.define([self.round(False)], **answered),
            "after_last_wrong_answer": lambda: self.define([self.round(False)] * 3, **answered),
            "after_srp_a": lambda: self.define([srp_a]),
            "after_right_password": lambda: self.define([srp_a, verifier(True)], **answered),
            "after_wrong_password": lambda: self.define([srp_a, verifier(False)], **answered),
            "unknown_user": lambda: self._unknown(self.define([], userNotFound=True)),
        }

    # -- Create -----------------------------------------------------------------------------

    def create(self, session: list[dict[str, Any]], **request: Any) -> dict[str, Any]:
        body = {
            "userAttributes": request.pop("userAttributes", _attributes(self.username)),
            "challengeName": "CUSTOM_CHALLENGE",
            "session": session,
        }
        body |= {"userNotFound": False} | request
        return self.envelope("create", body)

    def create_scenarios(self) -> dict[str, Callable[[], dict[str, Any]]]:
        return {
            "first_round": lambda: self.create([]),
            "later_round": lambda: self.create([self.round(False)], **RESPOND_METADATA),
            "unknown_user": lambda: self._unknown(self.create([], userNotFound=True)),
            "sms_channel": lambda: self.create(
                [], userAttributes=_attributes(self.username, email=False)
            ),
        }

    # -- Verify -----------------------------------------------------------------------------

    def verify(self, answer: str, record: CodeRecord, **request: Any) -> dict[str, Any]:
        body = {
            "userAttributes": _attributes(self.username),
            "privateChallengeParameters": record.private_parameters(),
            "challengeAnswer": answer,
        }
        body |= {"userNotFound": False} | RESPOND_METADATA | request
        return self.envelope("verify", body)

    def verify_scenarios(self) -> dict[str, Callable[[], dict[str, Any]]]:
        wrong = f"{(int(SAMPLE_CODE) + 1) % 10 ** len(SAMPLE_CODE):0{len(SAMPLE_CODE)}d}"
        return {
            "right_answer": lambda: self.verify(SAMPLE_CODE, self.record()),
            "wrong_answer": lambda: self.verify(wrong, self.record()),
            "expired_answer": lambda: self.verify(SAMPLE_CODE, self.record(self.now - 3600)),
            "malformed_answer": lambda: self.verify("12ab56", self.record()),
            "unknown_user": lambda: self._unknown(
                self.verify(SAMPLE_CODE, self._unmatchable(), userNotFound=True)
            ),
        }

    def _unknown(self, event: dict[str, Any]) -> dict[str, Any]:
        event["userName"] = "nobody@example.com"
        event["request"]["userAttributes"] = {}
        return event

    def _unmatchable(self) -> CodeRecord:
        # What Create gives an unknown user: a random value no answer hashes to.
        return CodeRecord(
            "W7x0eVtQd0c4u9rNqJ2kD5mA8pL3sZ1yH6fG4bC2xE0", self.now, Channel.EMAIL, "n***@e***.com"
        )


def scenarios(trigger: str) -> list[str]:
    """The scenario names of ``trigger`` (define, create or verify)."""
    return list(_table(_Builder(DEFAULT_USER_POOL_ID, DEFAULT_USERNAME, SAMPLE_TIME), trigger))


def _table(builder: _Builder, trigger: str) -> dict[str, Callable[[], dict[str, Any]]]:
    if trigger not in TRIGGERS:
        raise UnknownScenarioError(f"trigger must be one of {', '.join(TRIGGERS)}")
    table: dict[str, Callable[[], dict[str, Any]]] = getattr(builder, f"{trigger}_scenarios")()
    return table


def generate(
    trigger: str,
    scenario: str | None = None,
    *,
    user_pool_id: str = DEFAULT_USER_POOL_ID,
    username: str = DEFAULT_USERNAME,
    now: int = SAMPLE_TIME,
) -> dict[str, Any]:
    """The event of ``trigger`` for ``scenario`` (its first scenario if None)."""
    table = _table(_Builder(user_pool_id, username, now), trigger)
    name = scenario or next(iter(table))
    if name not in table:
        raise UnknownScenarioError(
            f"no scenario {name!r} for {trigger}; choose one of {', '.join(table)}"
        )
    return table[name]()


def all_samples(now: int = SAMPLE_TIME) -> dict[str, dict[str, Any]]:
    """Every sample event, by its path under events/."""
    return {
        f"{FOLDERS[trigger]}/{scenario}.json": generate(trigger, scenario, now=now)
        for trigger in TRIGGERS
        for scenario in scenarios(trigger)
    }
