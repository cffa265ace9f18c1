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


def test_each_sign_in_path_takes_its_trigger_invocations(tmp_path: Path) -> None:
    result = phase("signin", 3, tmp_path)
    assert set(result) == {
        "signin_ms",
        "signin_trigger_ms",
        "signins_per_s",
        "invocations_per_signin",
        "invocation_sequence",
    }
    assert all(set(by_path) == set(bench.SIGNIN_PATHS) for by_path in result.values())
    # One code: Define, Create, Verify, Define; a choice and a switch cost three more each;
    # the password steps one Define.
    assert result["invocations_per_signin"] == bench.EXPECTED_INVOCATIONS
    sequence = result["invocation_sequence"]
    assert sequence["email_otp"] == sequence["sms_otp"] == ["Define", "Create", "Verify", "Define"]
    assert sequence["choice"] == ["Define", "Create", "Verify"] * 2 + ["Define"]
    assert sequence["choice_then_switch"] == ["Define", "Create", "Verify"] * 3 + ["Define"]
    assert sequence["password_then_email_otp"] == ["Define", "Define", "Create", "Verify", "Define"]
    for path in bench.SIGNIN_PATHS:
        assert result["signin_ms"][path]["runs"] == 3
        assert result["signin_trigger_ms"][path]["median"] < result["signin_ms"][path]["median"]


def test_warm_invocations_count_the_aws_calls_apart(tmp_path: Path) -> None:
    result = phase("warm", 2, tmp_path)["warm_us"]
    assert set(result) == set(bench.FUNCTIONS)
    for function, case, _, per_unit in bench.WARM_CASES:
        measured = result[function][case]
        assert measured["invocations"] == 2 * per_unit
        assert measured["own_median"] <= measured["median"]
        if per_unit == 1:  # a median of two is their mean: the parts add up
            assert measured["own_median"] + measured["aws_median"] == pytest.approx(
                measured["median"], abs=2
            )
    define, create = result["define_auth_challenge"], result["create_auth_challenge"]
    verify = result["verify_auth_challenge_response"]
    assert define["after_wrong_answer"]["aws_median"] == 0  # Define makes no AWS call
    # Create reads and writes the state and sends; a choice sends nothing and reads nothing.
    assert create["email_otp_first_round"]["aws_median"] > 0
    assert create["sms_otp_first_round"]["aws_median"] > 0
    assert create["choice"]["aws_median"] == 0
    assert verify["code"]["aws_median"] > 0  # the key and the state
    assert verify["choice"]["aws_median"] > 0  # the choice is recorded


def test_the_events_carry_what_create_answered() -> None:
    answered = bench.create_event("bench-user")
    answered["response"] = {
        "publicChallengeParameters": {"SIGN_IN_METHOD": "SELECT"},
        "privateChallengeParameters": {"signInMethod": "SELECT", "signIn": "s", "round": "0"},
        "challengeMetadata": "ca2:SELECT:0:s:",
    }
    verify = bench.verify_event(answered, "EMAIL_OTP")
    assert verify["userName"] == "bench-user"
    assert verify["request"]["privateChallengeParameters"]["signInMethod"] == "SELECT"
    assert verify["request"]["challengeAnswer"] == "EMAIL_OTP"
    entry = {"challengeName": "CUSTOM_CHALLENGE", "challengeResult": True,
             "challengeMetadata": "ca2:SELECT:0:s:"}  # fmt: skip
    assert bench.create_event("bench-user", after=answered)["request"]["session"] == [entry]
    wrong = bench.define_event(answered, False)["request"]["session"]
    assert wrong == [entry | {"challengeResult": False}]
    with pytest.raises(SystemExit, match="SIGN_IN_METHOD"):
        bench.expect(answered, "Create", SIGN_IN_METHOD="EMAIL_OTP")


def fake_build(folder: Path) -> Path:
    """A build folder as `sam build` leaves it: the layer with its bytecode."""
    for name in bench.FUNCTIONS.values():
        (folder / name).mkdir(parents=True)
        # The handler answers; the process then takes its time to exit.
        (folder / name / "app.py").write_text(
            "import atexit, time\n"
            "atexit.register(time.sleep, 0.5)\n"
            "def lambda_handler(event, context):\n"
            "    return {**event, 'response': {'answered': True}}\n"
        )
    layer = folder / "CustomAuthLayer" / "python"
    (layer / "__pycache__").mkdir(parents=True)
    (layer / "layered.py").write_text("X = 1\n")
    (layer / "__pycache__" / "layered.cpython-313.pyc").write_bytes(b"as built")
    return folder


def test_cold_starts_run_as_shipped_and_from_source(tmp_path: Path) -> None:
    build = fake_build(tmp_path / "build")
    shipped = bench.prepared_build(build, tmp_path / "shipped", strip_bytecode=False)
    [bytecode] = list(shipped.rglob("*.pyc"))
    assert bytecode.read_bytes() == b"as built"  # the layer's own, untouched
    source = bench.prepared_build(build, tmp_path / "source", strip_bytecode=True)
    assert not list(source.rglob("*.pyc"))
    assert (source / "CustomAuthLayer" / "python" / "layered.py").is_file()


def test_a_cold_start_ends_at_the_answer_not_at_the_exit(tmp_path: Path) -> None:
    build = bench.prepared_build(
        fake_build(tmp_path / "build"), tmp_path / "copy", strip_bytecode=True
    )
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    probe = bench.ColdProbe(sys.executable, scratch)
    env = {"PATH": "/usr/bin:/bin", "PYTHONDONTWRITEBYTECODE": "1"}
    done = probe.run(build, "define_auth_challenge", env, {"userName": "u"})
    assert done["answer"] == {"userName": "u", "response": {"answered": True}}
    assert 0 < done["ms"] < 500  # the half-second at exit is not counted
    assert 0 < done["cpu_ms"] < 500  # the process's CPU time, to the answer
    assert done["aws_ms"] == 0
    assert not list(build.rglob("*.pyc"))  # nothing compiled for the next cold start
    assert probe.run(build, "define_auth_challenge", env)["ms"] > 0  # its floor


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
    assert set(bench.TWO_METHODS) <= set(bench.FUNCTIONS)


def test_every_path_and_case_has_a_configuration() -> None:
    assert set(bench.EXPECTED_INVOCATIONS) == set(bench.SIGNIN_PATHS) == set(bench.PATH_TITLES)
    configs = {config for config, _ in bench.SIGNIN_PATHS.values()}
    configs |= {config for _, _, config, _ in bench.WARM_CASES}
    assert configs <= set(bench.CONFIGS)
