"""Masked destinations, the way Cognito shows where it sent a code.

``alice@example.com`` becomes ``a***@e***.com`` and ``+12065550100`` becomes ``+*******0100``:
enough for a person to recognise their own address, too little to learn someone else's.
"""

import hashlib
import hmac
import string


def mask_email(address: str) -> str:
    """``a***@e***.com``: the first letter of each part and the top-level domain."""
    local, _, domain = address.strip().rpartition("@")
    host, _, tld = domain.rpartition(".")
    if not local or not host or not tld:
        return "***"
    return f"{local[0]}***@{host[0]}***.{tld}"


def mask_phone(number: str) -> str:
    """``+*******0100``: every digit but the last four hidden."""
    digits = [c for c in number if c in string.digits]
    if len(digits) < 5:
        return "***"
    return "+" + "*" * (len(digits) - 4) + "".join(digits[-4:])


def plausible_email(user_name: str, key: bytes) -> str:
    """A masked address for a user who does not exist, stable for the same name.

    A random one would change from one sign-in to the next and so give the user away; one
    derived from the name under the secret key stays the same and looks like any other.
    """
    if "@" in user_name:
        return mask_email(user_name)
    digest = _digest(user_name, key)
    letters = string.ascii_lowercase
    tld = ("com", "net", "org")[digest[2] % 3]
    return f"{letters[digest[0] % 26]}***@{letters[digest[1] % 26]}***.{tld}"


def plausible_phone(user_name: str, key: bytes) -> str:
    """A masked phone number for a user who does not exist, stable for the same name."""
    digest = _digest(user_name, key)
    last_four = int.from_bytes(digest[:4], "big") % 10_000
    return f"+*******{last_four:04d}"


def _digest(user_name: str, key: bytes) -> bytes:
    return hmac.new(key, b"plausible-destination\0" + user_name.encode(), hashlib.sha256).digest()
