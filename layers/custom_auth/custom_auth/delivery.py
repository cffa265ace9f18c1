"""Sending a one-time code: by email through SES v2, or by SMS through SNS.

Each channel knows the user attribute it sends to, how Cognito masks that destination, and how
to send. :func:`delivery_for` picks the channel the settings name. boto3 clients are created on
first use and can be injected (tests pass moto's or a fake).
"""

import html
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol

from custom_auth.errors import CustomAuthError
from custom_auth.masking import mask_email, mask_phone, plausible_email, plausible_phone
from custom_auth.settings import Channel, DeliverySettings


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


def email_message(code: str, settings: DeliverySettings, ttl_seconds: int) -> Message:
    """The code email: a plain-text and an HTML body saying what the code is for."""
    app, expiry = settings.app_name, expiry_phrase(ttl_seconds)
    text = (
        f"Your {app} sign-in code is:\n\n"
        f"    {code}\n\n"
        f"It expires in {expiry}. Enter it where you started signing in.\n\n"
        f"If you did not try to sign in to {app}, you can ignore this email: "
        "without the code, no one can sign in as you.\n"
    )
    app_html = html.escape(app)
    body = (
        '<!doctype html><html><body style="font-family:-apple-system,Segoe UI,Roboto,'
        'Helvetica,Arial,sans-serif;color:#1a1a1a;line-height:1.5">'
        f"<p>Your {app_html} sign-in code is:</p>"
        '<p style="font-size:28px;font-weight:600;letter-spacing:6px;'
        f'font-family:Menlo,Consolas,monospace">{code}</p>'
        f"<p>It expires in {expiry}. Enter it where you started signing in.</p>"
        f'<p style="color:#555;font-size:13px">If you did not try to sign in to {app_html}, '
        "you can ignore this email: without the code, no one can sign in as you.</p>"
        "</body></html>"
    )
    return Message(subject=settings.email_subject, text=text, html=body)


def sms_message(code: str, settings: DeliverySettings, ttl_seconds: int) -> Message:
    """The code text message: short, code first."""
    expiry = expiry_phrase(ttl_seconds)
    text = f"{code} is your {settings.app_name} sign-in code. It expires in {expiry}."
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

    def mask(self, destination: str) -> str:
        """The destination as Cognito would show it."""
        ...

    def plausible(self, user_name: str, key: bytes) -> str:
        """A masked destination for a user who does not exist, stable for that name."""
        ...

    def send(self, destination: str, code: str, ttl_seconds: int) -> None:
        """Send ``code``; raise :class:`DeliveryError` if the service refuses."""
        ...


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

    def mask(self, destination: str) -> str:
        """``a***@e***.com``."""
        return mask_email(destination)

    def plausible(self, user_name: str, key: bytes) -> str:
        """A stable, plausible masked address."""
        return plausible_email(user_name, key)

    def send(self, destination: str, code: str, ttl_seconds: int) -> None:
        """One email with a text and an HTML body."""
        message = email_message(code, self.settings, ttl_seconds)
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

    def mask(self, destination: str) -> str:
        """``+*******0100``."""
        return mask_phone(destination)

    def plausible(self, user_name: str, key: bytes) -> str:
        """A stable, plausible masked phone number."""
        return plausible_phone(user_name, key)

    def send(self, destination: str, code: str, ttl_seconds: int) -> None:
        """One transactional text message."""
        message = sms_message(code, self.settings, ttl_seconds)
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
