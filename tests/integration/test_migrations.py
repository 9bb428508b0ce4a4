"""Migrations reach head on empty databases, and the models agree with the migrated schema."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic import command

from crm_app.core.db import create_db_engine
from crm_app.services.schema import (
    alembic_config,
    current_revision,
    head_revision,
    pending_schema_changes,
)


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
