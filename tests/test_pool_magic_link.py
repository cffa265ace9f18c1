"""MAGIC_LINK through the local user pool, driven by boto3 as any client would: the email, the
link or the code signing in, another browser redeeming the link, and every bad link."""

import base64
import json
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from custom_auth.magic_link import FRAGMENT_KEY
from custom_auth.model import AdminInitiateAuthResponse
from custom_auth_local.stack import LocalStack
from tests.test_pool import answer as respond
from tests.test_pool import initiate
from tests.triggers import ROOT

EMAIL = "alice@example.com"
PAGE = "http://localhost:4566/signin/"
OTHER_PAGE = "https://app.example.com/signin"
LINKS = {
    "SenderEmail": "no-reply@example.com",
    "SignInMethods": "MAGIC_LINK",
    "MagicLinkRedirectUris": f"{PAGE},{OTHER_PAGE}",
}
REDEEM = {"signInMethod": "MAGIC_LINK", "magicLink": "redeem"}


@pytest.fixture(scope="module")
def pool(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    """One local pool for the module (moto's state is the process's); each test starts from
    an empty state table and outbox (:func:`stack`)."""
    from custom_auth_local.demo import QUIET_TRIGGERS
    from custom_auth_local.stack import local_stack

    outbox = tmp_path_factory.mktemp("outbox")
    with local_stack(
        ROOT / "template.yaml",
        parameter_overrides=LINKS,
        env_overrides=QUIET_TRIGGERS,
        outbox=outbox,
    ) as made:
        made.create_user(EMAIL)
        made.create_user("bob@example.com")
        yield made


@pytest.fixture
def stack(pool: LocalStack) -> LocalStack:
    import boto3

    table = pool.template.function("VerifyAuthChallengeResponseFunction").environment[
        "STATE_TABLE_NAME"
    ]
    dynamodb = boto3.client("dynamodb")
    for item in dynamodb.scan(TableName=table)["Items"]:
        dynamodb.delete_item(TableName=table, Key={"pk": item["pk"]})
    for sent in pool.outbox.directory.glob("*.json"):
        sent.unlink()
    pool.pool.invocations.clear()
    return pool


def params(response: AdminInitiateAuthResponse) -> dict[str, str]:
    return {k: v for k, v in dict(response.challenge_parameters or {}).items() if k != "USERNAME"}


def last_email(stack: LocalStack, to: str = EMAIL) -> str:
    [*_, message] = [m for m in stack.outbox.messages() if m.to == to]
    return message.body


def link_url(body: str) -> str:
    found: list[str] = re.findall(
        r"https?://[^\s\"<>]+#" + FRAGMENT_KEY + r"=[A-Za-z0-9._-]+", body
    )
    [url] = set(found)  # the same link in the text and the HTML
    return url


def link_of(body: str) -> str:
    return str(link_url(body).split(f"#{FRAGMENT_KEY}=", 1)[1])


def code_of(body: str) -> str:
    codes: list[str] = re.findall(r"(?<!\d)\d{6}(?!\d)", body)
    return codes[0]


def calls(stack: LocalStack) -> str:
    short = {"DefineAuthChallenge": "D", "CreateAuthChallenge": "C"}
    return "".join(short.get(name, "V") for name in stack.pool.invocations)


def link_round(
    stack: LocalStack, username: str = EMAIL, metadata: dict[str, str] | None = None
) -> AdminInitiateAuthResponse:
    """Start a sign-in and choose MAGIC_LINK: the email goes out."""
    choice = initiate(stack, username)
    assert params(choice) == {"SIGN_IN_METHOD": "SELECT", "SIGN_IN_METHODS": '["MAGIC_LINK"]'}
    chosen = {"signInMethod": "MAGIC_LINK", **(metadata or {})}
    return respond(stack, choice, "MAGIC_LINK", ClientMetadata=chosen)


def redeem_round(stack: LocalStack, username: str = EMAIL) -> AdminInitiateAuthResponse:
    """Start a sign-in that holds a link already: nothing is sent."""
    return respond(stack, initiate(stack, username), "MAGIC_LINK", ClientMetadata=REDEEM)


def failures(stack: LocalStack, username: str = EMAIL) -> int:
    """The wrong answers the state table holds for the user."""
    from custom_auth.state_store import DynamoDBStateStore, state_key

    table = stack.template.function("VerifyAuthChallengeResponseFunction").environment[
        "STATE_TABLE_NAME"
    ]
    name = stack.cognito().admin_get_user(UserPoolId=stack.user_pool_id, Username=username)
    key = state_key(stack.user_pool_id, name["Username"])
    state = DynamoDBStateStore(table).load(key, now=0)
    return state.failures


def refused(call: Callable[[], Any]) -> str:
    with pytest.raises(ClientError) as caught:
        call()
    return str(caught.value.response["Error"]["Code"])


def claims_of(link: str) -> dict[str, Any]:
    body = link.split(".")[1]
    decoded: dict[str, Any] = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    return decoded


def with_claims(link: str, **changes: Any) -> str:
    """The link with its claims changed and its MAC kept: what a tamperer can make."""
    prefix, _, mac = link.split(".")
    claims = {**claims_of(link), **changes}
    raw = json.dumps(claims, separators=(",", ":")).encode()
    body = base64.urlsafe_b64encode(raw).decode().rstrip("=")
    return f"{prefix}.{body}.{mac}"


# --- signing in -----------------------------------------------------------------------------


def test_the_email_holds_a_link_to_the_page_and_a_code_and_the_link_signs_in(
    stack: LocalStack,
) -> None:
    waiting = link_round(stack)
    assert params(waiting) == {
        "SIGN_IN_METHOD": "MAGIC_LINK",
        "SIGN_IN_METHODS": '["MAGIC_LINK"]',
        "CODE_DELIVERY_DELIVERY_MEDIUM": "EMAIL",
        "CODE_DELIVERY_DESTINATION": params(waiting)["CODE_DELIVERY_DESTINATION"],
    }
    [message] = stack.outbox.messages()
    assert message.to == EMAIL and "sign-in link" in message.subject
    url = link_url(message.body)
    assert url.startswith(PAGE + "#" + FRAGMENT_KEY + "=")
    claims = claims_of(link_of(message.body))
    user = stack.cognito().admin_get_user(UserPoolId=stack.user_pool_id, Username=EMAIL)
    sub = {a["Name"]: a["Value"] for a in user["UserAttributes"]}["sub"]
    assert claims["s"] == sub and claims["p"] == stack.user_pool_id
    assert claims["c"] == stack.client_id and EMAIL not in json.dumps(claims)
    done = respond(stack, waiting, link_of(message.body))
    assert done.authentication_result is not None
    assert calls(stack) == "DCVDCVD"


def test_the_code_in_the_same_email_signs_in_instead(stack: LocalStack) -> None:
    waiting = link_round(stack)
    done = respond(stack, waiting, code_of(last_email(stack)))
    assert done.authentication_result is not None


def test_another_browser_redeems_the_link_without_a_new_email(stack: LocalStack) -> None:
    link_round(stack)  # the sign-in that sent the email, left waiting in the first browser
    link = link_of(last_email(stack))
    redeeming = redeem_round(stack, claims_of(link)["u"])
    assert params(redeeming) == {
        "SIGN_IN_METHOD": "MAGIC_LINK",
        "SIGN_IN_METHODS": '["MAGIC_LINK"]',
    }
    assert len(stack.outbox.messages()) == 1  # nothing more was sent
    assert respond(stack, redeeming, link).authentication_result is not None


def test_a_link_signs_in_once_in_any_browser(stack: LocalStack) -> None:
    waiting = link_round(stack)
    link = link_of(last_email(stack))
    assert respond(stack, waiting, link).authentication_result is not None
    again = redeem_round(stack)
    replayed = respond(stack, again, link)
    assert replayed.authentication_result is None  # a failed round: another try, no tokens
    assert failures(stack) == 1  # and it counted towards the lockout


def test_a_redirect_uri_on_the_list_is_where_the_link_points(stack: LocalStack) -> None:
    link_round(stack, metadata={"redirectUri": OTHER_PAGE})
    assert link_url(last_email(stack)).startswith(OTHER_PAGE + "#")


def test_a_redirect_uri_off_the_list_is_refused_and_nothing_is_sent(stack: LocalStack) -> None:
    choice = initiate(stack)
    chosen = {"signInMethod": "MAGIC_LINK", "redirectUri": "https://evil.example/signin"}
    again = respond(stack, choice, "MAGIC_LINK", ClientMetadata=chosen)
    assert params(again)["SIGN_IN_METHOD"] == "SELECT"  # a refused choice: choose again
    assert stack.outbox.messages() == []


# --- bad links: the same failure, counted, never logged ------------------------------------


def fails_once(stack: LocalStack, link: str, username: str = EMAIL) -> None:
    """``link`` answers a redeem round as a wrong answer: no tokens, one more failure."""
    before = failures(stack, username)
    rejected = respond(stack, redeem_round(stack, username), link)
    assert rejected.authentication_result is None
    assert params(rejected)["SIGN_IN_METHOD"] == "MAGIC_LINK"  # another try of the same round
    assert failures(stack, username) == before + 1


def fresh_link(stack: LocalStack, username: str = EMAIL) -> str:
    link_round(stack, username)
    return link_of(last_email(stack, username))


def test_a_tampered_link_fails(stack: LocalStack) -> None:
    link = fresh_link(stack)
    prefix, claims, mac = link.split(".")
    flipped = mac[:-2] + ("A" if mac[-2] != "A" else "B") + mac[-1]
    fails_once(stack, f"{prefix}.{claims}.{flipped}")
    fails_once(stack, with_claims(link, x=claims_of(link)["x"] + 3600))  # a longer life
    fails_once(stack, with_claims(link, s="another-sub"))
    # The real link was never used, and three failures do not lock the user out.
    assert respond(stack, redeem_round(stack), link).authentication_result is not None


def test_a_truncated_or_malformed_link_fails(stack: LocalStack) -> None:
    link = fresh_link(stack)
    for bad in (link[:-5], link[: len(link) // 2], "ml1.", "ml1.a.b", "ml1." + "A" * 3000):
        fails_once(stack, bad)


def test_an_expired_link_fails(stack: LocalStack, monkeypatch: pytest.MonkeyPatch) -> None:
    import time

    link = fresh_link(stack)
    later = time.time() + 301
    monkeypatch.setattr(time, "time", lambda: later)
    fails_once(stack, link)


def signed(stack: LocalStack, link: str, **changes: Any) -> str:
    """``link`` with its claims changed and MAC'd again with this deployment's own key: what
    another pool or app client sharing the key would have been sent."""
    import boto3

    from custom_auth.magic_link import assemble, signed_message

    encoded = ".".join(with_claims(link, **changes).split(".")[:2])
    alias = stack.template.function("VerifyAuthChallengeResponseFunction").environment[
        "MAGIC_LINK_KEY_ALIAS"
    ]
    mac = boto3.client("kms").generate_mac(
        KeyId=alias, Message=signed_message(encoded), MacAlgorithm="HMAC_SHA_256"
    )["Mac"]
    return assemble(encoded, mac)


def test_another_users_link_fails(stack: LocalStack) -> None:
    bobs = fresh_link(stack, "bob@example.com")
    fails_once(stack, bobs)  # redeemed in alice's sign-in
    alices = claims_of(fresh_link(stack))
    fails_once(stack, signed(stack, bobs, u=alices["u"]))  # bob's sub, alice's name
    fails_once(stack, signed(stack, bobs, s=alices["s"]))  # alice's sub, bob's name


def test_a_link_for_another_pool_or_client_fails(stack: LocalStack) -> None:
    link = fresh_link(stack)
    fails_once(stack, signed(stack, link, p="us-east-1_Other0000"))
    fails_once(stack, signed(stack, link, c="1234567890abcdefghijklmnop"))
    fails_once(stack, signed(stack, link, x=claims_of(link)["x"] - 400))  # expired in itself
    fails_once(stack, signed(stack, link, x=claims_of(link)["x"] + 3600))  # too long a life
    assert respond(stack, redeem_round(stack), link).authentication_result is not None


def test_a_link_of_another_deployments_key_fails(stack: LocalStack) -> None:
    """A link MAC'd with a key this deployment does not use (an attacker's own KMS key) is
    refused without asking KMS to check it."""
    import boto3

    from custom_auth.magic_link import assemble, signed_message

    kms = boto3.client("kms")
    own = kms.create_key(KeySpec="HMAC_256", KeyUsage="GENERATE_VERIFY_MAC")["KeyMetadata"]
    link = with_claims(fresh_link(stack), k=own["KeyId"])
    encoded = ".".join(link.split(".")[:2])
    mac = kms.generate_mac(
        KeyId=own["KeyId"], Message=signed_message(encoded), MacAlgorithm="HMAC_SHA_256"
    )["Mac"]
    fails_once(stack, assemble(encoded, mac))


def test_a_link_replaced_by_a_later_email_fails(
    stack: LocalStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    import time

    first = fresh_link(stack)
    later = time.time() + 61  # past the resend cooldown: a new email, a new link
    monkeypatch.setattr(time, "time", lambda: later)
    second = fresh_link(stack)
    assert second != first
    fails_once(stack, first)
    assert respond(stack, redeem_round(stack), second).authentication_result is not None


def test_an_unknown_user_gets_the_same_rounds_and_no_email(stack: LocalStack) -> None:
    known = link_round(stack)
    unknown = link_round(stack, "nobody@example.com")
    assert params(unknown) == params(known)
    assert [m.to for m in stack.outbox.messages()] == [EMAIL]
    # Alice's link does not sign the unknown user in, and the rounds go on alike.
    rejected = respond(stack, unknown, link_of(last_email(stack)))
    assert rejected.authentication_result is None
    assert params(rejected) == params(known)


def test_a_redeem_round_takes_no_code(stack: LocalStack) -> None:
    link_round(stack)
    code = code_of(last_email(stack))
    fails_once(stack, code)


def test_a_mode_that_is_not_one_is_refused(stack: LocalStack) -> None:
    choice = initiate(stack)
    again = respond(
        stack, choice, "MAGIC_LINK", ClientMetadata={"signInMethod": "MAGIC_LINK", "magicLink": "x"}
    )
    assert params(again)["SIGN_IN_METHOD"] == "SELECT"
    assert stack.outbox.messages() == []


# --- abuse: brute force, races, logs --------------------------------------------------------


def user_state(stack: LocalStack, username: str = EMAIL) -> Any:
    from custom_auth.state_store import DynamoDBStateStore, state_key

    table = stack.template.function("VerifyAuthChallengeResponseFunction").environment[
        "STATE_TABLE_NAME"
    ]
    name = stack.cognito().admin_get_user(UserPoolId=stack.user_pool_id, Username=username)
    return DynamoDBStateStore(table).load(state_key(stack.user_pool_id, name["Username"]), 0)


def test_a_brute_force_of_link_secrets_is_bounded_by_the_lockout(stack: LocalStack) -> None:
    """Forged links of the right shape (the real claims, a random MAC): none signs in, only
    LOCKOUT_AFTER_FAILURES of them are judged before the lockout refuses the rest, and the
    real link, too strong to guess, still signs the user in through the lockout."""
    import secrets

    from custom_auth.magic_link import assemble

    real = fresh_link(stack)
    encoded = ".".join(real.split(".")[:2])
    signed_in = 0
    for _ in range(12):  # 12 sign-ins of 3 rounds: 36 forged links
        challenge = redeem_round(stack)
        for _ in range(3):
            try:
                challenge = respond(stack, challenge, assemble(encoded, secrets.token_bytes(32)))
            except ClientError as error:
                assert error.response["Error"]["Code"] == "NotAuthorizedException"
                break
            signed_in += challenge.authentication_result is not None
    assert signed_in == 0
    state = user_state(stack)
    assert state.lockouts == 1 and state.failures == 0  # 10 judged and counted, 26 refused
    assert state.is_locked(int(__import__("time").time()))
    assert respond(stack, redeem_round(stack), real).authentication_result is not None


def test_fifty_parallel_uses_of_one_link_sign_in_once(stack: LocalStack) -> None:
    from concurrent.futures import ThreadPoolExecutor

    link = fresh_link(stack)
    rounds = [redeem_round(stack) for _ in range(50)]
    barrier = __import__("threading").Barrier(50)

    def use(challenge: AdminInitiateAuthResponse) -> bool:
        barrier.wait()
        return respond(stack, challenge, link).authentication_result is not None

    with ThreadPoolExecutor(max_workers=50) as pool:
        results = list(pool.map(use, rounds))
    assert results.count(True) == 1
    # Every other use was a replay, counted: the first ten locked the user out.
    assert user_state(stack).lockouts == 1


def test_the_link_is_in_no_log_line_at_debug(
    stack: LocalStack,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    import logging

    from tests.triggers import everything_logged, leaked

    with everything_logged(monkeypatch, caplog, capfd) as logged:
        waiting = link_round(stack)
        body = last_email(stack)
        link, code = link_of(body), code_of(body)
        tampered = with_claims(link, x=1)
        after = respond(stack, waiting, tampered)
        assert respond(stack, after, link).authentication_result is not None
        replay = respond(stack, redeem_round(stack), link)
        assert replay.authentication_result is None
    [written] = logged
    assert "magic link refused" in written and "answer checked" in written
    assert any(record.levelno == logging.DEBUG for record in caplog.records)
    _, claims, mac = link.split(".")
    from custom_auth.magic_link import ParsedLink

    parsed = ParsedLink.parse(link)
    # Also as botocore would write them in a logged request or response (standard base64):
    # the MAC KMS returned, and the message it was asked to MAC (which holds the nonce).
    as_sent = {base64.b64encode(parsed.mac).decode(), base64.b64encode(parsed.message).decode()}
    secrets_in_link = {link, mac, claims, claims_of(link)["n"], tampered, code, *as_sent}
    found = leaked(secrets_in_link, written)
    assert not found, f"magic-link secrets in the logs (lengths): {found}"
