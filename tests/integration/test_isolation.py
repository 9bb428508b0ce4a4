"""Two users, every tenant service: user B gets nothing of user A's, and changes nothing of it.

SECURITY.md item 1 on SQLite and Postgres (the service wall), and items 4 and 5
on Postgres (row-level security alone). The cases live in tests/isolation/, one
module per feature; a tenant service without a case fails the first test here.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from sqlmodel import Session, select

from crm_app.core.db import tenant_session
from crm_app.models import RLS_TABLES, TENANT_TABLES_OUTSIDE_RLS, CallLog, Lead, User
from tests.factories import FACTORIES
from tests.isolation import World, build_world, load_all_cases, snapshot, tenant_services
from tests.required import unavailable

ISOLATION_CASES = load_all_cases()


@pytest.fixture
def world(engine: sa.Engine, make_user: Callable[..., User]) -> World:
    """A and B on the app's engine (on Postgres: the app role, under row-level security)."""
    return build_world(engine, make_user)


@pytest.fixture
def world_without_rls(pg_database: Any, make_user: Callable[..., User]) -> Iterator[World]:
    """A and B on Postgres as a superuser, which row-level security does not hold back.

    Cases then run with only the services' own `WHERE user_id = ...` between B
    and A's rows: the first wall, checked on Postgres as well as on SQLite.
    """
    engine = sa.create_engine(pg_database.admin_url, connect_args={"prepare_threshold": None})
    try:
        with engine.connect() as connection:
            bypasses = connection.execute(
                sa.text(
                    "SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = current_user"
                )
            ).scalar()
        if not bypasses:
            reason = "PG_ADMIN_URL's role is not a superuser"
            unavailable(reason, required_by="CRM_REQUIRE_POSTGRES")
        yield build_world(engine, make_user)
    finally:
        engine.dispose()


# --- The meta-tests: every tenant service has a case, and takes user_id as it should.


def test_every_tenant_service_has_an_isolation_case() -> None:
    missing = sorted(set(tenant_services()) - set(ISOLATION_CASES))
    assert not missing, (
        f"tenant services without an isolation case: {missing}; add one to "
        "a module of tests/isolation/ with @isolation_case(...)"
    )


def test_every_isolation_case_names_an_existing_service() -> None:
    assert sorted(set(ISOLATION_CASES) - set(tenant_services())) == []


def test_tenant_services_take_user_id_as_a_required_keyword() -> None:
    wrong = [
        name
        for name, signature in tenant_services().items()
        if signature.parameters["user_id"].kind is not inspect.Parameter.KEYWORD_ONLY
        or signature.parameters["user_id"].default is not inspect.Parameter.empty
    ]
    assert wrong == []


def _check_case(service: str, world: World) -> None:
    before = snapshot(world.engine, world.a.id)
    assert all(before.values()), "the seeded tenant must own a row in every table"
    ISOLATION_CASES[service](world)
    assert snapshot(world.engine, world.a.id) == before


# Parametrized after every case above has registered itself.
@pytest.mark.parametrize("service", sorted(ISOLATION_CASES))
def test_other_user_gets_nothing_and_changes_nothing(service: str, world: World) -> None:
    _check_case(service, world)


@pytest.mark.postgres
@pytest.mark.parametrize("engine", ["postgres"], indirect=True)
@pytest.mark.parametrize("service", sorted(ISOLATION_CASES))
def test_services_filter_by_user_even_where_rls_would_not(
    service: str, world_without_rls: World
) -> None:
    _check_case(service, world_without_rls)


# --- Postgres: row-level security holds on its own.


@pytest.mark.postgres
@pytest.mark.parametrize("engine", ["postgres"], indirect=True)
def test_no_tenant_set_reads_zero_rows_from_every_tenant_table(world: World) -> None:
    with tenant_session(world.a.id, world.engine) as session:
        seeded = _visible_rows(session)
    assert all(seeded.values()), seeded
    with Session(world.engine) as session:  # no set_config at all
        unset = _visible_rows(session)
    with Session(world.engine) as session:  # set, but blank
        session.connection().execute(sa.text("SELECT set_config('app.current_user_id', '', true)"))
        blank = _visible_rows(session)
    assert unset == blank == dict.fromkeys(RLS_TABLES, 0)


def _visible_rows(session: Session) -> dict[str, int]:
    """How many rows each RLS table shows: no WHERE user_id, only the policy decides."""
    count = "SELECT count(*) FROM {}"
    return {t: session.connection().execute(sa.text(count.format(t))).scalar() for t in RLS_TABLES}


@pytest.mark.postgres
@pytest.mark.parametrize("engine", ["postgres"], indirect=True)
@pytest.mark.parametrize("table", RLS_TABLES)
def test_inserting_a_row_for_another_user_fails_with_42501(table: str, world: World) -> None:
    with (
        pytest.raises(sa.exc.DBAPIError) as raised,
        tenant_session(world.a.id, world.engine) as session,
    ):
        FACTORIES[table](session, user_id=world.b.id)
    assert raised.value.orig.sqlstate == "42501"


@pytest.mark.postgres
@pytest.mark.parametrize("engine", ["postgres"], indirect=True)
def test_moving_a_row_to_another_user_fails_with_42501(world: World) -> None:
    with (
        pytest.raises(sa.exc.DBAPIError) as raised,
        tenant_session(world.a.id, world.engine) as session,
    ):
        session.exec(
            sa.update(Lead).where(Lead.id == world.a_rows.lead_id).values(user_id=world.b.id)
        )
    assert raised.value.orig.sqlstate == "42501"


class _Planned(Exception):
    """Raised inside some units of work to check that a rollback leaks nothing either."""


@pytest.mark.postgres
@pytest.mark.parametrize("engine", ["postgres"], indirect=True)
def test_tenant_setting_is_transaction_local_over_1000_units_on_one_connection(
    world: World, pg_database: Any
) -> None:
    engine = sa.create_engine(
        pg_database.app_url,
        pool_size=1,
        max_overflow=0,
        pool_timeout=5,
        connect_args={"prepare_threshold": None},
    )
    owner_of_lead = {world.a_rows.lead_id: world.a.id, world.b_rows.lead_id: world.b.id}
    backends = set()
    try:
        for unit in range(1000):
            user = world.a if unit % 2 == 0 else world.b
            try:
                with tenant_session(user.id, engine) as session:
                    # No WHERE user_id: only row-level security decides what is seen.
                    seen = session.exec(select(Lead.id, Lead.user_id)).all()
                    calls = session.exec(select(CallLog.user_id)).all()
                    if unit % 100 == 0:
                        backends.add(
                            session.connection()
                            .execute(sa.text("SELECT pg_backend_pid()"))
                            .scalar()
                        )
                    if unit % 7 == 0:
                        raise _Planned
            except _Planned:
                pass
            assert [(row.id, row.user_id) for row in seen] == [
                (lead_id, owner) for lead_id, owner in owner_of_lead.items() if owner == user.id
            ], f"unit {unit}"
            assert calls == [user.id], f"unit {unit}"
        with engine.connect() as connection:
            setting = connection.execute(
                sa.text("SELECT current_setting('app.current_user_id', true)")
            ).scalar()
            leftover = connection.execute(sa.text("SELECT count(*) FROM leads")).scalar()
    finally:
        engine.dispose()
    assert len(backends) == 1
    assert setting in ("", None)
    assert leftover == 0


def test_factories_cover_every_tenant_table() -> None:
    assert set(FACTORIES) == set(RLS_TABLES) | set(TENANT_TABLES_OUTSIDE_RLS)
