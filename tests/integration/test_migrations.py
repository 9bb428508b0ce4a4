"""Migrations reach head on empty databases, and the models agree with the migrated schema."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from crm_app.services.schema import current_revision, head_revision, pending_schema_changes


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
