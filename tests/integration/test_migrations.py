"""Migrations reach head on empty databases, and the models agree with the migrated schema."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic import command

from crm_app.core.db import create_db_engine, global_session, tenant_session
from crm_app.models import CallLog, User
from crm_app.services.schema import (
    alembic_config,
    current_revision,
    head_revision,
    pending_schema_changes,
)
from tests.factories import add_activity, add_call_log, add_contact, add_lead, add_webhook_event
from tests.pg import create_postgres_database, drop_postgres_database


def _new_user(engine: sa.Engine) -> User:
    user = User(email="rows@example.com", name="", password_hash="!test-only-not-a-hash")
    with global_session(engine) as session:
        session.add(user)
    return user


def test_sqlite_migrates_to_head(sqlite_engine: sa.Engine) -> None:
    assert current_revision(sqlite_engine) == head_revision()


@pytest.mark.postgres
def test_postgres_migrates_to_head(pg_owner_engine: sa.Engine) -> None:
    assert current_revision(pg_owner_engine) == head_revision()


def test_sqlite_schema_matches_models(sqlite_engine: sa.Engine) -> None:
    assert pending_schema_changes(sqlite_engine) == []


@pytest.mark.postgres
def test_postgres_schema_matches_models(pg_owner_engine: sa.Engine) -> None:
    assert pending_schema_changes(pg_owner_engine) == []


@pytest.mark.parametrize("back_to", ["0007", "base"])
def test_sqlite_migrations_go_back_and_forth(tmp_path, back_to: str) -> None:
    url = f"sqlite:///{tmp_path / 'round-trip.db'}"
    config = alembic_config(url)
    command.upgrade(config, "head")
    command.downgrade(config, back_to)
    command.upgrade(config, "head")
    engine = create_db_engine(url)
    try:
        assert current_revision(engine) == head_revision()
        assert pending_schema_changes(engine) == []
    finally:
        engine.dispose()


@pytest.mark.parametrize("back_to", ["0005", "0001"])
def test_sqlite_migrations_go_back_and_forth_over_linked_rows(tmp_path, back_to: str) -> None:
    # SQLite alters a table by copying it and dropping the old one (0002 and 0006 do, for
    # leads and contacts): with foreign keys checked, the drop took the rows pointing at
    # a lead with it, and a database holding linked rows could never be upgraded.
    url = f"sqlite:///{tmp_path / 'round-trip.db'}"
    config = alembic_config(url)
    command.upgrade(config, "head")
    engine = create_db_engine(url)
    try:
        user = _new_user(engine)
        with tenant_session(user.id, engine) as session:
            lead = add_lead(session, user_id=user.id, name="Linked Lee", phone="+14155550100")
            contact = add_contact(session, user_id=user.id, name="Linked Lee", lead_id=lead.id)
            add_call_log(session, user_id=user.id, lead_id=lead.id, contact_id=contact.id)
            add_activity(session, user_id=user.id, lead_id=lead.id, contact_id=contact.id)
        command.downgrade(config, back_to)
        command.upgrade(config, "head")
        assert current_revision(engine) == head_revision()
        assert pending_schema_changes(engine) == []
        with tenant_session(user.id, engine) as session:
            [call] = session.exec(sa.select(CallLog)).scalars().all()
            assert (call.lead_id, call.contact_id) == (lead.id, contact.id)
        with engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA foreign_key_check").all() == []
    finally:
        engine.dispose()


@pytest.mark.postgres
@pytest.mark.parametrize("back_to", ["0007", "0003"])
def test_postgres_migrations_go_back_and_forth_over_rows(pg_admin, back_to: str) -> None:
    # Back before the indexes built CONCURRENTLY (outside the migration's transaction),
    # and before webhook results were text (0004, which cuts a long one to fit), and
    # forward again over tables that hold rows.
    database = create_postgres_database(pg_admin)
    engine = create_db_engine(database.owner_url)
    try:
        user = _new_user(engine)
        with tenant_session(user.id, engine) as session:
            call = add_call_log(
                session, user_id=user.id, from_number="+14155550100", to_number="+15125550199"
            )
            add_webhook_event(session, user_id=user.id, status="rejected", event_id=None)
            add_webhook_event(session, user_id=user.id, result="r" * 5000)
        config = alembic_config(database.owner_url)
        command.downgrade(config, back_to)
        command.upgrade(config, "head")
        assert current_revision(engine) == head_revision()
        assert pending_schema_changes(engine) == []
        with engine.connect() as connection:
            invalid = connection.execute(
                sa.text("SELECT count(*) FROM pg_index WHERE NOT indisvalid")
            ).scalar_one()
        assert invalid == 0
        with tenant_session(user.id, engine) as session:  # recomputed by 0012
            search_text = session.exec(
                sa.select(CallLog.search_text).where(CallLog.id == call.id)
            ).scalar_one()
        assert "+14155550100" in search_text and "+15125550199" not in search_text
    finally:
        engine.dispose()
        drop_postgres_database(pg_admin, database)


@pytest.mark.postgres
@pytest.mark.parametrize(
    ("before", "table", "index", "committed"),
    [
        (
            "0007",
            "webhook_events",
            "ix_webhook_events_user_id_provider_received_at_noise",
            "ADD COLUMN repeats INTEGER DEFAULT '0' NOT NULL,"
            " ADD COLUMN last_repeated_at TIMESTAMP WITH TIME ZONE",
        ),
        (
            "0009",
            "call_logs",
            "ix_call_logs_user_id_carrier_call_id",
            "ADD COLUMN carrier_call_id VARCHAR(100)",
        ),
    ],
)
def test_a_migration_stopped_while_it_built_its_index_runs_again_to_the_end(
    pg_admin, before: str, table: str, index: str, committed: str
) -> None:
    # CREATE INDEX CONCURRENTLY runs outside the migration's transaction: stopped there
    # (Ctrl-C, a timeout), the columns were committed, an INVALID index was left, and the
    # revision was not stamped. The next run failed on "column already exists", for good.
    database = create_postgres_database(pg_admin)
    engine = create_db_engine(database.owner_url)
    try:
        user = _new_user(engine)
        with tenant_session(user.id, engine) as session:
            for _ in range(2):
                add_webhook_event(session, user_id=user.id, status="rejected", event_id=None)
                add_call_log(session, user_id=user.id)
        config = alembic_config(database.owner_url)
        command.downgrade(config, before)
        admin = sa.create_engine(database.admin_url, isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as connection:
                connection.execute(sa.text(f"ALTER TABLE {table} {committed}"))
                # A build that failed half way: the index is left, marked invalid.
                with pytest.raises(sa.exc.IntegrityError):
                    connection.execute(
                        sa.text(f"CREATE UNIQUE INDEX CONCURRENTLY {index} ON {table} (user_id)")
                    )
        finally:
            admin.dispose()
        assert current_revision(engine) == before
        command.upgrade(config, "head")
        assert current_revision(engine) == head_revision()
        assert pending_schema_changes(engine) == []
        with engine.connect() as connection:
            invalid = connection.execute(
                sa.text("SELECT count(*) FROM pg_index WHERE NOT indisvalid")
            ).scalar_one()
            unique = connection.execute(
                sa.text("SELECT indisunique FROM pg_index WHERE indexrelid = CAST(:i AS regclass)"),
                {"i": index},
            ).scalar_one()
        assert (invalid, unique) == (0, False)  # the migration's own index, built anew
    finally:
        engine.dispose()
        drop_postgres_database(pg_admin, database)
