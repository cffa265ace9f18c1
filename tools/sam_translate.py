"""Translate template.yaml into the CloudFormation that `sam deploy` would submit, offline.

cfn-lint (1.x) no longer applies the SAM transform: it checks AWS::Serverless::* resources
against SAM's own schema, which misses errors in the Lambda functions, IAM policies and
permissions the transform produces. This script runs the transform locally with
aws-sam-translator, so `make sam-check` can lint the real output. Run it with the SAM
virtualenv's python (it needs aws-sam-translator and the SAM CLI's YAML reader):

    .venv-sam/bin/python tools/sam_translate.py template.yaml > .aws-sam/translated.json
"""

import json
import os
import sys
from typing import Any

from samcli.yamlhelper import yaml_parse  # type: ignore[import-not-found]
from samtranslator.translator.transform import transform  # type: ignore[import-not-found]


class NoManagedPolicies:
    """The template names no AWS managed policy by name, so no IAM lookup is ever needed."""

    def load(self) -> dict[str, str]:
        return {}


def main(path: str) -> int:
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    with open(path, encoding="utf-8") as handle:
        template: dict[str, Any] = yaml_parse(handle.read())
    # As `sam package` would: local code locations become S3 ones (placeholders here).
    for name, resource in template.get("Resources", {}).items():
        properties = resource.get("Properties", {})
        for key in ("CodeUri", "ContentUri"):
            if isinstance(properties.get(key), str) and not properties[key].startswith("s3://"):
                properties[key] = f"s3://packaged-code-placeholder/{name}.zip"
    translated = transform(template, {}, NoManagedPolicies())
    json.dump(translated, sys.stdout, indent=1, sort_keys=True)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1] if len(sys.argv) > 1 else "template.yaml"))
