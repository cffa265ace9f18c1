"""Several sign-in methods through the local user pool, driven by boto3 as any client would:
choosing, switching, refusals, and the trigger invocations each path takes."""

import re
from collections.abc import Callable

import pytest
from botocore.exceptions import ClientError

from custom_auth.model import AdminInitiateAuthResponse
from custom_auth_local.stack import LocalStack
from tests.test_pool import answer as respond
from tests.test_pool import initiate

EMAIL, PHONE = "alice@example.com", "+12065550100"
BOTH = {
    "SenderEmail": "no-reply@example.com",
    "SignInMethods": "EMAIL_OTP,SMS_OTP",
    "SmsAllowedCountryCodes": "1",
}


@pytest.fixture
def stack(make_custom_auth_stack: Callable[..., LocalStack]) -> LocalStack:
    made = make_custom_auth_stack(parameter_overrides=BOTH)
    made.create_user(
        EMAIL,
        attributes={"phone_number": PHONE, "phone_number_verified": "true"},
    )
    return made


def last_code(stack: LocalStack, channel: str) -> str:
    [message, *_] = [m for m in reversed(stack.outbox.messages()) if m.channel == channel]
    codes: list[str] = re.findall(r"(?<!\d)\d{6}(?!\d)", message.body)
    return codes[0]


def params(response: AdminInitiateAuthResponse) -> dict[str, str]:
    """The challenge parameters, without USERNAME (a made-up one for an unknown user)."""
    return {k: v for k, v in dict(response.challenge_parameters or {}).items() if k != "USERNAME"}


def calls(stack: LocalStack) -> list[str]:
    short = {"DefineAuthChallenge": "D", "CreateAuthChallenge": "C"}
    return [short.get(name, "V") for name in stack.pool.invocations]


def test_choose_then_sign_in_with_sms(stack: LocalStack) -> None:
    choice = initiate(stack)
    assert params(choice) == {
        "SIGN_IN_METHOD": "SELECT",
        "SIGN_IN_METHODS": '["EMAIL_OTP","SMS_OTP"]',
    }
    assert stack.outbox.messages() == []
    code_round = respond(stack, choice, "SMS_OTP")
    assert params(code_round)["CODE_DELIVERY_DELIVERY_MEDIUM"] == "SMS"
    [message] = stack.outbox.messages()
    assert (message.channel, message.to) == ("sms", PHONE)
    done = respond(stack, code_round, last_code(stack, "sms"))
    assert done.authentication_result is not None
    assert calls(stack) == ["D", "C", "V", "D", "C", "V", "D"]  # 7: the choice costs 3


def test_initiate_auth_client_metadata_chooses_nothing(stack: LocalStack) -> None:
    """Cognito does not pass InitiateAuth's ClientMetadata to Define or Create: naming the
    method there still gives the choice round."""
    choice = initiate(stack, ClientMetadata={"signInMethod": "SMS_OTP"})
    assert params(choice)["SIGN_IN_METHOD"] == "SELECT"
    code_round = respond(stack, choice, "-", ClientMetadata={"signInMethod": "EMAIL_OTP"})
    assert params(code_round)["SIGN_IN_METHOD"] == "EMAIL_OTP"
    assert respond(stack, code_round, last_code(stack, "email")).authentication_result


def test_switch_from_email_to_sms_once(stack: LocalStack) -> None:
    email_round = respond(stack, initiate(stack), "EMAIL_OTP")
    sms_round = respond(stack, email_round, "SMS_OTP")
    assert params(sms_round)["SIGN_IN_METHOD"] == "SMS_OTP"
    assert [m.channel for m in stack.outbox.messages()] == ["email", "sms"]
    # The email's code does not answer the SMS round.
    wrong = respond(stack, sms_round, last_code(stack, "email"))
    assert params(wrong)["SIGN_IN_METHOD"] == "SMS_OTP"
    done = respond(stack, wrong, last_code(stack, "sms"))
    assert done.authentication_result is not None


@pytest.mark.parametrize("bad", ["FAX_OTP", "sms_otp", "PASSKEY", ""])
def test_a_bad_choice_is_a_wrong_answer_and_three_fail(stack: LocalStack, bad: str) -> None:
    choice = initiate(stack)
    for _ in range(2):
        choice = respond(stack, choice, bad or " ")
        assert params(choice)["SIGN_IN_METHOD"] == "SELECT"
    with pytest.raises(ClientError) as caught:
        respond(stack, choice, bad or " ")
    error = caught.value.response["Error"]
    assert (error["Code"], error["Message"]) == (
        "NotAuthorizedException",
        "Incorrect username or password.",
    )
    assert stack.outbox.messages() == []


def test_an_unknown_user_gets_the_same_rounds(stack: LocalStack) -> None:
    known = initiate(stack)
    unknown = initiate(stack, "nobody@example.com")
    assert params(unknown) == params(known)
    assert params(respond(stack, unknown, "SMS_OTP")) == params(respond(stack, known, "SMS_OTP"))
    assert [m.to for m in stack.outbox.messages()] == [PHONE]


def test_one_method_deployment_still_takes_four_invocations(
    make_custom_auth_stack: Callable[..., LocalStack],
) -> None:
    stack = make_custom_auth_stack(
        parameter_overrides={"SignInMethods": "SMS_OTP", "SmsAllowedCountryCodes": "1"}
    )
    stack.create_user(PHONE)
    code_round = initiate(stack, PHONE)
    assert params(code_round)["SIGN_IN_METHOD"] == "SMS_OTP"
    assert respond(stack, code_round, last_code(stack, "sms")).authentication_result
    assert calls(stack) == ["D", "C", "V", "D"]
