"""`make bench`: cold start, per-invocation cost, sign-in throughput, package size.

Writes .bench/results.json (stable keys, so results can be compared over time) and prints a
table. Every figure is a median over repeated runs, with its spread; the runs of things that
are compared (a function and its floor) are interleaved, so a noisy machine slows both alike.

- cold_start.<function>: a fresh python3.13 process (``--python``: boto3 and moto only) that
  imports the built function with its built layer (from `sam build`) and answers one sample
  event, wall time from spawn to exit, in ms. AWS calls go to a local moto server.
- cold_start_floor.<function>: the same process, importing only what the function cannot do
  without (the Powertools pieces it uses; boto3, with the same clients created, where it calls
  AWS) and doing nothing else. cold_start_ratio = the first over the second (target <= 1.10).
- warm_us.<function>: one handler invocation on a sample event in a warm process, in µs
  (median, p99), with AWS calls served in-process by moto; the part spent in AWS calls is
  reported apart (aws_median) and taken out (own_median).
- signin_ms, signins_per_s: one in-process email-code sign-in (initiate and respond) through
  the local user pool. invocations_per_signin: the trigger invocations it took.
- package_kb.<function>, package_kb.layer: the built artefacts, zipped.
- pacing: whether Create's duration tells a known user from an unknown one. The real
  create_auth_challenge runs in-process, with real time, for known users (a send, through a
  stub SES whose call sleeps a random latency) and unknown ones (userNotFound, padded by the
  pacer), interleaved. single_probe_accuracy: the best single threshold on one set of probes,
  scored on a fresh set (target <= 0.55; 0.5 is a coin toss); fastest_of_nine_accuracy: the
  same on the fastest of nine probes, over fewer groups (40 of each: about 11 points either
  way at 95 %; tests/test_pacing.py holds it to 0.55 over 200, in simulated time).

    python tools/bench.py --python .venv-lambda/bin/python [--runs 15] [--out .bench/results.json]
"""

import argparse
import io
import json
import logging
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "template.yaml"
SENDER = "no-reply@example.com"
AWS_ENV = {
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_ACCESS_KEY_ID": "bench",
    "AWS_SECRET_ACCESS_KEY": "bench",
}
#: The function folders, as the results name them, and their logical ids in the template.
FUNCTIONS = {
    "define_auth_challenge": "DefineAuthChallengeFunction",
    "create_auth_challenge": "CreateAuthChallengeFunction",
    "verify_auth_challenge_response": "VerifyAuthChallengeResponseFunction",
}
#: The sample event each function answers (a Create that sends, a Verify that writes).
SAMPLES = {
    "define_auth_challenge": "define_auth_challenge/after_wrong_answer.json",
    "create_auth_challenge": "create_auth_challenge/first_round.json",
    "verify_auth_challenge_response": "verify_auth_challenge_response/wrong_answer.json",
}
#: What each function cannot do without: the Powertools pieces it uses and, where it calls
#: AWS, boto3 with the clients it creates (the code key's secretsmanager client included).
_POWERTOOLS = "from aws_lambda_powertools import Logger, Metrics\n"
_STATE_AND_KEY = (
    "import boto3\n"
    "from botocore.config import Config\n"
    "boto3.client('secretsmanager')\n"
    "boto3.client('dynamodb', config=Config(connect_timeout=1, read_timeout=1))\n"
)
FLOORS = {
    "define_auth_challenge": _POWERTOOLS,
    "create_auth_challenge": _POWERTOOLS + _STATE_AND_KEY + "boto3.client('sesv2')\n",
    "verify_auth_challenge_response": _POWERTOOLS + _STATE_AND_KEY,
}
# Runs in the python3.13 process: the built function and layer first on sys.path.
COLD_PROBE = r"""
import json, sys, time
function_dir, layer_dir, event_path, user, report, calls_aws = sys.argv[1:7]
sys.path[:0] = [function_dir, layer_dir]
spent = [0.0]
if calls_aws == "1":  # botocore is imported by the function anyway: time its calls
    import botocore.client
    _call = botocore.client.BaseClient._make_api_call
    def _timed(self, *args, **kwargs):
        started = time.perf_counter()
        try:
            return _call(self, *args, **kwargs)
        finally:
            spent[0] += time.perf_counter() - started
    botocore.client.BaseClient._make_api_call = _timed
import app
with open(event_path) as handle:
    event = json.load(handle)
event["userName"] = user
class Context:
    function_name = "bench"; function_version = "$LATEST"; memory_limit_in_mb = 256
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:bench"
    aws_request_id = "bench"
app.lambda_handler(event, Context())
with open(report, "w") as handle:
    handle.write(str(spent[0] * 1000))
"""
FLOOR_PROBE = "import sys\nsys.path[:0] = sys.argv[1:3]\n"
COLD_TARGET = 1.10


def spread(values: list[float], digits: int = 1) -> dict[str, float | int]:
    """Median, quartiles and count of ``values``."""
    ordered = sorted(values)
    if len(ordered) > 1:
        p25, _, p75 = statistics.quantiles(ordered, n=4, method="inclusive")
    else:
        p25 = p75 = ordered[0]
    return {
        "median": round(statistics.median(ordered), digits),
        "p25": round(p25, digits),
        "p75": round(p75, digits),
        "runs": len(ordered),
    }


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


# --- cold start ---------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def moto_server() -> Iterator[str]:
    """A moto server holding what the template declares (the stand-ins' own provisioning)."""
    from moto.server import ThreadedMotoServer

    from custom_auth_local.standins import environment, provision
    from custom_auth_local.template import Template

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no line per request
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    try:
        with environment({**AWS_ENV, "AWS_ENDPOINT_URL": endpoint}):
            provision(Template.load(TEMPLATE, {"SenderEmail": SENDER}), [SENDER])
        yield endpoint
    finally:
        server.stop()


def timed_process(command: list[str], env: Mapping[str, str]) -> float:
    """Wall time of one process, spawn to exit, in ms; it must succeed."""
    started = time.perf_counter()
    done = subprocess.run(
        command, env=dict(env), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False
    )
    elapsed = (time.perf_counter() - started) * 1000
    if done.returncode != 0:
        raise SystemExit(f"bench: {command[2:4]} failed:\n{done.stderr.decode()[-2000:]}")
    return elapsed


def cold_starts(python: str, build: Path, runs: int) -> dict[str, Any]:
    from custom_auth_local.template import Template

    template = Template.load(TEMPLATE, {"SenderEmail": SENDER})
    environments = {
        name: template.function(logical_id).environment for name, logical_id in FUNCTIONS.items()
    }
    layer = build / "CustomAuthLayer" / "python"
    cold: dict[str, list[float]] = {name: [] for name in FUNCTIONS}
    aws: dict[str, list[float]] = {name: [] for name in FUNCTIONS}
    report = Path(tempfile.mkdtemp()) / "aws_ms"
    floor: dict[str, list[float]] = {name: [] for name in FUNCTIONS}
    with moto_server() as endpoint:
        for run in range(runs):
            for name, logical_id in FUNCTIONS.items():
                env = {
                    "PATH": "/usr/bin:/bin",
                    **environments[name],
                    **AWS_ENV,
                    "AWS_ENDPOINT_URL": endpoint,
                }
                event = ROOT / "events" / SAMPLES[name]
                function = [python, "-c", COLD_PROBE, str(build / logical_id), str(layer)]
                # Each run a user of its own: Create sends (no cooldown), Verify writes.
                calls_aws = "1" if "boto3" in FLOORS[name] else "0"
                command = [*function, str(event), f"bench-{run}", str(report), calls_aws]
                cold[name].append(timed_process(command, env))
                aws[name].append(float(report.read_text(encoding="utf-8")))
                floor_code = FLOOR_PROBE + FLOORS[name]
                probe = [python, "-c", floor_code, str(build / logical_id), str(layer)]
                floor[name].append(timed_process(probe, env))
    return {
        "cold_start": {name: spread(values) for name, values in cold.items()},
        "cold_start_floor": {name: spread(values) for name, values in floor.items()},
        "cold_start_ratio": {
            name: round(statistics.median(cold[name]) / statistics.median(floor[name]), 3)
            for name in FUNCTIONS
        },
        # Inside the cold start: the AWS calls themselves (to a local moto server here), which
        # the floor does not make; and the ratio without them.
        "cold_start_aws_ms": {name: spread(values) for name, values in aws.items()},
        "cold_start_ratio_without_aws": {
            name: round(
                statistics.median([c - a for c, a in zip(cold[name], aws[name], strict=True)])
                / statistics.median(floor[name]),
                3,
            )
            for name in FUNCTIONS
        },
    }


# --- warm invocations and sign-ins (run in a child process, its stdout discarded) ----------------


def load_handler(folder: str) -> Callable[[Any, Any], Any]:
    import importlib.util

    path = ROOT / "functions" / folder / "app.py"
    spec = importlib.util.spec_from_file_location(f"bench_{folder}", path)
    if spec is None or spec.loader is None:
        raise SystemExit(f"bench: cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    handler: Callable[[Any, Any], Any] = module.lambda_handler
    return handler


class AwsTimer:
    """Adds up the time spent in AWS calls: all of botocore's work for a call, moto's answer
    included (BaseClient._make_api_call, timed while it is patched)."""

    def __init__(self) -> None:
        self.spent = 0.0

    @contextmanager
    def installed(self) -> Iterator[None]:
        import botocore.client

        original = botocore.client.BaseClient._make_api_call

        def timed(client: Any, *args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return original(client, *args, **kwargs)
            finally:
                self.spent += time.perf_counter() - started

        botocore.client.BaseClient._make_api_call = timed
        try:
            yield
        finally:
            botocore.client.BaseClient._make_api_call = original


def warm(iterations: Mapping[str, int]) -> dict[str, Any]:

    from custom_auth_local.invoke import LambdaContext
    from custom_auth_local.standins import environment, local_aws
    from custom_auth_local.template import Template

    template = Template.load(TEMPLATE, {"SenderEmail": SENDER})
    results: dict[str, Any] = {}
    timer = AwsTimer()
    # No outbox: messages stay in moto, as writing files is not the trigger's cost.
    with local_aws(template, senders=[SENDER]), timer.installed():
        for name, logical_id in FUNCTIONS.items():
            spec = template.function(logical_id)
            sample = json.loads((ROOT / "events" / SAMPLES[name]).read_text(encoding="utf-8"))
            context = LambdaContext(logical_id, spec.memory_mb, spec.timeout_seconds)
            total, aws, own = [], [], []
            with environment(spec.environment):
                handler = load_handler(name)
                count = iterations[name]
                for number in range(count + 20):  # 20 warm-up invocations
                    event = json.loads(json.dumps(sample))
                    event["userName"] = f"bench-{number}"
                    timer.spent = 0.0
                    started = time.perf_counter()
                    handler(event, context)
                    elapsed = time.perf_counter() - started
                    if number >= 20:
                        total.append(elapsed * 1e6)
                        aws.append(timer.spent * 1e6)
                        own.append((elapsed - timer.spent) * 1e6)
            results[name] = {
                "median": round(statistics.median(total)),
                "p99": round(percentile(total, 0.99)),
                "aws_median": round(statistics.median(aws)),
                "own_median": round(statistics.median(own)),
                "own_p99": round(percentile(own, 0.99)),
                "invocations": len(total),
            }
    return {"warm_us": results}


def signins(count: int) -> dict[str, Any]:
    import re

    from custom_auth_local.stack import local_stack

    with (
        tempfile.TemporaryDirectory() as outbox,
        local_stack(TEMPLATE, parameter_overrides={"SenderEmail": SENDER}, outbox=outbox) as stack,
    ):
        cognito = stack.cognito()
        users = [f"bench-{number}@example.com" for number in range(count + 5)]
        for user in users:
            stack.create_user(user)
        times, invocations = [], []
        for number, user in enumerate(users):
            before = len(stack.pool.invocations)
            started = time.perf_counter()
            challenge = cognito.initiate_auth(
                ClientId=stack.client_id, AuthFlow="CUSTOM_AUTH", AuthParameters={"USERNAME": user}
            )
            initiated = time.perf_counter() - started
            match = re.search(r"(?<!\d)\d{6}(?!\d)", stack.outbox.messages()[-1].body)
            if match is None:
                raise SystemExit(f"bench: no code reached the outbox for sign-in {number}")
            started = time.perf_counter()
            done = cognito.respond_to_auth_challenge(
                ClientId=stack.client_id,
                ChallengeName="CUSTOM_CHALLENGE",
                Session=challenge["Session"],
                ChallengeResponses={
                    "USERNAME": challenge["ChallengeParameters"]["USERNAME"],
                    "ANSWER": match.group(),
                },
            )
            responded = time.perf_counter() - started
            if "AuthenticationResult" not in done:
                raise SystemExit(f"bench: sign-in {number} did not end in tokens")
            if number >= 5:  # the first few warm the stack up
                times.append((initiated + responded) * 1000)
                invocations.append(len(stack.pool.invocations) - before)
    median = statistics.median(times)
    return {
        "signin_ms": spread(times, 2),
        "signins_per_s": round(1000 / median, 1),
        "invocations_per_signin": max(set(invocations), key=invocations.count),
    }


# --- pacing: does Create's duration tell known users from unknown ones? ----------------------

#: Probes of each kind in each set (the threshold is chosen on one set, scored on another).
PACING_PROBES = 200
#: Groups of nine of each kind in each set, for the fastest-of-nine attack (few, for time).
PACING_GROUPS = 40
#: The stub SES call's latency: lognormal, median 4 ms (about 2.2 to 7.2 ms). Real calls take
#: tens of ms; small ones keep the bench quick, and still spread far wider than a sleep's
#: jitter (about 0.1 ms here).
PACING_LATENCY_S, PACING_SIGMA = 0.004, 0.3
PACING_TARGET = 0.55


def pacing(probes: int, groups: int) -> dict[str, Any]:
    import itertools
    import math
    import random

    from custom_auth.code_key import CodeKey
    from custom_auth.delivery import EmailDelivery
    from custom_auth.events import CreateAuthChallengeEvent
    from custom_auth.pacing import WINDOW, Pacer
    from custom_auth.settings import CodeSettings, DeliverySettings, LimitSettings
    from custom_auth.state_store import InMemoryStateStore
    from custom_auth.triggers import Limits, create_auth_challenge

    latency = random.Random(12)  # noqa: S311 - the stub's latency, not a secret

    class SlowSes:
        """SES v2's SendEmail, as a delay."""

        def send_email(self, **_: Any) -> dict[str, str]:
            time.sleep(latency.lognormvariate(math.log(PACING_LATENCY_S), PACING_SIGMA))
            return {"MessageId": "bench"}

    class Secrets:
        """Secrets Manager's GetSecretValue, for the code key."""

        def get_secret_value(self, **_: Any) -> dict[str, Any]:
            return {
                "Name": "bench",
                "SecretString": "bench-code-key-" + "k" * 40,
                "VersionId": "bench-version",
                "CreatedDate": datetime.now(UTC),
            }

    codes, key = CodeSettings("bench", 6, 300), CodeKey("bench", client=Secrets())
    delivery = EmailDelivery(DeliverySettings(sender_email=SENDER), client=SlowSes())
    # The pacer as the function builds it: real clock, real sleep, the system's randomness.
    limits = Limits(LimitSettings("bench-state"), InMemoryStateStore(), Pacer())
    sample = json.loads(
        (ROOT / "events" / "create_auth_challenge" / "first_round.json").read_text("utf-8")
    )
    users = itertools.count()

    def probe(known: bool) -> float:
        event = json.loads(json.dumps(sample))
        event["userName"] = f"bench-pacing-{next(users)}"  # a new user each time: a send
        if not known:
            event["request"] |= {"userNotFound": True, "userAttributes": {}}
        started = time.perf_counter()
        create_auth_challenge(
            CreateAuthChallengeEvent.from_dict(event),
            codes=codes,
            delivery=delivery,
            key=key,
            limits=limits,
        )
        return time.perf_counter() - started

    for _ in range(WINDOW):  # fill the pacer's window, as a container that has been signing in
        probe(True)
    from custom_auth_local.timing import accuracy, best_threshold, held_out_accuracy, measure

    single = best_threshold(*measure(probe, probes))
    known, unknown = measure(probe, probes)  # scored, and reported
    return {
        "pacing": {
            "single_probe_accuracy": round(accuracy(single, known, unknown), 4),
            "fastest_of_nine_accuracy": round(held_out_accuracy(probe, groups, each=9), 4),
            "probes": probes,
            "groups_of_nine": groups,
            "known_ms": spread([d * 1000 for d in known], 2),
            "unknown_ms": spread([d * 1000 for d in unknown], 2),
            "stub_latency_ms": {"median": PACING_LATENCY_S * 1000, "sigma": PACING_SIGMA},
        }
    }


def in_child(phase: str, argument: int) -> dict[str, Any]:
    """Run a phase in a fresh process of this interpreter, its stdout (the triggers' logs)
    discarded: the cost of writing a log line stays, a terminal's does not."""
    with tempfile.NamedTemporaryFile(suffix=".json") as out:
        done = subprocess.run(
            [sys.executable, __file__, "--phase", phase, "--iterations", str(argument),
             "--out", out.name],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False, cwd=ROOT,
        )  # fmt: skip
        if done.returncode != 0:
            raise SystemExit(f"bench: {phase} failed:\n{done.stderr.decode()[-3000:]}")
        result: dict[str, Any] = json.loads(Path(out.name).read_text(encoding="utf-8"))
        return result


# --- packages -----------------------------------------------------------------------------------


def zipped_kb(folder: Path) -> float:
    """The size of ``folder`` zipped (deflate), as Lambda receives it, in KiB."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                archive.write(path, path.relative_to(folder))
    return round(len(buffer.getvalue()) / 1024, 1)


def packages(build: Path) -> dict[str, Any]:
    sizes = {name: zipped_kb(build / logical_id) for name, logical_id in FUNCTIONS.items()}
    sizes["layer"] = zipped_kb(build / "CustomAuthLayer")
    return {"package_kb": sizes}


# --- the report ---------------------------------------------------------------------------------


def machine(python: str) -> dict[str, Any]:
    lambda_python = subprocess.run(
        [python, "-c", "import platform; print(platform.python_version())"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    return {
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "lambda_python": lambda_python,
    }


def table(results: Mapping[str, Any]) -> str:
    """The results as a Markdown table (the README shows the latest one)."""
    lines = [
        "| function | cold start ms | floor ms | ratio | in AWS calls ms | ratio without them "
        "| warm µs (p99) | own µs | package KiB |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name in FUNCTIONS:
        cold, floor = results["cold_start"][name], results["cold_start_floor"][name]
        warm_us = results["warm_us"][name]
        ratio = results["cold_start_ratio"][name]
        mark = "" if ratio <= COLD_TARGET else " (over 1.10)"
        lines.append(
            f"| {name} | {cold['median']} ({cold['p25']} to {cold['p75']}) "
            f"| {floor['median']} ({floor['p25']} to {floor['p75']}) | {ratio}{mark} "
            f"| {results['cold_start_aws_ms'][name]['median']} "
            f"| {results['cold_start_ratio_without_aws'][name]} "
            f"| {warm_us['median']} ({warm_us['p99']}) | {warm_us['own_median']} "
            f"| {results['package_kb'][name]} |"
        )
    signin = results["signin_ms"]
    lines += [
        "",
        f"Layer: {results['package_kb']['layer']} KiB zipped. One sign-in: "
        f"{signin['median']} ms ({signin['p25']} to {signin['p75']}), "
        f"{results['signins_per_s']} sign-ins/s on one thread, "
        f"{results['invocations_per_signin']} trigger invocations. "
        f"Medians (quartiles) of {results['cold_start']['define_auth_challenge']['runs']} cold "
        f"starts each; {results['machine']['cpus']} CPUs, {results['machine']['platform']}, "
        f"Lambda's Python {results['machine']['lambda_python']}.",
    ]
    if "pacing" in results:
        paced = results["pacing"]
        lines += [
            "",
            f"Timing Create, known users against unknown ones (a coin toss is 0.5): one probe "
            f"{paced['single_probe_accuracy']} (target <= {PACING_TARGET}; {paced['probes']} "
            f"of each to train, as many to score), the fastest of nine "
            f"{paced['fastest_of_nine_accuracy']} ({paced['groups_of_nine']} groups of each); "
            f"known {paced['known_ms']['median']} ms, unknown {paced['unknown_ms']['median']} ms.",
        ]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--python", help="a python3.13 with boto3 (the cold-start processes)")
    parser.add_argument("--build-dir", type=Path, default=ROOT / ".aws-sam" / "build")
    parser.add_argument("--runs", type=int, default=15, help="cold starts per function")
    parser.add_argument("--out", type=Path, default=ROOT / ".bench" / "results.json")
    parser.add_argument("--phase", choices=["warm", "signin", "pacing"], help=argparse.SUPPRESS)
    parser.add_argument("--iterations", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))

    if args.phase:  # a child: one phase, its result to --out
        if args.phase == "warm":
            scale = max(args.iterations, 1)
            result = warm(
                {
                    "define_auth_challenge": 20 * scale,
                    "create_auth_challenge": scale,
                    "verify_auth_challenge_response": 2 * scale,
                }
            )
        elif args.phase == "pacing":
            result = pacing(args.iterations or PACING_PROBES, PACING_GROUPS)
        else:
            result = signins(args.iterations)
        args.out.write_text(json.dumps(result), encoding="utf-8")
        return 0

    if not args.python:
        parser.error("--python: a python3.13 with boto3 is needed for the cold starts")
    if not (args.build_dir / "CustomAuthLayer").is_dir():
        parser.error(f"--build-dir: no sam build output in {args.build_dir} (run sam build)")
    results: dict[str, Any] = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(args.python),
    }
    print("cold starts...", file=sys.stderr)
    results |= cold_starts(args.python, args.build_dir, args.runs)
    print("warm invocations...", file=sys.stderr)
    results |= in_child("warm", 250)
    print("sign-ins...", file=sys.stderr)
    results |= in_child("signin", 100)
    print("pacing...", file=sys.stderr)
    results |= in_child("pacing", PACING_PROBES)
    results |= packages(args.build_dir)
    results["targets"] = {
        "cold_start_ratio_max": COLD_TARGET,
        "cold_start_ratio_met": {
            name: ratio <= COLD_TARGET for name, ratio in results["cold_start_ratio"].items()
        },
        "invocations_per_signin": 4,
        "pacing_single_probe_accuracy_max": PACING_TARGET,
        "pacing_single_probe_accuracy_met": (
            results["pacing"]["single_probe_accuracy"] <= PACING_TARGET
        ),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(table(results))
    print(f"\nwritten to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
