"""Password first: SRP inside CUSTOM_AUTH, then one of the enabled methods (``AUTH_FLOW=
password+otp``).

Not a method of its own but the steps before one: the client starts CUSTOM_AUTH with
``CHALLENGE_NAME=SRP_A``; Cognito records ``SRP_A``, Define asks for ``PASSWORD_VERIFIER``,
and Cognito checks the SRP proof itself. Define reads the steps from here, so the flow names
no password step, and this module imports nothing a cold start would notice.
"""

from collections.abc import Sequence
from typing import NamedTuple

from custom_auth.challenge_names import ChallengeName
from custom_auth.define_event import ChallengeResult

#: The session entry Cognito records when a client starts CUSTOM_AUTH with SRP_A.
SRP_A = "SRP_A"


class Pending(NamedTuple):
    """Why the password steps are not done: the next one to present, or a failure."""

    #: The challenge Define presents next; None: the sign-in fails.
    challenge_name: ChallengeName | None
    reason: str


_NO_SRP_A = Pending(None, "password+otp: the sign-in must start with SRP_A")
_UNEXPECTED = Pending(None, "unexpected session: an entry the policy does not expect")
_NOT_PASSED = Pending(None, "unexpected session: a password step that did not pass")
_WRONG_PASSWORD = Pending(None, "wrong password")
_ASK_PASSWORD = Pending(ChallengeName.PASSWORD_VERIFIER, "password step")


class PasswordFirst:
    """The two password entries a session must start with."""

    #: How many session entries the password steps take.
    length = 2

    def check(self, session: Sequence[ChallengeResult]) -> tuple[Pending | None, int]:
        """(None, where the method's rounds start) when both steps passed; else what is
        pending (the verifier to present, or why the sign-in fails) and 0."""
        size = len(session)
        if size == 0:
            return _NO_SRP_A, 0
        srp_a = session[0]
        if srp_a.challenge_name != SRP_A:
            return _UNEXPECTED, 0
        if srp_a.challenge_result is not True:
            return _NOT_PASSED, 0
        if size == 1:
            return _ASK_PASSWORD, 0
        verifier = session[1]
        if verifier.challenge_name != ChallengeName.PASSWORD_VERIFIER:
            return _UNEXPECTED, 0
        if verifier.challenge_result is not True:
            return (_WRONG_PASSWORD if verifier.challenge_result is False else _NOT_PASSED), 0
        return None, self.length


PASSWORD_FIRST = PasswordFirst()
