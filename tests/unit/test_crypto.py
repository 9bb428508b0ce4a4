"""The API-key vault's cryptography: sealing, tampering, rotation, sub-keys, fingerprints."""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections.abc import Callable

import pytest

from crm_app.core import crypto
from crm_app.core.config import Settings
from crm_app.core.crypto import (
    DecryptionError,
    Keyring,
    Secret,
    associated_data,
    derive_key,
    fingerprint,
    hint,
    open_sealed,
    seal,
    session_signing_key,
)

KEY_A = bytes.fromhex("a1" * 32)
KEY_B = bytes.fromhex("b2" * 32)
KEY_C = bytes.fromhex("c3" * 32)
PLAINTEXT = "sk-live-7f3a9c2e4b1d8f6a0e5c"
USER = uuid.UUID("11111111-1111-4111-8111-111111111111")
OTHER_USER = uuid.UUID("22222222-2222-4222-8222-222222222222")
ROW = uuid.UUID("33333333-3333-4333-8333-333333333333")
OTHER_ROW = uuid.UUID("44444444-4444-4444-8444-444444444444")
AD = associated_data(USER, "vapi", ROW)
CONTEXT = f"api key for vapi, row {ROW}"


def _key_material_hex() -> list[str]:
    """Every key and sub-key a leak could expose, as hex."""
    hexes = []
    for master in (KEY_A, KEY_B, KEY_C):
        hexes.append(master.hex())
        hexes += [derive_key(master, purpose).hex() for purpose in crypto.PURPOSES]
    return hexes


def _assert_reveals_nothing(text: str) -> None:
    assert PLAINTEXT not in text
    for secret_hex in _key_material_hex():
        assert secret_hex not in text.lower()


def _flip(blob: bytes, index: int) -> bytes:
    changed = bytearray(blob)
    changed[index] ^= 0x01
    return bytes(changed)


@pytest.fixture
def keyring() -> Keyring:
    return Keyring(KEY_A)


# Ciphertexts copied to a row they do not belong to.
MISPLACED = {
    "moved_to_other_user": associated_data(OTHER_USER, "vapi", ROW),
    "moved_to_other_service": associated_data(USER, "twilio", ROW),
    "moved_to_other_row": associated_data(USER, "vapi", OTHER_ROW),
}
# Ways a stored blob can be damaged or cut short.
DAMAGE: dict[str, Callable[[bytes], bytes]] = {
    "nonce_first_byte_flipped": lambda blob: _flip(blob, 0),
    "nonce_last_byte_flipped": lambda blob: _flip(blob, crypto.NONCE_SIZE - 1),
    "ciphertext_byte_flipped": lambda blob: _flip(blob, crypto.NONCE_SIZE),
    "tag_byte_flipped": lambda blob: _flip(blob, len(blob) - 1),
    "last_byte_cut_off": lambda blob: blob[:-1],
    "shorter_than_nonce_and_tag": lambda blob: blob[: crypto.NONCE_SIZE + 15],
    "empty": lambda blob: b"",
}


def _assert_refused(keyring: Keyring, blob: bytes, version: int, ad: bytes) -> None:
    """Opening fails with DecryptionError whose message gives nothing away."""
    with pytest.raises(DecryptionError) as caught:
        open_sealed(keyring, blob, version, ad, context=CONTEXT)

    assert CONTEXT in str(caught.value)
    _assert_reveals_nothing(str(caught.value))
    _assert_reveals_nothing(repr(caught.value))
    # No chained library exception that could carry more detail.
    assert caught.value.__cause__ is None
    assert caught.value.__suppress_context__


# --- sealing ---------------------------------------------------------------


def test_100000_encryptions_of_one_secret_are_distinct_and_all_decrypt(
    keyring: Keyring,
) -> None:
    sealed = [seal(keyring, PLAINTEXT, AD) for _ in range(100_000)]

    blobs = {blob for blob, _ in sealed}
    nonces = {blob[: crypto.NONCE_SIZE] for blob in blobs}
    assert len(blobs) == 100_000
    assert len(nonces) == 100_000
    assert all(open_sealed(keyring, b, v, AD) == PLAINTEXT for b, v in sealed)


def test_sealed_blob_is_nonce_then_ciphertext_then_tag(keyring: Keyring) -> None:
    blob, version = seal(keyring, PLAINTEXT, AD)

    assert version == keyring.current_version
    assert len(blob) == crypto.NONCE_SIZE + len(PLAINTEXT) + crypto.TAG_SIZE
    assert PLAINTEXT.encode() not in blob


@pytest.mark.parametrize("plaintext", ["", "ключ-🔑-é", "x" * 10_000])
def test_seal_round_trips_empty_unicode_and_long_text(keyring: Keyring, plaintext: str) -> None:
    blob, version = seal(keyring, plaintext, AD)

    assert open_sealed(keyring, blob, version, AD) == plaintext


def test_seal_accepts_a_secret(keyring: Keyring) -> None:
    blob, version = seal(keyring, Secret(PLAINTEXT), AD)

    assert open_sealed(keyring, blob, version, AD) == PLAINTEXT


def test_blob_sealed_by_this_code_still_opens() -> None:
    # Stored rows must stay readable: pins the HKDF labels, the key id and the
    # blob layout. If this fails, existing databases can no longer be read.
    blob = bytes.fromhex(
        "60dccbcdfc629196255e106aa6d259a3fbfd7bdeb0d005cbe6c43e35"
        "fc4ab35ba5670298bb2880310ce7f5588670"
    )
    ad = associated_data(uuid.UUID(int=1), "vapi", uuid.UUID(int=2))

    assert open_sealed(Keyring(bytes(range(32))), blob, 1811244624, ad) == ("sk-test-0123456789")


# --- tampering -------------------------------------------------------------


@pytest.mark.parametrize("other_ad", MISPLACED.values(), ids=MISPLACED.keys())
def test_ciphertext_moved_to_another_owner_service_or_row_is_refused(
    keyring: Keyring, other_ad: bytes
) -> None:
    blob, version = seal(keyring, PLAINTEXT, AD)

    _assert_refused(keyring, blob, version, other_ad)


@pytest.mark.parametrize("damage", DAMAGE.values(), ids=DAMAGE.keys())
def test_damaged_or_truncated_blob_is_refused(
    keyring: Keyring, damage: Callable[[bytes], bytes]
) -> None:
    blob, version = seal(keyring, PLAINTEXT, AD)

    _assert_refused(keyring, damage(blob), version, AD)


def test_blob_with_unknown_key_version_is_refused(keyring: Keyring) -> None:
    blob, version = seal(keyring, PLAINTEXT, AD)

    _assert_refused(keyring, blob, version ^ 1, AD)


def test_blob_opened_with_wrong_master_key_is_refused(keyring: Keyring) -> None:
    blob, _ = seal(keyring, PLAINTEXT, AD)
    wrong = Keyring(KEY_C)

    _assert_refused(wrong, blob, wrong.current_version, AD)


def test_missing_ciphertext_raises_decryption_error(keyring: Keyring) -> None:
    with pytest.raises(DecryptionError, match="no ciphertext"):
        open_sealed(keyring, None, keyring.current_version, AD)  # type: ignore[arg-type]


def test_decryption_failure_is_logged_without_the_secret(
    keyring: Keyring, caplog: pytest.LogCaptureFixture
) -> None:
    blob, version = seal(keyring, PLAINTEXT, AD)
    caplog.set_level(logging.DEBUG, logger=crypto.__name__)

    with pytest.raises(DecryptionError):
        open_sealed(keyring, _flip(blob, 20), version, AD, context=CONTEXT)

    [record] = [r for r in caplog.records if r.name == crypto.__name__]
    assert record.levelno == logging.WARNING
    assert CONTEXT in record.getMessage()
    _assert_reveals_nothing(caplog.text)


# --- associated data -------------------------------------------------------


def test_associated_data_is_the_same_for_uuid_and_any_case_of_its_text() -> None:
    assert associated_data(str(USER).upper(), "vapi", str(ROW)) == AD
    assert AD == (
        b"crm_app/api-key/v1|11111111-1111-4111-8111-111111111111|vapi"
        b"|33333333-3333-4333-8333-333333333333"
    )


@pytest.mark.parametrize(
    ("user_id", "service", "row_id"),
    [(USER, "", ROW), (USER, "va|pi", ROW), ("not-a-uuid", "vapi", ROW)],
)
def test_associated_data_refuses_ambiguous_input(
    user_id: uuid.UUID | str, service: str, row_id: uuid.UUID
) -> None:
    with pytest.raises(ValueError):
        associated_data(user_id, service, row_id)


# --- rotation --------------------------------------------------------------


def test_blob_sealed_under_old_key_opens_with_keyring_of_new_and_old() -> None:
    blob, version = seal(Keyring(KEY_A), PLAINTEXT, AD)

    assert open_sealed(Keyring(KEY_B, [KEY_A]), blob, version, AD) == PLAINTEXT


def test_sealing_after_rotation_uses_the_new_key_version() -> None:
    old_version = Keyring(KEY_A).current_version
    rotated = Keyring(KEY_B, [KEY_A])

    blob, version = seal(rotated, PLAINTEXT, AD)

    assert version == crypto.key_version(KEY_B) != old_version
    assert open_sealed(Keyring(KEY_B), blob, version, AD) == PLAINTEXT


def test_keyring_without_the_old_key_refuses_its_blob() -> None:
    blob, version = seal(Keyring(KEY_A), PLAINTEXT, AD)

    with pytest.raises(DecryptionError, match="unknown key version"):
        open_sealed(Keyring(KEY_B), blob, version, AD)


def test_key_version_depends_on_the_key_not_its_place_in_the_keyring() -> None:
    as_current = Keyring(KEY_A, [KEY_B])
    as_previous = Keyring(KEY_C, [KEY_B, KEY_A])

    assert as_current.current_version == crypto.key_version(KEY_A)
    assert as_previous.versions == tuple(crypto.key_version(k) for k in (KEY_C, KEY_B, KEY_A))
    assert 0 <= crypto.key_version(KEY_A) < 2**31  # fits a signed INTEGER column


def test_keyring_from_settings_reads_current_and_previous_keys() -> None:
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        jwt_secret="j" * 48,
        encryption_key=KEY_B.hex().upper(),
        encryption_keys_previous=f"{KEY_A.hex()}, {KEY_C.hex()}",
    )

    keyring = Keyring.from_settings(settings)

    assert keyring.versions == tuple(crypto.key_version(k) for k in (KEY_B, KEY_A, KEY_C))


@pytest.mark.parametrize("bad_key", [b"", KEY_A[:16], KEY_A + b"\x00"])
def test_keyring_refuses_a_key_that_is_not_256_bits(bad_key: bytes) -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        Keyring(KEY_A, [bad_key])


def test_keyring_repr_shows_versions_only() -> None:
    _assert_reveals_nothing(repr(Keyring(KEY_A, [KEY_B])))


# --- sub-keys --------------------------------------------------------------


def test_sub_keys_for_every_purpose_are_distinct_and_32_bytes() -> None:
    sub_keys = [derive_key(KEY_A, purpose) for purpose in crypto.PURPOSES]

    assert all(len(key) == 32 for key in sub_keys)
    assert len(set(sub_keys)) == len(crypto.PURPOSES)
    assert KEY_A not in sub_keys


def test_derive_key_is_deterministic_and_depends_on_the_master() -> None:
    purpose = crypto.API_KEY_ENCRYPTION

    assert derive_key(KEY_A, purpose) == derive_key(KEY_A, purpose)
    assert derive_key(KEY_A, purpose) != derive_key(KEY_B, purpose)
    # RFC 5869 HKDF-SHA256, no salt, info b"crm_app/v1/api-key-encryption".
    assert derive_key(bytes(range(32)), purpose).hex() == (
        "14f2a6f24132fdd88ffc03d620b935a276997a76d714277e5a0fdfed661bfd71"
    )


def test_derive_key_refuses_an_unknown_purpose() -> None:
    with pytest.raises(ValueError, match="unknown key purpose"):
        derive_key(KEY_A, "api-key-encrpytion")


def test_session_signing_key_is_the_session_sub_key_of_jwt_secret() -> None:
    jwt_secret = "s" * 48

    key = session_signing_key(jwt_secret)

    assert key == derive_key(jwt_secret.encode(), crypto.SESSION_TOKEN)
    assert key == session_signing_key(Secret(jwt_secret))
    assert len(key) == 32
    assert key != jwt_secret.encode()[:32]


# --- fingerprints and hints ------------------------------------------------


def test_fingerprint_is_stable_short_hex() -> None:
    first = fingerprint(Keyring(KEY_A), PLAINTEXT)

    assert first == fingerprint(Keyring(KEY_A), Secret(PLAINTEXT))
    assert len(first) == 16
    int(first, 16)


def test_fingerprint_differs_for_other_secret_and_other_master_key() -> None:
    first = fingerprint(Keyring(KEY_A), PLAINTEXT)

    assert fingerprint(Keyring(KEY_A), PLAINTEXT + "x") != first
    assert fingerprint(Keyring(KEY_B), PLAINTEXT) != first


def test_fingerprint_uses_the_current_key_only() -> None:
    assert fingerprint(Keyring(KEY_B, [KEY_A]), PLAINTEXT) == fingerprint(Keyring(KEY_B), PLAINTEXT)


def test_fingerprint_is_not_a_plain_hash_of_the_secret() -> None:
    value = fingerprint(Keyring(KEY_A), PLAINTEXT)

    for algorithm in ("sha256", "sha1", "md5", "sha512"):
        assert value not in hashlib.new(algorithm, PLAINTEXT.encode()).hexdigest()


def test_hint_shows_last_four_characters_of_a_long_secret() -> None:
    assert hint(PLAINTEXT) == "\u2026" + PLAINTEXT[-4:]
    assert hint("abcdefgh1234") == "\u20261234"
    assert hint(Secret(PLAINTEXT)) == "\u2026" + PLAINTEXT[-4:]


@pytest.mark.parametrize("short", ["", "abc", "abcdefgh123"])
def test_hint_hides_short_secrets(short: str) -> None:
    assert hint(short) == ""


# --- Secret ----------------------------------------------------------------


def test_secret_prints_as_stars_in_every_format() -> None:
    secret = Secret(PLAINTEXT)

    renderings = [
        repr(secret),
        str(secret),
        f"{secret}",
        f"{secret!r}",
        f"{secret:>40}",
        "{}".format(secret),  # noqa: UP032 - the code path under test
        "%s %r" % (secret, secret),  # noqa: UP031 - how logging formats
        repr([secret]),
        repr({"key": secret}),
    ]
    for text in renderings:
        assert PLAINTEXT not in text
        assert "**********" in text


def test_secret_reveals_its_value_on_request() -> None:
    assert Secret(PLAINTEXT).reveal() == PLAINTEXT
    assert Secret(Secret(PLAINTEXT)).reveal() == PLAINTEXT
