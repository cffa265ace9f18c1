"""custom_auth.sign_up: addresses, the settings and their errors, and the accounts of proven
addresses (CognitoAccounts against a stand-in of Cognito's admin calls)."""

from datetime import UTC, datetime
from typing import Any

import pytest

from custom_auth.settings import SettingsError
from custom_auth.sign_up import (
    Address,
    CognitoAccounts,
    SignUpError,
    SignUpSettings,
    hash_name,
    parse_address,
)

NOW = 1_800_000_000.0


@pytest.mark.parametrize(
    ("raw", "kind", "expected"),
    [
        ("Ada@Example.COM", "email", ("email", "ada@example.com")),
        ("  ada@example.com ", "email", ("email", "ada@example.com")),
        ("+12065550100", "phone_number", ("phone_number", "+12065550100")),
        ("+12065550100", "email", None),
        ("ada@example.com", "phone_number", None),
        ("ada", "email", None),
        ("ada@example", "email", None),
        ("a,b@example.com", "email", None),
        ("<ada@example.com>", "email", None),
        ("a" * 300 + "@example.com", "email", None),
        ("+012065550100", "phone_number", None),
        ("12065550100", "phone_number", None),
        (None, "email", None),
    ],
)
def test_an_address_is_one_of_its_kind_in_canonical_form(
    raw: Any, kind: str, expected: tuple[str, str] | None
) -> None:
    parsed = parse_address(raw, kind)
    assert (tuple(parsed) if parsed else None) == expected


def test_an_address_never_shows_itself() -> None:
    address = Address("email", "ada@example.com")
    assert "ada" not in repr(address) and "ada" not in str(address)
    assert address.as_attributes() == {"email": "ada@example.com", "email_verified": "true"}
    assert hash_name(address) == "#sign-up#ada@example.com"


def test_the_settings_and_who_may_sign_up() -> None:
    settings = SignUpSettings.from_env(
        {
            "SIGN_UP": "true",
            "SIGN_UP_EMAIL_DOMAINS": "Example.com, example.org",
            "SIGN_UP_ATTRIBUTES": "locale=en,custom:plan=free",
            "SIGN_UP_MAX_PER_HOUR": "7",
            "SIGN_UP_MAX_SENDS_PER_HOUR": "70",
        }
    )
    assert settings.enabled and settings.email_domains == ("example.com", "example.org")
    assert settings.attributes == (("locale", "en"), ("custom:plan", "free"))
    assert (settings.max_per_hour, settings.max_sends_per_hour) == (7, 70)
    assert settings.allows(Address("email", "ada@example.org"))
    assert not settings.allows(Address("email", "ada@elsewhere.com"))
    assert not settings.allows(Address("email", "ada@sub.example.com"))  # exact domains only
    # The pool's usernames are email addresses: a phone number cannot be one.
    assert not settings.allows(Address("phone_number", "+12065550100"))
    phones = SignUpSettings.from_env(
        {"SIGN_UP": "true", "SIGN_UP_USERNAME_ATTRIBUTE": "phone_number"}
    )
    assert phones.allows(Address("phone_number", "+12065550100"))
    assert not phones.allows(Address("email", "ada@example.com"))
    assert SignUpSettings.from_env({}) == SignUpSettings()  # off by default


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"SIGN_UP": "yes"}, "SIGN_UP: must be true or false"),
        ({"SIGN_UP_EMAIL_DOMAINS": "example.com,not a domain"}, "SIGN_UP_EMAIL_DOMAINS: each"),
        ({"SIGN_UP_ATTRIBUTES": "locale"}, "SIGN_UP_ATTRIBUTES: each must be name=value"),
        ({"SIGN_UP_ATTRIBUTES": "email_verified=true"}, "SIGN_UP_ATTRIBUTES: email_verified"),
        ({"SIGN_UP_ATTRIBUTES": "locale=en,locale=fr"}, "names an attribute twice"),
        ({"SIGN_UP_MAX_PER_HOUR": "0"}, "SIGN_UP_MAX_PER_HOUR: must be a whole number"),
        ({"SIGN_UP_MAX_SENDS_PER_HOUR": "x"}, "SIGN_UP_MAX_SENDS_PER_HOUR: must be"),
        ({"SIGN_UP_USERNAME_ATTRIBUTE": "preferred_username"}, "SIGN_UP_USERNAME_ATTRIBUTE"),
        (
            {"SIGN_UP": "true", "SIGN_UP_MAX_SENDS_PER_HOUR": "300"},
            r"SIGN_UP_MAX_SENDS_PER_HOUR: must be at most half of POOL_MAX_SENDS_PER_HOUR \(250\)",
        ),
        (
            {"SIGN_UP": "true", "AUTH_FLOW": "password+otp"},
            r"SIGN_UP: cannot be true with AUTH_FLOW=password\+otp",
        ),
    ],
)
def test_a_bad_setting_names_the_variable_and_the_rule(env: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        SignUpSettings.from_env(env)


# --- the accounts -------------------------------------------------------------------------------


class ClientError(Exception):
    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.response = {"Error": {"Code": code}}


class Cognito:
    """AdminCreateUser, AdminGetUser, AdminSetUserPassword and AdminDeleteUser of one pool, in
    a dict; ``lose_reply`` makes AdminCreateUser make the user and then time out."""

    def __init__(self, *, lose_reply: bool = False, fail_password: bool = False) -> None:
        self.users: dict[str, dict[str, Any]] = {}
        self.lose_reply, self.fail_password = lose_reply, fail_password
        self.calls: list[str] = []

    def add(self, address: str, status: str, *, verified: bool, made: float) -> None:
        attributes = [{"Name": "email", "Value": address}]
        if verified:
            attributes.append({"Name": "email_verified", "Value": "true"})
        self.users[address] = {
            "Username": f"uuid-of-{address}",
            "UserStatus": status,
            "UserAttributes": attributes,
            "UserCreateDate": datetime.fromtimestamp(made, UTC),
        }

    def admin_create_user(self, **call: Any) -> dict[str, Any]:
        self.calls.append("AdminCreateUser")
        address = call["Username"]
        if address in self.users:
            raise ClientError("UsernameExistsException")
        assert call["MessageAction"] == "SUPPRESS"
        self.users[address] = {
            "Username": f"uuid-of-{address}",
            "UserStatus": "FORCE_CHANGE_PASSWORD",
            "UserAttributes": call["UserAttributes"],
            "UserCreateDate": datetime.fromtimestamp(NOW, UTC),
        }
        if self.lose_reply:
            raise ClientError("ReadTimeoutError")
        return {"User": {"Username": self.users[address]["Username"]}}

    def admin_get_user(self, **call: Any) -> dict[str, Any]:
        self.calls.append("AdminGetUser")
        if call["Username"] not in self.users:
            raise ClientError("UserNotFoundException")
        return self.users[call["Username"]]

    def admin_set_user_password(self, **call: Any) -> None:
        self.calls.append("AdminSetUserPassword")
        if self.fail_password:
            raise ClientError("InvalidPasswordException")
        assert call["Permanent"] is True and len(call["Password"]) >= 40
        for user in self.users.values():
            if user["Username"] == call["Username"]:
                user["UserStatus"] = "CONFIRMED"

    def admin_delete_user(self, **call: Any) -> None:
        self.calls.append("AdminDeleteUser")
        self.users = {k: v for k, v in self.users.items() if v["Username"] != call["Username"]}


ADA = Address("email", "ada@example.com")


def accounts(cognito: Cognito) -> CognitoAccounts:
    return CognitoAccounts(cognito, clock=lambda: NOW)


def test_a_proven_address_gets_a_confirmed_account_with_it_verified() -> None:
    cognito = Cognito()
    assert accounts(cognito).create("pool", ADA, (("locale", "en"),)) == "uuid-of-ada@example.com"
    made = cognito.users["ada@example.com"]
    assert made["UserStatus"] == "CONFIRMED"
    assert {a["Name"]: a["Value"] for a in made["UserAttributes"]} == {
        "locale": "en",
        "email": "ada@example.com",
        "email_verified": "true",
    }
    assert cognito.calls == ["AdminCreateUser", "AdminSetUserPassword"]


@pytest.mark.parametrize(
    ("status", "verified", "made"),
    [
        ("CONFIRMED", True, NOW),  # anyone's working account
        ("FORCE_CHANGE_PASSWORD", False, NOW),  # the address never proven
        ("FORCE_CHANGE_PASSWORD", True, NOW - 3600),  # an administrator's, an hour ago
    ],
)
def test_an_account_someone_else_made_is_never_touched(
    status: str, verified: bool, made: float
) -> None:
    cognito = Cognito()
    cognito.add("ada@example.com", status, verified=verified, made=made)
    before = dict(cognito.users["ada@example.com"])
    assert accounts(cognito).create("pool", ADA, ()) is None
    assert cognito.users["ada@example.com"] == before
    assert "AdminSetUserPassword" not in cognito.calls


def test_a_lost_reply_leaves_no_half_made_account() -> None:
    # AdminCreateUser made the user, but its reply never came: the user is this call's, and
    # finished (tried once, never retried into UsernameExistsException).
    cognito = Cognito(lose_reply=True)
    assert accounts(cognito).create("pool", ADA, ()) == "uuid-of-ada@example.com"
    assert cognito.users["ada@example.com"]["UserStatus"] == "CONFIRMED"
    assert cognito.calls == ["AdminCreateUser", "AdminGetUser", "AdminSetUserPassword"]


def test_a_failure_names_the_call_and_leaves_nothing() -> None:
    cognito = Cognito(fail_password=True)
    with pytest.raises(
        SignUpError, match=r"^AdminSetUserPassword failed \(InvalidPasswordException\)$"
    ):
        accounts(cognito).create("pool", ADA, ())
    assert cognito.users == {}  # the half-made user is deleted

    class Down(Cognito):
        def admin_create_user(self, **call: Any) -> dict[str, Any]:
            raise ClientError("ThrottlingException")

    with pytest.raises(
        SignUpError, match=r"AdminCreateUser failed \(ThrottlingException\)"
    ) as caught:
        accounts(Down()).create("pool", ADA, ())
    assert "ada" not in str(caught.value)


def test_calls_are_tried_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    client = CognitoAccounts().client
    assert client.meta.config.retries["total_max_attempts"] == 1
