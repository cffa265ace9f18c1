"""Sending a one-time code: by email through SES v2, or by SMS through SNS.

Each channel knows the user attribute it sends to and the one that says it was verified, which
destinations it refuses, how to mask one for the logs, and how to send. :func:`delivery_for`
picks the channel the settings name. boto3 clients are created on first use and can be
injected (tests pass moto's or a fake).
"""

import html
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol

from custom_auth.errors import CustomAuthError
from custom_auth.masking import mask_email, mask_phone
from custom_auth.settings import Channel, DeliverySettings

_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
# E.164: a plus, a country code that does not start with 0, at most 15 digits in all.
_E164 = re.compile(r"\+[1-9][0-9]{6,14}")
_LOCKOUT_NOTE = (
    "Several wrong codes were entered for your account, so for now signing in needs this "
    "longer code."
)


class DeliveryError(CustomAuthError):
    """A code could not be sent. The message names the service's error, never the code."""


@dataclass(frozen=True)
class Message:
    """A code message, rendered."""

    subject: str
    text: str
    html: str | None = None


def expiry_phrase(ttl_seconds: int) -> str:
    """``5 minutes``, ``1 minute``, ``90 seconds``."""
    if ttl_seconds % 60 == 0:
        minutes = ttl_seconds // 60
        return f"{minutes} minute{'s' if minutes != 1 else ''}"
    return f"{ttl_seconds} seconds"


def email_message(
    code: str,
    settings: DeliverySettings,
    ttl_seconds: int,
    *,
    lockout: bool = False,
    link: str | None = None,
) -> Message:
    """The code email: a plain-text and an HTML body saying what the code is for.

    ``lockout``: the code is a lockout code, and the email says why it is longer.
    ``link``: a magic link to sign in with, offered first, the code as the way to sign in on
    another device.
    """
    app, expiry = settings.app_name, expiry_phrase(ttl_seconds)
    note = f"{_LOCKOUT_NOTE}\n\n" if lockout else ""
    app_html = html.escape(app)
    code_html = (
        '<p style="font-size:28px;font-weight:600;letter-spacing:6px;'
        f'font-family:Menlo,Consolas,monospace">{code}</p>'
    )
    ignore = (
        f"If you did not try to sign in to {app}, you can ignore this email: "
        "without it, no one can sign in as you."
    )
    if link is None:
        text = (
            f"Your {app} sign-in code is:\n\n"
            f"    {code}\n\n"
            f"{note}"
            f"It expires in {expiry}. Enter it where you started signing in.\n\n"
            f"If you did not try to sign in to {app}, you can ignore this email: "
            "without the code, no one can sign in as you.\n"
        )
        inner = (
            f"<p>Your {app_html} sign-in code is:</p>"
            + code_html
            + (f"<p>{_LOCKOUT_NOTE}</p>" if lockout else "")
            + f"<p>It expires in {expiry}. Enter it where you started signing in.</p>"
            f'<p style="color:#555;font-size:13px">If you did not try to sign in to {app_html}, '
            "you can ignore this email: without the code, no one can sign in as you.</p>"
        )
    else:
        text = (
            f"Sign in to {app} with this link:\n\n"
            f"{link}\n\n"
            f"Or enter this code where you started signing in:\n\n"
            f"    {code}\n\n"
            f"{note}"
            f"The link and the code work once, for {expiry}.\n\n"
            f"{ignore}\n"
        )
        link_html = html.escape(link, quote=True)
        inner = (
            f"<p>Sign in to {app_html} with this link:</p>"
            f'<p><a href="{link_html}" style="display:inline-block;padding:10px 18px;'
            "background:#1f5fbf;color:#ffffff;text-decoration:none;border-radius:6px;"
            f'font-weight:600">Sign in to {app_html}</a></p>'
            "<p>Or enter this code where you started signing in:</p>"
            + code_html
            + (f"<p>{_LOCKOUT_NOTE}</p>" if lockout else "")
            + f"<p>The link and the code work once, for {expiry}.</p>"
            f'<p style="color:#555;font-size:13px">{html.escape(ignore)}</p>'
        )
    body = (
        '<!doctype html><html><body style="font-family:-apple-system,Segoe UI,Roboto,'
        'Helvetica,Arial,sans-serif;color:#1a1a1a;line-height:1.5">' + inner + "</body></html>"
    )
    subject = settings.email_subject
    if link is not None and subject == f"Your {app} sign-in code":
        subject = f"Your {app} sign-in link"
    return Message(subject=subject, text=text, html=body)


def sms_message(
    code: str, settings: DeliverySettings, ttl_seconds: int, *, lockout: bool = False
) -> Message:
    """The code text message: short, code first."""
    expiry = expiry_phrase(ttl_seconds)
    text = f"{code} is your {settings.app_name} sign-in code. It expires in {expiry}."
    if lockout:
        text += " After several wrong codes, signing in needs this longer one for now."
    return Message(subject="", text=text)


class Delivery(Protocol):
    """How codes reach users over one channel."""

    @property
    def channel(self) -> Channel:
        """The channel this delivery serves."""
        ...

    @property
    def attribute(self) -> str:
        """The user attribute that holds the destination."""
        ...

    def refusal(self, attributes: Mapping[str, str]) -> str | None:
        """Why nothing may be sent to this user's destination (None: it may), in a few words
        that hold no part of it."""
        ...

    def mask(self, destination: str) -> str:
        """The destination, masked for the logs."""
        ...

    def send(
        self,
        destination: str,
        code: str,
        ttl_seconds: int,
        *,
        lockout: bool = False,
        link: str | None = None,
    ) -> None:
        """Send ``code`` (as it should be shown), and ``link`` with it when the channel carries
        one (email); raise :class:`DeliveryError` if the service refuses."""
        ...


def _refusal(
    attributes: Mapping[str, str], attribute: str, pattern: re.Pattern[str], allow_unverified: bool
) -> str | None:
    destination = attributes.get(attribute, "")
    if not destination:
        return f"the user has no {attribute}"
    if not pattern.fullmatch(destination) or not _is_text(destination):
        return f"the user's {attribute} is not one a message can go to"
    if not allow_unverified and attributes.get(f"{attribute}_verified") != "true":
        return f"the user's {attribute} is not verified"
    return None


def _is_text(value: str) -> bool:
    try:
        value.encode()
    except UnicodeEncodeError:  # a lone surrogate
        return False
    return True


def _client(service: str) -> Any:
    import boto3  # imported on first send: only Create pays for it

    return boto3.client(service)


def _refused(service: str, error: Exception) -> DeliveryError:
    code = getattr(error, "response", {}).get("Error", {}).get("Code") or type(error).__name__
    return DeliveryError(f"{service} refused to send the code ({code})")


class EmailDelivery:
    """Codes by email, through SES v2 ``SendEmail`` from ``SENDER_EMAIL``."""

    channel: ClassVar[Channel] = Channel.EMAIL
    attribute: ClassVar[str] = "email"

    def __init__(self, settings: DeliverySettings, *, client: Any = None) -> None:
        if not settings.sender_email:
            raise DeliveryError("SENDER_EMAIL is required for the email channel")
        self.settings = settings
        self._client = client

    def refusal(self, attributes: Mapping[str, str]) -> str | None:
        """No address, one that is not an address, or one not verified (unless allowed)."""
        return _refusal(
            attributes, self.attribute, _EMAIL, self.settings.allow_unverified_destinations
        )

    def mask(self, destination: str) -> str:
        """``a***@e***.com``."""
        return mask_email(destination)

    def send(
        self,
        destination: str,
        code: str,
        ttl_seconds: int,
        *,
        lockout: bool = False,
        link: str | None = None,
    ) -> None:
        """One email with a text and an HTML body."""
        message = email_message(code, self.settings, ttl_seconds, lockout=lockout, link=link)
        if self._client is None:
            self._client = _client("sesv2")
        body = {"Text": {"Data": message.text, "Charset": "UTF-8"}}
        if message.html is not None:
            body["Html"] = {"Data": message.html, "Charset": "UTF-8"}
        try:
            self._client.send_email(
                FromEmailAddress=self.settings.sender_email,
                Destination={"ToAddresses": [destination]},
                Content={
                    "Simple": {
                        "Subject": {"Data": message.subject, "Charset": "UTF-8"},
                        "Body": body,
                    }
                },
            )
        except Exception as error:  # noqa: BLE001 - any refusal is a DeliveryError
            raise _refused("SES", error) from None


class SmsDelivery:
    """Codes by SMS, through SNS ``Publish`` to the user's ``phone_number``, transactional."""

    channel: ClassVar[Channel] = Channel.SMS
    attribute: ClassVar[str] = "phone_number"

    def __init__(self, settings: DeliverySettings, *, client: Any = None) -> None:
        self.settings = settings
        self._client = client

    def refusal(self, attributes: Mapping[str, str]) -> str | None:
        """No number, one that is not E.164, one not verified (unless allowed), or one outside
        the countries ``SMS_ALLOWED_COUNTRY_CODES`` lists."""
        why = _refusal(
            attributes, self.attribute, _E164, self.settings.allow_unverified_destinations
        )
        if why is not None:
            return why
        digits = attributes[self.attribute][1:]
        if not digits.startswith(self.settings.sms_allowed_country_codes):
            return "the user's phone_number is in a country SMS_ALLOWED_COUNTRY_CODES leaves out"
        return None

    def mask(self, destination: str) -> str:
        """``+*******0100``."""
        return mask_phone(destination)

    def send(
        self,
        destination: str,
        code: str,
        ttl_seconds: int,
        *,
        lockout: bool = False,
        link: str | None = None,
    ) -> None:
        """One transactional text message (no link: SMS_OTP sends none)."""
        if link is not None:
            raise DeliveryError("SNS: a text message carries no magic link")
        message = sms_message(code, self.settings, ttl_seconds, lockout=lockout)
        if self._client is None:
            self._client = _client("sns")
        try:
            self._client.publish(
                PhoneNumber=destination,
                Message=message.text,
                MessageAttributes={
                    "AWS.SNS.SMS.SMSType": {"DataType": "String", "StringValue": "Transactional"}
                },
            )
        except Exception as error:  # noqa: BLE001 - any refusal is a DeliveryError
            raise _refused("SNS", error) from None


_DELIVERIES: dict[Channel, type[EmailDelivery] | type[SmsDelivery]] = {
    Channel.EMAIL: EmailDelivery,
    Channel.SMS: SmsDelivery,
}


def delivery_for(settings: DeliverySettings, *, client: Any = None) -> Delivery:
    """The delivery for ``settings.channel``."""
    return _DELIVERIES[settings.channel](settings, client=client)
