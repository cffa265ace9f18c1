"""The ``ChallengeResponses`` map of a RespondToAuthChallenge call, and ``SECRET_HASH``.

Which answer keys each challenge takes follows the ChallengeResponses documentation of the
botocore model (the ChallengeResponseType page of the API reference); a test compares the two.
"""

import base64
import hashlib
import hmac
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from custom_auth.errors import ChallengeResponsesError

USERNAME = "USERNAME"
SECRET_HASH = "SECRET_HASH"  # noqa: S105 - the name of the key, not a secret
DEVICE_KEY = "DEVICE_KEY"
_USER_ATTRIBUTES_PREFIX = "userAttributes."


@dataclass(frozen=True)
class AnswerKeys:
    """The answer keys one challenge takes, besides USERNAME and SECRET_HASH."""

    required: tuple[str, ...]
    optional: tuple[str, ...] = (DEVICE_KEY,)
    #: Any key with one of these prefixes is also accepted.
    optional_prefixes: tuple[str, ...] = ()


_SRP_PROOF = ("PASSWORD_CLAIM_SIGNATURE", "PASSWORD_CLAIM_SECRET_BLOCK", "TIMESTAMP")

#: Answer keys by challenge name. EMAIL_MFA is documented though ChallengeNameType lacks it.
ANSWER_KEYS: Mapping[str, AnswerKeys] = {
    "SMS_MFA": AnswerKeys(("SMS_MFA_CODE",)),
    "EMAIL_MFA": AnswerKeys(("EMAIL_MFA_CODE",)),
    "EMAIL_OTP": AnswerKeys(("EMAIL_OTP_CODE",)),
    "SMS_OTP": AnswerKeys(("SMS_OTP_CODE",)),
    "SOFTWARE_TOKEN_MFA": AnswerKeys(("SOFTWARE_TOKEN_MFA_CODE",)),
    "SELECT_MFA_TYPE": AnswerKeys(("ANSWER",)),
    # MFA_SETUP is answered with the Session that VerifySoftwareToken returned, not a key.
    "MFA_SETUP": AnswerKeys(()),
    "PASSWORD_VERIFIER": AnswerKeys(_SRP_PROOF),
    "CUSTOM_CHALLENGE": AnswerKeys(("ANSWER",)),
    # SELECT_CHALLENGE also needs the key of the chosen challenge: SELECT_CHALLENGE_KEYS.
    "SELECT_CHALLENGE": AnswerKeys(("ANSWER",)),
    "DEVICE_SRP_AUTH": AnswerKeys((DEVICE_KEY, "SRP_A"), optional=()),
    "DEVICE_PASSWORD_VERIFIER": AnswerKeys((DEVICE_KEY, *_SRP_PROOF), optional=()),
    "NEW_PASSWORD_REQUIRED": AnswerKeys(
        ("NEW_PASSWORD",), optional_prefixes=(_USER_ATTRIBUTES_PREFIX,)
    ),
    "PASSWORD": AnswerKeys(("PASSWORD",)),
    "WEB_AUTHN": AnswerKeys(("CREDENTIAL",)),
    "PASSWORD_SRP": AnswerKeys(("SRP_A",)),
}

#: SELECT_CHALLENGE: the extra key each choice of ANSWER needs.
SELECT_CHALLENGE_KEYS: Mapping[str, tuple[str, ...]] = {
    "PASSWORD": ("PASSWORD",),
    "PASSWORD_SRP": ("SRP_A",),
    "WEB_AUTHN": ("CREDENTIAL",),
    "SMS_OTP": (),
    "EMAIL_OTP": (),
}

#: SELECT_MFA_TYPE: the documented choices of ANSWER.
SELECT_MFA_TYPE_CHOICES = ("SMS_MFA", "EMAIL_MFA", "SOFTWARE_TOKEN_MFA")

#: Challenges that are never answered through RespondToAuthChallenge.
UNANSWERABLE = frozenset({"ADMIN_NO_SRP_AUTH"})


def secret_hash(username: str, client_id: str, client_secret: str) -> str:
    """``SECRET_HASH``: Base64(HMAC-SHA256(key=client secret, message=username + client id))."""
    digest = hmac.new(
        client_secret.encode("utf-8"), (username + client_id).encode("utf-8"), hashlib.sha256
    ).digest()
    return base64.b64encode(digest).decode("ascii")


def build_challenge_responses(
    challenge_name: str,
    username: str,
    *,
    client_id: str,
    client_secret: str | None,
    answers: Mapping[str, object],
    required_attributes: Sequence[str] = (),
    available_challenges: Sequence[str] | None = None,
) -> dict[str, str]:
    """The ``ChallengeResponses`` map answering ``challenge_name`` for ``username``.

    ``answers`` are the challenge's own keys (``ANSWER``, ``SMS_MFA_CODE``, ...). A key the
    challenge needs and lacks, a key it does not take, a value that is not a string, or a
    USERNAME or SECRET_HASH passed by hand raises :class:`ChallengeResponsesError` listing
    what the challenge needs. Challenge names this table does not know take any answers.
    """
    if challenge_name in UNANSWERABLE:
        raise ChallengeResponsesError(
            f"{challenge_name} is an authentication flow, not a challenge to answer"
        )
    for key in (USERNAME, SECRET_HASH):
        if key in answers:
            raise ChallengeResponsesError(
                f"{key} is filled in for you: do not pass it among the answers"
            )
    checked: dict[str, str] = {}
    for key, value in answers.items():
        if not isinstance(value, str):
            raise ChallengeResponsesError(f"{key}: must be a string, got {type(value).__name__}")
        checked[key] = value

    keys = ANSWER_KEYS.get(challenge_name)
    if keys is not None:
        _check_keys(challenge_name, keys, checked, required_attributes, available_challenges)

    responses = {USERNAME: username, **checked}
    if client_secret is not None:
        responses[SECRET_HASH] = secret_hash(username, client_id, client_secret)
    return responses


def _check_keys(
    challenge_name: str,
    keys: AnswerKeys,
    answers: Mapping[str, str],
    required_attributes: Sequence[str],
    available_challenges: Sequence[str] | None,
) -> None:
    required = list(keys.required)
    if challenge_name == "NEW_PASSWORD_REQUIRED":
        required += [_user_attribute_key(name) for name in required_attributes]
    if challenge_name == "SELECT_CHALLENGE" and "ANSWER" in answers:
        required += _select_challenge_keys(answers["ANSWER"], available_challenges)
    mfa_choice = answers.get("ANSWER") if challenge_name == "SELECT_MFA_TYPE" else None
    if mfa_choice is not None and mfa_choice not in SELECT_MFA_TYPE_CHOICES:
        raise ChallengeResponsesError(
            f"SELECT_MFA_TYPE: ANSWER must be one of {', '.join(SELECT_MFA_TYPE_CHOICES)}"
        )

    needs = ", ".join(required) if required else "no answer keys"
    missing = [key for key in required if key not in answers]
    if missing:
        raise ChallengeResponsesError(
            f"{challenge_name} needs {needs}; missing: {', '.join(missing)}"
        )
    allowed = {*required, *keys.optional}
    unknown = sorted(
        key
        for key in answers
        if key not in allowed and not any(key.startswith(p) for p in keys.optional_prefixes)
    )
    if unknown:
        optional = [*keys.optional, *(f"{p}*" for p in keys.optional_prefixes)]
        extra = f" (optional: {', '.join(optional)})" if optional else ""
        raise ChallengeResponsesError(
            f"{challenge_name} does not take {', '.join(unknown)}; it needs {needs}{extra}"
        )


def _select_challenge_keys(choice: str, available_challenges: Sequence[str] | None) -> list[str]:
    if choice not in SELECT_CHALLENGE_KEYS:
        raise ChallengeResponsesError(
            f"SELECT_CHALLENGE: ANSWER must be one of {', '.join(SELECT_CHALLENGE_KEYS)}"
        )
    if available_challenges is not None and choice not in available_challenges:
        raise ChallengeResponsesError(
            "SELECT_CHALLENGE: ANSWER must be one of the AvailableChallenges "
            f"({', '.join(available_challenges)})"
        )
    return list(SELECT_CHALLENGE_KEYS[choice])


def _user_attribute_key(name: str) -> str:
    # Cognito lists required attributes as "userAttributes.<name>"; accept bare names too.
    return name if name.startswith(_USER_ATTRIBUTES_PREFIX) else _USER_ATTRIBUTES_PREFIX + name
