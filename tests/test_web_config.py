"""The sign-in page on a plain static host (Python's http.server), as deployed: a missing or
wrong config.json is named on the page, and so is an app client a browser cannot use.

Each screen is saved under screenshots/test_web_config/."""

import json
from collections.abc import Iterator

import pytest
from selenium.webdriver.chrome.webdriver import WebDriver
from selenium.webdriver.common.by import By

from custom_auth_local.serve import Serving
from tests.browser import SignInPage
from tests.triggers import ROOT
from tests.web_pool import (
    PAGE_FILES,
    check_nothing_leaked,
    page_pool,
    refused_with,
    screenshot_folder,
    static_site,
)

NOT_FOUND = r"config\.json - Failed to load resource: the server responded with a status of 404"


@pytest.fixture(scope="module")
def serving() -> Iterator[Serving]:
    """A pool whose app client has a secret, which no web page can keep."""
    with page_pool({"GenerateClientSecret": "true"}) as pool:
        yield pool


def problems(driver: WebDriver, request: pytest.FixtureRequest, config: str | None) -> list[str]:
    """What the page says is wrong with ``config``, once it has shown its configuration step."""
    with static_site(config) as url:
        page = SignInPage(driver, url, screenshot_folder(request))
        page.console()
        page.open()
        assert page.step() == "config-step"
        assert page.text("config-title") == "This sign-in page is not set up"
        assert page.focused_id() == "config-title"
        page.shot("config")
        found = [item.text for item in driver.find_elements(By.CSS_SELECTOR, "#config-problems li")]
        check_nothing_leaked(page, allowed_console=NOT_FOUND if config is None else None)
        return found


def test_the_page_files_are_the_folder() -> None:
    """What the README tells a deployer to copy is what web/ holds (besides the example)."""
    shipped = {path.name for path in (ROOT / "web").iterdir()} - {"config.example.json"}
    assert shipped == set(PAGE_FILES)
    assert json.loads((ROOT / "web" / "config.example.json").read_text())["region"]


def test_no_config_json(driver: WebDriver, request: pytest.FixtureRequest) -> None:
    assert problems(driver, request, None) == [
        "config.json could not be loaded (HTTP 404): put it beside index.html, with region and "
        "userPoolClientId."
    ]


def test_config_json_that_is_not_json(driver: WebDriver, request: pytest.FixtureRequest) -> None:
    assert problems(driver, request, "{region: eu-west-1}") == ["config.json is not valid JSON."]


def test_a_missing_key_and_a_misspelt_one(
    driver: WebDriver, request: pytest.FixtureRequest
) -> None:
    config = json.dumps({"region": "eu-west-1", "clientId": "1example23456789"})
    assert problems(driver, request, config) == [
        'config.json has a key this page does not know: "clientId" (it knows region, '
        "userPoolClientId, endpoint, codeLifetimeSeconds, outboxUrl, authFlow, signUp, "
        "passkeyApi).",
        "config.json is missing userPoolClientId: the app client's id (the template's "
        "UserPoolClientId output).",
    ]


def test_values_that_break_the_rules(driver: WebDriver, request: pytest.FixtureRequest) -> None:
    config = json.dumps(
        {
            "region": "Europe",
            "userPoolClientId": "1example23456789",
            "endpoint": "http://cognito.example.com/",
            "codeLifetimeSeconds": 5,
            "outboxUrl": "https://elsewhere.example.com/",
            "signUp": "true",
        }
    )
    assert problems(driver, request, config) == [
        "config.json's region must be an AWS Region, such as eu-west-1.",
        "config.json's endpoint must use https (plain http only for localhost, 127.0.0.1 or this "
        "page's own server).",
        "config.json's codeLifetimeSeconds must be a whole number of seconds from 30 to 600.",
        "config.json's outboxUrl must be a path on this site, such as /outbox/.",
        "config.json's signUp must be true or false, not in quotes (the template's "
        "PasswordlessSignUp).",
    ]


def test_an_app_client_the_pool_does_not_have(
    driver: WebDriver, request: pytest.FixtureRequest, serving: Serving
) -> None:
    assert refused_with(driver, request, serving, "1nosuchclient234567") == (
        "This page is set up with an app client the user pool does not have "
        "(config.json's userPoolClientId)."
    )


def test_an_app_client_with_a_secret(
    driver: WebDriver, request: pytest.FixtureRequest, serving: Serving
) -> None:
    assert serving.stack.client_secret  # the template's GenerateClientSecret=true
    assert refused_with(driver, request, serving, serving.stack.client_id) == (
        "This page cannot sign in with this app client: it has a client secret, which a web "
        "page cannot keep. Its administrator needs an app client without one."
    )
