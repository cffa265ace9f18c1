"""Copy the response shapes the challenge model needs out of botocore's cognito-idp model.

The layer must not load botocore's service model at run time (megabytes of JSON, and boto3 is
not imported by triggers that make no AWS call), yet its validation must be the model's. So this
script writes the shapes reachable from ``AdminInitiateAuthResponse`` into
``custom_auth/_service_model.py``, and the test suite runs it with ``--check`` so the copy can
never drift from the pinned botocore.

    python tools/generate_service_model.py          # rewrite the module
    python tools/generate_service_model.py --check  # exit 1 if the module is out of date
"""

import argparse
import difflib
import pprint
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import botocore
from botocore.loaders import Loader

ROOT_SHAPE = "AdminInitiateAuthResponse"
# The shape traits the validator understands; the script refuses a shape that uses another.
KEPT_TRAITS = ("type", "min", "max", "pattern", "sensitive", "enum", "required")
SUPPORTED_TYPES = {"structure", "string", "integer", "map", "list"}
TARGET = (
    Path(__file__).resolve().parent.parent
    / "layers"
    / "custom_auth"
    / "custom_auth"
    / "_service_model.py"
)

HEADER = '''\
"""The cognito-idp response shapes of botocore {version}, as data. Generated: do not edit.

Regenerate with ``make generate`` (tools/generate_service_model.py) after changing the pinned
botocore; the test suite fails while this file and the installed model disagree.
"""

from typing import Final, TypedDict


class Shape(TypedDict, total=False):
    """One shape of the service model, reduced to the traits the validator checks."""

    type: str
    min: int
    max: int
    pattern: str
    sensitive: bool
    enum: list[str]
    required: list[str]
    members: dict[str, str]
    member: str
    key: str
    value: str


BOTOCORE_VERSION: Final = {version!r}

SHAPES: Final[dict[str, Shape]] = '''


def collect(shapes: dict[str, Any], root: str) -> dict[str, dict[str, Any]]:
    """The shapes reachable from ``root``, each reduced to the traits the validator checks."""
    out: dict[str, dict[str, Any]] = {}
    pending = [root]
    while pending:
        name = pending.pop()
        if name in out:
            continue
        shape = shapes[name]
        if shape["type"] not in SUPPORTED_TYPES:
            raise SystemExit(f"{name}: shape type {shape['type']!r} is not supported")
        reduced = {trait: shape[trait] for trait in KEPT_TRAITS if trait in shape}
        if shape["type"] == "structure":
            reduced["members"] = {m: spec["shape"] for m, spec in shape["members"].items()}
            pending.extend(reduced["members"].values())
        for ref in ("member", "key", "value"):
            if ref in shape:
                reduced[ref] = shape[ref]["shape"]
                pending.append(shape[ref]["shape"])
        out[name] = reduced
    return dict(sorted(out.items()))


def render() -> str:
    """The full text of ``_service_model.py`` for the installed botocore."""
    model = Loader().load_service_model("cognito-idp", "service-2")
    shapes = collect(model["shapes"], ROOT_SHAPE)
    body = pprint.pformat(shapes, sort_dicts=False)
    return ruff_format(HEADER.format(version=botocore.__version__) + body + "\n")


def ruff_format(source: str) -> str:
    """``source`` as ``ruff format`` lays it out, so the lint step never rewrites the file."""
    ruff = shutil.which("ruff") or str(Path(sys.executable).with_name("ruff"))
    done = subprocess.run(
        [ruff, "format", "--stdin-filename", str(TARGET), "-"],
        input=source,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if the file is out of date")
    args = parser.parse_args(argv)
    text = render()
    if args.check:
        current = TARGET.read_text(encoding="utf-8") if TARGET.exists() else ""
        if current == text:
            return 0
        diff = difflib.unified_diff(
            current.splitlines(keepends=True),
            text.splitlines(keepends=True),
            str(TARGET),
            "generated from the installed botocore",
        )
        sys.stderr.writelines(diff)
        sys.stderr.write("\nout of date: run `make generate`\n")
        return 1
    TARGET.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
