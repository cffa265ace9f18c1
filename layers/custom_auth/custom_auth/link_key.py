"""The KMS HMAC key magic links are signed with: Create and Verify can use it, never read it.

Create signs with ``GenerateMac`` with the key the alias (``MAGIC_LINK_KEY_ALIAS``) names, and
puts that key's id into the link. Verify accepts a link only when that id is the
key the alias names now, or the one ``<alias>-previous`` names (the key before the last
rotation, which ``custom_auth.link_key_rotation`` moves there), and then asks KMS
``VerifyMac``. Which keys the two aliases name is read with ``DescribeKey`` and kept for
:data:`ALIAS_CACHE_SECONDS`; an id neither names makes Verify read them again once, since a
rotation may have happened since. Any other key id, one of another account included, is
refused without asking KMS: a link signed with a key an attacker owns is never checked against
it.

When KMS cannot be reached, or the key cannot be used, both fail closed with
:class:`LinkKeyError`, whose message names the operation and the error code only.
"""

import threading
import time
from collections.abc import Callable
from typing import Any

from custom_auth.code_key import error_code
from custom_auth.errors import CustomAuthError

#: How long a container keeps which keys the aliases name before it reads them again.
ALIAS_CACHE_SECONDS = 300
#: Links naming a key id neither alias names make Verify read the aliases again at most this
#: often: made-up key ids cannot turn into a stream of DescribeKey calls.
REFRESH_INTERVAL_SECONDS = 10
#: What KMS answers for a key that is disabled or pending deletion (a retired one): a link it
#: signed is not valid, which is no failure of the service.
_RETIRED = frozenset({"DisabledException", "KMSInvalidStateException"})
#: The MAC algorithm of the key (its KeySpec is HMAC_256).
MAC_ALGORITHM = "HMAC_SHA_256"


class LinkKeyError(CustomAuthError):
    """KMS refused or could not be reached. Never carries a message, a MAC or a link."""


def key_id_of(key: str) -> str:
    """The key id in a key ARN (``arn:aws:kms:...:key/<id>``), or ``key`` itself."""
    return key.rsplit("key/", 1)[-1] if key.startswith("arn:") else key


class LinkKey:
    """Signs and checks MACs with the key ``alias`` names (or ``previous_alias``).

    ``client`` is a boto3 ``kms`` client (tests inject one; by default one is made on first
    use); ``clock`` (seconds, default :func:`time.monotonic`) times the alias cache.
    """

    def __init__(
        self,
        alias: str,
        previous_alias: str,
        *,
        client: Any = None,
        clock: Callable[[], float] | None = None,
        max_age_seconds: int = ALIAS_CACHE_SECONDS,
    ) -> None:
        self.alias = alias
        self.previous_alias = previous_alias
        self.max_age_seconds = max_age_seconds
        self._client = client
        self._clock = clock or time.monotonic
        self._keys: tuple[tuple[str, frozenset[str]], float] | None = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"LinkKey(alias={self.alias!r})"

    def current_key_id(self) -> str:
        """The id of the key the alias names (as last read): the one new links are signed
        with."""
        with self._lock:
            return self._known(fresh=False)[0]

    def sign(self, key_id: str, message: bytes) -> bytes:
        """``GenerateMac`` of ``message`` with ``key_id`` (:meth:`current_key_id`)."""
        try:
            response = self.kms.generate_mac(
                KeyId=key_id, Message=message, MacAlgorithm=MAC_ALGORITHM
            )
        except Exception as error:  # noqa: BLE001 - every failure fails closed, the same way
            raise LinkKeyError(f"KMS GenerateMac failed ({error_code(error)})") from None
        key, mac = response.get("KeyId"), response.get("Mac")
        if not isinstance(key, str) or key_id_of(key) != key_id:
            raise LinkKeyError("KMS GenerateMac answered for another key")
        if not isinstance(mac, bytes) or len(mac) != 32:
            raise LinkKeyError("KMS GenerateMac answered without a 32-byte MAC")
        return mac

    def accepts(self, key_id: str) -> bool:
        """Whether ``key_id`` is the key either alias names (read again once if it is not)."""
        with self._lock:
            if key_id in self._known(fresh=False)[1]:
                return True
            cached = self._keys
            if cached is not None and self._clock() - cached[1] < REFRESH_INTERVAL_SECONDS:
                return False  # read moments ago: a rotation would not be seen yet anyway
            return key_id in self._known(fresh=True)[1]

    def verify(self, key_id: str, message: bytes, mac: bytes) -> bool:
        """Whether ``mac`` is ``key_id``'s MAC of ``message``: False for a key this deployment
        does not use (KMS is not asked) or a MAC KMS finds invalid."""
        if not self.accepts(key_id):
            return False
        try:
            response = self.kms.verify_mac(
                KeyId=key_id, Message=message, Mac=mac, MacAlgorithm=MAC_ALGORITHM
            )
        except Exception as error:  # noqa: BLE001 - an invalid MAC is an answer; the rest fail
            if error_code(error) == "KMSInvalidMacException" or error_code(error) in _RETIRED:
                return False
            raise LinkKeyError(f"KMS VerifyMac failed ({error_code(error)})") from None
        return response.get("MacValid") is True

    def _known(self, *, fresh: bool) -> tuple[str, frozenset[str]]:
        """(the current key's id, the ids of the keys links are accepted from)."""
        cached = self._keys
        if not fresh and cached is not None and self._clock() - cached[1] < self.max_age_seconds:
            return cached[0]
        current = self._describe(self.alias, required=True)
        assert current is not None  # noqa: S101 - required: _describe raised otherwise
        previous = self._describe(self.previous_alias)
        keys = (current, frozenset({current} | ({previous} if previous else set())))
        self._keys = (keys, self._clock())
        return keys

    def _describe(self, alias: str, *, required: bool = False) -> str | None:
        try:
            metadata = self.kms.describe_key(KeyId=alias)["KeyMetadata"]
        except Exception as error:  # noqa: BLE001 - every failure fails closed, the same way
            code = error_code(error)
            if not required and code == "NotFoundException":
                return None
            raise LinkKeyError(f"KMS DescribeKey of {alias} failed ({code})") from None
        usable = (
            metadata.get("Enabled") is True and metadata.get("KeyUsage") == "GENERATE_VERIFY_MAC"
        )
        if not usable:
            if required:
                raise LinkKeyError(f"{alias} does not name an enabled HMAC key")
            return None
        return str(metadata["KeyId"])

    @property
    def kms(self) -> Any:
        if self._client is None:
            import boto3  # only Create and Verify with MAGIC_LINK enabled pay for it

            from custom_auth.state_store import short_timeouts

            self._client = boto3.client("kms", config=short_timeouts())
        return self._client
