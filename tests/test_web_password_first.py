"""The sign-in page against a password-first pool (AuthFlow=password+otp), which wants SRP
before any code: the page has no SRP, and its config.json says which flow the pool has, so the
page says so before anyone types. (One local pool per module: moto's state is the process's.)"""

from collections.abc import Iterator

import pytest
from selenium.webdriver.chrome.webdriver import WebDriver
from selenium.webdriver.common.by import By

from custom_auth_local.serve import Serving
from tests.browser import SignInPage
from tests.web_pool import page_pool, refused_with


@pytest.fixture(scope="module")
def serving() -> Iterator[Serving]:
    with page_pool({"AuthFlow": "password+otp"}) as pool:
        yield pool


def test_the_page_says_it_does_not_do_this_pools_flow(page: SignInPage) -> None:
    assert page.step() == "config-step"
    problems = [li.text for li in page.driver.find_elements(By.CSS_SELECTOR, "#config-problems li")]
    assert problems == [
        "config.json's authFlow is password+otp: this page does not do the password step (SRP) "
        "that comes first; it signs in to pools with AuthFlow=otp."
    ]
    page.shot("password-first")


def test_configured_without_the_flow_it_fails_as_cognito_does(
    driver: WebDriver, request: pytest.FixtureRequest, serving: Serving
) -> None:
    serving.stack.create_user("ada@example.com", password="Correct-Horse-9")
    said = refused_with(driver, request, serving, serving.stack.client_id)
    assert said == "We could not sign you in. Check what you typed and try again."
    assert serving.stack.outbox.messages() == []  # no code before the password
