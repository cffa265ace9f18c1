"""custom_auth.masking: destinations shown the way Cognito shows them."""

import pytest

from custom_auth.masking import mask_email, mask_phone, plausible_email, plausible_phone


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


def test_plausible_destinations_are_stable_keyed_and_masked() -> None:
    key, other = b"a" * 32, b"b" * 32
    email = plausible_email("mallory", key)
    assert email == plausible_email("mallory", key)
    assert email.count("***") == 2 and email.split(".")[-1] in {"com", "net", "org"}
    assert {plausible_email(f"user{i}", key) for i in range(50)} != {email}  # not one constant
    assert plausible_email("mallory@example.net", key) == "m***@e***.net"  # as a real one shows
    phone = plausible_phone("mallory", key)
    assert phone == plausible_phone("mallory", key)
    assert phone.startswith("+*******") and phone[-4:].isdigit()
    assert {plausible_phone("mallory", k) for k in (key, other)} != {phone}
