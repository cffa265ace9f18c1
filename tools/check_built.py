"""After `sam build`: each built trigger imports with its built layer and answers an event.

Every other function of the template (the code key's rotation: Secrets Manager, not Cognito,
invokes it), in each deployment a case is for (the passkey API is there only with PASSKEY), is
checked to import from its built code and layer and to have its handler; those with a request
in REQUESTS answer it too.

The layer must also ship its bytecode (layers/custom_auth/Makefile): for every module, a
cpython-313 ``.pyc`` in unchecked-hash mode, which the read-only runtime loads as it is instead
of compiling the source on each cold start.

Runs with the project's interpreter (it reads template.yaml), and starts each function in a
fresh process of ``--python``: a python3.13 virtualenv holding only boto3 (which the Lambda
runtime provides) and moto (to stand in for AWS). Nothing of this project is installed there,
so the import can only succeed from the built artifacts.

With ``--native`` (a build for this machine's architecture: the arm64 one's binaries cannot
load here, tools/check_wheels.py reads their tags instead), each function run also imports the
layer's native modules (NATIVE_MODULES) from the built layer, and the cases and requests that
need them run (PASSKEY's Verify: webauthn, on cryptography and cbor2).

    python tools/check_built.py --python .venv-lambda/bin/python [--build-dir .aws-sam/build]
        [--native]
"""

import argparse
import base64
import json
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from custom_auth.methods import choice_value
from custom_auth.state_store import DynamoDBStateStore, choice_key
from custom_auth.triggers import CHOICE_TTL_SECONDS
from custom_auth_local.sample_events import (
    DEFAULT_USER_POOL_ID,
    FOLDERS,
    PASSKEY_TABLE,
    PASSKEYS,
    SAMPLE_SIGN_IN,
    SAMPLE_TIME,
    parameters,
    passkey_items,
)
from custom_auth_local.standins import DEVELOPMENT_CODE_KEY
from custom_auth_local.template import FunctionSpec, Template, local_ref

ROOT = Path(__file__).resolve().parent.parent
# A deployment of the samples: any address will do, the stand-ins verify it.
SENDER = {"SenderEmail": "no-reply@example.com"}


@dataclass(frozen=True)
class Case:
    """A built trigger answering one sample event, events/<its folder>/<scenario>.json, deployed
    with the template parameters the sample is for (sample_events.PARAMETERS) and ``parameters``."""

    trigger: str  # define, create or verify (sample_events.FOLDERS)
    scenario: str
    response: Mapping[str, Any] | None = None  # the whole answer, when it is known in advance
    filled: tuple[str, ...] = ()  # keys of the answer that must be there and not empty
    public: Mapping[str, str] = field(default_factory=dict)  # public challenge parameters it has
    emails: int = 0  # the messages it sends
    parameters: Mapping[str, str] = field(default_factory=dict)  # beyond the sample's own
    # Items to put first, by table (logical id), in DynamoDB's JSON ({"S": ...}; "B" in base64).
    items: Mapping[str, tuple[Mapping[str, Any], ...]] = field(default_factory=dict)
    native: bool = False  # it loads the layer's native wheels: runs with --native only


@dataclass(frozen=True)
class Request:
    """A built function that is not a trigger answering one request, deployed with
    ``parameters`` (besides a sender)."""

    function: str  # its logical id
    event: Mapping[str, Any]
    parameters: Mapping[str, str]
    status: int  # the statusCode it answers
    body: tuple[str, ...] = ()  # keys of its JSON body that must be there and not empty
    items: Mapping[str, tuple[Mapping[str, Any], ...]] = field(default_factory=dict)  # as Case's
    native: bool = False  # as Case's


def _typed_json(items: list[dict[str, Any]]) -> tuple[dict[str, Any], ...]:
    """Items in boto3's typed form as DynamoDB's JSON: binary values in base64."""

    def encoded(value: Any) -> Any:
        if isinstance(value, bytes):
            return base64.b64encode(value).decode("ascii")
        if isinstance(value, dict):
            return {key: encoded(inner) for key, inner in value.items()}
        return [encoded(inner) for inner in value] if isinstance(value, list) else value

    return tuple(encoded(item) for item in items)


def _recorded_choice(method: str) -> dict[str, Any]:
    """The state table's item of the sample sign-in's choice of ``method`` in its first round,
    as Verify records it (what the Create samples after a choice read)."""

    class Recorder:
        def put_item(self, **call: Any) -> None:
            self.item: dict[str, Any] = call["Item"]

    recorder = Recorder()
    key = choice_key(DEFAULT_USER_POOL_ID, SAMPLE_SIGN_IN, 0)
    DynamoDBStateStore("", client=recorder).record_choice(
        key, choice_value(method, ""), SAMPLE_TIME + CHOICE_TTL_SECONDS
    )
    return recorder.item


# The sample user's sample passkey, which the PASSKEY samples read (sample_events).
SAMPLE_PASSKEY = {PASSKEY_TABLE: _typed_json(passkey_items())}
# The cases, each trigger of the template in one at least: one line adds one.
CASES = (
    Case(
        "define",
        "new_sign_in",
        {"challengeName": "CUSTOM_CHALLENGE", "issueTokens": False, "failAuthentication": False},
    ),
    Case("create", "first_round", filled=("publicChallengeParameters",), emails=1),
    Case("verify", "right_answer", {"answerCorrect": True}),
    # PASSKEY: after the choice Verify recorded, Create lists the stored passkey; Verify checks
    # its assertion with webauthn (the layer's cryptography and cbor2).
    Case(
        "create",
        "passkey_round",
        filled=("publicChallengeParameters", "privateChallengeParameters", "challengeMetadata"),
        public={"SIGN_IN_METHOD": "PASSKEY"},
        items={**SAMPLE_PASSKEY, "UserStateTable": (_recorded_choice("PASSKEY"),)},
    ),
    Case(
        "verify",
        "passkey_right_assertion",
        {"answerCorrect": True},
        items=SAMPLE_PASSKEY,
        native=True,
    ),
)
# The requests, one line each.
REQUESTS = (
    Request(
        "PasskeyApiFunction",
        {
            "version": "2.0",
            "routeKey": "POST /passkeys/sign-in-challenge",
            "requestContext": {"http": {"method": "POST"}},
            "body": "",
            "isBase64Encoded": False,
        },
        PASSKEYS,
        200,
        body=("challenge", "rpId", "timeout", "userVerification"),
        native=True,
    ),
)
# With --native, every trigger imports these from the built layer: the compiled parts of
# cryptography, cffi and cbor2, and webauthn (PASSKEY), which needs them.
NATIVE_MODULES = ("cryptography.hazmat.bindings._rust", "_cffi_backend", "cbor2._cbor2", "webauthn")

# Runs inside the python3.13 process: the built function and layer first on sys.path.
PROBE = r"""
import base64, importlib, json, os, sys, time
function_dir, layer_dir, event, at, key, setup = sys.argv[1:7]
event, setup = json.loads(event), json.loads(setup)
native = setup["native"]
if not native:
    # The layer's binaries are for another machine: moto, standing in for AWS, needs a
    # cryptography, and takes this virtualenv's (the same pin) before the layer is on the path.
    # A function importing cryptography gets that one too; the --native run loads the layer's.
    import cryptography.hazmat.bindings._rust
sys.path[:0] = [function_dir, layer_dir]
import boto3
from moto import mock_aws
with mock_aws():
    for name in ("CODE_KEY_SECRET_ID", "PASSKEY_DECOY_KEY_SECRET_ID"):
        secret = os.environ.get(name)
        if secret:
            boto3.client("secretsmanager").create_secret(Name=secret, SecretString=key)
    sender = os.environ.get("SENDER_EMAIL")
    if sender:
        boto3.client("sesv2").create_email_identity(EmailIdentity=sender)
    dynamodb = boto3.client("dynamodb")
    for name, declared in setup["tables"].items():
        dynamodb.create_table(TableName=name, **declared)
    def typed(value):
        if isinstance(value, dict):
            return {k: base64.b64decode(v) if k == "B" and isinstance(v, str) else typed(v)
                    for k, v in value.items()}
        return [typed(v) for v in value] if isinstance(value, list) else value
    for name, items in setup["items"].items():
        for item in items:
            dynamodb.put_item(TableName=name, Item=typed(item))
    time.time = lambda: float(at)
    import app
    import custom_auth, aws_lambda_powertools
    class Context:
        function_name = "built"; function_version = "$LATEST"; memory_limit_in_mb = 256
        invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:built"
        aws_request_id = "built-check"
    result = app.lambda_handler(event, Context())
    from moto.core.models import DEFAULT_ACCOUNT_ID
    from moto.ses.models import ses_backends
    sent = len(ses_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].sent_messages)
print(json.dumps({
    "python": list(sys.version_info[:2]),
    "custom_auth": custom_auth.__file__,
    "powertools": aws_lambda_powertools.__file__,
    "native": {name: importlib.import_module(name).__file__ for name in native},
    "result": result,
    "emails_sent": sent,
}))
"""


# Runs inside the python3.13 process: imports a function that is not a trigger, finds its handler.
IMPORT_PROBE = r"""
import json, sys
function_dir, layer_dir, module, handler = sys.argv[1:5]
sys.path[:0] = [function_dir, layer_dir]
app = __import__(module)
print(json.dumps({
    "python": list(sys.version_info[:2]),
    "app": app.__file__,
    "handler": callable(getattr(app, handler, None)),
}))
"""


def _env(spec: FunctionSpec) -> dict[str, str]:
    return {
        "PATH": "/usr/bin:/bin",
        **spec.environment,
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "built",
        "AWS_SECRET_ACCESS_KEY": "built",
    }


def check_imports(python: str, build: Path, spec: FunctionSpec) -> list[str]:
    """A function that is not a trigger: its built code imports under 3.13 with the built
    layer, and has its handler."""
    function_dir = build / spec.logical_id
    done = subprocess.run(
        [
            python,
            "-c",
            IMPORT_PROBE,
            str(function_dir),
            str(build / "CustomAuthLayer" / "python"),
            spec.module,
            spec.function_name,
        ],
        env=_env(spec),
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        return [f"{spec.logical_id}: does not import\n{done.stderr[-2000:]}"]
    report: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    problems = []
    if str(function_dir) not in report["app"]:
        problems.append(f"{spec.logical_id}: imported {report['app']}, not its built code")
    if report["python"] != [3, 13]:
        problems.append(f"{spec.logical_id}: ran under Python {report['python']}, not 3.13")
    if not report["handler"]:
        problems.append(f"{spec.logical_id}: its built code has no {spec.handler}")
    if not problems:
        print(f"{spec.logical_id}: built function and layer import, {spec.handler} found")
    return problems


# The flags word of a .pyc (PEP 552): bit 0 hash-based, bit 1 check the source.
_UNCHECKED_HASH = 0b01


def check_bytecode(layer_dir: Path) -> list[str]:
    """Every module of the layer has a python3.13 .pyc that the runtime loads unchecked."""
    problems = []
    modules = [p for p in layer_dir.rglob("*.py") if "__pycache__" not in p.parts]
    for source in modules:
        compiled = source.parent / "__pycache__" / f"{source.stem}.cpython-313.pyc"
        if not compiled.is_file():
            problems.append(f"CustomAuthLayer: no bytecode for {source.relative_to(layer_dir)}")
            continue
        flags = int.from_bytes(compiled.read_bytes()[4:8], "little")
        if flags != _UNCHECKED_HASH:
            problems.append(f"CustomAuthLayer: {compiled.name} is not unchecked-hash bytecode")
    others = [p for p in layer_dir.rglob("*.pyc") if not p.name.endswith(".cpython-313.pyc")]
    problems += [f"CustomAuthLayer: bytecode of another Python: {p.name}" for p in others]
    if not problems:
        print(f"CustomAuthLayer: {len(modules)} modules, each with unchecked python3.13 bytecode")
    return problems


# What the probe creates each table with: what the functions' reads and writes depend on.
TABLE_PROPERTIES = ("KeySchema", "AttributeDefinitions", "BillingMode", "GlobalSecondaryIndexes")


def _probe(
    python: str,
    build: Path,
    spec: FunctionSpec,
    deployed: Template,
    event: Mapping[str, Any],
    items: Mapping[str, tuple[Mapping[str, Any], ...]],
    native: bool,
) -> tuple[dict[str, Any] | None, list[str]]:
    """Run one built function on ``event`` (PROBE), with every table of its deployment and
    ``items`` in them; with ``native``, it imports the native modules too. Its report (None if
    it failed), and the problems of where it imported from and what ran it."""
    layer_dir = build / "CustomAuthLayer" / "python"
    table = "AWS::DynamoDB::Table"
    setup = {
        "tables": {
            local_ref(name, table): deployed.properties(name, *TABLE_PROPERTIES)
            for name in deployed.resources_of_type(table)
        },
        "items": {local_ref(name, table): list(stored) for name, stored in items.items()},
        "native": NATIVE_MODULES if native else (),
    }
    logical_id = spec.logical_id
    done = subprocess.run(
        [
            python,
            "-c",
            PROBE,
            str(build / logical_id),
            str(layer_dir),
            json.dumps(event),
            str(SAMPLE_TIME + 60),
            DEVELOPMENT_CODE_KEY,
            json.dumps(setup),
        ],
        env=_env(spec),
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        return None, [f"failed\n{done.stderr[-2000:]}"]
    report: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    problems = []
    where = [report["custom_auth"], report["powertools"], *report["native"].values()]
    if not all(Path(path).is_relative_to(layer_dir) for path in where):
        problems.append(f"imported outside the built layer: {where}")
    if report["python"] != [3, 13]:
        problems.append(f"ran under Python {report['python']}, not 3.13")
    return report, problems


def _answered(build: Path, report: dict[str, Any], logical_id: str, what: str) -> None:
    print(f"{logical_id}: built function and layer answer {what} under Python 3.13")
    if report["native"]:
        layer_dir = build / "CustomAuthLayer" / "python"
        loaded = [str(Path(path).relative_to(layer_dir)) for path in report["native"].values()]
        print(f"  and load from the layer: {', '.join(loaded)}")


def check_case(
    python: str, build: Path, case: Case, spec: FunctionSpec, deployed: Template, native: bool
) -> list[str]:
    """One trigger answers one sample, with every table of its deployment and the case's
    items in them; with ``native``, it imports the native modules too."""
    logical_id, scenario = spec.logical_id, case.scenario
    path = ROOT / "events" / FOLDERS[case.trigger] / f"{scenario}.json"
    event = json.loads(path.read_text(encoding="utf-8"))
    report, problems = _probe(python, build, spec, deployed, event, case.items, native)
    problems = [f"{logical_id}: {scenario} {problem}" for problem in problems]
    if report is None:
        return problems
    response = report["result"]["response"]
    if case.response is not None and response != case.response:
        problems.append(f"{logical_id}: {scenario} answered {response}, not {case.response}")
    problems += [
        f"{logical_id}: {scenario} answered without {key}: {response}"
        for key in case.filled
        if not response.get(key)
    ]
    public = response.get("publicChallengeParameters") or {}
    problems += [
        f"{logical_id}: {scenario} answered {name}={public.get(name)!r}, not {value!r}"
        for name, value in case.public.items()
        if public.get(name) != value
    ]
    if report["emails_sent"] != case.emails:
        problems.append(
            f"{logical_id}: {scenario} sent {report['emails_sent']} emails, not {case.emails}"
        )
    if not problems:
        _answered(build, report, logical_id, scenario)
    return problems


def check_request(
    python: str,
    build: Path,
    request: Request,
    spec: FunctionSpec,
    deployed: Template,
    native: bool,
) -> list[str]:
    """A function that is not a trigger answers one request, with every table of its
    deployment and the request's items in them; with ``native``, it imports the native
    modules too."""
    logical_id, route = spec.logical_id, request.event.get("routeKey", "the request")
    report, problems = _probe(python, build, spec, deployed, request.event, request.items, native)
    problems = [f"{logical_id}: {route} {problem}" for problem in problems]
    if report is None:
        return problems
    result = report["result"]
    if result.get("statusCode") != request.status:
        return [*problems, f"{logical_id}: {route} answered {result}, not {request.status}"]
    try:
        body = json.loads(result.get("body") or "null")
    except ValueError:
        body = None
    if request.body and not isinstance(body, dict):
        return [*problems, f"{logical_id}: {route} answered a body that is no JSON object"]
    problems += [
        f"{logical_id}: {route} answered without {key}: {body}"
        for key in request.body
        if not body.get(key)
    ]
    if not problems:
        _answered(build, report, logical_id, f"{route} ({request.status})")
    return problems


def check(python: str, build: Path, native: bool) -> list[str]:
    templates: dict[tuple[tuple[str, str], ...], Template] = {}

    def template(overrides: Mapping[str, str]) -> Template:
        key = tuple(sorted({**SENDER, **overrides}.items()))
        if key not in templates:
            templates[key] = Template.load(ROOT / "template.yaml", dict(key))
        return templates[key]

    default = template({})
    problems = check_bytecode(build / "CustomAuthLayer" / "python")
    triggers = default.triggers()
    # Every function that is not a trigger, in each deployment the cases and requests are for.
    deployments = [
        default,
        *(template({**parameters(c.trigger, c.scenario), **c.parameters}) for c in CASES),
        *(template(request.parameters) for request in REQUESTS),
    ]
    imported: set[str] = set()
    for deployed in deployments:
        others = set(deployed.functions()) - set(deployed.triggers()) - imported
        for logical_id in sorted(others, key=list(deployed.functions()).index):
            problems += check_imports(python, build, deployed.functions()[logical_id])
            imported.add(logical_id)
    covered = {FOLDERS[case.trigger] for case in CASES}
    problems += [
        f"{logical_id}: no case in CASES for {spec.code_uri.name}"
        for logical_id, spec in triggers.items()
        if spec.code_uri.name not in covered
    ]
    for case in CASES:
        if case.native and not native:
            print(f"{case.trigger} {case.scenario}: skipped, it needs the native wheels (--native)")
            continue
        deployed = template({**parameters(case.trigger, case.scenario), **case.parameters})
        specs = [
            spec
            for spec in deployed.triggers().values()
            if spec.code_uri.name == FOLDERS[case.trigger]
        ]
        if not specs:
            problems.append(f"{case.trigger} {case.scenario}: no trigger of that folder deployed")
        for spec in specs:
            problems += check_case(python, build, case, spec, deployed, native)
    for request in REQUESTS:
        route = request.event.get("routeKey")
        if request.native and not native:
            print(f"{request.function} {route}: skipped, it needs the native wheels (--native)")
            continue
        deployed = template(request.parameters)
        if request.function not in deployed.functions():
            problems.append(f"{request.function}: not deployed with {dict(request.parameters)}")
            continue
        spec = deployed.functions()[request.function]
        problems += check_request(python, build, request, spec, deployed, native)
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--python", required=True, help="a python3.13 with only boto3 and moto")
    parser.add_argument("--build-dir", type=Path, default=ROOT / ".aws-sam" / "build")
    parser.add_argument(
        "--native",
        action="store_true",
        help="the build is for this machine: import the native modules, run the cases needing them",
    )
    args = parser.parse_args()
    problems = check(args.python, args.build_dir.resolve(), args.native)
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
