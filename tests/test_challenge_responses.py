"""The answer-key table, checked against the ChallengeResponses docs in botocore's model."""

import html
import json
import re
from typing import Any

import pytest
from botocore.loaders import Loader

from custom_auth.challenge_responses import (
    ANSWER_KEYS,
    SELECT_CHALLENGE_KEYS,
    build_challenge_responses,
)
from custom_auth.errors import ChallengeResponsesError

SHAPES: dict[str, Any] = Loader().load_service_model("cognito-idp", "service-2")["shapes"]


def plain(doc: str) -> str:
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", doc)))


def documented_examples() -> list[tuple[str, dict[str, str]]]:
    """Each ``"ChallengeName": X, "ChallengeResponses": {...}`` example of the docs."""
    doc = plain(
        SHAPES["RespondToAuthChallengeRequest"]["members"]["ChallengeResponses"]["documentation"]
    )
    examples = []
    for name, body in re.findall(
        r'"ChallengeName": "(\w+)", "ChallengeResponses": (\{[^}]*\})', doc
    ):
        # Placeholders such as [timestamp] are unquoted in the docs: quote them to read JSON.
        body = re.sub(r":\s*(\[[^\]\"]*\])", r': "\1"', body)
        examples.append((name, json.loads(body)))
    return examples


EXAMPLES = documented_examples()


def test_the_documentation_has_the_examples_we_check_against() -> None:
    names = {name for name, _ in EXAMPLES}
    assert len(EXAMPLES) >= 15
    assert names >= {"CUSTOM_CHALLENGE", "PASSWORD_VERIFIER", "SELECT_CHALLENGE", "MFA_SETUP"}


@pytest.mark.parametrize(("name", "example"), EXAMPLES, ids=[n for n, _ in EXAMPLES])
def test_each_documented_example_asks_for_exactly_our_keys(
    name: str, example: dict[str, str]
) -> None:
    keys = set(example) - {"USERNAME"}
    assert "USERNAME" in example
    required = set(ANSWER_KEYS[name].required)
    if name == "SELECT_CHALLENGE" and example["ANSWER"] in SELECT_CHALLENGE_KEYS:
        required |= set(SELECT_CHALLENGE_KEYS[example["ANSWER"]])
    assert keys == required


def test_every_challenge_in_our_table_is_documented() -> None:
    documented = {name for name, _ in EXAMPLES}
    # EMAIL_MFA has no example; the ChallengeName documentation names its key.
    challenge_doc = plain(
        SHAPES["AdminInitiateAuthResponse"]["members"]["ChallengeName"]["documentation"]
    )
    assert (
        "EMAIL_MFA : Respond with the code that your user pool delivered in an email message, "
        "as EMAIL_MFA_CODE" in challenge_doc
    )
    assert set(ANSWER_KEYS) - documented == {"EMAIL_MFA"}
    assert ANSWER_KEYS["EMAIL_MFA"].required == ("EMAIL_MFA_CODE",)


# The generic SELECT_CHALLENGE example answers "[Challenge name]": no real choice to build.
BUILDABLE = [(n, e) for n, e in EXAMPLES if e.get("ANSWER") != "[Challenge name]"]


@pytest.mark.parametrize(("name", "example"), BUILDABLE, ids=[n for n, _ in BUILDABLE])
def test_each_documented_example_can_be_built(name: str, example: dict[str, str]) -> None:
    if name == "SELECT_MFA_TYPE":  # the docs' ANSWER is "[SMS_MFA|EMAIL_MFA|SOFTWARE_TOKEN_MFA]"
        example = {**example, "ANSWER": "EMAIL_MFA"}
    answers = {k: v for k, v in example.items() if k != "USERNAME"}
    built = build_challenge_responses(
        name, "alice", client_id="c", client_secret=None, answers=answers
    )
    assert built == {**example, "USERNAME": "alice"}


def test_select_challenge_lists_the_documented_choices() -> None:
    doc = plain(
        SHAPES["RespondToAuthChallengeRequest"]["members"]["ChallengeResponses"]["documentation"]
    )
    assert (
        "Available challenges are PASSWORD , PASSWORD_SRP , EMAIL_OTP , SMS_OTP , and WEB_AUTHN"
        in doc
    )
    assert set(SELECT_CHALLENGE_KEYS) == {
        "PASSWORD",
        "PASSWORD_SRP",
        "EMAIL_OTP",
        "SMS_OTP",
        "WEB_AUTHN",
    }


def test_the_generic_select_challenge_example_is_refused_until_a_real_choice_is_made() -> None:
    with pytest.raises(ChallengeResponsesError, match="ANSWER must be one of"):
        build_challenge_responses(
            "SELECT_CHALLENGE",
            "alice",
            client_id="c",
            client_secret=None,
            answers={"ANSWER": "[Challenge name]"},
        )
