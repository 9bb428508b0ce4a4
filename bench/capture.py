"""The baseline for a service: the very SQL it ran, replayed raw as a superuser without RLS."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import psycopg
import sqlalchemy as sa

# Not queries of the service: transaction control and the tenant setting.
_SKIPPED = ("set_config", "BEGIN", "COMMIT", "ROLLBACK")


@contextmanager
def captured_statements(engine: sa.Engine) -> Iterator[list[tuple[str, object]]]:
    """Record every statement (and its parameters) the engine sends while the block runs."""
    statements: list[tuple[str, object]] = []

    def record(_conn, _cursor, statement, parameters, _context, _many) -> None:  # type: ignore[no-untyped-def]
        if not any(word in statement for word in _SKIPPED):
            statements.append((statement, parameters))

    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)


def raw_replay(admin_url: str, statements: list[tuple[str, object]]) -> Callable[[], None]:
    """A callable that runs the statements on one raw psycopg connection as the admin."""
    url = sa.engine.make_url(admin_url)
    connection = psycopg.connect(
        host=url.host,
        port=url.port or 5432,
        user=url.username,
        dbname=url.database,
        prepare_threshold=None,
        autocommit=True,
    )

    def run() -> None:
        with connection.cursor() as cursor:
            for statement, parameters in statements:
                cursor.execute(statement, parameters)  # type: ignore[arg-type]
                cursor.fetchall()

    return run
