"""The ``custom-auth`` command line.

    custom-auth demo [--interactive] [--username EMAIL] [--method METHOD]
    custom-auth serve [--port 4566] [--user EMAIL ...] [--web DIR]
    custom-auth sign-in --username U [--endpoint-url URL | --stack-file F] [--password]
                        [--method METHOD] [--answer CODE_OR_LINK] [--redirect-uri URI]
    custom-auth sign-in --redeem LINK_OR_URL [--endpoint-url URL | --stack-file F]
    custom-auth sign-in --sign-up --username EMAIL_OR_PHONE [...]
    custom-auth outbox [--last] [--json]
    custom-auth invoke LOGICAL_ID --event FILE [--env-vars FILE] [--parameter-overrides K=V ...]
    custom-auth generate-event define|create|verify [--scenario NAME] [--list]

``invoke`` runs a function of template.yaml in-process, as ``sam local invoke`` would in a
container, with AWS served by local stand-ins (moto) unless ``--real-aws`` is given; messages
sent land in the outbox. The returned event is printed on stdout; logs go to stderr.
"""

import argparse
import contextlib
import getpass
import json
import os
import shlex
import signal
import sys
import threading
import time
import tomllib
from collections.abc import Iterator, Sequence
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import Any
from unittest import mock

import boto3

from custom_auth.errors import CustomAuthError
from custom_auth.magic_link import METHOD as MAGIC_LINK
from custom_auth.methods import REGISTRY
from custom_auth.model import ChallengeParameters
from custom_auth.sign_up import parse_address
from custom_auth_local import sample_events, signin
from custom_auth_local.auth_flows import settings_that_skip_the_triggers
from custom_auth_local.demo import QUIET_TRIGGERS, run_demo
from custom_auth_local.invoke import LocalFunction, lambda_error
from custom_auth_local.serve import DEFAULT_PORT, DEFAULT_STACK_FILE, serve
from custom_auth_local.site import LOOPBACK_NAMES
from custom_auth_local.standins import DEFAULT_OUTBOX, Outbox, local_aws
from custom_auth_local.template import LOCAL_REGION, Template

PROG = "custom-auth"


class UsageError(CustomAuthError):
    """A command-line argument or a file it names is not usable."""


# --- reading the inputs -------------------------------------------------------------------------


def read_json(path: Path, what: str) -> Any:
    """The JSON in ``path``; a one-line error if it is missing or malformed."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise UsageError(f"{what} {path}: cannot read it ({error.strerror})") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise UsageError(
            f"{what} {path}: not valid JSON (line {error.lineno}: {error.msg})"
        ) from None


def env_overrides(path: Path | None, logical_id: str) -> dict[str, str]:
    """SAM's --env-vars format: {"Parameters": {...}, "<LogicalId>": {...}}, all functions first."""
    if path is None:
        return {}
    data = read_json(path, "--env-vars")
    if not isinstance(data, dict):
        raise UsageError(f"--env-vars {path}: must be a JSON object")
    merged: dict[str, str] = {}
    for section in ("Parameters", logical_id):
        variables = data.get(section, {})
        if not isinstance(variables, dict):
            raise UsageError(f"--env-vars {path}: {section} must be an object")
        for name, value in variables.items():
            if isinstance(value, dict | list) or value is None:
                raise UsageError(f"--env-vars {path}: {section}.{name} must be a string or number")
            merged[name] = str(value).lower() if isinstance(value, bool) else str(value)
    return merged


def parse_overrides(entries: Sequence[str], source: str) -> dict[str, str]:
    """``Key=Value`` entries (a value may be quoted, as the SAM CLI allows)."""
    overrides = {}
    for entry in entries:
        for part in shlex.split(entry):
            name, sep, value = part.partition("=")
            if not sep or not name:
                raise UsageError(f"{source}: {part!r} is not Key=Value")
            overrides[name] = value
    return overrides


def samconfig_overrides(template_path: Path, config_env: str) -> dict[str, str]:
    """parameter_overrides of samconfig.toml's [<env>.local_invoke.parameters], if any."""
    path = template_path.resolve().parent / "samconfig.toml"
    if not path.is_file():
        return {}
    try:
        config = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as error:
        raise UsageError(f"{path}: not valid TOML ({error})") from None
    raw = config.get(config_env, {}).get("local_invoke", {}).get("parameters", {})
    entries = raw.get("parameter_overrides", [])
    return parse_overrides([entries] if isinstance(entries, str) else entries, str(path))


def parse_time(text: str) -> float:
    """Seconds since the epoch, from seconds or an ISO-8601 time with its offset (or Z)."""
    try:
        return float(text)
    except ValueError:
        pass
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise UsageError(
            f"--at {text!r}: not seconds since the epoch or an ISO-8601 time"
        ) from None
    if moment.tzinfo is None:
        raise UsageError(f"--at {text!r}: give the offset, for example 2026-11-22T00:01:00Z")
    return moment.timestamp()


@contextlib.contextmanager
def frozen_clock(at: float | None) -> Iterator[None]:
    """``time.time()`` returns ``at`` inside, when given."""
    if at is None:
        yield
        return
    with mock.patch("time.time", return_value=at):
        yield


# --- the commands -------------------------------------------------------------------------------


def invoke(args: argparse.Namespace) -> int:
    """``custom-auth invoke``: run one function on one event; print what it returns."""
    if args.real_aws and args.at is not None:
        raise UsageError("--at pins the clock of the local stand-ins; it cannot go with --real-aws")
    template = Template.load(args.template, template_overrides(args))
    spec = template.function(args.logical_id)
    event = read_json(args.event, "--event")
    function = LocalFunction(spec, env_overrides(args.env_vars, args.logical_id))
    at = parse_time(args.at) if args.at is not None else None

    stand_ins: contextlib.AbstractContextManager[None] = contextlib.nullcontext()
    outbox = None
    if not args.real_aws:
        outbox = Outbox(args.outbox)
        sender = function.environment.get("SENDER_EMAIL")
        stand_ins = local_aws(template, outbox=outbox, senders=[sender] if sender else [])
    before = len(outbox.messages()) if outbox is not None else 0
    with stand_ins, frozen_clock(at), contextlib.redirect_stdout(sys.stderr):
        passkeys = function.environment.get("PASSKEY_TABLE_NAME")
        if not args.real_aws and passkeys:
            # The stand-ins hold the sample user's sample passkey, which the PASSKEY samples read.
            dynamodb = boto3.client("dynamodb")
            for item in sample_events.passkey_items():
                dynamodb.put_item(TableName=passkeys, Item=item)
        invocation = function.invoke(event)

    report = f"REPORT {spec.logical_id} Duration: {invocation.duration_ms:.1f} ms"
    report += " (cold start)" if invocation.cold_start else ""
    print(report, file=sys.stderr)
    if outbox is not None:
        sent = len(outbox.messages()) - before
        if sent:
            print(f"outbox: {sent} message(s) written to {outbox.directory}", file=sys.stderr)
    if invocation.timed_out:
        print(f"{spec.logical_id} timed out (Timeout {spec.timeout_seconds} s)", file=sys.stderr)
    if invocation.error is not None:
        print(json.dumps(lambda_error(invocation.error), indent=2))
        return 1
    print(json.dumps(invocation.result, indent=2))
    return 1 if invocation.timed_out else 0


def generate_event(args: argparse.Namespace) -> int:
    """``custom-auth generate-event``: print a valid event of one trigger."""
    if args.list:
        print("\n".join(sample_events.scenarios(args.trigger)))
        return 0
    try:
        event = sample_events.generate(
            args.trigger,
            args.scenario,
            user_pool_id=args.user_pool_id,
            username=args.username,
            now=int(time.time()),
        )
    except sample_events.UnknownScenarioError as error:
        raise UsageError(str(error)) from None
    print(json.dumps(event, indent=2))
    scenario = args.scenario or sample_events.scenarios(args.trigger)[0]
    needs = sample_events.parameters(args.trigger, scenario)
    if needs:
        overrides = " ".join(f"{name}={value}" for name, value in needs.items())
        print(f"{PROG}: an event for --parameter-overrides {overrides}", file=sys.stderr)
    path = f"{sample_events.FOLDERS[args.trigger]}/{scenario}.json"
    if path in sample_events.PRECEDED_BY:
        print(
            f"{PROG}: it reads the choice that events/{sample_events.PRECEDED_BY[path]} "
            "records in the state table (see events/README.md)",
            file=sys.stderr,
        )
    return 0


def template_overrides(args: argparse.Namespace) -> dict[str, str]:
    """samconfig.toml's local_invoke overrides, then --parameter-overrides."""
    overrides = samconfig_overrides(args.template, args.config_env)
    return overrides | parse_overrides(args.parameter_overrides or [], "--parameter-overrides")


def demo(args: argparse.Namespace) -> int:
    """``custom-auth demo``: one sign-in against a local pool (an email code unless
    ``--method``), step by step."""
    run_demo(
        template=args.template,
        username=args.username,
        parameter_overrides=template_overrides(args),
        outbox=args.outbox,
        interactive=args.interactive,
        verbose=args.verbose,
        out=sys.stdout,
        method=args.method,
    )
    return 0


def serve_command(args: argparse.Namespace) -> int:
    """``custom-auth serve``: the local pool behind an HTTP endpoint until Ctrl-C."""
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())

    def announce(description: dict[str, object]) -> None:
        print(f"custom-auth: serving {args.template} at {description['endpoint_url']}")
        for key in ("region", "user_pool_id", "client_id", "outbox"):
            print(f"  {key:<13} {description[key]}")
        if "sign_in_page" in description:
            print(f"  sign-in page  {description['sign_in_page']}")
        else:
            print("  sign-in page  none: no web/index.html beside the template (--web DIR)")
        print(f"  outbox page   {description['outbox_page']} (the codes a person would receive)")
        for user, name in dict(description["users"]).items():  # type: ignore[call-overload]
            print(f"  user          {user} (username {name})")
        print(f"  stack file    {args.stack_file}")
        skipping = settings_that_skip_the_triggers(description["explicit_auth_flows"])  # type: ignore[arg-type]
        if skipping:
            print(
                f"{PROG}: warning: the app client allows {', '.join(skipping)}: a password alone "
                "signs in there, without the triggers",
                file=sys.stderr,
            )
        if args.host not in LOOPBACK_NAMES and f"[{args.host}]" not in LOOPBACK_NAMES:
            print(
                f"{PROG}: warning: --host {args.host}: anyone who can reach this port can read "
                "the outbox page, codes included",
                file=sys.stderr,
            )
        print("Ctrl-C stops it.", flush=True)

    serve(
        args.template,
        host=args.host,
        port=args.port,
        users=args.user or [],
        outbox=args.outbox,
        stack_file=args.stack_file,
        parameter_overrides=template_overrides(args),
        env_overrides={} if args.verbose else QUIET_TRIGGERS,
        announce=announce,
        stop=stop,
        log_requests=args.verbose,
        web=args.web,
    )
    print("custom-auth: stopped", file=sys.stderr)
    return 0


def read_stack(stack_file: Path | None, *, given: tuple[str | None, ...]) -> dict[str, Any]:
    """What ``--stack-file`` holds; without it, a running ``custom-auth serve``'s stack.json,
    unless the pool was ``given`` on the command line; {} for none."""
    if stack_file is None and all(value is None for value in given):
        stack_file = DEFAULT_STACK_FILE if DEFAULT_STACK_FILE.is_file() else None
    if stack_file is None:
        return {}
    loaded = read_json(stack_file, "--stack-file")
    if not isinstance(loaded, dict):
        raise UsageError(f"--stack-file {stack_file}: must be a JSON object")
    return loaded


def sign_in_command(args: argparse.Namespace) -> int:
    """``custom-auth sign-in``: a CUSTOM_AUTH sign-in against a deployed or local pool."""
    stack = read_stack(args.stack_file, given=(args.endpoint_url, args.client_id))
    endpoint_url = args.endpoint_url or stack.get("endpoint_url")
    client_id = args.client_id or stack.get("client_id")
    if not client_id:
        raise UsageError(
            "--client-id is required (or --stack-file, or a running `custom-auth serve`)"
        )
    pool_id = args.user_pool_id or stack.get("user_pool_id")
    secret = (
        args.client_secret or os.environ.get("COGNITO_CLIENT_SECRET") or stack.get("client_secret")
    )
    region = args.region or stack.get("region") or (pool_id.split("_")[0] if pool_id else None)
    if args.password and not pool_id:
        raise UsageError("--password needs --user-pool-id (the pool id goes into the SRP proof)")
    credentials = {}
    if endpoint_url and not boto3.session.Session().get_credentials():
        # A local endpoint checks no signature, but boto3 signs every call.
        credentials = {"aws_access_key_id": "local", "aws_secret_access_key": "local"}
    cognito = boto3.client(
        "cognito-idp", region_name=region or LOCAL_REGION, endpoint_url=endpoint_url, **credentials
    )
    password = getpass.getpass("Password: ") if args.password else None

    switched: list[str] = []
    username, redeem = args.username, args.redeem is not None
    if redeem:
        link = signin.link_in(args.redeem)
        if link is None:
            raise UsageError("--redeem: must be a sign-in link, or the URL of one (…#magic-link=…)")
        username = username or signin.link_user(link)
    if not username:
        raise UsageError("--username is required (or --redeem with a sign-in link)")
    if args.sign_up:
        if redeem or args.password:
            raise UsageError("--sign-up: cannot go with --redeem or --password")
        if not (parse_address(username, "email") or parse_address(username, "phone_number")):
            raise UsageError(
                "--username: with --sign-up, must be an email address (name@example.com) or a "
                f"phone number with its country code (+12065550100); got {username!r}"
            )
    outbox = Path(stack["outbox"]) if isinstance(stack.get("outbox"), str) else None

    def ask_code(parameters: ChallengeParameters) -> str:
        if redeem:
            return str(signin.link_in(args.redeem))
        if args.answer is not None:
            return signin.link_in(args.answer) or str(args.answer)
        if signin.round_method(parameters) == MAGIC_LINK:
            return ask_link(parameters, username, outbox)
        if signin.round_method(parameters) == signin.NEEDS_A_BROWSER:
            raise signin.SignInError(
                "PasskeyNeedsABrowser",
                "this round is a passkey's, and a terminal has no authenticator: sign in on "
                "the sign-in page, or choose another method with --method",
            )
        where = parameters.code_delivery_destination or "you"
        medium = (parameters.code_delivery_delivery_medium or "").lower() or "a message"
        current = signin.round_method(parameters)
        others = [m for m in signin.offered_methods(parameters) if m != current]
        hint = f" (or {' or '.join(others)} to switch)" if others and not switched else ""
        answer = input(f"Code sent by {medium} to {where}{hint}: ").strip()
        if answer in others:
            switched.append(answer)  # a sign-in switches once
        return answer

    def on_step(step: str, response: Any) -> None:
        if step == "signed up":
            print(f"Your account is ready: {username} is proven. Signing you in to it…")

    client = signin.Client(cognito, client_id, secret, pool_id)
    try:
        done = signin.sign_in(
            client,
            username,
            ask_code,
            password=password,
            method=MAGIC_LINK if redeem else args.method,
            redeem=redeem,
            redirect_uri=args.redirect_uri,
            sign_up=args.sign_up,
            on_step=on_step,
        )
    except signin.SignInError as error:
        print(f"{PROG}: sign-in failed: {error}", file=sys.stderr)
        return 1
    result = done.authentication_result
    expires = result.expires_in if result is not None else None
    print(f"Signed in as {username}: tokens issued, valid for {expires} s.")
    if args.tokens_file is not None and result is not None:
        path = args.tokens_file
        path.parent.mkdir(parents=True, exist_ok=True)
        with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as handle:
            json.dump(result.to_dict(), handle, indent=2)
        print(f"Tokens written to {path} (readable by you only).")
    return 0


def ask_link(parameters: ChallengeParameters, username: str, outbox: Path | None) -> str:
    """A MAGIC_LINK round: show the link from the local outbox, if there is one, and take the
    link, its URL or the code; Enter uses the link shown."""
    shown = _outbox_link(outbox, username) if outbox is not None else None
    if shown is not None:
        print(f"Sign-in link (from the local outbox):\n  {shown}")
        prompt = "Press Enter to use it, or paste a link or type the code from the email: "
    else:
        where = parameters.code_delivery_destination or "you"
        print(f"A sign-in link and a code were sent by email to {where}.")
        prompt = "Paste the link (or its URL), or type the code: "
    typed = input(prompt).strip()
    if not typed and shown is not None:
        return str(signin.link_in(shown))
    return signin.link_in(typed) or typed


def _outbox_link(outbox: Path, username: str) -> str | None:
    """The URL of the newest magic link the local outbox holds for ``username``."""
    for message in reversed(Outbox(outbox).messages()):
        if message.to.lower() != username.lower():
            continue
        for word in message.body.split():
            if signin.link_in(word) is not None and word.startswith(("http://", "https://")):
                return word
    return None


def passkeys_command(args: argparse.Namespace) -> int:
    """``custom-auth passkeys list --user U``: the passkeys a user has registered (their
    names, ids, transports, when made and last used; never a key)."""
    from custom_auth.credentials import CredentialStore, owner_key
    from custom_auth_local.template import local_ref

    stack = read_stack(args.stack_file, given=(args.endpoint_url, args.user_pool_id))
    endpoint_url = args.endpoint_url or stack.get("endpoint_url")
    pool_id = args.user_pool_id or stack.get("user_pool_id")
    if not pool_id:
        raise UsageError(
            "--user-pool-id is required (or --stack-file, or a running `custom-auth serve`)"
        )
    region = args.region or stack.get("region") or pool_id.split("_")[0]
    # A local stack's table has the name the stand-ins gave it.
    local = bool(stack) or endpoint_url is not None
    table = args.table or (
        local_ref("PasskeyCredentialsTable", "AWS::DynamoDB::Table") if local else None
    )
    if not table:
        raise UsageError(
            "--table is required for a deployed pool (the PasskeyCredentialsTableName output)"
        )
    credentials = {}
    if endpoint_url and not boto3.session.Session().get_credentials():
        credentials = {"aws_access_key_id": "local", "aws_secret_access_key": "local"}
    clients = {"region_name": region, "endpoint_url": endpoint_url, **credentials}
    cognito = boto3.client("cognito-idp", **clients)
    try:
        user = cognito.admin_get_user(UserPoolId=pool_id, Username=args.user)
    except cognito.exceptions.UserNotFoundException:
        raise UsageError(f"--user: no user {args.user!r} in {pool_id}") from None
    store = CredentialStore(table, client=boto3.client("dynamodb", **clients))
    sub = next((a["Value"] for a in user.get("UserAttributes", []) if a["Name"] == "sub"), "")
    owner = owner_key(pool_id, user["Username"])
    passkeys = [c.described() for c in store.owned_by(owner, sub)]
    if args.json:
        print(json.dumps(passkeys, indent=2))
        return 0
    if not passkeys:
        print(f"{args.user} has no passkeys.")
        return 0
    print(f"{args.user} has {len(passkeys)} passkey{'s' if len(passkeys) > 1 else ''}:")
    for passkey in passkeys:
        used = passkey["lastUsedAt"]
        last = datetime.fromtimestamp(used).isoformat(timespec="seconds") if used else "never"
        made = datetime.fromtimestamp(passkey["createdAt"]).isoformat(timespec="seconds")
        transports = ",".join(passkey["transports"]) or "-"
        print(f"  {passkey['name']}  id {passkey['id']}")
        print(
            f"    made {made}, last used {last}, transports {transports}, "
            f"{'synced' if passkey['backedUp'] else 'this device only'}"
        )
    return 0


def outbox_command(args: argparse.Namespace) -> int:
    """``custom-auth outbox``: the messages the triggers sent locally."""
    messages = Outbox(args.outbox).messages()
    if args.last:
        messages = messages[-1:]
    if not messages:
        print(f"{PROG}: no messages in {args.outbox}", file=sys.stderr)
        return 1
    if args.json:
        data = [asdict(message) for message in messages]
        print(json.dumps(data[0] if args.last else data, indent=2))
        return 0
    for message in messages:
        print(f"{message.sent_at}  {message.channel} to {message.to}")
        if message.subject:
            print(f"  subject: {message.subject}")
        for line in message.body.strip().splitlines():
            print(f"  | {line}")
    return 0


def _template_arguments(command: argparse.ArgumentParser) -> None:
    command.add_argument("--template", "-t", type=Path, default=Path("template.yaml"))
    command.add_argument(
        "--parameter-overrides", nargs="+", metavar="KEY=VALUE", help="template parameters"
    )
    command.add_argument(
        "--config-env", default="default", help="samconfig.toml environment for local_invoke"
    )
    command.add_argument("--outbox", type=Path, default=DEFAULT_OUTBOX, help="where messages go")


#: The methods a terminal can answer: a passkey needs a browser's authenticator (the page).
TERMINAL_METHODS = [name for name in REGISTRY if name != "PASSKEY"]


def _method_argument(command: argparse.ArgumentParser, what: str) -> None:
    command.add_argument(
        "--method",
        choices=TERMINAL_METHODS,
        metavar="METHOD",
        help=f"{' | '.join(TERMINAL_METHODS)}: {what}",
    )


def parser() -> argparse.ArgumentParser:
    """The command line's parser."""
    top = argparse.ArgumentParser(prog=PROG, description="Run custom-auth locally.")
    commands = top.add_subparsers(dest="command", required=True, metavar="COMMAND")

    show = commands.add_parser("demo", help="walk one sign-in on a local pool, step by step")
    _template_arguments(show)
    show.add_argument(
        "--username", help="the demo user (alice@example.com, or +12065550100 if by phone)"
    )
    _method_argument(show, "sign in with it, enabling it too if the overrides do not")
    show.add_argument("--interactive", action="store_true", help="ask for the code")
    show.add_argument("--verbose", action="store_true", help="show the triggers' own logs")
    show.set_defaults(run=demo)

    endpoint = commands.add_parser("serve", help="serve the local pool over HTTP")
    _template_arguments(endpoint)
    endpoint.add_argument("--port", type=int, default=DEFAULT_PORT)
    endpoint.add_argument("--host", default="127.0.0.1")
    endpoint.add_argument("--user", action="append", metavar="EMAIL", help="create this user")
    endpoint.add_argument("--stack-file", type=Path, default=DEFAULT_STACK_FILE)
    endpoint.add_argument(
        "--web", type=Path, help="the sign-in page's folder (default: web/ beside the template)"
    )
    endpoint.add_argument("--verbose", action="store_true", help="show the triggers' own logs")
    endpoint.set_defaults(run=serve_command)

    login = commands.add_parser("sign-in", help="sign in through a pool with CUSTOM_AUTH")
    login.add_argument("--username", help="required unless --redeem names a link")
    login.add_argument("--endpoint-url", help="a local endpoint (custom-auth serve)")
    login.add_argument("--stack-file", type=Path, help="stack.json of custom-auth serve")
    login.add_argument("--user-pool-id")
    login.add_argument("--client-id")
    login.add_argument("--client-secret", help="or COGNITO_CLIENT_SECRET in the environment")
    login.add_argument("--region")
    login.add_argument("--password", action="store_true", help="password first (SRP), asked for")
    login.add_argument(
        "--answer", help="the code (or, for MAGIC_LINK, the link or its URL), instead of asking"
    )
    login.add_argument(
        "--redeem",
        metavar="LINK",
        help="sign in with a MAGIC_LINK link (or its URL) received already: nothing is sent",
    )
    login.add_argument(
        "--redirect-uri", help="MAGIC_LINK: the listed page the link should point to"
    )
    _method_argument(login, "the method to choose (default: the first offered)")
    login.add_argument(
        "--sign-up",
        action="store_true",
        help="a new email address or phone number gets an account with its code (the pool's "
        "PasswordlessSignUp); the same prompts whether or not it has one",
    )
    login.add_argument("--tokens-file", type=Path, help="write the tokens here (mode 600)")
    login.set_defaults(run=sign_in_command)

    box = commands.add_parser("outbox", help="show the messages the triggers sent locally")
    box.add_argument("--outbox", type=Path, default=DEFAULT_OUTBOX)
    box.add_argument("--last", action="store_true", help="only the last message")
    box.add_argument("--json", action="store_true", help="as JSON")
    box.set_defaults(run=outbox_command)

    keys = commands.add_parser("passkeys", help="show a user's passkeys (PASSKEY)")
    keys.add_argument("action", choices=["list"], help="list: the user's passkeys")
    keys.add_argument("--user", required=True, help="the user's name, email or phone number")
    keys.add_argument("--endpoint-url", help="a local endpoint (custom-auth serve)")
    keys.add_argument("--stack-file", type=Path, help="stack.json of custom-auth serve")
    keys.add_argument("--user-pool-id")
    keys.add_argument("--region")
    keys.add_argument(
        "--table", help="the credentials table (deployed: PasskeyCredentialsTableName)"
    )
    keys.add_argument("--json", action="store_true", help="as JSON")
    keys.set_defaults(run=passkeys_command)

    run = commands.add_parser("invoke", help="run a function of template.yaml on an event")
    run.add_argument("logical_id", metavar="LOGICAL_ID", help="the function's logical id")
    run.add_argument("--event", "-e", type=Path, required=True, help="the event, a JSON file")
    run.add_argument("--env-vars", "-n", type=Path, help="environment overrides (SAM's format)")
    _template_arguments(run)
    run.add_argument("--real-aws", action="store_true", help="call AWS with your credentials")
    run.add_argument("--at", help="pin the clock (local only): epoch seconds or ISO-8601")
    run.set_defaults(run=invoke)

    make = commands.add_parser("generate-event", help="print a trigger event")
    make.add_argument("trigger", choices=list(sample_events.TRIGGERS))
    make.add_argument("--scenario", "-s", help="which situation (see --list)")
    make.add_argument("--list", action="store_true", help="list the trigger's scenarios")
    make.add_argument("--user-pool-id", default=sample_events.DEFAULT_USER_POOL_ID)
    make.add_argument("--username", default=sample_events.DEFAULT_USERNAME)
    make.set_defaults(run=generate_event)
    return top


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``custom-auth`` console script."""
    args = parser().parse_args(argv)
    try:
        code: int = args.run(args)
    except CustomAuthError as error:
        print(f"{PROG}: error: {error}", file=sys.stderr)
        return 2
    return code
