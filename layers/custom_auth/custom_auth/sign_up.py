"""Passwordless sign-up: an address nobody has an account for gets one once it is proven.

One entry for everyone. With ``SIGN_UP=true`` every sign-in starts with the choice round, and
the client answers it with the address as the person typed it (``ClientMetadata.signUpAddress``),
whoever they are: the triggers never see what was typed for an unknown user (Cognito gives
them a made-up ``userName``), and the client cannot know whether an account exists.

- A **known user**: the address is ignored; the sign-in goes on as without sign-up.
- An **unknown user**: Verify records the address beside the choice (if it is one the method can
  send to, and its email domain is on ``SIGN_UP_EMAIL_DOMAINS``), and the method's first round
  sends a real code to it, held to the same per-address throttle, lockout and pool cap as a
  sign-in's send (the state item is the address's, :func:`sign_up_key`). Otherwise nothing is
  sent and no answer can be right: exactly what an unknown user got before.
- **The right code** creates the account (:class:`CognitoAccounts`): ``AdminCreateUser`` with the
  address marked verified and ``SIGN_UP_ATTRIBUTES``, no message, then a random permanent
  password nobody ever learns. Before that, one claim per address (a conditional write) and one
  count against ``SIGN_UP_MAX_PER_HOUR``; an address that has an account by then gets none.
  The proven code is bound to the new account, and the next sign-in of that account reuses it
  instead of sending (:attr:`~custom_auth.limits.UserState.sign_up_until`).
- **Cognito cannot issue tokens in a sign-in that began for nobody**, so the sign-in ends with one
  more round, ``SIGN_IN_METHOD=SIGNED_UP``, that nothing can answer: the client signs in again at
  once with the same username, method and code, and gets tokens. Only the person who proved the
  address ever sees that round.

No account exists before its address is proven, so there is nothing to take over: an account
made by someone else (an administrator, or ``SignUp`` where the pool allows it) is never signed
into by a sign-up, and one whose address is unverified gets no codes at all.
"""

import os
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple, Protocol, Self

from custom_auth.errors import CustomAuthError
from custom_auth.flow_settings import FlowSettings, SettingsError, _flag, _integer
from custom_auth.state_store import _error_code

#: The ClientMetadata key of the choice's answer that carries the address typed.
ADDRESS_METADATA_KEY = "signUpAddress"
#: The round that ends a sign-up's sign-in: the client signs in again.
SIGNED_UP = "SIGNED_UP"
#: The private parameter of a sign-up round: the address the code went to.
PRIVATE_KEY = "signUp"
#: How long the claim on an address lasts: one Verify creates its account; a failed one is
#: tried again after this.
CLAIM_SECONDS = 60

_EMAIL = re.compile(r"[^@\s,;<>()\[\]\\\"]{1,64}@[A-Za-z0-9.-]{1,253}\.[A-Za-z]{2,63}")
_E164 = re.compile(r"\+[1-9][0-9]{6,14}")
_DOMAIN = re.compile(r"(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}")
_ATTRIBUTE = re.compile(r"(?:custom:)?[A-Za-z0-9_]{1,20}")
#: Attributes the sign-up sets itself from the proven address.
_OWN_ATTRIBUTES = frozenset(
    {"email", "email_verified", "phone_number", "phone_number_verified", "sub"}
)


class Address(NamedTuple):
    """An address a sign-up may prove: the attribute it is (``email``, ``phone_number``) and
    its value, in canonical form (an email address in lower case; a phone number in E.164)."""

    attribute: str
    value: str

    def __repr__(self) -> str:
        # An address is personal data: never in a log line by accident.
        return f"Address({self.attribute}, <redacted>)"

    @property
    def verified_attribute(self) -> str:
        """``email_verified`` or ``phone_number_verified``."""
        return f"{self.attribute}_verified"

    def as_attributes(self) -> dict[str, str]:
        """The attributes of a user whose address this is, proven."""
        return {self.attribute: self.value, self.verified_attribute: "true"}


def parse_address(raw: object, attribute: str) -> Address | None:
    """``raw`` as an address of kind ``attribute`` (``email`` or ``phone_number``); None if it
    is not one."""
    if not isinstance(raw, str) or len(raw) > 320:
        return None
    text = raw.strip()
    if attribute == "email" and _EMAIL.fullmatch(text):
        return Address("email", text.lower())
    if attribute == "phone_number" and _E164.fullmatch(text):
        return Address("phone_number", text)
    return None


@dataclass(frozen=True)
class SignUpSettings:
    """What sign-up needs: whether it is on, who may sign up, what they get, how many."""

    #: ``SIGN_UP``: an unknown address that proves itself gets an account (default false).
    enabled: bool = False
    #: ``SIGN_UP_EMAIL_DOMAINS``: the email domains that may sign up, comma separated (exact
    #: match, lower case); empty: any.
    email_domains: tuple[str, ...] = ()
    #: ``SIGN_UP_ATTRIBUTES``: attributes every new account gets, ``name=value`` pairs separated
    #: by commas (``locale=en,custom:plan=free``).
    attributes: tuple[tuple[str, str], ...] = ()
    #: ``SIGN_UP_MAX_PER_HOUR``: at most this many accounts made by sign-up in a clock hour, for
    #: the whole pool (default 100, 1 to 100,000).
    max_per_hour: int = 100
    #: ``SIGN_UP_MAX_SENDS_PER_HOUR``: at most this many sign-up messages in a clock hour, for
    #: the whole pool (default 100, 1 to 1,000,000), counted before the pool's own cap
    #: (``POOL_MAX_SENDS_PER_HOUR``), so that sign-ups, which anyone can start, never use up
    #: the messages of the people who have accounts.
    max_sends_per_hour: int = 100
    #: ``SIGN_UP_USERNAME_ATTRIBUTE``: what the pool's usernames are, ``email`` (default) or
    #: ``phone_number`` (the template's ``UsernameAttributes``): an account's username is its
    #: address, so only an address of that kind may sign up.
    username_attribute: str = "email"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Self:
        """Read ``SIGN_UP``, ``SIGN_UP_EMAIL_DOMAINS``, ``SIGN_UP_ATTRIBUTES`` and
        ``SIGN_UP_MAX_PER_HOUR``."""
        env = os.environ if env is None else env
        FlowSettings.from_env(env)  # SIGN_UP with AUTH_FLOW: the same rule as Define's
        attribute = env.get("SIGN_UP_USERNAME_ATTRIBUTE", "").strip() or "email"
        if attribute not in ("email", "phone_number"):
            raise SettingsError(
                f"SIGN_UP_USERNAME_ATTRIBUTE: must be email or phone_number; got {attribute!r}"
            )
        enabled = _flag(env, "SIGN_UP", False)
        sends = _integer(env, "SIGN_UP_MAX_SENDS_PER_HOUR", 100, 1, 1_000_000)
        pool = _integer(env, "POOL_MAX_SENDS_PER_HOUR", 500, 1, 1_000_000)
        if enabled and sends > pool // 2:
            raise SettingsError(
                "SIGN_UP_MAX_SENDS_PER_HOUR: must be at most half of POOL_MAX_SENDS_PER_HOUR "
                f"({pool // 2}), so that sign-ups, which anyone can start, leave the pool's "
                f"messages to the people who have accounts; got {sends}"
            )
        return cls(
            enabled=enabled,
            email_domains=_domains(env.get("SIGN_UP_EMAIL_DOMAINS", "")),
            attributes=_attributes(env.get("SIGN_UP_ATTRIBUTES", "")),
            max_per_hour=_integer(env, "SIGN_UP_MAX_PER_HOUR", 100, 1, 100_000),
            max_sends_per_hour=sends,
            username_attribute=attribute,
        )

    def allows(self, address: Address) -> bool:
        """Whether ``address`` may sign up: it is of the kind the pool's usernames are, and its
        domain is on the list (email), or any."""
        if address.attribute != self.username_attribute:
            return False
        if address.attribute != "email" or not self.email_domains:
            return True
        return address.value.rpartition("@")[2] in self.email_domains


def _domains(raw: str) -> tuple[str, ...]:
    name = "SIGN_UP_EMAIL_DOMAINS"
    if not raw.strip():
        return ()
    domains = tuple(part.strip().lower() for part in raw.split(","))
    for domain in domains:
        if not _DOMAIN.fullmatch(domain) or len(domain) > 253:
            raise SettingsError(
                f"{name}: each must be a domain name such as example.com, separated by commas;"
                f" got {domain!r}"
            )
    if len(domains) > 100:
        raise SettingsError(f"{name}: at most 100 domains; got {len(domains)}")
    return domains


def _attributes(raw: str) -> tuple[tuple[str, str], ...]:
    name = "SIGN_UP_ATTRIBUTES"
    if not raw.strip():
        return ()
    pairs = []
    for part in raw.split(","):
        key, equals, value = part.strip().partition("=")
        if not equals or not _ATTRIBUTE.fullmatch(key) or not value or len(value) > 256:
            raise SettingsError(
                f"{name}: each must be name=value (a Cognito attribute name, a value of 1 to 256 "
                f"characters), separated by commas; got {part.strip()!r}"
            )
        if key in _OWN_ATTRIBUTES:
            raise SettingsError(
                f"{name}: {key} comes from the address proven at sign-up and cannot be set"
            )
        pairs.append((key, value))
    if len({key for key, _ in pairs}) != len(pairs):
        raise SettingsError(f"{name}: names an attribute twice; got {raw.strip()!r}")
    return tuple(pairs)


@dataclass(frozen=True)
class SignUp:
    """Sign-up as the triggers run it: its settings, and what makes the accounts."""

    settings: SignUpSettings
    accounts: "Accounts"


def build(env: Mapping[str, str] | None = None) -> SignUp | None:
    """Sign-up as the environment configures it; None when ``SIGN_UP`` is not true."""
    settings = SignUpSettings.from_env(env)
    return SignUp(settings, CognitoAccounts()) if settings.enabled else None


def sign_up_key(user_pool_id: str, address: Address) -> str:
    """The state item of an address signing up (its sends, wrong answers, lockout)."""
    return f"#sign-up#{user_pool_id}#{address.value}"


def hash_name(address: Address) -> str:
    """The user name a sign-up's code is hashed under: the address, not the ``userName``
    Cognito makes up for an unknown user (what it holds is undocumented, and the local pool's
    depends on the exact text typed), so that a second sign-up of the address inside the
    cooldown, typed another way, takes the same code."""
    return f"#sign-up#{address.value}"


def claim_key(user_pool_id: str, address: Address) -> str:
    """The item whose conditional write lets one Verify create the address's account."""
    return f"#sign-up-claim#{user_pool_id}#{address.value}"


def sign_up_sends_key(user_pool_id: str, now: int) -> str:
    """The counter of sign-up messages in the clock hour of ``now``."""
    return f"#sign-up-sends#{user_pool_id}#{now // 3600}"


def sign_ups_key(user_pool_id: str, now: int) -> str:
    """The counter of accounts made by sign-up in the clock hour of ``now``."""
    return f"#sign-ups#{user_pool_id}#{now // 3600}"


# --- accounts -------------------------------------------------------------------------------


class SignUpError(CustomAuthError):
    """An account could not be made. Names the call and the AWS error code, never the address."""


class Accounts(Protocol):
    """Makes the accounts of proven addresses."""

    def create(
        self, user_pool_id: str, address: Address, attributes: tuple[tuple[str, str], ...]
    ) -> str | None:
        """Make a confirmed user whose ``address`` is verified; its username, or None when
        the pool already has a user with that username or address. Raises SignUpError."""
        ...


_EXISTS = frozenset({"UsernameExistsException", "AliasExistsException"})


class CognitoAccounts:
    """Accounts made with ``AdminCreateUser`` (no message) and ``AdminSetUserPassword``: a
    random permanent password of 40 characters from ``secrets``, never stored, never shown, so
    the user is CONFIRMED and signs in only by custom authentication.

    Each call is tried once (a retried ``AdminCreateUser`` whose first reply was lost would
    find its own user and call it someone else's). When ``AdminCreateUser`` fails, or finds
    the address taken, the user under it is finished instead only if it is what a lost reply
    of this very call left: not yet confirmed (``FORCE_CHANGE_PASSWORD``), made in the last
    minute, with this address verified. Anyone else's account is never touched."""

    #: How far back a user may have been made and still be this call's (a lost reply).
    ADOPT_SECONDS = 60

    def __init__(self, client: Any = None, clock: Any = None) -> None:
        self._client = client
        self._clock = clock

    @property
    def client(self) -> Any:
        if self._client is None:
            import boto3  # Verify has it already (DynamoDB); imported on first sign-up
            from botocore.config import Config

            once = Config(connect_timeout=1, read_timeout=2, retries={"total_max_attempts": 1})
            self._client = boto3.client("cognito-idp", config=once)
        return self._client

    def _now(self) -> float:
        import time

        return float((self._clock or time.time)())

    def create(
        self, user_pool_id: str, address: Address, attributes: tuple[tuple[str, str], ...]
    ) -> str | None:
        started = self._now()
        given = [{"Name": key, "Value": value} for key, value in attributes]
        given += [{"Name": k, "Value": v} for k, v in address.as_attributes().items()]
        try:
            user = self.client.admin_create_user(
                UserPoolId=user_pool_id,
                Username=address.value,
                UserAttributes=given,
                MessageAction="SUPPRESS",
            )["User"]
            username = str(user["Username"])
        except Exception as error:  # noqa: BLE001 - every failure is named by its code
            code = _error_code(error)
            adopted = self._left_by_this_call(user_pool_id, address, started)
            if adopted is None:
                if code in _EXISTS:
                    return None
                raise SignUpError(f"AdminCreateUser failed ({code})") from None
            username = adopted
        try:
            self.client.admin_set_user_password(
                UserPoolId=user_pool_id,
                Username=username,
                Password=_unknowable_password(),
                Permanent=True,
            )
        except Exception as error:  # noqa: BLE001
            code = _error_code(error)
            self._remove(user_pool_id, username)
            raise SignUpError(f"AdminSetUserPassword failed ({code})") from None
        return username

    def _left_by_this_call(self, user_pool_id: str, address: Address, started: float) -> str | None:
        """The username of the user under ``address`` if this call's lost reply made it (see
        the class); None for anyone else's, or for none."""
        try:
            user = self.client.admin_get_user(UserPoolId=user_pool_id, Username=address.value)
        except Exception:  # noqa: BLE001 - no such user, or none readable: nothing to finish
            return None
        found = {a["Name"]: a["Value"] for a in user.get("UserAttributes", [])}
        made = user.get("UserCreateDate")
        made_at = made.timestamp() if hasattr(made, "timestamp") else None
        if (
            user.get("UserStatus") != "FORCE_CHANGE_PASSWORD"
            or found.get(address.attribute) != address.value
            or found.get(address.verified_attribute) != "true"
            or made_at is None
            or not started - self.ADOPT_SECONDS <= made_at <= self._now() + self.ADOPT_SECONDS
        ):
            return None
        return str(user["Username"])

    def _remove(self, user_pool_id: str, username: str) -> None:
        # A user left in FORCE_CHANGE_PASSWORD would block the address's next sign-up.
        try:
            self.client.admin_delete_user(UserPoolId=user_pool_id, Username=username)
        except Exception as error:  # noqa: BLE001
            from custom_auth.observability import logger

            logger.error(
                "a half-made account stays (delete it by hand)",
                extra={"error": _error_code(error)},
            )


def _unknowable_password() -> str:
    # Every character class a password policy may ask for, then 256 bits from secrets.
    return "Aa1-" + secrets.token_urlsafe(32)
