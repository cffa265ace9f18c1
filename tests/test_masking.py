"""custom_auth.masking: destinations masked for the logs, and the hint the caller sees."""

import pytest

from custom_auth.masking import CHANNEL_HINTS, mask_email, mask_phone
from custom_auth.settings import Channel


@pytest.mark.parametrize(
    ("address", "masked"),
    [
        ("alice@example.com", "a***@e***.com"),
        ("Bob.Smith+tag@mail.example.co.uk", "B***@m***.uk"),
        ("  carol@x.io ", "c***@x***.io"),
        ("not-an-address", "***"),
        ("@example.com", "***"),
        ("dave@localhost", "***"),
    ],
)
def test_mask_email(address: str, masked: str) -> None:
    assert mask_email(address) == masked


@pytest.mark.parametrize(
    ("number", "masked"),
    [
        ("+12065550100", "+*******0100"),
        ("+44 20 7946 0958", "+********0958"),
        ("+1234", "***"),
    ],
)
def test_mask_phone(number: str, masked: str) -> None:
    assert mask_phone(number) == masked


def test_the_caller_sees_one_hint_per_channel() -> None:
    assert CHANNEL_HINTS == {"email": "***@***", "sms": "+***"}
    assert set(CHANNEL_HINTS) == {channel.value for channel in Channel}
