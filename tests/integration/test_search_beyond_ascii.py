"""Searches find names whatever their letters: É, Ł, Ø as well as A-Z, on both databases,
with or without their accents."""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import closing, contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.config import Config

from crm_app.core.db import create_db_engine, global_session, tenant_session
from crm_app.core.search_fold import fold
from crm_app.models import ContactCreate, LeadCreate, User
from crm_app.services.call_logs import list_call_logs
from crm_app.services.contacts import create_contact, list_contacts
from crm_app.services.leads import create_lead, list_leads
from crm_app.services.schema import alembic_config
from tests.factories import add_call_log
from tests.pg import create_postgres_database, drop_postgres_database

NAMES = (
    "Émile Zola",
    "Łukasz Nowak",
    "ØYVIND Ås",
    "Ada Lovelace",
    "Jürgen Müller",
    "Jose Straße",
    "ΟΔΥΣΣΕΑΣ ΠΑΠΑΣ",
    "Νίκος Παπάς",
)
GREEK = ["Νίκος Παπάς", "ΟΔΥΣΣΕΑΣ ΠΑΠΑΣ"]


@pytest.mark.parametrize(
    ("search", "expected"),
    [
        ("émile", ["Émile Zola"]),
        ("ÉMILE", ["Émile Zola"]),
        ("łukasz", ["Łukasz Nowak"]),
        ("ŁUKASZ NOWAK", ["Łukasz Nowak"]),
        ("øyvind å", ["ØYVIND Ås"]),
        ("ADA", ["Ada Lovelace"]),
        # Without the accents, or with accents the stored name does not have.
        ("emile", ["Émile Zola"]),
        ("lukasz", ["Łukasz Nowak"]),
        ("oyvind as", ["ØYVIND Ås"]),
        ("muller", ["Jürgen Müller"]),
        ("JURGEN MÜLLER", ["Jürgen Müller"]),
        ("josé", ["Jose Straße"]),
        ("strasse", ["Jose Straße"]),
        ("straße", ["Jose Straße"]),
        ("zoë", []),
        # Greek's final sigma: ς as typed, σ as Postgres lower-cases a final Σ.
        ("ΠΑΠΑΣ", GREEK),
        ("παπας", GREEK),
        ("Παπάς", GREEK),
        ("παπασ", GREEK),
        ("οδυσσεας", ["ΟΔΥΣΣΕΑΣ ΠΑΠΑΣ"]),
    ],
)
def test_leads_and_contacts_are_found_in_any_case_of_any_letter(
    engine, make_user, search, expected
) -> None:
    user = make_user()
    with tenant_session(user.id, engine) as session:
        for name in NAMES:
            create_lead(session=session, user_id=user.id, lead_in=LeadCreate(name=name))
            create_contact(session=session, user_id=user.id, contact_in=ContactCreate(name=name))
    with tenant_session(user.id, engine) as session:
        leads = list_leads(session=session, user_id=user.id, search=search)
        contacts = list_contacts(session=session, user_id=user.id, search=search)
    assert sorted(lead.name for lead in leads.items) == expected
    assert sorted(contact.name for contact in contacts.items) == expected


@contextmanager
def _database_at(path: Path, revision: str) -> Iterator[tuple[Config, sa.Engine, User]]:
    """A SQLite database migrated to an older revision, with one user; its engine disposed."""
    config = alembic_config(f"sqlite:///{path}")
    command.upgrade(config, revision)
    engine = create_db_engine(f"sqlite:///{path}")
    try:
        user = User(email="old@example.com", name="", password_hash="!test-only")
        with global_session(engine) as session:
            session.add(user)
        yield config, engine, user
    finally:
        engine.dispose()


def test_the_upgrade_lower_cases_what_sqlite_stored_before(tmp_path) -> None:
    path = tmp_path / "old.db"
    with _database_at(path, "0004") as (config, engine, user):
        with tenant_session(user.id, engine) as session:
            create_lead(session=session, user_id=user.id, lead_in=LeadCreate(name="Émile Zola"))
        # As a release before this one stored it: rewritten with SQLite's own lower().
        with closing(sqlite3.connect(path)) as raw:
            raw.execute("UPDATE leads SET name = name")
            raw.commit()
            assert raw.execute("SELECT search_text FROM leads").fetchone()[0] == "Émile zola  "
        command.upgrade(config, "head")
        with tenant_session(user.id, engine) as session:
            found = list_leads(session=session, user_id=user.id, search="émile")
            unaccented = list_leads(session=session, user_id=user.id, search="emile")
        assert [lead.name for lead in found.items] == ["Émile Zola"]
        assert [lead.name for lead in unaccented.items] == ["Émile Zola"]


def test_the_upgrade_makes_calls_stored_before_it_searchable(tmp_path) -> None:
    with _database_at(tmp_path / "old.db", "0006") as (config, engine, user):
        with tenant_session(user.id, engine) as session:
            # A release before this one had no search_text on calls.
            session.execute(
                sa.text(
                    "INSERT INTO call_logs (id, user_id, provider, external_call_id, direction,"
                    " customer_number, customer_name, status, summary, transcript, created_at,"
                    " updated_at) VALUES (:id, :user_id, 'vapi', 'call-old', 'inbound',"
                    " '+14155550100', 'José Núñez', 'ended', '', '', :now, :now)"
                ),
                {"id": uuid.uuid4().hex, "user_id": user.id.hex, "now": datetime.now(UTC)},
            )
        command.upgrade(config, "head")
        with tenant_session(user.id, engine) as session:
            by_name = list_call_logs(session=session, user_id=user.id, search="jose nunez")
            by_number = list_call_logs(session=session, user_id=user.id, search="(415) 555-0100")
        assert [call.external_call_id for call in by_name.items] == ["call-old"]
        assert [call.external_call_id for call in by_number.items] == ["call-old"]


@pytest.mark.postgres
def test_folding_matches_postgres_unaccent_letter_for_letter(pg_app_engine) -> None:
    """The Python fold (SQLite's search_fold) takes off what Postgres's unaccent does."""
    letters = "ÀÁÂÃÄÅàáâãäåÇçÈÉÊËèéêëÌÍÎÏìíîïÑñÒÓÔÕÖØòóôõöøÙÚÛÜùúûüÝýÿŁłŚśŹźŻżĆćĘęĄąŃńßÆæŒœĐđÞþ"
    letters += " ΠΑΠΑΣ Παπάς ς Σ σ ΣΑΣ"  # a final Σ, a final ς, and one alone
    with global_session(pg_app_engine) as session:
        in_sql = session.exec(sa.select(sa.func.search_fold(letters))).one()[0]
    assert fold(letters) == in_sql


@pytest.mark.postgres
def test_the_upgrade_makes_greek_names_stored_before_it_found_by_either_sigma(pg_admin) -> None:
    database = create_postgres_database(pg_admin)
    config = alembic_config(database.owner_url)
    command.downgrade(config, "0010")
    engine = create_db_engine(database.app_url)
    try:
        user = User(email="greek@example.com", name="", password_hash="!test-only")
        with global_session(engine) as session:
            session.add(user)
        with tenant_session(user.id, engine) as session:
            for name in GREEK:  # stored as "νικος παπας" (ς) and "οδυσσεασ παπασ" (σ)
                create_lead(session=session, user_id=user.id, lead_in=LeadCreate(name=name))
                contact_in = ContactCreate(name=name)
                create_contact(session=session, user_id=user.id, contact_in=contact_in)
                add_call_log(session, user_id=user.id, customer_name=name)
        command.upgrade(config, "head")
        with tenant_session(user.id, engine) as session:
            for search in ("ΠΑΠΑΣ", "παπας", "Παπάς"):
                leads = list_leads(session=session, user_id=user.id, search=search)
                contacts = list_contacts(session=session, user_id=user.id, search=search)
                calls = list_call_logs(session=session, user_id=user.id, search=search)
                assert sorted(lead.name for lead in leads.items) == GREEK, search
                assert sorted(contact.name for contact in contacts.items) == GREEK, search
                assert sorted(call.customer_name for call in calls.items) == GREEK, search
        # Row-level security was lifted for the migration's update only: forced again.
        with global_session(engine) as session:
            forced = session.exec(
                sa.text(
                    "SELECT relname, relforcerowsecurity FROM pg_class"
                    " WHERE relname IN ('leads', 'contacts', 'call_logs')"
                )
            ).all()
        assert sorted(forced) == [("call_logs", True), ("contacts", True), ("leads", True)]
    finally:
        engine.dispose()
        drop_postgres_database(pg_admin, database)
