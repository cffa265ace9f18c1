"""tools/bench.py measures; these tests check that it measures what it says (no timing asserted)."""

import importlib.util
import json
import subprocess
import sys
import zipfile
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent


def load_bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench", ROOT / "tools" / "bench.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


bench = load_bench()


def phase(name: str, iterations: int, tmp_path: Path) -> dict[str, Any]:
    out = tmp_path / f"{name}.json"
    done = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "bench.py"), "--phase", name,
         "--iterations", str(iterations), "--out", str(out)],
        capture_output=True, text=True, check=False, cwd=ROOT,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    result: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    return result


def test_a_code_sign_in_takes_four_trigger_invocations(tmp_path: Path) -> None:
    result = phase("signin", 3, tmp_path)
    assert result["invocations_per_signin"] == 4  # Define, Create, Verify, Define
    assert set(result) == {"signin_ms", "signins_per_s", "invocations_per_signin"}
    assert result["signin_ms"]["runs"] == 3


def test_warm_invocations_count_the_aws_calls_apart(tmp_path: Path) -> None:
    result = phase("warm", 2, tmp_path)["warm_us"]
    assert set(result) == set(bench.FUNCTIONS)
    define, create = result["define_auth_challenge"], result["create_auth_challenge"]
    assert define["aws_median"] == 0  # Define makes no AWS call
    assert create["aws_median"] > 0  # Create reads and writes the state and sends
    assert create["own_median"] + create["aws_median"] == pytest.approx(create["median"], abs=2)
    assert (define["invocations"], create["invocations"]) == (40, 2)


def test_package_sizes_are_of_the_zipped_folder(tmp_path: Path) -> None:
    folder = tmp_path / "built"
    (folder / "pkg").mkdir(parents=True)
    (folder / "pkg" / "a.py").write_text("x = 1\n" * 2000)
    archive = tmp_path / "check.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as made:
        made.write(folder / "pkg" / "a.py", "pkg/a.py")
    assert bench.zipped_kb(folder) == round(archive.stat().st_size / 1024, 1)


def test_spread_is_the_median_and_quartiles() -> None:
    assert bench.spread([5.0, 1.0, 3.0, 2.0, 4.0]) == {
        "median": 3.0,
        "p25": 2.0,
        "p75": 4.0,
        "runs": 5,
    }


def test_every_function_has_a_floor_and_a_sample() -> None:
    assert set(bench.FLOORS) == set(bench.SAMPLES) == set(bench.FUNCTIONS)
    for sample in bench.SAMPLES.values():
        assert (ROOT / "events" / sample).is_file()
    # Define's floor has no boto3: Define makes no AWS call, so boto3 is not unavoidable.
    assert "boto3" not in bench.FLOORS["define_auth_challenge"]
