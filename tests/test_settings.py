"""custom_auth.settings: the environment, read once, bad values refused by name."""

import pytest

from custom_auth.settings import (
    AuthFlow,
    Channel,
    CodeSettings,
    DeliverySettings,
    FlowSettings,
    SettingsError,
)


def test_defaults() -> None:
    assert FlowSettings.from_env({}) == FlowSettings(AuthFlow.OTP, 3)
    codes = CodeSettings.from_env({"CODE_KEY_SECRET_ID": "k"})
    assert (codes.otp_length, codes.code_ttl_seconds) == (6, 300)
    delivery = DeliverySettings.from_env({"SENDER_EMAIL": "no-reply@example.com"})
    assert delivery.channel is Channel.EMAIL
    assert (delivery.app_name, delivery.email_subject) == ("My App", "Your My App sign-in code")


def test_every_variable_is_read() -> None:
    flow = FlowSettings.from_env({"AUTH_FLOW": "password+otp", "MAX_ATTEMPTS": "10"})
    assert flow == FlowSettings(AuthFlow.PASSWORD_OTP, 10)
    codes = CodeSettings.from_env(
        {"CODE_KEY_SECRET_ID": " arn:key ", "OTP_LENGTH": "10", "CODE_TTL_SECONDS": "600"}
    )
    assert codes == CodeSettings("arn:key", 10, 600)
    delivery = DeliverySettings.from_env(
        {"OTP_CHANNEL": "sms", "APP_NAME": "Acme", "EMAIL_SUBJECT": "Your code"}
    )
    assert delivery == DeliverySettings(Channel.SMS, None, "Acme", "Your code")


@pytest.mark.parametrize(
    ("settings", "env", "message"),
    [
        (
            FlowSettings,
            {"AUTH_FLOW": "password"},
            "AUTH_FLOW: must be one of otp, password+otp; got 'password'",
        ),
        (
            FlowSettings,
            {"MAX_ATTEMPTS": "0"},
            "MAX_ATTEMPTS: must be a whole number from 1 to 10; got '0'",
        ),
        (FlowSettings, {"MAX_ATTEMPTS": "11"}, "MAX_ATTEMPTS: must be a whole number from 1 to 10"),
        (
            FlowSettings,
            {"MAX_ATTEMPTS": "three"},
            "MAX_ATTEMPTS: must be a whole number from 1 to 10",
        ),
        (FlowSettings, {"MAX_ATTEMPTS": "-1"}, "MAX_ATTEMPTS: must be a whole number from 1 to 10"),
        (CodeSettings, {}, "CODE_KEY_SECRET_ID: is required"),
        (
            CodeSettings,
            {"CODE_KEY_SECRET_ID": "k", "OTP_LENGTH": "5"},
            "OTP_LENGTH: must be a whole number from 6 to 10",
        ),
        (
            CodeSettings,
            {"CODE_KEY_SECRET_ID": "k", "OTP_LENGTH": "6.0"},
            "OTP_LENGTH: must be a whole number",
        ),
        (
            CodeSettings,
            {"CODE_KEY_SECRET_ID": "k", "CODE_TTL_SECONDS": "601"},
            "CODE_TTL_SECONDS: must be a whole number from 30 to 600",
        ),
        (
            CodeSettings,
            {"CODE_KEY_SECRET_ID": "k", "CODE_TTL_SECONDS": "29"},
            "CODE_TTL_SECONDS: must be a whole number from 30 to 600",
        ),
        (DeliverySettings, {}, "SENDER_EMAIL: is required (OTP_CHANNEL is email)"),
        (
            DeliverySettings,
            {"OTP_CHANNEL": "fax"},
            "OTP_CHANNEL: must be one of email, sms; got 'fax'",
        ),
        (
            DeliverySettings,
            {"SENDER_EMAIL": "no-reply"},
            "SENDER_EMAIL: must be an email address; got 'no-reply'",
        ),
        (
            DeliverySettings,
            {"OTP_CHANNEL": "sms", "APP_NAME": "x" * 61},
            "APP_NAME: must be at most 60 characters",
        ),
        (
            DeliverySettings,
            {"OTP_CHANNEL": "sms", "EMAIL_SUBJECT": "x" * 201},
            "EMAIL_SUBJECT: must be at most 200",
        ),
    ],
)
def test_a_bad_value_names_the_variable_and_the_rule(
    settings: type[FlowSettings | CodeSettings | DeliverySettings],
    env: dict[str, str],
    message: str,
) -> None:
    with pytest.raises(SettingsError) as caught:
        settings.from_env(env)
    assert str(caught.value).startswith(message)


def test_settings_are_frozen() -> None:
    flow = FlowSettings()
    with pytest.raises(AttributeError):
        flow.max_attempts = 100  # type: ignore[misc]
