"""SMS_OTP: a one-time code by text message, through SNS, to the countries
``SMS_ALLOWED_COUNTRY_CODES`` lists."""

from collections.abc import Mapping

from custom_auth.delivery import SmsDelivery
from custom_auth.methods.code import CodeMethod, shared_key
from custom_auth.settings import Channel, CodeSettings, DeliverySettings

NAME = "SMS_OTP"


def build(env: Mapping[str, str]) -> CodeMethod:
    """The method, from ``CODE_*``, ``OTP_LENGTH`` and the SMS settings."""
    codes = CodeSettings.from_env(env)
    delivery = SmsDelivery(DeliverySettings.from_env(env, Channel.SMS))
    return CodeMethod(NAME, codes, delivery, shared_key(codes.code_key_secret_id))
