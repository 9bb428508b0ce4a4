"""Prebuilt Core statements run on the driver's own cursor: for the webhook hot path and CSV import.

SQLAlchemy spends about 60 us of CPU around every statement it executes
(execution context, parameter and result processing, events), four times
what psycopg needs to send it and read the answer. A webhook delivery runs
about ten statements, on one core shared with Postgres, so on Postgres the
hot path compiles each of its statements once and hands the SQL straight to
psycopg, inside the same transaction the session began. What SQLAlchemy
would still do is done here too: type processors on the way in and out,
errors wrapped as SQLAlchemy's (a lost connection is invalidated, so
`is_database_unavailable` still knows it). Statements this cannot run
exactly (expanding IN lists, Python-side column defaults), and every
statement on SQLite, go through SQLAlchemy as before. Listeners of
`before_cursor_execute` (statement logs, the benchmarks' capture) still see
every statement.

Screens use it too where the fixed cost matters: the dashboard's aggregates
are few, independent and quick for a small tenant, so they run unprepared
(custom plans: a generic plan suits no tenant size) and together, in one
pipeline, which also carries the transaction's BEGIN and its tenant setting
(send_before_next): two round trips for the whole unit of work instead of
four. On loopback that saves about 0.1 ms (a twentieth of a small tenant's
dashboard here); with the database on another host, every round trip saved
is a network latency.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import psycopg
import sqlalchemy as sa
from psycopg.rows import namedtuple_row
from sqlmodel import Session

Processor = Callable[[Any], Any]


@dataclass(frozen=True, eq=False)  # hashed by identity: one per statement, compiled once
class _Compiled:
    """A statement's SQL for psycopg and what to do to its parameters and columns."""

    compiled: sa.sql.compiler.Compiled
    bind_processors: dict[str, Processor]
    # The SQLAlchemy type of each column it returns.
    column_types: tuple[sa.types.TypeEngine[Any], ...]

    @property
    def returns_rows(self) -> bool:
        return bool(self.column_types)

    @property
    def sql(self) -> str:
        return self.compiled.string

    def parameters(self, given: dict[str, Any]) -> dict[str, Any]:
        """Every bind's value (constants built into the statement too), processed for the driver."""
        values = self.compiled.construct_params(given)
        for name, process in self.bind_processors.items():
            if name in values:
                values[name] = process(values[name])
        return values


class DriverResult:
    """The rows of one statement, with the part of SQLAlchemy's Result the hot path uses."""

    def __init__(self, rows: list[Any]) -> None:
        self._rows = rows

    def __iter__(self) -> Iterator[Any]:
        return iter(self._rows)

    def all(self) -> list[Any]:
        return list(self._rows)

    def first(self) -> Any:
        return self._rows[0] if self._rows else None

    def one(self) -> Any:
        if len(self._rows) != 1:
            raise (
                sa.exc.NoResultFound("no row")
                if not self._rows
                else sa.exc.MultipleResultsFound("more than one row")
            )
        return self._rows[0]

    def scalar(self) -> Any:
        return self._rows[0][0] if self._rows else None

    def scalars(self) -> DriverResult:
        return DriverResult([row[0] for row in self._rows])


def run_prebuilt(
    session: Session, statement: sa.Executable, params: dict[str, Any], *, prepare: bool = True
) -> Any:
    """Execute a statement built once at import, in the session's transaction; its result.

    Pending ORM changes are flushed first, as the session would before a query.
    prepare=False keeps the planner's custom plan for each call's values (for
    queries whose best plan depends on the tenant's size).
    """
    return run_prebuilt_together(session, [(statement, params)], prepare=prepare)[0]


def run_prebuilt_together(
    session: Session,
    statements: Sequence[tuple[sa.Executable, dict[str, Any]]],
    *,
    prepare: bool = True,
) -> list[Any]:
    """Execute independent prebuilt statements, in order, in one round trip; their results.

    On psycopg they go out together in pipeline mode (none may need another's
    result); elsewhere, one after the other through SQLAlchemy.
    """
    session.flush()
    return run_prebuilt_on(session.connection(), statements, prepare=prepare)


# Where a connection holds the statement send_before_next deferred.
_SEND_FIRST = "crm_app.send_first"


def send_before_next(connection: sa.Connection, statement: sa.Executable, params: dict) -> None:
    """Send a prebuilt statement just before the next statement run on this connection.

    In the same pipeline when the next run is one, so that a transaction's
    BEGIN, this statement (the tenant setting) and its first queries travel
    together; on its own otherwise. Forgotten if nothing runs before the
    connection goes back to the pool.
    """
    connection.info[_SEND_FIRST] = (statement, params)


def forget_pending(connection: sa.Connection) -> None:
    """Drop a statement send_before_next was holding for this connection."""
    connection.info.pop(_SEND_FIRST, None)


@sa.event.listens_for(sa.pool.Pool, "checkin")
def _forget_on_checkin(_dbapi_connection: Any, record: Any) -> None:
    # The statement belonged to the unit of work that held the connection.
    if record is not None:
        record.info.pop(_SEND_FIRST, None)


@sa.event.listens_for(sa.engine.Engine, "before_cursor_execute")
def _send_pending(connection: sa.Connection, *_arguments: Any) -> None:
    # Statements SQLAlchemy runs (and driver ones announced by _announce).
    pending = connection.info.pop(_SEND_FIRST, None)
    if pending is not None:
        run_prebuilt_on(connection, [pending])


def run_prebuilt_on(
    connection: sa.Connection,
    statements: Sequence[tuple[sa.Executable, dict[str, Any]]],
    *,
    prepare: bool = True,
) -> list[Any]:
    """run_prebuilt_together on a connection, for code that has no session (event hooks)."""
    pending = connection.info.pop(_SEND_FIRST, None)
    if pending is not None:
        if len(statements) > 1:
            return run_prebuilt_on(connection, [pending, *statements], prepare=prepare)[1:]
        run_prebuilt_on(connection, [pending])
    prebuilt = [
        _compile(statement, connection.dialect, frozenset(params))
        for statement, params in statements
    ]
    if None in prebuilt:
        return [connection.execute(statement, params) for statement, params in statements]
    work = [(compiled, params) for compiled, (_, params) in zip(prebuilt, statements, strict=True)]
    if len(work) == 1:
        return [_execute(connection, *work[0], prepare=prepare)]
    return _execute_pipelined(connection, work, prepare=prepare)


def run_prebuilt_many(
    session: Session, statement: sa.Executable, rows: Sequence[dict[str, Any]]
) -> list[Any]:
    """Execute a prebuilt statement once per row (same keys in every row); the rows it returned.

    On Postgres one psycopg executemany: the statement is parsed and prepared
    once and the rows are pipelined. SQLAlchemy would instead build one INSERT
    of every row's VALUES, whose thousands of placeholders psycopg parses again
    for every batch: a quarter of a 10,000-row CSV import.
    """
    if not rows:
        return []
    session.flush()
    connection = session.connection()
    compiled = _compile(statement, connection.dialect, frozenset(rows[0]))
    if compiled is None:
        result = connection.execute(statement, list(rows))
        return result.all() if result.returns_rows else []
    with _driver_cursor(connection, compiled.sql) as cursor:
        parameters = [compiled.parameters(row) for row in rows]
        _announce(connection, cursor, compiled.sql, parameters, many=True)
        cursor.executemany(compiled.sql, parameters, returning=compiled.returns_rows)
        returned: list[Any] = []
        type_codes = None
        while compiled.returns_rows:
            returned += cursor.fetchall()
            type_codes = _type_codes(cursor)
            if not cursor.nextset():
                break
    return _processed_rows(returned, compiled, type_codes)


def _execute(
    connection: sa.Connection, compiled: _Compiled, params: dict[str, Any], *, prepare: bool
) -> DriverResult:
    with _driver_cursor(connection, compiled.sql) as cursor:
        parameters = compiled.parameters(params)
        _announce(connection, cursor, compiled.sql, parameters)
        # Prepared on the server (the webhook path's exact-key statements, which a
        # generic plan suits), unless the caller wants a plan for these values.
        cursor.execute(compiled.sql, parameters, prepare=prepare)
        return DriverResult(_fetched(cursor, compiled))


def _execute_pipelined(
    connection: sa.Connection, work: list[tuple[_Compiled, dict[str, Any]]], *, prepare: bool
) -> list[DriverResult]:
    driver = _driver(connection)
    sql = "; ".join(compiled.sql for compiled, _ in work)  # for an error's message only
    cursors = [driver.cursor(row_factory=namedtuple_row) for _ in work]
    try:
        with driver.pipeline():
            for cursor, (compiled, params) in zip(cursors, work, strict=True):
                parameters = compiled.parameters(params)
                _announce(connection, cursor, compiled.sql, parameters)
                cursor.execute(compiled.sql, parameters, prepare=prepare)
        # Leaving the pipeline sent them all and waited for every answer.
        results = [
            DriverResult(_fetched(cursor, compiled))
            for cursor, (compiled, _) in zip(cursors, work, strict=True)
        ]
    except psycopg.Error as error:
        raise _as_sqlalchemy_error(connection, cursors[0], sql, error) from error
    finally:
        for cursor in cursors:
            cursor.close()
    return results


def _announce(
    connection: sa.Connection, cursor: psycopg.Cursor, sql: str, parameters: Any, many: bool = False
) -> None:
    """Tell before_cursor_execute listeners what is about to run, as SQLAlchemy would."""
    if connection.dispatch.before_cursor_execute:
        connection.dispatch.before_cursor_execute(connection, cursor, sql, parameters, None, many)


def _driver(connection: sa.Connection) -> psycopg.Connection:
    driver = connection.connection.driver_connection
    assert isinstance(driver, psycopg.Connection)
    return driver


@contextmanager
def _driver_cursor(connection: sa.Connection, sql: str) -> Iterator[psycopg.Cursor]:
    """A cursor of the session's own psycopg connection; its errors as SQLAlchemy's."""
    cursor = _driver(connection).cursor(row_factory=namedtuple_row)
    try:
        yield cursor
    except psycopg.Error as error:
        raise _as_sqlalchemy_error(connection, cursor, sql, error) from error
    finally:
        cursor.close()


def _type_codes(cursor: psycopg.Cursor) -> tuple[int, ...] | None:
    """The type of each column of the cursor's current result (None: it returns no rows)."""
    result = cursor.pgresult
    if result is None or not result.nfields:
        return None
    return tuple(result.ftype(column) for column in range(result.nfields))


def _fetched(cursor: psycopg.Cursor, compiled: _Compiled) -> list[Any]:
    """The rows of the cursor's current result, processed (none for a statement without)."""
    type_codes = _type_codes(cursor)
    if type_codes is None:
        return []
    return _processed_rows(cursor.fetchall(), compiled, type_codes)


def _processed_rows(
    rows: list[Any], compiled: _Compiled, type_codes: tuple[int, ...] | None
) -> list[Any]:
    if not rows or type_codes is None or not compiled.column_types:
        return rows  # nothing to convert, or no types to convert to (textual SQL)
    processors = _result_processors(compiled, type_codes)
    if not any(processors):
        return rows
    return [_processed(row, processors) for row in rows]


@functools.lru_cache(maxsize=512)
def _result_processors(
    compiled: _Compiled, type_codes: tuple[int, ...]
) -> tuple[Processor | None, ...]:
    """Each column's result processor, None where the driver's value is already right.

    As SQLAlchemy does, from the type the database said it returned: a numeric
    column converts differently from a float one.
    """
    dialect = compiled.compiled.dialect
    return tuple(
        column_type.dialect_impl(dialect).result_processor(dialect, type_code)
        for column_type, type_code in zip(compiled.column_types, type_codes, strict=True)
    )


def _processed(row: Any, processors: Sequence[Processor | None]) -> Any:
    values = [
        process(value) if process is not None else value
        for value, process in zip(row, processors, strict=True)
    ]
    return row._make(values)


def _as_sqlalchemy_error(
    connection: sa.Connection, cursor: psycopg.Cursor, sql: str, error: psycopg.Error
) -> sa.exc.DBAPIError:
    """The error SQLAlchemy would have raised; a connection that is gone is invalidated."""
    gone = connection.dialect.is_disconnect(error, connection.connection.dbapi_connection, cursor)
    if gone:
        connection.invalidate(error)
    wrapped = sa.exc.DBAPIError.instance(
        sql, None, error, psycopg.Error, hide_parameters=True, connection_invalidated=gone
    )
    assert isinstance(wrapped, sa.exc.DBAPIError)
    return wrapped


# Keyed by the statement object: only statements built once, at import, come here.
@functools.lru_cache(maxsize=256)
def _compile(
    statement: sa.Executable, dialect: sa.Dialect, keys: frozenset[str]
) -> _Compiled | None:
    """The statement compiled for psycopg, or None where SQLAlchemy must run it itself."""
    if dialect.name != "postgresql" or dialect.driver != "psycopg":
        return None
    compiled = statement.compile(dialect=dialect, column_keys=sorted(keys))  # type: ignore[attr-defined]
    if (
        "POSTCOMPILE" in compiled.string  # expanding IN lists
        or getattr(compiled, "insert_prefetch", None)  # Python-side defaults to compute
        or getattr(compiled, "update_prefetch", None)
        or compiled.escaped_bind_names  # bind names psycopg would not take as they are
    ):
        return None
    bind_processors = {}
    for name, bind in compiled.binds.items():
        process = bind.type.dialect_impl(dialect).bind_processor(dialect)
        if process is not None:
            bind_processors[name] = process
    column_types = tuple(column.type for column in getattr(statement, "exported_columns", ()))
    return _Compiled(compiled, bind_processors, column_types)
