"""Password proofs, checked as Cognito checks them: SRP's PASSWORD_VERIFIER (inside CUSTOM_AUTH
or in USER_SRP_AUTH) and the plain password of USER_PASSWORD_AUTH / ADMIN_USER_PASSWORD_AUTH.

An unknown user gets an SRP challenge that looks like a real one (a salt as stable as a real
user's) and that no password can answer.
"""

import hashlib
import hmac
import secrets
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from custom_auth_local import cognito_errors as errors
from custom_auth_local import srp

#: How far a PASSWORD_VERIFIER TIMESTAMP may be from the pool's clock.
TIMESTAMP_TOLERANCE_SECONDS = 300
PROOF_KEYS = ("PASSWORD_CLAIM_SIGNATURE", "PASSWORD_CLAIM_SECRET_BLOCK", "TIMESTAMP")


@dataclass
class Passwords:
    """A pool's SRP salts, and the key its decoy salts are made with."""

    user_pool_id: str
    clock: Callable[[], float]
    _salts: dict[str, str] = field(default_factory=dict, repr=False)
    _decoy_key: bytes = field(default_factory=lambda: secrets.token_bytes(32), repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def challenge(self, user_name: str, password: str | None) -> srp.ServerChallenge:
        """A PASSWORD_VERIFIER challenge for ``user_name`` whose password is ``password``;
        ``None`` (an unknown user, or one without a password) gives a decoy."""
        if password is None:
            # Keyed on the name: as stable from one sign-in to the next as a real user's salt,
            # and as random-looking, so the salt cannot tell that nobody is there.
            salt = hmac.new(self._decoy_key, user_name.encode(), hashlib.sha256).hexdigest()[:32]
            password = secrets.token_hex(16)
        else:
            with self._lock:
                salt = self._salts.setdefault(user_name, secrets.token_hex(16))
        return srp.ServerChallenge.start(
            srp.verifier(self.user_pool_id, user_name, password, salt), salt
        )

    def proven(
        self,
        challenge: srp.ServerChallenge,
        srp_a: str,
        user_name: str,
        responses: Mapping[str, str],
    ) -> bool:
        """Whether the PASSWORD_VERIFIER answer proves the password (a missing key or a
        malformed TIMESTAMP is refused as Cognito refuses it)."""
        missing = [key for key in PROOF_KEYS if not responses.get(key)]
        if missing:
            raise errors.invalid_parameter(f"Missing required parameter {missing[0]}")
        if not hmac.compare_digest(
            responses["PASSWORD_CLAIM_SECRET_BLOCK"].encode(), challenge.secret_block.encode()
        ):
            return False
        try:
            stamp = datetime.strptime(responses["TIMESTAMP"], srp.TIMESTAMP_FORMAT)
        except ValueError:
            raise errors.invalid_parameter("TIMESTAMP is not in Cognito's format") from None
        if abs(stamp.replace(tzinfo=UTC).timestamp() - self.clock()) > TIMESTAMP_TOLERANCE_SECONDS:
            return False
        return challenge.check(
            srp_a,
            self.user_pool_id,
            user_name,
            responses["TIMESTAMP"],
            responses["PASSWORD_CLAIM_SIGNATURE"],
        )


def password_matches(given: str, actual: str | None) -> bool:
    """A plain password against the user's, in constant time (no password never matches)."""
    if actual is None:
        return False
    return hmac.compare_digest(given.encode(), actual.encode())
