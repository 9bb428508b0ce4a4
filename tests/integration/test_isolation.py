"""Two users, every tenant service: user B gets nothing of user A's, and changes nothing of it.

SECURITY.md item 1 on SQLite and Postgres (the service wall), and items 4 and 5
on Postgres (row-level security alone). Every public function in crm_app.services
that takes a `user_id` keyword is a tenant service and needs an isolation case
below: register one with `@isolation_case("module.function")`. A case runs as
user B against user A's rows; afterwards every row of A must be as it was.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from typing import Any

import pytest
import sqlalchemy as sa
from sqlmodel import Session, SQLModel, select

import crm_app.services
from crm_app.core.db import tenant_session
from crm_app.models import (
    RLS_TABLES,
    TENANT_TABLES_OUTSIDE_RLS,
    CallLog,
    ContactCreate,
    ContactUpdate,
    Lead,
    LeadCreate,
    LeadUpdate,
    User,
)
from crm_app.services import (
    automation_logs,
    call_logs,
    contacts,
    dashboard,
    leads,
    webhook_events,
)
from tests.factories import FACTORIES, SHARED_LEAD_PHONE, TenantRows, seed_tenant


@dataclass(frozen=True)
class World:
    """Two users with one row in every tenant table each; cases act as B."""

    engine: sa.Engine
    a: User
    b: User
    a_rows: TenantRows
    b_rows: TenantRows

    @contextmanager
    def as_b(self) -> Iterator[Session]:
        with tenant_session(self.b.id, self.engine) as session:
            yield session


Case = Callable[[World], None]
ISOLATION_CASES: dict[str, Case] = {}


def isolation_case(*services: str) -> Callable[[Case], Case]:
    """Register a case as covering the named services ("module.function" in crm_app.services)."""

    def register(case: Case) -> Case:
        for service in services:
            assert service not in ISOLATION_CASES, f"two isolation cases for {service}"
            ISOLATION_CASES[service] = case
        return case

    return register


@cache
def tenant_services() -> dict[str, inspect.Signature]:
    """Every public function of crm_app.services with a parameter named user_id."""
    found = {}
    for info in pkgutil.iter_modules(crm_app.services.__path__):
        module = importlib.import_module(f"crm_app.services.{info.name}")
        for name, function in inspect.getmembers(module, inspect.isfunction):
            if name.startswith("_") or function.__module__ != module.__name__:
                continue
            signature = inspect.signature(function)
            if "user_id" in signature.parameters:
                found[f"{info.name}.{name}"] = signature
    return found


def snapshot(engine: sa.Engine, user_id: uuid.UUID) -> dict[str, list[dict[str, Any]]]:
    """Every row the user owns in every tenant table, and the user's own account row."""
    tables = SQLModel.metadata.tables
    rows = {}
    with tenant_session(user_id, engine) as session:
        for name in (*RLS_TABLES, *TENANT_TABLES_OUTSIDE_RLS):
            table = tables[name]
            query = sa.select(table).where(table.c.user_id == user_id).order_by(table.c.id)
            rows[name] = [dict(row._mapping) for row in session.connection().execute(query)]
        users = tables["users"]
        query = sa.select(users).where(users.c.id == user_id)
        rows["users"] = [dict(row._mapping) for row in session.connection().execute(query)]
    return rows


def _build_world(engine: sa.Engine, make_user: Callable[..., User]) -> World:
    a, b = make_user(name="Alice"), make_user(name="Bob")
    return World(
        engine=engine,
        a=a,
        b=b,
        a_rows=seed_tenant(engine, a.id, label="alice"),
        b_rows=seed_tenant(engine, b.id, label="bob"),
    )


@pytest.fixture
def world(engine: sa.Engine, make_user: Callable[..., User]) -> World:
    """A and B on the app's engine (on Postgres: the app role, under row-level security)."""
    return _build_world(engine, make_user)


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
            pytest.skip("PG_ADMIN_URL's role is not a superuser")
        yield _build_world(engine, make_user)
    finally:
        engine.dispose()


# --- The meta-tests: every tenant service has a case, and takes user_id as it should.


def test_every_tenant_service_has_an_isolation_case() -> None:
    missing = sorted(set(tenant_services()) - set(ISOLATION_CASES))
    assert not missing, (
        f"tenant services without an isolation case: {missing}; add one to "
        "tests/integration/test_isolation.py with @isolation_case(...)"
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


# --- Leads


@isolation_case("leads.list_leads")
def _list_leads(world: World) -> None:
    with world.as_b() as session:
        everything = leads.list_leads(session=session, user_id=world.b.id)
        by_name = leads.list_leads(
            session=session, user_id=world.b.id, search=world.a_rows.lead_name
        )
        by_phone = leads.list_leads(session=session, user_id=world.b.id, search=SHARED_LEAD_PHONE)
    assert [lead.id for lead in everything.items] == [world.b_rows.lead_id]
    assert (by_name.total, by_name.items) == (0, [])
    assert [lead.id for lead in by_phone.items] == [world.b_rows.lead_id]


@isolation_case("leads.get_lead")
def _get_lead(world: World) -> None:
    with world.as_b() as session:
        assert (
            leads.get_lead(session=session, user_id=world.b.id, lead_id=world.a_rows.lead_id)
            is None
        )


@isolation_case("leads.create_lead")
def _create_lead(world: World) -> None:
    with world.as_b() as session:
        lead_in = LeadCreate(name=world.a_rows.lead_name, phone=SHARED_LEAD_PHONE)
        lead = leads.create_lead(session=session, user_id=world.b.id, lead_in=lead_in)
    assert lead.user_id == world.b.id


@isolation_case("leads.update_lead")
def _update_lead(world: World) -> None:
    with world.as_b() as session:
        updated = leads.update_lead(
            session=session,
            user_id=world.b.id,
            lead_id=world.a_rows.lead_id,
            lead_in=LeadUpdate(name="taken over", status="lost"),
        )
    assert updated is None


@isolation_case("leads.delete_lead")
def _delete_lead(world: World) -> None:
    with world.as_b() as session:
        deleted = leads.delete_lead(
            session=session, user_id=world.b.id, lead_id=world.a_rows.lead_id
        )
    assert deleted is False


# --- Contacts


@isolation_case("contacts.list_contacts")
def _list_contacts(world: World) -> None:
    with world.as_b() as session:
        everything = contacts.list_contacts(session=session, user_id=world.b.id)
        by_phone = contacts.list_contacts(
            session=session, user_id=world.b.id, search=world.a_rows.contact_phone
        )
        by_email = contacts.list_contacts(
            session=session, user_id=world.b.id, search=world.a_rows.contact_email
        )
    assert [contact.id for contact in everything.items] == [world.b_rows.contact_id]
    assert (by_phone.total, by_email.total) == (0, 0)


@isolation_case("contacts.get_contact")
def _get_contact(world: World) -> None:
    with world.as_b() as session:
        found = contacts.get_contact(
            session=session, user_id=world.b.id, contact_id=world.a_rows.contact_id
        )
    assert found is None


@isolation_case("contacts.create_contact")
def _create_contact(world: World) -> None:
    # A's phone and email are not duplicates for B: uniqueness is per user, and
    # a DuplicateContact here would tell B that A has this contact.
    with world.as_b() as session:
        contact_in = ContactCreate(
            phone=world.a_rows.contact_phone, email=world.a_rows.contact_email
        )
        contact = contacts.create_contact(
            session=session, user_id=world.b.id, contact_in=contact_in
        )
    assert contact.user_id == world.b.id


@isolation_case("contacts.update_contact")
def _update_contact(world: World) -> None:
    with world.as_b() as session:
        updated = contacts.update_contact(
            session=session,
            user_id=world.b.id,
            contact_id=world.a_rows.contact_id,
            contact_in=ContactUpdate(name="taken over"),
        )
    assert updated is None


@isolation_case("contacts.delete_contact")
def _delete_contact(world: World) -> None:
    with world.as_b() as session:
        deleted = contacts.delete_contact(
            session=session, user_id=world.b.id, contact_id=world.a_rows.contact_id
        )
    assert deleted is False


# --- Calls, automation runs, webhook events, dashboard


@isolation_case("call_logs.list_call_logs")
def _list_call_logs(world: World) -> None:
    with world.as_b() as session:
        everything = call_logs.list_call_logs(session=session, user_id=world.b.id)
        by_name = call_logs.list_call_logs(
            session=session, user_id=world.b.id, search=world.a_rows.call_customer_name
        )
    assert [call.id for call in everything.items] == [world.b_rows.call_id]
    assert by_name.total == 0


@isolation_case("call_logs.get_call_log")
def _get_call_log(world: World) -> None:
    with world.as_b() as session:
        found = call_logs.get_call_log(
            session=session, user_id=world.b.id, call_id=world.a_rows.call_id
        )
    assert found is None


@isolation_case("automation_logs.list_automation_logs")
def _list_automation_logs(world: World) -> None:
    with world.as_b() as session:
        page = automation_logs.list_automation_logs(session=session, user_id=world.b.id)
    assert [run.id for run in page.items] == [world.b_rows.automation_log_id]


@isolation_case("webhook_events.list_webhook_events")
def _list_webhook_events(world: World) -> None:
    with world.as_b() as session:
        page = webhook_events.list_webhook_events(session=session, user_id=world.b.id)
    assert [event.id for event in page.items] == [world.b_rows.webhook_event_id]


@isolation_case("webhook_events.get_webhook_event")
def _get_webhook_event(world: World) -> None:
    with world.as_b() as session:
        found = webhook_events.get_webhook_event(
            session=session, user_id=world.b.id, event_id=world.a_rows.webhook_event_id
        )
    assert found is None


@isolation_case("dashboard.dashboard_stats")
def _dashboard_stats(world: World) -> None:
    with world.as_b() as session:
        stats = dashboard.dashboard_stats(session=session, user_id=world.b.id)
    assert (stats.total_leads, stats.calls, stats.automation_runs) == (1, 1, 1)
    assert stats.leads_by_source == {"website": 1}


# --- Accounts and login sessions (crm_app/services/users.py, sessions.py)


@cache
def _password_hash(password: str) -> str:
    from crm_app.core.security import hash_password

    return hash_password(password)


@isolation_case("users.get_user")
def _get_user(world: World) -> None:
    from crm_app.services import users

    with world.as_b() as session:
        assert users.get_user(session=session, user_id=world.b.id).id == world.b.id


@isolation_case("users.change_password")
def _change_password(world: World) -> None:
    # B changing B's password ends B's sessions only, never A's.
    from crm_app.services import users

    with world.as_b() as session:
        b = session.get(User, world.b.id)
        b.password_hash = _password_hash("bob's old password")
        session.add(b)
        changed = users.change_password(
            session=session,
            user_id=world.b.id,
            current_password="bob's old password",
            new_password="bob's new password",
        )
    assert changed is True


@isolation_case("sessions.start_session")
def _start_session(world: World) -> None:
    from crm_app.services import sessions

    with world.as_b() as session:
        assert sessions.start_session(session=session, user_id=world.b.id)


@isolation_case("sessions.is_session_active")
def _is_session_active(world: World) -> None:
    from crm_app.services import sessions

    with world.as_b() as session:
        active = sessions.is_session_active(
            session=session, user_id=world.b.id, session_id=world.a_rows.user_session_id
        )
    assert active is False


@isolation_case("sessions.revoke_session")
def _revoke_session(world: World) -> None:
    from crm_app.services import sessions

    with world.as_b() as session:
        revoked = sessions.revoke_session(
            session=session, user_id=world.b.id, session_id=world.a_rows.user_session_id
        )
    assert revoked is False


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
