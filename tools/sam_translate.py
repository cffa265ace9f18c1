"""Translate template.yaml into the CloudFormation that `sam deploy` would submit, offline.

cfn-lint (1.x) no longer applies the SAM transform: it checks AWS::Serverless::* resources
against SAM's own schema, which misses errors in the Lambda functions, IAM policies and
permissions the transform produces. This script runs the transform locally with
aws-sam-translator, so `make sam-check` can lint the real output. Run it with the SAM
virtualenv's python (it needs aws-sam-translator and the SAM CLI's YAML reader):

    .venv-sam/bin/python tools/sam_translate.py template.yaml > .aws-sam/translated.json
    .venv-sam/bin/python tools/sam_translate.py template.yaml Tracing=Active > translated.json

Parameters not given take their defaults, as CloudFormation's own run of the transform would.
It also checks what the transform made of the X-Ray setting: a function whose tracing is off
(no TracingConfig) must get no X-Ray permission. The translation is still printed, and the exit
status is 1, naming each such role on stderr.
"""

import json
import os
import sys
from typing import Any

from samcli.yamlhelper import yaml_parse  # type: ignore[import-not-found]
from samtranslator.translator.transform import transform  # type: ignore[import-not-found]

XRAY_MANAGED_POLICY = "AWSXrayWriteOnlyAccess"


class NoManagedPolicies:
    """The template names no AWS managed policy by name, so no IAM lookup is ever needed."""

    def load(self) -> dict[str, str]:
        return {}


def _grants_xray(role: dict[str, Any]) -> list[str]:
    """What in an IAM role's properties lets it write to X-Ray."""
    properties = role.get("Properties", {})
    found = [
        f"managed policy {XRAY_MANAGED_POLICY}"
        for arn in properties.get("ManagedPolicyArns", [])
        if XRAY_MANAGED_POLICY in json.dumps(arn)
    ]
    for policy in properties.get("Policies", []):
        statements = policy.get("PolicyDocument", {}).get("Statement", [])
        for statement in statements if isinstance(statements, list) else [statements]:
            actions = statement.get("Action", [])
            for action in actions if isinstance(actions, list) else [actions]:
                if isinstance(action, str) and action.lower().startswith(("xray:", "*")):
                    found.append(f"action {action} in {policy.get('PolicyName', 'a policy')}")
    return found


def xray_problems(translated: dict[str, Any]) -> list[str]:
    """Each function of ``translated`` whose tracing is off but whose role may write to X-Ray."""
    resources = translated.get("Resources", {})
    problems = []
    for name, resource in sorted(resources.items()):
        if resource.get("Type") != "AWS::Lambda::Function":
            continue
        properties = resource.get("Properties", {})
        if "TracingConfig" in properties:
            continue  # traced (Active or PassThrough): SAM adds the policy it needs
        role = properties.get("Role")
        if not (isinstance(role, dict) and "Fn::GetAtt" in role):
            continue  # a role from outside the template: not SAM's doing
        role_id = role["Fn::GetAtt"][0]
        problems += [
            f"{name}: tracing is off, but its role {role_id} has {grant}"
            for grant in _grants_xray(resources.get(role_id, {}))
        ]
    return problems


def parse_parameters(entries: list[str]) -> dict[str, str]:
    """``Name=Value`` arguments."""
    values = {}
    for entry in entries:
        name, sep, value = entry.partition("=")
        if not sep or not name:
            raise SystemExit(f"sam_translate: {entry!r} is not Name=Value")
        values[name] = value
    return values


def main(path: str, parameters: dict[str, str]) -> int:
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    with open(path, encoding="utf-8") as handle:
        template: dict[str, Any] = yaml_parse(handle.read())
    # As `sam package` would: local code locations become S3 ones (placeholders here).
    for name, resource in template.get("Resources", {}).items():
        properties = resource.get("Properties", {})
        for key in ("CodeUri", "ContentUri"):
            if isinstance(properties.get(key), str) and not properties[key].startswith("s3://"):
                properties[key] = f"s3://packaged-code-placeholder/{name}.zip"
    translated = transform(template, parameters, NoManagedPolicies())
    json.dump(translated, sys.stdout, indent=1, sort_keys=True)
    sys.stdout.write("\n")
    problems = xray_problems(translated)
    for problem in problems:
        print(f"sam_translate: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    arguments = sys.argv[1:]
    template_path = arguments.pop(0) if arguments and "=" not in arguments[0] else "template.yaml"
    raise SystemExit(main(template_path, parse_parameters(arguments)))
