"""The pool pings a connection only after it sat idle, and replaces one the server dropped."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from crm_app.core import db
from crm_app.core.db import create_db_engine
from tests.pg import PostgresDatabase

pytestmark = pytest.mark.postgres


@pytest.fixture
def engine(pg_database: PostgresDatabase) -> Iterator[sa.Engine]:
    engine = create_db_engine(pg_database.app_url)
    yield engine
    engine.dispose()


@pytest.fixture
def pings(engine: sa.Engine, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the liveness pings the engine sends (the real ping still runs)."""
    sent: list[int] = []
    real_ping = engine.dialect.do_ping

    def counted(dbapi_connection) -> bool:  # type: ignore[no-untyped-def]
        sent.append(1)
        return real_ping(dbapi_connection)

    monkeypatch.setattr(engine.dialect, "do_ping", counted)
    return sent


def _backend_pid(engine: sa.Engine) -> int:
    with engine.connect() as connection:
        return connection.execute(sa.text("SELECT pg_backend_pid()")).scalar_one()


def test_a_connection_in_steady_use_is_not_pinged(engine, pings) -> None:
    first = _backend_pid(engine)
    for _ in range(20):
        assert _backend_pid(engine) == first  # the same pooled connection each time
    assert pings == []


def test_a_connection_the_server_dropped_while_idle_is_replaced(
    engine, pings, pg_admin: sa.Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    dropped = _backend_pid(engine)
    with pg_admin.connect() as admin:
        admin.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": dropped})
    # As if it had sat in the pool for longer than the threshold.
    monkeypatch.setattr(db, "IDLE_SECONDS_BEFORE_PING", 0.0)
    replacement = _backend_pid(engine)
    assert replacement != dropped
    assert pings  # found out by the ping, not by the query failing
