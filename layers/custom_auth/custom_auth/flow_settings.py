"""Define's configuration, in a module of its own: what Define reads (``AUTH_FLOW``,
``MAX_ATTEMPTS``, ``SIGN_IN_METHODS``), and the readers every setting uses.

Define imports only this; :mod:`custom_auth.settings` re-exports it beside what Create and
Verify read. A bad value stops the function at start-up with an error that names the variable
and the rule.
"""

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Self, TypeVar

from custom_auth.errors import CustomAuthError

E = TypeVar("E", bound=StrEnum)


class SettingsError(CustomAuthError, ValueError):
    """An environment variable holds a value the triggers cannot run with."""


class AuthFlow(StrEnum):
    """``AUTH_FLOW``: what a sign-in consists of."""

    #: Custom-challenge rounds only: a one-time code.
    OTP = "otp"
    #: The password first (SRP_A, then PASSWORD_VERIFIER), then a one-time code.
    PASSWORD_OTP = "password+otp"  # noqa: S105 - a flow name, not a password


def _choice(env: Mapping[str, str], name: str, kind: type[E], default: E) -> E:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        return kind(raw)
    except ValueError:
        allowed = ", ".join(member.value for member in kind)
        raise SettingsError(f"{name}: must be one of {allowed}; got {raw!r}") from None


def _integer(env: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    if not re.fullmatch(r"[0-9]+", raw) or not low <= int(raw) <= high:
        raise SettingsError(f"{name}: must be a whole number from {low} to {high}; got {raw!r}")
    return int(raw)


def _flag(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    if raw not in ("true", "false"):
        raise SettingsError(f"{name}: must be true or false; got {raw!r}")
    return raw == "true"


def _required(env: Mapping[str, str], name: str, why: str) -> str:
    raw = env.get(name, "").strip()
    if not raw:
        raise SettingsError(f"{name}: is required ({why})")
    return raw


def sign_in_methods(env: Mapping[str, str]) -> tuple[str, ...]:
    """``SIGN_IN_METHODS``: the enabled methods, comma separated, in the order offered
    (default ``EMAIL_OTP``). ``OTP_CHANNEL``, which it replaces, is refused."""
    from custom_auth.methods import REGISTRY

    name = "SIGN_IN_METHODS"
    known = ", ".join(REGISTRY)
    old = env.get("OTP_CHANNEL", "").strip()
    if old:
        hint = {"email": "EMAIL_OTP", "sms": "SMS_OTP"}.get(old, "one of " + known)
        raise SettingsError(
            f"OTP_CHANNEL: is replaced by {name}; set {name}={hint} instead (got "
            f"OTP_CHANNEL={old!r})"
        )
    raw = env.get(name, "").strip()
    if not raw:
        return ("EMAIL_OTP",)
    names = tuple(part.strip() for part in raw.split(","))
    for method in names:
        if method not in REGISTRY:
            raise SettingsError(
                f"{name}: each must be one of {known}, separated by commas; got {method!r}"
            )
    if len(set(names)) != len(names):
        raise SettingsError(f"{name}: names a method twice; got {raw!r}")
    return names


@dataclass(frozen=True)
class FlowSettings:
    """What Define needs: the flow, the enabled methods and the attempt limit."""

    #: ``AUTH_FLOW``: otp (default: a method only) or password+otp (the password, then one).
    auth_flow: AuthFlow = AuthFlow.OTP
    #: ``MAX_ATTEMPTS``: failed rounds that fail one sign-in (default 3, 1 to 10).
    max_attempts: int = 3
    #: ``SIGN_IN_METHODS``: the enabled methods (default EMAIL_OTP); with more than one, each
    #: sign-in starts with the user choosing.
    methods: tuple[str, ...] = ("EMAIL_OTP",)
    #: ``SIGN_UP``: an unknown address that proves itself gets an account (default false):
    #: each sign-in then starts with a choice, and a sign-up's right code is followed by the
    #: round that ends it (the client signs in again).
    sign_up: bool = False

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Self:
        """Read ``AUTH_FLOW``, ``MAX_ATTEMPTS``, ``SIGN_IN_METHODS`` and ``SIGN_UP``."""
        env = os.environ if env is None else env
        auth_flow = _choice(env, "AUTH_FLOW", AuthFlow, AuthFlow.OTP)
        sign_up = _flag(env, "SIGN_UP", False)
        if sign_up and auth_flow is AuthFlow.PASSWORD_OTP:
            raise SettingsError(
                "SIGN_UP: cannot be true with AUTH_FLOW=password+otp (an account made by "
                "sign-up has no password its user knows)"
            )
        return cls(
            auth_flow=auth_flow,
            max_attempts=_integer(env, "MAX_ATTEMPTS", 3, 1, 10),
            methods=sign_in_methods(env),
            sign_up=sign_up,
        )
