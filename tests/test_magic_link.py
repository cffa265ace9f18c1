"""The magic link's format, its KMS key, and MAGIC_LINK's settings, without a pool."""

import base64
import json
import os
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from custom_auth.link_key import LinkKey, LinkKeyError, key_id_of
from custom_auth.magic_link import (
    MAC_DOMAIN,
    NONCE_BYTES,
    InvalidLinkError,
    LinkClaims,
    ParsedLink,
    assemble,
    link_id,
    new_nonce,
    page_url,
    signed_message,
)
from custom_auth.settings import MagicLinkSettings, SettingsError, redirect_uri_problem

KEY_ID = "1234abcd-12ab-34cd-56ef-1234567890ab"


def claims(**changes: Any) -> LinkClaims:
    fields: dict[str, Any] = {
        "user_pool_id": "us-east-1_EXAMPLE01",
        "client_id": "exampleclientid0000000000",
        "sub": "0f6b3a34-8f6e-4a9e-9a4e-0d3f2b1c5e7a",
        "user_name": "a-user-name-7f1e",
        "destination": "a***@e***.com",
        "expires_at": 1_800_000_300,
        "key_id": KEY_ID,
        "nonce": new_nonce(),
        **changes,
    }
    return LinkClaims(**fields)


def link(made: LinkClaims | None = None, mac: bytes = b"\x01" * 32) -> str:
    return assemble((made or claims()).encoded(), mac)


# --- the format -----------------------------------------------------------------------------


def test_a_link_reads_back_as_it_was_made() -> None:
    made = claims()
    parsed = ParsedLink.parse(link(made))
    assert parsed.claims == made
    assert parsed.message == MAC_DOMAIN + made.encoded().encode()
    assert parsed.message == signed_message(made.encoded())
    assert parsed.mac == b"\x01" * 32
    assert len(made.nonce) == NONCE_BYTES == 32  # 256 bits from secrets


def test_nonces_differ_and_the_id_kept_is_not_the_nonce() -> None:
    nonces = {new_nonce() for _ in range(1000)}
    assert len(nonces) == 1000
    nonce = nonces.pop()
    encoded = base64.urlsafe_b64encode(nonce).decode().rstrip("=")
    assert encoded not in link_id(nonce) and link_id(nonce) == link_id(nonce)


def test_no_repr_shows_the_nonce_the_mac_or_whom_it_signs_in() -> None:
    made = claims()
    parsed = ParsedLink.parse(link(made, b"\x07" * 32))
    shown = repr(parsed) + repr(made) + str(parsed)
    nonce = base64.urlsafe_b64encode(made.nonce).decode().rstrip("=")
    for secret in (nonce, repr(made.nonce), repr(b"\x07" * 32), made.user_name, "a***@e***.com"):
        assert secret not in shown


def test_the_page_url_puts_the_link_in_the_fragment() -> None:
    assert page_url("https://app.example.com/in", "ml1.a.b") == (
        "https://app.example.com/in#magic-link=ml1.a.b"
    )


def reencode(body: object) -> str:
    raw = json.dumps(body).encode()
    return "ml1." + base64.urlsafe_b64encode(raw).decode().rstrip("=") + "." + "A" * 43


GOOD = json.loads(base64.urlsafe_b64decode(claims().encoded()[4:] + "=="))


@pytest.mark.parametrize(
    ("answer", "rule"),
    [
        ("ml1." + "A" * 3000, "longer than 2048"),
        ("ml1.abc", "not ml1.<claims>.<mac>"),
        ("ml2.abc.def", "not ml1.<claims>.<mac>"),
        ("ml1.abc.def.ghi", "not ml1.<claims>.<mac>"),
        ("ml1.abc.d$f", "MAC: not base64url"),
        ("ml1.abc." + "A" * 10, "MAC is not 32 bytes"),
        ("ml1.a*c." + "A" * 43, "claims: not base64url"),
        ("ml1.bm90IGpzb24." + "A" * 43, "claims are not JSON"),
        (reencode([1, 2]), "not the ones a link has"),
        (reencode({**GOOD, "extra": "x"}), "not the ones a link has"),
        (reencode({**GOOD, "p": 7}), "not strings of 1 to 256"),
        (reencode({**GOOD, "s": ""}), "not strings of 1 to 256"),
        (reencode({**GOOD, "x": "soon"}), "expiry is not a time"),
        (reencode({**GOOD, "x": True}), "expiry is not a time"),
        (reencode({**GOOD, "k": "alias/mine"}), "key id is not a KMS key id"),
        (reencode({**GOOD, "n": "AAAA"}), "nonce is not 32 bytes"),
    ],
)
def test_what_is_not_a_link_is_refused_by_rule_never_by_content(answer: str, rule: str) -> None:
    with pytest.raises(InvalidLinkError) as caught:
        ParsedLink.parse(answer)
    assert rule in str(caught.value)
    assert answer[4:30] not in str(caught.value)


# --- the key --------------------------------------------------------------------------------

ALIAS = "alias/custom-auth-test-magic-link"


@pytest.fixture
def kms() -> Iterator[Any]:
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    with mock_aws():
        client = boto3.client("kms", region_name="us-east-1")
        yield client


def hmac_key(kms: Any, alias: str | None = None) -> str:
    key = str(
        kms.create_key(KeySpec="HMAC_256", KeyUsage="GENERATE_VERIFY_MAC")["KeyMetadata"]["KeyId"]
    )
    if alias:
        kms.create_alias(AliasName=alias, TargetKeyId=key)
    return key


def test_sign_and_verify_with_the_current_and_the_previous_key(kms: Any) -> None:
    old = hmac_key(kms, ALIAS)
    kms.create_alias(AliasName=ALIAS + "-previous", TargetKeyId=old)
    now = [0.0]
    key = LinkKey(ALIAS, ALIAS + "-previous", client=kms, clock=lambda: now[0])
    assert key.current_key_id() == old
    mac = key.sign(old, b"message")
    assert key.verify(old, b"message", mac)
    assert not key.verify(old, b"another message", mac)
    # A rotation: the alias names a new key, -previous the old one.
    new = hmac_key(kms)
    kms.update_alias(AliasName=ALIAS, TargetKeyId=new)
    assert key.current_key_id() == old  # cached until it is read again...
    signed = kms.generate_mac(KeyId=new, Message=b"m", MacAlgorithm="HMAC_SHA_256")["Mac"]
    assert not key.verify(new, b"m", signed)  # read moments ago: not read again yet
    now[0] += 11
    assert key.verify(new, b"m", signed)
    assert key.current_key_id() == new  # ...which an unknown key id made happen
    assert key.verify(old, b"message", mac)  # the previous key's links still check


@pytest.mark.parametrize("code", ["DisabledException", "KMSInvalidStateException"])
def test_a_retired_key_is_an_invalid_link_not_a_failure(code: str) -> None:
    """KMS refuses VerifyMac with a disabled key or one pending deletion (a key the rotation
    retired while a Verify container still had it cached): the link is not valid, and Verify
    does not fail. moto verifies with a disabled key, so KMS's answer is stood in for."""
    from botocore.exceptions import ClientError

    class Retired:
        def describe_key(self, KeyId: str) -> dict[str, Any]:  # noqa: N803 - boto3's names
            return {
                "KeyMetadata": {"KeyId": KEY_ID, "Enabled": True, "KeyUsage": "GENERATE_VERIFY_MAC"}
            }

        def verify_mac(self, **_: Any) -> dict[str, Any]:
            raise ClientError({"Error": {"Code": code, "Message": "retired"}}, "VerifyMac")

    key = LinkKey(ALIAS, ALIAS + "-previous", client=Retired())
    assert key.verify(KEY_ID, b"m", b"x" * 32) is False


def test_a_key_no_alias_names_is_refused_without_asking_kms(kms: Any) -> None:
    hmac_key(kms, ALIAS)
    stranger = hmac_key(kms)
    mac = kms.generate_mac(KeyId=stranger, Message=b"m", MacAlgorithm="HMAC_SHA_256")["Mac"]
    key = LinkKey(ALIAS, ALIAS + "-previous", client=kms)  # no -previous alias yet: fine
    asked: list[str] = []
    kms.meta.events.register("before-call.kms.VerifyMac", lambda **_: asked.append("VerifyMac"))
    assert key.verify(stranger, b"m", mac) is False
    assert asked == []


def test_kms_failures_fail_closed_naming_the_operation_only(kms: Any) -> None:
    key = LinkKey("alias/nothing-here", "alias/nothing-here-previous", client=kms)
    with pytest.raises(
        LinkKeyError, match=r"DescribeKey of alias/nothing-here failed \(NotFoundException\)"
    ):
        key.current_key_id()
    symmetric = str(kms.create_key()["KeyMetadata"]["KeyId"])
    kms.create_alias(AliasName=ALIAS, TargetKeyId=symmetric)
    with pytest.raises(LinkKeyError, match="does not name an enabled HMAC key"):
        LinkKey(ALIAS, ALIAS + "-previous", client=kms).current_key_id()


def test_generate_mac_for_another_key_is_refused(kms: Any) -> None:
    class Answers:
        def generate_mac(self, **_: Any) -> dict[str, Any]:
            return {"KeyId": "arn:aws:kms:us-east-1:111122223333:key/" + KEY_ID, "Mac": b"x" * 32}

    key = LinkKey(ALIAS, ALIAS + "-previous", client=Answers())
    assert key.sign(KEY_ID, b"m") == b"x" * 32
    with pytest.raises(LinkKeyError, match="another key"):
        key.sign("ffffffff-12ab-34cd-56ef-1234567890ab", b"m")
    assert key_id_of("arn:aws:kms:us-east-1:1:key/" + KEY_ID) == KEY_ID == key_id_of(KEY_ID)


# --- the settings ---------------------------------------------------------------------------


def test_settings_read_the_alias_and_the_pages() -> None:
    read = MagicLinkSettings.from_env(
        {
            "MAGIC_LINK_KEY_ALIAS": ALIAS,
            "MAGIC_LINK_REDIRECT_URIS": " https://app.example.com/in , http://localhost:4566/signin/",
        }
    )
    assert read.redirect_uris == ("https://app.example.com/in", "http://localhost:4566/signin/")
    assert read.previous_key_alias == ALIAS + "-previous"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({}, "MAGIC_LINK_KEY_ALIAS: is required (SIGN_IN_METHODS includes MAGIC_LINK)"),
        ({"MAGIC_LINK_KEY_ALIAS": "my-key"}, "MAGIC_LINK_KEY_ALIAS: must be the alias"),
        ({"MAGIC_LINK_KEY_ALIAS": "alias/aws/lambda"}, "MAGIC_LINK_KEY_ALIAS: must be the alias"),
        ({"MAGIC_LINK_KEY_ALIAS": ALIAS}, "MAGIC_LINK_REDIRECT_URIS: is required"),
        (
            {"MAGIC_LINK_KEY_ALIAS": ALIAS, "MAGIC_LINK_REDIRECT_URIS": "http://app.example.com/"},
            "MAGIC_LINK_REDIRECT_URIS: each must use https",
        ),
        (
            {
                "MAGIC_LINK_KEY_ALIAS": ALIAS,
                "MAGIC_LINK_REDIRECT_URIS": "https://a.example/,https://a.example/",
            },
            "MAGIC_LINK_REDIRECT_URIS: at most 10 different URIs",
        ),
    ],
)
def test_bad_settings_name_the_variable_and_the_rule(env: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError) as caught:
        MagicLinkSettings.from_env(env)
    assert str(caught.value).startswith(message)


@pytest.mark.parametrize(
    ("uri", "problem"),
    [
        ("https://app.example.com/signin/", None),
        ("https://app.example.com:8443/in?x=1", None),
        ("http://localhost:4566/signin/", None),
        ("http://127.0.0.1:9/signin/", None),
        ("http://[::1]:4566/signin/", None),
        ("http://localhost.evil.example/", "must use https"),
        ("http://app.example.com/", "must use https"),
        ("javascript:alert(1)", "must name a host"),
        ("https://app.example.com/#x", "must have no fragment"),
        ("https://user:pw@app.example.com/", "no user or password"),
        ("https://app.example.com/ in", "no spaces or quotes"),
        ('https://app.example.com/"x', "no spaces or quotes"),
        ("https://app.example.com:99999/", "must be an absolute URL"),
        ("/signin/", "must name a host"),
        ("", "must be an absolute URL"),
    ],
)
def test_which_redirect_uris_a_link_may_point_to(uri: str, problem: str | None) -> None:
    found = redirect_uri_problem(uri)
    assert (found is None) if problem is None else (found is not None and problem in found)
