"""Configuration, read once from the environment into frozen objects.

Each trigger reads only what it uses, at start-up (module import), so a bad value stops the
function before it answers a single sign-in, with an error that names the variable and the
rule. Every variable is documented in the README's configuration table.
"""

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Self

from custom_auth.flow_settings import (
    AuthFlow,
    FlowSettings,
    SettingsError,
    _choice,
    _flag,
    _integer,
    _required,
    sign_in_methods,
)

__all__ = [
    "AuthFlow",
    "Channel",
    "CodeFormat",
    "CodeSettings",
    "DeliverySettings",
    "FlowSettings",
    "LimitSettings",
    "MagicLinkSettings",
    "SettingsError",
    "link_key_alias",
    "previous_key_alias",
    "redirect_uri_problem",
    "sign_in_methods",
]


class Channel(StrEnum):
    """How a one-time code reaches the user: the channel of a code method."""

    EMAIL = "email"
    SMS = "sms"


class CodeFormat(StrEnum):
    """``CODE_FORMAT``: what a code is made of."""

    #: Decimal digits: 3.3 bits each.
    DIGITS = "digits"
    #: Crockford's base 32 (0-9 and A-Z without I, L, O, U): 5 bits each, read case-insensitively.
    ALPHANUMERIC = "alphanumeric"


_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


@dataclass(frozen=True)
class CodeSettings:
    """What Create and Verify both need: the code's shape and lifetime, and the hashing key."""

    #: ``CODE_KEY_SECRET_ID``: the Secrets Manager secret whose value keys the code hashes.
    code_key_secret_id: str
    #: ``OTP_LENGTH``: digits (or characters) in a code (default 6, 6 to 20).
    otp_length: int = 6
    #: ``CODE_TTL_SECONDS``: how long a code is accepted (default 300, 30 to 600).
    code_ttl_seconds: int = 300
    #: ``CODE_FORMAT``: digits (default) or alphanumeric.
    code_format: CodeFormat = CodeFormat.DIGITS

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Self:
        """Read ``CODE_KEY_SECRET_ID``, ``OTP_LENGTH``, ``CODE_TTL_SECONDS`` and ``CODE_FORMAT``."""
        env = os.environ if env is None else env
        return cls(
            code_key_secret_id=_required(
                env, "CODE_KEY_SECRET_ID", "the secret that keys the code hashes"
            ),
            otp_length=_integer(env, "OTP_LENGTH", 6, 6, 20),
            code_ttl_seconds=_integer(env, "CODE_TTL_SECONDS", 300, 30, 600),
            code_format=_choice(env, "CODE_FORMAT", CodeFormat, CodeFormat.DIGITS),
        )


@dataclass(frozen=True)
class DeliverySettings:
    """What a code method needs to send a code: its channel, the sender and the wording."""

    #: The channel: email for EMAIL_OTP, sms for SMS_OTP.
    channel: Channel = Channel.EMAIL
    #: ``SENDER_EMAIL``: the verified SES identity codes are sent from (email channel).
    sender_email: str | None = None
    #: ``APP_NAME``: how messages name your application (default "My App").
    app_name: str = "My App"
    #: ``EMAIL_SUBJECT``: the subject of code emails (default "Your <APP_NAME> sign-in code").
    email_subject: str = ""
    #: ``SMS_ALLOWED_COUNTRY_CODES``: the calling codes (or longer E.164 prefixes, without +)
    #: that SMS may go to; required for the sms channel: none until the operator lists some.
    sms_allowed_country_codes: tuple[str, ...] = ()
    #: ``ALLOW_UNVERIFIED_DESTINATIONS``: send to an address or number whose ``*_verified``
    #: attribute is not true (default false: such a user gets nothing, like an unknown one).
    allow_unverified_destinations: bool = False

    def __post_init__(self) -> None:
        if not self.email_subject:
            object.__setattr__(self, "email_subject", f"Your {self.app_name} sign-in code")

    @classmethod
    def from_env(
        cls, env: Mapping[str, str] | None = None, channel: Channel = Channel.EMAIL
    ) -> Self:
        """Read what ``channel`` needs: ``SENDER_EMAIL`` (email) or ``SMS_ALLOWED_COUNTRY_CODES``
        (sms), and ``APP_NAME``, ``EMAIL_SUBJECT`` and ``ALLOW_UNVERIFIED_DESTINATIONS``."""
        env = os.environ if env is None else env
        sender = env.get("SENDER_EMAIL", "").strip() or None
        if channel is Channel.EMAIL:
            sender = _required(env, "SENDER_EMAIL", "SIGN_IN_METHODS includes EMAIL_OTP")
            if not _EMAIL.fullmatch(sender):
                raise SettingsError(f"SENDER_EMAIL: must be an email address; got {sender!r}")
        app_name = env.get("APP_NAME", "").strip() or "My App"
        if len(app_name) > 60:
            raise SettingsError("APP_NAME: must be at most 60 characters")
        subject = env.get("EMAIL_SUBJECT", "").strip()
        if len(subject) > 200:
            raise SettingsError("EMAIL_SUBJECT: must be at most 200 characters")
        return cls(
            channel=channel,
            sender_email=sender,
            app_name=app_name,
            email_subject=subject,
            sms_allowed_country_codes=_country_codes(env, channel),
            allow_unverified_destinations=_flag(env, "ALLOW_UNVERIFIED_DESTINATIONS", False),
        )


def _country_codes(env: Mapping[str, str], channel: Channel) -> tuple[str, ...]:
    name = "SMS_ALLOWED_COUNTRY_CODES"
    raw = env.get(name, "").strip()
    if not raw:
        if channel is Channel.SMS:
            raise SettingsError(
                f"{name}: is required (SIGN_IN_METHODS includes SMS_OTP): list the calling codes "
                "SMS may go to, such as 1,44; none is allowed until you do"
            )
        return ()
    codes = tuple(part.strip().removeprefix("+") for part in raw.split(","))
    for code in codes:
        if not re.fullmatch(r"[1-9][0-9]{0,5}", code):
            raise SettingsError(
                f"{name}: must be calling codes or E.164 prefixes of 1 to 6 digits, separated "
                f"by commas (such as 1,44); got {raw!r}"
            )
    return codes


#: The longest a lockout grows to, however often it repeats.
MAX_LOCKOUT_SECONDS = 86_400


@dataclass(frozen=True)
class LimitSettings:
    """What Create and Verify need to hold a user to the limits across sign-ins."""

    #: ``STATE_TABLE_NAME``: the DynamoDB table holding each user's sends, failures and lockout.
    state_table_name: str
    #: ``LOCKOUT_AFTER_FAILURES``: wrong answers, across sign-ins, that lock the user out of
    #: ordinary codes; a right answer does not forgive them, a day without one does (default
    #: 10, 1 to 100).
    lockout_after_failures: int = 10
    #: ``LOCKOUT_SECONDS``: how long the first lockout lasts; each repeat doubles it, up to a day
    #: (default 900, 60 to 86400).
    lockout_seconds: int = 900
    #: ``RESEND_COOLDOWN_SECONDS``: at most one message per user in this time; a new sign-in
    #: inside it reuses the code already sent (default 60, 1 to 600, at most CODE_TTL_SECONDS).
    resend_cooldown_seconds: int = 60
    #: ``MAX_SENDS_PER_HOUR``: at most this many messages per user in any hour (default 5, 1 to 60).
    max_sends_per_hour: int = 5
    #: ``BIND_CODE_TO_SIGN_IN``: a new sign-in inside the cooldown gets a new code of its own
    #: instead of the one already sent (default false; the hourly cap still holds).
    bind_code_to_sign_in: bool = False
    #: ``POOL_MAX_SENDS_PER_HOUR``: at most this many messages for the whole pool in a clock
    #: hour (default 500, 1 to 1,000,000).
    pool_max_sends_per_hour: int = 500
    #: ``CODE_TTL_SECONDS``: how long a sent secret matters to the state (default 300).
    code_ttl_seconds: int = 300

    def lockout_duration(self, lockouts: int) -> int:
        """How long the ``lockouts``-th lockout in a row lasts: doubling, at most a day."""
        doublings = min(max(lockouts, 1) - 1, 17)  # 2**17 seconds already exceed a day
        return min(self.lockout_seconds << doublings, MAX_LOCKOUT_SECONDS)

    @classmethod
    def from_env(
        cls, env: Mapping[str, str] | None = None, *, code_ttl_seconds: int | None = None
    ) -> Self:
        """Read ``STATE_TABLE_NAME`` and the limits; the cooldown must fit in a code's life
        (``code_ttl_seconds``, else ``CODE_TTL_SECONDS``)."""
        env = os.environ if env is None else env
        if code_ttl_seconds is None:
            code_ttl_seconds = _integer(env, "CODE_TTL_SECONDS", 300, 30, 600)
        table = _required(env, "STATE_TABLE_NAME", "the DynamoDB table of sends and lockouts")
        if not re.fullmatch(r"[A-Za-z0-9_.-]{3,255}", table):
            raise SettingsError(
                "STATE_TABLE_NAME: must be a DynamoDB table name (3 to 255 of A-Z a-z 0-9 _ . -)"
                f"; got {table!r}"
            )
        cooldown = _integer(env, "RESEND_COOLDOWN_SECONDS", 60, 1, 600)
        if cooldown > code_ttl_seconds:
            raise SettingsError(
                f"RESEND_COOLDOWN_SECONDS: must be at most CODE_TTL_SECONDS ({code_ttl_seconds}),"
                f" so that a reused code is still valid; got {cooldown}"
            )
        return cls(
            state_table_name=table,
            lockout_after_failures=_integer(env, "LOCKOUT_AFTER_FAILURES", 10, 1, 100),
            lockout_seconds=_integer(env, "LOCKOUT_SECONDS", 900, 60, MAX_LOCKOUT_SECONDS),
            resend_cooldown_seconds=cooldown,
            max_sends_per_hour=_integer(env, "MAX_SENDS_PER_HOUR", 5, 1, 60),
            bind_code_to_sign_in=_flag(env, "BIND_CODE_TO_SIGN_IN", False),
            pool_max_sends_per_hour=_integer(env, "POOL_MAX_SENDS_PER_HOUR", 500, 1, 1_000_000),
            code_ttl_seconds=code_ttl_seconds,
        )


#: A redirect URI may be http only on this machine's own names (the local pool's page).
_LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
_KMS_ALIAS = re.compile(r"alias/[A-Za-z0-9/_-]{1,240}")


@dataclass(frozen=True)
class MagicLinkSettings:
    """What MAGIC_LINK needs beyond a code method's settings: the key and the allowed pages."""

    #: ``MAGIC_LINK_KEY_ALIAS``: the alias of the KMS HMAC key links are signed with; the key
    #: before the last rotation is ``<alias>-previous``, and links it signed are still accepted.
    key_alias: str
    #: ``MAGIC_LINK_REDIRECT_URIS``: the sign-in pages a link may point to, comma separated; a
    #: client names one (``ClientMetadata.redirectUri``) or gets the first.
    redirect_uris: tuple[str, ...]

    @property
    def previous_key_alias(self) -> str:
        """The alias of the key before the last rotation."""
        return previous_key_alias(self.key_alias)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Self:
        """Read ``MAGIC_LINK_KEY_ALIAS`` and ``MAGIC_LINK_REDIRECT_URIS``."""
        env = os.environ if env is None else env
        why = "SIGN_IN_METHODS includes MAGIC_LINK"
        alias = link_key_alias(env, why)
        raw = _required(env, "MAGIC_LINK_REDIRECT_URIS", why)
        uris = tuple(part.strip() for part in raw.split(","))
        for uri in uris:
            problem = redirect_uri_problem(uri)
            if problem is not None:
                raise SettingsError(f"MAGIC_LINK_REDIRECT_URIS: each {problem}; got {uri!r}")
        if len(uris) > 10 or len(set(uris)) != len(uris):
            raise SettingsError(
                f"MAGIC_LINK_REDIRECT_URIS: at most 10 different URIs; got {len(uris)}"
            )
        return cls(key_alias=alias, redirect_uris=uris)


def link_key_alias(env: Mapping[str, str], why: str) -> str:
    """``MAGIC_LINK_KEY_ALIAS``: the alias of a customer managed KMS key (required: ``why``)."""
    alias = _required(env, "MAGIC_LINK_KEY_ALIAS", why)
    if not _KMS_ALIAS.fullmatch(alias) or alias.startswith("alias/aws/"):
        raise SettingsError(
            "MAGIC_LINK_KEY_ALIAS: must be the alias of a customer managed KMS key "
            f"(alias/ then letters, digits, / _ -); got {alias!r}"
        )
    return alias


def previous_key_alias(alias: str) -> str:
    """The alias that names the magic-link key before the last rotation: ``<alias>-previous``."""
    return alias + "-previous"


def redirect_uri_problem(uri: str) -> str | None:
    """What is wrong with ``uri`` as a page a link may point to (None: nothing): it must be
    an absolute https URL without a fragment (the link's secret goes there), or http on
    localhost, 127.0.0.1 or [::1]."""
    from urllib.parse import urlsplit

    if not uri or len(uri) > 1000 or not uri.isascii() or any(c in uri for c in " \"'<>\\"):
        return "must be an absolute URL of at most 1000 ASCII characters, no spaces or quotes"
    try:
        parts = urlsplit(uri)
        parts.port  # noqa: B018 - raises ValueError for a port that is not one
    except ValueError:
        return "must be an absolute URL"
    if "#" in uri:
        return "must have no fragment (the link's secret goes there)"
    if parts.username is not None or parts.password is not None or not parts.hostname:
        return "must name a host, and no user or password"
    if parts.scheme == "https":
        return None
    if parts.scheme == "http" and parts.hostname in _LOOPBACK_HOSTS:
        return None
    return "must use https (http only on localhost, 127.0.0.1 or [::1])"
