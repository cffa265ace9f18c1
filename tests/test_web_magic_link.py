"""MAGIC_LINK on the sign-in page in headless Chromium: the email with a link and a code, a
link page that consumes nothing until its button is pressed (a mail scanner's visit, with or
without scripts), the link finishing the sign-in waiting in another tab of the same browser, or
signing in by itself in another browser, once; and every bad link ending in the same sentence.

Each screen is saved under screenshots/test_web_magic_link/."""

import base64
import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.chrome.webdriver import WebDriver
from selenium.webdriver.common.by import By

from custom_auth.magic_link import FRAGMENT_KEY
from custom_auth_local.serve import Serving
from tests.browser import SignInPage, chromium, wait_until
from tests.test_pool_magic_link import signed
from tests.test_web_accessibility import violations
from tests.web_pool import (
    Clock,
    check_nothing_leaked,
    code_for,
    messages_to,
    new_user,
    page_pool,
    static_site,
)

BAD_LINK = (
    "This sign-in link cannot be used: it may have expired or been used already. "
    "Start again to get a new one."
)
REFUSED_HERE = (
    "The sign-in link you opened cannot be used: it may have expired or been used already. "
    "Type the code from the same email, or start again."
)
LINK_SENT = (
    "We sent you an email with a sign-in link and a code. Open the link, or type the code "
    "here. Either works once, for 5 minutes."
)
NOSCRIPT = (
    "This page needs JavaScript to sign you in. Came here from a sign-in link? Nothing has been "
    "used up: turn JavaScript on and open the link again, or type the code from the same email "
    "where you started signing in."
)


@pytest.fixture(scope="module")
def serving() -> Iterator[Serving]:
    with page_pool({"SignInMethods": "EMAIL_OTP,MAGIC_LINK"}) as pool:
        yield pool


# --- helpers --------------------------------------------------------------------------------


def link_url(serving: Serving, email: str, *, after: int = 0) -> str:
    """The link's URL in the newest email to ``email``, once there are more than ``after``."""
    bodies = wait_until(
        lambda: (found := messages_to(serving, email)) and len(found) > after and found
    )
    [url] = [word for word in bodies[-1].split() if f"#{FRAGMENT_KEY}=" in word]
    return str(url)


def link_in(url: str) -> str:
    return url.split(f"#{FRAGMENT_KEY}=", 1)[1]


def with_link(url: str, link: str) -> str:
    return url.split("#", 1)[0] + f"#{FRAGMENT_KEY}={link}"


def claims_of(link: str) -> dict[str, Any]:
    body = link.split(".")[1]
    decoded: dict[str, Any] = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    return decoded


def choose(page: SignInPage, label: str) -> None:
    """The choice with MAGIC_LINK among the methods (its button says "Send", not "Send the
    code": a link is not a code)."""
    page.wait_for_step("method-step")
    page.driver.find_element(By.XPATH, f"//label[normalize-space()={label!r}]").click()
    page.press(page.button("Send"))


def ask_for_a_link(page: SignInPage, email: str) -> None:
    page.sign_in_as(email)
    choose(page, "Email me a sign-in link")
    page.wait_for_step("code-step")


def boto3_asks_for_a_link(serving: Serving, email: str) -> None:
    """A sign-in started elsewhere (another device, through the API), choosing MAGIC_LINK with
    no redirectUri: the link points to the first page listed, this pool's own."""
    cognito, client = serving.stack.cognito(), serving.stack.client_id
    choice = cognito.initiate_auth(
        ClientId=client, AuthFlow="CUSTOM_AUTH", AuthParameters={"USERNAME": email}
    )
    cognito.respond_to_auth_challenge(
        ClientId=client,
        ChallengeName="CUSTOM_CHALLENGE",
        Session=choice["Session"],
        ChallengeResponses={
            "USERNAME": choice["ChallengeParameters"]["USERNAME"],
            "ANSWER": "MAGIC_LINK",
        },
        ClientMetadata={"signInMethod": "MAGIC_LINK"},
    )


def redeems(serving: Serving, link: str) -> bool:
    """Whether ``link`` signs in, redeemed through the API as another browser would."""
    cognito, client = serving.stack.cognito(), serving.stack.client_id
    answer: dict[str, Any] = cognito.initiate_auth(
        ClientId=client, AuthFlow="CUSTOM_AUTH", AuthParameters={"USERNAME": claims_of(link)["u"]}
    )
    for text, metadata in (("MAGIC_LINK", {"magicLink": "redeem"}), (link, {})):
        answer = cognito.respond_to_auth_challenge(
            ClientId=client,
            ChallengeName="CUSTOM_CHALLENGE",
            Session=answer["Session"],
            ChallengeResponses={
                "USERNAME": answer["ChallengeParameters"]["USERNAME"],
                "ANSWER": text,
            },
            ClientMetadata={"signInMethod": "MAGIC_LINK", **metadata},
        )
    return "AuthenticationResult" in answer


def calls(serving: Serving) -> int:
    return len(serving.stack.pool.invocations)


def api_requests(page: SignInPage) -> int:
    """The page's requests to the API (POSTs to the endpoint's root) since it loaded."""
    found: int = page.driver.execute_script(
        "return performance.getEntriesByType('resource')"
        ".filter(e => new URL(e.name).pathname === '/').length"
    )
    return found


def open_link(page: SignInPage, url: str) -> None:
    """Open the link's page, as a click in an email does (a fresh load). The page takes the link
    out of its URL, so its URL is the plain page's from then on (the leak check compares it)."""
    page.driver.get("about:blank")
    page.open(url)
    page.url = url.split("#", 1)[0]
    page.wait_for_step("link-step")


def press_sign_in_and_fail(page: SignInPage) -> None:
    page.press(page.button("Sign in"))
    page.wait_for(lambda: page.alert() == BAD_LINK)
    assert page.step() == "link-step" and page.focused_id() == "link-start-again"
    assert page.text("link-start-again") == "Start again" and page.text("use-link") == ""


def refused_at_once(page: SignInPage, serving: Serving, url: str) -> None:
    """The page refuses ``url``'s link as soon as it opens, calling nothing."""
    before = calls(serving)
    open_link(page, url)
    assert page.alert() == BAD_LINK and page.text("use-link") == ""
    assert page.focused_id() == "link-start-again"
    assert calls(serving) == before and api_requests(page) == 0


# --- the email and its code ----------------------------------------------------------------


def test_the_email_holds_a_link_to_this_page_and_a_code_which_signs_in(
    serving: Serving, page: SignInPage
) -> None:
    new_user(serving, "rosa@example.com")
    page.sign_in_as("rosa@example.com")
    page.wait_for_step("method-step")
    labels = page.driver.find_elements(By.CSS_SELECTOR, "#methods label")
    assert [label.text for label in labels] == ["Email me a code", "Email me a sign-in link"]
    assert page.text("method-step").startswith("How would you like to sign in?")
    page.shot("choice")
    choose(page, "Email me a sign-in link")
    page.wait_for_step("code-step")
    assert page.text("code-sent") == LINK_SENT
    assert page.focused_id() == "code"
    assert page.text("switch") == ""  # a code instead would be the same email again
    page.shot("link-sent")
    url = link_url(serving, "rosa@example.com")
    assert url.startswith(page.url + f"#{FRAGMENT_KEY}=ml1.")  # redirectUri: this page
    page.enter_code(code_for(serving, "rosa@example.com"))  # the code in the same email
    page.wait_for_step("signed-in-step")
    assert page.text("who") == "rosa@example.com"


# --- the link page: a scanner, no scripts --------------------------------------------------


def test_a_scanners_visit_consumes_nothing_and_only_the_click_signs_in_once(
    serving: Serving, page: SignInPage
) -> None:
    new_user(serving, "ida@example.com")
    boto3_asks_for_a_link(serving, "ida@example.com")
    url = link_url(serving, "ida@example.com")
    before = calls(serving)
    open_link(page, url)
    assert page.stored()["url"] == page.url  # the link is out of the URL
    assert page.text("link-step") == (
        "Sign in with your link\nSigning in as i***@e***.com.\n"
        "Nothing happens until you press the button.\nSign in"
    )
    assert page.focused_id() == "link-title"
    assert page.text("local-note") == ""
    page.shot("link-page")
    time.sleep(2)  # the scripts ran, their timers fire: still nothing called
    assert calls(serving) == before and api_requests(page) == 0
    page.press(page.button("Sign in"))
    page.wait_for_step("signed-in-step")
    assert page.text("who") == "ida@example.com"
    page.shot("signed-in-by-link")
    assert len(messages_to(serving, "ida@example.com")) == 1  # redeeming sent nothing
    # The same link again, in this browser or any: the sentence of every bad link.
    page.press(page.button("Sign out"))
    open_link(page, url)
    press_sign_in_and_fail(page)
    page.shot("link-used")
    page.press(page.button("Start again"))
    page.wait_for_step("username-step")
    assert page.alert() == "" and page.focused_id() == "username"


def test_without_scripts_the_page_says_so_and_uses_nothing(
    serving: Serving, page: SignInPage, request: pytest.FixtureRequest
) -> None:
    new_user(serving, "noor@example.com")
    boto3_asks_for_a_link(serving, "noor@example.com")
    url = link_url(serving, "noor@example.com")
    before = calls(serving)
    with chromium(javascript=False) as plain:
        scripts_off = SignInPage(plain, url, page.folder, page.shots)
        plain.get(url)
        main = plain.find_element(By.TAG_NAME, "main")
        wait_until(lambda: "JavaScript" in main.text)
        assert main.text == "Sign in\n" + NOSCRIPT  # no "Loading…", no step, no button
        scripts_off.shot("without-javascript")
        assert scripts_off.stored() == {
            "url": url, "local": {}, "session": {}, "cookies": "", "name": ""
        }  # fmt: skip
    assert calls(serving) == before
    assert redeems(serving, link_in(url))  # and the link still signs in


# --- the tabs of one browser, and another browser ------------------------------------------


def newest_tab(driver: WebDriver, known: set[str]) -> str:
    handle: str = wait_until(lambda: next(iter(set(driver.window_handles) - known), None))
    driver.switch_to.window(handle)
    return handle


def click_the_link_in_the_outbox(driver: WebDriver) -> None:
    def click() -> bool:
        try:  # the outbox reloads itself every 2 s
            driver.find_element(By.CSS_SELECTOR, f'a[href*="#{FRAGMENT_KEY}="]').click()
        except StaleElementReferenceException:
            return False
        return True

    wait_until(click)


def test_opened_in_another_tab_it_finishes_the_waiting_sign_in(
    serving: Serving, page: SignInPage, driver: WebDriver
) -> None:
    new_user(serving, "kai@example.com")
    ask_for_a_link(page, "kai@example.com")
    waiting = driver.current_window_handle
    link_url(serving, "kai@example.com")
    # The outbox, from the page's own link, as the mail client; its link opens a third tab.
    page.element("#outbox-link").click()
    outbox = newest_tab(driver, {waiting})
    page.wait_for(lambda: "#magic-link=" in driver.page_source)
    page.shot("outbox-with-the-link")
    click_the_link_in_the_outbox(driver)
    landed = newest_tab(driver, {waiting, outbox})
    other = SignInPage(driver, page.url, page.folder, page.shots)
    other.wait_for_step("link-step")
    assert other.stored()["url"] == page.url  # the link left this tab's URL too
    assert other.text("link-who") == "k***@e***.com"
    invoked = calls(serving)
    other.press(other.button("Sign in"))
    other.wait_for_step("link-done-step")
    assert other.text("link-done-step") == (
        "You are signed in on your other tab\n"
        "The sign-in finished on the tab where you started it. You can close this one."
    )
    assert other.focused_id() == "link-done-title"
    other.shot("link-done-in-other-tab")
    assert calls(serving) == invoked + 2  # Verify and Define of the waiting sign-in only
    assert api_requests(other) == 0 and other.stored()["local"] == {}
    assert other.console() == []
    for handle in (landed, outbox):
        driver.switch_to.window(handle)
        driver.close()
    driver.switch_to.window(waiting)
    page.wait_for_step("signed-in-step")
    assert page.text("who") == "kai@example.com"
    page.shot("waiting-tab-signed-in")


def test_a_bad_link_offered_to_the_waiting_tab_is_refused_in_both(
    serving: Serving, page: SignInPage, driver: WebDriver
) -> None:
    new_user(serving, "lev@example.com")
    ask_for_a_link(page, "lev@example.com")
    waiting = driver.current_window_handle
    link = link_in(link_url(serving, "lev@example.com"))
    prefix, claims, mac = link.split(".")
    flipped = mac[:-2] + ("A" if mac[-2] != "A" else "B") + mac[-1]  # the same user's claims
    driver.switch_to.new_window("tab")
    other = SignInPage(driver, page.url, page.folder, page.shots)
    open_link(other, with_link(page.url, f"{prefix}.{claims}.{flipped}"))
    other.press(other.button("Sign in"))
    other.wait_for(lambda: other.alert() == BAD_LINK)
    driver.close()
    driver.switch_to.window(waiting)
    page.wait_for(lambda: page.alert() == REFUSED_HERE)
    assert page.step() == "code-step"  # the code in the email still signs in
    page.shot("waiting-tab-refused-a-link")
    page.enter_code(code_for(serving, "lev@example.com"))
    page.wait_for_step("signed-in-step")


def test_a_bad_link_on_the_waiting_sign_ins_last_try_ends_it(
    serving: Serving, page: SignInPage, driver: WebDriver
) -> None:
    new_user(serving, "mia@example.com")
    ask_for_a_link(page, "mia@example.com")
    waiting = driver.current_window_handle
    link = link_in(link_url(serving, "mia@example.com"))
    code = code_for(serving, "mia@example.com")
    for _ in range(2):  # two wrong codes: the link is the sign-in's third and last try
        page.enter_code("000000" if code != "000000" else "111111")
    driver.switch_to.new_window("tab")
    other = SignInPage(driver, page.url, page.folder, page.shots)
    open_link(other, with_link(page.url, link[:-4] + ("AAAA" if link[-4:] != "AAAA" else "BBBB")))
    other.press(other.button("Sign in"))
    other.wait_for(lambda: other.alert() == BAD_LINK)
    driver.close()
    driver.switch_to.window(waiting)
    page.wait_for_step("username-step")
    assert page.alert() == (
        "The sign-in link you opened cannot be used, and this sign-in has had too many tries. "
        "Continue to start again."
    )
    assert page.element("#username").get_attribute("value") == "mia@example.com"
    page.shot("waiting-tab-last-try")


def test_in_another_browser_the_link_signs_in_by_itself(
    serving: Serving, page: SignInPage, driver: WebDriver
) -> None:
    new_user(serving, "eva@example.com")
    ask_for_a_link(page, "eva@example.com")  # this browser waits
    url = link_url(serving, "eva@example.com")
    with chromium() as phone:
        elsewhere = SignInPage(phone, url, page.folder, page.shots)
        open_link(elsewhere, url)
        elsewhere.press(elsewhere.button("Sign in"))
        elsewhere.wait_for_step("signed-in-step")
        assert elsewhere.text("who") == "eva@example.com"
        elsewhere.shot("signed-in-in-another-browser")
        assert elsewhere.stored() == {
            "url": elsewhere.url, "local": {}, "session": {}, "cookies": "", "name": ""
        }  # fmt: skip
        assert [e for e in elsewhere.console() if e.get("source") != "network"] == []
    assert len(messages_to(serving, "eva@example.com")) == 1  # no new email
    assert page.step() == "code-step"  # the first browser's sign-in waits on, untouched


def test_a_link_pasted_into_an_open_page(serving: Serving, page: SignInPage) -> None:
    new_user(serving, "ari@example.com")
    boto3_asks_for_a_link(serving, "ari@example.com")
    url = link_url(serving, "ari@example.com")
    page.driver.execute_script("location.hash = arguments[0]", url.split("#", 1)[1])
    page.wait_for_step("link-step")
    assert page.stored()["url"] == page.url and page.text("link-who") == "a***@e***.com"
    assert api_requests(page) == 0


@pytest.mark.console(r"ERR_INTERNET_DISCONNECTED")
def test_trouble_that_is_not_the_links_keeps_it_to_try_again(
    serving: Serving, page: SignInPage, driver: WebDriver
) -> None:
    new_user(serving, "ivo@example.com")
    boto3_asks_for_a_link(serving, "ivo@example.com")
    open_link(page, link_url(serving, "ivo@example.com"))
    driver.set_network_conditions(offline=True, latency=0, throughput=0)
    try:
        page.press(page.button("Sign in"))
        page.wait_for(lambda: page.alert() != "")
        assert page.alert() == (
            "We could not reach the sign-in service. Check your connection and try again."
        )
        assert page.focused_id() == "use-link" and page.text("link-who") == "i***@e***.com"
        page.shot("link-offline")
    finally:
        driver.delete_network_conditions()
    page.press(page.button("Sign in"))
    page.wait_for_step("signed-in-step")
    assert page.text("who") == "ivo@example.com"


# --- bad links: one sentence ---------------------------------------------------------------


def test_tampered_malformed_and_other_users_links_get_the_same_sentence(
    serving: Serving, page: SignInPage
) -> None:
    new_user(serving, "ola@example.com")
    new_user(serving, "bob@example.com")
    boto3_asks_for_a_link(serving, "ola@example.com")
    boto3_asks_for_a_link(serving, "bob@example.com")
    olas = link_in(url := link_url(serving, "ola@example.com"))
    bobs = link_in(link_url(serving, "bob@example.com"))
    prefix, claims, mac = olas.split(".")
    flipped = mac[:-2] + ("A" if mac[-2] != "A" else "B") + mac[-1]
    ola = claims_of(olas)
    for bad in (
        f"{prefix}.{claims}.{flipped}",  # a MAC that does not check
        signed(serving.stack, bobs, u=ola["u"]),  # bob's, made to name ola (bob's sub)
        signed(serving.stack, olas, p="us-east-1_Other0000"),  # another pool's
    ):
        open_link(page, with_link(url, bad))
        press_sign_in_and_fail(page)
    page.shot("link-refused")
    # Said at once, calling nothing: what cannot be a link, or is another app client's.
    for bad in ("", "ml1.not-a-link", olas[:-5] + "!!!!!", "ml1.e30.AAAA", "ml1." + "A" * 3000):
        refused_at_once(page, serving, with_link(url, bad))
    refused_at_once(page, serving, with_link(url, signed(serving.stack, olas, c="other-client")))
    refused_at_once(page, serving, url.replace(f"#{FRAGMENT_KEY}=", f"#{FRAGMENT_KEY}x="))
    page.shot("link-malformed")
    # The real link, never used, still signs in: the refusals are not a lockout.
    assert redeems(serving, olas)


def test_an_expired_link_gets_the_same_sentence(
    serving: Serving, page: SignInPage, monkeypatch: pytest.MonkeyPatch
) -> None:
    new_user(serving, "ugo@example.com")
    boto3_asks_for_a_link(serving, "ugo@example.com")
    url = link_url(serving, "ugo@example.com")
    # Expired while the page was open: refused by the page itself at the click.
    open_link(page, url)
    page.shift_clock(301)
    before = calls(serving)
    page.press(page.button("Sign in"))
    assert page.alert() == BAD_LINK and calls(serving) == before
    # Expired by the pool's clock alone (the page's still thinks it fresh): the pool refuses.
    Clock(monkeypatch).advance(301)  # CodeTtlSeconds is 300
    open_link(page, url)
    press_sign_in_and_fail(page)
    page.shot("link-expired")
    # A link whose own expiry has passed (even a genuine one): at once, calling nothing.
    link = link_in(url)
    refused_at_once(page, serving, with_link(url, signed(serving.stack, link, x=0)))


def test_a_page_the_links_may_not_point_to_says_so(serving: Serving, page: SignInPage) -> None:
    """Deployed on a host whose address is not on MagicLinkRedirectUris: the choice is refused,
    nothing is sent, and the page says why."""
    new_user(serving, "tom@example.com")
    config = {
        "region": "us-east-1",
        "userPoolClientId": serving.stack.client_id,
        "endpoint": serving.endpoint_url,
    }
    with static_site(json.dumps(config)) as url:
        page.open(url)
        page.sign_in_as("tom@example.com")
        choose(page, "Email me a sign-in link")
        page.wait_for_step("method-step")
        assert page.alert() == (
            "We could not email you a sign-in link for this page: its address is not on the user "
            "pool's list of pages for links (MagicLinkRedirectUris). Choose another way."
        )
        assert messages_to(serving, "tom@example.com") == []
        page.shot("page-not-listed")
        choose(page, "Email me a code")
        page.enter_code(code_for(serving, "tom@example.com"))
        page.wait_for_step("signed-in-step")
        check_nothing_leaked(page)


# --- accessibility --------------------------------------------------------------------------


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_link_screens_pass_axe(serving: Serving, page: SignInPage, scheme: str) -> None:
    """axe-core (as tests/test_web_accessibility.py runs it) on the screens MAGIC_LINK adds."""
    page.driver.execute_cdp_cmd(
        "Emulation.setEmulatedMedia",
        {"features": [{"name": "prefers-color-scheme", "value": scheme}]},
    )
    try:
        email = f"axe-{scheme}@example.com"
        new_user(serving, email)
        seen: dict[str, list[dict[str, Any]]] = {}
        page.open()
        page.sign_in_as(email)
        page.wait_for_step("method-step")
        seen["choice"] = violations(page)
        choose(page, "Email me a sign-in link")
        page.wait_for_step("code-step")
        seen["email sent"] = violations(page)
        url = link_url(serving, email)
        open_link(page, url)
        seen["link page"] = violations(page)
        page.shot(f"link-page-{scheme}")
        open_link(page, with_link(url, "ml1.not-a-link"))
        assert page.alert() == BAD_LINK
        seen["bad link"] = violations(page)
        page.shot(f"link-refused-{scheme}")
        assert {screen: found for screen, found in seen.items() if found} == {}
    finally:
        page.driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": []})
