"""`make bench`: cold start, per-invocation cost, sign-ins by path, package size.

Writes .bench/results.json (stable keys, so results can be compared over time) and prints
tables. Every figure is a median over repeated runs, with its spread; the runs of things that
are compared (a function and its floor) are interleaved, so a noisy machine slows both alike.

- cold_start.<function>: a fresh python3.13 process (``--python``: boto3 and moto only) that
  imports the built function with its built layer (from `sam build`) and answers one event:
  ms from spawn to the handler's answer (Lambda's init and first invocation; the process's exit
  is not counted, as Lambda's process does not exit). As on Lambda, whose layers and code are
  read-only, no bytecode is written: the probes run from a copy of the build without
  __pycache__, with PYTHONDONTWRITEBYTECODE, so what the artefacts do not ship is compiled
  in every cold start. The built functions get the template's environment with its defaults
  (SignInMethods=EMAIL_OTP). AWS calls go to a local moto server. The events: Create's first
  round (it sends), Verify of a wrong code Create sent (it reads the key and the state, and
  writes), Define after that wrong answer.
- cold_start_floor.<function>: the same process, importing only what the function cannot do
  without (the Powertools pieces it uses; boto3, with the same clients created, where it calls
  AWS) and doing nothing else. cold_start_ratio = the first over the second (target <= 1.10);
  cold_start_cpu_ratio: the same in CPU time of the process (to the answer, to the imports),
  which other load disturbs less.
- cold_start_two_methods: Create and Verify with SignInMethods=EMAIL_OTP,SMS_OTP: Create of
  the round after the choice (it reads the choice and sends), Verify of a wrong code; their
  ratios are over the same floors (the same clients are created).
- cold_start_passkey: Verify with SignInMethods=EMAIL_OTP,PASSKEY judging the sample passkey
  assertion (events/verify_auth_challenge_response/passkey_right_assertion.json, the sample
  credential stored anew before each run, the clock pinned to the sample's time), from the build
  for this machine's architecture (``--host-build``: the layer's native wheels load there).
  Its floor imports what Verify's floor does and webauthn, which a passkey's check cannot do
  without; cold_start_passkey_ratio is over that floor (target <= 1.10), and webauthn_import_ms
  is that floor less Verify's ordinary one: what the library costs a passkey's cold start.
- cold_start_from_source: the same cold starts from a copy of the build without its bytecode
  (the layer ships unchecked-hash .pyc files, layers/custom_auth/Makefile), and its floors:
  what compiling every module at each cold start costs.
- warm_us.<function>.<case>: one handler invocation in a warm process, in µs (median, p99),
  with AWS calls served in-process by moto; the part spent in AWS calls is reported apart
  (aws_median) and taken out (own_median). Cases: Define after a wrong answer; Create's first
  round of EMAIL_OTP and of SMS_OTP (each sends) and of a choice (two methods: nothing sent);
  Verify of a wrong code and of a choice (recorded).
- signin_ms.<path>, signins_per_s.<path>, invocations_per_signin.<path>: one in-process
  sign-in (initiate and every respond, the client's own work apart) through the local user
  pool, the part of it spent in the trigger calls (signin_trigger_ms), and the trigger
  invocations it took (invocation_sequence: in order), for each path:
  EMAIL_OTP alone, SMS_OTP alone, two methods with a choice, with a choice then a switch,
  and the password first (AuthFlow=password+otp) then EMAIL_OTP.
- package_kb.<function>, package_kb.layer: the built artefacts, zipped (the layer with its
  bytecode); package_kb_from_source: the same without it.
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
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import zipfile
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
from custom_auth_local import sample_events  # noqa: E402 - the samples' own names

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
#: The sample events the benchmark's events are made from: the envelope and the user are
#: theirs; the rounds and the private parameters are those a real Create answered.
SAMPLES = {
    "define_auth_challenge": "define_auth_challenge/after_wrong_answer.json",
    "create_auth_challenge": "create_auth_challenge/first_round.json",
    "verify_auth_challenge_response": "verify_auth_challenge_response/wrong_answer.json",
}
#: Template parameters of each configuration measured.
CONFIGS: dict[str, dict[str, str]] = {
    "email_otp": {"SenderEmail": SENDER},
    "sms_otp": {"SignInMethods": "SMS_OTP", "SmsAllowedCountryCodes": "1"},
    "two_methods": {
        "SenderEmail": SENDER,
        "SignInMethods": "EMAIL_OTP,SMS_OTP",
        "SmsAllowedCountryCodes": "1",
    },
    "password_first": {"SenderEmail": SENDER, "AuthFlow": "password+otp"},
    "passkey": {"SenderEmail": SENDER, **sample_events.PASSKEYS},
}
#: The two-method cold starts measured (Define's imports do not depend on the methods).
TWO_METHODS = ("create_auth_challenge", "verify_auth_challenge_response")
#: What each function cannot do without: the Powertools pieces it uses and, where it calls
#: AWS, boto3 with the clients it creates (the code key's secretsmanager client included).
# The handlers freeze the collector's generations once Powertools is in (custom_auth.cold_start);
# the floors do the same at the same point, so what follows is compared alike.
_POWERTOOLS = "from aws_lambda_powertools import Logger, Metrics\nimport gc\ngc.freeze()\n"
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
#: Verify judging a passkey cannot do without the WebAuthn library (it imports it then).
PASSKEY_FLOOR = FLOORS["verify_auth_challenge_response"] + "import webauthn\n"
# Runs in the python3.13 process: the built function and layer first on sys.path. It reports
# when the handler answered (CLOCK_MONOTONIC: one clock for every process of the machine),
# the time spent in AWS calls, and the answer (the next event is made from it).
COLD_PROBE = r"""
import json, sys, time
function_dir, layer_dir, event_path, report, calls_aws = sys.argv[1:6]
sys.path[:0] = [function_dir, layer_dir]
import os
if os.environ.get("BENCH_CLOCK"):  # a sample event's time (the passkey's challenge is dated)
    time.time = lambda: float(os.environ["BENCH_CLOCK"])
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
class Context:
    function_name = "bench"; function_version = "$LATEST"; memory_limit_in_mb = 256
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:bench"
    aws_request_id = "bench"
answer = app.lambda_handler(event, Context())
done, cpu = time.clock_gettime(time.CLOCK_MONOTONIC), time.process_time()
with open(report, "w") as handle:
    json.dump({"done": done, "cpu": cpu, "aws_ms": spent[0] * 1000, "answer": answer}, handle)
"""
FLOOR_PROBE = "import sys\nsys.path[:0] = sys.argv[1:3]\n"
FLOOR_REPORT = (
    "import json, time\n"
    "with open(sys.argv[3], 'w') as handle:\n"
    "    json.dump({'done': time.clock_gettime(time.CLOCK_MONOTONIC),\n"
    "               'cpu': time.process_time()}, handle)\n"
)
COLD_TARGET = 1.10
SIGNIN_TARGET_MS = 20.0


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


def ratio(values: list[float], floor: list[float]) -> float:
    return round(statistics.median(values) / statistics.median(floor), 3)


# --- the events ---------------------------------------------------------------------------------


def sample(function: str) -> dict[str, Any]:
    """A fresh copy of ``function``'s sample event."""
    loaded: dict[str, Any] = json.loads(
        (ROOT / "events" / SAMPLES[function]).read_text(encoding="utf-8")
    )
    return loaded


def custom_round(answered: Mapping[str, Any], result: bool) -> dict[str, Any]:
    """The session entry Cognito records for a round a Create answered (its returned event)."""
    return {
        "challengeName": "CUSTOM_CHALLENGE",
        "challengeResult": result,
        "challengeMetadata": answered["response"]["challengeMetadata"],
    }


def create_event(
    user: str, *, after: Mapping[str, Any] | None = None, pool: str | None = None
) -> dict[str, Any]:
    """Create for ``user``: the first round, or the round after a passed one (``after``)."""
    event = sample("create_auth_challenge")
    event["userName"] = user
    if pool is not None:
        event["userPoolId"] = pool
    if after is not None:
        event["userPoolId"] = after["userPoolId"]
        event["request"]["session"] = [custom_round(after, True)]
    return event


def verify_event(answered: Mapping[str, Any], answer: str | None = None) -> dict[str, Any]:
    """Verify of the round a Create answered: the sample's wrong code, or ``answer``."""
    event = sample("verify_auth_challenge_response")
    event["userName"], event["userPoolId"] = answered["userName"], answered["userPoolId"]
    private = dict(answered["response"]["privateChallengeParameters"])
    event["request"]["privateChallengeParameters"] = private
    if answer is not None:
        event["request"]["challengeAnswer"] = answer
    return event


def define_event(answered: Mapping[str, Any], result: bool) -> dict[str, Any]:
    """Define after the round a Create answered, answered right or wrong."""
    event = sample("define_auth_challenge")
    event["userName"], event["userPoolId"] = answered["userName"], answered["userPoolId"]
    event["request"]["session"] = [custom_round(answered, result)]
    return event


def expect(answered: Mapping[str, Any], what: str, **response: Any) -> None:
    """Stop if an answer is not the one the measurement is of (a send, a recorded choice)."""
    got = answered["response"]
    public = got.get("publicChallengeParameters") or {}
    for key, value in response.items():
        found = public.get(key) if key.isupper() else got.get(key)
        if found != value:
            raise SystemExit(f"bench: {what}: {key} is {found!r}, not {value!r}: {got}")


# --- cold start ---------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def moto_server(config: str = "two_methods") -> Iterator[str]:
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
        # Every moto server of a process shares its backends: start from none, not from what
        # an earlier phase's server provisioned.
        reset = urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST")  # noqa: S310
        urllib.request.urlopen(reset, timeout=10).close()  # noqa: S310 - the moto server above
        with environment({**AWS_ENV, "AWS_ENDPOINT_URL": endpoint}):
            provision(Template.load(TEMPLATE, CONFIGS[config]), [SENDER])
        yield endpoint
    finally:
        server.stop()


def prepared_build(build: Path, into: Path, *, strip_bytecode: bool) -> Path:
    """A copy of the built functions and layer: as built (the layer ships its bytecode,
    layers/custom_auth/Makefile), or ``strip_bytecode``: without any, so every module is
    compiled at each cold start (what a layer without bytecode costs)."""
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc") if strip_bytecode else None
    for folder in [*FUNCTIONS.values(), "CustomAuthLayer"]:
        shutil.copytree(build / folder, into / folder, ignore=ignore)
    return into


class ColdProbe:
    """Runs one cold process of a function (or its floor) from a prepared build."""

    def __init__(self, python: str, scratch: Path) -> None:
        self.python, self.scratch = python, scratch

    def run(
        self,
        build: Path,
        name: str,
        env: Mapping[str, str],
        event: Mapping[str, Any] | None = None,
        floor: str | None = None,
    ) -> dict[str, Any]:
        """``event`` None: the floor (``floor``, else the function's). ms: from spawn to the
        handler's answer (the floor: to its imports done), aws_ms: in AWS calls, answer: the
        handler's."""
        function, layer = build / FUNCTIONS[name], build / "CustomAuthLayer" / "python"
        report = self.scratch / "report.json"
        report.unlink(missing_ok=True)
        if event is None:
            code = FLOOR_PROBE + (floor or FLOORS[name]) + FLOOR_REPORT
            command = [self.python, "-c", code, str(function), str(layer), str(report)]
        else:
            event_path = self.scratch / "event.json"
            event_path.write_text(json.dumps(event), encoding="utf-8")
            calls_aws = "1" if "boto3" in FLOORS[name] else "0"
            command = [self.python, "-c", COLD_PROBE, str(function), str(layer),
                       str(event_path), str(report), calls_aws]  # fmt: skip
        started = time.clock_gettime(time.CLOCK_MONOTONIC)
        done = subprocess.run(
            command, env=dict(env), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False
        )
        if done.returncode != 0 or not report.is_file():
            kind = "floor" if event is None else "function"
            raise SystemExit(f"bench: {name} ({kind}) failed:\n{done.stderr.decode()[-2000:]}")
        reported: dict[str, Any] = json.loads(report.read_text(encoding="utf-8"))
        reported["ms"] = (reported["done"] - started) * 1000
        reported["cpu_ms"] = reported["cpu"] * 1000
        return reported


def cold_starts(python: str, build: Path, runs: int) -> dict[str, Any]:
    from custom_auth_local.template import Template

    templates = {
        config: Template.load(TEMPLATE, CONFIGS[config]) for config in ("email_otp", "two_methods")
    }
    measured: dict[tuple[str, str], list[float]] = {}

    def record(series: str, name: str, value: float) -> None:
        measured.setdefault((series, name), []).append(value)

    define, create, verify = FUNCTIONS

    with tempfile.TemporaryDirectory() as scratch, moto_server() as endpoint:
        folder = Path(scratch)
        builds = {
            "shipped": prepared_build(build, folder / "shipped", strip_bytecode=False),
            "from_source": prepared_build(build, folder / "from_source", strip_bytecode=True),
        }
        probe = ColdProbe(python, folder)
        source_kb = packages(builds["from_source"])["package_kb"]
        env = {
            config: {
                name: {
                    "PATH": "/usr/bin:/bin",
                    **template.function(logical_id).environment,
                    **AWS_ENV,
                    "AWS_ENDPOINT_URL": endpoint,
                    # Lambda's code and layers are read-only: nothing is compiled for later.
                    "PYTHONDONTWRITEBYTECODE": "1",
                }
                for name, logical_id in FUNCTIONS.items()
            }
            for config, template in templates.items()
        }
        single, two = env["email_otp"], env["two_methods"]

        def cold(variant: str, copy: Path, name: str, event: dict[str, Any]) -> dict[str, Any]:
            """One cold start of ``name`` (single method) and one of its floor; the answer."""
            done = probe.run(copy, name, single[name], event)
            floor = probe.run(copy, name, single[name])
            record(variant, name, done["ms"])
            record(f"{variant}_cpu", name, done["cpu_ms"])
            record(f"{variant}_aws", name, done["aws_ms"])
            record(f"{variant}_floor", name, floor["ms"])
            record(f"{variant}_floor_cpu", name, floor["cpu_ms"])
            answer: dict[str, Any] = done["answer"]
            return answer

        for run in range(runs):
            for variant, copy in builds.items():
                # Each run a user of its own: Create sends (no cooldown), Verify writes.
                created = cold(variant, copy, create, create_event(f"{variant}-{run}"))
                expect(created, "Create", CODE_DELIVERY_DELIVERY_MEDIUM="EMAIL")
                checked = cold(variant, copy, verify, verify_event(created))
                expect(checked, "Verify of a wrong code", answerCorrect=False)
                decided = cold(variant, copy, define, define_event(created, False))
                expect(decided, "Define", challengeName="CUSTOM_CHALLENGE")
            # Two methods: a choice (not timed), then the round after it and a wrong code.
            copy, user = builds["shipped"], f"two-{run}"
            choice = probe.run(copy, create, two[create], create_event(user))["answer"]
            expect(choice, "Create (two methods)", SIGN_IN_METHOD="SELECT")
            chosen = probe.run(copy, verify, two[verify], verify_event(choice, "EMAIL_OTP"))
            expect(chosen["answer"], "Verify of a choice", answerCorrect=True)
            sent = probe.run(copy, create, two[create], create_event(user, after=choice))
            expect(sent["answer"], "Create after a choice", CODE_DELIVERY_DELIVERY_MEDIUM="EMAIL")
            judged = probe.run(copy, verify, two[verify], verify_event(sent["answer"]))
            expect(judged["answer"], "Verify of a wrong code", answerCorrect=False)
            record("two_methods", create, sent["ms"])
            record("two_methods", verify, judged["ms"])

    def by_function(series: str, names: tuple[str, ...] = tuple(FUNCTIONS)) -> dict[str, Any]:
        return {name: spread(measured[series, name]) for name in names}

    def ratios(
        series: str, floor: str, names: tuple[str, ...] = tuple(FUNCTIONS)
    ) -> dict[str, float]:
        return {name: ratio(measured[series, name], measured[floor, name]) for name in names}

    own = {
        name: [c - a for c, a in zip(measured["shipped", name], measured["shipped_aws", name],
                                     strict=True)]
        for name in FUNCTIONS
    }  # fmt: skip
    return {
        "cold_start": by_function("shipped"),
        "cold_start_floor": by_function("shipped_floor"),
        "cold_start_ratio": ratios("shipped", "shipped_floor"),
        # The same ratio in CPU time, which other load on the machine disturbs less than wall
        # time (it leaves out waiting for the CPU, and for the AWS calls' answers).
        "cold_start_cpu_ratio": ratios("shipped_cpu", "shipped_floor_cpu"),
        # Inside the cold start: the AWS calls themselves (to a local moto server here), which
        # the floor does not make; and the ratio without them.
        "cold_start_aws_ms": by_function("shipped_aws"),
        "cold_start_ratio_without_aws": {
            name: ratio(own[name], measured["shipped_floor", name]) for name in FUNCTIONS
        },
        "cold_start_two_methods": by_function("two_methods", TWO_METHODS),
        "cold_start_ratio_two_methods": ratios("two_methods", "shipped_floor", TWO_METHODS),
        "cold_start_from_source": by_function("from_source"),
        "cold_start_floor_from_source": by_function("from_source_floor"),
        "cold_start_ratio_from_source": ratios("from_source", "from_source_floor"),
        "cold_start_cpu_ratio_from_source": ratios("from_source_cpu", "from_source_floor_cpu"),
        "package_kb_from_source": source_kb,
    }


def passkey_cold_starts(python: str, build: Path, runs: int) -> dict[str, Any]:
    """Verify's cold start judging the sample passkey assertion, against its floor with
    webauthn and the ordinary one (see the module)."""
    import boto3

    from custom_auth_local.template import Template

    verify = "verify_auth_challenge_response"
    template = Template.load(TEMPLATE, CONFIGS["passkey"])
    spec = template.function(FUNCTIONS[verify])
    event = json.loads(
        (
            ROOT / "events" / "verify_auth_challenge_response" / "passkey_right_assertion.json"
        ).read_text(encoding="utf-8")
    )
    measured: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory() as scratch, moto_server("passkey") as endpoint:
        copy = prepared_build(build, Path(scratch) / "host", strip_bytecode=False)
        probe = ColdProbe(python, Path(scratch))
        env = {
            "PATH": "/usr/bin:/bin",
            **spec.environment,
            **AWS_ENV,
            "AWS_ENDPOINT_URL": endpoint,
            "PYTHONDONTWRITEBYTECODE": "1",
            "BENCH_CLOCK": str(sample_events.SAMPLE_TIME + 30),
        }
        dynamodb = boto3.client("dynamodb", endpoint_url=endpoint, **_aws_arguments())
        for _ in range(runs):
            # The same first sign-in each run: the credential at count 0, no state yet.
            for table in (
                spec.environment["STATE_TABLE_NAME"],
                spec.environment["PASSKEY_TABLE_NAME"],
            ):
                for item in dynamodb.scan(TableName=table)["Items"]:
                    dynamodb.delete_item(TableName=table, Key={"pk": item["pk"]})
            for item in sample_events.passkey_items():
                dynamodb.put_item(TableName=spec.environment["PASSKEY_TABLE_NAME"], Item=item)
            done = probe.run(copy, verify, env, event)
            expect(done["answer"], "Verify of the sample passkey", answerCorrect=True)
            floor = probe.run(copy, verify, env, floor=PASSKEY_FLOOR)
            plain = probe.run(copy, verify, env)
            for series, value in (
                ("verify", done["ms"]),
                ("floor", floor["ms"]),
                ("plain_floor", plain["ms"]),
                ("aws", done["aws_ms"]),
                ("verify_cpu", done["cpu_ms"]),
                ("floor_cpu", floor["cpu_ms"]),
            ):
                measured.setdefault(series, []).append(value)  # fmt: skip
    import_ms = [f - p for f, p in zip(measured["floor"], measured["plain_floor"], strict=True)]
    return {
        "cold_start_passkey": spread(measured["verify"]),
        "cold_start_passkey_floor": spread(measured["floor"]),
        "cold_start_passkey_ratio": ratio(measured["verify"], measured["floor"]),
        "cold_start_passkey_cpu_ratio": ratio(measured["verify_cpu"], measured["floor_cpu"]),
        "cold_start_passkey_aws_ms": spread(measured["aws"]),
        "webauthn_import_ms": spread(import_ms),
    }


def _aws_arguments() -> dict[str, str]:
    return {
        "region_name": AWS_ENV["AWS_DEFAULT_REGION"],
        "aws_access_key_id": AWS_ENV["AWS_ACCESS_KEY_ID"],
        "aws_secret_access_key": AWS_ENV["AWS_SECRET_ACCESS_KEY"],
    }


# --- warm invocations and sign-ins (run in a child process, its stdout discarded) ----------------


def load_handler(folder: str) -> Callable[[Any, Any], Any]:
    """A fresh instance of a handler module: its module-level setup runs in the current
    environment (the methods it builds)."""
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


#: The warm cases: (function, case, configuration, invocations per unit of --iterations).
WARM_CASES = (
    ("define_auth_challenge", "after_wrong_answer", "email_otp", 20),
    ("create_auth_challenge", "email_otp_first_round", "email_otp", 1),
    ("create_auth_challenge", "sms_otp_first_round", "sms_otp", 1),
    ("create_auth_challenge", "choice", "two_methods", 1),
    ("verify_auth_challenge_response", "code", "email_otp", 2),
    ("verify_auth_challenge_response", "choice", "two_methods", 2),
)
#: What each warm case's answer must be: the measurement is of that path.
WARM_EXPECTED: dict[str, dict[str, Any]] = {
    "after_wrong_answer": {"challengeName": "CUSTOM_CHALLENGE"},
    "email_otp_first_round": {"CODE_DELIVERY_DELIVERY_MEDIUM": "EMAIL"},
    "sms_otp_first_round": {"CODE_DELIVERY_DELIVERY_MEDIUM": "SMS"},
    "choice": {},  # Create: SELECT; Verify: recorded (both checked below)
    "code": {"answerCorrect": False},
}
WARM_UP = 20


def warm(scale: int) -> dict[str, Any]:
    from custom_auth_local.invoke import LambdaContext
    from custom_auth_local.standins import environment, local_aws
    from custom_auth_local.template import Template

    templates = {
        config: Template.load(TEMPLATE, CONFIGS[config])
        for config in ("email_otp", "sms_otp", "two_methods")
    }
    handlers: dict[tuple[str, str], Callable[[Any, Any], Any]] = {}
    timer = AwsTimer()

    def setting(function: str, config: str) -> tuple[Any, Mapping[str, str]]:
        spec = templates[config].function(FUNCTIONS[function])
        context = LambdaContext(FUNCTIONS[function], spec.memory_mb, spec.timeout_seconds)
        with environment(spec.environment):
            if (function, config) not in handlers:
                handlers[function, config] = load_handler(function)
        return context, spec.environment

    def invoke(function: str, config: str, event: dict[str, Any]) -> dict[str, Any]:
        context, env = setting(function, config)
        with environment(env):
            answered: dict[str, Any] = handlers[function, config](event, context)
        return answered

    results: dict[str, dict[str, Any]] = {}
    # No outbox: messages stay in moto, as writing files is not the trigger's cost.
    with local_aws(templates["two_methods"], senders=[SENDER]), timer.installed():
        # The rounds the Verify and Define cases answer, from a real Create of each.
        sent = invoke("create_auth_challenge", "email_otp", create_event("bench-seed"))
        offered = invoke("create_auth_challenge", "two_methods", create_event("bench-seed"))
        expect(offered, "Create (two methods)", SIGN_IN_METHOD="SELECT")
        events: dict[str, Callable[[int], dict[str, Any]]] = {
            "after_wrong_answer": lambda _: define_event(sent, False),
            # Each case a pool of its own: the sends stay under the pool's hourly cap.
            "email_otp_first_round": lambda n: create_event(f"b-{n}", pool="us-east-1_BenchEmail"),
            "sms_otp_first_round": lambda n: create_event(f"b-{n}", pool="us-east-1_BenchSms"),
            "code": lambda _: verify_event(sent),
        }

        def choice(function: str, number: int) -> dict[str, Any]:
            if function == "create_auth_challenge":
                return create_event(f"b-{number}", pool="us-east-1_BenchChoice")
            event = verify_event(offered, "EMAIL_OTP")  # a sign-in of its own: recorded once
            event["request"]["privateChallengeParameters"]["signIn"] = f"bench-{number}"
            return event

        for function, case, config, per_unit in WARM_CASES:
            context, env = setting(function, config)
            handler = handlers[function, config]
            total, aws, own = [], [], []
            with environment(env):
                for number in range(per_unit * scale + WARM_UP):
                    event = choice(function, number) if case == "choice" else events[case](number)
                    event["userName"] = f"bench-{number}"  # a user of its own: no lockout
                    timer.spent = 0.0
                    started = time.perf_counter()
                    answered = handler(event, context)
                    elapsed = time.perf_counter() - started
                    if number >= WARM_UP:
                        total.append(elapsed * 1e6)
                        aws.append(timer.spent * 1e6)
                        own.append((elapsed - timer.spent) * 1e6)
                    if case != "choice":
                        expect(answered, f"{function} {case}", **WARM_EXPECTED[case])
                    elif function == "create_auth_challenge":
                        expect(answered, "Create of a choice", SIGN_IN_METHOD="SELECT")
                    else:
                        expect(answered, "Verify of a choice", answerCorrect=True)
            results.setdefault(function, {})[case] = {
                "median": round(statistics.median(total)),
                "p99": round(percentile(total, 0.99)),
                "aws_median": round(statistics.median(aws)),
                "own_median": round(statistics.median(own)),
                "own_p99": round(percentile(own, 0.99)),
                "invocations": len(total),
            }
    return {"warm_us": results}


#: The sign-in paths: the configuration, and the answer to each custom round in turn ("code":
#: the code that was sent; a method's name: a choice, or a switch).
SIGNIN_PATHS: dict[str, tuple[str, tuple[str, ...]]] = {
    "email_otp": ("email_otp", ("code",)),
    "sms_otp": ("sms_otp", ("code",)),
    "choice": ("two_methods", ("EMAIL_OTP", "code")),
    "choice_then_switch": ("two_methods", ("EMAIL_OTP", "SMS_OTP", "code")),
    "password_then_email_otp": ("password_first", ("code",)),
}
#: The trigger invocations each path should take: Define, Create, Verify, Define for one code;
#: a choice costs three more (Create, Verify, Define), and so does a switch; the password
#: steps one Define (Cognito checks the SRP proof itself).
EXPECTED_INVOCATIONS = {
    "email_otp": 4,
    "sms_otp": 4,
    "choice": 7,
    "choice_then_switch": 10,
    "password_then_email_otp": 5,
}
PASSWORD = "Bench-password-1a"  # noqa: S105 - the bench users' password
SIGNIN_WARM_UP = 5


def signin_path(path: str, count: int) -> dict[str, Any]:
    """``count`` sign-ins along ``path`` (after a few that warm the stack up)."""
    import re

    from custom_auth.challenge_responses import secret_hash
    from custom_auth_local import srp
    from custom_auth_local.stack import local_stack

    config, script = SIGNIN_PATHS[path]
    parameters = CONFIGS[config]
    with (
        tempfile.TemporaryDirectory() as outbox,
        local_stack(TEMPLATE, parameter_overrides=parameters, outbox=outbox) as stack,
    ):
        cognito = stack.cognito()
        by_phone = parameters.get("SignInMethods") == "SMS_OTP"
        users = []
        for number in range(count + SIGNIN_WARM_UP):
            email, phone = f"bench-{number}@example.com", f"+1206555{number:04d}"
            extra = {"phone_number": phone, "phone_number_verified": "true"}
            stack.create_user(
                phone if by_phone else email,
                password=PASSWORD,
                attributes=None if by_phone else extra,
            )
            users.append((phone if by_phone else email, {"EMAIL": email, "SMS": phone}))

        def hashed(name: str) -> dict[str, str]:
            if stack.client_secret is None:
                return {}
            return {"SECRET_HASH": secret_hash(name, stack.client_id, stack.client_secret)}

        def code_for(destination: str) -> str:
            for message in reversed(stack.outbox.messages()):
                if message.to == destination:
                    found = re.search(r"(?<!\d)\d{6}(?!\d)", message.body)
                    if found:
                        return found.group()
            raise SystemExit(f"bench: {path}: no code reached {destination}")

        # The part spent in the triggers: each call as the pool makes it (handler, its AWS
        # calls through moto, and the hand-over to the trigger thread).
        calls, in_triggers = stack.pool.triggers, [0.0]
        call = calls.call

        def timed_call(*args: Any, **kwargs: Any) -> dict[str, Any]:
            started = time.perf_counter()
            try:
                return call(*args, **kwargs)
            finally:
                in_triggers[0] += time.perf_counter() - started

        calls.call = timed_call  # type: ignore[method-assign]
        times, triggers, invocations, sequence = [], [], [], []
        for number, (name, destinations) in enumerate(users):
            in_triggers[0] = 0.0
            before = len(stack.pool.invocations)
            auth = {"USERNAME": name, **hashed(name)}
            client = None
            if config == "password_first":
                client = srp.Client.start(stack.user_pool_id)
                auth |= {"CHALLENGE_NAME": "SRP_A", "SRP_A": client.srp_a}
            answers = iter(script)
            spent = 0.0
            started = time.perf_counter()
            response = cognito.initiate_auth(
                ClientId=stack.client_id, AuthFlow="CUSTOM_AUTH", AuthParameters=auth
            )
            spent += time.perf_counter() - started
            while "AuthenticationResult" not in response:
                challenge, given = response.get("ChallengeName"), response["ChallengeParameters"]
                user = given["USERNAME"]
                if challenge == "PASSWORD_VERIFIER" and client is not None:
                    replies = client.answer(given, PASSWORD, datetime.now(UTC))
                elif challenge == "CUSTOM_CHALLENGE":
                    answer = next(answers, None)
                    if answer == "code":
                        channel = given.get("CODE_DELIVERY_DELIVERY_MEDIUM", "")
                        answer = code_for(destinations.get(channel, ""))
                    if answer is None:
                        raise SystemExit(f"bench: {path}: more rounds than the path has")
                    replies = {"ANSWER": answer}
                else:
                    raise SystemExit(f"bench: {path}: unexpected challenge {challenge}")
                replies |= {"USERNAME": user, **hashed(user)}
                started = time.perf_counter()
                response = cognito.respond_to_auth_challenge(
                    ClientId=stack.client_id,
                    ChallengeName=challenge,
                    Session=response["Session"],
                    ChallengeResponses=replies,
                )
                spent += time.perf_counter() - started
            if next(answers, None) is not None:
                raise SystemExit(f"bench: {path}: sign-in {number} ended before its answers")
            if number >= SIGNIN_WARM_UP:
                times.append(spent * 1000)
                triggers.append(in_triggers[0] * 1000)
                invocations.append(len(stack.pool.invocations) - before)
                sequence = [trigger[:6] for trigger in stack.pool.invocations[before:]]
    return {
        "signin_ms": spread(times, 2),
        "signin_trigger_ms": spread(triggers, 2),
        "signins_per_s": round(1000 / statistics.median(times), 1),
        "invocations_per_signin": max(set(invocations), key=invocations.count),
        "invocation_sequence": sequence,
    }


def signins(count: int) -> dict[str, Any]:
    by_path = {path: signin_path(path, count) for path in SIGNIN_PATHS}
    keys = (
        "signin_ms",
        "signin_trigger_ms",
        "signins_per_s",
        "invocations_per_signin",
        "invocation_sequence",
    )
    return {key: {path: measured[key] for path, measured in by_path.items()} for key in keys}


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
    from custom_auth.methods.base import Limits, Methods
    from custom_auth.methods.code import CodeMethod
    from custom_auth.pacing import WINDOW, Pacer
    from custom_auth.settings import CodeSettings, DeliverySettings, LimitSettings
    from custom_auth.state_store import InMemoryStateStore
    from custom_auth.triggers import create_auth_challenge

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
    methods = Methods((CodeMethod("EMAIL_OTP", codes, delivery, key),))
    # The pacer as the function builds it: real clock, real sleep, the system's randomness.
    # No pool cap: each probe is a send (the cap would turn the later ones into withholds).
    unlimited = LimitSettings("bench-state", pool_max_sends_per_hour=1_000_000)
    limits = Limits(unlimited, InMemoryStateStore(), Pacer())
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
            CreateAuthChallengeEvent.from_dict(event), methods=methods, limits=limits
        )
        return time.perf_counter() - started

    for _ in range(WINDOW):  # fill the pacer's window, as a container that has been signing in
        probe(True)
    from custom_auth_local.timing import accuracy, best_threshold, held_out_accuracy, measure

    def scored(probe: Callable[[bool], float]) -> dict[str, Any]:
        single = best_threshold(*measure(probe, probes))
        known, unknown = measure(probe, probes)  # scored, and reported
        return {
            "single_probe_accuracy": round(accuracy(single, known, unknown), 4),
            "fastest_of_nine_accuracy": round(held_out_accuracy(probe, groups, each=9), 4),
            "probes": probes,
            "groups_of_nine": groups,
            "known_ms": spread([d * 1000 for d in known], 2),
            "unknown_ms": spread([d * 1000 for d in unknown], 2),
            "stub_latency_ms": {"median": PACING_LATENCY_S * 1000, "sigma": PACING_SIGMA},
        }

    # Sign-up on: the round after the choice, for an address with an account and a new one
    # that may sign up. Both send (through the same slow SES): the caller must not tell which.
    from custom_auth.methods import SELECT
    from custom_auth.rounds import Round
    from custom_auth.sign_up import SignUp, SignUpSettings
    from custom_auth.state_store import choice_key

    sign_up_store = InMemoryStateStore()
    with_sign_up = Limits(
        unlimited,
        sign_up_store,
        Pacer(),
        SignUp(SignUpSettings(enabled=True), accounts=None),  # type: ignore[arg-type]
    )
    pool = sample["userPoolId"]

    def sign_up_probe(known: bool) -> float:
        event = json.loads(json.dumps(sample))
        number = next(users)
        event["userName"] = f"bench-sign-up-{number}"
        sign_in = f"bench-sign-in-{number}"
        chosen = "EMAIL_OTP" if known else f"EMAIL_OTP\nnew-{number}@example.com"
        sign_up_store.record_choice(choice_key(pool, sign_in, 0), chosen, 2**40)
        choice = Round(SELECT, False, sign_in, "").to_metadata()
        event["request"]["session"] = [
            {
                "challengeName": "CUSTOM_CHALLENGE",
                "challengeResult": True,
                "challengeMetadata": choice,
            }
        ]
        if not known:
            event["request"] |= {"userNotFound": True, "userAttributes": {}}
        started = time.perf_counter()
        create_auth_challenge(
            CreateAuthChallengeEvent.from_dict(event), methods=methods, limits=with_sign_up
        )
        return time.perf_counter() - started

    for _ in range(WINDOW):
        sign_up_probe(True)

    # PASSKEY chosen: a user with a passkey (the query finds it) against an unknown one (made-up
    # credentials), the credentials table's query as a delay like SES's.
    from custom_auth.credentials import Credential, CredentialStore, _item, owner_key
    from custom_auth.methods.passkey import PasskeyMethod
    from custom_auth.passkeys import PasskeySettings, b64url

    class SlowCredentials:
        """DynamoDB's Query of the owner index: the user's one passkey, or none."""

        def query(self, **call: Any) -> dict[str, Any]:
            time.sleep(latency.lognormvariate(math.log(PACING_LATENCY_S), PACING_SIGMA))
            owner = call["ExpressionAttributeValues"][":o"]["S"]
            held = Credential(b"\x01" * 32, owner, "bench-sub", b"\xa5" * 77, 3, ("internal",))
            return {"Items": [_item(held)] if owner.startswith(f"{pool}#bench-has-") else []}

    settings = PasskeySettings.from_env(
        {
            "PASSKEY_RP_IDS": "example.com",
            "PASSKEY_ORIGINS": "https://example.com",
            "PASSKEY_TABLE_NAME": "bench",
        }
    )
    passkeys = PasskeyMethod(settings, CredentialStore("bench", client=SlowCredentials()), key)
    held_id = b64url(b"\x01" * 32)
    both = Methods((CodeMethod("EMAIL_OTP", codes, delivery, key), passkeys))
    passkey_store = InMemoryStateStore()
    with_passkeys = Limits(unlimited, passkey_store, Pacer())

    def passkey_probe(known: bool) -> float:
        event = json.loads(json.dumps(sample))
        number = next(users)
        event["userName"] = f"bench-has-{number}" if known else f"bench-nobody-{number}"
        sign_in = f"bench-passkey-{number}"
        passkey_store.record_choice(choice_key(pool, sign_in, 0), "PASSKEY", 2**40)
        event["request"]["session"] = [
            {
                "challengeName": "CUSTOM_CHALLENGE",
                "challengeResult": True,
                "challengeMetadata": Round(SELECT, False, sign_in, "").to_metadata(),
            }
        ]
        event["request"]["userAttributes"] = {"sub": "bench-sub"}
        if not known:
            event["request"] |= {"userNotFound": True, "userAttributes": {}}
        started = time.perf_counter()
        answered = create_auth_challenge(
            CreateAuthChallengeEvent.from_dict(event), methods=both, limits=with_passkeys
        )
        elapsed = time.perf_counter() - started
        public = answered.response.public_challenge_parameters if answered.response else None
        options = public.get("PASSKEY_OPTIONS", "{}") if public else "{}"
        listed = json.loads(options).get("allowCredentials")
        if not listed or (held_id in [c["id"] for c in listed]) is not known:
            raise SystemExit("bench: the passkey probe is not the round it should be")
        return elapsed

    if not owner_key(pool, "bench-has-0").startswith(f"{pool}#bench-has-"):
        raise SystemExit("bench: the passkey probe's owners are not what the stub finds")
    for _ in range(WINDOW):
        passkey_probe(True)
    return {
        "pacing": scored(probe),
        "sign_up_pacing": scored(sign_up_probe),
        "passkey_pacing": scored(passkey_probe),
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


def _spread_text(measured: Mapping[str, Any]) -> str:
    return f"{measured['median']} ({measured['p25']} to {measured['p75']})"


def _ratio_text(value: float) -> str:
    return f"{value}" if value <= COLD_TARGET else f"{value} (over {COLD_TARGET})"


#: How the tables name the sign-in paths.
PATH_TITLES = {
    "email_otp": "EMAIL_OTP alone",
    "sms_otp": "SMS_OTP alone",
    "choice": "EMAIL_OTP,SMS_OTP: choice, then a code",
    "choice_then_switch": "EMAIL_OTP,SMS_OTP: choice, switch, then a code",
    "password_then_email_otp": "password+otp: password, then EMAIL_OTP",
}


def table(results: Mapping[str, Any]) -> str:
    """The results as Markdown tables (the README shows the latest ones)."""
    runs = results["cold_start"]["define_auth_challenge"]["runs"]
    lines = [
        f"Cold starts as shipped: ms from spawn to the first answer, the layer's bytecode as built "
        f"and none written (medians and quartiles of {runs}):",
        "",
        "| function | cold start ms | floor ms | ratio | ratio in CPU time | in AWS calls ms "
        "| ratio without them | package KiB |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name in FUNCTIONS:
        lines.append(
            f"| {name} | {_spread_text(results['cold_start'][name])} "
            f"| {_spread_text(results['cold_start_floor'][name])} "
            f"| {_ratio_text(results['cold_start_ratio'][name])} "
            f"| {_ratio_text(results['cold_start_cpu_ratio'][name])} "
            f"| {results['cold_start_aws_ms'][name]['median']} "
            f"| {results['cold_start_ratio_without_aws'][name]} "
            f"| {results['package_kb'][name]} |"
        )
    lines += [
        "",
        "With both methods enabled (over the same floors), and from source (the build without "
        "its bytecode, over floors without it alike):",
        "",
        "| function | EMAIL_OTP,SMS_OTP ms | ratio | from source ms | its floor ms | ratio "
        "| ratio in CPU time | package KiB |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name in FUNCTIONS:
        two, two_ratio = "-", "-"
        if name in results["cold_start_two_methods"]:
            two = _spread_text(results["cold_start_two_methods"][name])
            two_ratio = _ratio_text(results["cold_start_ratio_two_methods"][name])
        lines.append(
            f"| {name} | {two} | {two_ratio} "
            f"| {_spread_text(results['cold_start_from_source'][name])} "
            f"| {_spread_text(results['cold_start_floor_from_source'][name])} "
            f"| {_ratio_text(results['cold_start_ratio_from_source'][name])} "
            f"| {_ratio_text(results['cold_start_cpu_ratio_from_source'][name])} "
            f"| {results['package_kb_from_source'][name]} |"
        )
    if "cold_start_passkey" in results:
        lines += [
            "",
            "Verify judging a passkey (EMAIL_OTP,PASSKEY; the build for this machine, whose "
            "layer's native wheels load), over a floor that imports webauthn too:",
            "",
            "| function | cold start ms | floor ms | ratio | ratio in CPU time | in AWS calls ms "
            "| webauthn's import ms |",
            "|---|---|---|---|---|---|---|",
            f"| verify_auth_challenge_response (PASSKEY) "
            f"| {_spread_text(results['cold_start_passkey'])} "
            f"| {_spread_text(results['cold_start_passkey_floor'])} "
            f"| {_ratio_text(results['cold_start_passkey_ratio'])} "
            f"| {_ratio_text(results['cold_start_passkey_cpu_ratio'])} "
            f"| {results['cold_start_passkey_aws_ms']['median']} "
            f"| {_spread_text(results['webauthn_import_ms'])} |",
        ]
    lines += [
        "",
        "Warm invocations, µs (median, p99), AWS served in-process by moto:",
        "",
        "| function | case | warm µs (p99) | in AWS calls µs | own µs (p99) | invocations |",
        "|---|---|---|---|---|---|",
    ]
    for function, cases in results["warm_us"].items():
        for case, warm_us in cases.items():
            lines.append(
                f"| {function} | {case} | {warm_us['median']} ({warm_us['p99']}) "
                f"| {warm_us['aws_median']} | {warm_us['own_median']} ({warm_us['own_p99']}) "
                f"| {warm_us['invocations']} |"
            )
    lines += [
        "",
        "Sign-ins through the local user pool, in process (D, C, V: Define, Create, Verify):",
        "",
        "| path | trigger invocations | in order | one sign-in ms | of which in the triggers ms "
        "| sign-ins/s (one thread) |",
        "|---|---|---|---|---|---|",
    ]
    for path, title in PATH_TITLES.items():
        signin = results["signin_ms"][path]
        mark = "" if signin["median"] <= SIGNIN_TARGET_MS else f" (over {SIGNIN_TARGET_MS:g})"
        order = "".join(trigger[0] for trigger in results["invocation_sequence"][path])
        lines.append(
            f"| {title} | {results['invocations_per_signin'][path]} | {order} "
            f"| {_spread_text(signin)}{mark} | {_spread_text(results['signin_trigger_ms'][path])} "
            f"| {results['signins_per_s'][path]} |"
        )
    lines += [
        "",
        f"Layer: {results['package_kb']['layer']} KiB zipped "
        f"({results['package_kb_from_source']['layer']} KiB without its bytecode). "
        f"{results['machine']['cpus']} CPUs, "
        f"{results['machine']['platform']}, Lambda's Python "
        f"{results['machine']['lambda_python']}.",
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
    if "passkey_pacing" in results:
        paced = results["passkey_pacing"]
        lines += [
            "",
            f"PASSKEY chosen, a user with a passkey against an unknown one (made-up credentials): "
            f"one probe {paced['single_probe_accuracy']} (target <= {PACING_TARGET}), the "
            f"fastest of nine {paced['fastest_of_nine_accuracy']}; with a passkey "
            f"{paced['known_ms']['median']} ms, unknown {paced['unknown_ms']['median']} ms.",
        ]
    if "sign_up_pacing" in results:
        paced = results["sign_up_pacing"]
        lines += [
            "",
            f"With sign-up on, Create after the choice, an address with an account against a "
            f"new one (both sent a code): one probe {paced['single_probe_accuracy']} (target <= "
            f"{PACING_TARGET}), the fastest of nine {paced['fastest_of_nine_accuracy']}; with an "
            f"account {paced['known_ms']['median']} ms, new {paced['unknown_ms']['median']} ms.",
        ]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--python", help="a python3.13 with boto3 (the cold-start processes)")
    parser.add_argument("--build-dir", type=Path, default=ROOT / ".aws-sam" / "build")
    parser.add_argument(
        "--host-build",
        type=Path,
        help="the same template built for this machine (make sam-build-host): PASSKEY's cold start",
    )
    parser.add_argument("--runs", type=int, default=15, help="cold starts per function")
    parser.add_argument("--out", type=Path, default=ROOT / ".bench" / "results.json")
    parser.add_argument("--phase", choices=["warm", "signin", "pacing"], help=argparse.SUPPRESS)
    parser.add_argument("--iterations", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))

    if args.phase:  # a child: one phase, its result to --out
        if args.phase == "warm":
            result = warm(max(args.iterations, 1))
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
    if args.host_build is not None:
        print("a passkey's cold start...", file=sys.stderr)
        results |= passkey_cold_starts(args.python, args.host_build, args.runs)
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
        "cold_start_passkey_ratio_met": results.get("cold_start_passkey_ratio", 0) <= COLD_TARGET,
        "cold_start_ratio_two_methods_met": {
            name: ratio <= COLD_TARGET
            for name, ratio in results["cold_start_ratio_two_methods"].items()
        },
        "signin_ms_max": SIGNIN_TARGET_MS,
        "signin_ms_met": {
            path: measured["median"] <= SIGNIN_TARGET_MS
            for path, measured in results["signin_ms"].items()
        },
        "invocations_per_signin": EXPECTED_INVOCATIONS,
        "invocations_per_signin_met": {
            path: results["invocations_per_signin"][path] == expected
            for path, expected in EXPECTED_INVOCATIONS.items()
        },
        "pacing_single_probe_accuracy_max": PACING_TARGET,
        "pacing_single_probe_accuracy_met": (
            results["pacing"]["single_probe_accuracy"] <= PACING_TARGET
        ),
        "sign_up_pacing_single_probe_accuracy_met": (
            results["sign_up_pacing"]["single_probe_accuracy"] <= PACING_TARGET
        ),
        "passkey_pacing_single_probe_accuracy_met": (
            results["passkey_pacing"]["single_probe_accuracy"] <= PACING_TARGET
        ),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(table(results))
    print(f"\nwritten to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
