"""Sealing and opening one API key: our vault crypto against bare AES-GCM from `cryptography`."""

from __future__ import annotations

import os
import secrets
import time
import uuid

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from bench.timing import Row
from crm_app.core.crypto import Keyring, associated_data, open_sealed, seal

OPERATIONS = 20_000


def _per_op_us(action, count: int = OPERATIONS) -> float:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    for _ in range(count):
        action()
    return (time.perf_counter() - started) / count * 1e6


def measure() -> list[Row]:
    keyring = Keyring(bytes.fromhex(secrets.token_hex(32)))
    secret = "sk_live_" + secrets.token_urlsafe(32)
    data = associated_data(uuid.uuid4(), "vapi", uuid.uuid4())
    blob, version = seal(keyring, secret, data)
    bare = AESGCM(os.urandom(32))
    nonce = os.urandom(12)
    sealed_bare = bare.encrypt(nonce, secret.encode(), data)

    def bare_seal() -> None:
        bare.encrypt(os.urandom(12), secret.encode(), data)

    rows = []
    for name, ours, theirs in (
        ("seal (encrypt) one key", lambda: seal(keyring, secret, data), bare_seal),
        (
            "open (decrypt) one key",
            lambda: open_sealed(keyring, blob, version, data),
            lambda: bare.decrypt(nonce, sealed_bare, data),
        ),
    ):
        _per_op_us(ours, 1000), _per_op_us(theirs, 1000)  # warm up
        rows.append(
            Row(
                section="Vault",
                name=name,
                value=_per_op_us(ours),
                baseline=_per_op_us(theirs),
                unit="us",
                note=f"mean over {OPERATIONS:,} operations; baseline: bare AESGCM",
            )
        )
    return rows
