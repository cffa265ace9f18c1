"""The limits across sign-ins, end to end through the local user pool and moto's DynamoDB."""

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import boto3
import pytest

from custom_auth.model import AdminInitiateAuthResponse
from custom_auth_local.stack import LocalStack
from tests.test_pool import EMAIL, answer, error_of, initiate, latest_code

WRONG = "000000"


def wrong_for(code: str) -> str:
    return WRONG if code != WRONG else "111111"


def fail_sign_in(stack: LocalStack, wrong: str) -> None:
    """One sign-in, three wrong answers: NotAuthorizedException at the third."""
    challenge = initiate(stack)
    for _ in range(2):
        challenge = answer(stack, challenge, wrong)
        assert challenge.challenge_name == "CUSTOM_CHALLENGE"
    code, message = error_of(lambda: answer(stack, challenge, wrong))
    assert (code, message) == ("NotAuthorizedException", "Incorrect username or password.")


def test_three_failed_sign_ins_and_one_more_wrong_answer_lock_the_user_out(
    custom_auth_stack: LocalStack,
) -> None:
    stack = custom_auth_stack
    stack.create_user(EMAIL)
    first = initiate(stack)
    code = latest_code(stack)
    wrong = wrong_for(code)
    fail_sign_in(stack, wrong)  # answers 1 to 3 (this sign-in reuses the code: cooldown)
    fail_sign_in(stack, wrong)  # 4 to 6
    fail_sign_in(stack, wrong)  # 7 to 9
    challenge = initiate(stack)
    challenge = answer(stack, challenge, wrong)  # the 10th wrong answer in a row: locked out
    assert challenge.challenge_name == "CUSTOM_CHALLENGE"  # to the caller, just another round
    # The right code, in a sign-in whose challenge carries it, is refused while locked out...
    challenge = answer(stack, challenge, code)
    assert challenge.challenge_name == "CUSTOM_CHALLENGE"
    # ...and so it is in the sign-in that started first, and in a new one.
    refused = answer(stack, first, code)
    assert refused.authentication_result is None
    # One message for all of that: every sign-in was inside the cooldown.
    assert len(stack.outbox.messages()) == 1
    # The way out: a new sign-in gets a lockout code, long enough that no guess budget
    # reaches it, which the person who receives it can still sign in with.
    later = initiate(stack)
    assert later.challenge_parameters == first.challenge_parameters  # looks the same
    later = answer(stack, later, code)  # the old code: refused
    assert later.challenge_name == "CUSTOM_CHALLENGE"
    [_, lockout] = stack.outbox.messages()
    assert "longer code" in lockout.body
    [lockout_code] = re.findall(r"\b[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}\b", lockout.body)
    assert answer(stack, later, lockout_code.lower()).authentication_result is not None
    # The lockout stays for the attacker: the ordinary code is still refused in a new sign-in.
    again = initiate(stack)
    assert answer(stack, again, code).authentication_result is None


def test_a_double_click_sends_one_message_and_either_sign_in_can_use_it(
    custom_auth_stack: LocalStack,
) -> None:
    stack = custom_auth_stack
    stack.create_user(EMAIL)
    initiate(stack)
    second = initiate(stack)
    assert len(stack.outbox.messages()) == 1
    done = answer(stack, second, latest_code(stack))
    assert done.authentication_result is not None


def test_a_code_that_signed_in_cannot_sign_in_again(custom_auth_stack: LocalStack) -> None:
    stack = custom_auth_stack
    stack.create_user(EMAIL)
    first, second = initiate(stack), initiate(stack)
    code = latest_code(stack)
    assert answer(stack, first, code).authentication_result is not None
    replayed = answer(stack, second, code)
    assert replayed.authentication_result is None
    assert replayed.challenge_name == "CUSTOM_CHALLENGE"
    # Signing in again right away works: a code that signed in ends the cooldown.
    third = initiate(stack)
    assert len(stack.outbox.messages()) == 2
    assert answer(stack, third, latest_code(stack)).authentication_result is not None


def test_an_unknown_user_leaves_no_state(custom_auth_stack: LocalStack) -> None:
    stack = custom_auth_stack
    stack.create_user(EMAIL)
    challenge = initiate(stack, "nobody@example.com")
    answer(stack, challenge, WRONG)
    tables = boto3.client("dynamodb", region_name=stack.region)
    [table] = tables.list_tables()["TableNames"]
    assert tables.scan(TableName=table)["Items"] == []
    assert stack.outbox.messages() == []


# --- failure injection ---------------------------------------------------------------------------


@dataclass
class _Http:
    status_code: int = 400
    headers: dict[str, str] | None = None


@contextmanager
def outage(service: str, operation: str, *, from_call: int) -> Iterator[list[int]]:
    """Every ``service`` ``operation`` call from the ``from_call``-th on fails, as a throttled
    or unavailable service fails (a ClientError, after botocore's own handling)."""
    session = boto3.DEFAULT_SESSION
    assert session is not None
    calls = [0]
    active = [True]  # clients copy the session's hooks when made: switch this one off after

    def fail(**_: Any) -> tuple[_Http, dict[str, Any]] | None:
        if not active[0]:
            return None
        calls[0] += 1
        if calls[0] < from_call:
            return None
        error = {"Code": "ProvisionedThroughputExceededException", "Message": "injected"}
        return _Http(), {"Error": error, "ResponseMetadata": {"HTTPStatusCode": 400}}

    event = f"before-call.{service}.{operation}"
    session.events.register(event, fail)
    try:
        yield calls
    finally:
        active[0] = False
        session.events.unregister(event, fail)


def sign_in_with_the_right_code(stack: LocalStack) -> AdminInitiateAuthResponse | str:
    """A sign-in that answers the right code (if one was sent) until it ends: the response,
    or the error code."""
    try:
        challenge = initiate(stack)
        messages = stack.outbox.messages()
        code = latest_code(stack) if messages else WRONG
        while challenge.challenge_name == "CUSTOM_CHALLENGE":
            challenge = answer(stack, challenge, code)
        return challenge
    except Exception as error:  # noqa: BLE001 - the error's code is the result
        return str(getattr(error, "response", {}).get("Error", {}).get("Code"))


@pytest.mark.parametrize(
    ("site", "operation", "from_call", "expected"),
    [
        ("Create reads", "GetItem", 1, "UserLambdaValidationException"),
        ("Create writes", "PutItem", 1, "UserLambdaValidationException"),
        ("Verify reads", "GetItem", 2, "NotAuthorizedException"),
        ("Verify writes", "PutItem", 2, "NotAuthorizedException"),
    ],
)
def test_dynamodb_failing_at_each_call_site_fails_the_sign_in(
    make_custom_auth_stack: Callable[..., LocalStack],
    logs: list[str],
    site: str,
    operation: str,
    from_call: int,
    expected: str,
) -> None:
    stack = make_custom_auth_stack(parameter_overrides={"SenderEmail": "no-reply@example.com"})
    stack.create_user(EMAIL)
    with outage("dynamodb", operation, from_call=from_call) as calls:
        result = sign_in_with_the_right_code(stack)
    assert calls[0] >= from_call, f"{site}: the call was never made"
    assert result == expected, f"{site}: {result}"
    unavailable = [line for line in logs if "sign-in state is unavailable" in line]
    assert unavailable and f"DynamoDB {operation} failed" in unavailable[0]
    assert any('"StateUnavailable"' in line for line in logs) or unavailable


def test_a_send_that_fails_is_forgotten_so_the_next_sign_in_sends(
    custom_auth_stack: LocalStack,
) -> None:
    stack = custom_auth_stack
    stack.create_user(EMAIL)
    with outage("sesv2", "SendEmail", from_call=1):
        assert sign_in_with_the_right_code(stack) == "UserLambdaValidationException"
    assert stack.outbox.messages() == []
    done = sign_in_with_the_right_code(stack)  # inside the cooldown, yet a code is sent
    assert isinstance(done, AdminInitiateAuthResponse) and done.authentication_result


def test_a_failed_send_whose_rollback_fails_too_still_gives_no_tokens(
    custom_auth_stack: LocalStack, logs: list[str]
) -> None:
    stack = custom_auth_stack
    stack.create_user(EMAIL)
    with (
        outage("sesv2", "SendEmail", from_call=1),
        outage("dynamodb", "PutItem", from_call=2),
    ):
        assert sign_in_with_the_right_code(stack) == "UserLambdaValidationException"
    assert any("a send that failed stays counted" in line for line in logs)
    # The user waits for the cooldown (at most one message in it, whether or not it left).
    assert sign_in_with_the_right_code(stack) == "NotAuthorizedException"
