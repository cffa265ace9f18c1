"""custom_auth_local.invoke: loading a function like a Lambda container."""

from pathlib import Path

import pytest

from custom_auth_local.invoke import InvokeError, LambdaContext, LocalFunction
from custom_auth_local.template import FunctionSpec


def spec(tmp_path: Path, handler: str = "app.handler", source: str | None = None) -> FunctionSpec:
    code = tmp_path / "code"
    code.mkdir(exist_ok=True)
    if source is not None:
        (code / "app.py").write_text(source)
    return FunctionSpec("Fn", code, handler, "python3.13", 3, 128, (), {"GREETING": "hello"})


def test_the_module_is_loaded_once_with_the_functions_environment(tmp_path: Path) -> None:
    source = (
        "import os\n"
        "LOADED = os.environ['GREETING']\n"
        "def handler(event, context):\n"
        "    return {'loaded': LOADED, 'now': os.environ['GREETING'],\n"
        "            'name': context.function_name, 'arn': context.invoked_function_arn,\n"
        "            'left': context.get_remaining_time_in_millis()}\n"
    )
    function = LocalFunction(spec(tmp_path, source=source), {"GREETING": "hi"})
    first, second = function.invoke({}), function.invoke({})
    assert (first.cold_start, second.cold_start) == (True, False)
    assert first.result["loaded"] == first.result["now"] == "hi"
    assert first.result["name"] == "Fn"
    assert 0 < first.result["left"] <= 3000
    assert first.result["arn"] == "arn:aws:lambda:us-east-1:123456789012:function:Fn"


def test_an_error_the_handler_raises_is_returned(tmp_path: Path) -> None:
    source = "def handler(event, context):\n    raise ValueError('no')\n"
    invocation = LocalFunction(spec(tmp_path, source=source)).invoke({})
    assert isinstance(invocation.error, ValueError)
    assert invocation.result is None


def test_a_missing_module_or_handler_is_named(tmp_path: Path) -> None:
    with pytest.raises(InvokeError, match="Fn: no handler module at"):
        LocalFunction(spec(tmp_path)).invoke({})
    with pytest.raises(InvokeError, match=r"Fn: app\.py has no lambda_handler"):
        LocalFunction(spec(tmp_path, "app.lambda_handler", source="x = 1\n")).invoke({})


def test_the_context_names_where_lambda_would_log() -> None:
    context = LambdaContext("Fn", 128, 3)
    assert (context.log_group_name, context.log_stream_name) == ("/aws/lambda/Fn", "local")


def test_calls_at_once_to_a_cold_function_import_it_once_with_its_environment(
    tmp_path: Path,
) -> None:
    """The local pool serves calls in parallel: ten first calls at once load the module once,
    and none loses a variable to another call ending meanwhile (each used to restore the
    environment it found, taking GREETING from under a module still importing). Variables
    two functions both set are shared, as os.environ is: the template's functions agree on
    theirs."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    source = (
        "import os, time\n"
        "time.sleep(0.2)\n"
        "LOADED = os.environ['GREETING']\n"
        "IMPORTS = []\n"
        "IMPORTS.append(1)\n"
        "def handler(event, context):\n"
        "    time.sleep(0.01)\n"
        "    return {'loaded': LOADED, 'now': os.environ['GREETING'], 'imports': len(IMPORTS)}\n"
    )
    function = LocalFunction(spec(tmp_path, source=source), {"GREETING": "hi"})
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "app.py").write_text("def handler(event, context):\n    return 1\n")
    other_spec = FunctionSpec(
        "Other", tmp_path / "other", "app.handler", "python3.13", 3, 128, (), {"OTHER": "x"}
    )
    other = LocalFunction(other_spec)
    barrier = threading.Barrier(20)

    colds: list[bool] = []

    def call(index: int) -> object:
        barrier.wait()
        # Calls of another function come and go meanwhile, with variables of their own.
        chosen = other if index % 2 else function
        invocation = chosen.invoke({})
        if chosen is function:
            colds.append(invocation.cold_start)
        return invocation.result

    with ThreadPoolExecutor(max_workers=20) as workers:
        results = list(workers.map(call, range(20)))
    ours = [result for result in results if isinstance(result, dict)]
    assert len(ours) == 10
    assert all(r == {"loaded": "hi", "now": "hi", "imports": 1} for r in ours), ours
    assert results.count(1) == 10
    assert colds.count(True) == 1  # one cold start; the calls that waited for it are warm
    import os

    assert "GREETING" not in os.environ and "OTHER" not in os.environ  # all restored


def test_the_environment_nests_and_restores_what_it_found(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    from custom_auth_local.standins import environment

    monkeypatch.setenv("REGION_FOR_TEST", "outer-before")
    with environment({"REGION_FOR_TEST": "outer"}):
        with environment({"REGION_FOR_TEST": "inner", "ONLY_INNER": "1"}):
            assert os.environ["REGION_FOR_TEST"] == "inner"
        assert os.environ["REGION_FOR_TEST"] == "outer"
        assert "ONLY_INNER" not in os.environ
    assert os.environ["REGION_FOR_TEST"] == "outer-before"
