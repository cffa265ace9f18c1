"""Masked destinations: for the logs, and the fixed hints the caller sees.

``alice@example.com`` becomes ``a***@e***.com`` and ``+12065550100`` becomes ``+*******0100``
in the logs: enough for an operator to tell users apart, too little to learn an address.

The caller sees neither. Create never sees what the caller typed (for an unknown user Cognito
gives it a made-up ``userName``), so any part of the real address in the public parameters
could be checked against what was typed, and an unknown user's could not match: the public
``CODE_DELIVERY_DESTINATION`` is one fixed hint per channel (:data:`CHANNEL_HINTS`).
"""

import string

#: What ``CODE_DELIVERY_DESTINATION`` says, by channel: the same for every user, known or not.
CHANNEL_HINTS = {"email": "***@***", "sms": "+***"}


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
