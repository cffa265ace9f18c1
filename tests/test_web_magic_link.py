"""MAGIC_LINK on the sign-in page in headless Chromium: the email with a link and a code, a
link page that consumes nothing until its button is pressed (a mail scanner's visit, with or
without scripts), the link finishing the sign-in waiting in another tab, or signing in by
itself in another browser, once; and every bad link ending in the same sentence.

Each screen is saved under screenshots/test_web_magic_link/."""

import base64
import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
from selenium.webdriver.chrome.webdriver import WebDriver

from custom_auth.magic_link import FRAGMENT_KEY
from custom_auth_local.serve import Serving
from tests.browser import SignInPage, chromium, wait_until
from tests.test_web_accessibility import violations
from tests.web_pool import Clock, code_for, messages_to, new_user, page_pool

BAD_LINK = (
    "This sign-in link cannot be used: it may have expired or been used already. "
    "Start again to get a new one."
)


@pytest.fixture(scope="module")
def serving() -> Iterator[Serving]:
    with page_pool({"SignInMethods": "EMAIL_OTP,MAGIC_LINK"}) as pool:
        yield pool


def link_url(serving: Serving, email: str) -> str:
    bodies = wait_until(lambda: messages_to(serving, email))
    [url] = [word for word in bodies[-1].split() if f"#{FRAGMENT_KEY}=" in word]
    return str(url)


def ask_for_a_link(page: SignInPage, email: str) -> None:
    page.sign_in_as(email)
    page.choose("Email me a sign-in link")
    page.wait_for_step("code-step")


def calls(serving: Serving) -> int:
    return len(serving.stack.pool.invocations)


def open_link(page: SignInPage, url: str) -> None:
    """Open the link's page; it takes the link out of its URL, so the page's URL is the plain
    page's from then on (the leak check compares it)."""
    page.driver.get("about:blank")  # a fresh load, as a click in an email gives
    page.open(url)
    page.url = url.split("#", 1)[0]
    page.wait_for_step("link-step")


def test_the_email_holds_a_link_to_this_page_and_a_code(serving: Serving, page: SignInPage) -> None:
    new_user(serving, "rosa@example.com")
    ask_for_a_link(page, "rosa@example.com")
    assert page.text("code-sent") == (
        "We sent you an email with a sign-in link and a code. Open the link, or type the code "
        "here. Either works once, for 5 minutes."
    )
    page.shot("link-sent")
    assert link_url(serving, "rosa@example.com").startswith(page.url + f"#{FRAGMENT_KEY}=ml1.")
    page.enter_code(code_for(serving, "rosa@example.com"))  # the code works as well
    page.wait_for_step("signed-in-step")


def test_a_scanners_visit_consumes_nothing_and_only_the_click_signs_in_once(
    serving: Serving, page: SignInPage
) -> None:
    new_user(serving, "ida@example.com")
    ask_for_a_link(page, "ida@example.com")
    url = link_url(serving, "ida@example.com")
    before = calls(serving)
    open_link(page, url)  # this tab navigates away: no tab waits any more
    assert page.stored()["url"] == page.url  # the link is out of the URL
    assert page.text("link-step").startswith("Sign in with your link\nSigning in as i***@e***.com.")
    page.shot("link-page")
    time.sleep(2)  # scripts run, timers fire: still nothing called
    assert calls(serving) == before
    page.press(page.button("Sign in"))
    page.wait_for_step("signed-in-step")
    assert "ida@example.com" in page.text("who")
    # The same link again, in this browser or any: the same sentence as every bad link.
    page.press(page.button("Sign out"))
    open_link(page, url)
    page.press(page.button("Sign in"))
    page.wait_for(lambda: page.alert() == BAD_LINK)
    assert page.text("link-start-again") == "Start again"
    page.shot("link-used")
    page.press(page.button("Start again"))
    page.wait_for_step("username-step")


def test_without_scripts_the_page_says_so_and_uses_nothing(
    serving: Serving, page: SignInPage
) -> None:
    new_user(serving, "noor@example.com")
    ask_for_a_link(page, "noor@example.com")
    url = link_url(serving, "noor@example.com")
    before = calls(serving)
    with chromium(javascript=False) as plain:
        plain.get(url)
        time.sleep(1)
        text = plain.find_element("tag name", "main").text
        assert "This page needs JavaScript to sign you in." in text
        assert "Nothing has been used up" in text
    assert calls(serving) == before
    open_link(page, url)  # and the link still works
    page.press(page.button("Sign in"))
    page.wait_for_step("signed-in-step")


def test_opened_in_another_tab_it_finishes_the_waiting_sign_in(
    serving: Serving, page: SignInPage, driver: WebDriver
) -> None:
    new_user(serving, "kai@example.com")
    ask_for_a_link(page, "kai@example.com")
    waiting = driver.current_window_handle
    url = link_url(serving, "kai@example.com")
    driver.switch_to.new_window("tab")
    other = SignInPage(driver, url, page.folder, page.shots)
    open_link(other, url)
    invoked = calls(serving)
    other.press(other.button("Sign in"))
    other.wait_for_step("link-done-step")
    other.shot("link-done-in-other-tab")
    assert other.text("link-done-step").startswith("You are signed in on your other tab")
    assert calls(serving) == invoked + 2  # Verify and Define of the waiting sign-in only
    other.stored()  # (the leak check runs on the first tab; this one holds nothing either)
    assert other.stored()["url"] == other.url
    driver.close()
    driver.switch_to.window(waiting)
    page.wait_for_step("signed-in-step")
    assert "kai@example.com" in page.text("who")


def test_in_another_browser_the_link_signs_in_by_itself(serving: Serving, page: SignInPage) -> None:
    new_user(serving, "eva@example.com")
    ask_for_a_link(page, "eva@example.com")
    url = link_url(serving, "eva@example.com")
    sent = len(messages_to(serving, "eva@example.com"))
    with chromium() as phone:
        elsewhere = SignInPage(phone, url, page.folder, page.shots)
        open_link(elsewhere, url)
        elsewhere.press(elsewhere.button("Sign in"))
        elsewhere.wait_for_step("signed-in-step")
        assert "eva@example.com" in elsewhere.text("who")
        assert elsewhere.stored() == {
            "url": elsewhere.url, "local": {}, "session": {}, "cookies": "", "name": ""
        }  # fmt: skip
    assert len(messages_to(serving, "eva@example.com")) == sent  # no new email
    # The first browser's sign-in then takes the code only; the link is spent.


def tampered(url: str, by: int = 3600) -> str:
    """The link with its expiry moved by ``by`` seconds, the MAC kept."""
    page, link = url.split(f"#{FRAGMENT_KEY}=")
    prefix, claims, mac = link.split(".")
    body: dict[str, Any] = json.loads(base64.urlsafe_b64decode(claims + "=" * (-len(claims) % 4)))
    body["x"] += by
    changed = base64.urlsafe_b64encode(json.dumps(body).encode()).decode().rstrip("=")
    return f"{page}#{FRAGMENT_KEY}={prefix}.{changed}.{mac}"


def test_a_tampered_or_malformed_link_gets_the_same_sentence(
    serving: Serving, page: SignInPage
) -> None:
    new_user(serving, "ola@example.com")
    ask_for_a_link(page, "ola@example.com")
    url = link_url(serving, "ola@example.com")
    open_link(page, tampered(url))
    page.press(page.button("Sign in"))
    page.wait_for(lambda: page.alert() == BAD_LINK)
    before = calls(serving)
    open_link(page, url.split("=", 1)[0] + "=ml1.not-a-link")
    assert page.alert() == BAD_LINK  # said at once: nothing to call
    assert calls(serving) == before


def test_an_expired_link_gets_the_same_sentence(
    serving: Serving, page: SignInPage, monkeypatch: pytest.MonkeyPatch
) -> None:
    new_user(serving, "ugo@example.com")
    ask_for_a_link(page, "ugo@example.com")
    url = link_url(serving, "ugo@example.com")
    Clock(monkeypatch).advance(301)  # the pool's clock: the page's still thinks it is fresh
    open_link(page, url)
    page.press(page.button("Sign in"))
    page.wait_for(lambda: page.alert() == BAD_LINK)
    page.shot("link-expired-on-the-server")
    # A link whose own expiry has passed is refused by the page, without calling anything.
    before = calls(serving)
    open_link(page, tampered(url, by=-400))
    assert page.alert() == BAD_LINK
    assert page.text("link-start-again") == "Start again"
    assert calls(serving) == before
    page.shot("link-expired")


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_link_screens_pass_axe(serving: Serving, page: SignInPage, scheme: str) -> None:
    page.driver.execute_cdp_cmd(
        "Emulation.setEmulatedMedia",
        {"features": [{"name": "prefers-color-scheme", "value": scheme}]},
    )
    try:
        email = f"axe-{scheme}@example.com"
        new_user(serving, email)
        page.open()
        ask_for_a_link(page, email)
        assert violations(page) == []
        open_link(page, link_url(serving, email))
        assert violations(page) == []
        page.press(page.button("Sign in"))
        page.wait_for_step("signed-in-step")
        open_link(page, link_url(serving, email))
        page.press(page.button("Sign in"))
        page.wait_for(lambda: page.alert() == BAD_LINK)
        assert violations(page) == []
    finally:
        page.driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": []})
