"""MAGIC_LINK: one email holding a sign-in link and a code; either signs the sign-in in.

The link points to a sign-in page on ``MAGIC_LINK_REDIRECT_URIS`` and carries, in the URL
fragment, a link signed with the deployment's KMS HMAC key (:mod:`custom_auth.magic_link`,
:mod:`custom_auth.link_key`), bound to the pool, the app client, the user's ``sub`` and an
expiry. The code is an EMAIL_OTP code, held to the same limits: the message counts against the
email channel's throttle, and a user has one outstanding link, the one sent with the last email
code (the state keeps its id); a later email replaces it.

A sign-in with MAGIC_LINK enabled starts with a choice (:data:`~custom_auth.methods.CHOSEN_FIRST`),
whose ClientMetadata says how its round goes (:meth:`MagicLinkMethod.option`):

- ``send`` (the default): send the email; the round takes the code or the link. A
  ``redirectUri`` in the metadata must be on the list (the link then points there), or the
  choice is refused like a wrong answer.
- ``redeem`` (``magicLink=redeem``): the client already holds a link (it was opened in a
  browser that did not start the sign-in): nothing is sent and only the link is taken.

Verify accepts a link only if its MAC checks with the key the alias names (or the one before
the last rotation), every binding matches the event, it has not expired, it is the user's
outstanding link and it has not signed in before: the conditional write that marks it used is
what makes it single use, in any browser. Every other link is a wrong answer, counted towards
the lockout and logged by reason, never by its content. A link is too strong to guess, so it
signs in during a lockout (the way out of a lockout someone else caused).
"""

from collections.abc import Mapping

from custom_auth.code_key import CodeKey
from custom_auth.delivery import Delivery, EmailDelivery
from custom_auth.errors import InvalidEventError
from custom_auth.events import CreateAuthChallengeEvent, VerifyAuthChallengeResponseEvent
from custom_auth.link_key import LinkKey
from custom_auth.magic_link import (
    METHOD,
    MODE_METADATA_KEY,
    REDEEM,
    REDIRECT_METADATA_KEY,
    SEND,
    InvalidLinkError,
    LinkClaims,
    ParsedLink,
    assemble,
    looks_like_link,
    new_nonce,
    page_url,
    signed_message,
)
from custom_auth.methods.base import Challenge, Judgement, Limits
from custom_auth.methods.code import CodeMethod, shared_key
from custom_auth.observability import Metric, count, logger
from custom_auth.otp import CLOCK_SKEW_SECONDS, CodeRecord
from custom_auth.settings import Channel, CodeSettings, DeliverySettings, MagicLinkSettings
from custom_auth.sign_up import Address
from custom_auth.verdict import Verdict

NAME = METHOD
#: The private parameter that says how the round went.
_MODE = "linkMode"
_SEND = SEND


class MagicLinkMethod(CodeMethod):
    """An email code with a signed link beside it (see the module)."""

    def __init__(
        self,
        codes: CodeSettings,
        delivery: Delivery,
        key: CodeKey,
        links: MagicLinkSettings,
        link_key: LinkKey,
    ) -> None:
        super().__init__(NAME, codes, delivery, key)
        self.links = links
        self.link_key = link_key

    def __repr__(self) -> str:
        return f"MagicLinkMethod({self.spec}, {len(self.links.redirect_uris)} redirect URIs)"

    # --- Verify records how the round goes ---------------------------------------------------

    def option(self, client_metadata: Mapping[str, str]) -> str | None:
        """``redeem``, ``""`` (send, to the first redirect URI), ``u<n>`` (send, to the n-th),
        or None: a mode that is not one, or a redirect URI not on the list."""
        mode = client_metadata.get(MODE_METADATA_KEY, _SEND) or _SEND
        uri = client_metadata.get(REDIRECT_METADATA_KEY)
        if mode not in (_SEND, REDEEM):
            logger.warning("magic link refused", extra={"reason": "not a magicLink mode"})
            return None
        index = 0
        if uri:
            if uri not in self.links.redirect_uris:
                logger.warning("magic link refused", extra={"reason": "redirect URI not allowed"})
                count(Metric.MAGIC_LINKS_REFUSED)
                return None
            index = self.links.redirect_uris.index(uri)
        if mode == REDEEM:
            return REDEEM
        return f"u{index}" if index else ""

    # --- Create -----------------------------------------------------------------------------

    def start(
        self,
        event: CreateAuthChallengeEvent,
        limits: Limits,
        now: int,
        option: str = "",
        sign_up: Address | None = None,
    ) -> Challenge:
        """Send the email (``option`` names the page), or, to redeem, send nothing. A sign-up
        email holds the code only: there is no account yet for a link to name."""
        if option == REDEEM:
            record = self._unmatchable("", now, self.key.current())
            return _challenge(record, REDEEM, {"plan": "redeem", "why": "the client has a link"})
        self._redirect_uri(option)  # a record Verify did not write fails before any send
        record, log = self._first_round(event, limits, now, option, sign_up)
        return _challenge(record, _SEND, log)

    def carry(self, body: str) -> Challenge:
        """The email already sent (or the link in hand) stands."""
        mode, _, record_text = body.partition("|")
        if mode not in (_SEND, REDEEM):
            raise InvalidEventError("challengeMetadata: not a magic link round")
        record = CodeRecord.from_metadata(record_text)
        return _challenge(record, mode, {"plan": "carry", "why": "the link already sent stands"})

    def _new_link(self) -> bytes:
        return new_nonce()

    def _link_for(
        self,
        event: CreateAuthChallengeEvent,
        record: CodeRecord,
        extra: bytes | None,
        option: str,
    ) -> str | None:
        """The link's page URL: claims for this user, MAC'd by KMS with the current key. A
        sign-up gets none (no account yet, no ``sub`` to bind it to), but its MAC is made all
        the same and thrown away: the same KMS call as a known address's, so that the send
        takes as long (a sign-up's send is a full path, which the pacer does not pad)."""
        if extra is None:
            raise InvalidEventError("a magic link round without a link")
        claims = LinkClaims(
            user_pool_id=event.user_pool_id,
            client_id=event.caller_context.client_id,
            sub=event.user_attributes.get("sub", "") or "0" * 36,
            user_name=event.user_name,
            destination=record.destination,
            expires_at=record.issued_at + self.codes.code_ttl_seconds,
            key_id=self.link_key.current_key_id(),
            nonce=extra,
        )
        encoded = claims.encoded()
        mac = self.link_key.sign(claims.key_id, signed_message(encoded))
        if event.user_not_found:
            return None
        count(Metric.MAGIC_LINKS_SENT)
        return page_url(self._redirect_uri(option), assemble(encoded, mac))

    def _redirect_uri(self, option: str) -> str:
        uris = self.links.redirect_uris
        if option == "":
            return uris[0]
        digits = option[1:]
        if option[:1] == "u" and digits.isascii() and digits.isdigit() and int(digits) < len(uris):
            return uris[int(digits)]
        raise InvalidEventError("the recorded choice names no redirect URI on the list")

    # --- Verify -----------------------------------------------------------------------------

    def judge(self, event: VerifyAuthChallengeResponseEvent, now: int) -> Judgement:
        """A link (an answer starting ``ml1.``), else the code."""
        if looks_like_link(event.challenge_answer):
            return self._judge_link(event, now)
        return super().judge(event, now)

    def _judge_link(self, event: VerifyAuthChallengeResponseEvent, now: int) -> Judgement:
        try:
            link = ParsedLink.parse(event.challenge_answer)
        except InvalidLinkError as error:
            return _refused(str(error), Verdict.MALFORMED)
        claims = link.claims
        # The MAC first, whatever else is wrong: every link that parses costs the same.
        if not self.link_key.verify(claims.key_id, link.message, link.mac):
            return _refused("the MAC does not check with this deployment's key")
        if claims.user_pool_id != event.user_pool_id:
            return _refused("a link for another user pool")
        if claims.client_id != event.caller_context.client_id:
            return _refused("a link for another app client")
        sub = event.user_attributes.get("sub")
        if event.user_not_found or sub is None or claims.sub != sub:
            return _refused("a link for another user")
        if claims.user_name != event.user_name:
            return _refused("a link for another user")
        lifetime = self.codes.code_ttl_seconds + CLOCK_SKEW_SECONDS
        if not now <= claims.expires_at <= now + lifetime:
            return _refused("an expired link", Verdict.EXPIRED)
        return Judgement(
            verdict=Verdict.RIGHT,
            secret_id=claims.link_id,
            expires_at=claims.expires_at + CLOCK_SKEW_SECONDS,
            unguessable=True,
            current_on=str(self.delivery.channel),
        )


def _refused(reason: str, verdict: Verdict = Verdict.WRONG) -> Judgement:
    logger.warning("magic link refused", extra={"reason": reason})
    count(Metric.MAGIC_LINKS_REFUSED)
    return Judgement(verdict=verdict)


def _challenge(record: CodeRecord, mode: str, log: Mapping[str, object]) -> Challenge:
    public = {} if mode == REDEEM else record.public_parameters()
    return Challenge(
        public=public,
        private={**record.private_parameters(), _MODE: mode},
        body=f"{mode}|{record.to_metadata()}",
        log={
            **log,
            "mode": mode,
            "channel": record.channel.value,
            "destination": record.destination,
        },
    )


def build(env: Mapping[str, str]) -> MagicLinkMethod:
    """The method, from the EMAIL_OTP settings and ``MAGIC_LINK_*``."""
    codes = CodeSettings.from_env(env)
    delivery = EmailDelivery(DeliverySettings.from_env(env, Channel.EMAIL))
    links = MagicLinkSettings.from_env(env)
    link_key = LinkKey(links.key_alias, links.previous_key_alias)
    return MagicLinkMethod(codes, delivery, shared_key(codes.code_key_secret_id), links, link_key)
