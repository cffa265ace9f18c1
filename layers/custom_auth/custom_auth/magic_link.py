"""Magic links: what one carries, how it is signed, and how an answer is read as one.

A link is the sign-in page's URL with the link in its fragment, ``#magic-link=<link>``, which
browsers never send to a server and plain GET scanners never see. The link is

    ml1.<claims>.<mac>

``claims`` is base64url JSON: the user pool, the app client, the user (by ``sub``, and the
user name the page signs in with from another browser), the destination masked (for the page
to show), the expiry, the id of the KMS key that signed, and a random nonce of 256 bits.
``mac`` is the KMS HMAC-SHA256 of ``ml1.<claims>`` under :data:`MAC_DOMAIN` (see
:mod:`custom_auth.link_key`). The nonce makes every link different; what the state table keeps
of it is :func:`link_id`, a hash, so the table never holds a link that could be used.
"""

import base64
import hashlib
import json
import re
import secrets
from dataclasses import dataclass, field
from typing import Self

from custom_auth._redact import RedactedRepr, sensitive
from custom_auth.errors import CustomAuthError

#: The method's name, and the ClientMetadata of the answer that chooses it: how its round goes
#: (``magicLink``: ``send``, the default, or ``redeem`` with a link in hand) and which listed
#: page the link points to (``redirectUri``). Here, not in the method's module, so that a
#: client imports none of the triggers' code.
METHOD = "MAGIC_LINK"
MODE_METADATA_KEY = "magicLink"
REDIRECT_METADATA_KEY = "redirectUri"
SEND = "send"
REDEEM = "redeem"

PREFIX = "ml1."
#: Where the link goes in the page's URL: ``<redirect URI>#magic-link=<link>``.
FRAGMENT_KEY = "magic-link"
#: Bytes of randomness in a link's nonce.
NONCE_BYTES = 32
#: What the MAC is over, before the link's text: it can be no other MAC of the same key's.
MAC_DOMAIN = b"custom-auth magic link\0"
#: The longest answer read as a link (a real one is about 400 characters).
MAX_LINK_CHARS = 2048

_B64URL = re.compile(r"[A-Za-z0-9_-]+")
_KEY_ID = re.compile(
    r"(mrk-)?[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32}"
)


class InvalidLinkError(CustomAuthError):
    """An answer that is not a link custom-auth made. The message names the rule, never the
    answer."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str, what: str) -> bytes:
    if not _B64URL.fullmatch(text):
        raise InvalidLinkError(f"the link's {what}: not base64url")
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except ValueError:
        raise InvalidLinkError(f"the link's {what}: not base64url") from None


def link_id(nonce: bytes) -> str:
    """What the state table keeps of a link: a hash of its nonce, which cannot be used."""
    return _b64(hashlib.sha256(b"ml1 id\0" + nonce).digest())


def new_nonce() -> bytes:
    """A link's nonce, from ``secrets``."""
    return secrets.token_bytes(NONCE_BYTES)


@dataclass(frozen=True, repr=False)
class LinkClaims(RedactedRepr):
    """What a link says, before its MAC is checked."""

    user_pool_id: str
    client_id: str
    #: The user's ``sub``: what the link is bound to (never the email address).
    sub: str
    #: The user name InitiateAuth takes, for a sign-in started from the link.
    user_name: str = field(metadata=sensitive())
    #: The destination, masked: what the page shows ("a***@e***.com").
    destination: str = field(metadata=sensitive())
    expires_at: int
    #: The id of the KMS key that signed (not its ARN).
    key_id: str
    nonce: bytes = field(metadata=sensitive())

    @property
    def link_id(self) -> str:
        """See :func:`link_id`."""
        return link_id(self.nonce)

    def encoded(self) -> str:
        """``ml1.<claims>``: the text the MAC is over (after :data:`MAC_DOMAIN`)."""
        body = {
            "p": self.user_pool_id,
            "c": self.client_id,
            "s": self.sub,
            "u": self.user_name,
            "m": self.destination,
            "x": self.expires_at,
            "k": self.key_id,
            "n": _b64(self.nonce),
        }
        return PREFIX + _b64(json.dumps(body, separators=(",", ":")).encode())


def signed_message(encoded: str) -> bytes:
    """The message a link's MAC is over."""
    return MAC_DOMAIN + encoded.encode("ascii")


def assemble(encoded: str, mac: bytes) -> str:
    """The link: ``ml1.<claims>.<mac>``."""
    return f"{encoded}.{_b64(mac)}"


def page_url(redirect_uri: str, link: str) -> str:
    """The URL the email holds: the page, with the link in the fragment."""
    return f"{redirect_uri}#{FRAGMENT_KEY}={link}"


def looks_like_link(answer: str) -> bool:
    """Whether an answer is meant as a link (it starts ``ml1.``); no code does."""
    return answer.strip().startswith(PREFIX)


@dataclass(frozen=True, repr=False)
class ParsedLink(RedactedRepr):
    """A link read from an answer: its claims, and what its MAC must be over."""

    claims: LinkClaims
    message: bytes = field(metadata=sensitive())
    mac: bytes = field(metadata=sensitive())

    @classmethod
    def parse(cls, answer: str) -> Self:
        """Read ``ml1.<claims>.<mac>``; anything else raises :class:`InvalidLinkError`."""
        text = answer.strip()
        if len(text) > MAX_LINK_CHARS:
            raise InvalidLinkError(f"the link is longer than {MAX_LINK_CHARS} characters")
        parts = text.split(".")
        if len(parts) != 3 or parts[0] + "." != PREFIX:
            raise InvalidLinkError("the link is not ml1.<claims>.<mac>")
        mac = _unb64(parts[2], "MAC")
        if len(mac) != 32:
            raise InvalidLinkError("the link's MAC is not 32 bytes")
        raw = _unb64(parts[1], "claims")
        try:
            body = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            raise InvalidLinkError("the link's claims are not JSON") from None
        claims = _claims(body)
        encoded = PREFIX + parts[1]
        return cls(claims=claims, message=signed_message(encoded), mac=mac)


def _claims(body: object) -> LinkClaims:
    if not isinstance(body, dict) or set(body) != {"p", "c", "s", "u", "m", "x", "k", "n"}:
        raise InvalidLinkError("the link's claims are not the ones a link has")
    texts = {name: body[name] for name in ("p", "c", "s", "u", "m", "k", "n")}
    if not all(isinstance(value, str) and 0 < len(value) <= 256 for value in texts.values()):
        raise InvalidLinkError("the link's claims are not strings of 1 to 256 characters")
    expires_at = body["x"]
    if not isinstance(expires_at, int) or isinstance(expires_at, bool) or expires_at < 0:
        raise InvalidLinkError("the link's expiry is not a time")
    if not _KEY_ID.fullmatch(texts["k"]):
        raise InvalidLinkError("the link's key id is not a KMS key id")
    nonce = _unb64(texts["n"], "nonce")
    if len(nonce) != NONCE_BYTES:
        raise InvalidLinkError(f"the link's nonce is not {NONCE_BYTES} bytes")
    return LinkClaims(
        user_pool_id=texts["p"],
        client_id=texts["c"],
        sub=texts["s"],
        user_name=texts["u"],
        destination=texts["m"],
        expires_at=expires_at,
        key_id=texts["k"],
        nonce=nonce,
    )
