"""How an answer fared: the judgement every sign-in method gives, in one small module."""

from enum import StrEnum


class Verdict(StrEnum):
    """How an answer fared."""

    RIGHT = "right"
    WRONG = "wrong"
    MALFORMED = "malformed"
    EXPIRED = "expired"
