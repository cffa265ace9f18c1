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
SMS = DeliverySettings(Channel.SMS, None, "Acme", sms_allowed_country_codes=("1", "44"))


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


VERIFIED_EMAIL = {"email": "alice@example.com", "email_verified": "true"}
VERIFIED_PHONE = {"phone_number": "+12065550100", "phone_number_verified": "true"}


@pytest.mark.parametrize(
    ("attributes", "why"),
    [
        (VERIFIED_EMAIL, None),
        ({}, "the user has no email"),
        ({"email": "alice@example.com"}, "the user's email is not verified"),
        ({**VERIFIED_EMAIL, "email_verified": "false"}, "the user's email is not verified"),
        ({**VERIFIED_EMAIL, "email_verified": "True"}, "the user's email is not verified"),
        ({**VERIFIED_EMAIL, "email": "alice"}, "the user's email is not one a message can go to"),
        (
            {**VERIFIED_EMAIL, "email": "al\ud800ice@example.com"},
            "the user's email is not one a message can go to",
        ),
    ],
)
def test_email_goes_to_a_verified_address_only(attributes: dict[str, str], why: str) -> None:
    assert delivery_for(EMAIL).refusal(attributes) == why


@pytest.mark.parametrize(
    ("number", "why"),
    [
        ("+12065550100", None),
        ("+447700900123", None),
        (
            "+353851234567",
            "the user's phone_number is in a country SMS_ALLOWED_COUNTRY_CODES leaves out",
        ),
        (
            "+8613800138000",
            "the user's phone_number is in a country SMS_ALLOWED_COUNTRY_CODES leaves out",
        ),
        ("12065550100", "the user's phone_number is not one a message can go to"),
        ("+1 206 555 0100", "the user's phone_number is not one a message can go to"),
        ("+0123456789", "the user's phone_number is not one a message can go to"),
    ],
)
def test_sms_goes_to_verified_e164_numbers_of_the_listed_countries(number: str, why: str) -> None:
    assert delivery_for(SMS).refusal({**VERIFIED_PHONE, "phone_number": number}) == why


def test_unverified_destinations_can_be_allowed() -> None:
    sms = delivery_for(DeliverySettings(Channel.SMS, None, sms_allowed_country_codes=("1",)))
    assert (
        sms.refusal({"phone_number": "+12065550100"}) == "the user's phone_number is not verified"
    )
    relaxed = DeliverySettings(
        Channel.SMS, None, sms_allowed_country_codes=("1",), allow_unverified_destinations=True
    )
    assert delivery_for(relaxed).refusal({"phone_number": "+12065550100"}) is None
    # The country list holds either way.
    assert delivery_for(relaxed).refusal({"phone_number": "+447700900123"}) is not None


def test_a_lockout_code_message_says_why_it_is_longer() -> None:
    message = email_message("7KQM-2PD9-HRT0", EMAIL, 300, lockout=True)
    for body in (message.text, message.html or ""):
        assert "7KQM-2PD9-HRT0" in body and "longer code" in body
    assert "longer code" not in email_message("042042", EMAIL, 300).text
    assert "longer one" in sms_message("7KQM-2PD9-HRT0", SMS, 300, lockout=True).text
