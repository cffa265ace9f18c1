"""PASSKEY: the user signs in with a WebAuthn credential (a passkey) registered before.

**Create** presents ``PASSKEY_OPTIONS``, the request options for ``navigator.credentials.get``
(:func:`custom_auth.passkeys.request_options`): a fresh challenge of 32 random bytes, the RP
id, the user's credential ids with their transports, the timeout and user verification. The
challenge is also kept in the private parameters, with when it was made: that is what binds
the round to it. A user with no passkey, and a user who does not exist, get one credential id
all the same, made up from the code key and the user name (the same one each time, as a real
user's are), after the same query of the credentials table.

**Verify** takes the assertion (``AuthenticationResponseJSON``, as JSON, as the answer) and
refuses it, as a wrong answer counted towards the lockout and logged by reason alone, unless:

- it is well formed and within bounds (:class:`custom_auth.passkeys.Assertion`);
- its credential is registered, and this user's (the item's owner), and its ``userHandle``,
  if sent, is this user's name;
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
from collections.abc import Mapping

from custom_auth.code_key import CodeKey, CodeKeyError
from custom_auth.credentials import Credential, CredentialStore, owner_key
from custom_auth.events import CreateAuthChallengeEvent, VerifyAuthChallengeResponseEvent
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
from custom_auth.settings import CodeSettings
from custom_auth.sign_up import Address
from custom_auth.state_store import StateUnavailableError
from custom_auth.verdict import Verdict

NAME = "PASSKEY"
#: The most credential ids a round lists (the newest: the round carries them in its metadata).
_MAX_LISTED = 10


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
            credentials = self.store.owned_by(owner)
        except StateUnavailableError as error:
            state_unavailable("the passkeys are not listed", error)
            credentials = []
        if event.user_not_found:
            credentials = []
        allowed = [(c.credential_id, c.transports) for c in credentials[:_MAX_LISTED]]
        if not allowed:
            allowed = [(self._made_up_id(event), ("internal", "hybrid"))]
        challenge = secrets.token_bytes(CHALLENGE_BYTES)
        options = compact(request_options(self.settings, challenge, allowed))
        body = f"{now}|{b64url(challenge)}|{options}"
        return _challenge(body, {"plan": "options", "credentials": len(credentials)})

    def _made_up_id(self, event: CreateAuthChallengeEvent) -> bytes:
        try:
            secret = self.key.current().secret
        except CodeKeyError:
            secret = b""  # the key is the codes' too: they fail the same way
        message = f"passkey\0{event.user_pool_id}\0{event.user_name}".encode()
        return hmac.digest(secret, message, "sha256")[:16] + hashlib.sha256(message).digest()[:16]

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
        handle = assertion.user_handle
        if handle is not None and not hmac.compare_digest(handle, event.user_name.encode()):
            raise PasskeyRefused("another user's credential (userHandle)")
        lifetime = self.settings.timeout_seconds + CLOCK_SKEW_SECONDS
        usernameless = not hmac.compare_digest(assertion.challenge, challenge)
        if not usernameless and not issued_at <= now <= issued_at + lifetime:
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
    """The method, from ``PASSKEY_*`` and the code key (for made-up credential ids)."""
    settings = PasskeySettings.from_env(env)
    key = shared_key(CodeSettings.from_env(env).code_key_secret_id)
    return PasskeyMethod(settings, CredentialStore(settings.table_name), key)
