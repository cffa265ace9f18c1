"""The sign-in page with two methods (EMAIL_OTP and SMS_OTP) in headless Chromium: the choice,
a code by text message, switching once, and who is offered what.

Each screen is saved under screenshots/test_web_methods/."""

from collections.abc import Iterator

import pytest
from selenium.webdriver.chrome.webdriver import WebDriver
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from custom_auth_local.serve import Serving
from tests.browser import SignInPage
from tests.web_pool import code_for, messages_to, new_user, page_pool

BOTH = {"SignInMethods": "EMAIL_OTP,SMS_OTP", "SmsAllowedCountryCodes": "1"}


@pytest.fixture(scope="module")
def serving() -> Iterator[Serving]:
    with page_pool(BOTH) as pool:
        yield pool


def with_phone(serving: Serving, email: str, phone: str) -> str:
    return new_user(serving, email, phone_number=phone, phone_number_verified="true")


def choices(page: SignInPage) -> list[str]:
    return [label.text for label in page.driver.find_elements(By.CSS_SELECTOR, "#methods label")]


def test_choosing_a_code_by_text_message(serving: Serving, page: SignInPage) -> None:
    with_phone(serving, "ada@example.com", "+12065550101")
    page.sign_in_as("ada@example.com")
    page.wait_for_step("method-step")
    assert choices(page) == ["Email me a code", "Text me a code"]
    assert page.text("method-step").startswith("How would you like to get your sign-in code?")
    assert page.focused_id() == "method-0"  # the first choice, checked
    assert messages_to(serving, "ada@example.com") == []  # choosing sends nothing
    page.shot("choice")
    page.choose("Text me a code")
    page.wait_for_step("code-step")
    assert page.text("code-sent") == (
        "We sent you a sign-in code by text message. It works for 5 minutes."
    )
    assert page.text("switch") == "Email me a code instead"
    page.shot("code-by-text-message")
    page.enter_code(code_for(serving, "+12065550101"))
    page.wait_for_step("signed-in-step")
    assert "Phone\n+12065550101" in page.text("attributes")
    page.shot("signed-in")


def test_the_choice_with_the_keyboard(
    serving: Serving, page: SignInPage, driver: WebDriver
) -> None:
    with_phone(serving, "grace@example.com", "+12065550102")
    page.sign_in_as("grace@example.com")
    page.wait_for_step("method-step")
    driver.switch_to.active_element.send_keys(Keys.ARROW_DOWN)  # the radio group: next choice
    assert page.element("#method-1").is_selected()
    driver.switch_to.active_element.send_keys(Keys.ENTER)  # submits the form
    page.wait_for(lambda: not page.busy())
    page.wait_for_step("code-step")
    assert "by text message" in page.text("code-sent")


def test_switching_once_from_email_to_a_text_message(serving: Serving, page: SignInPage) -> None:
    with_phone(serving, "linus@example.com", "+12065550103")
    page.sign_in_as("linus@example.com")
    page.choose("Email me a code")
    page.wait_for_step("code-step")
    assert messages_to(serving, "linus@example.com")  # the email went out
    page.press(page.button("Text me a code instead"))  # it did not arrive, say
    page.wait_for_step("code-step")
    assert page.alert() == ""  # a switch is not a wrong code
    assert "by text message" in page.text("code-sent")
    assert page.text("switch") == ""  # once only
    page.shot("switched")
    page.enter_code(code_for(serving, "+12065550103"))
    page.wait_for_step("signed-in-step")


def test_a_user_with_one_usable_method_is_not_asked_to_choose(
    serving: Serving, page: SignInPage
) -> None:
    new_user(serving, "edsger@example.com")  # no phone number: EMAIL_OTP is all there is
    page.sign_in_as("edsger@example.com")
    page.wait_for_step("code-step")  # the page answered the choice itself
    assert "by email" in page.text("code-sent")
    assert page.text("switch") == ""
    page.enter_code(code_for(serving, "edsger@example.com"))
    page.wait_for_step("signed-in-step")


def test_an_unknown_user_is_offered_every_method(serving: Serving, page: SignInPage) -> None:
    page.sign_in_as("nobody@example.com")
    page.wait_for_step("method-step")
    assert choices(page) == ["Email me a code", "Text me a code"]
    page.choose("Text me a code")
    page.wait_for_step("code-step")
    page.enter_code("123456")
    assert page.alert() == "That code is not right. Check the message and try again."
    page.shot("unknown-user-wrong-code")


def screens(page: SignInPage, typed: str) -> list[str]:
    """What the page shows through the choice, a switch and three wrong codes, ``typed``
    blanked out."""
    seen = []
    page.sign_in_as(typed)
    page.wait_for_step("method-step")
    seen.append(page.visible_text())
    page.choose("Email me a code")
    seen.append(page.visible_text())
    page.press(page.button("Text me a code instead"))
    seen.append(page.visible_text())
    for _ in range(3):  # a switch is not a try: three wrong codes end the sign-in
        page.enter_code("123456")
        seen.append(page.visible_text())
    return [text.replace(typed, "<typed>") for text in seen]


def test_an_unknown_user_sees_what_a_user_with_both_methods_sees(
    serving: Serving, page: SignInPage
) -> None:
    """Screen for screen. (A known user with one usable method is offered that one alone, and
    the page then skips the choice: the methods offered are Cognito's answer, not the page's.)"""
    with_phone(serving, "known@example.com", "+12065550104")
    known = screens(page, "known@example.com")
    page.open()
    unknown = screens(page, "nobody@example.com")
    assert unknown == known
    assert "too many" in unknown[-1]
    page.shot("unknown-user-after-switch-and-wrong-codes")
