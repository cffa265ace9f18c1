"""Define Auth Challenge's decision: a pure function of the session so far and the policy.

Tokens are issued only when every entry of the session is exactly what the policy expects, in
order, and the last one is a method's ``CUSTOM_CHALLENGE`` round whose result is the boolean
``True``. Every other session, a malformed one included, fails authentication: this module
never raises for a session it does not expect, and it never treats a truthy value (``"true"``,
``1``) as a pass. What each custom round was comes from its ``challengeMetadata``, which only
Create writes (:mod:`custom_auth.rounds`); a round whose metadata is not Create's fails.

    one method        M*                    (the method's rounds; the last one right)
    several methods   SELECT+ M* [S M*]     (choose; one switch S to another method at most)
    (MAGIC_LINK, even alone, is chosen like several: see methods.CHOSEN_FIRST)
    password first    SRP_A, PASSWORD_VERIFIER, then as above
    sign-up           as with several methods; the round after the code that made an
                      unknown user's account (answered False) is SIGNED_UP, and any session
                      holding one fails: the client signs in again

Every failed round counts towards ``max_attempts``: a wrong answer, a refused choice, a round
of a method that failed. Two do not: a SELECT round whose result is True (a choice was made),
and a method round whose False the next round shows to have been a switch (its metadata says
``switched``). A switch is only known from the round after it, so one made with the sign-in's
last allowed attempt still fails the sign-in.
"""

from collections.abc import Sequence
from enum import StrEnum
from typing import NamedTuple

from custom_auth.challenge_names import ChallengeName
from custom_auth.define_event import ChallengeResult
from custom_auth.flow_settings import AuthFlow, FlowSettings
from custom_auth.methods import SELECT, starts_with_choice
from custom_auth.methods.password_first import PASSWORD_FIRST, SRP_A
from custom_auth.rounds import parse_round

#: The round after a sign-up's right code (custom_auth.sign_up.SIGNED_UP; not imported, so
#: that Define loads nothing of sign-up).
SIGNED_UP = "SIGNED_UP"

__all__ = ["SRP_A", "Decision", "Outcome", "decide"]

# Enum members as plain module constants: looking one up on its class costs more than the
# comparison it serves, and decide() runs on every Define invocation.
_CUSTOM_CHALLENGE = ChallengeName.CUSTOM_CHALLENGE
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
    challenge_name: ChallengeName | str | None = None
    #: Why, in a few words.
    reason: str = ""
    #: Custom-challenge rounds answered so far in this sign-in.
    rounds: int = 0
    #: Of those, how many failed (and counted).
    wrong_answers: int = 0
    #: The method of the last round (SELECT for a choice), if any.
    method: str | None = None


_PRESENT = Outcome.PRESENT_CHALLENGE
_ISSUE = Outcome.ISSUE_TOKENS
_FAIL = Outcome.FAIL_AUTHENTICATION


def _fail(reason: str, rounds: int = 0, wrong_answers: int = 0) -> Decision:
    return Decision(_FAIL, None, reason, rounds, wrong_answers)


# Built once: most sessions Define refuses are refused on their first surprising entry.
_UNEXPECTED = _fail("unexpected session: an entry the policy does not expect")
_NOT_CREATES = _fail("unexpected session: a round whose metadata is not Create's")


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
        refusal, first_round = PASSWORD_FIRST.check(session)
        if refusal is not None:
            if refusal.challenge_name is not None:  # the next password step
                return Decision(_PRESENT, refusal.challenge_name, refusal.reason)
            return _fail(refusal.reason)

    methods = policy.methods
    choosing = starts_with_choice(methods, sign_up=policy.sign_up)
    rounds = size - first_round
    wrong = 0
    current: str | None = None  # the method chosen (or the only one); None before that
    chosen = False  # the round before was a choice that was made
    switched = False
    after_method_false = False  # the round before was a method's failed round
    for index in range(first_round, size):
        # The budget as Define saw it when it asked for this round.
        if wrong >= policy.max_attempts:
            return _fail("unexpected session: a round after the last allowed one", rounds, wrong)
        entry = session[index]
        result = entry.challenge_result
        if entry.challenge_name != _CUSTOM_CHALLENGE or (
            result is not True and result is not False
        ):
            return _UNEXPECTED
        described = parse_round(entry.challenge_metadata)
        if described is None:
            return _NOT_CREATES
        method = described.method
        if method == SIGNED_UP:
            if policy.sign_up and user_not_found:
                return _fail("signed up: the client signs in again", rounds, wrong)
            return _fail("unexpected session: a sign-up round the policy does not expect")
        if method == SELECT:
            if not choosing or current is not None or chosen or described.switched:
                return _fail("unexpected session: a choice the policy does not expect", rounds)
        elif method not in methods:
            return _fail("unexpected session: a method the policy does not expect", rounds)
        elif described.switched:
            # Straight after a failed round of another method, once per sign-in: that round
            # was the switch, not a wrong answer.
            if switched or not after_method_false or method == current:
                return _fail("unexpected session: a switch the policy does not allow", rounds)
            switched = True
            wrong -= 1
            current = method
        elif current is None:
            if choosing and not chosen:
                return _fail("unexpected session: a method nobody chose", rounds)
            current = method
        elif method != current:
            return _fail("unexpected session: a method the policy does not expect", rounds)
        chosen = False
        after_method_false = False
        if result is True:
            if method == SELECT:
                chosen = True
                continue
            if index != size - 1:
                return _fail("unexpected session: a round after a right answer", rounds)
            if user_not_found:
                return _fail("unknown user", rounds, wrong)
            return Decision(_ISSUE, None, "right answer", rounds, wrong, method)
        wrong += 1
        after_method_false = method != SELECT

    if wrong >= policy.max_attempts:
        return _fail("too many wrong answers", rounds, wrong)
    if rounds == 0:
        reason = "choose a method" if choosing else "first round"
    else:
        reason = "the chosen method" if chosen else "another try"
    return Decision(_PRESENT, _CUSTOM_CHALLENGE, reason, rounds, wrong, current)
