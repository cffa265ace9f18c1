"""Guards on the repository itself: pinned dependencies, a lean layer, CI running the README."""

import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def requirement_name(requirement: str) -> str:
    match = re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", requirement)
    assert match, requirement
    return re.sub(r"[-_.]+", "-", match.group(0)).lower()


def pinned() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "constraints.txt").read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, _, version = line.partition("==")
            assert version, f"constraints.txt: {line!r} is not pinned with =="
            pins[requirement_name(name)] = version
    return pins


def test_every_declared_dependency_is_pinned() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    declared = [*project["dependencies"], *project["optional-dependencies"]["dev"]]
    pins = pinned()
    assert declared
    missing = sorted(requirement_name(r) for r in declared if requirement_name(r) not in pins)
    assert not missing, f"run `make lock`: not pinned in constraints.txt: {missing}"


def test_the_layer_bundles_what_was_tested_and_not_the_sdk() -> None:
    lines = (ROOT / "layers" / "custom_auth" / "requirements.txt").read_text(encoding="utf-8")
    requirements = [line for line in lines.splitlines() if line and not line.startswith("#")]
    pins = pinned()
    assert requirements, "the layer's requirements.txt lists nothing"
    for requirement in requirements:
        name, _, version = requirement.partition("==")
        assert pins.get(requirement_name(name)) == version, f"{requirement} != constraints.txt"
        assert requirement_name(name) not in {"boto3", "botocore"}  # the Lambda runtime has it


def test_the_model_and_events_import_nothing_but_the_standard_library() -> None:
    """Triggers that make no AWS call must not pay for boto3, or for anything else."""
    probe = (
        "import json, sys\n"
        "before = set(sys.modules)\n"
        "import custom_auth.model, custom_auth.events, custom_auth.challenge_responses\n"
        "new = {m.split('.')[0] for m in set(sys.modules) - before}\n"
        "print(json.dumps(sorted(new - set(sys.stdlib_module_names))))\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert json.loads(done.stdout) == ["custom_auth"]


def test_ci_runs_the_readme_test_command() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    quick_start = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    first_block = quick_start.split("```bash\n", 1)[1].split("```", 1)[0]
    commands = re.findall(r"^(make \w+)", first_block, flags=re.MULTILINE)
    assert commands == ["make demo", "make test"]
    assert re.search(r"^make test\b", ci, flags=re.MULTILINE)
