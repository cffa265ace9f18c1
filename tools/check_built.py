"""After `sam build`: each built trigger imports with its built layer and answers an event.

Every other function of the template (the code key's rotation: Secrets Manager, not Cognito,
invokes it) is checked to import from its built code and layer and to have its handler.

The layer must also ship its bytecode (layers/custom_auth/Makefile): for every module, a
cpython-313 ``.pyc`` in unchecked-hash mode, which the read-only runtime loads as it is instead
of compiling the source on each cold start.

Runs with the project's interpreter (it reads template.yaml), and starts each function in a
fresh process of ``--python``: a python3.13 virtualenv holding only boto3 (which the Lambda
runtime provides) and moto (to stand in for AWS). Nothing of this project is installed there,
so the import can only succeed from the built artifacts.

    python tools/check_built.py --python .venv-lambda/bin/python [--build-dir .aws-sam/build]
"""

import argparse
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from custom_auth_local.sample_events import FOLDERS, SAMPLE_TIME
from custom_auth_local.standins import DEVELOPMENT_CODE_KEY
from custom_auth_local.template import FunctionSpec, Template

ROOT = Path(__file__).resolve().parent.parent
# One sample per function, and the answer its name promises.
CASES = {
    "define": (
        "new_sign_in",
        {"challengeName": "CUSTOM_CHALLENGE", "issueTokens": False, "failAuthentication": False},
    ),
    "create": ("first_round", None),  # checked below: public parameters, and a message sent
    "verify": ("right_answer", {"answerCorrect": True}),
}

# Runs inside the python3.13 process: the built function and layer first on sys.path.
PROBE = r"""
import json, os, sys, time
function_dir, layer_dir, event_path, at, key, table = sys.argv[1:7]
sys.path[:0] = [function_dir, layer_dir]
import boto3
from moto import mock_aws
with mock_aws():
    secret = os.environ.get("CODE_KEY_SECRET_ID")
    if secret:
        boto3.client("secretsmanager").create_secret(Name=secret, SecretString=key)
    sender = os.environ.get("SENDER_EMAIL")
    if sender:
        boto3.client("sesv2").create_email_identity(EmailIdentity=sender)
    state_table = os.environ.get("STATE_TABLE_NAME")
    if state_table:
        declared = json.loads(table)
        boto3.client("dynamodb").create_table(
            TableName=state_table,
            KeySchema=declared["KeySchema"],
            AttributeDefinitions=declared["AttributeDefinitions"],
            BillingMode=declared["BillingMode"],
        )
    time.time = lambda: float(at)
    import app
    import custom_auth, aws_lambda_powertools
    class Context:
        function_name = "built"; function_version = "$LATEST"; memory_limit_in_mb = 256
        invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:built"
        aws_request_id = "built-check"
    with open(event_path) as handle:
        event = json.load(handle)
    result = app.lambda_handler(event, Context())
    from moto.core.models import DEFAULT_ACCOUNT_ID
    from moto.ses.models import ses_backends
    sent = len(ses_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].sent_messages)
print(json.dumps({
    "python": list(sys.version_info[:2]),
    "custom_auth": custom_auth.__file__,
    "powertools": aws_lambda_powertools.__file__,
    "response": result["response"],
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


def check(python: str, build: Path, template: Template) -> list[str]:
    layer_dir = build / "CustomAuthLayer" / "python"
    problems = check_bytecode(layer_dir)
    table = template.properties("UserStateTable")
    triggers = template.triggers()
    for logical_id, spec in template.functions().items():
        if logical_id not in triggers:
            problems += check_imports(python, build, spec)
    for logical_id, spec in triggers.items():
        trigger = next(t for t, folder in FOLDERS.items() if spec.code_uri.name == folder)
        scenario, expected = CASES[trigger]
        event = ROOT / "events" / FOLDERS[trigger] / f"{scenario}.json"
        done = subprocess.run(
            [
                python,
                "-c",
                PROBE,
                str(build / logical_id),
                str(layer_dir),
                str(event),
                str(SAMPLE_TIME + 60),
                DEVELOPMENT_CODE_KEY,
                json.dumps(table),
            ],
            env=_env(spec),
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            problems.append(f"{logical_id}: failed\n{done.stderr[-2000:]}")
            continue
        report: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
        where = [report["custom_auth"], report["powertools"]]
        if not all(str(layer_dir) in path for path in where):
            problems.append(f"{logical_id}: imported outside the built layer: {where}")
        if report["python"] != [3, 13]:
            problems.append(f"{logical_id}: ran under Python {report['python']}, not 3.13")
        response = report["response"]
        if expected is not None and response != expected:
            problems.append(f"{logical_id}: {scenario} answered {response}, not {expected}")
        if trigger == "create" and (
            report["emails_sent"] != 1 or not response.get("publicChallengeParameters")
        ):
            problems.append(f"{logical_id}: {scenario} sent {report['emails_sent']} emails")
        print(f"{logical_id}: built function and layer answer {scenario} under Python 3.13")
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--python", required=True, help="a python3.13 with only boto3 and moto")
    parser.add_argument("--build-dir", type=Path, default=ROOT / ".aws-sam" / "build")
    args = parser.parse_args()
    template = Template.load(ROOT / "template.yaml", {"SenderEmail": "no-reply@example.com"})
    problems = check(args.python, args.build_dir, template)
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
