"""Throwaway PostgreSQL databases with an owner role and an app role, for tests and benchmarks."""

from __future__ import annotations

import contextlib
import os
import uuid
from dataclasses import dataclass

import sqlalchemy as sa

from crm_app.core.config import Settings, load_settings
from crm_app.services.schema import migrate

PG_ADMIN_URL = os.environ.get(
    "PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
# Cluster-wide roles the throwaway databases use: an owner that runs migrations
# and an app role that owns nothing and cannot bypass row-level security.
OWNER_ROLE = "crm_test_owner"
APP_ROLE = "crm_test_app"
ROLE_OPTIONS = "LOGIN NOSUPERUSER NOBYPASSRLS"


@dataclass(frozen=True)
class PostgresDatabase:
    """A throwaway database, migrated, with URLs for the server admin, the owner and the app."""

    name: str
    admin_url: str
    owner_url: str
    app_url: str

    def settings(self) -> Settings:
        return load_settings(database_url=self.app_url, migration_database_url=self.owner_url)


def _url_for(admin: sa.Engine, database: str, role: str) -> str:
    """The URL of a database on the admin engine's server, for a role (trust auth)."""
    url = admin.url.set(database=database, username=role, password=None)
    return url.render_as_string(hide_password=False)


def admin_engine() -> sa.Engine:
    """An autocommit connection to the server as PG_ADMIN_URL's (super)user."""
    return sa.create_engine(
        PG_ADMIN_URL, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3}
    )


def create_postgres_database(
    admin: sa.Engine, prefix: str = "crm_test", options: str = ""
) -> PostgresDatabase:
    """Create the roles (once per cluster) and a fresh database owned by the owner, migrated;
    options are CREATE DATABASE's (a locale)."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    with admin.connect() as connection:
        for role in (OWNER_ROLE, APP_ROLE):
            query = sa.text("SELECT 1 FROM pg_roles WHERE rolname = :role")
            if not connection.execute(query, {"role": role}).first():
                # Another session may have created it a moment ago.
                # (Two xdist workers at once: the loser's insert breaks the unique name.)
                with contextlib.suppress(sa.exc.ProgrammingError, sa.exc.IntegrityError):
                    connection.execute(sa.text(f"CREATE ROLE {role} {ROLE_OPTIONS}"))
        connection.execute(sa.text(f"CREATE DATABASE {name} OWNER {OWNER_ROLE} {options}"))
    database = PostgresDatabase(
        name=name,
        admin_url=_url_for(admin, name, admin.url.username or "postgres"),
        owner_url=_url_for(admin, name, OWNER_ROLE),
        app_url=_url_for(admin, name, APP_ROLE),
    )
    # Postgres 15 no longer lets every role create in public; the owner migrates there.
    db_admin = sa.create_engine(database.admin_url, isolation_level="AUTOCOMMIT")
    with db_admin.connect() as connection:
        connection.execute(sa.text(f"ALTER SCHEMA public OWNER TO {OWNER_ROLE}"))
    db_admin.dispose()
    migrate(database.settings())
    return database


def drop_postgres_database(admin: sa.Engine, database: PostgresDatabase) -> None:
    """Drop a database made by create_postgres_database, even with connections still open."""
    with admin.connect() as connection:
        connection.execute(sa.text(f"DROP DATABASE IF EXISTS {database.name} WITH (FORCE)"))
