"""Define Auth Challenge's decision: a pure function of the session so far and the policy.

Tokens are issued only when every entry of the session is exactly what the policy expects, in
order, and the last one is a ``CUSTOM_CHALLENGE`` whose result is the boolean ``True``. Every
other session, a malformed one included, fails authentication: this module never raises for a
session it does not expect, and it never treats a truthy value (``"true"``, ``1``) as a pass.

    otp            CUSTOM_CHALLENGE*  (at most MAX_ATTEMPTS rounds; the last one right)
    password+otp   SRP_A, PASSWORD_VERIFIER, then as otp
"""

from collections.abc import Sequence
from enum import StrEnum
from typing import NamedTuple

from custom_auth.challenge_names import ChallengeName
from custom_auth.events import ChallengeResult
from custom_auth.settings import AuthFlow, FlowSettings

#: The session entry Cognito records when a client starts CUSTOM_AUTH with SRP_A.
SRP_A = "SRP_A"
# Enum members as plain module constants: looking one up on its class costs more than the
# comparison it serves, and decide() runs on every Define invocation.
_CUSTOM_CHALLENGE = ChallengeName.CUSTOM_CHALLENGE
_PASSWORD_VERIFIER = ChallengeName.PASSWORD_VERIFIER
_PASSWORD_OTP = AuthFlow.PASSWORD_OTP


class Outcome(StrEnum):
    """What Define tells Cognito to do next."""

    PRESENT_CHALLENGE = "present_challenge"
    ISSUE_TOKENS = "issue_tokens"
    FAIL_AUTHENTICATION = "fail_authentication"


class Decision(NamedTuple):
    """Define's answer, with what the logs need to explain it (never a secret).

    Immutable, and a tuple so that building one is cheap on Define's hot path.
    """

    outcome: Outcome
    #: The challenge to present, for PRESENT_CHALLENGE.
    challenge_name: ChallengeName | None = None
    #: Why, in a few words.
    reason: str = ""
    #: Custom-challenge (code) rounds answered so far in this sign-in.
    rounds: int = 0
    #: Of those, how many were wrong.
    wrong_answers: int = 0


_PRESENT = Outcome.PRESENT_CHALLENGE
_ISSUE = Outcome.ISSUE_TOKENS
_FAIL = Outcome.FAIL_AUTHENTICATION


def _fail(reason: str, rounds: int = 0, wrong_answers: int = 0) -> Decision:
    return Decision(_FAIL, None, reason, rounds, wrong_answers)


# Built once: most sessions Define refuses are refused on their first surprising entry.
_NO_SRP_A = _fail("password+otp: the sign-in must start with SRP_A")
_UNEXPECTED = _fail("unexpected session: an entry the policy does not expect")
_NOT_PASSED = _fail("unexpected session: a password step that did not pass")
_WRONG_PASSWORD = _fail("wrong password")
_ASK_PASSWORD = Decision(_PRESENT, _PASSWORD_VERIFIER, "password step")


def decide(
    session: Sequence[ChallengeResult], policy: FlowSettings, *, user_not_found: bool = False
) -> Decision:
    """Decide what follows ``session`` under ``policy``.

    ``user_not_found`` sessions run exactly like a real user's (same challenges, same number of
    rounds) but can never end in tokens.
    """
    size = len(session)
    first_round = 0
    if policy.auth_flow is _PASSWORD_OTP:
        if size == 0:
            return _NO_SRP_A
        srp_a = session[0]
        if srp_a.challenge_name != SRP_A:
            return _UNEXPECTED
        if srp_a.challenge_result is not True:
            return _NOT_PASSED
        if size == 1:
            return _ASK_PASSWORD
        verifier = session[1]
        if verifier.challenge_name != _PASSWORD_VERIFIER:
            return _UNEXPECTED
        if verifier.challenge_result is not True:
            return _WRONG_PASSWORD if verifier.challenge_result is False else _NOT_PASSED
        first_round = 2

    rounds = size - first_round
    wrong_answers = 0
    for index in range(first_round, size):
        entry = session[index]
        result = entry.challenge_result
        if entry.challenge_name != _CUSTOM_CHALLENGE or (
            result is not True and result is not False
        ):
            return _UNEXPECTED
        if wrong_answers >= policy.max_attempts:
            return _fail("unexpected session: a round after the last allowed one", rounds)
        if result is True:
            if index != size - 1:
                return _fail("unexpected session: a round after a right answer", rounds)
            if user_not_found:
                return _fail("unknown user", rounds, wrong_answers)
            return Decision(_ISSUE, None, "right answer", rounds, wrong_answers)
        wrong_answers += 1

    if wrong_answers >= policy.max_attempts:
        return _fail("too many wrong answers", rounds, wrong_answers)
    reason = "first code round" if rounds == 0 else "another try"
    return Decision(_PRESENT, _CUSTOM_CHALLENGE, reason, rounds, wrong_answers)
