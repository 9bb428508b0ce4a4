"""The app refuses to start on a Postgres role that row-level security would not hold back."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from crm_app.core.db import UnsafeDatabaseRole, create_db_engine, ensure_safe_role

# Trust auth ignores it, so it can ride in the URL and must never come back out.
PASSWORD = "pw-that-must-not-leak-7f3a"


def _engine_with_password(url: str) -> sa.Engine:
    return create_db_engine(
        make_url(url).set(password=PASSWORD).render_as_string(hide_password=False)
    )


@pytest.fixture
def owner_engine_with_password(pg_database) -> Iterator[sa.Engine]:
    engine = _engine_with_password(pg_database.owner_url)
    yield engine
    engine.dispose()


@pytest.fixture
def superuser_engine_with_password(pg_database) -> Iterator[sa.Engine]:
    engine = _engine_with_password(pg_database.admin_url)
    yield engine
    engine.dispose()


def _assert_no_secrets(message: str, url: str) -> None:
    assert PASSWORD not in message
    assert url not in message
    assert make_url(url).host not in message
    assert "postgresql" not in message


@pytest.mark.postgres
def test_startup_refuses_the_owner_role_because_it_owns_tables(
    owner_engine_with_password: sa.Engine, pg_database
) -> None:
    with pytest.raises(UnsafeDatabaseRole) as raised:
        ensure_safe_role(owner_engine_with_password)
    message = str(raised.value)
    assert "owns tables" in message
    assert make_url(pg_database.owner_url).username in message
    assert "leads" in message
    _assert_no_secrets(message, pg_database.owner_url)


@pytest.mark.postgres
def test_startup_refuses_a_superuser(
    superuser_engine_with_password: sa.Engine, pg_database
) -> None:
    with pytest.raises(UnsafeDatabaseRole) as raised:
        ensure_safe_role(superuser_engine_with_password)
    message = str(raised.value)
    assert "is a superuser" in message
    assert "DATABASE_URL" in message  # names the setting to change, not its value
    _assert_no_secrets(message, pg_database.admin_url)


@pytest.mark.postgres
def test_startup_accepts_the_app_role(pg_app_engine: sa.Engine) -> None:
    ensure_safe_role(pg_app_engine)


def test_startup_role_check_does_nothing_on_sqlite(sqlite_engine: sa.Engine) -> None:
    assert ensure_safe_role(sqlite_engine) is None
