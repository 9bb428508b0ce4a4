"""The pipeline on both databases: status changes, the board, sources, conversion to contacts."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from crm_app.core.db import tenant_session
from crm_app.models import Activity, AutomationLog, CallLog, ContactCreate, LeadCreate, User
from crm_app.services.contacts import create_contact, delete_contact, list_contacts
from crm_app.services.errors import InvalidInput, StatusMovedOn
from crm_app.services.leads import create_lead, get_lead
from crm_app.services.pipeline import (
    change_lead_status,
    convert_lead_to_contact,
    converted_contact_id,
    list_lead_sources,
    pipeline_board,
)
from crm_app.services.timeline import list_timeline
from crm_app.services.webhook_records import person_for_number
from tests.factories import add_activity, add_automation_log, add_call_log, add_lead

T0 = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)
DAY = timedelta(days=1)


@pytest.fixture
def user(make_user: Callable[..., User]) -> User:
    return make_user()


def _lead(engine, user: User, **fields: object):
    with tenant_session(user.id, engine) as session:
        return create_lead(session=session, user_id=user.id, lead_in=LeadCreate(**fields))


# --- status


def test_change_lead_status_moves_the_lead_and_records_the_change(engine, user) -> None:
    lead = _lead(engine, user, name="Ana")
    with tenant_session(user.id, engine) as session:
        moved = change_lead_status(session=session, user_id=user.id, lead_id=lead.id, status="won")
    assert moved.status == "won"
    with tenant_session(user.id, engine) as session:
        assert get_lead(session=session, user_id=user.id, lead_id=lead.id).status == "won"
        entries = list_timeline(session=session, user_id=user.id, lead_id=lead.id)
    assert [(e.kind, e.body) for e in entries] == [("status_change", "new → won")]


def test_change_lead_status_refuses_an_unknown_status(engine, user) -> None:
    lead = _lead(engine, user, name="Ana")
    with pytest.raises(InvalidInput) as raised, tenant_session(user.id, engine) as session:
        change_lead_status(session=session, user_id=user.id, lead_id=lead.id, status="archived")
    assert set(raised.value.errors) == {"status"}


def test_a_status_change_from_a_stale_page_never_undoes_a_newer_one(engine, user) -> None:
    # A board card loaded while the lead was "contacted"; an automation marked it won since.
    lead = _lead(engine, user, name="Ada", status="contacted")
    with tenant_session(user.id, engine) as session:
        change_lead_status(session=session, user_id=user.id, lead_id=lead.id, status="won")
    with pytest.raises(StatusMovedOn) as raised, tenant_session(user.id, engine) as session:
        change_lead_status(
            session=session, user_id=user.id, lead_id=lead.id, status="qualified", shown="contacted"
        )
    assert raised.value.current == "won" and "moved to won meanwhile" in str(raised.value)
    with tenant_session(user.id, engine) as session:
        assert get_lead(session=session, user_id=user.id, lead_id=lead.id).status == "won"
        moved = change_lead_status(
            session=session, user_id=user.id, lead_id=lead.id, status="qualified", shown="won"
        )
        assert moved.status == "qualified"
        # Moved where this page asks, by another tab or a second pick: done, not refused.
        again = change_lead_status(
            session=session, user_id=user.id, lead_id=lead.id, status="qualified", shown="won"
        )
        assert again.status == "qualified"
        gone = change_lead_status(
            session=session, user_id=user.id, lead_id=uuid.uuid4(), status="won", shown="new"
        )
        assert gone is None


def test_change_status_of_a_missing_lead_returns_none(engine, user) -> None:
    with tenant_session(user.id, engine) as session:
        assert (
            change_lead_status(session=session, user_id=user.id, lead_id=uuid.uuid4(), status="won")
            is None
        )


# --- the board


def test_pipeline_board_has_every_status_in_order_with_counts_and_newest_cards(
    engine, user
) -> None:
    with tenant_session(user.id, engine) as session:
        for n, status in enumerate(["new", "new", "new", "won", "lost", "new"]):
            add_lead(
                session,
                user_id=user.id,
                name=f"{status}{n}",
                status=status,
                created_at=T0 + timedelta(hours=n),
            )
    with tenant_session(user.id, engine) as session:
        board = pipeline_board(session=session, user_id=user.id, per_status=2)
    assert [(c.status, c.total, [lead.name for lead in c.leads]) for c in board] == [
        ("new", 4, ["new5", "new2"]),
        ("contacted", 0, []),
        ("qualified", 0, []),
        ("won", 1, ["won3"]),
        ("lost", 1, ["lost4"]),
    ]


def test_pipeline_board_sorts_each_column_as_the_list_would(engine, user) -> None:
    with tenant_session(user.id, engine) as session:
        for n, name in enumerate(["bea", "Cid", "abe", "dan"]):
            add_lead(session, user_id=user.id, name=name, created_at=T0 + timedelta(hours=n))
    with tenant_session(user.id, engine) as session:

        def names(**sort: object) -> list[str]:
            board = pipeline_board(session=session, user_id=user.id, per_status=3, **sort)
            return [lead.name for lead in board[0].leads]

        by_name = names(sort="name", descending=False)
        oldest = names(sort="created_at", descending=False)
        by_status = names(sort="status", descending=False)
        newest = names()
    assert by_name == ["abe", "bea", "Cid"]  # case-insensitive, and the first three only
    assert oldest == ["bea", "Cid", "abe"]
    assert newest == by_status == ["dan", "abe", "Cid"]  # within one status: newest first


def test_pipeline_board_searches_like_the_list(engine, user) -> None:
    with tenant_session(user.id, engine) as session:
        add_lead(session, user_id=user.id, name="Ana", status="won", phone="+14155552671")
        add_lead(session, user_id=user.id, name="Bob", status="won")
    with tenant_session(user.id, engine) as session:
        board = pipeline_board(session=session, user_id=user.id, search="(415) 555-2671")
    won = next(column for column in board if column.status == "won")
    assert (won.total, [lead.name for lead in won.leads]) == (1, ["Ana"])


def test_pipeline_board_filters_by_source_and_creation_date(engine, user) -> None:
    with tenant_session(user.id, engine) as session:
        add_lead(session, user_id=user.id, name="Old vapi", source="vapi", created_at=T0)
        add_lead(session, user_id=user.id, name="New vapi", source="vapi", created_at=T0 + DAY)
        add_lead(session, user_id=user.id, name="New web", source="website", created_at=T0 + DAY)
    with tenant_session(user.id, engine) as session:
        board = pipeline_board(
            session=session, user_id=user.id, source="vapi", created_from=T0 + DAY
        )
    assert [lead.name for column in board for lead in column.leads] == ["New vapi"]


def test_pipeline_board_of_a_user_with_no_leads_has_empty_columns(engine, user) -> None:
    with tenant_session(user.id, engine) as session:
        board = pipeline_board(session=session, user_id=user.id)
    assert [(c.total, c.leads) for c in board] == [(0, [])] * 5


def test_list_lead_sources_gives_each_source_once_most_used_first(engine, user) -> None:
    with tenant_session(user.id, engine) as session:
        for source in ["vapi", "website", "vapi", "make", "vapi", "website"]:
            add_lead(session, user_id=user.id, source=source)
        assert list_lead_sources(session=session, user_id=user.id) == ["vapi", "website", "make"]


# --- conversion


def test_convert_lead_to_contact_copies_the_fields_and_links_both_ways(engine, user) -> None:
    lead = _lead(
        engine, user, name="Ana", phone="4155552671", email="ana@acme.com", notes="Met at expo"
    )
    with tenant_session(user.id, engine) as session:
        call = add_call_log(session, user_id=user.id, lead_id=lead.id)
        run = add_automation_log(session, user_id=user.id, lead_id=lead.id)
        note = add_activity(session, user_id=user.id, lead_id=lead.id)
    with tenant_session(user.id, engine) as session:
        conversion = convert_lead_to_contact(session=session, user_id=user.id, lead_id=lead.id)
    contact = conversion.contact
    assert conversion.created is True
    assert (contact.name, contact.phone, contact.email, contact.notes, contact.lead_id) == (
        "Ana",
        "+14155552671",
        "ana@acme.com",
        "Met at expo",
        lead.id,
    )
    with tenant_session(user.id, engine) as session:
        assert converted_contact_id(session=session, user_id=user.id, lead_id=lead.id) == contact.id
        moved = [
            session.get(CallLog, (user.id, call.id)),
            session.get(AutomationLog, (user.id, run.id)),
            session.get(Activity, (user.id, note.id)),
        ]
        contact_timeline = list_timeline(session=session, user_id=user.id, contact_id=contact.id)
    assert [row.contact_id for row in moved] == [contact.id] * 3
    assert [row.lead_id for row in moved] == [lead.id] * 3  # still on the lead's timeline too
    assert contact_timeline[0].kind == "converted"


def test_converting_twice_gives_the_same_contact(engine, user) -> None:
    lead = _lead(engine, user, name="Ana", email="ana@acme.com")
    with tenant_session(user.id, engine) as session:
        first = convert_lead_to_contact(session=session, user_id=user.id, lead_id=lead.id)
    with tenant_session(user.id, engine) as session:
        second = convert_lead_to_contact(session=session, user_id=user.id, lead_id=lead.id)
        assert list_contacts(session=session, user_id=user.id).total == 1
    assert (second.contact.id, second.created) == (first.contact.id, False)


def test_converting_a_lead_whose_phone_is_a_contact_links_that_contact(engine, user) -> None:
    with tenant_session(user.id, engine) as session:
        existing = create_contact(
            session=session,
            user_id=user.id,
            contact_in=ContactCreate(name="Ana (contact)", phone="+14155552671"),
        )
    lead = _lead(engine, user, name="Ana (lead)", phone="(415) 555-2671")
    with tenant_session(user.id, engine) as session:
        conversion = convert_lead_to_contact(session=session, user_id=user.id, lead_id=lead.id)
        assert list_contacts(session=session, user_id=user.id).total == 1
    assert (conversion.contact.id, conversion.created) == (existing.id, False)
    assert (conversion.contact.name, conversion.contact.lead_id) == ("Ana (contact)", lead.id)


def test_converting_onto_a_contact_fills_in_what_it_lacked_so_calls_reach_it(engine, user) -> None:
    with tenant_session(user.id, engine) as session:
        existing = create_contact(
            session=session,
            user_id=user.id,
            contact_in=ContactCreate(name="Ana", email="ana@example.com"),
        )
        create_contact(  # holds a number the lead also gives: it stays this contact's
            session=session,
            user_id=user.id,
            contact_in=ContactCreate(name="Office", phone="+14155550199"),
        )
    lead = _lead(
        engine, user, name="Ana Lead", phone="+14155550177", email="ana@example.com", notes="VIP"
    )
    with tenant_session(user.id, engine) as session:
        conversion = convert_lead_to_contact(session=session, user_id=user.id, lead_id=lead.id)
        contact = conversion.contact
        assert (contact.id, contact.name, contact.phone, contact.notes) == (
            existing.id,
            "Ana",
            "+14155550177",
            "VIP",
        )
        person, created = person_for_number(
            session=session, user_id=user.id, phone="+14155550177", name="", source="vapi"
        )
    assert (person.kind, person.id, created) == ("contact", existing.id, False)
    other = _lead(engine, user, name="Bo", phone="+14155550199", email="bo@example.com")
    with tenant_session(user.id, engine) as session:
        bo = convert_lead_to_contact(session=session, user_id=user.id, lead_id=other.id).contact
        assert (bo.name, bo.phone, bo.email) == ("Office", "+14155550199", "bo@example.com")


def test_the_leads_notes_stay_with_a_contact_that_had_notes_of_its_own(engine, user) -> None:
    # Copied only where the contact had none: "VIP, call after 5pm" was lost to the contact.
    with tenant_session(user.id, engine) as session:
        existing = create_contact(
            session=session,
            user_id=user.id,
            contact_in=ContactCreate(email="ana@example.com", notes="Prefers email"),
        )
    lead = _lead(engine, user, name="Ana", email="ana@example.com", notes="VIP, call after 5pm")
    with tenant_session(user.id, engine) as session:
        contact = convert_lead_to_contact(session=session, user_id=user.id, lead_id=lead.id)
        assert contact.contact.notes == "Prefers email"
        entries = list_timeline(session=session, user_id=user.id, contact_id=existing.id)
    notes = [entry.body for entry in entries if entry.kind == "note"]
    assert notes == ["From the lead's notes:\nVIP, call after 5pm"]
    # Converting again adds nothing; notes the contact already holds are not repeated.
    with tenant_session(user.id, engine) as session:
        convert_lead_to_contact(session=session, user_id=user.id, lead_id=lead.id)
        entries = list_timeline(session=session, user_id=user.id, contact_id=existing.id)
    assert len([entry for entry in entries if entry.kind == "note"]) == 1


def test_a_second_lead_with_the_contacts_number_is_converted_once_onto_it(engine, user) -> None:
    first = _lead(engine, user, name="Dana Lead", phone="+14155550111")
    # Stored before a number could have only one lead (create_lead refuses a second now).
    with tenant_session(user.id, engine) as session:
        second = add_lead(session, user_id=user.id, name="Dana Duplicate", phone="+14155550111")
    with tenant_session(user.id, engine) as session:
        made = convert_lead_to_contact(session=session, user_id=user.id, lead_id=first.id)
    for _ in range(2):  # converting again changes nothing more
        with tenant_session(user.id, engine) as session:
            linked = convert_lead_to_contact(session=session, user_id=user.id, lead_id=second.id)
    with tenant_session(user.id, engine) as session:
        converted = converted_contact_id(session=session, user_id=user.id, lead_id=second.id)
        timeline = list_timeline(session=session, user_id=user.id, lead_id=second.id)
        assert list_contacts(session=session, user_id=user.id).total == 1
    assert (linked.contact.id, linked.created) == (made.contact.id, False)
    assert converted == made.contact.id
    assert [row.kind for row in timeline].count("converted") == 1
    with tenant_session(user.id, engine) as session:  # the contact goes: neither lead is converted
        assert delete_contact(session=session, user_id=user.id, contact_id=made.contact.id)
    with tenant_session(user.id, engine) as session:
        for lead in (first, second):
            assert converted_contact_id(session=session, user_id=user.id, lead_id=lead.id) is None


def test_converting_a_missing_lead_returns_none_and_creates_nothing(engine, user) -> None:
    with tenant_session(user.id, engine) as session:
        assert (
            convert_lead_to_contact(session=session, user_id=user.id, lead_id=uuid.uuid4()) is None
        )
        assert list_contacts(session=session, user_id=user.id).total == 0


@pytest.mark.parametrize(
    ("status", "after", "changes"),
    [
        ("new", "won", ["new → won"]),
        ("qualified", "won", ["qualified → won"]),
        ("won", "won", []),
        ("lost", "lost", []),  # kept as a contact, still a lost deal
    ],
)
def test_converting_an_open_lead_wins_it(engine, user, status, after, changes) -> None:
    lead = _lead(engine, user, name="Wynn", phone="+14155550177", status=status)
    with tenant_session(user.id, engine) as session:
        conversion = convert_lead_to_contact(session=session, user_id=user.id, lead_id=lead.id)
    assert conversion is not None and conversion.won is (status != after)
    with tenant_session(user.id, engine) as session:
        assert get_lead(session=session, user_id=user.id, lead_id=lead.id).status == after
        timeline = list_timeline(session=session, user_id=user.id, lead_id=lead.id)
    assert [row.body for row in timeline if row.kind == "status_change"] == changes


def test_the_contacts_timeline_has_the_leads_whole_pipeline_won_included(engine, user) -> None:
    lead = _lead(engine, user, name="Wynn", phone="+14155550177")
    with tenant_session(user.id, engine) as session:
        change_lead_status(session=session, user_id=user.id, lead_id=lead.id, status="qualified")
    with tenant_session(user.id, engine) as session:
        contact = convert_lead_to_contact(session=session, user_id=user.id, lead_id=lead.id).contact
    with tenant_session(user.id, engine) as session:
        timeline = list_timeline(session=session, user_id=user.id, contact_id=contact.id)
    assert sorted(row.body for row in timeline if row.kind == "status_change") == [
        "new → qualified",
        "qualified → won",
    ]


def test_a_conversion_racing_another_writer_for_a_number_fails_whole(
    engine, user, monkeypatch
) -> None:
    import crm_app.services.contacts as contacts_service
    from crm_app.services.errors import DuplicateContact

    with tenant_session(user.id, engine) as session:
        ana = create_contact(
            session=session, user_id=user.id, contact_in=ContactCreate(email="ana@example.com")
        )
        create_contact(
            session=session, user_id=user.id, contact_in=ContactCreate(phone="+14155550177")
        )
    lead = _lead(engine, user, name="Ana", phone="+14155550177", email="ana@example.com")
    # As if the number's contact was saved between the check and the write: the unique
    # constraint refuses it, and the unit of work cannot go on, so nothing is half done.
    monkeypatch.setattr(contacts_service, "_check_duplicates", lambda *args, **kwargs: None)
    with (
        pytest.raises(DuplicateContact) as raised,
        tenant_session(user.id, engine) as session,
    ):
        convert_lead_to_contact(session=session, user_id=user.id, lead_id=lead.id)
    assert raised.value.raced
    with tenant_session(user.id, engine) as session:
        assert get_lead(session=session, user_id=user.id, lead_id=lead.id).status == "new"
        assert converted_contact_id(session=session, user_id=user.id, lead_id=lead.id) is None
        contacts = {c.id: c.phone for c in list_contacts(session=session, user_id=user.id).items}
    assert contacts[ana.id] is None
