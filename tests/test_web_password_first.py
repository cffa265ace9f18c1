"""The sign-in page against a password-first pool (AuthFlow=password+otp), which wants SRP
before any code: the page has no SRP, so it cannot sign in there, and says no more than
Cognito does. (One local pool per module: moto's state is the process's.)"""

from collections.abc import Iterator

import pytest
from selenium.webdriver.chrome.webdriver import WebDriver

from custom_auth_local.serve import Serving
from tests.web_pool import page_pool, refused_with


@pytest.fixture(scope="module")
def serving() -> Iterator[Serving]:
    with page_pool({"AuthFlow": "password+otp"}) as pool:
        yield pool


def test_a_password_first_pool(
    driver: WebDriver, request: pytest.FixtureRequest, serving: Serving
) -> None:
    serving.stack.create_user("ada@example.com", password="Correct-Horse-9")
    said = refused_with(driver, request, serving, serving.stack.client_id)
    assert said == "We could not sign you in. Check what you typed and try again."
    assert serving.stack.outbox.messages() == []  # no code before the password
