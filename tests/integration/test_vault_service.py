"""The vault service on SQLite and Postgres: keys sealed on save, replaced, wiped, never listed."""

from __future__ import annotations

import hashlib
import logging
import secrets
import uuid
from typing import Any

import pytest
import sqlalchemy as sa
from sqlmodel import Session, select, update

from crm_app.core.crypto import DecryptionError, Keyring, Secret
from crm_app.core.db import tenant_session
from crm_app.models import ApiKey, User
from crm_app.services import vault
from crm_app.services.errors import InvalidInput

KEY_1 = bytes.fromhex("a1" * 32)
KEY_2 = bytes.fromhex("b2" * 32)
TWILIO_SID = "AC" + "0123456789abcdef" * 2


def _vapi_key() -> str:
    return "vapi-sk-" + secrets.token_hex(12)


def _twilio_token() -> str:
    return secrets.token_hex(16)


def _rows(session: Session, user_id: uuid.UUID, service: str | None = None) -> list[ApiKey]:
    statement = select(ApiKey).where(ApiKey.user_id == user_id)
    if service:
        statement = statement.where(ApiKey.service == service)
    return list(session.exec(statement.order_by(ApiKey.created_at)))


def _save(engine: sa.Engine, user: User, service: str, raw: str, **kwargs: Any) -> vault.Connection:
    with tenant_session(user.id, engine) as session:
        return vault.save_api_key(
            session=session, user_id=user.id, service=service, raw_key=raw, **kwargs
        )


def _get(engine: sa.Engine, user: User, service: str, **kwargs: Any) -> Secret | None:
    with tenant_session(user.id, engine) as session:
        return vault.get_api_key(session=session, user_id=user.id, service=service, **kwargs)


# --- save and get


def test_a_saved_key_comes_back_from_get_as_a_secret(engine, make_user) -> None:
    user, raw = make_user(), _vapi_key()
    _save(engine, user, "vapi", raw)
    key = _get(engine, user, "vapi")
    assert isinstance(key, Secret)
    assert key.reveal() == raw
    assert raw not in repr(key) and raw not in f"{key}"


def test_the_stored_row_holds_ciphertext_a_keyed_fingerprint_and_a_hint_only(
    engine, make_user
) -> None:
    user, raw = make_user(), _vapi_key()
    _save(engine, user, "vapi", raw)
    with tenant_session(user.id, engine) as session:
        (row,) = _rows(session, user.id)
        values = (
            session.connection()
            .execute(sa.select(ApiKey.__table__).where(ApiKey.__table__.c.id == row.id))
            .one()
        )
    stored = " ".join(str(value) for value in values)
    assert raw not in stored
    assert raw.encode() not in row.ciphertext
    assert row.key_version == vault.current_keyring().current_version
    assert row.fingerprint and row.fingerprint not in hashlib.sha256(raw.encode()).hexdigest()
    assert row.hint == "\u2026" + raw[-4:]
    assert row.is_active and row.deactivated_at is None


def test_get_for_a_service_never_saved_returns_none(engine, make_user) -> None:
    assert _get(engine, make_user(), "twilio") is None


def test_get_api_keys_reads_several_services_in_one_call(engine, make_user) -> None:
    user, vapi_key, hmac_key = make_user(), _vapi_key(), _vapi_key()
    _save(engine, user, "vapi", vapi_key)
    _save(engine, user, "vapi_hmac", hmac_key)
    _save(engine, user, "vapi", _vapi_key())  # a replaced key is not read back
    _save(engine, user, "vapi", vapi_key)
    with tenant_session(user.id, engine) as session:
        found = vault.get_api_keys(
            session=session, user_id=user.id, services=["vapi", "vapi_hmac", "twilio"]
        )
    assert {service: key and key.reveal() for service, key in found.items()} == {
        "vapi": vapi_key,
        "vapi_hmac": hmac_key,
        "twilio": None,
    }


def test_get_api_keys_sees_a_key_saved_earlier_in_the_same_unit_of_work(engine, make_user) -> None:
    user, raw = make_user(), _vapi_key()
    with tenant_session(user.id, engine) as session:
        vault.save_api_key(session=session, user_id=user.id, service="vapi", raw_key=raw)
        found = vault.get_api_keys(session=session, user_id=user.id, services=["vapi"])
    assert found["vapi"].reveal() == raw


def test_get_api_keys_refuses_a_malformed_service_name_before_reading(engine, make_user) -> None:
    user = make_user()
    with tenant_session(user.id, engine) as session, pytest.raises(InvalidInput):
        vault.get_api_keys(session=session, user_id=user.id, services=["vapi", "VAPI"])


def test_the_current_keyring_is_reused_until_the_keys_change(monkeypatch) -> None:
    from crm_app.core.config import get_settings

    first = vault.current_keyring()
    assert vault.current_keyring() is first
    monkeypatch.setenv("ENCRYPTION_KEY", KEY_2.hex())
    monkeypatch.setenv("ENCRYPTION_KEYS_PREVIOUS", KEY_1.hex())
    get_settings.cache_clear()
    try:
        rotated = vault.current_keyring()
        assert rotated is not first
        assert rotated.versions == Keyring(KEY_2, [KEY_1]).versions
    finally:
        get_settings.cache_clear()


def test_surrounding_whitespace_is_trimmed_before_sealing(engine, make_user) -> None:
    user, raw = make_user(), _vapi_key()
    _save(engine, user, "vapi", f"  {raw}\n")
    assert _get(engine, user, "vapi").reveal() == raw


def test_twilio_keeps_its_account_sid_in_the_clear_and_the_token_sealed(engine, make_user) -> None:
    user, token = make_user(), _twilio_token()
    saved = _save(engine, user, "twilio", token, public_value=TWILIO_SID)
    assert saved.public_value == TWILIO_SID
    assert _get(engine, user, "twilio").reveal() == token


# --- replace and delete


def test_saving_again_replaces_the_key_and_wipes_the_old_row(engine, make_user) -> None:
    user, first, second = make_user(), _vapi_key(), _vapi_key()
    _save(engine, user, "vapi", first)
    _save(engine, user, "vapi", second)
    assert _get(engine, user, "vapi").reveal() == second
    with tenant_session(user.id, engine) as session:
        old, new = _rows(session, user.id, "vapi")
    assert (old.is_active, old.ciphertext) == (False, None)
    assert old.deactivated_at is not None
    assert new.is_active and new.ciphertext


def test_saving_the_same_key_twice_still_leaves_one_active_row(engine, make_user) -> None:
    user, raw = make_user(), _vapi_key()
    _save(engine, user, "vapi", raw)
    _save(engine, user, "vapi", raw)
    with tenant_session(user.id, engine) as session:
        rows = _rows(session, user.id, "vapi")
    assert [row.is_active for row in rows] == [False, True]


def test_delete_deactivates_wipes_the_ciphertext_and_keeps_the_history(engine, make_user) -> None:
    user, raw = make_user(), _vapi_key()
    saved = _save(engine, user, "vapi", raw)
    with tenant_session(user.id, engine) as session:
        assert vault.delete_api_key(session=session, user_id=user.id, service="vapi") is True
        assert vault.delete_api_key(session=session, user_id=user.id, service="vapi") is False
    assert _get(engine, user, "vapi") is None
    with tenant_session(user.id, engine) as session:
        (row,) = _rows(session, user.id)
    assert (row.is_active, row.ciphertext) == (False, None)
    assert row.deactivated_at is not None
    assert row.fingerprint == saved.fingerprint  # what was connected, and when, remains


def test_delete_of_one_service_leaves_the_others(engine, make_user) -> None:
    user, raw = make_user(), _vapi_key()
    _save(engine, user, "vapi", raw)
    _save(engine, user, "twilio", _twilio_token(), public_value=TWILIO_SID)
    with tenant_session(user.id, engine) as session:
        vault.delete_api_key(session=session, user_id=user.id, service="twilio")
    assert _get(engine, user, "vapi").reveal() == raw


# --- list and check


def test_list_connections_names_every_service_and_never_holds_a_key(engine, make_user) -> None:
    user, raw, token = make_user(), _vapi_key(), _twilio_token()
    _save(engine, user, "vapi", raw)
    _save(engine, user, "twilio", token, public_value=TWILIO_SID)
    with tenant_session(user.id, engine) as session:
        connections = vault.list_connections(session=session, user_id=user.id)
    by_service = {c.service: c for c in connections}
    assert list(by_service) == ["vapi", "vapi_hmac", "twilio", "make"]
    assert [c.connected for c in connections] == [True, False, True, False]
    assert by_service["vapi"].hint == "\u2026" + raw[-4:]
    assert by_service["vapi"].saved_at is not None
    assert by_service["vapi"].saved_at.tzinfo is not None
    shown = repr(connections)
    assert raw not in shown and token not in shown


def test_list_connections_tells_a_key_sealed_under_a_lost_master_key(engine, make_user) -> None:
    # It showed as connected, with its fingerprint, while every request checked with it
    # was refused: the page now says so, and what to do.
    user = make_user()
    _save(engine, user, "vapi", _vapi_key())
    _save(engine, user, "vapi_hmac", _vapi_key(), keyring=Keyring(secrets.token_bytes(32)))
    with tenant_session(user.id, engine) as session:
        listed = vault.list_connections(session=session, user_id=user.id)
    by_service = {connection.service: connection for connection in listed}
    assert (by_service["vapi"].connected, by_service["vapi"].readable) == (True, True)
    assert (by_service["vapi_hmac"].connected, by_service["vapi_hmac"].readable) == (True, False)
    _save(engine, user, "vapi_hmac", _vapi_key())  # saved again, under the server's key
    with tenant_session(user.id, engine) as session:
        listed = vault.list_connections(session=session, user_id=user.id)
    by_service = {connection.service: connection for connection in listed}
    assert by_service["vapi_hmac"].readable


def test_list_connections_leaves_out_webhook_tokens_and_disconnected_keys(
    engine, make_user
) -> None:
    user = make_user()
    _save(engine, user, "webhook_token_vapi", secrets.token_urlsafe(32))
    _save(engine, user, "vapi", _vapi_key())
    with tenant_session(user.id, engine) as session:
        vault.delete_api_key(session=session, user_id=user.id, service="vapi")
        connections = vault.list_connections(session=session, user_id=user.id)
    assert [c.service for c in connections] == ["vapi", "vapi_hmac", "twilio", "make"]
    assert not any(c.connected for c in connections)


def test_check_api_key_says_whether_a_held_key_is_the_stored_one(engine, make_user) -> None:
    user, raw = make_user(), _vapi_key()
    _save(engine, user, "vapi", raw)
    with tenant_session(user.id, engine) as session:

        def check(candidate: str, service: str = "vapi") -> bool:
            return vault.check_api_key(
                session=session, user_id=user.id, service=service, candidate=candidate
            )

        assert check(raw) is True
        assert check(f" {raw}\n") is True
        assert check(Secret(raw)) is True
        assert check(raw[:-1]) is False
        assert check(_vapi_key()) is False
        assert check("") is False
        assert check(raw, service="twilio") is False
        vault.delete_api_key(session=session, user_id=user.id, service="vapi")
        assert check(raw) is False


def test_check_api_key_still_works_on_a_row_sealed_under_the_previous_key(
    engine, make_user
) -> None:
    user, raw = make_user(), _vapi_key()
    with tenant_session(user.id, engine) as session:
        vault.save_api_key(
            session=session, user_id=user.id, service="vapi", raw_key=raw, keyring=Keyring(KEY_1)
        )
        rotated = Keyring(KEY_2, [KEY_1])
        for candidate, expected in ((raw, True), (_vapi_key(), False)):
            assert (
                vault.check_api_key(
                    session=session,
                    user_id=user.id,
                    service="vapi",
                    candidate=candidate,
                    keyring=rotated,
                )
                is expected
            )


def test_generate_make_secret_stores_a_fresh_url_safe_secret_each_time(engine, make_user) -> None:
    user = make_user()
    with tenant_session(user.id, engine) as session:
        first = vault.generate_make_secret(session=session, user_id=user.id)
        second = vault.generate_make_secret(session=session, user_id=user.id)
    assert first.reveal() != second.reveal()
    assert len(second.reveal()) == 43
    assert _get(engine, user, "make").reveal() == second.reveal()


def test_a_first_make_secret_asked_for_when_one_is_stored_keeps_it(engine, make_user) -> None:
    # "Generate secret" on a page that did not know of the secret another tab made: the
    # scenario's secret was replaced unasked, and its requests began to fail.
    user = make_user()
    with tenant_session(user.id, engine) as session:
        first = vault.generate_make_secret(session=session, user_id=user.id, replace=False)
        again = vault.generate_make_secret(session=session, user_id=user.id, replace=False)
    assert first is not None and again is None
    assert _get(engine, user, "make").reveal() == first.reveal()


def test_two_users_keys_for_one_service_stay_apart(engine, make_user) -> None:
    alice, bob, alice_key, bob_key = make_user(), make_user(), _vapi_key(), _vapi_key()
    _save(engine, alice, "vapi", alice_key)
    _save(engine, bob, "vapi", bob_key)
    assert _get(engine, alice, "vapi").reveal() == alice_key
    assert _get(engine, bob, "vapi").reveal() == bob_key


# --- bad input changes nothing


@pytest.mark.parametrize(
    ("service", "raw", "public_value"),
    [
        ("vapi", "", ""),
        ("vapi", "x" * 10_000, ""),
        ("vapi", "has a space inside", ""),
        ("twilio", "0123456789abcdef0123456789abcdef", "AC-not-a-sid"),
        ("twilio", "not-hex-not-hex-not-hex-not-hex!", TWILIO_SID),
        ("stripe", "sk_live_0123456789", ""),
        ("vapi", "vapi-sk-0123456789", TWILIO_SID),
    ],
)
def test_bad_input_is_refused_and_the_stored_key_is_untouched(
    engine, make_user, service: str, raw: str, public_value: str
) -> None:
    user, kept = make_user(), _vapi_key()
    _save(engine, user, "vapi", kept)
    _save(engine, user, "twilio", _twilio_token(), public_value=TWILIO_SID)
    with tenant_session(user.id, engine) as session:
        before = [(r.id, r.is_active, r.ciphertext) for r in _rows(session, user.id)]
    with pytest.raises(InvalidInput) as raised:
        _save(engine, user, service, raw, public_value=public_value)
    if raw:
        assert raw not in str(raised.value)
    with tenant_session(user.id, engine) as session:
        after = [(r.id, r.is_active, r.ciphertext) for r in _rows(session, user.id)]
    assert after == before
    assert _get(engine, user, "vapi").reveal() == kept


@pytest.mark.parametrize("service", ["", "VAPI", "vapi|x", "v" * 41])
def test_reads_and_deletes_refuse_malformed_service_names(engine, make_user, service: str) -> None:
    user = make_user()
    with tenant_session(user.id, engine) as session:
        for call in (vault.get_api_key, vault.delete_api_key):
            with pytest.raises(InvalidInput):
                call(session=session, user_id=user.id, service=service)


# --- tampering at row level: a ciphertext moved elsewhere does not open


def _move_ciphertext(
    engine: sa.Engine, source: ApiKey, target_user: uuid.UUID, target_id: uuid.UUID
) -> None:
    with tenant_session(target_user, engine) as session:
        session.exec(
            update(ApiKey)
            .where(ApiKey.user_id == target_user, ApiKey.id == target_id)
            .values(ciphertext=source.ciphertext, key_version=source.key_version)
        )


def _active(engine: sa.Engine, user_id: uuid.UUID, service: str) -> ApiKey:
    with tenant_session(user_id, engine) as session:
        return next(r for r in _rows(session, user_id, service) if r.is_active)


def _assert_clear_failure(
    engine: sa.Engine,
    user: User,
    service: str,
    secrets_: list[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    row = _active(engine, user.id, service)
    with caplog.at_level(logging.DEBUG), pytest.raises(DecryptionError) as raised:
        _get(engine, user, service)
    message = str(raised.value)
    assert service in message and str(row.id) in message
    assert str(row.id) in caplog.text  # the failure is logged ...
    for secret in secrets_:  # ... and nothing secret is, anywhere
        assert secret not in message
        assert secret not in repr(raised.value)
        assert secret not in caplog.text


def test_a_ciphertext_copied_to_another_user_does_not_open(engine, make_user, caplog) -> None:
    alice, bob, alice_key = make_user(), make_user(), _vapi_key()
    _save(engine, alice, "vapi", alice_key)
    _save(engine, bob, "vapi", _vapi_key())
    bobs_row = _active(engine, bob.id, "vapi")
    _move_ciphertext(engine, _active(engine, alice.id, "vapi"), bob.id, bobs_row.id)
    _assert_clear_failure(engine, bob, "vapi", [alice_key], caplog)


def test_a_ciphertext_copied_to_another_service_does_not_open(engine, make_user, caplog) -> None:
    user, raw = make_user(), _vapi_key()
    _save(engine, user, "vapi", raw)
    _save(engine, user, "vapi_hmac", _vapi_key())
    target = _active(engine, user.id, "vapi_hmac")
    _move_ciphertext(engine, _active(engine, user.id, "vapi"), user.id, target.id)
    _assert_clear_failure(engine, user, "vapi_hmac", [raw], caplog)


def test_a_ciphertext_copied_to_another_row_of_the_same_service_does_not_open(
    engine, make_user, caplog
) -> None:
    user, first = make_user(), _vapi_key()
    _save(engine, user, "vapi", first)
    first_row = _active(engine, user.id, "vapi")  # read before replacing wipes it
    _save(engine, user, "vapi", _vapi_key())
    _move_ciphertext(engine, first_row, user.id, _active(engine, user.id, "vapi").id)
    _assert_clear_failure(engine, user, "vapi", [first], caplog)


def test_a_key_sealed_under_a_removed_master_key_fails_clearly(engine, make_user, caplog) -> None:
    user, raw = make_user(), _vapi_key()
    _save(engine, user, "vapi", raw, keyring=Keyring(KEY_1))
    with caplog.at_level(logging.DEBUG), pytest.raises(DecryptionError) as raised:
        _get(engine, user, "vapi", keyring=Keyring(KEY_2))
    assert "unknown key version" in str(raised.value)
    assert raw not in str(raised.value) and raw not in caplog.text


def test_old_and_new_master_keys_both_open_during_a_rotation(engine, make_user) -> None:
    user, old_raw, new_raw = make_user(), _vapi_key(), _twilio_token()
    _save(engine, user, "vapi", old_raw, keyring=Keyring(KEY_1))
    rotated = Keyring(KEY_2, [KEY_1])
    _save(engine, user, "twilio", new_raw, public_value=TWILIO_SID, keyring=rotated)
    assert _get(engine, user, "vapi", keyring=rotated).reveal() == old_raw
    assert _get(engine, user, "twilio", keyring=rotated).reveal() == new_raw
    assert _active(engine, user.id, "twilio").key_version == rotated.current_version
