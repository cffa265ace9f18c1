"""Running a function of the template in-process, the way Lambda would run it.

The function's environment (from the template, with overrides) is in ``os.environ`` while its
module is imported and while its handler runs; its code folder and its layers' folders come
first on ``sys.path``; the handler gets a Lambda-like context. The first call imports the
module (a cold start); later calls reuse it, as a warm container does.
"""

import importlib.util
import itertools
import sys
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from custom_auth.errors import CustomAuthError
from custom_auth_local.standins import environment
from custom_auth_local.template import LOCAL_ACCOUNT_ID, LOCAL_REGION, FunctionSpec

_module_numbers = itertools.count(1)


class InvokeError(CustomAuthError):
    """The function could not be loaded."""


@dataclass
class LambdaContext:
    """What Lambda passes as ``context``."""

    function_name: str
    memory_limit_in_mb: int
    timeout_seconds: int
    function_version: str = "$LATEST"
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    _started: float = field(default_factory=time.monotonic)

    @property
    def invoked_function_arn(self) -> str:
        """The function's ARN in the local account and region."""
        return f"arn:aws:lambda:{LOCAL_REGION}:{LOCAL_ACCOUNT_ID}:function:{self.function_name}"

    @property
    def log_group_name(self) -> str:
        """Where Lambda would write the logs."""
        return f"/aws/lambda/{self.function_name}"

    @property
    def log_stream_name(self) -> str:
        """The local stream: one per process."""
        return "local"

    def get_remaining_time_in_millis(self) -> int:
        """Milliseconds left before the function's timeout."""
        elapsed = time.monotonic() - self._started
        return max(0, int((self.timeout_seconds - elapsed) * 1000))


@dataclass(frozen=True)
class Invocation:
    """One run of a handler: what it returned (or raised), and how long it took."""

    result: Any
    error: BaseException | None
    duration_ms: float
    cold_start: bool
    timed_out: bool


class LocalFunction:
    """One function of the template, loaded on first use and kept, like a warm container."""

    def __init__(self, spec: FunctionSpec, env_overrides: Mapping[str, str] | None = None) -> None:
        self.spec = spec
        self.environment = {**spec.environment, **(env_overrides or {})}
        self._handler: Callable[[Any, Any], Any] | None = None
        # One cold start per function, however many calls come at once (as Lambda starts one
        # container per concurrent call, each importing once).
        self._loading = threading.Lock()

    def _load(self) -> Callable[[Any, Any], Any]:
        path = self.spec.code_uri / f"{self.spec.module.replace('.', '/')}.py"
        if not path.is_file():
            raise InvokeError(f"{self.spec.logical_id}: no handler module at {path}")
        for folder in reversed([self.spec.code_uri, *self.spec.layers]):
            if str(folder) not in sys.path:
                sys.path.insert(0, str(folder))
        name = f"custom_auth_local_function_{self.spec.logical_id}_{next(_module_numbers)}"
        module_spec = importlib.util.spec_from_file_location(name, path)
        if module_spec is None or module_spec.loader is None:
            raise InvokeError(f"{self.spec.logical_id}: cannot load {path}")
        module = importlib.util.module_from_spec(module_spec)
        module_spec.loader.exec_module(module)  # settings are read here, as at a cold start
        handler = getattr(module, self.spec.function_name, None)
        if not callable(handler):
            raise InvokeError(
                f"{self.spec.logical_id}: {path.name} has no {self.spec.function_name}"
            )
        return handler  # type: ignore[no-any-return]

    def invoke(self, event: Any) -> Invocation:
        """Run the handler on ``event``; an error it raises is returned, not raised."""
        context = LambdaContext(
            self.spec.logical_id, self.spec.memory_mb, self.spec.timeout_seconds
        )
        started = time.perf_counter()
        cold = False  # this call imported the module (a call that waited for another's is warm)
        result: Any = None
        error: BaseException | None = None
        with environment(self.environment):
            try:
                if self._handler is None:
                    with self._loading:
                        if self._handler is None:
                            cold = True
                            self._handler = self._load()
                result = self._handler(event, context)
            except InvokeError:
                raise
            except Exception as raised:  # noqa: BLE001 - reported as Lambda reports it
                error = raised
        duration_ms = (time.perf_counter() - started) * 1000
        return Invocation(
            result=result,
            error=error,
            duration_ms=duration_ms,
            cold_start=cold,
            timed_out=duration_ms > self.spec.timeout_seconds * 1000,
        )


def lambda_error(error: BaseException) -> dict[str, str]:
    """An error as Lambda reports it to the caller: its type and message."""
    return {"errorType": type(error).__name__, "errorMessage": str(error)}
