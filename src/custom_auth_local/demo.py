"""``custom-auth demo``: one email-code sign-in against a local pool, told step by step."""

import os
import re
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from custom_auth.model import AdminInitiateAuthResponse, ChallengeParameters
from custom_auth_local import signin, tokens
from custom_auth_local.stack import LocalStack, local_stack

SHORT_NAMES = {
    "DefineAuthChallenge": "Define",
    "CreateAuthChallenge": "Create",
    "VerifyAuthChallengeResponse": "Verify",
}
#: Trigger logs and metrics are kept out of the story unless --verbose.
QUIET_TRIGGERS = {"POWERTOOLS_LOG_LEVEL": "WARNING", "POWERTOOLS_METRICS_DISABLED": "true"}


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
    username: str,
    parameter_overrides: Mapping[str, str],
    outbox: Path,
    interactive: bool,
    verbose: bool,
    out: TextIO,
    ask: Callable[[str], str] = input,
) -> None:
    """Walk one sign-in, writing the story to ``out``."""
    style = Style(out)

    def say(text: str = "") -> None:
        print(text, file=out)

    with local_stack(
        template,
        parameter_overrides=parameter_overrides,
        env_overrides={} if verbose else QUIET_TRIGGERS,
        outbox=outbox,
    ) as stack:
        user = stack.create_user(username)
        say(style.heading("1. A local user pool, from " + template.name))
        say(f"   pool {stack.user_pool_id}, app client {stack.client_id}")
        for trigger, function in stack.pool.functions.items():
            code = function.spec.code_uri.relative_to(stack.template.root)
            say(f"   {trigger:<28} {function.spec.logical_id} ({code}/{function.spec.module}.py)")
        say(f"   user {username} (username {user})")

        seen = len(stack.outbox.messages())

        def show(step: str, response: AdminInitiateAuthResponse) -> None:
            if step == "challenge":
                say()
                say(style.heading("2. AdminInitiateAuth, AuthFlow=CUSTOM_AUTH"))
                say("   the response, read by custom_auth.model:")
                say(f"   {response!r}")

        def answer(parameters: ChallengeParameters) -> str:
            messages = stack.outbox.messages()[seen:]
            say()
            where = style.dim(f"  ({stack.outbox.directory})")
            say(style.heading("3. The message that was delivered") + where)
            if messages:
                message = messages[-1]
                say(f"   {message.channel} to {message.to}, {message.sent_at}")
                if message.subject:
                    say(f"   subject: {message.subject}")
                for line in message.body.strip().splitlines():
                    say(f"   | {line}")
            say()
            say(style.heading("4. The answer"))
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
        done = signin.sign_in(client, username, answer, on_step=show)
        elapsed = (time.perf_counter() - started) * 1000
        _show_tokens(stack, done, say, style)
        calls = ", ".join(SHORT_NAMES[name] for name in stack.pool.invocations)
        count = len(stack.pool.invocations)
        say()
        say(style.good(f"Signed in: {count} trigger calls ({calls}) in {elapsed:.0f} ms."))


def _show_tokens(
    stack: LocalStack,
    done: AdminInitiateAuthResponse,
    say: Callable[[str], None],
    style: Style,
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
    say(style.heading("5. Tokens, verified against the pool's JWKS"))
    say(f"   {done.authentication_result!r}")
    say(f"   RS256 signatures, issuer, audience and expiry checked with {expected}/")
    say("   .well-known/jwks.json (a key made for this pool)")
    expires = datetime.fromtimestamp(int(id_claims["exp"]), UTC).isoformat()
    for claim, value in (
        ("iss", id_claims["iss"]),
        ("sub", id_claims["sub"]),
        ("email", id_claims.get("email", "")),
        ("aud", id_claims["aud"]),
        ("exp", expires),
    ):
        say(f"   {claim:<6} {value}")
