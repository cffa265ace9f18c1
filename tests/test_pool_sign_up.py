"""Passwordless sign-up through the local user pool, driven by boto3 as any client would: a new
address that proves itself gets an account and signs in; nothing tells an existing address from
a new one before the code; every address that may not sign up looks like one that may; one
account per address however many sign up at once; and no way to take over an account whose
address was never proven."""

import base64
import json
import re
import threading
import uuid
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from botocore.exceptions import ClientError

from custom_auth.model import AdminInitiateAuthResponse
from custom_auth_local.stack import LocalStack
from tests.test_pool import answer, error_of, initiate
from tests.triggers import ROOT

ALICE = "alice@example.com"
#: An account an administrator made with an address nobody proved.
UNPROVEN = "unproven@example.com"
SIGN_UP = {
    "SenderEmail": "no-reply@example.com",
    "PasswordlessSignUp": "true",
    "SignUpEmailDomains": "example.com,example.org",
    "SignUpAttributes": "locale=en,custom:plan=free",
}


def new_address(domain: str = "example.com") -> str:
    return f"new-{uuid.uuid4().hex[:12]}@{domain}"


def make_stack(
    tmp_path_factory: pytest.TempPathFactory,
    overrides: Mapping[str, str] | None = None,
    *,
    users: bool = True,
) -> Iterator[LocalStack]:
    from custom_auth_local.demo import QUIET_TRIGGERS
    from custom_auth_local.stack import local_stack

    with local_stack(
        ROOT / "template.yaml",
        parameter_overrides={**SIGN_UP, **(overrides or {})},
        env_overrides=QUIET_TRIGGERS,
        outbox=tmp_path_factory.mktemp("outbox"),
    ) as made:
        if users:
            made.create_user(ALICE)
            made.create_user(UNPROVEN, attributes={"email_verified": "false"})
        yield made


@pytest.fixture(scope="module")
def pool(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    """One local pool for the module (moto's state is the process's); each test uses addresses
    of its own, and starts from an empty outbox and state table (:func:`stack`)."""
    yield from make_stack(tmp_path_factory)


@pytest.fixture
def stack(pool: LocalStack) -> LocalStack:
    import boto3

    dynamodb = boto3.client("dynamodb")
    table = state_table(pool)
    for item in dynamodb.scan(TableName=table)["Items"]:
        dynamodb.delete_item(TableName=table, Key={"pk": item["pk"]})
    for sent in pool.outbox.directory.glob("*.json"):
        sent.unlink()
    pool.pool.invocations.clear()
    return pool


def state_table(stack: LocalStack) -> str:
    function = stack.template.function("VerifyAuthChallengeResponseFunction")
    return function.environment["STATE_TABLE_NAME"]


def shown(response: AdminInitiateAuthResponse) -> tuple[Any, dict[str, str]]:
    """What a response shows, but the USERNAME (a UUID for everyone, see the README)."""
    parameters = dict(response.challenge_parameters or {})
    username = parameters.pop("USERNAME", "")
    assert not username or uuid.UUID(username)
    return (str(response.challenge_name), parameters)


def chosen(
    stack: LocalStack, typed: str, *, address: str | None = "typed", method: str = "EMAIL_OTP"
) -> AdminInitiateAuthResponse:
    """Start a sign-in as the page does with sign-up on: the choice, answered with the method
    and the address typed (``address``: another value, or None for none)."""
    choice = initiate(stack, typed)
    name, parameters = shown(choice)
    assert (name, parameters["SIGN_IN_METHOD"]) == ("CUSTOM_CHALLENGE", "SELECT")
    assert method in json.loads(parameters["SIGN_IN_METHODS"])
    metadata = {"signInMethod": method}
    if address is not None:
        metadata["signUpAddress"] = typed if address == "typed" else address
    return answer(stack, choice, method, ClientMetadata=metadata)


def emails_to(stack: LocalStack, address: str) -> list[str]:
    return [message.body for message in stack.outbox.messages() if message.to == address]


def code_in(body: str) -> str:
    codes: list[str] = re.findall(r"(?<!\d)\d{6}(?!\d)", body)
    return codes[0]


def sign_up(stack: LocalStack, address: str) -> tuple[str, AdminInitiateAuthResponse]:
    """A new address's sign-up to its SIGNED_UP round: the code, and that round."""
    waiting = chosen(stack, address)
    [body] = emails_to(stack, address)
    code = code_in(body)
    return code, answer(stack, waiting, code)


def signed_in_again(stack: LocalStack, address: str, code: str) -> AdminInitiateAuthResponse:
    """The sign-in that follows SIGNED_UP: the same choice, the same code, nothing sent."""
    return answer(stack, chosen(stack, address), code)


def user(stack: LocalStack, address: str) -> dict[str, Any]:
    got: dict[str, Any] = stack.cognito().admin_get_user(
        UserPoolId=stack.user_pool_id, Username=address
    )
    return got


def attributes(stack: LocalStack, address: str) -> dict[str, str]:
    return {a["Name"]: a["Value"] for a in user(stack, address)["UserAttributes"]}


def accounts_with(stack: LocalStack, address: str) -> int:
    found = stack.cognito().list_users(
        UserPoolId=stack.user_pool_id, Filter=f'email = "{address}"'
    )["Users"]
    return len(found)


def claims(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    decoded: dict[str, Any] = json.loads(
        base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    )
    return decoded


def calls(stack: LocalStack) -> str:
    short = {"DefineAuthChallenge": "D", "CreateAuthChallenge": "C"}
    return "".join(short.get(name, "V") for name in stack.pool.invocations)


# --- a new address ---------------------------------------------------------------------------


def test_a_new_address_that_proves_itself_gets_an_account_and_signs_in(stack: LocalStack) -> None:
    address = new_address()
    code, done = sign_up(stack, address)
    # Cognito issues no tokens in a sign-in that began for nobody: the round that ends it.
    assert shown(done) == ("CUSTOM_CHALLENGE", {"SIGN_IN_METHOD": "SIGNED_UP"})
    assert user(stack, address)["UserStatus"] == "CONFIRMED"
    made = attributes(stack, address)
    assert (made["email"], made["email_verified"]) == (address, "true")
    assert (made["locale"], made["custom:plan"]) == ("en", "free")  # SignUpAttributes

    tokens = signed_in_again(stack, address, code).authentication_result
    assert tokens is not None
    id_token = claims(str(tokens.id_token))
    assert (id_token["email"], id_token["email_verified"]) == (address, True)
    assert id_token["sub"] == made["sub"]
    assert len(emails_to(stack, address)) == 1  # the second sign-in sent nothing
    # Choice, code, SIGNED_UP; then choice and code again: 13 trigger calls in all.
    assert calls(stack) == "DCVDCVDC" + "DCVDCVD"


def test_the_code_that_makes_the_account_is_answered_false_all_the_same(
    stack: LocalStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    # No session that began for nobody ever holds a right answer: the next round is SIGNED_UP
    # because Verify recorded that the code made the account, whatever Cognito makes of the
    # user in its later calls.
    verified: list[bool] = []
    original = stack.pool._verify

    def recording(*args: Any) -> bool:
        verified.append(original(*args))
        return verified[-1]

    monkeypatch.setattr(stack.pool, "_verify", recording)
    _, done = sign_up(stack, new_address())
    assert shown(done)[1] == {"SIGN_IN_METHOD": "SIGNED_UP"}
    assert verified == [True, False]  # the choice, then the code


def test_a_second_sign_up_typed_another_way_takes_the_same_code(stack: LocalStack) -> None:
    # Cognito's made-up userName for nobody follows what was typed; the code is hashed under
    # the address, so a double click typed in capitals inside the cooldown still works.
    address = new_address()
    chosen(stack, address.upper(), address=address)
    second = chosen(stack, address, address=address)
    [body] = emails_to(stack, address)  # the same code, reused
    assert shown(answer(stack, second, code_in(body)))[1] == {"SIGN_IN_METHOD": "SIGNED_UP"}


@pytest.mark.parametrize("attempt", ["the code", "SIGNED_UP", "EMAIL_OTP"])
def test_the_round_that_ends_a_sign_up_cannot_be_answered(stack: LocalStack, attempt: str) -> None:
    code, done = sign_up(stack, new_address())
    with pytest.raises(ClientError) as refused:
        answer(stack, done, code if attempt == "the code" else attempt)
    assert refused.value.response["Error"]["Code"] == "NotAuthorizedException"


def test_a_wrong_code_first_then_the_right_one_in_the_same_sign_in(stack: LocalStack) -> None:
    # The round after a wrong code carries the sign-up's address from the recorded choice.
    address = new_address()
    waiting = chosen(stack, address)
    [body] = emails_to(stack, address)
    again = answer(stack, waiting, "000000")
    assert shown(again)[1]["SIGN_IN_METHOD"] == "EMAIL_OTP"
    done = answer(stack, again, code_in(body))
    assert shown(done) == ("CUSTOM_CHALLENGE", {"SIGN_IN_METHOD": "SIGNED_UP"})
    assert accounts_with(stack, address) == 1


def test_the_proven_code_signs_the_new_account_in_once(stack: LocalStack) -> None:
    address = new_address()
    code, _ = sign_up(stack, address)
    assert signed_in_again(stack, address, code).authentication_result is not None
    # Used: the next sign-in sends a new code (a code that signed in ends the cooldown), and
    # the old one is a replay.
    again = chosen(stack, address)
    assert len(emails_to(stack, address)) == 2
    assert answer(stack, again, code).authentication_result is None


# --- nothing tells them apart ----------------------------------------------------------------


def test_an_existing_address_and_a_new_one_look_the_same_until_the_code(stack: LocalStack) -> None:
    def up_to_the_code(address: str) -> list[Any]:
        seen: list[Any] = []
        choice = initiate(stack, address)
        seen.append(shown(choice))
        metadata = {"signInMethod": "EMAIL_OTP", "signUpAddress": address}
        waiting = answer(stack, choice, "EMAIL_OTP", ClientMetadata=metadata)
        seen.append(shown(waiting))
        seen.append(shown(answer(stack, waiting, "000000")))  # a wrong code: another try
        seen.append(len(emails_to(stack, address)))
        return seen

    existing, new = up_to_the_code(ALICE), up_to_the_code(new_address())
    assert existing == new
    assert existing[-1] == 1  # both got a code
    # And the same number of trigger calls each way.
    assert calls(stack) == "DCVDCVDC" * 2


def test_with_user_existence_errors_off_cognito_itself_says_so_and_no_trigger_runs(
    stack: LocalStack,
) -> None:
    # Cognito answers UserNotFoundException before any trigger for such a client: sign-up
    # needs PreventUserExistenceErrors ENABLED, which the template's client always has.
    legacy = stack.cognito().create_user_pool_client(
        UserPoolId=stack.user_pool_id,
        ClientName="legacy",
        ExplicitAuthFlows=["ALLOW_CUSTOM_AUTH"],
        PreventUserExistenceErrors="LEGACY",
    )["UserPoolClient"]["ClientId"]
    address = new_address()
    code, message = error_of(
        lambda: stack.cognito().initiate_auth(
            ClientId=legacy, AuthFlow="CUSTOM_AUTH", AuthParameters={"USERNAME": address}
        )
    )
    assert (code, message) == ("UserNotFoundException", "User does not exist.")
    assert stack.pool.invocations == [] and emails_to(stack, address) == []
    assert accounts_with(stack, address) == 0
    # For an existing address, the same client signs in as ever.
    choice = AdminInitiateAuthResponse.from_dict(
        stack.cognito().initiate_auth(
            ClientId=legacy, AuthFlow="CUSTOM_AUTH", AuthParameters={"USERNAME": ALICE}
        )
    )
    assert shown(choice)[1]["SIGN_IN_METHOD"] == "SELECT"


@pytest.mark.parametrize(
    ("typed", "sent_as"),
    [
        (new_address("elsewhere.com"), "typed"),  # a domain off SignUpEmailDomains
        (new_address(), None),  # no address with the choice
        (new_address(), "not an address"),
        (new_address(), "+12065550100"),  # a number, for an email method
        (new_address(), "a" * 400 + "@example.com"),
    ],
    ids=["domain-off-the-list", "no-address", "malformed", "a-phone-number", "too-long"],
)
def test_an_address_that_may_not_sign_up_looks_like_one_that_may(
    stack: LocalStack, typed: str, sent_as: str | None
) -> None:
    allowed = new_address()
    expected = [shown(initiate(stack, allowed)), shown(chosen(stack, allowed))]
    got = [shown(initiate(stack, typed)), shown(chosen(stack, typed, address=sent_as))]
    assert got == expected
    assert emails_to(stack, typed) == [] and emails_to(stack, "+12065550100") == []
    assert accounts_with(stack, typed) == 0


# --- the same limits as a sign-in's ----------------------------------------------------------


def test_a_sign_up_is_held_to_the_addresss_throttle_and_lockout(stack: LocalStack) -> None:
    from custom_auth.sign_up import Address, sign_up_key
    from custom_auth.state_store import DynamoDBStateStore

    address = new_address()
    first = chosen(stack, address)
    second = chosen(stack, address)  # inside the cooldown: the same code, nothing sent
    [body] = emails_to(stack, address)
    code = code_in(body)
    wrong = answer(stack, first, "000000")
    assert wrong.authentication_result is None
    store = DynamoDBStateStore(state_table(stack))
    state = store.load(sign_up_key(stack.user_pool_id, Address("email", address)), 0)
    assert state.failures == 1 and len(state.sends) == 1
    assert shown(answer(stack, second, code))[1] == {"SIGN_IN_METHOD": "SIGNED_UP"}


# --- one account per address -----------------------------------------------------------------


def test_fifty_parallel_sign_ups_of_one_address_make_one_account(stack: LocalStack) -> None:
    # One client for every thread, as an application has: creating a boto3 client reads the
    # whole of os.environ, which the local pool changes while a trigger runs.
    cognito = stack.cognito()
    address = new_address()
    barrier = threading.Barrier(50)
    metadata = {"signInMethod": "EMAIL_OTP", "signUpAddress": address}

    def call(response: AdminInitiateAuthResponse, answer: str, **extra: Any) -> Any:
        return AdminInitiateAuthResponse.from_dict(
            cognito.respond_to_auth_challenge(
                ClientId=stack.client_id,
                ChallengeName="CUSTOM_CHALLENGE",
                Session=str(response.session),
                ChallengeResponses=response.challenge_responses(
                    client_id=stack.client_id, ANSWER=answer
                ),
                **extra,
            )
        )

    def start(_: int) -> AdminInitiateAuthResponse:
        barrier.wait()
        choice = AdminInitiateAuthResponse.from_dict(
            cognito.initiate_auth(
                ClientId=stack.client_id,
                AuthFlow="CUSTOM_AUTH",
                AuthParameters={"USERNAME": address},
            )
        )
        return call(choice, "EMAIL_OTP", ClientMetadata=metadata)  # type: ignore[no-any-return]

    with ThreadPoolExecutor(max_workers=50) as workers:
        waiting = list(workers.map(start, range(50)))
    [body] = emails_to(stack, address)  # one code, sent once, for all fifty
    code = code_in(body)

    def prove(challenge: AdminInitiateAuthResponse) -> str:
        barrier.wait()
        try:
            return str(shown(call(challenge, code))[1]["SIGN_IN_METHOD"])
        except ClientError as error:
            return str(error.response["Error"]["Code"])

    with ThreadPoolExecutor(max_workers=50) as workers:
        results = list(workers.map(prove, waiting))
    assert results.count("SIGNED_UP") == 1
    assert accounts_with(stack, address) == 1


def test_a_second_claim_on_an_address_makes_no_account() -> None:
    """Two different codes for one address (sent an hour apart, both still open): only the
    first Verify to claim the address makes an account, whatever the race."""
    from custom_auth.sign_up import Address, claim_key
    from custom_auth.state_store import InMemoryStateStore

    store = InMemoryStateStore()
    key = claim_key("pool", Address("email", "a@example.com"))
    barrier = threading.Barrier(20)

    def claim(_: int) -> bool:
        barrier.wait()
        return store.claim(key, 100, 160)

    with ThreadPoolExecutor(max_workers=20) as workers:
        assert list(workers.map(claim, range(20))).count(True) == 1
    assert not store.claim(key, 159, 219)
    assert store.claim(key, 160, 220)  # a claim whose Verify died expires


# --- no pre-account takeover -----------------------------------------------------------------


def test_the_sign_up_api_is_refused(stack: LocalStack) -> None:
    code, _ = error_of(
        lambda: stack.cognito().sign_up(
            ClientId=stack.client_id, Username=new_address(), Password="Attacker-chosen-1"
        )
    )
    assert code == "NotAuthorizedException"


def test_an_account_whose_address_was_never_proven_gets_nothing(stack: LocalStack) -> None:
    before = attributes(stack, UNPROVEN)
    waiting = chosen(stack, UNPROVEN)
    assert emails_to(stack, UNPROVEN) == []  # a known user with an unverified address
    assert answer(stack, waiting, "000000").authentication_result is None
    assert attributes(stack, UNPROVEN) == before  # still unverified, nothing added


def test_an_account_made_while_a_sign_up_waits_is_not_signed_into(stack: LocalStack) -> None:
    address = new_address()
    waiting = chosen(stack, address)
    [body] = emails_to(stack, address)
    # Someone makes an account for the address before the code comes back.
    stack.cognito().admin_create_user(
        UserPoolId=stack.user_pool_id,
        Username=address,
        UserAttributes=[{"Name": "email", "Value": address}],
        MessageAction="SUPPRESS",
    )
    after = answer(stack, waiting, code_in(body))
    assert after.authentication_result is None
    assert shown(after)[1]["SIGN_IN_METHOD"] == "EMAIL_OTP"  # a failed round: another try
    assert attributes(stack, address).get("email_verified") != "true"
    assert accounts_with(stack, address) == 1


def test_a_known_users_sign_in_ignores_an_address_sent_with_it(stack: LocalStack) -> None:
    stranger = new_address()
    waiting = chosen(stack, ALICE, address=stranger)
    assert emails_to(stack, stranger) == []
    [body] = emails_to(stack, ALICE)
    assert answer(stack, waiting, code_in(body)).authentication_result is not None


def test_a_code_proven_for_one_address_signs_in_no_other_account(stack: LocalStack) -> None:
    address = new_address()
    code, _ = sign_up(stack, address)
    waiting = chosen(stack, ALICE)
    assert answer(stack, waiting, code).authentication_result is None


# --- the logs --------------------------------------------------------------------------------


def test_no_code_or_address_in_any_log_line(
    stack: LocalStack,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    from tests.triggers import everything_logged, leaked

    address = new_address()
    with everything_logged(monkeypatch, caplog, capfd) as logged:
        code, _ = sign_up(stack, address)
        assert signed_in_again(stack, address, code).authentication_result is not None
    [written] = logged
    assert "account signed up" in written
    assert not leaked({code, address, address.split("@")[0]}, written)
