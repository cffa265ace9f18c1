"""Passwordless sign-up (#17) on the sign-in page in headless Chromium: a new address typed on
the page, its code from the outbox, and the person is signed in to the account that code made,
asked for nothing else; every screen up to the code the same for an address with an account
and one without; a malformed address refused before anything is sent; and, with sign-up off
(the template's default), a new address is what an unknown user always was.

One pool per setting for the module (``serving`` is parametrized indirectly: pytest runs the
tests of one setting together and closes that pool before it serves the other).
Each screen is saved under screenshots/test_web_sign_up/."""

import json
import tempfile
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from custom_auth_local.serve import Serving, served
from custom_auth_local.site import PAGE_PATH
from tests.browser import SignInPage
from tests.serving import free_port
from tests.test_web_accessibility import violations
from tests.test_web_page import screens
from tests.triggers import ROOT
from tests.web_pool import QUIET, SENDER, code_for, messages_to, new_user, page_pool

ON = pytest.mark.parametrize("serving", ["sign-up"], indirect=True)
OFF = pytest.mark.parametrize("serving", ["no-sign-up"], indirect=True)

NOTE = (
    "No account yet? Continue all the same: we send you a code, and typing it makes your account."
)
BAD_EMAIL = "Email address: enter an address like name@example.com."
BAD_PHONE = "Phone number: enter it with its country code, like +12065550100."
NOT_RIGHT = "That code is not right. Check the message and try again."


@pytest.fixture(scope="module")
def serving(request: pytest.FixtureRequest) -> Iterator[Serving]:
    """``sign-up``: the template's pool with the functions' SIGN_UP=true (what its
    PasswordlessSignUp sets); ``no-sign-up``: the template as it is."""
    if request.param == "no-sign-up":
        with page_pool({}) as pool:
            yield pool
        return
    with served(
        ROOT / "template.yaml",
        host="127.0.0.1",
        port=free_port(),
        users=[],
        outbox=Path(tempfile.mkdtemp(prefix="custom-auth-web-outbox-")),
        parameter_overrides={"SenderEmail": SENDER},
        env_overrides={**QUIET, "SIGN_UP": "true"},
        web=ROOT / "web",
    ) as pool:
        yield pool


# --- helpers --------------------------------------------------------------------------------


def page_config(serving: Serving) -> dict[str, Any]:
    """The config.json the served page reads."""
    with urllib.request.urlopen(serving.endpoint_url + PAGE_PATH + "config.json") as answer:  # noqa: S310 (our own http://127.0.0.1)
        config: dict[str, Any] = json.load(answer)
    return config


def account(serving: Serving, email: str) -> dict[str, str] | None:
    """The attributes of the pool's user with ``email``, or None if there is none."""
    found = serving.stack.cognito().list_users(
        UserPoolId=serving.stack.user_pool_id, Filter=f'email = "{email}"'
    )["Users"]
    assert len(found) <= 1
    return {a["Name"]: a["Value"] for a in found[0]["Attributes"]} if found else None


def calls(serving: Serving) -> list[str]:
    """Every trigger invocation of the pool so far."""
    return list(serving.stack.pool.invocations)


def api_requests(page: SignInPage) -> int:
    """The page's requests to the API (POSTs to the endpoint's root) since it loaded."""
    found: int = page.driver.execute_script(
        "return performance.getEntriesByType('resource')"
        ".filter(e => new URL(e.name).pathname === '/').length"
    )
    return found


def watch(page: SignInPage) -> None:
    """From now on, note every step the page shows, every alert, and the ClientMetadata of each
    call (only that: never a session, code or token), for :func:`watched`."""
    page.driver.execute_script(
        """
        const seen = window.__watched = {steps: [], alerts: [], metadata: []};
        const note = () => {
          const step = [...document.querySelectorAll('#steps > *')].find(s => s.checkVisibility());
          if (step && seen.steps[seen.steps.length - 1] !== step.id) seen.steps.push(step.id);
          const alert = document.getElementById('alert');
          if (!alert.hidden && alert.textContent) seen.alerts.push(alert.textContent);
        };
        new MutationObserver(note).observe(document.querySelector('main'),
          {subtree: true, attributes: true, attributeFilter: ['hidden'], childList: true,
           characterData: true});
        const original = window.fetch;
        window.fetch = (url, options) => {
          try {
            const body = JSON.parse(options.body);
            if (body.ClientMetadata) seen.metadata.push(body.ClientMetadata);
          } catch {}
          return original(url, options);
        };
        note();
        """
    )


def watched(page: SignInPage) -> dict[str, list[Any]]:
    found: dict[str, list[Any]] = page.driver.execute_script("return window.__watched")
    return found


def wrong_for(code: str) -> str:
    return "000000" if code != "000000" else "111111"


# --- sign-up on -----------------------------------------------------------------------------


@ON
def test_a_new_address_signs_up_with_its_code_and_nothing_else(
    serving: Serving, page: SignInPage
) -> None:
    email = "ada.new@example.com"
    assert page_config(serving)["signUp"] is True
    assert account(serving, email) is None
    assert page.text("sign-up-note") == NOTE
    assert page.text("account-ready") == ""
    page.shot("username")
    watch(page)

    page.sign_in_as(email)
    page.wait_for_step("code-step")  # one method: the page answers the choice itself
    assert page.text("signing-in-as") == email
    assert page.text("code-sent") == "We sent you a sign-in code by email. It works for 5 minutes."
    page.shot("code")
    page.enter_code(code_for(serving, email))
    page.wait_for_step("signed-in-step")
    page.wait_for(lambda: page.text("who") == email)  # from GetUser: the new account's
    assert page.text("account-ready") == "Your account is ready."
    assert "Email\nada.new@example.com" in page.text("attributes")
    assert page.focused_id() == "signed-in-title"
    page.shot("account-ready")

    seen = watched(page)
    assert seen["steps"] == ["username-step", "code-step", "signed-in-step"]  # asked nothing else
    assert seen["alerts"] == []
    # The choice of both sign-ins (the one that made the account, the one after it) named the
    # address as typed.
    chosen = {"signInMethod": "EMAIL_OTP", "signUpAddress": email}
    assert seen["metadata"] == [chosen, chosen]
    assert len(messages_to(serving, email)) == 1  # the sign-in after the sign-up sent nothing
    made = account(serving, email)
    assert made is not None and made["email"] == email and made["email_verified"] == "true"

    # From now on it is an account like any other: an ordinary sign-in, with a new code.
    page.press(page.button("Sign out"))
    page.sign_in_as(email)
    page.enter_code(code_for(serving, email, after=1))
    page.wait_for_step("signed-in-step")
    page.wait_for(lambda: page.text("who") == email)
    assert page.text("account-ready") == ""


@ON
def test_a_sign_in_after_the_sign_up_that_fails_leaves_the_account_to_sign_in_to(
    serving: Serving, page: SignInPage
) -> None:
    """The network goes as the code makes the account: the page says the account is ready,
    keeps the address, and an ordinary sign-in gets into it."""
    email = "alan.new@example.com"
    page.driver.execute_script(
        "const original = window.fetch; let starts = 0;"
        "window.fetch = (url, options) => options.headers['X-Amz-Target'].endsWith('.InitiateAuth')"
        " && ++starts === 2 ? Promise.reject(new TypeError('offline')) : original(url, options);"
    )
    page.sign_in_as(email)
    page.enter_code(code_for(serving, email))
    page.wait_for_step("username-step")
    assert page.alert() == (
        "Your account is ready, but we could not sign you in to it just now. Continue to sign in."
    )
    assert page.element("#username").get_attribute("value") == email
    assert page.text("status") == ""
    assert account(serving, email) is not None
    page.shot("account-ready-not-signed-in")
    page.press(page.button("Continue"))
    page.enter_code(code_for(serving, email))  # the newest message's code (the proven one stands)
    page.wait_for_step("signed-in-step")
    page.wait_for(lambda: page.text("who") == email)
    assert page.text("account-ready") == ""


@ON
def test_an_address_with_an_account_and_a_new_one_see_the_same_screens(
    serving: Serving, page: SignInPage
) -> None:
    """Nothing the page shows, and nothing it sends or makes the triggers do, differs until
    the code has been accepted."""

    def up_to_the_code(typed: str) -> dict[str, Any]:
        """The screens, the triggers' calls, the ClientMetadata and the API requests of a
        sign-in up to a wrong code, ``typed`` blanked out."""
        page.open()
        watch(page)
        before, requests = calls(serving), api_requests(page)
        texts = [page.visible_text()]
        page.sign_in_as(typed)
        page.wait_for_step("code-step")
        texts.append(page.visible_text())
        page.enter_code(wrong_for(code_for(serving, typed)))
        assert page.alert() == NOT_RIGHT
        texts.append(page.visible_text())
        return {
            "screens": [text.replace(typed, "<typed>") for text in texts],
            "triggers": calls(serving)[len(before) :],
            "metadata": [
                {**m, "signUpAddress": m["signUpAddress"].replace(typed, "<typed>")}
                for m in watched(page)["metadata"]
            ],
            "requests": api_requests(page) - requests,
        }

    new_user(serving, "grace.known@example.com")
    known = up_to_the_code("grace.known@example.com")
    page.shot("known-address-wrong-code")
    new = up_to_the_code("grace.newer@example.com")  # as long, so the layout is the same too
    page.shot("new-address-wrong-code")
    assert new == known
    assert known["screens"][1].startswith("Sign in\nSigning in as <typed>.\nWe sent you a")
    assert known["metadata"] == [{"signInMethod": "EMAIL_OTP", "signUpAddress": "<typed>"}]
    assert len(messages_to(serving, "grace.newer@example.com")) == 1  # a code, as for anyone
    assert account(serving, "grace.newer@example.com") is None  # no right code: no account


@ON
def test_a_malformed_address_is_refused_before_anything_is_sent(
    serving: Serving, page: SignInPage
) -> None:
    before = calls(serving)
    for typed, said in (
        ("ada", BAD_EMAIL),
        ("ada@example", BAD_EMAIL),
        ("ada @example.com", BAD_EMAIL),
        ("ada@@example.com", BAD_EMAIL),
        ("+1 206 555 0100", BAD_PHONE),
        ("+1234", BAD_PHONE),
    ):
        page.type_into("username", typed)
        page.press(page.button("Continue"))
        assert page.step() == "username-step", typed
        assert page.text("username-error") == said, typed
        assert page.element("#username").get_attribute("aria-invalid") == "true"
        assert page.focused_id() == "username"
        assert page.alert() == ""
    page.shot("malformed-address")
    assert calls(serving) == before and api_requests(page) == 0  # no call, no trigger
    page.sign_in_as("ada.fixed@example.com")  # once it is an address, on it goes
    page.wait_for_step("code-step")
    assert page.element("#username").get_attribute("aria-invalid") == "false"


@ON
@pytest.mark.parametrize("colours", ["light", "dark"])
def test_the_sign_up_screens_pass_axe(serving: Serving, page: SignInPage, colours: str) -> None:
    driver = page.driver
    driver.execute_cdp_cmd(
        "Emulation.setEmulatedMedia",
        {"features": [{"name": "prefers-color-scheme", "value": colours}]},
    )
    try:
        page.open()
        email = f"hedy.{colours}@example.com"
        seen: dict[str, list[dict[str, Any]]] = {"username, with the note": violations(page)}
        page.type_into("username", "hedy")
        page.press(page.button("Continue"))
        seen["a malformed address"] = violations(page)
        page.shot(f"malformed-address-{colours}")
        page.sign_in_as(email)
        page.wait_for_step("code-step")
        seen["code"] = violations(page)
        page.enter_code(code_for(serving, email))
        page.wait_for_step("signed-in-step")
        page.wait_for(lambda: page.text("who") == email)
        seen["your account is ready"] = violations(page)
        page.shot(f"account-ready-{colours}")
        assert {screen: found for screen, found in seen.items() if found} == {}
    finally:
        driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": []})


# --- sign-up off (the template's default) ---------------------------------------------------


@OFF
def test_without_sign_up_a_new_address_is_an_unknown_user(
    serving: Serving, page: SignInPage
) -> None:
    """As before sign-up existed: no note, no check of the address's shape, nothing said about
    sign-up to the triggers, and a code step whose code never matches."""
    assert page_config(serving)["signUp"] is False
    assert page.text("sign-up-note") == ""
    new_user(serving, "known@example.com")
    known = screens(page, "known@example.com", "123456")
    page.open()
    watch(page)
    unknown = screens(page, "nobody@example.com", "123456")
    page.shot("new-address-after-three-wrong-codes")
    assert unknown == known
    assert "too many wrong codes" in unknown[-1]
    assert messages_to(serving, "nobody@example.com") == []
    assert account(serving, "nobody@example.com") is None
    assert all("signUpAddress" not in m for m in watched(page)["metadata"])
    page.open()
    page.sign_in_as("ada")  # not an address: today's page sends it all the same
    page.wait_for_step("code-step")
    assert page.text("username-error") == ""
