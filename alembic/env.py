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
            context.configure(connection=connection, **options)
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline migrations are not supported: run `make migrate`")
run_migrations()
