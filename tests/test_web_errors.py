"""What the sign-in page says when the API answers what no working Cognito would, or fails
where the local pool never does: a stand-in API (a few lines of WSGI) gives each answer.

Each screen is saved under screenshots/test_web_errors/."""

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from selenium.webdriver.chrome.webdriver import WebDriver
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from tests.browser import SignInPage
from tests.serving import free_port
from tests.web_pool import check_nothing_leaked, screenshot_folder, static_site

SESSION = "S" * 40
CHALLENGE: dict[str, Any] = {
    "ChallengeName": "CUSTOM_CHALLENGE",
    "Session": SESSION,
    "ChallengeParameters": {"USERNAME": "u-1", "SIGN_IN_METHOD": "EMAIL_OTP"},
}
BOTH: dict[str, Any] = {
    **CHALLENGE,
    "ChallengeParameters": {
        "USERNAME": "u-1",
        "SIGN_IN_METHOD": "SELECT",
        "SIGN_IN_METHODS": '["EMAIL_OTP","SMS_OTP"]',
    },
}
TOKENS = {"AuthenticationResult": {"AccessToken": "A" * 40, "RefreshToken": "R" * 40}}
USER = {"Username": "u-1", "UserAttributes": [{"Name": "email", "Value": "ada@example.com"}]}
UNEXPECTED = (
    "The sign-in service gave an answer this page does not understand. Start again, or try later."
)
#: Chromium's own console line for an answer with an error status: the URL, nothing else.
FAILED_LOAD = r"Failed to load resource: the server responded with a status of (4|5)\d\d"


def error(kind: str, message: str, status: int = 400) -> tuple[int, str, str]:
    body = json.dumps({"__type": kind, "message": message})
    return (status, body, "application/x-amz-json-1.1")


def ok(body: dict[str, Any] | list[Any]) -> tuple[int, str, str]:
    return (200, json.dumps(body), "application/x-amz-json-1.1")


@dataclass
class StandIn:
    """Answers each operation with the next scripted answer; what it was asked, it keeps."""

    script: dict[str, list[tuple[int, str, str]]] = field(default_factory=dict)
    asked: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        cors = {
            "Access-Control-Allow-Origin": "*",
            "Access-Control-Allow-Headers": "content-type, x-amz-target",
            "Access-Control-Allow-Methods": "POST",
        }
        if request.method == "OPTIONS":
            return Response("", headers=cors)(environ, start_response)
        operation = request.headers.get("X-Amz-Target", "").rsplit(".", 1)[-1]
        self.asked.append((operation, json.loads(request.get_data() or b"{}")))
        answers = self.script.get(operation) or [error("InternalErrorException", "unscripted", 500)]
        status, body, content_type = answers.pop(0) if len(answers) > 1 else answers[0]
        return Response(body, status=status, content_type=content_type, headers=cors)(
            environ, start_response
        )


@pytest.fixture(scope="module")
def stand_in() -> Iterator[tuple[StandIn, str]]:
    app = StandIn()
    server = make_server("127.0.0.1", free_port(), app, threaded=True)
    # A short poll: shutdown() waits for it (the default half second, at every test).
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        yield app, f"http://127.0.0.1:{server.server_port}/"
    finally:
        server.shutdown()
        thread.join()
        server.server_close()


@pytest.fixture
def site(stand_in: tuple[StandIn, str]) -> Iterator[tuple[StandIn, str]]:
    app, endpoint = stand_in
    app.script.clear()
    app.asked.clear()
    config = {"region": "us-east-1", "userPoolClientId": "1example23456789", "endpoint": endpoint}
    with static_site(json.dumps(config)) as url:
        yield app, url


def opened(driver: WebDriver, request: pytest.FixtureRequest, url: str) -> SignInPage:
    page = SignInPage(driver, url, screenshot_folder(request))
    page.console()
    return page.open()


@pytest.mark.parametrize(
    ("answer", "said"),
    [
        (
            (502, "<html><body>Bad Gateway</body></html>", "text/html"),
            "Something went wrong on our side. Please try again later.",
        ),
        (
            (400, "not json {", "text/plain"),
            "Something went wrong on our side. Please try again later.",
        ),
        (
            error("SomethingNewException", "a message nobody should see"),
            "Something went wrong on our side. Please try again later.",
        ),
        (
            ok({"ChallengeName": "CUSTOM_CHALLENGE"}),
            "The sign-in service gave an answer this page "
            "does not understand. Start again, or try later.",
        ),
        (
            ok({**CHALLENGE, "Session": ""}),
            "The sign-in service gave an answer this page does not "
            "understand. Start again, or try later.",
        ),
        (
            ok(
                {
                    **BOTH,
                    "ChallengeParameters": {**BOTH["ChallengeParameters"], "SIGN_IN_METHODS": "[]"},
                }
            ),
            UNEXPECTED,
        ),
        (ok([1, 2]), "Something went wrong on our side. Please try again later."),
        (
            ok(
                {
                    "ChallengeName": "NEW_PASSWORD_REQUIRED",
                    "Session": SESSION,
                    "ChallengeParameters": {},
                }
            ),
            "This page cannot sign in to this user pool: it asks for a step the page does not do "
            "(NEW_PASSWORD_REQUIRED).",
        ),
        (
            error("InvalidParameterException", "CUSTOM_AUTH is not enabled for the client."),
            "This page's app client does not allow this sign-in (it needs ALLOW_CUSTOM_AUTH).",
        ),
        (
            error("TooManyRequestsException", "Rate exceeded"),
            "There have been too many tries. Wait a few minutes and try again.",
        ),
        (
            error("UserLambdaValidationException", "DefineAuthChallenge failed with error boom."),
            "Something went wrong on our side. Please try again later.",
        ),
        (
            error("UserNotConfirmedException", "User is not confirmed."),
            "We could not sign you in. Check what you typed and try again.",
        ),
    ],
    ids=[
        "html-502",
        "not-json",
        "unknown-error",
        "no-session",
        "empty-session",
        "no-methods",
        "not-an-object",
        "other-challenge",
        "no-custom-auth",
        "throttled",
        "define-failed",
        "not-confirmed",
    ],
)
def test_a_first_answer_put_in_words(
    driver: WebDriver,
    request: pytest.FixtureRequest,
    site: tuple[StandIn, str],
    answer: tuple[int, str, str],
    said: str,
) -> None:
    app, url = site
    app.script["InitiateAuth"] = [answer]
    page = opened(driver, request, url)
    page.sign_in_as("ada@example.com")
    assert page.step() == "username-step"
    assert page.alert() == said
    assert page.element("#username").get_attribute("value") == "ada@example.com"
    assert (
        "nobody should see" not in page.visible_text() and "Bad Gateway" not in page.visible_text()
    )
    page.shot("said")
    check_nothing_leaked(page, allowed_console=FAILED_LOAD)


def signed_in(
    driver: WebDriver, request: pytest.FixtureRequest, app: StandIn, url: str
) -> SignInPage:
    app.script["InitiateAuth"] = [ok(CHALLENGE)]
    app.script["RespondToAuthChallenge"] = [ok(TOKENS)]
    page = opened(driver, request, url)
    page.sign_in_as("ada@example.com")
    page.enter_code("123456")
    return page


def test_tokens_that_no_longer_work_end_the_sign_in(
    driver: WebDriver, request: pytest.FixtureRequest, site: tuple[StandIn, str]
) -> None:
    app, url = site
    app.script["GetUser"] = [error("NotAuthorizedException", "Access Token has been revoked")]
    page = signed_in(driver, request, app, url)
    page.wait_for_step("username-step")
    assert (
        page.alert() == "Your sign-in has ended: it was signed out or has expired. Sign in again."
    )
    page.shot("revoked")
    check_nothing_leaked(page, allowed_console=FAILED_LOAD)


def test_details_that_cannot_be_loaded(
    driver: WebDriver, request: pytest.FixtureRequest, site: tuple[StandIn, str]
) -> None:
    app, url = site
    app.script["GetUser"] = [error("InternalErrorException", "oops", 500)]
    page = signed_in(driver, request, app, url)
    page.wait_for_step("signed-in-step")
    assert page.text("who") == "ada@example.com"
    assert page.alert() == (
        "You are signed in, but your details could not be loaded. Something went wrong on our "
        "side. Please try again later."
    )
    check_nothing_leaked(page, allowed_console=FAILED_LOAD)


@pytest.mark.parametrize(
    ("everywhere", "answer", "note"),
    [
        (False, ok({}), "You are signed out."),
        (
            True,
            error("NotAuthorizedException", "Access Token has been revoked"),
            "You are signed out on every device.",
        ),
        (
            False,
            error("InternalErrorException", "oops", 500),
            "You are signed out on this page, but the sign-in service could not be told: this "
            "sign-in stays valid until it expires.",
        ),
        (
            True,
            error("InternalErrorException", "oops", 500),
            "You are signed out on this page, but the sign-in service could not be told: your "
            "other devices stay signed in until their sign-ins expire.",
        ),
    ],
    ids=["revoked", "already-revoked", "revoke-failed", "global-failed"],
)
def test_sign_out_whatever_the_answer(
    driver: WebDriver,
    request: pytest.FixtureRequest,
    site: tuple[StandIn, str],
    everywhere: bool,
    answer: tuple[int, str, str],
    note: str,
) -> None:
    app, url = site
    app.script["GetUser"] = [ok(USER)]
    app.script["GlobalSignOut" if everywhere else "RevokeToken"] = [answer]
    page = signed_in(driver, request, app, url)
    page.wait_for_step("signed-in-step")
    page.press(page.button("Sign out on every device" if everywhere else "Sign out"))
    page.wait_for_step("username-step")
    assert page.text("status") == note
    assert page.alert() == ""
    operation, sent = app.asked[-1]
    assert operation == ("GlobalSignOut" if everywhere else "RevokeToken")
    assert sent == (
        {"AccessToken": "A" * 40}
        if everywhere
        else {"ClientId": "1example23456789", "Token": "R" * 40}
    )
    check_nothing_leaked(page, allowed_console=FAILED_LOAD)


def test_a_switch_refused_and_a_switch_too_many(
    driver: WebDriver, request: pytest.FixtureRequest, site: tuple[StandIn, str]
) -> None:
    app, url = site
    app.script["InitiateAuth"] = [ok(BOTH)]
    app.script["RespondToAuthChallenge"] = [
        ok(CHALLENGE),  # the choice of EMAIL_OTP: its round
        ok(CHALLENGE),  # the switch to SMS_OTP, refused: EMAIL_OTP's next round
    ]
    page = opened(driver, request, url)
    page.sign_in_as("ada@example.com")
    page.choose("Email me a code")
    page.press(page.button("Text me a code instead"))
    assert page.step() == "code-step"
    assert (
        page.alert()
        == "We could not switch to text message. Type the code you have, or start again."
    )
    assert page.text("switch") == ""
    page.shot("switch-refused")
    assert [op for op, _ in app.asked] == [
        "InitiateAuth",
        "RespondToAuthChallenge",
        "RespondToAuthChallenge",
    ]
    assert app.asked[-1][1]["ClientMetadata"] == {"signInMethod": "SMS_OTP"}

    app.script["InitiateAuth"] = [ok(BOTH)]
    app.script["RespondToAuthChallenge"] = [
        ok(CHALLENGE),
        error("NotAuthorizedException", "Incorrect username or password."),
    ]
    page.open()
    page.sign_in_as("ada@example.com")
    page.choose("Email me a code")
    page.press(page.button("Text me a code instead"))
    page.wait_for_step("username-step")
    assert page.alert() == "This sign-in has had too many tries. Continue to start again."
    check_nothing_leaked(page, allowed_console=FAILED_LOAD)


def test_a_refused_automatic_choice_is_not_made_again(
    driver: WebDriver, request: pytest.FixtureRequest, site: tuple[StandIn, str]
) -> None:
    app, url = site
    one = ok(
        {
            **BOTH,
            "ChallengeParameters": {
                **BOTH["ChallengeParameters"],
                "SIGN_IN_METHODS": '["EMAIL_OTP"]',
            },
        }
    )
    app.script["InitiateAuth"] = [one]
    app.script["RespondToAuthChallenge"] = [one]  # the choice, refused: the choice again
    page = opened(driver, request, url)
    page.sign_in_as("ada@example.com")
    page.wait_for_step("username-step")
    assert page.alert().startswith(
        "The sign-in service gave an answer this page does not understand."
    )
    assert [op for op, _ in app.asked] == ["InitiateAuth", "RespondToAuthChallenge"]
    check_nothing_leaked(page, allowed_console=FAILED_LOAD)


def test_a_code_that_could_not_be_checked(
    driver: WebDriver, request: pytest.FixtureRequest, site: tuple[StandIn, str]
) -> None:
    app, url = site
    app.script["InitiateAuth"] = [ok(CHALLENGE)]
    app.script["RespondToAuthChallenge"] = [
        error("UserLambdaValidationException", "VerifyAuthChallengeResponse failed with error x.")
    ]
    page = opened(driver, request, url)
    page.sign_in_as("ada@example.com")
    page.enter_code("123456")
    page.wait_for_step("username-step")
    assert (
        page.alert() == "We could not check your code just now. Please try again in a few minutes."
    )
    check_nothing_leaked(page, allowed_console=FAILED_LOAD)


def test_a_second_click_or_enter_sends_nothing_more(
    driver: WebDriver, request: pytest.FixtureRequest, site: tuple[StandIn, str]
) -> None:
    app, url = site
    app.script["InitiateAuth"] = [ok(CHALLENGE)]
    page = opened(driver, request, url)
    field = page.element("#username")
    field.send_keys("ada@example.com")
    driver.execute_script(  # three submissions in one go, as fast as a double click and more
        "const form = document.getElementById('username-step');"
        "for (let i = 0; i < 3; i++) form.requestSubmit(form.querySelector('button'));"
    )
    page.wait_for_step("code-step")
    assert [operation for operation, _ in app.asked] == ["InitiateAuth"]
    check_nothing_leaked(page)
