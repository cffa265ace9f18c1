"""EMAIL_OTP: a one-time code by email, through SES v2, from ``SENDER_EMAIL``."""

from collections.abc import Mapping

from custom_auth.delivery import EmailDelivery
from custom_auth.methods.code import CodeMethod, shared_key
from custom_auth.settings import Channel, CodeSettings, DeliverySettings

NAME = "EMAIL_OTP"


def build(env: Mapping[str, str]) -> CodeMethod:
    """The method, from ``CODE_*``, ``OTP_LENGTH`` and the email settings (``SENDER_EMAIL``)."""
    codes = CodeSettings.from_env(env)
    delivery = EmailDelivery(DeliverySettings.from_env(env, Channel.EMAIL))
    return CodeMethod(NAME, codes, delivery, shared_key(codes.code_key_secret_id))
