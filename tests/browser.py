"""Headless Chromium for the sign-in page's tests: Debian's ``chromium`` and ``chromium-driver``,
driven with Selenium; and the page as a person uses it (:class:`SignInPage`).

Without a browser the tests skip, saying how to install one; with ``CUSTOM_AUTH_REQUIRE_BROWSER=1``
(``.ci/run`` sets it) they fail instead, so CI cannot pass without running them.
"""

import os
import re
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.chrome.webdriver import WebDriver
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import WebDriverWait

from tests.triggers import ROOT

INSTALL = (
    "no Chromium for the browser tests: install it with "
    "`sudo apt-get update && sudo apt-get install -y chromium chromium-driver` "
    "(or set CHROMIUM and CHROMEDRIVER to a browser and its driver); `.ci/run` installs it"
)
#: Where each screen's screenshot goes (the README names this folder).
SCREENSHOTS = Path(os.environ.get("CUSTOM_AUTH_SCREENSHOTS", ROOT / "screenshots"))
STEPS = (
    "config-step",
    "username-step",
    "method-step",
    "code-step",
    "link-step",
    "link-done-step",
    "signed-in-step",
)
#: Chromium flags for a closed network: without the background-networking ones it keeps
#: trying to reach Google's hosts.
FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=800,900",
)


def find_chromium() -> tuple[str, str] | None:
    """The browser and its driver: $CHROMIUM and $CHROMEDRIVER, or the first on PATH."""
    browser = os.environ.get("CHROMIUM") or next(
        filter(None, map(shutil.which, ("chromium", "chromium-browser", "google-chrome"))), None
    )
    driver = os.environ.get("CHROMEDRIVER") or shutil.which("chromedriver")
    return (browser, driver) if browser and driver else None


def require_chromium() -> tuple[str, str]:
    """The browser and driver, or skip (fail under CUSTOM_AUTH_REQUIRE_BROWSER=1)."""
    found = find_chromium()
    if found is None:
        if os.environ.get("CUSTOM_AUTH_REQUIRE_BROWSER") == "1":
            pytest.fail(INSTALL + " (CUSTOM_AUTH_REQUIRE_BROWSER=1: required here)")
        pytest.skip(INSTALL)
    return found


@contextmanager
def chromium(*, javascript: bool = True) -> Iterator[WebDriver]:
    """A fresh headless Chromium with an empty profile, its console log kept (``javascript``
    False: one that runs no script, as a plain scanner or a locked-down browser)."""
    browser, driver = require_chromium()
    options = webdriver.ChromeOptions()
    if not javascript:
        options.add_experimental_option(
            "prefs", {"profile.managed_default_content_settings.javascript": 2}
        )
    options.binary_location = browser
    for flag in FLAGS:
        options.add_argument(flag)
    profile = tempfile.mkdtemp(prefix="custom-auth-chromium-")
    options.add_argument(f"--user-data-dir={profile}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    session = webdriver.Chrome(service=Service(driver), options=options)
    try:
        yield session
    finally:
        session.quit()
        shutil.rmtree(profile, ignore_errors=True)


@dataclass
class SignInPage:
    """The sign-in page in a browser, through what a person sees and does."""

    driver: WebDriver
    url: str
    folder: str
    shots: list[Path] = field(default_factory=list)

    def open(self, url: str | None = None) -> "SignInPage":
        self.url = url or self.url
        self.driver.get(self.url)
        self.wait_for(lambda: self.step() is not None)
        return self

    # --- what is on the screen ---

    def step(self) -> str | None:
        """The step showing, if the page has shown one yet (one round trip to the browser)."""
        shown: list[str] = self.driver.execute_script(
            "return arguments[0].filter(id => document.getElementById(id).checkVisibility())",
            list(STEPS),
        )
        return shown[0] if len(shown) == 1 else None

    def wait_for(self, condition: Callable[[], Any], timeout: float = 10) -> Any:
        return WebDriverWait(self.driver, timeout, poll_frequency=0.05).until(lambda _: condition())

    def wait_for_step(self, step: str) -> None:
        self.wait_for(lambda: self.step() == step and not self.busy())

    def busy(self) -> bool:
        return bool(
            self.driver.execute_script(
                "return document.getElementById('steps').getAttribute('aria-busy') === 'true'"
            )
        )

    def text(self, element_id: str) -> str:
        element = self.driver.find_element(By.ID, element_id)
        return element.text if element.is_displayed() else ""

    def alert(self) -> str:
        return self.text("alert")

    def visible_text(self) -> str:
        return self.driver.find_element(By.TAG_NAME, "main").text

    def element(self, css: str) -> WebElement:
        return self.driver.find_element(By.CSS_SELECTOR, css)

    def button(self, label: str) -> WebElement:
        """The visible button labelled ``label``."""
        found: list[WebElement] = self.driver.execute_script(
            "return [...document.querySelectorAll('button')]"
            ".filter(b => b.checkVisibility() && b.innerText.trim() === arguments[0])",
            label,
        )
        assert len(found) == 1, f"{len(found)} visible buttons labelled {label!r}"
        return found[0]

    def focused_id(self) -> str:
        return str(self.driver.execute_script("return document.activeElement.id"))

    def shot(self, name: str) -> Path:
        """Save a screenshot of this screen as <SCREENSHOTS>/<folder>/<NN>-<name>.png."""
        folder = SCREENSHOTS / self.folder
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{len(self.shots) + 1:02d}-{name}.png"
        assert self.driver.save_screenshot(str(path)), path
        self.shots.append(path)
        return path

    # --- what a person does ---

    def press(self, element: WebElement) -> None:
        """Click, and wait until the page is done with what the click started (the page marks
        its calls with aria-busy, set before the click returns)."""
        element.click()
        self.wait_for(lambda: not self.busy())

    def type_into(self, element_id: str, text: str) -> None:
        field_ = self.driver.find_element(By.ID, element_id)
        field_.clear()
        field_.send_keys(text)

    def sign_in_as(self, username: str) -> None:
        self.wait_for_step("username-step")
        self.type_into("username", username)
        self.press(self.button("Continue"))

    def choose(self, label: str) -> None:
        self.wait_for_step("method-step")
        self.driver.find_element(By.XPATH, f"//label[normalize-space()={label!r}]").click()
        self.press(self.button("Send the code"))

    def enter_code(self, code: str) -> None:
        self.wait_for_step("code-step")
        self.type_into("code", code)
        self.press(self.button("Sign in"))

    def shift_clock(self, seconds: float) -> None:
        """Make the page's clock (Date.now) run ``seconds`` ahead, as if time passed."""
        self.driver.execute_script(
            "const base = Date.now; const shift = arguments[0] * 1000;"
            "Date.now = () => base() + shift;",
            seconds,
        )

    # --- what it must never do ---

    def console(self) -> list[dict[str, Any]]:
        # Reading the log empties it. Selenium leaves get_log untyped.
        entries: list[dict[str, Any]] = self.driver.get_log("browser")  # type: ignore[no-untyped-call]
        return entries

    def stored(self) -> dict[str, Any]:
        """Everything the page could have put where it outlives the page or leaves it."""
        found: dict[str, Any] = self.driver.execute_script(
            "return {url: location.href, local: {...localStorage},"
            " session: {...sessionStorage}, cookies: document.cookie, name: window.name}"
        )
        return found


CODE = re.compile(r"(?<![0-9A-Z])\d{6}(?![0-9A-Z])")
LOCKOUT_CODE = re.compile(r"\b[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}\b")


def wait_until(condition: Callable[[], Any], timeout: float = 10) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(0.05)
