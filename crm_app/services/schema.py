"""The schema: migrations as the owner role, grants for the app role, and drift checks."""

from __future__ import annotations

import logging
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlmodel import SQLModel
from sqlmodel.sql.sqltypes import AutoString

from crm_app.core.config import PROJECT_ROOT, Settings
from crm_app.core.db import create_db_engine
from crm_app.models.base import UTCDateTime

log = logging.getLogger(__name__)


def render_item(type_: str, obj: object, autogen_context: object) -> str | bool:
    """Write our column types as plain SQLAlchemy ones, so migrations import nothing of ours."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    if type_ == "type" and isinstance(obj, AutoString):
        return f"sa.String(length={obj.length})" if obj.length else "sa.String()"
    return False


def compare_type(context, inspected_column, metadata_column, inspected_type, metadata_type):  # type: ignore[no-untyped-def]
    """Treat our decorated types as the types they store when autogenerate compares."""
    if isinstance(metadata_type, UTCDateTime):
        return not isinstance(inspected_type, sa.DateTime)
    return None


def pending_schema_changes(engine: sa.Engine) -> list:
    """What autogenerate would still write: empty when models and database agree."""
    from alembic.autogenerate import compare_metadata

    import crm_app.models  # noqa: F401  (registers every table)

    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection,
            opts={"compare_type": compare_type, "target_metadata": SQLModel.metadata},
        )
        return compare_metadata(context, SQLModel.metadata)


def alembic_config(url: str) -> Config:
    """An Alembic config for this project, pointed at one database."""
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(PROJECT_ROOT / "alembic"))
    config.attributes["url"] = url
    return config


def head_revision() -> str:
    """The newest migration in alembic/versions."""
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    return script.get_current_head() or ""


def current_revision(engine: sa.Engine) -> str | None:
    """The migration a database is at (None when never migrated)."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def app_role_name(settings: Settings) -> str | None:
    """The Postgres role the app connects as, when it differs from the owner role."""
    if not settings.is_postgres:
        return None
    app_user = sa.engine.make_url(settings.database_url).username
    owner = sa.engine.make_url(settings.migration_url).username
    return app_user if app_user and app_user != owner else None


def grant_app_role(engine: sa.Engine, role: str) -> None:
    """Let the app role read and write the tables, and read (not change) the migration head."""
    quoted = engine.dialect.identifier_preparer.quote(role)
    tables = ", ".join(SQLModel.metadata.tables)
    with engine.begin() as connection:
        connection.execute(sa.text(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {tables} TO {quoted}"))
        connection.execute(sa.text(f"GRANT SELECT ON alembic_version TO {quoted}"))


def _close_to_others(database: Path) -> None:
    """The embedded database and its journals readable by the app's user only.

    It holds every tenant's calls and the password hashes; under the usual umask
    SQLite made it readable to every user of the machine. SQLite gives the
    journals it makes later the database file's own mode.
    """
    for name in ("", "-wal", "-shm", "-journal"):
        file = database.with_name(database.name + name)
        try:
            if file.exists():
                file.chmod(0o600)
        except OSError as error:  # another user's file, or a filesystem without modes
            log.warning("could not make %s readable by its owner only: %s", file, error.strerror)


def migrate(settings: Settings) -> str:
    """Bring the database to the head migration and grant the app role; returns the head."""
    import crm_app.models  # noqa: F401  (registers every table)

    url = settings.migration_url
    path = (
        sa.engine.make_url(url).database if settings.database_url.startswith("sqlite:///") else ""
    )
    database = PROJECT_ROOT / path if path else None
    if database is not None and not database.parent.exists():
        database.parent.mkdir(parents=True, mode=0o700, exist_ok=True)
    command.upgrade(alembic_config(url), "head")
    if database is not None:
        _close_to_others(database)
    role = app_role_name(settings)
    if role:
        engine = create_db_engine(url)
        try:
            grant_app_role(engine, role)
        finally:
            engine.dispose()
    return head_revision()
