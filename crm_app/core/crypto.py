"""Secrets at rest: HKDF sub-keys, AES-256-GCM sealing with a keyring, fingerprints."""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Sequence
from hmac import compare_digest
from typing import TYPE_CHECKING, NoReturn

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import hmac as crypto_hmac
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

if TYPE_CHECKING:
    from crm_app.core.config import Settings

logger = logging.getLogger(__name__)

# HKDF purposes. Each becomes the `info` label b"crm_app/v1/<purpose>", so one
# master key yields independent sub-keys (NIST SP 800-56C). Changing a label
# changes its key: stored ciphertexts and fingerprints would become unreadable.
# Whatever is derived from ENCRYPTION_KEY also changes when that key rotates.
API_KEY_ENCRYPTION = "api-key-encryption"
API_KEY_FINGERPRINT = "api-key-fingerprint"
SESSION_TOKEN = "session-token"  # noqa: S105 (an HKDF label, not a secret)
DEVICE_TOKEN = "device-token"  # noqa: S105 (an HKDF label, not a secret)
WEBHOOK_SECRET = "webhook-secret"  # noqa: S105 (an HKDF label, not a secret)
KEY_ID = "key-id"
PURPOSES = frozenset(
    {API_KEY_ENCRYPTION, API_KEY_FINGERPRINT, SESSION_TOKEN, DEVICE_TOKEN, WEBHOOK_SECRET, KEY_ID}
)

NONCE_SIZE = 12  # 96 bits: the size GCM is specified for (SP 800-38D)
TAG_SIZE = 16
FINGERPRINT_HEX_CHARS = 16
HINT_MIN_LENGTH = 12  # below this, even four characters give away too much
_MASTER_KEY_SIZE = 32
_MASK = "**********"


class DecryptionError(Exception):
    """A sealed secret could not be opened; the message never holds key or plaintext."""

    def __init__(self, reason: str, *, context: str | None = None) -> None:
        where = f" ({context})" if context else ""
        super().__init__(f"cannot decrypt secret{where}: {reason}")


class Secret:
    """A string that prints as stars; call `.reveal()` where the value is really needed."""

    __slots__ = ("_value",)

    def __init__(self, value: str | Secret) -> None:
        self._value = value.reveal() if isinstance(value, Secret) else value

    def reveal(self) -> str:
        """The wrapped value."""
        return self._value

    def __repr__(self) -> str:
        return f"Secret('{_MASK}')"

    def __str__(self) -> str:
        return _MASK

    # f-strings and str.format call __format__, not __str__.
    def __format__(self, spec: str) -> str:
        return _MASK


def _reveal(value: str | Secret) -> str:
    return value.reveal() if isinstance(value, Secret) else value


def derive_key(master: bytes, purpose: str, length: int = 32) -> bytes:
    """The sub-key of `master` for one purpose (HKDF-SHA256, label crm_app/v1/<purpose>)."""
    if purpose not in PURPOSES:
        # A typo would silently derive a different key; fail loudly instead.
        raise ValueError(f"unknown key purpose {purpose!r}; add it to crypto.PURPOSES")
    # No salt: the inputs are already uniformly random secrets (a 256-bit key or
    # a 48-byte token), for which HKDF's extract step needs none (RFC 5869 3.1).
    hkdf = HKDF(
        algorithm=hashes.SHA256(),
        length=length,
        salt=None,
        info=b"crm_app/v1/" + purpose.encode(),
    )
    return hkdf.derive(master)


def key_version(master: bytes) -> int:
    """The stable id of a master key, stored next to every ciphertext it seals."""
    # Derived from the key itself rather than its position in the keyring, so a
    # row keeps naming the key it needs however the keyring is reordered.
    # 31 bits fit the signed INTEGER column on Postgres and SQLite.
    return int.from_bytes(derive_key(master, KEY_ID, length=4), "big") & 0x7FFFFFFF


class Keyring:
    """The current master key, which seals, plus older ones that can still open."""

    def __init__(self, current: bytes, previous: Sequence[bytes] = ()) -> None:
        self._aeads: dict[int, AESGCM] = {}
        seen: dict[int, bytes] = {}
        for master in (current, *previous):
            if len(master) != _MASTER_KEY_SIZE:
                raise ValueError("a master key must be 32 bytes (64 hex characters)")
            version = key_version(master)
            if version in seen:
                # The same key listed twice is harmless; two keys with one id are not.
                if not compare_digest(seen[version], master):
                    raise ValueError(f"two master keys share key id {version}; make a new key")
                continue
            seen[version] = master
            self._aeads[version] = AESGCM(derive_key(master, API_KEY_ENCRYPTION))
        self.current_version = key_version(current)
        # Only the current key fingerprints: fingerprints are recomputed on rewrap.
        self._fingerprint_key = derive_key(current, API_KEY_FINGERPRINT)

    @classmethod
    def from_settings(cls, settings: Settings) -> Keyring:
        """The keyring of ENCRYPTION_KEY plus ENCRYPTION_KEYS_PREVIOUS (newest first)."""
        return cls(
            _parse_hex_key(settings.encryption_key, "ENCRYPTION_KEY"),
            [
                _parse_hex_key(key, "ENCRYPTION_KEYS_PREVIOUS")
                for key in settings.previous_encryption_keys
            ],
        )

    @property
    def versions(self) -> tuple[int, ...]:
        """Every key version this keyring can open, the current one first."""
        return tuple(self._aeads)

    def __repr__(self) -> str:
        return f"Keyring(versions={list(self._aeads)})"


def _parse_hex_key(value: str, name: str) -> bytes:
    try:
        key = bytes.fromhex(value)
    except ValueError:
        key = b""
    if len(key) != _MASTER_KEY_SIZE:
        raise ValueError(f"{name} must be 64 hex characters (256 bits)")
    return key


def associated_data(user_id: uuid.UUID | str, service: str, row_id: uuid.UUID | str) -> bytes:
    """The bytes binding a sealed API key to its owner, service and row."""
    if not service or "|" in service:
        raise ValueError("service must be a non-empty name without '|'")
    # Canonical UUID text is fixed-length and has no '|', so the encoding is
    # unambiguous, and an upper-case id string binds the same as a UUID.
    user, row = str(uuid.UUID(str(user_id))), str(uuid.UUID(str(row_id)))
    return f"crm_app/api-key/v1|{user}|{service}|{row}".encode()


def seal(keyring: Keyring, plaintext: str | Secret, associated_data: bytes) -> tuple[bytes, int]:
    """Encrypt under the current key: (nonce + ciphertext + tag, key version)."""
    # A fresh random nonce every time. SP 800-38D 8.3 allows 2**32 random-nonce
    # sealings per key before a repeat becomes a risk; we store far fewer.
    nonce = os.urandom(NONCE_SIZE)
    aead = keyring._aeads[keyring.current_version]
    sealed = aead.encrypt(nonce, _reveal(plaintext).encode(), associated_data)
    return nonce + sealed, keyring.current_version


def open_sealed(
    keyring: Keyring,
    blob: bytes,
    key_version: int,
    associated_data: bytes,
    *,
    context: str | None = None,
) -> str:
    """Decrypt a blob from `seal`; any failure raises DecryptionError and is logged."""
    aead = keyring._aeads.get(key_version)
    if aead is None:
        _fail(f"unknown key version {key_version} (was its key removed?)", context)
    if not isinstance(blob, bytes | bytearray | memoryview):
        _fail("no ciphertext stored", context)
    blob = bytes(blob)
    if len(blob) < NONCE_SIZE + TAG_SIZE:
        _fail("ciphertext is truncated", context)
    nonce, sealed = blob[:NONCE_SIZE], blob[NONCE_SIZE:]
    try:
        return aead.decrypt(nonce, sealed, associated_data).decode()
    except InvalidTag:
        # GCM cannot tell these apart, and we must not guess for an attacker.
        _fail("wrong key, wrong owner/service/row, or altered ciphertext", context)
    except UnicodeDecodeError:  # only if something other than seal() wrote it
        _fail("plaintext is not UTF-8", context)


def _fail(reason: str, context: str | None) -> NoReturn:
    error = DecryptionError(reason, context=context)
    logger.warning("%s", error)
    # `from None`: the library exception adds nothing and clutters tracebacks.
    raise error from None


def fingerprint(keyring: Keyring, raw_secret: str | Secret) -> str:
    """A short keyed hash that tells keys apart without revealing them."""
    # Keyed (HMAC), not a bare SHA-256: without the key, a stolen database
    # cannot confirm a guessed API key against its fingerprint.
    mac = crypto_hmac.HMAC(keyring._fingerprint_key, hashes.SHA256())
    mac.update(_reveal(raw_secret).encode())
    return mac.finalize().hex()[:FINGERPRINT_HEX_CHARS]


def hint(raw_secret: str | Secret) -> str:
    """'…' plus the last four characters, or '' for secrets too short to hint at."""
    value = _reveal(raw_secret)
    return "\u2026" + value[-4:] if len(value) >= HINT_MIN_LENGTH else ""


def session_signing_key(jwt_secret: str | Secret) -> bytes:
    """The key that signs session tokens, derived from JWT_SECRET."""
    return derive_key(_reveal(jwt_secret).encode(), SESSION_TOKEN)


def device_signing_key(jwt_secret: str | Secret) -> bytes:
    """The key that signs device tokens (login_throttle), derived from JWT_SECRET: a session
    token is never taken for one, nor one for a session token."""
    return derive_key(_reveal(jwt_secret).encode(), DEVICE_TOKEN)
