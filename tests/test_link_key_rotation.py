"""custom_auth.link_key_rotation and functions/rotate_magic_link_key: replacing the magic-link
key in moto's KMS, links signed before a rotation still verifying after it (and not after the
next), what becomes of the keys that fall off, runs started again after a failure at any call,
and the template's wiring of the function."""

import json
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError, ReadTimeoutError

from custom_auth.link_key import REFRESH_INTERVAL_SECONDS, LinkKey
from custom_auth.link_key_rotation import (
    CREATED_BY,
    CREATED_BY_TAG,
    KEY_TAG,
    PENDING_WINDOW_DAYS,
    SETTLE_SECONDS,
    LinkKeyRotation,
    LinkKeyRotationError,
    LinkKeyRotationSettings,
    RotationResult,
)
from custom_auth.settings import SettingsError
from custom_auth_local.template import LOCAL_STACK_NAME, Template
from tests.triggers import REGION, ROOT, Context, load_handler

MESSAGE = b"custom-auth magic link\0ml1.claims"
#: What an EventBridge Scheduler invocation carries: nothing the rotation reads.
SCHEDULER_EVENT = {"version": "0", "detail-type": "Scheduled Event", "marker": "EVENT-MARKER-7"}


_clients: dict[str, Any] = {}


@pytest.fixture(autouse=True)
def _fresh_clients() -> Iterator[None]:
    """Each test makes its clients anew (inside its moto), once: making one is slow."""
    _clients.clear()
    yield
    _clients.clear()


def kms() -> Any:
    if "kms" not in _clients:
        _clients["kms"] = boto3.client("kms")
    return _clients["kms"]


def tagging() -> Any:
    if "tagging" not in _clients:
        _clients["tagging"] = boto3.client("resourcegroupstaggingapi")
    return _clients["tagging"]


def state(key_id: str) -> str:
    return str(kms().describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"])


def tags_of(key_id: str) -> dict[str, str]:
    return {t["TagKey"]: t["TagValue"] for t in kms().list_resource_tags(KeyId=key_id)["Tags"]}


def moto_kms() -> Any:
    """moto's KMS backend of the account and Region the tests use."""
    from moto.core.models import DEFAULT_ACCOUNT_ID
    from moto.kms.models import kms_backends

    return kms_backends[DEFAULT_ACCOUNT_ID][REGION]


def an_hour_passes() -> None:
    """Every key in moto was made a little over an hour earlier than it was."""
    for key in moto_kms().keys.values():
        key.creation_date -= SETTLE_SECONDS + 60


class Failing:
    """Wraps a boto3 client: records each call, in order, in ``calls`` (one list for the
    clients of one run); the call numbered ``fail_at`` raises, before KMS takes it or after
    it did (a timeout after the request went through)."""

    def __init__(
        self, client: Any, calls: list[str], fail_at: int | None = None, after: bool = False
    ) -> None:
        self._client, self.calls, self.fail_at, self.after = client, calls, fail_at, after

    def __getattr__(self, operation: str) -> Callable[..., Any]:
        method = getattr(self._client, operation)

        def call(**kwargs: Any) -> Any:
            number = len(self.calls)
            self.calls.append(operation)
            failing = number == self.fail_at
            if failing and not self.after:
                error = {"Code": "ThrottlingException", "Message": f"SECRET-MARKER {kwargs}"}
                raise ClientError({"Error": error}, operation)
            answer = method(**kwargs)
            if failing:
                raise ReadTimeoutError(endpoint_url=f"https://kms.example/{kwargs}")
            return answer

        return call


@dataclass(frozen=True)
class Stack:
    """One deployment's magic-link keys in moto: its aliases and its tag (the stack's name).
    Stacks of different names share nothing, so one test can have many."""

    name: str

    @property
    def settings(self) -> LinkKeyRotationSettings:
        return LinkKeyRotationSettings(key_alias=f"alias/{self.name}-magic-link", key_tag=self.name)

    @property
    def alias(self) -> str:
        return self.settings.key_alias

    @property
    def previous(self) -> str:
        return self.settings.previous_key_alias

    def deploy(self) -> str:
        """Make the key the template's MagicLinkKey is (tagged as the stack's, named by both
        aliases); returns its id."""
        key_id = str(
            kms().create_key(
                Description=f"custom-auth magic links of {self.name} (HMAC-SHA256)",
                KeySpec="HMAC_256",
                KeyUsage="GENERATE_VERIFY_MAC",
                Tags=[{"TagKey": KEY_TAG, "TagValue": self.name}],
            )["KeyMetadata"]["KeyId"]
        )
        kms().create_alias(AliasName=self.alias, TargetKeyId=key_id)
        kms().create_alias(AliasName=self.previous, TargetKeyId=key_id)
        return key_id

    def rotation(
        self,
        calls: list[str] | None = None,
        fail_at: int | None = None,
        *,
        after: bool = False,
    ) -> LinkKeyRotation:
        calls = [] if calls is None else calls
        return LinkKeyRotation(
            self.settings,
            client=Failing(kms(), calls, fail_at, after),
            tagging=Failing(tagging(), calls, fail_at, after),
        )

    def rotate(self, times: int = 1) -> list[str]:
        """Rotate ``times`` times, an hour apart; the keys the alias named, oldest first."""
        current = [self.current()]
        for _ in range(times):
            self.rotation().rotate()
            current.append(self.current())
            an_hour_passes()
        return current

    def current(self) -> str:
        return str(kms().describe_key(KeyId=self.alias)["KeyMetadata"]["KeyId"])

    def previous_key(self) -> str:
        return str(kms().describe_key(KeyId=self.previous)["KeyMetadata"]["KeyId"])

    def keys(self) -> dict[str, str]:
        """Every key tagged as this stack's, and its state (from moto's own records, which
        every stack of a test shares: quicker than asking for each)."""
        backend = moto_kms()
        return {
            key_id: key.key_state
            for key_id, key in backend.keys.items()
            if backend.tagger.get_tag_dict_for_resource(key_id).get(KEY_TAG) == self.name
        }

    def usable(self) -> set[str]:
        return {key for key, key_state in self.keys().items() if key_state == "Enabled"}

    def verify(self) -> LinkKey:
        """Verify's view of the keys, read afresh (as once its cache has expired)."""
        return LinkKey(self.alias, self.previous, client=kms())

    def sign(self, key_id: str) -> bytes:
        return self.verify().sign(key_id, MESSAGE)


STACK = Stack("custom-auth-test")


@pytest.fixture
def template_key(aws: None) -> str:
    """The template's key, made an hour ago: old enough to replace."""
    key_id = STACK.deploy()
    an_hour_passes()
    return key_id


def test_a_rotation_makes_a_tagged_hmac_key_current_and_the_old_one_previous(
    template_key: str,
) -> None:
    result = STACK.rotation().rotate()
    new = STACK.current()
    assert new != template_key and STACK.previous_key() == template_key
    assert result == RotationResult(
        current_key_id=new,
        previous_key_id=template_key,
        created_key_id=new,
        deleted_key_ids=(),
        disabled_key_ids=(),
    )
    metadata = kms().describe_key(KeyId=new)["KeyMetadata"]
    assert (metadata["KeySpec"], metadata["KeyUsage"]) == ("HMAC_256", "GENERATE_VERIFY_MAC")
    assert metadata["KeyState"] == "Enabled" and not metadata["MultiRegion"]
    assert STACK.name in metadata["Description"]
    # Create's and Verify's permissions ask for the first tag; the second lets it be deleted.
    assert tags_of(new) == {KEY_TAG: STACK.name, CREATED_BY_TAG: CREATED_BY}
    assert state(template_key) == "Enabled"  # still named: links it signed still verify
    assert STACK.verify().current_key_id() == new


def test_a_link_signed_before_a_rotation_verifies_after_it_and_not_after_the_next(
    template_key: str,
) -> None:
    before = STACK.sign(template_key)
    now = [0.0]
    cached = LinkKey(STACK.alias, STACK.previous, client=kms(), clock=lambda: now[0])
    assert cached.verify(template_key, MESSAGE, before)

    STACK.rotation().rotate()
    first = STACK.current()
    assert STACK.verify().verify(template_key, MESSAGE, before)
    # A Verify container that still holds the aliases as they were takes the new key's links.
    signed_first = STACK.sign(first)
    now[0] += REFRESH_INTERVAL_SECONDS  # (it reads them again at most this often)
    assert cached.verify(first, MESSAGE, signed_first)

    an_hour_passes()
    STACK.rotation().rotate()
    assert not STACK.verify().verify(template_key, MESSAGE, before)
    assert STACK.verify().verify(first, MESSAGE, signed_first)
    assert not STACK.verify().verify(first, MESSAGE, before)  # another key's MAC is no MAC


def test_the_template_key_is_disabled_not_deleted_and_rotation_keys_are_deleted(
    template_key: str,
) -> None:
    first = STACK.rotate()[1]
    second_run = STACK.rotation().rotate()
    second = STACK.current()
    # CloudFormation owns the template's key: disabled, never scheduled for deletion.
    assert second_run.disabled_key_ids == (template_key,) and second_run.deleted_key_ids == ()
    assert state(template_key) == "Disabled"
    assert STACK.previous_key() == first

    an_hour_passes()
    third_run = STACK.rotation().rotate()
    # A key the rotation made is its to delete, after the pending window.
    assert third_run.deleted_key_ids == (first,) and third_run.disabled_key_ids == ()
    metadata = kms().describe_key(KeyId=first)["KeyMetadata"]
    assert metadata["KeyState"] == "PendingDeletion"
    days = (metadata["DeletionDate"].timestamp() - time.time()) / 86400
    assert PENDING_WINDOW_DAYS - 1 < days <= PENDING_WINDOW_DAYS
    assert state(template_key) == "Disabled"  # left as it was
    # Only the keys the aliases name can be used.
    assert STACK.usable() == {third_run.current_key_id, second} == {STACK.current(), second}
    assert STACK.previous_key() == second


def test_a_current_key_younger_than_an_hour_is_not_replaced(template_key: str) -> None:
    STACK.rotation().rotate()
    current = STACK.current()
    again = STACK.rotation().rotate()  # as a retry minutes later
    assert again.created_key_id is None
    assert (STACK.current(), STACK.previous_key()) == (current, template_key)
    assert len(STACK.keys()) == 2


def test_a_fresh_stack_is_not_rotated_at_once(aws: None) -> None:
    # A rate schedule may fire as soon as it is made, when the template's key is minutes old.
    template_key = STACK.deploy()
    result = STACK.rotation().rotate()
    assert result.created_key_id is None
    assert STACK.current() == STACK.previous_key() == template_key


def test_a_current_key_that_cannot_be_used_is_replaced_and_no_alias_keeps_it(
    template_key: str,
) -> None:
    STACK.rotation().rotate()
    broken = STACK.current()
    kms().disable_key(KeyId=broken)  # by hand, say
    result = STACK.rotation().rotate()  # young, but of no use: replaced now
    assert result.created_key_id is not None
    assert STACK.current() == STACK.previous_key() == result.created_key_id
    assert state(broken) == "Disabled"  # left as it was left
    assert state(template_key) == "Disabled"  # fell off


def test_a_key_that_fell_off_but_is_not_the_stacks_is_left_alone(template_key: str) -> None:
    other = STACK.rotate()[1]
    kms().untag_resource(KeyId=template_key, TagKeys=[KEY_TAG])
    result = STACK.rotation().rotate()
    assert result.disabled_key_ids == result.deleted_key_ids == ()
    assert state(template_key) == "Enabled"
    assert STACK.previous_key() == other


def test_keys_already_retired_are_left_as_they_are(template_key: str) -> None:
    first = STACK.rotate(2)[1]
    STACK.rotation().rotate()
    assert state(first) == "PendingDeletion"
    kms().cancel_key_deletion(KeyId=first)  # someone wants it back: it is disabled now
    an_hour_passes()
    result = STACK.rotation().rotate()
    assert first not in result.deleted_key_ids and state(first) == "Disabled"
    assert template_key not in result.disabled_key_ids


# A run when the template's key is both current and previous (nothing falls off), after one
# rotation (the template's key falls off: disabled), and after two (a key the rotation made
# falls off: deleted).
@pytest.mark.parametrize(
    "done", [0, pytest.param(1, marks=pytest.mark.long), pytest.param(2, marks=pytest.mark.long)]
)
def test_a_run_started_again_after_a_failure_at_any_call_converges(aws: None, done: int) -> None:
    clean = Stack("clean")
    calls: list[str] = []
    clean.deploy()
    an_hour_passes()
    clean.rotate(done)
    clean.rotation(calls).rotate()
    clean_count = len(clean.keys())
    assert {"create_key", "update_alias", "get_resources"} <= set(calls)
    assert ("schedule_key_deletion" in calls) == (done == 2)
    assert ("disable_key" in calls) == (done == 1)

    for number, operation in enumerate(calls):
        # A call that changes something fails before or after it took effect; a read is a read.
        changes = operation not in ("describe_key", "list_resource_tags", "get_resources")
        for after in (False, True) if changes else (False,):
            where = f"call {number} ({operation}, {'after' if after else 'before'} KMS took it)"
            stack = Stack(f"s{done}-{number}-{int(after)}")
            template_key = stack.deploy()
            an_hour_passes()
            history = stack.rotate(done)
            old_previous, old_current = stack.previous_key(), stack.current()
            link = stack.sign(old_current)
            with pytest.raises(LinkKeyRotationError) as caught:
                stack.rotation([], number, after=after).rotate()
            message = str(caught.value)
            # The step and the error code, nothing else.
            code = "ReadTimeoutError" if after else "ThrottlingException"
            assert re.fullmatch(rf"[a-z' ]+: failed \({code}\)", message), where
            assert "SECRET-MARKER" not in message and "kms.example" not in message, where
            assert stack.name not in message and old_current not in message, where
            # Whatever failed, both aliases name usable keys, and links signed just before
            # still verify.
            assert state(stack.current()) == state(stack.previous_key()) == "Enabled", where
            assert stack.verify().verify(old_current, MESSAGE, link), where

            again = stack.rotation().rotate()  # Lambda's retry, minutes later
            assert stack.previous_key() == old_current, where
            assert again.current_key_id == stack.current() not in history, where
            assert tags_of(stack.current())[CREATED_BY_TAG] == CREATED_BY, where
            assert stack.verify().verify(old_current, MESSAGE, link), where
            if old_previous != old_current:
                retired = "Disabled" if old_previous == template_key else "PendingDeletion"
                assert state(old_previous) == retired, where
            # One rotation's keys, and perhaps one the failed run made and could not use.
            assert len(stack.keys()) in (clean_count, clean_count + 1), where

            # The next rotation finds what the failed run left: only the two keys the
            # aliases name are usable.
            an_hour_passes()
            stack.rotation().rotate()
            assert stack.usable() == {stack.current(), stack.previous_key()}, where
            assert state(template_key) == "Disabled", where


class OnePerPage:
    """A Tagging API client that answers GetResources one resource a page."""

    def __init__(self, client: Any) -> None:
        self._client = client

    def get_resources(self, PaginationToken: str = "", **kwargs: Any) -> dict[str, Any]:  # noqa: N803 - the API's name
        found = self._client.get_resources(**kwargs)["ResourceTagMappingList"]
        start = int(PaginationToken or 0)
        more = start + 1 < len(found)
        return {
            "ResourceTagMappingList": found[start : start + 1],
            "PaginationToken": str(start + 1) if more else "",
        }


def test_a_key_a_failed_run_left_is_found_on_any_page(template_key: str) -> None:
    STACK.rotate(2)
    left = kms().create_key(  # as a run that failed after CreateKey left it, an hour ago
        KeySpec="HMAC_256",
        KeyUsage="GENERATE_VERIFY_MAC",
        Tags=[
            {"TagKey": KEY_TAG, "TagValue": STACK.name},
            {"TagKey": CREATED_BY_TAG, "TagValue": CREATED_BY},
        ],
    )["KeyMetadata"]["KeyId"]
    an_hour_passes()
    result = LinkKeyRotation(STACK.settings, client=kms(), tagging=OnePerPage(tagging())).rotate()
    assert left in result.deleted_key_ids and state(left) == "PendingDeletion"
    assert STACK.usable() == {STACK.current(), STACK.previous_key()}


def test_a_key_deleted_since_the_tagging_api_listed_it_is_passed_over(template_key: str) -> None:
    gone = "arn:aws:kms:us-east-1:123456789012:key/0f0f0f0f-0f0f-4f0f-8f0f-0f0f0f0f0f0f"

    class Late:  # the Tagging API is eventually consistent: it may list a key deleted since
        def get_resources(self, **kwargs: Any) -> dict[str, Any]:
            found = tagging().get_resources(**kwargs)["ResourceTagMappingList"]
            return {"ResourceTagMappingList": [{"ResourceARN": gone}, *found]}

    STACK.rotate(2)
    result = LinkKeyRotation(STACK.settings, client=kms(), tagging=Late()).rotate()
    assert result.created_key_id == STACK.current()
    assert STACK.usable() == {STACK.current(), STACK.previous_key()}


def test_a_new_key_kms_makes_otherwise_than_asked_is_refused(template_key: str) -> None:
    class OtherKind:
        def __getattr__(self, operation: str) -> Any:
            return getattr(kms(), operation)

        def create_key(self, **kwargs: Any) -> Any:
            return kms().create_key(
                **{**kwargs, "KeySpec": "SYMMETRIC_DEFAULT", "KeyUsage": "ENCRYPT_DECRYPT"}
            )

    rotation = LinkKeyRotation(STACK.settings, client=OtherKind(), tagging=tagging())
    with pytest.raises(LinkKeyRotationError, match=r"^create the new key: failed"):
        rotation.rotate()
    assert STACK.current() == STACK.previous_key() == template_key
    assert repr(rotation) == f"LinkKeyRotation(key_alias={STACK.alias!r})"


def test_an_alias_that_is_missing_fails_naming_the_step_only(template_key: str) -> None:
    kms().delete_alias(AliasName=STACK.previous)
    with pytest.raises(LinkKeyRotationError) as caught:
        STACK.rotation().rotate()
    assert str(caught.value) == "read the previous alias: failed (NotFoundException)"
    assert (caught.value.step, caught.value.code) == (
        "read the previous alias",
        "NotFoundException",
    )
    assert caught.value.__cause__ is None
    assert STACK.current() == template_key and len(STACK.keys()) == 1  # nothing made


def test_settings_name_the_variable_that_is_wrong() -> None:
    good = {"MAGIC_LINK_KEY_ALIAS": "alias/prod-magic-link", "MAGIC_LINK_KEY_TAG": "prod"}
    settings = LinkKeyRotationSettings.from_env(good)
    assert settings.previous_key_alias == "alias/prod-magic-link-previous"
    assert settings.key_tag == "prod"
    for env, message in [
        ({**good, "MAGIC_LINK_KEY_ALIAS": ""}, "MAGIC_LINK_KEY_ALIAS: is required"),
        ({**good, "MAGIC_LINK_KEY_ALIAS": "prod-magic-link"}, "MAGIC_LINK_KEY_ALIAS: must be"),
        ({**good, "MAGIC_LINK_KEY_ALIAS": "alias/aws/kms"}, "MAGIC_LINK_KEY_ALIAS: must be"),
        ({"MAGIC_LINK_KEY_ALIAS": "alias/prod-magic-link"}, "MAGIC_LINK_KEY_TAG: is required"),
        ({**good, "MAGIC_LINK_KEY_TAG": "a" * 257}, "MAGIC_LINK_KEY_TAG: must be"),
        ({**good, "MAGIC_LINK_KEY_TAG": "no;thing"}, "MAGIC_LINK_KEY_TAG: must be"),
    ]:
        with pytest.raises(SettingsError, match=f"^{message}"):
            LinkKeyRotationSettings.from_env(env)


def test_the_handler_rotates_on_a_schedule_and_ignores_the_event(
    template_key: str, monkeypatch: pytest.MonkeyPatch, logs: list[str]
) -> None:
    monkeypatch.setenv("MAGIC_LINK_KEY_ALIAS", STACK.alias)
    monkeypatch.setenv("MAGIC_LINK_KEY_TAG", STACK.name)
    handler = load_handler("rotate_magic_link_key")
    assert handler.lambda_handler(SCHEDULER_EVENT, Context()) is None
    assert STACK.previous_key() == template_key != STACK.current()
    assert handler.lambda_handler({}, Context()) is None  # too soon: nothing more
    assert len(STACK.keys()) == 2
    records = [json.loads(line) for line in logs]
    assert "magic-link key rotation: done" in [r["message"] for r in records]
    assert all("EVENT-MARKER" not in line for line in logs)


def test_the_handler_fails_at_start_up_naming_a_missing_variable(
    aws: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MAGIC_LINK_KEY_ALIAS", raising=False)
    monkeypatch.setenv("MAGIC_LINK_KEY_TAG", STACK.name)
    with pytest.raises(SettingsError, match=r"^MAGIC_LINK_KEY_ALIAS: is required"):
        load_handler("rotate_magic_link_key")


# --- template.yaml ------------------------------------------------------------------------

FUNCTION = "RotateMagicLinkKeyFunction"
MAGIC_LINK = {
    "SignInMethods": "EMAIL_OTP,MAGIC_LINK",
    "SenderEmail": "no-reply@example.com",
    "MagicLinkRedirectUris": "https://app.example.com/sign-in",
}


def load(**overrides: str) -> Template:
    return Template.load(ROOT / "template.yaml", {**MAGIC_LINK, **overrides})


def test_the_template_has_the_rotation_only_with_magic_links() -> None:
    without = Template.load(ROOT / "template.yaml", {"SenderEmail": "no-reply@example.com"})
    assert FUNCTION not in without.functions()
    resources = load().data["Resources"]
    mine = [FUNCTION, "RotateMagicLinkKeyLogGroup", "MagicLinkKeyRotationErrorsAlarm"]
    assert all(resources[name]["Condition"] == "MagicLinkOn" for name in mine)
    assert FUNCTION in load().functions() and FUNCTION not in load().triggers()
    assert not any(name in without.resources_of_type(resources[name]["Type"]) for name in mine)


def test_the_rotation_function_runs_like_the_others_with_the_keys_alias_and_tag() -> None:
    template = load(LogRetentionDays="90")
    function = template.function(FUNCTION)
    assert function.code_uri == ROOT / "functions" / "rotate_magic_link_key"
    assert function.handler == "app.lambda_handler"
    assert (function.runtime, function.layers) == ("python3.13", (ROOT / "layers/custom_auth",))
    assert function.timeout_seconds <= 60
    create = template.function("CreateAuthChallengeFunction").environment
    verify = template.function("VerifyAuthChallengeResponseFunction").environment
    alias = function.environment["MAGIC_LINK_KEY_ALIAS"]
    assert alias == create["MAGIC_LINK_KEY_ALIAS"] == verify["MAGIC_LINK_KEY_ALIAS"]
    assert alias == template.properties("MagicLinkKeyAlias")["AliasName"]
    assert alias + "-previous" == template.properties("MagicLinkPreviousKeyAlias")["AliasName"]
    # The new keys get the tag the template's key has, which Create's and Verify's policies ask.
    assert template.properties("MagicLinkKey")["Tags"] == [
        {"Key": KEY_TAG, "Value": function.environment["MAGIC_LINK_KEY_TAG"]}
    ]
    assert function.environment["MAGIC_LINK_KEY_TAG"] == LOCAL_STACK_NAME
    LinkKeyRotationSettings.from_env(function.environment)  # the function starts with them
    group = template.properties(FUNCTION, "LoggingConfig")["LoggingConfig"]["LogGroup"]
    assert group == "RotateMagicLinkKeyLogGroup"
    assert template.properties(group)["RetentionInDays"] == "90"
    alarm = template.properties("MagicLinkKeyRotationErrorsAlarm")
    assert alarm["Dimensions"] == [{"Name": "FunctionName", "Value": FUNCTION}]


@pytest.mark.parametrize(
    ("days", "expression"),
    [
        (None, "rate(90 days)"),
        ("1", "rate(1 day)"),
        ("11", "rate(11 days)"),
        ("21", "rate(21 days)"),
    ],
)
def test_the_schedule_is_every_magic_link_key_rotation_days(
    days: str | None, expression: str
) -> None:
    template = load(**({"MagicLinkKeyRotationDays": days} if days else {}))
    events = template.properties(FUNCTION, "Events")["Events"]
    [event] = events.values()
    assert event["Type"] == "ScheduleV2"
    assert event["Properties"]["ScheduleExpression"] == expression
    assert event["Properties"]["OmitName"] is True  # one per stack, not one per account


def test_the_rotation_may_touch_only_the_stacks_keys_and_aliases() -> None:
    template = load()
    policies = template.properties(FUNCTION, "Policies")["Policies"]
    statements = {s["Sid"]: s for policy in policies for s in policy["Statement"]}
    tag = {
        f"aws:RequestTag/{KEY_TAG}": LOCAL_STACK_NAME,
        f"aws:RequestTag/{CREATED_BY_TAG}": CREATED_BY,
    }
    for statement in statements.values():
        assert statement["Effect"] == "Allow"
    create = statements["MakeTheStacksMagicLinkKeysOnly"]
    assert create["Action"] == "kms:CreateKey" and create["Resource"] == "*"
    assert create["Condition"]["StringEquals"] == {
        **tag,
        "kms:KeySpec": "HMAC_256",
        "kms:KeyUsage": "GENERATE_VERIFY_MAC",
        "kms:KeyOrigin": "AWS_KMS",
    }
    tagging_statement = statements["TagTheNewKeyOnlyAsTheStacksRotationKey"]
    assert tagging_statement["Action"] == "kms:TagResource"
    assert tagging_statement["Condition"]["StringEquals"] == tag
    for statement in (create, tagging_statement):
        keys = statement["Condition"]["ForAllValues:StringEquals"]["aws:TagKeys"]
        assert sorted(keys) == sorted([KEY_TAG, CREATED_BY_TAG])
    aliases = statements["MoveTheStacksMagicLinkAliasesOnly"]
    prefix = "arn:aws:kms:us-east-1:123456789012:"
    assert aliases["Action"] == "kms:UpdateAlias"
    assert aliases["Resource"] == [
        prefix + template.properties(name)["AliasName"]
        for name in ("MagicLinkKeyAlias", "MagicLinkPreviousKeyAlias")
    ]
    keys = statements["ReadMoveAndRetireTheStacksKeysOnly"]
    assert keys["Resource"] == prefix + "key/*"
    assert keys["Condition"] == {"StringEquals": {f"aws:ResourceTag/{KEY_TAG}": LOCAL_STACK_NAME}}
    assert sorted(keys["Action"]) == [
        "kms:DescribeKey",
        "kms:DisableKey",
        "kms:ListResourceTags",
        "kms:ScheduleKeyDeletion",
        "kms:UpdateAlias",
    ]
    # Never the key's use, its policy, or its deletion undone.
    everything = json.dumps(policies)
    for action in ("GenerateMac", "VerifyMac", "PutKeyPolicy", "CancelKeyDeletion", "kms:*"):
        assert action not in everything
    assert statements["FindTheStacksKeysByTag"]["Action"] == "tag:GetResources"
