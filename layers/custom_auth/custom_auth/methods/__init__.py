"""The sign-in methods: one module each, registered here by the name Cognito's clients use.

A deployment enables some of them (``SIGN_IN_METHODS``, such as ``EMAIL_OTP,SMS_OTP``); a
trigger imports the modules of the enabled ones only, when it starts. This module itself
imports nothing but the standard library, so Define, which needs the names and nothing else,
stays cheap to start.

Adding a method: write ``custom_auth/methods/<name>.py`` with a ``build(env)`` that returns a
:class:`~custom_auth.methods.base.SignInMethod`, and add its name here.
"""

import importlib
from collections.abc import Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from custom_auth.methods.base import Methods

#: Every method custom-auth has, by name, and the module that builds it.
REGISTRY: Mapping[str, str] = {
    "EMAIL_OTP": "custom_auth.methods.email_otp",
    "SMS_OTP": "custom_auth.methods.sms_otp",
    "MAGIC_LINK": "custom_auth.methods.magic_link",
    "PASSKEY": "custom_auth.methods.passkey",
}

#: Methods a client may start in more than one way (a magic link: "send me one", or "I have
#: one": a link opened in another browser must not send a new one). A deployment that enables
#: one starts every sign-in with a choice, even with no other method, because only a choice
#: round lets the client say which (Create never reliably sees ClientMetadata).
CHOSEN_FIRST = frozenset({"MAGIC_LINK"})

#: What the first round of a sign-in with several methods is called in the public parameters
#: (``SIGN_IN_METHOD``) and in its metadata; never a method's name.
SELECT = "SELECT"
#: The public parameter naming a round's method (SELECT for a choice).
SIGN_IN_METHOD = "SIGN_IN_METHOD"
#: The public parameter listing, as JSON, the methods this user may choose or switch to.
SIGN_IN_METHODS = "SIGN_IN_METHODS"
#: The ClientMetadata key of RespondToAuthChallenge a client may name its method with.
METHOD_METADATA_KEY = "signInMethod"


def starts_with_choice(names: tuple[str, ...], *, sign_up: bool = False) -> bool:
    """Whether a sign-in with these methods enabled starts with a choice (``SELECT``). With
    sign-up on, every one does: the choice's answer carries the address typed
    (:mod:`custom_auth.sign_up`)."""
    return sign_up or len(names) > 1 or not CHOSEN_FIRST.isdisjoint(names)


def choice_value(method: str, option: str, address: str | None = None) -> str:
    """What Verify records for a choice or switch: the method, the method's option for its
    first round (``MAGIC_LINK:redeem``), if any, and the address an unknown user signs up
    with, if any (after a line break, which neither a method's option nor an address holds)."""
    value = f"{method}:{option}" if option else method
    return f"{value}\n{address}" if address else value


def read_choice_value(value: str) -> tuple[str, str, str | None]:
    """:func:`choice_value`'s (method, option, address)."""
    chosen, _, address = value.partition("\n")
    method, _, option = chosen.partition(":")
    return method, option, address or None


def build(names: tuple[str, ...], env: Mapping[str, str]) -> "Methods":
    """The enabled methods, in the order ``SIGN_IN_METHODS`` lists them, each built from the
    environment (a method checks its own variables, and a bad one stops the function). Only
    their modules are imported."""
    from custom_auth.methods.base import Methods

    return Methods(tuple(importlib.import_module(REGISTRY[name]).build(env) for name in names))
