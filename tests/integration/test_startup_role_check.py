"""The app refuses to start on a Postgres role that row-level security would not hold back."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from crm_app.core.db import UnsafeDatabaseRole, create_db_engine, ensure_safe_role
from tests.pg import OWNER_ROLE

# Trust auth ignores it, so it can ride in the URL and must never come back out.
PASSWORD = "pw-that-must-not-leak-7f3a"


def _engine_with_password(url: str | sa.URL) -> sa.Engine:
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
@pytest.mark.parametrize(
    ("grant", "said"),
    [
        # As the owner's member it may lift FORCE ROW LEVEL SECURITY, or drop a policy.
        (f"GRANT {OWNER_ROLE} TO {{role}}", "is a member of the role that owns tables ("),
        ("GRANT {superuser} TO {role}", "which bypass row-level security"),
        ("ALTER ROLE {role} CREATEROLE", "has CREATEROLE"),
    ],
)
def test_startup_refuses_a_role_that_can_become_one_rls_does_not_hold_back(
    pg_admin: sa.Engine, pg_database, grant: str, said: str
) -> None:
    role = f"crm_test_member_{uuid.uuid4().hex[:8]}"
    superuser = make_url(pg_database.admin_url).username
    with pg_admin.connect() as connection:
        connection.execute(sa.text(f"CREATE ROLE {role} LOGIN NOSUPERUSER NOBYPASSRLS"))
        connection.execute(sa.text(grant.format(role=role, superuser=superuser)))
    engine = _engine_with_password(make_url(pg_database.app_url).set(username=role))
    try:
        with pytest.raises(UnsafeDatabaseRole) as raised:
            ensure_safe_role(engine)
        assert said in str(raised.value)
        _assert_no_secrets(str(raised.value), pg_database.app_url)
    finally:
        engine.dispose()
        with pg_admin.connect() as connection:
            connection.execute(sa.text(f"DROP ROLE {role}"))


@pytest.mark.postgres
def test_startup_accepts_the_app_role(pg_app_engine: sa.Engine) -> None:
    ensure_safe_role(pg_app_engine)


def test_startup_role_check_does_nothing_on_sqlite(sqlite_engine: sa.Engine) -> None:
    assert ensure_safe_role(sqlite_engine) is None
