"""Cognito's SRP-6a variant: both halves, so the local pool can really check a password proof.

Cognito's conventions, which every Cognito SRP client follows (the AWS SDKs, Amplify,
pycognito): the 3072-bit group of RFC 3526 with g = 2; k = H(00 N 0 g); hex strings padded to
whole bytes with a leading 00 when the top bit is set; x = H(salt, H(pool suffix, username,
":", password)); the session key is an HKDF (info "Caldera Derived Key", 16 bytes) of S salted
with u; the proof is HMAC-SHA256 under that key of pool suffix, USER_ID_FOR_SRP, the secret
block and the timestamp ("%a %b %-d %H:%M:%S UTC %Y").
"""

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from datetime import datetime

# RFC 3526, 3072-bit MODP group (group 15): a safe prime; the tests check it.
N_HEX = (
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DD"
    "EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED"
    "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF0598DA48361C55D39A69163FA8FD24CF5F"
    "83655D23DCA3AD961C62F356208552BB9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B"
    "E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF6955817183995497CEA956AE515D2261898FA0510"
    "15728E5A8AAAC42DAD33170D04507A33A85521ABDF1CBA64ECFB850458DBEF0A8AEA71575D060C7DB3970F85A6E1E4C7"
    "ABF5AE8CDB0933D71E8C94E04A25619DCEE3D2261AD2EE6BF12FFA06D98A0864D87602733EC86A64521F2B18177B200C"
    "BBE117577A615D6C770988C0BAD946E208E24FA074E5AB3143DB5BFCE0FD108E4B82D120A93AD2CAFFFFFFFFFFFFFFFF"
)
N = int(N_HEX, 16)
G = 2
_INFO = b"Caldera Derived Key\x01"
TIMESTAMP_FORMAT = "%a %b %d %H:%M:%S UTC %Y"


def pad_hex(value: int | str) -> str:
    """Hex of whole bytes, with a leading 00 where the top bit would read as a sign."""
    text = f"{value:x}" if isinstance(value, int) else value
    if len(text) % 2:
        return "0" + text
    return "00" + text if text[0] in "89abcdefABCDEF" else text


def _hash_hex(hex_text: str) -> str:
    return hashlib.sha256(bytes.fromhex(hex_text)).hexdigest().zfill(64)


def _hash_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest().zfill(64)


K = int(_hash_hex("00" + N_HEX + "0" + f"{G:x}"), 16)


def pool_suffix(user_pool_id: str) -> str:
    """The part of a pool id after the region: what Cognito mixes into x and the proof."""
    return user_pool_id.split("_", 1)[1]


def _x(user_pool_id: str, username: str, password: str, salt_hex: str) -> int:
    inner = _hash_text(f"{pool_suffix(user_pool_id)}{username}:{password}")
    return int(_hash_hex(pad_hex(salt_hex) + inner), 16)


def _u(big_a: int, big_b: int) -> int:
    return int(_hash_hex(pad_hex(big_a) + pad_hex(big_b)), 16)


def _session_key(s_value: int, u_value: int) -> bytes:
    prk = hmac.new(bytes.fromhex(pad_hex(u_value)), bytes.fromhex(pad_hex(s_value)), hashlib.sha256)
    return hmac.new(prk.digest(), _INFO, hashlib.sha256).digest()[:16]


def cognito_timestamp(moment: datetime) -> str:
    """``Mon Nov 2 01:05:09 UTC 2026``: Cognito's format, the day without a leading zero."""
    return moment.strftime(TIMESTAMP_FORMAT).replace(f" {moment:%d} ", f" {moment.day} ", 1)


def _proof(key: bytes, user_pool_id: str, user_id: str, secret_block: str, timestamp: str) -> str:
    message = (
        pool_suffix(user_pool_id).encode()
        + user_id.encode()
        + base64.standard_b64decode(secret_block)
        + timestamp.encode()
    )
    return base64.standard_b64encode(hmac.new(key, message, hashlib.sha256).digest()).decode()


def verifier(user_pool_id: str, username: str, password: str, salt_hex: str) -> int:
    """v = g^x: what the server keeps instead of the password."""
    return pow(G, _x(user_pool_id, username, password, salt_hex), N)


# --- the server's half ------------------------------------------------------------------------


@dataclass(frozen=True)
class ServerChallenge:
    """What the server sends for PASSWORD_VERIFIER, and keeps to check the answer."""

    salt_hex: str
    big_b: int
    secret_block: str = field(repr=False)
    #: The server's secret exponent and the password verifier: with both, a proof can be forged.
    _b: int = field(repr=False)
    _v: int = field(repr=False)

    @classmethod
    def start(cls, password_verifier: int, salt_hex: str) -> "ServerChallenge":
        """A fresh challenge for a user whose verifier is ``password_verifier``."""
        while True:
            b = secrets.randbits(256)
            big_b = (K * password_verifier + pow(G, b, N)) % N
            if big_b:
                break
        block = base64.standard_b64encode(secrets.token_bytes(64)).decode()
        return cls(salt_hex, big_b, block, b, password_verifier)

    def expected_signature(
        self, srp_a_hex: str, user_pool_id: str, user_id: str, timestamp: str
    ) -> str | None:
        """The PASSWORD_CLAIM_SIGNATURE the right password gives, or None for an unusable A."""
        big_a = int(srp_a_hex, 16)
        if big_a % N == 0:
            return None
        u_value = _u(big_a, self.big_b)
        if u_value == 0:
            return None
        s_value = pow(big_a * pow(self._v, u_value, N), self._b, N)
        return _proof(
            _session_key(s_value, u_value), user_pool_id, user_id, self.secret_block, timestamp
        )

    def check(
        self, srp_a_hex: str, user_pool_id: str, user_id: str, timestamp: str, signature: str
    ) -> bool:
        """Whether ``signature`` proves the password (compared in constant time)."""
        try:
            expected = self.expected_signature(srp_a_hex, user_pool_id, user_id, timestamp)
        except ValueError:
            return False
        return expected is not None and hmac.compare_digest(expected.encode(), signature.encode())


# --- the client's half ------------------------------------------------------------------------


@dataclass(frozen=True)
class Client:
    """A client's SRP state for one sign-in: send ``srp_a``, then answer with :meth:`answer`."""

    user_pool_id: str
    _a: int = field(repr=False)
    big_a: int

    @classmethod
    def start(cls, user_pool_id: str) -> "Client":
        """A fresh secret a and public A = g^a."""
        while True:
            a = secrets.randbits(256)
            big_a = pow(G, a, N)
            if big_a % N:
                return cls(user_pool_id, a, big_a)

    @property
    def srp_a(self) -> str:
        """SRP_A, as hex."""
        return f"{self.big_a:x}"

    def answer(self, parameters: dict[str, str], password: str, now: datetime) -> dict[str, str]:
        """PASSWORD_CLAIM_SIGNATURE, PASSWORD_CLAIM_SECRET_BLOCK and TIMESTAMP for a challenge."""
        user_id = parameters["USER_ID_FOR_SRP"]
        big_b = int(parameters["SRP_B"], 16)
        if big_b % N == 0:
            raise ValueError("SRP_B is not a valid server value")
        u_value = _u(self.big_a, big_b)
        x_value = _x(self.user_pool_id, user_id, password, parameters["SALT"])
        base = (big_b - K * pow(G, x_value, N)) % N
        s_value = pow(base, self._a + u_value * x_value, N)
        timestamp = cognito_timestamp(now)
        key = _session_key(s_value, u_value)
        return {
            "PASSWORD_CLAIM_SIGNATURE": _proof(
                key, self.user_pool_id, user_id, parameters["SECRET_BLOCK"], timestamp
            ),
            "PASSWORD_CLAIM_SECRET_BLOCK": parameters["SECRET_BLOCK"],
            "TIMESTAMP": timestamp,
        }
