"""Passkeys on the sign-in page, in headless Chromium with a DevTools virtual authenticator (a
platform authenticator holding discoverable credentials, verifying its user): a passkey added
after an email-code sign-in, a sign-in with it by username (choosing "Use a passkey"), one
without a username, a cancelled ceremony, and a deleted passkey the service refuses.

The page is opened at http://localhost:<port>/signin/ (the RP id is ``localhost``; over plain
http WebAuthn takes no other name); its API calls go to http://127.0.0.1:<port>, the served
endpoint, so the passkey API is called across origins, with CORS, as deployed. Each screen is
saved under screenshots/test_web_passkey/."""

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from selenium.webdriver.chrome.webdriver import WebDriver
from selenium.webdriver.common.by import By
from selenium.webdriver.common.virtual_authenticator import VirtualAuthenticatorOptions

from custom_auth_local.serve import Serving
from tests.browser import SignInPage
from tests.test_web_accessibility import AXE
from tests.test_web_accessibility import violations as axe_violations
from tests.web_pool import (
    check_nothing_leaked,
    code_for,
    localhost_page,
    messages_to,
    new_user,
    passkey_page_pool,
    screenshot_folder,
)

NOT_USED = (
    "No passkey was used: the request was cancelled or timed out, or this device has no passkey "
    "for this site. Try again, or sign in another way."
)
REFUSED = "That passkey was not accepted. Try again, or sign in another way."
FRESH_SIGN_IN = (
    "To change your passkeys, sign in again first: for your safety, it has to be a recent sign-in."
)


#: Seconds the served pool's clock is ahead of the machine's (a test moves it, then puts it back).
AHEAD = [0.0]


@pytest.fixture(scope="module")
def serving() -> Iterator[Serving]:
    with passkey_page_pool(clock=lambda: time.time() + AHEAD[0]) as pool:
        yield pool


def authenticator(transport: str, *, verified: bool = True) -> VirtualAuthenticatorOptions:
    """A CTAP2 authenticator on ``transport`` holding discoverable credentials and verifying
    its user (or, not ``verified``, failing to)."""
    return VirtualAuthenticatorOptions(
        protocol=VirtualAuthenticatorOptions.Protocol.CTAP2,
        transport=transport,
        has_resident_key=True,
        has_user_verification=True,
        is_user_verified=verified,
    )


@pytest.fixture
def page(
    serving: Serving, driver: WebDriver, request: pytest.FixtureRequest
) -> Iterator[SignInPage]:
    """The page by the name localhost, with a virtual authenticator of its own for the test."""
    driver.add_virtual_authenticator(authenticator(VirtualAuthenticatorOptions.Transport.INTERNAL))
    signin = SignInPage(driver, localhost_page(serving), screenshot_folder(request))
    signin.console()  # what earlier tests left
    signin.open()
    try:
        yield signin
        check_nothing_leaked(signin)
    finally:
        driver.remove_virtual_authenticator()


def violations(page: SignInPage) -> list[dict[str, Any]]:
    """axe-core's violations on the screen (tests.test_web_accessibility's rules); none
    checked, and the test skipped at its end, without axe-core."""
    return axe_violations(page) if AXE.is_file() else []


def shown(page: SignInPage, element_id: str) -> bool:
    return bool(
        page.driver.execute_script(
            "return document.getElementById(arguments[0]).checkVisibility()", element_id
        )
    )


def wait_for(page: SignInPage, element_id: str) -> None:
    """``element_id`` visible, the page done with its calls (for a step tests.browser does not
    know, as the passkey step)."""
    page.wait_for(lambda: shown(page, element_id) and not page.busy())


def continue_with(page: SignInPage, label: str) -> None:
    """The method step: pick ``label`` and Continue (with a passkey offered, the button says
    Continue: not every way sends a code)."""
    page.wait_for_step("method-step")
    page.driver.find_element(By.XPATH, f"//label[normalize-space()={label!r}]").click()
    page.press(page.button("Continue"))


def passkey_names(page: SignInPage) -> list[str]:
    return [
        li.text.split("\n")[0]
        for li in page.driver.find_elements(By.CSS_SELECTOR, "#passkey-list li")
    ]


def sign_out(page: SignInPage) -> None:
    page.press(page.button("Sign out"))
    page.wait_for_step("username-step")


def test_add_a_passkey_then_sign_in_with_it_by_username_and_without(
    serving: Serving, page: SignInPage
) -> None:
    email = "ada@example.com"
    username = new_user(serving, email)
    # The username step offers a passkey sign-in beside Continue.
    page.wait_for_step("username-step")
    assert shown(page, "passkey-sign-in")
    seen = {"username": violations(page)}
    page.shot("username")

    # 1. An email code; signed in, the page lists no passkey and offers to add one.
    page.sign_in_as(email)
    page.wait_for_step("method-step")
    assert page.text("method-legend") == "How would you like to sign in?"
    labels = [e.text for e in page.driver.find_elements(By.CSS_SELECTOR, "#methods label")]
    assert labels == ["Email me a code", "Use a passkey"]
    seen["choice"] = violations(page)
    page.shot("choice")
    continue_with(page, "Email me a code")
    page.enter_code(code_for(serving, email))
    page.wait_for_step("signed-in-step")
    assert page.text("passkeys-none").startswith("You have no passkey yet.")
    seen["signed in, no passkey"] = violations(page)
    page.shot("signed-in-no-passkey")

    # 2. Add one, named: the authenticator makes a discoverable credential for the user.
    page.type_into("passkey-name", "Test laptop")
    page.press(page.button("Add a passkey"))
    assert page.alert() == ""
    assert passkey_names(page) == ["Test laptop"]
    assert page.text("status") == "Passkey added: Test laptop. Next time, sign in with it."
    assert "not used yet" in page.text("passkey-list").lower()
    [credential] = page.driver.get_credentials()
    assert credential.is_resident_credential and credential.rp_id == "localhost"
    assert credential.user_handle is not None
    assert page.focused_id() == "add-passkey"
    seen["passkey added"] = violations(page)
    page.shot("passkey-added")
    sign_out(page)
    sent = len(messages_to(serving, email))

    # 3. By username: "Use a passkey"; the user first cancels (not verified: NotAllowedError).
    page.driver.set_user_verified(False)
    page.sign_in_as(email)
    continue_with(page, "Use a passkey")
    wait_for(page, "passkey-step")
    assert page.text("passkey-who") == email
    assert page.alert() == NOT_USED
    assert page.focused_id() == "use-passkey"
    seen["passkey step, cancelled"] = violations(page)
    page.shot("passkey-cancelled")
    page.driver.set_user_verified(True)
    page.press(page.button("Use my passkey"))
    page.wait_for_step("signed-in-step")
    assert page.text("who") == email
    assert "last used" in page.text("passkey-list").lower()
    page.shot("signed-in-with-passkey")
    sign_out(page)

    # 4. Without a username: the passkey's userHandle says who; the browser is asked once.
    page.press(page.button("Sign in with a passkey"))
    page.wait_for_step("signed-in-step")
    assert page.text("who") == email and page.alert() == ""
    page.shot("signed-in-usernameless")
    assert len(messages_to(serving, email)) == sent  # no code was sent for either

    # 5. Deleted on the service, and the browser told (the Signal API): it forgets it. A
    # device that kept it anyway (put back here) has it refused.
    [kept] = page.driver.get_credentials()
    page.press(page.element("#passkey-list button[aria-label='Delete passkey Test laptop']"))
    assert passkey_names(page) == [] and page.alert() == ""
    assert page.text("passkeys-none").startswith("You have no passkey yet.")
    assert page.text("status") == (
        "Passkey deleted: Test laptop. It no longer signs you in, and this browser was asked "
        "to forget it."
    )
    page.shot("passkey-deleted")
    sign_out(page)
    page.wait_for(lambda: page.driver.get_credentials() == [])
    page.driver.add_credential(kept)
    page.press(page.button("Sign in with a passkey"))
    page.wait_for_step("username-step")
    assert page.alert() == REFUSED
    assert page.focused_id() == "passkey-sign-in"
    seen["refused"] = violations(page)
    page.shot("deleted-passkey-refused")
    if not AXE.is_file():
        pytest.skip(f"{AXE} is missing: the screens were not checked by axe-core")
    assert username  # the user is unchanged: a code still signs in
    page.sign_in_as(email)
    continue_with(page, "Email me a code")
    page.enter_code(code_for(serving, email, after=sent))
    page.wait_for_step("signed-in-step")
    assert {screen: found for screen, found in seen.items() if found} == {}


def test_adding_a_passkey_after_an_old_sign_in_asks_for_a_new_one(
    serving: Serving, page: SignInPage
) -> None:
    email = "old@example.com"
    new_user(serving, email)
    page.sign_in_as(email)
    continue_with(page, "Email me a code")
    page.enter_code(code_for(serving, email))
    page.wait_for_step("signed-in-step")
    AHEAD[0] = 310.0  # the sign-in is five minutes old; its tokens are good for an hour
    try:
        page.type_into("passkey-name", "Late laptop")
        page.press(page.button("Add a passkey"))
        assert page.alert() == FRESH_SIGN_IN
        assert page.driver.get_credentials() == []  # the browser was never asked
        # Chromium's line for the 401, naming the URL only; nothing else (the page fixture
        # checks the rest of the console).
        assert [(e["source"], e["message"]) for e in page.console()] == [
            (
                "network",
                f"{serving.endpoint_url}/passkeys/registration/options - Failed to load "
                "resource: the server responded with a status of 401 (UNAUTHORIZED)",
            )
        ]
        assert passkey_names(page) == []
        page.shot("old-sign-in")
        sign_out(page)
        sent = len(messages_to(serving, email))
        page.sign_in_as(email)
        continue_with(page, "Email me a code")
        page.enter_code(code_for(serving, email, after=sent))
        page.wait_for_step("signed-in-step")
        page.type_into("passkey-name", "Late laptop")
        page.press(page.button("Add a passkey"))
        assert page.alert() == "" and passkey_names(page) == ["Late laptop"]
    finally:
        AHEAD[0] = 0.0


def test_a_usernameless_sign_in_without_a_passkey_here(serving: Serving, page: SignInPage) -> None:
    """No passkey on this device (the authenticator holds none): the browser says NotAllowed,
    the page says so, and nothing reached Cognito."""
    calls = len(serving.stack.pool.invocations)
    page.press(page.button("Sign in with a passkey"))
    page.wait_for_step("username-step")
    assert page.alert() == NOT_USED
    assert page.focused_id() == "passkey-sign-in"
    assert len(serving.stack.pool.invocations) == calls
    page.shot("no-passkey-here")


@contextmanager
def security_key_too(driver: WebDriver) -> Iterator[None]:
    """A USB security key beside the page's platform authenticator, for the ``with``.

    A user without passkeys is offered made-up credentials, some of them with the transports
    of a security key alone (usb, nfc); with no authenticator on those transports, Chromium
    waits for one to be plugged in, as a browser does for a security-key user. With this one
    there, Chromium asks it, it has none of them, and the request ends at once. Selenium keeps
    the id of the last authenticator added only: the platform one's is put back after."""
    platform = driver.virtual_authenticator_id
    driver.add_virtual_authenticator(
        authenticator(VirtualAuthenticatorOptions.Transport.USB, verified=False)
    )
    try:
        yield
    finally:
        driver.remove_virtual_authenticator()
        driver._authenticator_id = platform  # type: ignore[assignment]


def test_the_passkey_step_switches_to_a_code(serving: Serving, page: SignInPage) -> None:
    """A user with no passkey who chose one cancels, and gets an email code instead."""
    email = "bo@example.com"
    new_user(serving, email)
    page.driver.set_user_verified(False)
    page.sign_in_as(email)
    with security_key_too(page.driver):
        continue_with(page, "Use a passkey")
        wait_for(page, "passkey-step")
    assert page.alert() == NOT_USED
    page.press(page.button("Email me a code instead"))
    page.wait_for_step("code-step")
    page.enter_code(code_for(serving, email))
    page.wait_for_step("signed-in-step")
    assert page.text("who") == email


def test_config_json_names_the_api(serving: Serving, page: SignInPage) -> None:
    config = json.loads(
        page.driver.execute_script("return fetch('config.json').then(r => r.text())")
    )
    assert config["passkeyApi"] == serving.endpoint_url + "/"


def test_at_another_address_the_page_says_where_passkeys_work(
    serving: Serving, page: SignInPage
) -> None:
    """Opened at 127.0.0.1, not the RP id's localhost: the browser refuses (SecurityError), and
    the page names the address that works."""
    page.open(serving.endpoint_url + "/signin/")
    page.press(page.button("Sign in with a passkey"))
    page.wait_for_step("username-step")
    assert page.alert() == (
        "Passkeys cannot be used at this page's address. Open it at "
        f"{localhost_page(serving)} instead."
    )
    page.shot("wrong-address")
