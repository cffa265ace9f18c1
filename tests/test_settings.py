"""custom_auth.settings: the environment, read once, bad values refused by name."""

import pytest

from custom_auth.settings import (
    AuthFlow,
    Channel,
    CodeFormat,
    CodeSettings,
    DeliverySettings,
    FlowSettings,
    LimitSettings,
    SettingsError,
)


class SmsDelivery:
    """DeliverySettings as SMS_OTP reads them."""

    @staticmethod
    def from_env(env: dict[str, str]) -> DeliverySettings:
        return DeliverySettings.from_env(env, Channel.SMS)


def test_defaults() -> None:
    assert FlowSettings.from_env({}) == FlowSettings(AuthFlow.OTP, 3, ("EMAIL_OTP",))
    codes = CodeSettings.from_env({"CODE_KEY_SECRET_ID": "k"})
    assert (codes.otp_length, codes.code_ttl_seconds) == (6, 300)
    delivery = DeliverySettings.from_env({"SENDER_EMAIL": "no-reply@example.com"})
    assert delivery.channel is Channel.EMAIL
    assert (delivery.app_name, delivery.email_subject) == ("My App", "Your My App sign-in code")


def test_every_variable_is_read() -> None:
    flow = FlowSettings.from_env(
        {"AUTH_FLOW": "password+otp", "MAX_ATTEMPTS": "10", "SIGN_IN_METHODS": "SMS_OTP, EMAIL_OTP"}
    )
    assert flow == FlowSettings(AuthFlow.PASSWORD_OTP, 10, ("SMS_OTP", "EMAIL_OTP"))
    codes = CodeSettings.from_env(
        {
            "CODE_KEY_SECRET_ID": " arn:key ",
            "OTP_LENGTH": "20",
            "CODE_TTL_SECONDS": "600",
            "CODE_FORMAT": "alphanumeric",
        }
    )
    assert codes == CodeSettings("arn:key", 20, 600, CodeFormat.ALPHANUMERIC)
    delivery = SmsDelivery.from_env(
        {
            "APP_NAME": "Acme",
            "EMAIL_SUBJECT": "Your code",
            "SMS_ALLOWED_COUNTRY_CODES": "1, +44,353",
            "ALLOW_UNVERIFIED_DESTINATIONS": "true",
        }
    )
    assert delivery == DeliverySettings(
        Channel.SMS, None, "Acme", "Your code", ("1", "44", "353"), True
    )


def test_sms_goes_nowhere_until_the_operator_lists_countries() -> None:
    with pytest.raises(SettingsError, match="SMS_ALLOWED_COUNTRY_CODES: is required"):
        SmsDelivery.from_env({})
    email = DeliverySettings.from_env({"SENDER_EMAIL": "a@b.co"})
    assert email.sms_allowed_country_codes == ()
    assert email.allow_unverified_destinations is False


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
            "OTP_LENGTH: must be a whole number from 6 to 20",
        ),
        (
            CodeSettings,
            {"CODE_KEY_SECRET_ID": "k", "OTP_LENGTH": "21"},
            "OTP_LENGTH: must be a whole number from 6 to 20",
        ),
        (
            CodeSettings,
            {"CODE_KEY_SECRET_ID": "k", "CODE_FORMAT": "hex"},
            "CODE_FORMAT: must be one of digits, alphanumeric; got 'hex'",
        ),
        (
            SmsDelivery,
            {"SMS_ALLOWED_COUNTRY_CODES": "1,,44"},
            "SMS_ALLOWED_COUNTRY_CODES: must be calling codes or E.164 prefixes",
        ),
        (
            SmsDelivery,
            {"SMS_ALLOWED_COUNTRY_CODES": "01"},
            "SMS_ALLOWED_COUNTRY_CODES: must be calling codes or E.164 prefixes",
        ),
        (
            SmsDelivery,
            {"SMS_ALLOWED_COUNTRY_CODES": "1234567"},
            "SMS_ALLOWED_COUNTRY_CODES: must be calling codes or E.164 prefixes",
        ),
        (
            DeliverySettings,
            {"SENDER_EMAIL": "a@b.co", "ALLOW_UNVERIFIED_DESTINATIONS": "1"},
            "ALLOW_UNVERIFIED_DESTINATIONS: must be true or false; got '1'",
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
        (
            DeliverySettings,
            {},
            "SENDER_EMAIL: is required (SIGN_IN_METHODS includes EMAIL_OTP)",
        ),
        (
            FlowSettings,
            {"SIGN_IN_METHODS": "EMAIL_OTP,FAX_OTP"},
            "SIGN_IN_METHODS: each must be one of EMAIL_OTP, SMS_OTP, MAGIC_LINK, PASSKEY, "
            "separated by commas; "
            "got 'FAX_OTP'",
        ),
        (FlowSettings, {"SIGN_IN_METHODS": "EMAIL_OTP,"}, "SIGN_IN_METHODS: each must be one"),
        (
            FlowSettings,
            {"SIGN_IN_METHODS": "SMS_OTP,SMS_OTP"},
            "SIGN_IN_METHODS: names a method twice; got 'SMS_OTP,SMS_OTP'",
        ),
        (
            FlowSettings,
            {"OTP_CHANNEL": "sms"},
            "OTP_CHANNEL: is replaced by SIGN_IN_METHODS; set SIGN_IN_METHODS=SMS_OTP instead",
        ),
        (
            FlowSettings,
            {"OTP_CHANNEL": "fax", "SIGN_IN_METHODS": "EMAIL_OTP"},
            "OTP_CHANNEL: is replaced by SIGN_IN_METHODS; set SIGN_IN_METHODS=one of EMAIL_OTP",
        ),
        (
            DeliverySettings,
            {"SENDER_EMAIL": "no-reply"},
            "SENDER_EMAIL: must be an email address; got 'no-reply'",
        ),
        (
            SmsDelivery,
            {"SMS_ALLOWED_COUNTRY_CODES": "1", "APP_NAME": "x" * 61},
            "APP_NAME: must be at most 60 characters",
        ),
        (
            SmsDelivery,
            {"SMS_ALLOWED_COUNTRY_CODES": "1", "EMAIL_SUBJECT": "x" * 201},
            "EMAIL_SUBJECT: must be at most 200",
        ),
    ],
)
def test_a_bad_value_names_the_variable_and_the_rule(
    settings: type[FlowSettings | CodeSettings | DeliverySettings | SmsDelivery],
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


# --- the limits across sign-ins -----------------------------------------------------------------


def limit_settings(**env: str) -> LimitSettings:
    return LimitSettings.from_env(
        {"STATE_TABLE_NAME": "custom-auth-state", **env}, code_ttl_seconds=300
    )


def test_limit_defaults_are_the_safe_ones() -> None:
    assert limit_settings() == LimitSettings("custom-auth-state", 10, 900, 60, 5, False, 500, 300)


def test_every_limit_is_read() -> None:
    limits = limit_settings(
        LOCKOUT_AFTER_FAILURES="100",
        LOCKOUT_SECONDS="60",
        RESEND_COOLDOWN_SECONDS="300",
        MAX_SENDS_PER_HOUR="60",
        BIND_CODE_TO_SIGN_IN="true",
        POOL_MAX_SENDS_PER_HOUR="1000000",
    )
    assert limits == LimitSettings("custom-auth-state", 100, 60, 300, 60, True, 1_000_000, 300)


def test_lockouts_double_up_to_a_day() -> None:
    limits = LimitSettings("t" * 3, lockout_seconds=900)
    assert [limits.lockout_duration(n) for n in range(1, 9)] == [
        900, 1800, 3600, 7200, 14400, 28800, 57600, 86400,
    ]  # fmt: skip
    assert limits.lockout_duration(10_000) == 86_400
    assert LimitSettings("ttt", lockout_seconds=86_400).lockout_duration(2) == 86_400


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"STATE_TABLE_NAME": ""}, "STATE_TABLE_NAME: is required"),
        ({"STATE_TABLE_NAME": "my table"}, "STATE_TABLE_NAME: must be a DynamoDB table name"),
        (
            {"LOCKOUT_AFTER_FAILURES": "101"},
            "LOCKOUT_AFTER_FAILURES: must be a whole number from 1 to 100",
        ),
        (
            {"LOCKOUT_AFTER_FAILURES": "0"},
            "LOCKOUT_AFTER_FAILURES: must be a whole number from 1 to 100",
        ),
        ({"LOCKOUT_SECONDS": "59"}, "LOCKOUT_SECONDS: must be a whole number from 60 to 86400"),
        (
            {"RESEND_COOLDOWN_SECONDS": "0"},
            "RESEND_COOLDOWN_SECONDS: must be a whole number from 1 to 600",
        ),
        (
            {"RESEND_COOLDOWN_SECONDS": "301"},
            "RESEND_COOLDOWN_SECONDS: must be at most CODE_TTL_SECONDS (300), so that a reused "
            "code is still valid; got 301",
        ),
        ({"MAX_SENDS_PER_HOUR": "61"}, "MAX_SENDS_PER_HOUR: must be a whole number from 1 to 60"),
        ({"MAX_SENDS_PER_HOUR": "five"}, "MAX_SENDS_PER_HOUR: must be a whole number from 1 to 60"),
        ({"BIND_CODE_TO_SIGN_IN": "on"}, "BIND_CODE_TO_SIGN_IN: must be true or false; got 'on'"),
        (
            {"POOL_MAX_SENDS_PER_HOUR": "1000001"},
            "POOL_MAX_SENDS_PER_HOUR: must be a whole number from 1 to 1000000",
        ),
    ],
)
def test_a_bad_limit_names_the_variable_and_the_rule(env: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError) as caught:
        limit_settings(**env)
    assert str(caught.value).startswith(message)
