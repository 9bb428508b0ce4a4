"""Master-key rotation end to end, on a fresh SQLite and a fresh Postgres database each time.

Rows are sealed under key 1; the settings then name key 2 as current and key 1
as previous; `rotate_keys` (or `python -m crm_app rotate-keys`) re-encrypts;
with key 1 removed every secret still opens. SECURITY.md item 10.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlmodel import select

from crm_app.core.config import PROJECT_ROOT, load_settings
from crm_app.core.crypto import DecryptionError, Keyring
from crm_app.core.db import create_db_engine, global_session, tenant_session
from crm_app.models import ApiKey, User
from crm_app.services import vault, webhook_endpoints
from crm_app.services.schema import migrate
from tests.pg import create_postgres_database, drop_postgres_database

KEY_1_HEX, KEY_2_HEX = secrets.token_hex(32), secrets.token_hex(32)
KEY_1, KEY_2 = bytes.fromhex(KEY_1_HEX), bytes.fromhex(KEY_2_HEX)
OLD = Keyring(KEY_1)
ROTATING = Keyring(KEY_2, [KEY_1])
NEW = Keyring(KEY_2)
SERVICES = ("vapi", "vapi_hmac", "make")
Slot = tuple[uuid.UUID, str]  # (user, service)
Stored = dict[Slot, str]  # the raw key saved in each slot


@dataclass(frozen=True)
class FreshDatabase:
    engine: sa.Engine
    url: str


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def fresh(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[FreshDatabase]:
    """A database of its own: a rotation covers every row in it, so nothing else may be there."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'rotate.db'}"
        migrate(load_settings(database_url=url))
        engine = create_db_engine(url)
        yield FreshDatabase(engine, url)
        engine.dispose()
        return
    admin = request.getfixturevalue("pg_admin")
    database = create_postgres_database(admin, prefix="crm_rotate")
    engine = create_db_engine(database.app_url)
    try:
        yield FreshDatabase(engine, database.app_url)
    finally:
        engine.dispose()
        drop_postgres_database(admin, database)


def _users_with_keys(engine: sa.Engine, users: int) -> Stored:
    """`users` users with one key per service each, all sealed under key 1."""
    stored = {}
    for _ in range(users):
        user = User(email=f"rot-{uuid.uuid4().hex[:10]}@example.com", password_hash="!")
        with global_session(engine) as session:
            session.add(user)
        with tenant_session(user.id, engine) as session:
            for service in SERVICES:
                raw = secrets.token_urlsafe(32)
                vault.save_api_key(
                    session=session, user_id=user.id, service=service, raw_key=raw, keyring=OLD
                )
                stored[(user.id, service)] = raw
    return stored


def _read_all(engine: sa.Engine, stored: Stored, keyring: Keyring) -> dict[Slot, str | None]:
    read = {}
    for user_id, service in stored:
        with tenant_session(user_id, engine) as session:
            key = vault.get_api_key(
                session=session, user_id=user_id, service=service, keyring=keyring
            )
            read[(user_id, service)] = key.reveal() if key else None
    return read


def _versions(engine: sa.Engine, stored: Stored) -> dict[Slot, int]:
    versions = {}
    for user_id in {user_id for user_id, _ in stored}:
        with tenant_session(user_id, engine) as session:
            rows = session.exec(select(ApiKey).where(ApiKey.user_id == user_id, ApiKey.is_active))
            versions.update({(user_id, row.service): row.key_version for row in rows})
    return versions


def test_rotation_moves_every_row_to_the_new_key_and_the_old_key_can_go(fresh) -> None:
    stored = _users_with_keys(fresh.engine, users=3)
    with pytest.raises(DecryptionError):  # without key 1 nothing opens yet
        _read_all(fresh.engine, stored, NEW)

    done = vault.rotate_keys(engine=fresh.engine, keyring=ROTATING, batch_size=2)

    assert (done.rewrapped, done.failed, done.up_to_date) == (9, 0, 0)
    assert (done.users_total, done.users_done) == (3, 3)
    assert done.batches == 6  # per user: a batch of 2, then one of 1
    assert set(_versions(fresh.engine, stored).values()) == {NEW.current_version}
    assert _read_all(fresh.engine, stored, NEW) == stored


def test_rotation_recomputes_fingerprints_under_the_new_key(fresh) -> None:
    stored = _users_with_keys(fresh.engine, users=1)
    vault.rotate_keys(engine=fresh.engine, keyring=ROTATING)
    for (user_id, service), raw in stored.items():
        with tenant_session(user_id, fresh.engine) as session:
            assert vault.check_api_key(
                session=session, user_id=user_id, service=service, candidate=raw, keyring=NEW
            )


def test_a_second_rotation_finds_nothing_to_do(fresh) -> None:
    stored = _users_with_keys(fresh.engine, users=2)
    vault.rotate_keys(engine=fresh.engine, keyring=ROTATING)
    again = vault.rotate_keys(engine=fresh.engine, keyring=ROTATING)
    assert (again.rewrapped, again.failed, again.up_to_date, again.batches) == (0, 0, 6, 0)
    assert _read_all(fresh.engine, stored, NEW) == stored


class _Stop(Exception):
    pass


def test_an_interrupted_rotation_resumed_loses_nothing(fresh) -> None:
    stored = _users_with_keys(fresh.engine, users=3)
    seen = []

    def stop_after_first_batch(progress: vault.RotationProgress) -> None:
        seen.append(progress)
        raise _Stop

    with pytest.raises(_Stop):
        vault.rotate_keys(
            engine=fresh.engine, keyring=ROTATING, batch_size=2, on_progress=stop_after_first_batch
        )
    assert [(p.batches, p.rewrapped) for p in seen] == [(1, 2)]
    halfway = _versions(fresh.engine, stored)
    assert sorted(halfway.values()).count(NEW.current_version) == 2
    assert _read_all(fresh.engine, stored, ROTATING) == stored  # old and new rows both open

    resumed = vault.rotate_keys(engine=fresh.engine, keyring=ROTATING, batch_size=2)

    assert (resumed.rewrapped, resumed.up_to_date, resumed.failed) == (7, 2, 0)
    assert _read_all(fresh.engine, stored, NEW) == stored


def test_a_dry_run_counts_and_changes_nothing(fresh) -> None:
    stored = _users_with_keys(fresh.engine, users=2)
    with tenant_session(next(iter(stored))[0], fresh.engine) as session:
        before = [
            (r.id, r.ciphertext, r.key_version, r.fingerprint) for r in session.exec(select(ApiKey))
        ]
    reports = []

    dry = vault.rotate_keys(
        engine=fresh.engine, keyring=ROTATING, dry_run=True, on_progress=reports.append
    )

    assert (dry.dry_run, dry.rewrapped, dry.failed) == (True, 6, 0)
    assert reports and all(report.dry_run for report in reports)
    assert set(_versions(fresh.engine, stored).values()) == {OLD.current_version}
    with tenant_session(next(iter(stored))[0], fresh.engine) as session:
        after = [
            (r.id, r.ciphertext, r.key_version, r.fingerprint) for r in session.exec(select(ApiKey))
        ]
    assert after == before


def test_a_row_that_cannot_be_opened_is_counted_and_left_alone(fresh) -> None:
    stored = _users_with_keys(fresh.engine, users=1)
    (user_id, service), _ = next(iter(stored.items()))
    with tenant_session(user_id, fresh.engine) as session:
        session.exec(
            sa.update(ApiKey)
            .where(ApiKey.user_id == user_id, ApiKey.service == service, ApiKey.is_active)
            .values(ciphertext=b"\x00" * 40)
        )

    done = vault.rotate_keys(engine=fresh.engine, keyring=ROTATING, batch_size=1)

    assert (done.rewrapped, done.failed) == (2, 1)
    assert _versions(fresh.engine, stored)[(user_id, service)] == OLD.current_version


def test_wiped_rows_of_disconnected_keys_are_not_touched(fresh) -> None:
    stored = _users_with_keys(fresh.engine, users=1)
    user_id = next(iter(stored))[0]
    with tenant_session(user_id, fresh.engine) as session:
        vault.delete_api_key(session=session, user_id=user_id, service="vapi")
    done = vault.rotate_keys(engine=fresh.engine, keyring=ROTATING)
    assert (done.rewrapped, done.failed) == (2, 0)


def test_webhook_urls_survive_a_master_key_rotation(fresh) -> None:
    user = User(email=f"rot-{uuid.uuid4().hex[:10]}@example.com", password_hash="!")
    with global_session(fresh.engine) as session:
        session.add(user)
    with tenant_session(user.id, fresh.engine) as session:
        tokens = {
            provider: webhook_endpoints.ensure_endpoint(
                session=session, user_id=user.id, provider=provider, keyring=OLD
            )
            for provider in ("vapi", "twilio", "make")
        }

    vault.rotate_keys(engine=fresh.engine, keyring=ROTATING)

    with tenant_session(user.id, fresh.engine) as session:
        for provider, token in tokens.items():
            assert (
                webhook_endpoints.ensure_endpoint(
                    session=session, user_id=user.id, provider=provider, keyring=NEW
                )
                == token
            )
    with global_session(fresh.engine) as session:
        for provider, token in tokens.items():
            owner = webhook_endpoints.find_endpoint_owner(
                session=session, provider=provider, token=token
            )
            assert owner == user.id


def test_a_secret_saved_under_the_old_key_during_the_run_is_counted_afterwards(fresh) -> None:
    # A worker started before the operator changed .env seals under the old key still: for
    # a user the run had passed, the run's own counts said the old key might go.
    stored = _users_with_keys(fresh.engine, users=2)
    first_user = next(iter(stored))[0]

    def meanwhile(progress: vault.RotationProgress) -> None:
        if progress.users_done == 1:  # the first user done, the second under way
            with tenant_session(first_user, fresh.engine) as session:
                vault.save_api_key(
                    session=session,
                    user_id=first_user,
                    service=SERVICES[0],
                    raw_key="saved-by-a-stale-worker",
                    keyring=OLD,
                )

    done = vault.rotate_keys(
        engine=fresh.engine, keyring=ROTATING, batch_size=100, on_progress=meanwhile
    )
    assert (done.rewrapped, done.failed) == (6, 0)
    assert vault.secrets_on_older_keys(engine=fresh.engine, keyring=NEW) == 1
    vault.rotate_keys(engine=fresh.engine, keyring=ROTATING)
    assert vault.secrets_on_older_keys(engine=fresh.engine, keyring=NEW) == 0


def test_batch_size_must_be_positive(fresh) -> None:
    with pytest.raises(ValueError, match="batch_size"):
        vault.rotate_keys(engine=fresh.engine, keyring=ROTATING, batch_size=0)


# --- the command line


def _cli(
    fresh: FreshDatabase, *args: str, previous: str = KEY_1_HEX
) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "DATABASE_URL": fresh.url,
        "ENCRYPTION_KEY": KEY_2_HEX,
        "ENCRYPTION_KEYS_PREVIOUS": previous,
    }
    env.pop("MIGRATION_DATABASE_URL", None)
    return subprocess.run(
        [sys.executable, "-m", "crm_app", "rotate-keys", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=PROJECT_ROOT,
        timeout=120,
        check=False,
    )


def test_the_rotate_keys_command_prints_progress_and_counts_but_no_secret(fresh) -> None:
    stored = _users_with_keys(fresh.engine, users=2)

    dry = _cli(fresh, "--dry-run", "--batch-size", "2")
    assert dry.returncode == 0, dry.stderr
    assert "dry run: 6 to re-encrypt, 0 unreadable" in dry.stdout
    assert set(_versions(fresh.engine, stored).values()) == {OLD.current_version}

    run = _cli(fresh, "--batch-size", "2")
    assert run.returncode == 0, run.stderr
    assert "batch 1: 2 re-encrypted" in run.stdout
    assert "6 re-encrypted, 0 unreadable, 0 already on key" in run.stdout
    assert _read_all(fresh.engine, stored, NEW) == stored

    again = _cli(fresh, previous="")  # key 1 removed from the settings
    assert again.returncode == 0, again.stderr
    assert "0 re-encrypted, 0 unreadable, 6 already on key" in again.stdout

    output = dry.stdout + dry.stderr + run.stdout + run.stderr + again.stdout + again.stderr
    for secret in (*stored.values(), KEY_1_HEX, KEY_2_HEX):
        assert secret not in output


def test_the_command_fails_when_a_key_cannot_be_opened(fresh) -> None:
    stored = _users_with_keys(fresh.engine, users=1)
    result = _cli(fresh, previous="")  # key 1 removed before rotating: nothing opens
    assert result.returncode == 1
    assert "0 re-encrypted, 3 unreadable" in result.stdout
    assert "keep the old keys" in result.stderr
    for secret in stored.values():
        assert secret not in result.stdout + result.stderr


def test_the_command_refuses_a_bad_batch_size(fresh) -> None:
    result = _cli(fresh, "--batch-size", "0")
    assert result.returncode == 2
    assert "at least 1" in result.stderr
