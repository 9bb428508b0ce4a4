"""The database engine and units of work: one per tenant, one for the few global lookups."""

from __future__ import annotations

import functools
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from sqlalchemy import event
from sqlmodel import Session

from crm_app.core import search_fold
from crm_app.core.config import get_settings
from crm_app.core.prebuilt import forget_pending, send_before_next

# The transaction-local setting every row-level security policy reads.
TENANT_SETTING = "app.current_user_id"
# psycopg prepares a query after this many executions; it never comes.
NEVER_PREPARED_AUTOMATICALLY = 2**31 - 1


class UnsafeDatabaseRole(RuntimeError):
    """The app's Postgres role could bypass row-level security; refusing to run."""


def unicode_lower(value: object) -> str | None:
    """lower() for SQLite as Postgres has it: every letter, not only A-Z."""
    return None if value is None else str(value).lower()


def create_db_engine(url: str) -> sa.Engine:
    """An engine with the settings this app relies on for each backend."""
    backend = sa.engine.make_url(url).get_backend_name()
    if backend == "sqlite":
        engine = sa.create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
            # pysqlite's own transaction handling delays BEGIN until the first
            # write and breaks savepoints; SQLAlchemy then emits BEGIN itself.
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            # Composite foreign keys only hold if SQLite is told to check them;
            # WAL lets the app read while a webhook writes.
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()
            # SQLite's own lower() changes A-Z only: "Émile" would be stored in the
            # search column as "Émile" and never match a search for "émile".
            dbapi_connection.create_function("lower", 1, unicode_lower, deterministic=True)
            # What the stored search column and every search term are compared in.
            dbapi_connection.create_function(
                search_fold.SQL_FUNCTION, 1, search_fold.fold, deterministic=True
            )

        @event.listens_for(engine, "begin")
        def _sqlite_begin(connection) -> None:  # type: ignore[no-untyped-def]
            connection.exec_driver_sql("BEGIN")

        return engine
    # Nothing is prepared behind the app's back: the screens' queries get custom
    # plans (a generic plan chosen for a small tenant is slow for a big one). The
    # webhook hot path prepares its exact-key statements itself (core/prebuilt.py);
    # None here would forbid that too.
    connect_args = {"prepare_threshold": NEVER_PREPARED_AUTOMATICALLY, "connect_timeout": 5}
    engine = sa.create_engine(url, connect_args=connect_args)
    _ping_when_idle(engine)
    return engine


# A pooled connection idle this long is pinged before it is handed out, so one
# that a restarted server dropped is replaced instead of failing its request.
# Connections in steady use are not: under load the ping was a round trip per
# unit of work, a tenth of a webhook delivery's cost. A connection that dies
# while in use fails its statement, and SQLAlchemy then invalidates the pool.
IDLE_SECONDS_BEFORE_PING = 1.0


def _ping_when_idle(engine: sa.Engine) -> None:
    """pool_pre_ping, for connections that sat idle for IDLE_SECONDS_BEFORE_PING or more."""

    @event.listens_for(engine, "checkin")
    def _idle_from(_dbapi_connection, record) -> None:  # type: ignore[no-untyped-def]
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping_if_idle(dbapi_connection, record, _proxy) -> None:  # type: ignore[no-untyped-def]
        idle_since = record.info.get("idle_since")
        if idle_since is None or time.monotonic() - idle_since < IDLE_SECONDS_BEFORE_PING:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as error:
            # The pool discards this connection and checks out a fresh one.
            raise sa.exc.DisconnectionError("a pooled connection no longer answers") from error


@functools.cache
def get_engine() -> sa.Engine:
    """The app's engine, created on first use from DATABASE_URL."""
    return create_db_engine(get_settings().database_url)


# Where a session keeps its tenant (Postgres only), for _enter_tenant.
_TENANT = "crm_app.tenant"
_SET_TENANT = sa.select(sa.func.set_config(TENANT_SETTING, sa.bindparam("tenant"), True))


def set_tenant(session: Session, user_id: uuid.UUID) -> None:
    """Scope every transaction of this session to one tenant (Postgres RLS).

    `set_config(..., true)` is transaction-local, so _enter_tenant applies it
    in every transaction the session begins (sent with its first statement),
    and a pooled connection never carries a tenant over to its next user.
    """
    if session.get_bind().dialect.name != "postgresql":
        return
    session.info[_TENANT] = str(uuid.UUID(str(user_id)))


# One listener for every session, rather than one registered per session:
# registering cost a third of a millisecond, more than the setting itself.
@event.listens_for(Session, "after_begin")
def _enter_tenant(session: Session, _transaction: object, connection: sa.Connection) -> None:
    tenant = session.info.get(_TENANT)
    if tenant is None:
        forget_pending(connection)
    else:
        send_before_next(connection, _SET_TENANT, {"tenant": tenant})


@contextmanager
def tenant_session(user_id: uuid.UUID, engine: sa.Engine | None = None) -> Iterator[Session]:
    """A unit of work for one user: commits on success, rolls back on error, always closes."""
    if user_id is None:
        raise ValueError("tenant_session needs a user_id")
    with Session(engine or get_engine(), expire_on_commit=False) as session:
        set_tenant(session, user_id)
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


@contextmanager
def global_session(engine: sa.Engine | None = None) -> Iterator[Session]:
    """A unit of work with no tenant: only for users and webhook endpoint lookups by exact key."""
    with Session(engine or get_engine(), expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


# Errors that mean "the database cannot be reached", not "the query was wrong".
DATABASE_DOWN_ERRORS = (sa.exc.OperationalError, sa.exc.InterfaceError, sa.exc.TimeoutError)


# SQLSTATE class 40, "transaction rollback": a deadlock (40P01) or a serialization failure
# (40001). Postgres chose this transaction to give way to another; run again, it may pass.
_GAVE_WAY = "40"


def sqlstate(error: BaseException) -> str:
    """The SQLSTATE code of a driver error SQLAlchemy wrapped ("" for any other error)."""
    return str(getattr(getattr(error, "orig", None), "sqlstate", "") or "")


def gave_way_to_another(error: BaseException) -> bool:
    """Whether Postgres rolled the transaction back for another's sake (worth one more try)."""
    return sqlstate(error).startswith(_GAVE_WAY)


def is_database_unavailable(error: BaseException) -> bool:
    """Whether an error means the database cannot be reached (callers answer 503 and retry)."""
    if isinstance(error, DATABASE_DOWN_ERRORS):
        return True
    return isinstance(error, sa.exc.DBAPIError) and bool(error.connection_invalidated)


def database_is_reachable(engine: sa.Engine | None = None) -> bool:
    """True when a trivial query succeeds."""
    try:
        with (engine or get_engine()).connect() as connection:
            connection.execute(sa.text("SELECT 1"))
        return True
    except sa.exc.SQLAlchemyError:
        return False


# The tables of the app's schema whose owner the role is, or may act as: a member of the
# owner role can lift FORCE ROW LEVEL SECURITY or drop a policy as the owner can.
_OWNED = sa.text(
    "SELECT c.relname, pg_get_userbyid(c.relowner) = current_user AS own FROM pg_class c "
    "JOIN pg_namespace n ON n.oid = c.relnamespace "
    "WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') "
    "AND pg_has_role(current_user, c.relowner, 'MEMBER') ORDER BY 1"
)
# Other roles it may become (SET ROLE) that bypass row-level security.
_BYPASSING_ROLES = sa.text(
    "SELECT rolname FROM pg_roles WHERE (rolsuper OR rolbypassrls) AND rolname <> current_user "
    "AND pg_has_role(current_user, oid, 'MEMBER') ORDER BY 1"
)


def role_problems(engine: sa.Engine) -> list[str]:
    """Why the engine's Postgres role could bypass row-level security (empty when safe)."""
    if engine.dialect.name != "postgresql":
        return []
    with engine.connect() as connection:
        role = connection.execute(
            sa.text(
                "SELECT rolname, rolsuper, rolbypassrls, rolcreaterole FROM pg_roles "
                "WHERE rolname = current_user"
            )
        ).one()
        owned = connection.execute(_OWNED).all()
        bypassing = connection.execute(_BYPASSING_ROLES).scalars().all()
    problems = []
    if role.rolsuper:
        problems.append(f"role {role.rolname} is a superuser")
    if role.rolbypassrls:
        problems.append(f"role {role.rolname} has BYPASSRLS")
    if own := [table.relname for table in owned if table.own]:
        problems.append(f"role {role.rolname} owns tables ({', '.join(own)})")
    if through := [table.relname for table in owned if not table.own]:
        problems.append(
            f"role {role.rolname} is a member of the role that owns tables ({', '.join(through)})"
        )
    if bypassing:
        problems.append(
            f"role {role.rolname} may act as {', '.join(bypassing)}, which bypass row-level "
            "security"
        )
    if role.rolcreaterole:
        # Up to Postgres 15 it may grant itself any role but a superuser, the owner's too.
        problems.append(f"role {role.rolname} has CREATEROLE")
    return problems


def ensure_safe_role(engine: sa.Engine | None = None) -> None:
    """Refuse to run on a Postgres role that row-level security would not hold back."""
    problems = role_problems(engine or get_engine())
    if problems:
        raise UnsafeDatabaseRole(
            "DATABASE_URL must use a role that owns no tables and cannot bypass row-level "
            "security (" + "; ".join(problems) + "). Run migrations as the owner "
            "(MIGRATION_DATABASE_URL) and the app as a plain role: see README, Production."
        )
