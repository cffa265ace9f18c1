"""custom_auth.delivery: the messages, and sending them through SES v2 and SNS."""

from typing import Any

import boto3
import pytest

from custom_auth.delivery import (
    DeliveryError,
    EmailDelivery,
    SmsDelivery,
    delivery_for,
    email_message,
    expiry_phrase,
    sms_message,
)
from custom_auth.settings import Channel, DeliverySettings
from tests.triggers import SENDER, sent_emails, sent_sms

EMAIL = DeliverySettings(Channel.EMAIL, SENDER, "Acme <Books> & Co")
SMS = DeliverySettings(Channel.SMS, None, "Acme")


@pytest.mark.parametrize(
    ("seconds", "phrase"),
    [(300, "5 minutes"), (60, "1 minute"), (600, "10 minutes"), (90, "90 seconds")],
)
def test_expiry_phrase(seconds: int, phrase: str) -> None:
    assert expiry_phrase(seconds) == phrase


def test_the_email_says_what_the_code_is_for_in_text_and_html() -> None:
    message = email_message("042042", EMAIL, 300)
    assert message.subject == "Your Acme <Books> & Co sign-in code"
    assert "Your Acme <Books> & Co sign-in code is:\n\n    042042\n" in message.text
    assert "expires in 5 minutes" in message.text
    assert "you can ignore this email" in message.text
    assert message.html is not None
    assert ">042042</p>" in message.html
    assert "Acme &lt;Books&gt; &amp; Co" in message.html  # escaped, never raw markup
    assert "<Books>" not in message.html


def test_the_sms_is_short_and_code_first() -> None:
    text = sms_message("04204299", SMS, 120).text
    assert text == "04204299 is your Acme sign-in code. It expires in 2 minutes."
    assert len(text) <= 160


def test_email_goes_through_ses_v2(aws: None) -> None:
    delivery = delivery_for(EMAIL)
    assert isinstance(delivery, EmailDelivery)
    delivery.send("alice@example.com", "042042", 300)
    [email] = sent_emails()
    assert email.source == SENDER
    assert email.destinations["ToAddresses"] == ["alice@example.com"]
    assert "042042" in email.body


def test_sms_goes_through_sns_as_transactional(aws: None) -> None:
    published: list[dict[str, Any]] = []
    sns = boto3.client("sns")

    class Recording:
        def publish(self, **kwargs: Any) -> Any:
            published.append(kwargs)
            return sns.publish(**kwargs)

    delivery = delivery_for(SMS, client=Recording())
    assert isinstance(delivery, SmsDelivery)
    delivery.send("+12065550100", "042042", 300)
    assert sent_sms() == [
        ("+12065550100", "042042 is your Acme sign-in code. It expires in 5 minutes.")
    ]
    assert published[0]["MessageAttributes"]["AWS.SNS.SMS.SMSType"] == {
        "DataType": "String",
        "StringValue": "Transactional",
    }


def test_a_refusal_names_the_service_error_and_never_the_code(aws: None) -> None:
    unverified = DeliverySettings(Channel.EMAIL, "someone@unverified.example", "Acme")
    with pytest.raises(DeliveryError) as caught:
        delivery_for(unverified).send("alice@example.com", "042042", 300)
    assert str(caught.value) == "SES refused to send the code (MessageRejected)"

    class Broken:
        def publish(self, **kwargs: Any) -> Any:
            raise ConnectionError(f"could not publish {kwargs['Message']}")

    with pytest.raises(DeliveryError) as caught:
        delivery_for(SMS, client=Broken()).send("+12065550100", "042042", 300)
    assert str(caught.value) == "SNS refused to send the code (ConnectionError)"
    assert "042042" not in str(caught.value)
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


def test_the_email_channel_needs_a_sender() -> None:
    with pytest.raises(DeliveryError, match="SENDER_EMAIL is required"):
        EmailDelivery(DeliverySettings(Channel.EMAIL, None))


def test_each_channel_names_its_attribute_and_masks_it() -> None:
    email, sms = delivery_for(EMAIL), delivery_for(SMS)
    assert (email.attribute, email.mask("alice@example.com")) == ("email", "a***@e***.com")
    assert (sms.attribute, sms.mask("+12065550100")) == ("phone_number", "+*******0100")
