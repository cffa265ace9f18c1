"""The sign-in page (web/) in headless Chromium against the local pool, one method (EMAIL_OTP):
sign-in and sign-out, and every refusal a person can meet, in the words the page shows.

Each screen is saved under screenshots/test_web_page/ (see tests/browser.py)."""

import json
import re
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from selenium.webdriver.chrome.webdriver import WebDriver
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from custom_auth_local.serve import Serving
from custom_auth_local.site import OUTBOX_PATH, PAGE_PATH
from tests.browser import CODE, LOCKOUT_CODE, SignInPage
from tests.web_pool import (
    SENDER,
    Clock,
    check_nothing_leaked,
    code_for,
    messages_to,
    new_user,
    origins,
    page_pool,
    static_site,
)

#: Sessions outlive codes here (15 minutes against 5), so a code can expire inside a sign-in.
OVERRIDES = {"AuthSessionValidity": "15"}
WRONG = "000000"


@pytest.fixture(scope="module")
def serving() -> Iterator[Serving]:
    with page_pool(OVERRIDES) as pool:
        yield pool


def wrong_for(code: str) -> str:
    return WRONG if code != WRONG else "111111"


def boto3_sign_in(serving: Serving, email: str, after: int) -> dict[str, Any]:
    """A sign-in on another device (boto3), with the code of the message after ``after``."""
    cognito = serving.stack.cognito()
    challenge = cognito.initiate_auth(
        ClientId=serving.stack.client_id, AuthFlow="CUSTOM_AUTH", AuthParameters={"USERNAME": email}
    )
    done = cognito.respond_to_auth_challenge(
        ClientId=serving.stack.client_id,
        ChallengeName="CUSTOM_CHALLENGE",
        Session=challenge["Session"],
        ChallengeResponses={
            "USERNAME": challenge["ChallengeParameters"]["USERNAME"],
            "ANSWER": code_for(serving, email, after=after),
        },
    )
    tokens: dict[str, Any] = done["AuthenticationResult"]
    return tokens


def get_user_error(serving: Serving, access_token: str) -> str | None:
    try:
        serving.stack.cognito().get_user(AccessToken=access_token)
    except ClientError as error:
        return str(error.response["Error"]["Message"])
    return None


def test_a_person_signs_in_with_the_code_from_the_outbox_and_signs_out(
    serving: Serving, page: SignInPage, driver: WebDriver
) -> None:
    username = new_user(serving, "ada@example.com")
    assert page.step() == "username-step" and page.focused_id() == "username"
    field = page.element("#username")
    assert field.get_attribute("autocomplete") == "username"
    assert page.driver.find_element(By.CSS_SELECTOR, "label[for=username]").text
    assert "outbox" in page.text("local-note")  # the local pool says where codes go
    page.shot("username")

    page.sign_in_as("ada@example.com")
    page.wait_for_step("code-step")  # one method: no choice to make
    assert page.text("signing-in-as") == "ada@example.com"
    assert page.text("code-sent") == "We sent you a sign-in code by email. It works for 5 minutes."
    assert page.focused_id() == "code"
    assert page.element("#code").get_attribute("autocomplete") == "one-time-code"
    assert page.driver.find_element(By.CSS_SELECTOR, "label[for=code]").text == "Sign-in code"
    page.shot("code")

    # Where a person reads it: the outbox page, in another tab, through the page's own link.
    here = driver.current_window_handle
    page.element("#outbox-link").click()
    page.wait_for(lambda: len(driver.window_handles) == 2)
    driver.switch_to.window(next(h for h in driver.window_handles if h != here))
    page.wait_for(lambda: driver.current_url == serving.endpoint_url + OUTBOX_PATH)
    outbox = driver.find_element(By.TAG_NAME, "body").text
    assert "EMAIL to ada@example.com" in outbox
    code = CODE.findall(outbox)[0]
    page.shot("outbox")
    driver.close()
    driver.switch_to.window(here)

    page.enter_code(code)
    page.wait_for_step("signed-in-step")
    assert page.text("who") == "ada@example.com"  # from GetUser
    assert "Email\nada@example.com" in page.text("attributes")
    page.shot("signed-in")
    [sign_in] = origins(serving, username)
    assert not sign_in.revoked

    page.press(page.button("Sign out"))
    page.wait_for_step("username-step")
    assert page.text("status") == "You are signed out."
    assert sign_in.revoked  # RevokeToken: this sign-in's refresh and access tokens are dead
    page.shot("signed-out")


def test_sign_out_ends_this_sign_in_and_sign_out_everywhere_ends_all(
    serving: Serving, page: SignInPage
) -> None:
    username = new_user(serving, "grace@example.com")
    elsewhere = boto3_sign_in(serving, "grace@example.com", after=0)
    page.sign_in_as("grace@example.com")
    page.enter_code(code_for(serving, "grace@example.com", after=1))  # a new code: one used
    page.wait_for_step("signed-in-step")
    page.press(page.button("Sign out"))
    assert get_user_error(serving, elsewhere["AccessToken"]) is None  # the other device: still in

    page.sign_in_as("grace@example.com")
    page.enter_code(code_for(serving, "grace@example.com", after=2))
    page.wait_for_step("signed-in-step")
    page.press(page.button("Sign out on every device"))
    page.wait_for_step("username-step")
    assert page.text("status") == "You are signed out on every device."
    assert get_user_error(serving, elsewhere["AccessToken"]) == "Access Token has been revoked"
    assert all(origin.revoked for origin in origins(serving, username))
    page.shot("signed-out-everywhere")


def test_wrong_codes_then_too_many(serving: Serving, page: SignInPage) -> None:
    new_user(serving, "linus@example.com")
    page.sign_in_as("linus@example.com")
    code = code_for(serving, "linus@example.com")
    page.enter_code(wrong_for(code))
    assert page.step() == "code-step"
    assert page.alert() == "That code is not right. Check the message and try again."
    assert page.focused_id() == "code" and page.element("#code").get_attribute("value") == ""
    page.shot("wrong-code")
    page.enter_code(wrong_for(code))
    page.enter_code(wrong_for(code))  # MAX_ATTEMPTS: Cognito ends the sign-in
    page.wait_for_step("username-step")
    assert page.alert() == (
        "That code is not right, and this sign-in has had too many wrong codes. "
        "Continue to start again."
    )
    assert page.element("#username").get_attribute("value") == "linus@example.com"  # kept
    page.shot("too-many-wrong-codes")
    page.press(page.button("Continue"))  # inside the cooldown: the same code still works
    page.enter_code(code)
    page.wait_for_step("signed-in-step")


def test_a_code_that_expired_inside_the_sign_in(
    serving: Serving, page: SignInPage, monkeypatch: pytest.MonkeyPatch
) -> None:
    new_user(serving, "edsger@example.com")
    page.sign_in_as("edsger@example.com")
    code = code_for(serving, "edsger@example.com")
    Clock(monkeypatch).advance(301)  # CODE_TTL_SECONDS is 300; the session lasts 15 minutes
    page.shift_clock(301)
    page.enter_code(code)  # the right code, too late: Verify refuses it
    assert page.step() == "code-step"
    assert page.alert() == "That code has expired. Start again to get a new one."
    page.shot("code-expired")
    page.press(page.button("Start again"))
    page.wait_for_step("code-step")
    assert page.alert() == ""
    page.enter_code(code_for(serving, "edsger@example.com", after=1))  # a new message
    page.wait_for_step("signed-in-step")


def test_a_sign_in_that_waited_longer_than_its_session(
    serving: Serving, page: SignInPage, monkeypatch: pytest.MonkeyPatch
) -> None:
    new_user(serving, "barbara@example.com")
    page.sign_in_as("barbara@example.com")
    code = code_for(serving, "barbara@example.com")
    Clock(monkeypatch).advance(15 * 60 + 1)  # AuthSessionValidity: 15 minutes
    page.shift_clock(15 * 60 + 1)
    page.enter_code(code)
    page.wait_for_step("username-step")
    assert page.alert() == (
        "This sign-in has expired: it waited too long for the code. "
        "Continue to start again and get a new one."
    )
    page.shot("sign-in-expired")
    page.press(page.button("Continue"))
    page.enter_code(code_for(serving, "barbara@example.com", after=1))
    page.wait_for_step("signed-in-step")


def test_a_locked_out_user_signs_in_with_the_longer_code(
    serving: Serving, page: SignInPage
) -> None:
    new_user(serving, "ken@example.com")
    cognito, client = serving.stack.cognito(), serving.stack.client_id
    for _ in range(4):  # ten wrong answers (3 + 3 + 3 + 1) lock ken out of ordinary codes
        challenge = cognito.initiate_auth(
            ClientId=client, AuthFlow="CUSTOM_AUTH", AuthParameters={"USERNAME": "ken@example.com"}
        )
        try:
            for _ in range(3):
                challenge = cognito.respond_to_auth_challenge(
                    ClientId=client,
                    ChallengeName="CUSTOM_CHALLENGE",
                    Session=challenge["Session"],
                    ChallengeResponses={
                        "USERNAME": challenge["ChallengeParameters"]["USERNAME"],
                        "ANSWER": "not-it",
                    },
                )
        except ClientError:
            pass
    ordinary = code_for(serving, "ken@example.com")
    sent = len(messages_to(serving, "ken@example.com"))

    page.sign_in_as("ken@example.com")
    page.wait_for_step("code-step")
    assert page.text("code-sent") == "We sent you a sign-in code by email. It works for 5 minutes."
    assert "longer one instead" in page.text("code-hint")
    page.enter_code(ordinary)  # refused while locked out, in the words of any wrong code
    assert page.alert() == "That code is not right. Check the message and try again."
    lockout = code_for(serving, "ken@example.com", after=sent)  # the page's sign-in sent it
    assert LOCKOUT_CODE.fullmatch(lockout), "the newest message holds the longer code"
    page.shot("locked-out")
    page.enter_code(lockout)
    page.wait_for_step("signed-in-step")


def test_a_failed_delivery(serving: Serving, page: SignInPage) -> None:
    new_user(serving, "margaret@example.com")
    ses = boto3.client("sesv2", region_name=serving.stack.region)
    ses.delete_email_identity(EmailIdentity=SENDER)  # SES now refuses to send from it
    try:
        page.sign_in_as("margaret@example.com")
        page.wait_for_step("username-step")
        assert (
            page.alert()
            == "We could not send you a code just now. Please try again in a few minutes."
        )
        page.shot("delivery-failed")
    finally:
        ses.create_email_identity(EmailIdentity=SENDER)
    page.press(page.button("Continue"))
    page.enter_code(code_for(serving, "margaret@example.com"))
    page.wait_for_step("signed-in-step")


def screens(page: SignInPage, typed: str, wrong: str) -> list[str]:
    """What the page shows through a sign-in with three wrong codes, ``typed`` blanked out."""
    seen = []
    page.sign_in_as(typed)
    page.wait_for_step("code-step")
    seen.append(page.visible_text())
    for _ in range(3):
        page.enter_code(wrong)
        seen.append(page.visible_text())
    return [re.sub(re.escape(typed), "<typed>", text) for text in seen]


def test_an_unknown_user_sees_what_a_known_user_sees(serving: Serving, page: SignInPage) -> None:
    new_user(serving, "known@example.com")
    known = screens(page, "known@example.com", "123456")
    page.shot("known-user-after-three-wrong-codes")
    page.open()
    unknown = screens(page, "nobody@example.com", "123456")
    page.shot("unknown-user-after-three-wrong-codes")
    assert unknown == known
    assert "too many wrong codes" in unknown[-1]
    assert messages_to(serving, "nobody@example.com") == []


def test_keyboard_only(serving: Serving, page: SignInPage, driver: WebDriver) -> None:
    new_user(serving, "alan@example.com")
    keys = driver.switch_to.active_element  # the page put the focus on the username field
    assert page.focused_id() == "username"
    keys.send_keys("alan@example.com", Keys.ENTER)
    page.wait_for(lambda: not page.busy())
    page.wait_for_step("code-step")
    assert page.focused_id() == "code"
    driver.switch_to.active_element.send_keys(code_for(serving, "alan@example.com"), Keys.ENTER)
    page.wait_for_step("signed-in-step")
    page.wait_for(lambda: page.text("who") == "alan@example.com")
    assert page.focused_id() == "signed-in-title"
    driver.switch_to.active_element.send_keys(Keys.TAB)  # from the heading to "Sign out"
    assert driver.switch_to.active_element.text == "Sign out"
    page.shot("keyboard-focus-on-sign-out")
    driver.switch_to.active_element.send_keys(Keys.ENTER)
    page.wait_for_step("username-step")
    assert page.text("status") == "You are signed out."


def test_use_another_account(serving: Serving, page: SignInPage) -> None:
    new_user(serving, "hedy@example.com")
    page.sign_in_as("hedy@example.com")
    page.wait_for_step("code-step")
    page.press(page.button("Use another account"))
    page.wait_for_step("username-step")
    assert page.element("#username").get_attribute("value") == ""
    assert page.focused_id() == "username"
    page.sign_in_as("hedy@example.com")  # inside the cooldown: the same code
    page.enter_code(code_for(serving, "hedy@example.com"))
    page.wait_for_step("signed-in-step")


def test_an_empty_field_is_named_and_nothing_is_sent(serving: Serving, page: SignInPage) -> None:
    page.press(page.button("Continue"))
    assert page.text("username-error") == "Type your email address or username."
    assert page.element("#username").get_attribute("aria-invalid") == "true"
    page.shot("empty-username")
    new_user(serving, "joan@example.com")
    page.sign_in_as("joan@example.com")
    sent = len(messages_to(serving, "joan@example.com"))
    page.press(page.button("Sign in"))
    assert page.text("code-error") == "Type the code from the message."
    assert len(messages_to(serving, "joan@example.com")) == sent
    page.shot("empty-code")


@pytest.mark.console(r"ERR_INTERNET_DISCONNECTED")
def test_a_network_error_is_put_in_words(
    serving: Serving, page: SignInPage, driver: WebDriver
) -> None:
    new_user(serving, "radia@example.com")
    driver.set_network_conditions(offline=True, latency=0, throughput=0)
    try:
        page.sign_in_as("radia@example.com")
        assert page.alert() == (
            "We could not reach the sign-in service. Check your connection and try again."
        )
        page.shot("offline")
    finally:
        driver.delete_network_conditions()
    page.press(page.button("Continue"))
    page.enter_code(code_for(serving, "radia@example.com"))
    page.wait_for_step("signed-in-step")


def test_the_page_on_another_origin_than_the_api(serving: Serving, page: SignInPage) -> None:
    """As deployed, where the page's host is not Cognito's: CORS, from localhost to 127.0.0.1."""
    new_user(serving, "frances@example.com")
    other = serving.endpoint_url.replace("127.0.0.1", "localhost")
    page.open(other + PAGE_PATH)
    page.sign_in_as("frances@example.com")
    page.enter_code(code_for(serving, "frances@example.com"))
    page.wait_for_step("signed-in-step")
    assert page.text("who") == "frances@example.com"


def test_a_static_host_configured_from_the_templates_output(
    serving: Serving, page: SignInPage
) -> None:
    """Deployed: web/ on any static host, config.json from the SignInPageConfig output."""
    output = serving.stack.template.data["Outputs"]["SignInPageConfig"]
    config = json.loads(serving.stack.template.resolver.resolve(output["Value"], "Outputs"))
    config["userPoolClientId"] = serving.stack.client_id  # what CloudFormation puts there
    config["endpoint"] = serving.endpoint_url  # deployed, the page's default: Cognito's own
    new_user(serving, "mary@example.com")
    with static_site(json.dumps(config)) as url:
        page.open(url)
        assert page.text("local-note") == ""  # no outbox on a real host
        page.sign_in_as("mary@example.com")
        page.enter_code(code_for(serving, "mary@example.com"))
        page.wait_for_step("signed-in-step")
        assert page.text("who") == "mary@example.com"
        page.shot("static-host-signed-in")
        check_nothing_leaked(page)


def test_what_the_script_did_not_expect_ends_the_sign_in_in_words(
    serving: Serving, page: SignInPage
) -> None:
    new_user(serving, "katherine@example.com")
    # What the browser fires for a rejection nobody handled, and for an uncaught exception (a
    # promise Selenium's script rejects is its own realm's, so the events are made here).
    for event in (
        "new PromiseRejectionEvent('unhandledrejection',"
        " {promise: Promise.resolve(), reason: new TypeError('a bug'), cancelable: true})",
        "new ErrorEvent('error',"
        " {error: new TypeError('a bug'), message: 'a bug', cancelable: true})",
    ):
        page.sign_in_as("katherine@example.com")
        page.wait_for_step("code-step")
        page.driver.execute_script(f"window.dispatchEvent({event})")
        page.wait_for_step("username-step")
        assert page.alert() == "Something went wrong on this page. Reload it and try again."
        assert page.element("#username").get_attribute("value") == "katherine@example.com"
    # (the fixture then checks the console: no "Uncaught", no stack trace)


def test_going_back_to_a_signed_in_page_does_not_sign_in(
    serving: Serving, page: SignInPage, driver: WebDriver
) -> None:
    """The back/forward cache would restore the page's memory, tokens included."""
    new_user(serving, "dorothy@example.com")
    page.sign_in_as("dorothy@example.com")
    page.enter_code(code_for(serving, "dorothy@example.com"))
    page.wait_for_step("signed-in-step")
    driver.get(serving.endpoint_url + OUTBOX_PATH)
    driver.back()
    page.wait_for_step("username-step")
    assert page.text("who") == ""
