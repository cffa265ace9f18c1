"""Every screen of the sign-in page checked by axe-core (Deque's accessibility engine, from the
npm registry in tests/js/node_modules, pinned by its package-lock.json) against WCAG 2.1 A and
AA and axe's best practices, in the light and the dark colour scheme, with two methods so that
every step appears: a checker this project did not write, beside the tests' own checks of
labels, focus and keyboard use."""

import json
from collections.abc import Iterator
from typing import Any

import pytest

from custom_auth_local.serve import Serving
from tests.browser import SignInPage
from tests.triggers import ROOT
from tests.web_pool import code_for, new_user, page_pool, static_site

AXE = ROOT / "tests" / "js" / "node_modules" / "axe-core" / "axe.min.js"
RULES = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]


@pytest.fixture(scope="module")
def serving() -> Iterator[Serving]:
    with page_pool({"SignInMethods": "EMAIL_OTP,SMS_OTP", "SmsAllowedCountryCodes": "1"}) as pool:
        yield pool


def axe_source() -> str:
    if not AXE.is_file():
        pytest.skip(f"{AXE} is missing: run the tests with `make test` (it installs axe-core)")
    return AXE.read_text(encoding="utf-8")


def violations(page: SignInPage) -> list[dict[str, Any]]:
    """axe-core's violations on the screen as it is (what, how bad, where)."""
    page.driver.execute_script(axe_source())
    found: list[dict[str, Any]] = page.driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document, {runOnly: {type: 'tag', values: arguments[0]}})"
        ".then(r => done(r.violations.map(v => ({id: v.id, impact: v.impact,"
        " nodes: v.nodes.map(n => n.target.join(' '))}))),"
        " e => done([{id: 'axe failed', impact: String(e), nodes: []}]));",
        RULES,
    )
    return found


@pytest.fixture(params=["light", "dark"])
def scheme(request: pytest.FixtureRequest, page: SignInPage) -> Iterator[str]:
    """The page in the light and in the dark colour scheme (prefers-color-scheme)."""
    page.driver.execute_cdp_cmd(
        "Emulation.setEmulatedMedia",
        {"features": [{"name": "prefers-color-scheme", "value": request.param}]},
    )
    page.open()
    yield request.param
    page.driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": []})


def test_every_screen_of_a_sign_in(serving: Serving, page: SignInPage, scheme: str) -> None:
    email = f"ada-{scheme}@example.com"
    new_user(serving, email, phone_number="+12065550105", phone_number_verified="true")
    seen: dict[str, list[dict[str, Any]]] = {}
    seen["username"] = violations(page)
    page.press(page.button("Continue"))  # empty: the field's error
    seen["username, empty"] = violations(page)
    page.sign_in_as(email)
    page.wait_for_step("method-step")
    seen["choice"] = violations(page)
    page.choose("Email me a code")
    seen["code"] = violations(page)
    page.enter_code("000000" if code_for(serving, email) != "000000" else "111111")
    seen["code, wrong"] = violations(page)
    page.enter_code(code_for(serving, email))
    page.wait_for_step("signed-in-step")
    seen["signed in"] = violations(page)
    page.press(page.button("Sign out"))
    seen["signed out"] = violations(page)
    assert {screen: found for screen, found in seen.items() if found} == {}
    page.shot(f"signed-out-{scheme}")


def test_the_configuration_screen(page: SignInPage, scheme: str) -> None:
    with static_site(json.dumps({"region": "nowhere"})) as url:
        page.open(url)
        assert page.step() == "config-step"
        assert violations(page) == []
