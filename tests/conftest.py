"""Shared fixtures: settings for tests, a migrated SQLite database, a throwaway Postgres database.

Postgres tests run whenever a server answers on PG_ADMIN_URL (default: the local
server with trust auth); with CRM_REQUIRE_POSTGRES=1 (set by .ci/run) a missing
server fails them instead of skipping them.
"""

from __future__ import annotations

import os
import secrets
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

# Settings for the whole test session, set before anything reads them.
_TMP = Path(tempfile.mkdtemp(prefix="crm_app_tests_"))
os.environ.update(
    ENVIRONMENT="test",
    JWT_SECRET=secrets.token_urlsafe(48),
    ENCRYPTION_KEY=secrets.token_hex(32),
    DATABASE_URL=f"sqlite:///{_TMP / 'default.db'}",
    # The API tests sign up hundreds of accounts from one address; its own tests set it.
    SIGNUPS_PER_ADDRESS_PER_HOUR="100000",
    # The developer's .env (a MIGRATION_DATABASE_URL, a REDIS_URL) is not the tests'.
    CRM_IGNORE_DOTENV="1",
)
os.environ.pop("MIGRATION_DATABASE_URL", None)
os.environ.pop("REDIS_URL", None)

from crm_app.core.config import load_settings  # noqa: E402
from crm_app.core.db import create_db_engine  # noqa: E402
from crm_app.services.schema import migrate  # noqa: E402
from tests.appserver import SERVED  # noqa: E402
from tests.browser import browser  # noqa: E402, F401  (the fixture, offered to all)
from tests.pg import (  # noqa: E402
    PostgresDatabase,
    admin_engine,
    create_postgres_database,
    drop_postgres_database,
)
from tests.required import unavailable  # noqa: E402


# The app servers the session started (tests.appserver.SERVED), listed at the end of the
# run. Here, not in tests/e2e/conftest.py: under xdist the controller collects nothing and
# loads no conftest below tests/; each worker's lines reach it through `workeroutput`.
def pytest_sessionfinish(session: pytest.Session) -> None:
    if hasattr(session.config, "workeroutput"):
        session.config.workeroutput["served"] = SERVED


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    SERVED.extend(getattr(node, "workeroutput", {}).get("served", []))


def pytest_terminal_summary(terminalreporter: Any) -> None:
    for line in SERVED:
        terminalreporter.write_line(line)


def pytest_unconfigure(config: pytest.Config) -> None:
    # The session's settings directory: nothing in it is wanted once the session is over.
    shutil.rmtree(_TMP, ignore_errors=True)


def _postgres_or_skip() -> sa.Engine:
    engine = admin_engine()
    try:
        with engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
    except sa.exc.OperationalError as error:
        engine.dispose()
        reason = f"PostgreSQL is not reachable at PG_ADMIN_URL ({type(error.orig).__name__})"
        unavailable(reason, required_by="CRM_REQUIRE_POSTGRES")
    return engine


@pytest.fixture(scope="session")
def pg_admin() -> Iterator[sa.Engine]:
    """A superuser connection to the server, for creating and dropping test databases."""
    engine = _postgres_or_skip()
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def pg_database(pg_admin: sa.Engine) -> Iterator[PostgresDatabase]:
    """One migrated throwaway database for the test session."""
    database = create_postgres_database(pg_admin)
    yield database
    drop_postgres_database(pg_admin, database)


@pytest.fixture(scope="session")
def pg_app_engine(pg_database: PostgresDatabase) -> Iterator[sa.Engine]:
    """The app role's engine: row-level security applies to everything it does."""
    engine = create_db_engine(pg_database.app_url)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def pg_owner_engine(pg_database: PostgresDatabase) -> Iterator[sa.Engine]:
    """The owner role's engine (RLS is forced on it too)."""
    engine = create_db_engine(pg_database.owner_url)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A migrated SQLite database file for the test session."""
    url = f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'crm.db'}"
    migrate(load_settings(database_url=url))
    return url


@pytest.fixture(scope="session")
def sqlite_engine(sqlite_url: str) -> Iterator[sa.Engine]:
    engine = create_db_engine(sqlite_url)
    yield engine
    engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest) -> sa.Engine:
    """The app's engine on each database: tests using it run on SQLite and on Postgres."""
    if request.param == "sqlite":
        return request.getfixturevalue("sqlite_engine")
    return request.getfixturevalue("pg_app_engine")


@pytest.fixture
def make_user(engine: sa.Engine):
    """A factory for users in the engine's database (a cheap password hash: tests only)."""
    from crm_app.core.db import global_session
    from crm_app.models import User

    def _make(email: str | None = None, name: str = "Test User") -> User:
        user = User(
            email=email or f"user-{uuid.uuid4().hex[:12]}@example.com",
            name=name,
            password_hash="!test-only-not-a-hash",
        )
        with global_session(engine) as session:
            session.add(user)
        return user

    return _make
