"""The Postgres catalogue shows the tenancy walls: RLS, policies, indexes, keys and roles.

SECURITY.md items 2, 3, 4 (the tenant-less read only), 6 and 7, read straight
from pg_class, pg_policies, pg_index and pg_constraint rather than trusted
from the migration's source.
"""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from crm_app.core.db import global_session, role_problems, tenant_session
from crm_app.models import RLS_TABLES, TENANT_TABLES_OUTSIDE_RLS, Lead, User
from crm_app.services.checks import rls_problems

pytestmark = pytest.mark.postgres

TENANT_TABLES = RLS_TABLES + TENANT_TABLES_OUTSIDE_RLS
TENANT_SETTING_CALL = "current_setting('app.current_user_id'"


def _rows(engine: sa.Engine, sql: str, **params: object) -> list[sa.Row]:
    with engine.connect() as connection:
        return list(connection.execute(sa.text(sql), params).all())


def _wrapped_in_select(expression: str, needle: str) -> bool:
    """True when every occurrence of needle sits inside a parenthesised `(SELECT ...)`."""
    start = expression.find(needle)
    if start < 0:
        return False
    while start >= 0:
        depth, inside_select = 0, False
        for position in range(start - 1, -1, -1):
            char = expression[position]
            if char == ")":
                depth += 1
            elif char == "(":
                if depth == 0:
                    if expression[position + 1 :].lstrip().upper().startswith("SELECT "):
                        inside_select = True
                        break
                else:
                    depth -= 1
        if not inside_select:
            return False
        start = expression.find(needle, start + 1)
    return True


def test_wrapped_in_select_helper_tells_wrapped_from_bare() -> None:
    assert _wrapped_in_select(
        # What Postgres 15 gives back for the migration's predicate.
        "(user_id = ( SELECT (NULLIF(current_setting('app.current_user_id'::text, true),"
        " ''::text))::uuid AS \"nullif\"))",
        TENANT_SETTING_CALL,
    )
    assert not _wrapped_in_select(
        "(user_id = (NULLIF(current_setting('app.current_user_id'::text, true), ''))::uuid)",
        TENANT_SETTING_CALL,
    )
    assert not _wrapped_in_select(
        "(user_id = '00000000-0000-0000-0000-000000000000'::uuid)", TENANT_SETTING_CALL
    )


@pytest.mark.parametrize("table", RLS_TABLES)
def test_rls_table_has_row_security_enabled_forced_and_a_policy(
    pg_owner_engine: sa.Engine, table: str
) -> None:
    [row] = _rows(
        pg_owner_engine,
        "SELECT c.relrowsecurity, c.relforcerowsecurity, "
        "(SELECT count(*) FROM pg_policies p "
        " WHERE p.schemaname = n.nspname AND p.tablename = c.relname) AS policies "
        "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = current_schema() AND c.relname = :table AND c.relkind = 'r'",
        table=table,
    )
    assert row.relrowsecurity, f"{table}: row-level security not enabled"
    assert row.relforcerowsecurity, f"{table}: row-level security not forced"
    assert row.policies >= 1, f"{table}: no policy"


def test_rls_check_finds_no_problem(pg_app_engine: sa.Engine) -> None:
    assert rls_problems(pg_app_engine) == []


def test_every_policy_reads_the_tenant_setting_inside_a_select(pg_owner_engine: sa.Engine) -> None:
    policies = _rows(
        pg_owner_engine,
        "SELECT tablename, policyname, cmd, qual, with_check "
        "FROM pg_policies WHERE schemaname = current_schema()",
    )
    assert {policy.tablename for policy in policies} >= set(RLS_TABLES)
    for policy in policies:
        where = f"{policy.tablename}.{policy.policyname}"
        assert policy.cmd == "ALL", f"{where}: covers {policy.cmd} only"
        for clause, text in (("USING", policy.qual), ("WITH CHECK", policy.with_check)):
            assert text, f"{where}: no {clause} clause"
            assert TENANT_SETTING_CALL in text, (
                f"{where}: {clause} does not read the tenant: {text}"
            )
            assert _wrapped_in_select(text, TENANT_SETTING_CALL), (
                f"{where}: {clause} calls current_setting per row, not once in (SELECT ...): {text}"
            )


@pytest.mark.parametrize("table", TENANT_TABLES)
def test_tenant_table_has_an_index_led_by_user_id(pg_owner_engine: sa.Engine, table: str) -> None:
    indexes = _rows(
        pg_owner_engine,
        "SELECT i.relname AS index_name FROM pg_index x "
        "JOIN pg_class c ON c.oid = x.indrelid "
        "JOIN pg_class i ON i.oid = x.indexrelid "
        "JOIN pg_namespace n ON n.oid = c.relnamespace "
        "JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = x.indkey[0] "
        "WHERE n.nspname = current_schema() AND c.relname = :table AND a.attname = 'user_id'",
        table=table,
    )
    assert indexes, f"{table}: no index whose first column is user_id"


@pytest.mark.parametrize("table", TENANT_TABLES)
def test_tenant_table_primary_key_and_unique_constraints_contain_user_id(
    pg_owner_engine: sa.Engine, table: str
) -> None:
    constraints = _rows(
        pg_owner_engine,
        "SELECT k.conname, k.contype, "
        "ARRAY(SELECT a.attname::text FROM pg_attribute a "
        "      WHERE a.attrelid = k.conrelid AND a.attnum = ANY(k.conkey)) AS columns "
        "FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid "
        "JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = current_schema() AND c.relname = :table AND k.contype IN ('p', 'u')",
        table=table,
    )
    assert any(row.contype == "p" for row in constraints), f"{table}: no primary key"
    for row in constraints:
        assert "user_id" in row.columns, f"{table}.{row.conname} ({row.columns}) lacks user_id"


@pytest.mark.parametrize("table", TENANT_TABLES)
def test_tenant_table_unique_indexes_contain_user_id(
    pg_owner_engine: sa.Engine, table: str
) -> None:
    # Partial unique indexes (one active key per service) are not constraints; same rule.
    indexes = _rows(
        pg_owner_engine,
        "SELECT i.relname AS index_name, "
        "ARRAY(SELECT a.attname::text FROM pg_attribute a "
        "      WHERE a.attrelid = x.indrelid AND a.attnum = ANY(x.indkey)) AS columns "
        "FROM pg_index x JOIN pg_class c ON c.oid = x.indrelid "
        "JOIN pg_class i ON i.oid = x.indexrelid "
        "JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = current_schema() AND c.relname = :table AND x.indisunique",
        table=table,
    )
    for row in indexes:
        assert "user_id" in row.columns, f"{table}.{row.index_name} ({row.columns}) lacks user_id"


def test_foreign_keys_between_tenant_tables_are_composite_on_user_id(
    pg_owner_engine: sa.Engine,
) -> None:
    foreign_keys = _rows(
        pg_owner_engine,
        "SELECT k.conname, src.relname AS source, dst.relname AS target, "
        "ARRAY(SELECT a.attname::text FROM unnest(k.conkey) WITH ORDINALITY AS u(attnum, pos) "
        "      JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = u.attnum "
        "      ORDER BY u.pos) "
        "  AS columns, "
        "ARRAY(SELECT a.attname::text FROM unnest(k.confkey) WITH ORDINALITY AS u(attnum, pos) "
        "      JOIN pg_attribute a ON a.attrelid = k.confrelid AND a.attnum = u.attnum "
        "      ORDER BY u.pos) "
        "  AS referenced "
        "FROM pg_constraint k "
        "JOIN pg_class src ON src.oid = k.conrelid JOIN pg_class dst ON dst.oid = k.confrelid "
        "JOIN pg_namespace n ON n.oid = src.relnamespace "
        "WHERE n.nspname = current_schema() AND k.contype = 'f' "
        "AND src.relname = ANY(:tables) AND dst.relname = ANY(:tables)",
        tables=list(TENANT_TABLES),
    )
    assert foreign_keys, "expected foreign keys between tenant tables (e.g. contacts -> leads)"
    for row in foreign_keys:
        where = f"{row.source}.{row.conname} -> {row.target}"
        assert len(row.columns) > 1, f"{where} is not composite: {row.columns}"
        assert ("user_id", "user_id") in zip(row.columns, row.referenced, strict=True), (
            f"{where} does not pair user_id with user_id: {row.columns} -> {row.referenced}"
        )


def test_app_role_is_not_superuser_has_no_bypassrls_and_owns_no_table(
    pg_app_engine: sa.Engine, pg_database
) -> None:
    app_role = make_url(pg_database.app_url).username
    [role] = _rows(
        pg_app_engine, "SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = :r", r=app_role
    )
    assert not role.rolsuper
    assert not role.rolbypassrls
    owned = _rows(
        pg_app_engine, "SELECT tablename FROM pg_tables WHERE tableowner = :r", r=app_role
    )
    assert owned == []
    assert role_problems(pg_app_engine) == []


def test_owner_role_owns_the_tables_and_is_reported_unsafe_to_run_the_app(
    pg_owner_engine: sa.Engine, pg_database
) -> None:
    owner_role = make_url(pg_database.owner_url).username
    owners = dict(
        _rows(
            pg_owner_engine,
            "SELECT tablename, tableowner FROM pg_tables WHERE schemaname = current_schema()",
        )
    )
    for table in TENANT_TABLES:
        assert owners[table] == owner_role
    problems = role_problems(pg_owner_engine)
    assert any("owns tables" in problem for problem in problems), problems


def test_rows_of_a_user_are_invisible_to_the_app_role_when_no_tenant_is_set(
    pg_app_engine: sa.Engine,
) -> None:
    user = User(email=f"rls-{uuid.uuid4().hex[:12]}@example.com", name="RLS", password_hash="!test")
    with global_session(pg_app_engine) as session:
        session.add(user)
    with tenant_session(user.id, pg_app_engine) as session:
        session.add(Lead(user_id=user.id, name="Visible only to its owner"))

    count_sql = "SELECT count(*) FROM leads WHERE user_id = :u"
    with tenant_session(user.id, pg_app_engine) as session:
        assert session.execute(sa.text(count_sql), {"u": user.id}).scalar_one() == 1
    with pg_app_engine.connect() as connection:
        assert connection.execute(sa.text(count_sql), {"u": user.id}).scalar_one() == 0
        assert connection.execute(sa.text("SELECT count(*) FROM leads")).scalar_one() == 0
