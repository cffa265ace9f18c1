"""PASSKEY: the user signs in with a WebAuthn credential (a passkey) registered before.

**Create** presents ``PASSKEY_OPTIONS``, the request options for ``navigator.credentials.get``
(:func:`custom_auth.passkeys.request_options`): a fresh challenge of 32 random bytes, the RP
id, the user's credential ids with their transports, the timeout and user verification. The
challenge is also kept in the private parameters, with when it was made: that is what binds
the round to it. A user with no passkey, and a user who does not exist, get made-up credential
ids all the same (:func:`decoys`): one to four, of the lengths and transports real passkeys
have, all of it drawn from an HMAC of the user name under the decoy key
(``PASSKEY_DECOY_KEY_SECRET_ID``, a secret the template generates and never rotates), so the
same each time, as a real user's are, and not to be told from real ones without the key.
Every round computes them and queries the credentials table, whoever the user is.

**Verify** takes the assertion (``AuthenticationResponseJSON``, as JSON, as the answer) and
refuses it, as a wrong answer counted towards the lockout and logged by reason alone, unless:

- it is well formed and within bounds (:class:`custom_auth.passkeys.Assertion`);
- its credential is registered, and this user's (the item's owner, and the ``sub`` it was
  registered by, so a user name given again does not inherit passkeys), and its
  ``userHandle``, if sent, is this user's name;
- its challenge is this round's, unexpired; or a usernameless sign-in's, which the client
  fetched before InitiateAuth (``POST /passkeys/sign-in-challenge``) and which is taken, once,
  with a conditional delete;
- the library's checks pass (:func:`custom_auth.passkeys.verify_assertion`): type, origin,
  rpIdHash of an allowed RP id, user presence, user verification when required, the signature
  and a sign count that increased (0 and 0 allowed);
- the new sign count is written on the condition that the stored one is still the one read.

A right assertion's ``secret_id`` is its challenge's hash, so one assertion signs in once (the
limits record it used). A passkey cannot be guessed, so it signs in during a lockout.
"""

import hashlib
import hmac
import secrets
from collections.abc import Mapping, Sequence
from typing import TypeVar

from custom_auth.code_key import CodeKey
from custom_auth.credentials import Credential, CredentialStore, owner_key
from custom_auth.events import CreateAuthChallengeEvent, VerifyAuthChallengeResponseEvent
from custom_auth.flow_settings import _required
from custom_auth.methods.base import Challenge, Judgement, Limits, MethodLimits
from custom_auth.methods.code import shared_key
from custom_auth.observability import Metric, count, logger, state_unavailable
from custom_auth.otp import CLOCK_SKEW_SECONDS
from custom_auth.passkeys import (
    CHALLENGE_BYTES,
    SIGN_IN,
    Assertion,
    PasskeyRefused,
    PasskeySettings,
    b64url,
    compact,
    from_b64url,
    request_options,
    round_parameters,
    verify_assertion,
)
from custom_auth.passkeys import CHALLENGE_PARAMETER as _CHALLENGE
from custom_auth.passkeys import ISSUED_AT_PARAMETER as _ISSUED_AT
from custom_auth.sign_up import Address
from custom_auth.state_store import StateUnavailableError
from custom_auth.verdict import Verdict

NAME = "PASSKEY"
_T = TypeVar("_T")
#: The most credential ids a round lists (the newest: the round carries them in its metadata).
_MAX_LISTED = 10
#: What made-up credentials look like, each with its weight (of 256, drawn from one byte):
#: how many a user has, how long an id is, and which transports the browser reported. The
#: lengths are those of the common passkey providers (16: Google Password Manager, Bitwarden;
#: 20: iCloud Keychain; 32: Windows Hello, 1Password; 64: security keys).
_DECOY_COUNTS: Sequence[tuple[int, int]] = ((1, 184), (2, 52), (3, 14), (4, 6))
_DECOY_LENGTHS: Sequence[tuple[int, int]] = ((16, 80), (20, 72), (32, 80), (64, 24))
_DECOY_TRANSPORTS: Sequence[tuple[tuple[str, ...], int]] = (
    (("hybrid", "internal"), 176),
    (("internal",), 40),
    (("nfc", "usb"), 28),
    (("usb",), 12),
)


class PasskeyMethod:
    """Sign-in with a registered passkey (see the module)."""

    name = NAME
    limits = MethodLimits(guessable=False, sends_over=None)

    def __init__(self, settings: PasskeySettings, store: CredentialStore, key: CodeKey) -> None:
        self.settings = settings
        self.store = store
        self.key = key

    def __repr__(self) -> str:
        return f"PasskeyMethod(rp {','.join(self.settings.rp_ids)}, {self.store!r})"

    def usable(self, attributes: Mapping[str, str]) -> bool:
        """Anyone may be offered it: whether a user has a passkey is in the credentials table,
        not the attributes, and an offer that depended on it would tell who has one."""
        return True

    def option(self, client_metadata: Mapping[str, str]) -> str | None:
        """One way only."""
        return ""

    def sign_up_address(self, raw: str) -> Address | None:
        """Nobody signs up with a passkey: one is registered by a user signed in already."""
        return None

    def rebind(
        self, event: VerifyAuthChallengeResponseEvent, user_name: str, address: Address
    ) -> None:
        return None

    # --- Create -----------------------------------------------------------------------------

    def start(
        self,
        event: CreateAuthChallengeEvent,
        limits: Limits,
        now: int,
        option: str = "",
        sign_up: Address | None = None,
    ) -> Challenge:
        """The request options for this user's passkeys (a made-up one if there are none)."""
        owner = owner_key(event.user_pool_id, event.user_name)
        try:
            credentials = self.store.owned_by(owner, event.user_attributes.get("sub", ""))
        except StateUnavailableError as error:
            state_unavailable("the passkeys are not listed", error)
            credentials = []
        # The decoys are made for everyone (and the key read), so no user's round is quicker.
        made_up = decoys(self.key.current().secret, event.user_pool_id, event.user_name)
        if event.user_not_found:
            credentials = []
        allowed = [(c.credential_id, c.transports) for c in credentials[:_MAX_LISTED]]
        allowed = allowed or made_up
        challenge = secrets.token_bytes(CHALLENGE_BYTES)
        options = compact(request_options(self.settings, challenge, allowed))
        body = f"{now}|{b64url(challenge)}|{options}"
        return _challenge(body, {"plan": "options", "credentials": len(credentials)})

    def carry(self, body: str) -> Challenge:
        """The same options and challenge stand (a wrong assertion does not use them up)."""
        return _challenge(body, {"plan": "carry", "why": "the round's challenge stands"})

    # --- Verify -----------------------------------------------------------------------------

    def judge(self, event: VerifyAuthChallengeResponseEvent, now: int) -> Judgement:
        """Right only for this user's assertion over this round's (or a usernameless)
        challenge, as the module says."""
        private = event.private_challenge_parameters
        try:
            challenge = from_b64url(private.get(_CHALLENGE), _CHALLENGE, CHALLENGE_BYTES)
            issued_at = int(private.get(_ISSUED_AT, ""))
        except (PasskeyRefused, ValueError):
            logger.error("cannot check the answer", extra={"error": "not a round Create made"})
            return Judgement(Verdict.MALFORMED)
        try:
            assertion = Assertion.parse(event.challenge_answer)
        except PasskeyRefused as refusal:
            return _refused(str(refusal), Verdict.MALFORMED)
        try:
            return self._judge(event, assertion, challenge, issued_at, now)
        except PasskeyRefused as refusal:
            return _refused(str(refusal))
        except StateUnavailableError as error:
            state_unavailable("the passkey is refused", error)
            return Judgement(Verdict.WRONG)

    def _judge(
        self,
        event: VerifyAuthChallengeResponseEvent,
        assertion: Assertion,
        challenge: bytes,
        issued_at: int,
        now: int,
    ) -> Judgement:
        credential = self.store.get(assertion.credential_id)
        owner = owner_key(event.user_pool_id, event.user_name)
        if credential is None:
            raise PasskeyRefused("an unknown credential")
        if event.user_not_found or not hmac.compare_digest(
            credential.owner.encode(), owner.encode()
        ):
            raise PasskeyRefused("another user's credential")
        # A user name can be given again after its user is deleted: the passkey is the sub's.
        sub = event.user_attributes.get("sub", "")
        if not hmac.compare_digest(credential.sub.encode(), sub.encode()):
            raise PasskeyRefused("an earlier user's credential (sub)")
        handle = assertion.user_handle
        if handle is not None and not hmac.compare_digest(handle, event.user_name.encode()):
            raise PasskeyRefused("another user's credential (userHandle)")
        lifetime = self.settings.timeout_seconds + CLOCK_SKEW_SECONDS
        usernameless = not hmac.compare_digest(assertion.challenge, challenge)
        fresh = issued_at - CLOCK_SKEW_SECONDS <= now <= issued_at + lifetime
        if not usernameless and not fresh:
            return _refused("a stale challenge", Verdict.EXPIRED)
        new_count = verify_assertion(
            self.settings,
            assertion,
            challenge=assertion.challenge if usernameless else challenge,
            public_key=credential.public_key,
            sign_count=credential.sign_count,
        )
        # Only now, with the signature checked, is a usernameless challenge taken: nobody can
        # use up another's by sending it.
        if usernameless and not self.store.take_challenge(SIGN_IN, assertion.challenge, "", now):
            raise PasskeyRefused("a stale or replayed challenge")
        if not self.store.record_use(credential, new_count, now):
            raise PasskeyRefused("the sign count changed since it was read")
        return _right(credential, assertion.challenge, now, lifetime)


def decoys(key: bytes, user_pool_id: str, user_name: str) -> list[tuple[bytes, tuple[str, ...]]]:
    """The made-up credentials of a user without passkeys: how many, their ids, lengths and
    transports, all drawn from HMAC-SHA256 under ``key`` of the pool and user name."""
    user = f"{user_pool_id}\0{user_name}".encode()

    def draw(label: str, size: int) -> bytes:
        out = b""
        block = 0
        while len(out) < size:
            message = b"passkey-decoy\0%s\0%d\0%s" % (label.encode(), block, user)
            out += hmac.digest(key, message, "sha256")
            block += 1
        return out[:size]

    made_up = []
    for index in range(_weighted(_DECOY_COUNTS, draw("count", 1)[0])):
        shape = draw(f"shape{index}", 2)
        length = _weighted(_DECOY_LENGTHS, shape[0])
        made_up.append((draw(f"id{index}", length), _weighted(_DECOY_TRANSPORTS, shape[1])))
    return made_up


def _weighted(choices: Sequence[tuple[_T, int]], byte: int) -> _T:
    for value, weight in choices:
        if byte < weight:
            return value
        byte -= weight
    raise AssertionError("the weights add up to 256")


def _right(credential: Credential, challenge: bytes, now: int, lifetime: int) -> Judgement:
    logger.info("passkey accepted", extra={"backed_up": credential.backed_up})
    count(Metric.PASSKEYS_ACCEPTED)
    return Judgement(
        verdict=Verdict.RIGHT,
        secret_id="passkey:" + hashlib.sha256(challenge).hexdigest(),
        expires_at=now + lifetime,
        unguessable=True,
    )


def _refused(reason: str, verdict: Verdict = Verdict.WRONG) -> Judgement:
    logger.warning("passkey refused", extra={"reason": reason})
    count(Metric.PASSKEYS_REFUSED)
    return Judgement(verdict=verdict)


def _challenge(body: str, log: Mapping[str, object]) -> Challenge:
    public, private = round_parameters(body)
    return Challenge(public=public, private=private, body=body, log=log)


def build(env: Mapping[str, str]) -> PasskeyMethod:
    """The method, from ``PASSKEY_*`` (the decoy key read when a round first needs it)."""
    settings = PasskeySettings.from_env(env)
    secret_id = _required(
        env, "PASSKEY_DECOY_KEY_SECRET_ID", "the made-up credential ids of users without passkeys"
    )
    return PasskeyMethod(settings, CredentialStore(settings.table_name), shared_key(secret_id))
