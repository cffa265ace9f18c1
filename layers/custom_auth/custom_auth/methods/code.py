"""A one-time code sent over a channel: what EMAIL_OTP and SMS_OTP are (one object each).

On its first round in a sign-in the method sends a code if the limits allow (else reuses the
one already sent over the same channel, or withholds); on later rounds the same code stands.
Whatever happened, the answer has the same shape; an unknown user, or one whose destination
may not get a message (none, unverified, a country not allowed), gets nothing sent and a code
that cannot match. The code's keyed hash travels in the round's metadata and private
parameters (:class:`~custom_auth.otp.CodeRecord`); the plain code is never stored.
"""

import secrets
from collections.abc import Mapping
from typing import Any

from custom_auth._evolve import evolve
from custom_auth.code_key import CodeKey, KeyVersion
from custom_auth.delivery import Delivery
from custom_auth.errors import CustomAuthError
from custom_auth.events import CreateAuthChallengeEvent, VerifyAuthChallengeResponseEvent
from custom_auth.limits import HOUR, SendPlan, UserState, after_send, plan_send
from custom_auth.magic_link import link_id
from custom_auth.methods.base import Challenge, Judgement, Limits, MethodLimits
from custom_auth.observability import Metric, count, logger, state_unavailable
from custom_auth.otp import (
    CLOCK_SKEW_SECONDS,
    LOCKOUT_CODE_BITS,
    CodeRecord,
    CodeSpec,
    InvalidCodeRecordError,
    check_answer,
    display_code,
    generate_code,
    hash_code,
    normalize_answer,
    read_private_parameters,
)
from custom_auth.settings import CodeSettings
from custom_auth.sign_up import Address, hash_name, parse_address, sign_up_key, sign_up_sends_key
from custom_auth.state_store import (
    StateConflictError,
    StateStore,
    StateUnavailableError,
    pool_sends_key,
    state_key,
    update,
)
from custom_auth.verdict import Verdict

_KEYS: dict[str, CodeKey] = {}


def shared_key(secret_id: str) -> CodeKey:
    """One :class:`CodeKey` per secret in a process, whichever code methods use it."""
    if secret_id not in _KEYS:
        _KEYS[secret_id] = CodeKey(secret_id)
    return _KEYS[secret_id]


class CodeMethod:
    """A code of ``codes``' shape, sent by ``delivery``, hashed under ``key``."""

    def __init__(self, name: str, codes: CodeSettings, delivery: Delivery, key: CodeKey) -> None:
        self.name = name
        self.codes = codes
        self.delivery = delivery
        self.key = key
        self.spec = CodeSpec(codes.code_format, codes.otp_length)
        self.limits = MethodLimits(guessable=True, sends_over=str(delivery.channel))

    def __repr__(self) -> str:
        return f"CodeMethod({self.name}, {self.spec}, over {self.delivery.channel})"

    def usable(self, attributes: Mapping[str, str]) -> bool:
        """The user has the attribute the code goes to (``email``, ``phone_number``)."""
        return bool(attributes.get(self.delivery.attribute))

    def option(self, client_metadata: Mapping[str, str]) -> str | None:
        """A code is sent one way only."""
        return ""

    def start(
        self,
        event: CreateAuthChallengeEvent,
        limits: Limits,
        now: int,
        option: str = "",
        sign_up: Address | None = None,
    ) -> Challenge:
        """Send a code if the limits allow, else reuse or withhold (see the module)."""
        record, log = self._first_round(event, limits, now, option, sign_up)
        return _challenge(record, log)

    def sign_up_address(self, raw: str) -> Address | None:
        """``raw`` as an address this method can send a sign-up code to; None if not one."""
        address = parse_address(raw, self.delivery.attribute)
        if address is None or self.delivery.refusal(address.as_attributes()) is not None:
            return None
        return address

    def carry(self, body: str) -> Challenge:
        """The code already sent stands."""
        record = CodeRecord.from_metadata(body)
        return _challenge(record, {"plan": "carry", "why": "the code already sent stands"})

    def judge(self, event: VerifyAuthChallengeResponseEvent, now: int) -> Judgement:
        """Right only for the unexpired code, compared in constant time."""
        code_hash: str | None = None
        issued_at = 0
        spec = self.spec
        try:
            private = read_private_parameters(event.private_challenge_parameters)
            code_hash, issued_at = private.code_hash, private.issued_at
            spec = private.spec or spec
            verdict = check_answer(
                event.challenge_answer,
                code_hash=code_hash,
                issued_at=issued_at,
                key=self.key.for_code(private.key_version, issued_at),
                spec=spec,
                ttl_seconds=self.codes.code_ttl_seconds,
                now=now,
                user_pool_id=event.user_pool_id,
                user_name=event.user_name,
            )
        except InvalidCodeRecordError as error:
            logger.error("cannot check the answer", extra={"error": str(error)})
            verdict = Verdict.MALFORMED
        return Judgement(
            verdict=verdict,
            secret_id=code_hash,
            expires_at=issued_at + self.codes.code_ttl_seconds + CLOCK_SKEW_SECONDS,
            unguessable=spec.bits >= LOCKOUT_CODE_BITS,
        )

    def rebind(
        self, event: VerifyAuthChallengeResponseEvent, user_name: str, address: Address
    ) -> CodeRecord | None:
        """The record of the code just proven (``event``'s right answer), bound to the account
        ``user_name`` that a sign-up made for it, so that its first sign-in takes the same code;
        None if the answer is not a code this record can hold."""
        try:
            private = read_private_parameters(event.private_challenge_parameters)
        except InvalidCodeRecordError:
            return None
        spec = private.spec or self.spec
        code = normalize_answer(event.challenge_answer, spec)
        key = self.key.for_code(private.key_version, private.issued_at)
        if code is None or key is None:
            return None
        return CodeRecord(
            code_hash=hash_code(
                key,
                code,
                user_pool_id=event.user_pool_id,
                user_name=user_name,
                issued_at=private.issued_at,
            ),
            issued_at=private.issued_at,
            channel=self.delivery.channel,
            destination=self.delivery.mask(address.value),
            spec=spec,
            key_version=private.key_version,
        )

    # --- the first round ------------------------------------------------------------------

    def _unmatchable(self, destination: str, issued_at: int, key: KeyVersion) -> CodeRecord:
        # No code went out, so no answer may ever match: a random value, not a code's hash.
        # The record has every field a real one has.
        return CodeRecord(
            code_hash=secrets.token_urlsafe(32),
            issued_at=issued_at,
            channel=self.delivery.channel,
            destination=destination,
            spec=self.spec,
            key_version=key.version_id,
        )

    # Hooks for a method that sends more than the code in the same message (MAGIC_LINK).

    def _new_link(self) -> bytes | None:
        """A fresh secret to send with the code, whose id the record keeps; None for none."""
        return None

    def _link_for(
        self,
        event: CreateAuthChallengeEvent,
        record: CodeRecord,
        extra: bytes | None,
        option: str,
    ) -> str | None:
        """The link to send beside the code, made from ``extra`` (:meth:`_new_link`); None
        for none. Raises the method's own error if it cannot be made: nothing is sent."""
        return None

    def _deliver(
        self,
        event: CreateAuthChallengeEvent,
        destination: str,
        code: str,
        record: CodeRecord,
        extra: bytes | None,
        option: str,
    ) -> None:
        """Send the message; raises DeliveryError (or the method's own error) on failure."""
        link = self._link_for(event, record, extra, option)
        self.delivery.send(
            destination,
            display_code(code, record.spec),
            self.codes.code_ttl_seconds,
            lockout=record.spec != self.spec,
            link=link,
        )

    def _first_round(
        self,
        event: CreateAuthChallengeEvent,
        limits: Limits,
        now: int,
        option: str = "",
        sign_up: Address | None = None,
    ) -> tuple[CodeRecord, dict[str, Any]]:
        delivery, spec, ttl = self.delivery, self.spec, self.codes.code_ttl_seconds
        key = self.key.current()
        channel = str(delivery.channel)
        started = limits.pacer.start()
        # An unknown user signing up is sent to the address they proved they typed; its own
        # state item holds it to the same limits as a user.
        signing_up = event.user_not_found and sign_up is not None
        attributes = sign_up.as_attributes() if signing_up and sign_up else event.user_attributes
        if event.user_not_found and not signing_up:
            refusal: str | None = "unknown user"
        else:
            refusal = delivery.refusal(attributes)
        if refusal is not None:
            if not event.user_not_found:
                logger.error(
                    "cannot send a code: " + refusal,
                    extra={"attribute": delivery.attribute, "channel": channel},
                )
                missing = not event.user_attributes.get(delivery.attribute)
                count(Metric.DELIVERIES_IMPOSSIBLE if missing else Metric.DELIVERIES_REFUSED)
            limits.pacer.imitate(started)
            return self._unmatchable("", now, key), {"plan": "withhold", "why": refusal}

        destination = attributes[delivery.attribute]
        masked = delivery.mask(destination)
        hashed_as = event.user_name
        if signing_up and sign_up is not None:
            user = sign_up_key(event.user_pool_id, sign_up)
            hashed_as = hash_name(sign_up)
        else:
            user = state_key(event.user_pool_id, event.user_name)
        # The code to send, if any, its record and the method's extra secret: never logged, and
        # neither the code nor the secret is ever stored.
        outbound: list[tuple[str, CodeRecord, bytes | None]] = []

        def change(state: UserState) -> tuple[UserState | None, tuple[SendPlan, str, UserState]]:
            plan, why = plan_send(
                state, now, limits.settings, code_ttl_seconds=ttl, channel=channel
            )
            if plan is not SendPlan.SEND:
                return None, (plan, why, state)
            made = spec.lockout() if state.is_locked(now) else spec
            code = generate_code(made)
            extra = self._new_link()
            code_hash = hash_code(
                key.secret,
                code,
                user_pool_id=event.user_pool_id,
                user_name=hashed_as,
                issued_at=now,
            )
            sent = CodeRecord(
                code_hash=code_hash,
                issued_at=now,
                channel=delivery.channel,
                destination=masked,
                spec=made,
                key_version=key.version_id,
                link_id=link_id(extra) if extra is not None else None,
            )
            outbound[:] = [(code, sent, extra)]
            return after_send(state, sent, now), (plan, why, state)

        try:
            plan, why, before = update(limits.store, user, now, change, code_ttl_seconds=ttl)
        except StateUnavailableError as error:
            state_unavailable("no code is sent", error)
            raise
        if plan is SendPlan.SEND:
            try:
                # A sign-up's message counts against sign-up's own cap first: sign-ups, which
                # anyone can start, cannot use up the pool's messages for everyone else.
                capped = signing_up and not _sign_ups_allow_a_send(event, limits, now)
                allowed = not capped and _pool_allows_a_send(event, limits, now)
            except StateUnavailableError as error:
                # The send is recorded but will not happen: take it back, so the next sign-in
                # does not reuse a code nobody received.
                _forget_send(limits.store, user, before, ttl)
                state_unavailable("no code is sent", error)
                raise
            if not allowed:
                _forget_send(limits.store, user, before, ttl)
                whose = "sign-up's" if capped else "the pool's"
                plan, why = SendPlan.WITHHOLD, f"{whose} hourly cap is reached"

        chosen: CodeRecord | None
        if plan is SendPlan.SEND:
            code, chosen, extra = outbound[0]
            lockout = chosen.spec != spec
            try:
                self._deliver(event, destination, code, chosen, extra, option)
            except CustomAuthError:  # DeliveryError, or the method's own (a link not made)
                _forget_send(limits.store, user, before, ttl)
                raise
            limits.pacer.full(started)
            count(Metric.CODES_SENT)
            if lockout:
                count(Metric.LOCKOUT_CODES_SENT)
        else:
            limits.pacer.imitate(started)
            count(Metric.CODES_REUSED if plan is SendPlan.REUSE else Metric.CODES_WITHHELD)
            chosen = before.code_for(channel) if plan is SendPlan.REUSE else None
        record = chosen if chosen is not None else self._unmatchable(masked, now, key)
        return record, {"plan": plan.value, "why": why}


def _challenge(record: CodeRecord, log: Mapping[str, Any]) -> Challenge:
    return Challenge(
        public=record.public_parameters(),
        private=record.private_parameters(),
        body=record.to_metadata(),
        log={**log, "channel": record.channel.value, "destination": record.destination},
    )


def _pool_allows_a_send(event: CreateAuthChallengeEvent, limits: Limits, now: int) -> bool:
    """Count one message against the pool's hourly cap, if it is not reached."""
    return _hourly_cap_allows(
        limits,
        pool_sends_key(event.user_pool_id, now),
        limits.settings.pool_max_sends_per_hour,
        now,
        "the pool's hourly cap on messages is reached: no code is sent",
        Metric.POOL_SEND_CAP_REACHED,
    )


def _sign_ups_allow_a_send(event: CreateAuthChallengeEvent, limits: Limits, now: int) -> bool:
    """Count one sign-up message against ``SIGN_UP_MAX_SENDS_PER_HOUR``, if it is not reached."""
    return _hourly_cap_allows(
        limits,
        sign_up_sends_key(event.user_pool_id, now),
        limits.sign_up.settings.max_sends_per_hour if limits.sign_up else 0,
        now,
        "sign-up's hourly cap on messages is reached: no sign-up code is sent",
        Metric.SIGN_UP_SEND_CAP_REACHED,
    )


def _hourly_cap_allows(
    limits: Limits, key: str, cap: int, now: int, refusal: str, metric: Metric
) -> bool:
    """Add one to the clock hour's counter under ``key`` if it is below ``cap``; log and count
    ``metric`` when it is not."""
    allowed = limits.store.count_send(key, cap, expires_at=(now // HOUR + 2) * HOUR)
    if not allowed:
        logger.error(refusal, extra={"cap": cap})
        count(metric)
    return allowed


def _forget_send(store: StateStore, user: str, before: UserState, code_ttl_seconds: int) -> None:
    """The message was not sent: put back the state from before it, so a retry can send."""
    restored = evolve(before, version=before.version + 1)
    try:
        store.save(user, restored, restored.expires_at(code_ttl_seconds))
    except (StateConflictError, StateUnavailableError) as error:
        logger.warning(
            "a send that failed stays counted: the next one waits for the cooldown",
            extra={"error": str(error)},
        )
