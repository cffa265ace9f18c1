"""``custom-auth demo``: one sign-in against a local pool, told step by step.

By default an email code (``EMAIL_OTP``, the template's default method): four trigger calls.
``method`` (``--method``) signs in with that method, enabling it after the template's own when
the overrides do not name ``SignInMethods``: ``--method SMS_OTP`` runs a pool with
``EMAIL_OTP,SMS_OTP``, so the sign-in starts with the user choosing, and the user has a
verified phone number in a country the demo allows (``SmsAllowedCountryCodes=1``).
"""

import itertools
import os
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from custom_auth.errors import CustomAuthError
from custom_auth.methods import METHOD_METADATA_KEY, SELECT, SIGN_IN_METHODS
from custom_auth.model import AdminInitiateAuthResponse, ChallengeParameters
from custom_auth_local import signin, tokens
from custom_auth_local.serve import DEFAULT_PORT
from custom_auth_local.site import PAGE_PATH
from custom_auth_local.stack import LocalStack, local_stack
from custom_auth_local.template import list_items, load_yaml, resolve_parameters

SHORT_NAMES = {
    "DefineAuthChallenge": "Define",
    "CreateAuthChallenge": "Create",
    "VerifyAuthChallengeResponse": "Verify",
}
#: Where `custom-auth serve` puts the sign-in page, on its default port.
SERVE_PAGE = f"http://127.0.0.1:{DEFAULT_PORT}{PAGE_PATH}"
#: Trigger logs and metrics are kept out of the story unless --verbose.
QUIET_TRIGGERS = {"POWERTOOLS_LOG_LEVEL": "WARNING", "POWERTOOLS_METRICS_DISABLED": "true"}
#: The demo user's email address and phone number (a +1 number: SmsAllowedCountryCodes=1).
DEMO_EMAIL = "alice@example.com"
DEMO_PHONE = "+12065550100"
#: The country the demo lets SMS go to, when the overrides name none.
DEMO_SMS_COUNTRIES = "1"


class DemoError(CustomAuthError):
    """The demo cannot run as asked (a method the overrides do not enable, for example)."""


@dataclass(frozen=True)
class Deployment:
    """What the demo's local pool runs: the template parameters, and the methods they enable."""

    parameter_overrides: dict[str, str]
    methods: tuple[str, ...]


def deployment(template: Path, overrides: Mapping[str, str], method: str | None) -> Deployment:
    """The parameter overrides that enable ``method`` (if given) besides the others.

    ``SignInMethods`` given in the overrides is kept as it is, and must list ``method``;
    otherwise ``method`` is added after the template's default ones. With ``SMS_OTP`` enabled
    and no ``SmsAllowedCountryCodes`` given, SMS may go to +1 numbers (the demo's is one)."""
    chosen = dict(overrides)
    declared = load_yaml(template).get("Parameters", {})
    if "SignInMethods" not in declared:
        if method is not None:
            raise DemoError(f"--method {method}: {template.name} has no SignInMethods parameter")
        return Deployment(chosen, ())
    resolved = resolve_parameters({"SignInMethods": declared["SignInMethods"]}, {})
    if "SignInMethods" in overrides:
        methods = tuple(list_items(overrides["SignInMethods"]))
        if method is not None and method not in methods:
            raise DemoError(
                f"--method {method}: the parameter overrides enable "
                f"SignInMethods={overrides['SignInMethods']} only"
            )
    else:
        methods = tuple(list_items(resolved["SignInMethods"]))
        if method is not None and method not in methods:
            methods = (*methods, method)
            chosen["SignInMethods"] = ",".join(methods)
    if "SMS_OTP" in methods and not chosen.get("SmsAllowedCountryCodes"):
        chosen["SmsAllowedCountryCodes"] = DEMO_SMS_COUNTRIES
    return Deployment(chosen, methods)


class Style:
    """ANSI colour when writing to a terminal (and NO_COLOR is unset), plain text otherwise."""

    def __init__(self, out: TextIO) -> None:
        self.enabled = out.isatty() and "NO_COLOR" not in os.environ

    def _wrap(self, code: str, text: str) -> str:
        return f"\033[{code}m{text}\033[0m" if self.enabled else text

    def heading(self, text: str) -> str:
        return self._wrap("1;36", text)

    def good(self, text: str) -> str:
        return self._wrap("32", text)

    def dim(self, text: str) -> str:
        return self._wrap("2", text)


def run_demo(
    *,
    template: Path,
    username: str | None = None,
    parameter_overrides: Mapping[str, str],
    outbox: Path,
    interactive: bool,
    verbose: bool,
    out: TextIO,
    ask: Callable[[str], str] = input,
    method: str | None = None,
) -> None:
    """Walk one sign-in, writing the story to ``out``.

    ``username`` defaults to the demo's email address, or its phone number when the pool's
    users sign in with one (``SignInMethods`` starting with ``SMS_OTP``)."""
    style = Style(out)
    setup = deployment(template, parameter_overrides, method)
    steps = itertools.count(1)

    def say(text: str = "") -> None:
        print(text, file=out)

    def heading(text: str, where: str = "") -> None:
        say(style.heading(f"{next(steps)}. {text}") + where)

    with local_stack(
        template,
        parameter_overrides=setup.parameter_overrides,
        env_overrides={} if verbose else QUIET_TRIGGERS,
        outbox=outbox,
    ) as stack:
        name, attributes = _demo_user(stack, username, setup.methods)
        user = stack.create_user(name, attributes=attributes)
        heading("A local user pool, from " + template.name)
        say(f"   pool {stack.user_pool_id}, app client {stack.client_id}")
        for trigger, function in stack.pool.functions.items():
            code = function.spec.code_uri.relative_to(stack.template.root)
            say(f"   {trigger:<28} {function.spec.logical_id} ({code}/{function.spec.module}.py)")
        phone = attributes.get("phone_number")
        say(f"   user {name} (username {user})" + (f", phone {phone}" if phone else ""))
        if len(setup.methods) > 1:
            say(f"   sign-in methods (SignInMethods): {', '.join(setup.methods)}")

        seen = len(stack.outbox.messages())
        choosing: list[tuple[str, ...]] = []  # the methods offered, while a choice is answered

        def show(step: str, response: AdminInitiateAuthResponse) -> None:
            if step != "challenge":
                return
            parameters = response.challenge_parameters or ChallengeParameters()
            if choosing:
                offered = choosing.pop()
                chosen = signin.round_method(parameters) or "?"
                say()
                heading("The choice of method")
                say(f"   offered to this user ({SIGN_IN_METHODS}): {', '.join(offered)}")
                say(
                    f"   AdminRespondToAuthChallenge with ANSWER={chosen} and ClientMetadata "
                    f'{{"{METHOD_METADATA_KEY}": "{chosen}"}}'
                )
                say("   the response, the chosen method's first round:")
                say(f"   {response!r}")
            elif signin.round_method(parameters) == SELECT:
                say()
                heading("AdminInitiateAuth, AuthFlow=CUSTOM_AUTH")
                say("   the response, read by custom_auth.model: a choice (SIGN_IN_METHOD=SELECT)")
                say(f"   {response!r}")
                choosing.append(signin.offered_methods(parameters))
            else:
                say()
                heading("AdminInitiateAuth, AuthFlow=CUSTOM_AUTH")
                say("   the response, read by custom_auth.model:")
                say(f"   {response!r}")

        def answer(parameters: ChallengeParameters) -> str:
            messages = stack.outbox.messages()[seen:]
            say()
            heading("The message that was delivered", style.dim(f"  ({stack.outbox.directory})"))
            if messages:
                message = messages[-1]
                say(f"   {message.channel} to {message.to}, {message.sent_at}")
                if message.subject:
                    say(f"   subject: {message.subject}")
                for line in message.body.strip().splitlines():
                    say(f"   | {line}")
            say()
            heading("The answer")
            if interactive:
                code = ask(f"   code sent to {parameters.code_delivery_destination}: ").strip()
            else:
                found = re.findall(r"(?<!\d)\d{6,10}(?!\d)", messages[-1].body) if messages else []
                code = found[0] if found else ""
                say(f"   read from the outbox: {code}")
            return code

        started = time.perf_counter()
        client = signin.Client(
            stack.cognito(), stack.client_id, stack.client_secret, stack.user_pool_id, admin=True
        )
        done = signin.sign_in(client, name, answer, method=method, on_step=show)
        elapsed = (time.perf_counter() - started) * 1000
        _show_tokens(stack, done, say, heading)
        calls = ", ".join(SHORT_NAMES[call] for call in stack.pool.invocations)
        count = len(stack.pool.invocations)
        say()
        say(style.good(f"Signed in: {count} trigger calls ({calls}) in {elapsed:.0f} ms."))
        say()
        say(f"The same sign-in in a browser: `.venv/bin/custom-auth serve --user {DEMO_EMAIL}`,")
        say(f"then open {SERVE_PAGE} (the codes are on the outbox page it links to).")


def _demo_user(
    stack: LocalStack, username: str | None, methods: tuple[str, ...]
) -> tuple[str, dict[str, str]]:
    """The demo user's name and the attributes it is created with: a verified phone number
    when SMS_OTP is enabled (and the name is not one already)."""
    described = stack.cognito().describe_user_pool(UserPoolId=stack.user_pool_id)["UserPool"]
    by_phone = described.get("UsernameAttributes") == ["phone_number"]
    if username is None:
        username = DEMO_PHONE if by_phone else DEMO_EMAIL
    elif by_phone and not username.startswith("+"):
        raise DemoError(
            f"--username {username}: this pool's users sign in with a phone number "
            f"(SignInMethods starts with SMS_OTP); give one, such as {DEMO_PHONE}"
        )
    attributes: dict[str, str] = {}
    if "SMS_OTP" in methods and not username.startswith("+"):
        attributes |= {"phone_number": DEMO_PHONE, "phone_number_verified": "true"}
    if "EMAIL_OTP" in methods and "@" not in username:
        attributes |= {"email": DEMO_EMAIL, "email_verified": "true"}
    return username, attributes


def _show_tokens(
    stack: LocalStack,
    done: AdminInitiateAuthResponse,
    say: Callable[[str], None],
    heading: Callable[[str], None],
) -> None:
    result = done.authentication_result
    if result is None or not result.id_token or not result.access_token:
        raise signin.SignInError("NoTokens", "the sign-in ended without ID and access tokens")
    expected = stack.pool.tokens.issuer
    jwks = tokens.fetch_jwks(expected)
    id_claims = tokens.verify(
        result.id_token, jwks, expected_issuer=expected, client_id=stack.client_id, use="id"
    )
    tokens.verify(
        result.access_token,
        jwks,
        expected_issuer=expected,
        client_id=stack.client_id,
        use="access",
    )
    say("")
    heading("Tokens, verified against the pool's JWKS")
    say(f"   {done.authentication_result!r}")
    say(f"   RS256 signatures, issuer, audience and expiry checked with {expected}/")
    say("   .well-known/jwks.json (a key made for this pool)")
    expires = datetime.fromtimestamp(int(id_claims["exp"]), UTC).isoformat()
    claims = [("iss", id_claims["iss"]), ("sub", id_claims["sub"])]
    if "email" in id_claims or "phone_number" not in id_claims:
        claims.append(("email", id_claims.get("email", "")))
    if "phone_number" in id_claims:
        claims.append(("phone_number", id_claims["phone_number"]))
    claims += [("aud", id_claims["aud"]), ("exp", expires)]
    width = max(6, *(len(claim) + 1 for claim, _ in claims))
    for claim, value in claims:
        say(f"   {claim:<{width}} {value}")
