"""Calling a pool's Define, Create and Verify triggers the way Cognito calls them.

The events have the shapes of ``shared/COGNITO_CONTRACT.md``; a trigger that raises, answers
what Cognito cannot read, or takes longer than five seconds (three tries) gives the caller the
error Cognito would.
"""

from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from typing import Any

from custom_auth.events import UNFILLED_RESPONSES, TriggerSource
from custom_auth_local import cognito_errors as errors
from custom_auth_local.invoke import LocalFunction

TRIGGERS = ("DefineAuthChallenge", "CreateAuthChallenge", "VerifyAuthChallengeResponse")
#: Each LambdaConfig trigger's triggerSource.
SOURCES = {
    "DefineAuthChallenge": TriggerSource.DEFINE_AUTH_CHALLENGE,
    "CreateAuthChallenge": TriggerSource.CREATE_AUTH_CHALLENGE,
    "VerifyAuthChallengeResponse": TriggerSource.VERIFY_AUTH_CHALLENGE_RESPONSE,
}
#: Cognito waits this long for a trigger, and tries this many times.
TRIGGER_TIMEOUT_SECONDS = 5.0
TRIGGER_TRIES = 3


@dataclass(frozen=True)
class Caller:
    """Who a sign-in is for, as the trigger events name them."""

    user_pool_id: str
    region: str
    client_id: str
    user_name: str
    user_attributes: Mapping[str, str]
    user_not_found: bool


@dataclass
class TriggerCalls:
    """A pool's triggers (LambdaConfig name → function), and every call made to them."""

    functions: Mapping[str, LocalFunction]
    timeout: float = TRIGGER_TIMEOUT_SECONDS
    #: Every trigger invocation, in order: for tests and benchmarks.
    invocations: list[str] = field(default_factory=list)
    _executor: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(max_workers=4, thread_name_prefix="trigger")
    )

    def call(
        self,
        trigger: str,
        caller: Caller,
        request: Mapping[str, Any],
        client_metadata: Mapping[str, str] | None,
    ) -> dict[str, Any]:
        """Invoke ``trigger`` as Cognito does, retried on timeout; returns its ``response``."""
        function = self.functions.get(trigger)
        if function is None:
            raise errors.invalid_parameter(f"the pool has no {trigger} trigger")
        event = trigger_event(trigger, caller, request, client_metadata)
        for _ in range(TRIGGER_TRIES):
            self.invocations.append(trigger)
            future = self._executor.submit(function.invoke, event)
            try:
                invocation = future.result(timeout=self.timeout)
            except FutureTimeout:
                continue
            if invocation.error is not None:
                raise errors.lambda_failed(trigger, str(invocation.error))
            result = invocation.result
            if not isinstance(result, dict) or not isinstance(result.get("response"), dict):
                raise errors.lambda_unreadable()
            response: dict[str, Any] = result["response"]
            return response
        raise errors.lambda_timed_out(trigger, self.timeout, TRIGGER_TRIES)

    def close(self) -> None:
        """Stop the trigger threads."""
        self._executor.shutdown(wait=False, cancel_futures=True)


def trigger_event(
    trigger: str,
    caller: Caller,
    request: Mapping[str, Any],
    client_metadata: Mapping[str, str] | None,
) -> dict[str, Any]:
    """The event Cognito sends ``trigger``: the request's own members, then clientMetadata (from
    respond calls only) and userNotFound."""
    body: dict[str, Any] = {"userAttributes": dict(caller.user_attributes), **request}
    if client_metadata is not None:
        body["clientMetadata"] = dict(client_metadata)
    body["userNotFound"] = caller.user_not_found
    return {
        "version": "1",
        "region": caller.region,
        "userPoolId": caller.user_pool_id,
        "userName": caller.user_name,
        "callerContext": {"awsSdkVersion": "aws-sdk-unknown-unknown", "clientId": caller.client_id},
        "triggerSource": SOURCES[trigger].value,
        "request": body,
        "response": dict(UNFILLED_RESPONSES[SOURCES[trigger]]),
    }


def flag(response: Mapping[str, Any], key: str) -> bool:
    """A boolean of a trigger's response: absent or null is false, anything else unreadable."""
    value = response.get(key)
    if value is None:
        return False
    if not isinstance(value, bool):
        raise errors.lambda_unreadable()
    return value


def string_map(value: Any) -> dict[str, str]:
    """Challenge parameters: a map of strings, or unreadable."""
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise errors.lambda_unreadable()
    return dict(value)
