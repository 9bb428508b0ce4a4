"""Alembic environment: the URL comes from crm_app's settings (MIGRATION_DATABASE_URL)."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

import crm_app.models  # noqa: F401  (registers every table)
from crm_app.core.config import get_settings
from crm_app.core.db import create_db_engine
from crm_app.services.schema import compare_type, render_item

target_metadata = SQLModel.metadata


def run_migrations() -> None:
    url = context.config.attributes.get("url") or get_settings().migration_url
    connection = context.config.attributes.get("connection")
    options = dict(
        target_metadata=target_metadata,
        render_item=render_item,
        compare_type=compare_type,
        render_as_batch=True,  # SQLite alters tables by copying them
    )
    if connection is not None:
        context.configure(connection=connection, **options)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = create_db_engine(url)
    try:
        with engine.connect() as connection:
            sqlite = connection.dialect.name == "sqlite"
            if sqlite:
                _sqlite_foreign_keys(connection, on=False)
            context.configure(connection=connection, **options)
            with context.begin_transaction():
                context.run_migrations()
                if sqlite:
                    _no_broken_links(connection)
            if sqlite:
                _sqlite_foreign_keys(connection, on=True)
    finally:
        engine.dispose()


def _sqlite_foreign_keys(connection, *, on: bool) -> None:  # type: ignore[no-untyped-def]
    """Foreign keys checked or not, for the migrations' batch operations on SQLite.

    A batch operation copies a table and drops the old one: with foreign keys
    checked, dropping leads failed on every row pointing at a lead (Alembic's
    batch mode asks for them off). SQLite takes this pragma only outside a
    transaction, so it goes to the driver's connection before the migration's
    BEGIN; _no_broken_links checks every link before the commit instead.
    """
    driver = connection.connection.driver_connection
    driver.execute(f"PRAGMA foreign_keys={'ON' if on else 'OFF'}")


def _no_broken_links(connection) -> None:  # type: ignore[no-untyped-def]
    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
    if broken:
        tables = sorted({row[0] for row in broken})
        raise RuntimeError(f"the migration left rows pointing at nothing in: {', '.join(tables)}")


if context.is_offline_mode():
    raise SystemExit("offline migrations are not supported: run `make migrate`")
run_migrations()
