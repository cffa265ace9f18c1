"""What Create records about each custom-challenge round, for the rounds after it.

Cognito keeps each round's ``challengeMetadata`` in the session and shows it to Define and
Create, never to the client, so it is where a sign-in remembers what it did: whether a round
was the choice of a method (``SELECT``) or one method's challenge, whether that method was
switched to in it, the sign-in's own random id (which keys the choice Verify records), and the
method's own record. Define reads it without importing any method, so this module is small.

    ca2:<SELECT or method name>:<0, or 1 when switched to>:<sign-in id>:<the method's record>
"""

from typing import NamedTuple

_PREFIX = "ca2"


class Round(NamedTuple):
    """One custom-challenge round, as Create described it."""

    #: ``SELECT`` (the user chooses a method) or the name of the method whose challenge it was.
    method: str
    #: The method was switched to in this round (the round before asked for it).
    switched: bool
    #: The sign-in's random id, the same in each of its rounds.
    sign_in: str
    #: The method's own record (empty for SELECT).
    body: str

    def __repr__(self) -> str:
        # The sign-in's id keys its recorded choices, and the body holds the code's hash.
        return f"Round(method={self.method!r}, switched={self.switched}, sign_in=<redacted>)"

    def to_metadata(self) -> str:
        """``challengeMetadata``."""
        return f"{_PREFIX}:{self.method}:{int(self.switched)}:{self.sign_in}:{self.body}"


def private_parameters(
    method: str, sign_in: str, index: int, offered: tuple[str, ...], *, may_switch: bool
) -> dict[str, str]:
    """What Create keeps private about round ``index`` (besides the method's own record), for
    Verify: the round's method, the sign-in's id, the methods offered, whether it may switch."""
    return {
        "signInMethod": method,
        "signIn": sign_in,
        "round": str(index),
        "offered": ",".join(offered),
        "maySwitch": "1" if may_switch else "0",
    }


def parse_round(metadata: object) -> Round | None:
    """Read :meth:`Round.to_metadata`'s output; anything else is None."""
    if not isinstance(metadata, str):
        return None

    parts = metadata.split(":", 4)
    if len(parts) != 5 or parts[0] != _PREFIX or parts[2] not in ("0", "1"):
        return None
    _, method, switched, sign_in, body = parts
    if not method or not sign_in:
        return None
    return Round(method, switched == "1", sign_in, body)
