"""The ``custom-auth`` command line.

    custom-auth invoke LOGICAL_ID --event FILE [--env-vars FILE] [--parameter-overrides K=V ...]
    custom-auth generate-event define|create|verify [--scenario NAME] [--list]

``invoke`` runs a function of template.yaml in-process, as ``sam local invoke`` would in a
container, with AWS served by local stand-ins (moto) unless ``--real-aws`` is given; messages
sent land in the outbox. The returned event is printed on stdout; logs go to stderr.
"""

import argparse
import contextlib
import json
import shlex
import sys
import time
import tomllib
from collections.abc import Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any
from unittest import mock

from custom_auth.errors import CustomAuthError
from custom_auth_local import sample_events
from custom_auth_local.invoke import LocalFunction, lambda_error
from custom_auth_local.standins import DEFAULT_OUTBOX, Outbox, local_aws
from custom_auth_local.template import Template

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
    overrides = samconfig_overrides(args.template, args.config_env)
    overrides |= parse_overrides(args.parameter_overrides or [], "--parameter-overrides")
    template = Template.load(args.template, overrides)
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
    return 0


def parser() -> argparse.ArgumentParser:
    """The command line's parser."""
    top = argparse.ArgumentParser(prog=PROG, description="Run custom-auth locally.")
    commands = top.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = commands.add_parser("invoke", help="run a function of template.yaml on an event")
    run.add_argument("logical_id", metavar="LOGICAL_ID", help="the function's logical id")
    run.add_argument("--event", "-e", type=Path, required=True, help="the event, a JSON file")
    run.add_argument("--env-vars", "-n", type=Path, help="environment overrides (SAM's format)")
    run.add_argument(
        "--parameter-overrides", nargs="+", metavar="KEY=VALUE", help="template parameters"
    )
    run.add_argument("--template", "-t", type=Path, default=Path("template.yaml"))
    run.add_argument(
        "--config-env", default="default", help="samconfig.toml environment for local_invoke"
    )
    run.add_argument("--real-aws", action="store_true", help="call AWS with your credentials")
    run.add_argument("--at", help="pin the clock (local only): epoch seconds or ISO-8601")
    run.add_argument("--outbox", type=Path, default=DEFAULT_OUTBOX, help="where messages go")
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
