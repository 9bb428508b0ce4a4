"""Health checks for `python -m crm_app check` and `/api/health`."""

from __future__ import annotations

import sqlalchemy as sa

from crm_app.core.config import Settings
from crm_app.core.db import create_db_engine, database_is_reachable, role_problems
from crm_app.models import RLS_TABLES
from crm_app.services.pagination import SORT_COLLATION
from crm_app.services.schema import current_revision, head_revision

Check = tuple[str, bool, str]


def rls_problems(engine: sa.Engine) -> list[str]:
    """Tenant tables without row-level security enabled, forced and with a policy (Postgres)."""
    if engine.dialect.name != "postgresql":
        return []
    with engine.connect() as connection:
        rows = connection.execute(
            sa.text(
                "SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity, "
                "(SELECT count(*) FROM pg_policies p WHERE p.tablename = c.relname "
                " AND p.schemaname = n.nspname) AS policies "
                "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = current_schema() AND c.relname = ANY(:tables)"
            ),
            {"tables": list(RLS_TABLES)},
        ).all()
    found = {row.relname: row for row in rows}
    problems = []
    for table in RLS_TABLES:
        row = found.get(table)
        if row is None:
            problems.append(f"{table}: missing")
        elif not (row.relrowsecurity and row.relforcerowsecurity and row.policies):
            problems.append(f"{table}: row-level security not enabled, forced and with a policy")
    return problems


def has_sort_collation(engine: sa.Engine) -> bool:
    """Whether Postgres has ICU's root collation (built without ICU, it has not)."""
    with engine.connect() as connection:
        found = connection.execute(
            sa.text("SELECT 1 FROM pg_collation WHERE collname = :name"), {"name": SORT_COLLATION}
        ).first()
    return found is not None


# Created with LC_CTYPE C (initdb without a locale), Postgres lower-cases A-Z alone, and
# search_fold with it: "Иван" stays as typed, while the search term is lower-cased in
# Python, so a name outside A-Z is never found, even typed as stored.
LETTER_CASE = "letter case (search)"
C_LOCALE = (
    "the database lower-cases A-Z only (its LC_CTYPE is C), so searches miss names in other "
    "alphabets and accented capitals: create the database with a UTF-8 locale "
    "(CREATE DATABASE ... TEMPLATE template0 LC_CTYPE 'C.UTF-8'), then restore a dump into it"
)


def lowers_every_letter(engine: sa.Engine) -> bool:
    """Whether Postgres's lower() takes capitals outside A-Z to small letters."""
    with engine.connect() as connection:
        return bool(connection.execute(sa.text("SELECT lower('ÄÉΣИ') = 'äéσи'")).scalar())


def run_checks(settings: Settings) -> list[Check]:
    """Every check in order; later ones are skipped once the database is unreachable."""
    results: list[Check] = [("settings", True, f"environment {settings.environment}")]
    engine = create_db_engine(settings.database_url)
    try:
        if not database_is_reachable(engine):
            results.append(("database", False, "not reachable with DATABASE_URL"))
            return results
        results.append(("database", True, f"reachable ({engine.dialect.name})"))
        head, current = head_revision(), current_revision(engine)
        results.append(
            ("migrations", current == head, f"at {current or 'nothing'}, head is {head}")
        )
        if engine.dialect.name == "postgresql":
            problems = role_problems(engine)
            results.append(("app role", not problems, "; ".join(problems) or "cannot bypass RLS"))
            problems = rls_problems(engine)
            results.append(("row-level security", not problems, "; ".join(problems) or "on"))
            found = has_sort_collation(engine)
            detail = "present" if found else "missing: use a PostgreSQL built with ICU"
            results.append((f"collation {SORT_COLLATION} (sorting by name)", found, detail))
            lowers = lowers_every_letter(engine)
            results.append((LETTER_CASE, lowers, "every letter" if lowers else C_LOCALE))
    finally:
        engine.dispose()
    return results
