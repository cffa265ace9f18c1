"""The per-deployment secret key that the code hashes are made with.

It lives in AWS Secrets Manager (the SAM template generates it). Create and Verify read it
through Powertools Parameters on first use and keep it for the life of the container; when it
cannot be read, or is too short to be a key, they fail closed with :class:`CodeKeyError`.
"""

from typing import Any

from custom_auth.errors import CustomAuthError

#: A key shorter than this is refused: HMAC-SHA256 wants at least 256 bits of secret.
MIN_KEY_BYTES = 32


class CodeKeyError(CustomAuthError):
    """The code key could not be read, or is not a usable key. Never carries the key."""


class CodeKey:
    """The code-hashing key, fetched once per container and cached.

    ``client`` is a boto3 ``secretsmanager`` client to use (tests inject one); by default one
    is created on first use.
    """

    def __init__(self, secret_id: str, *, client: Any = None) -> None:
        self.secret_id = secret_id
        self._client = client
        self._key: bytes | None = None

    def get(self) -> bytes:
        """The key's bytes; raises :class:`CodeKeyError` (and caches nothing) on failure."""
        if self._key is None:
            self._key = self._fetch()
        return self._key

    def _fetch(self) -> bytes:
        # Imported here: only the triggers that hash codes pay for boto3 and the provider.
        from aws_lambda_powertools.utilities.parameters import SecretsProvider

        try:
            provider = SecretsProvider(boto3_client=self._client)
            value = provider.get(self.secret_id)
        except Exception as error:  # noqa: BLE001 - every failure fails closed, the same way
            # Powertools wraps the SDK's error; name the original, never print its text.
            cause = type(error.__context__ or error).__name__
            raise CodeKeyError(
                f"could not read the code key secret {self.secret_id} ({cause})"
            ) from None
        key = value.encode("utf-8") if isinstance(value, str) else value
        if not isinstance(key, bytes) or len(key) < MIN_KEY_BYTES:
            raise CodeKeyError(
                f"the code key secret {self.secret_id} must hold at least {MIN_KEY_BYTES} bytes"
            )
        return key

    def __repr__(self) -> str:
        return f"CodeKey(secret_id={self.secret_id!r}, loaded={self._key is not None})"
