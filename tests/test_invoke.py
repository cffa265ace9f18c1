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
