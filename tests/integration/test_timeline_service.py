"""A lead's or contact's timeline on both databases: merged newest first, notes, status changes."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from crm_app.core.db import tenant_session
from crm_app.models import LeadCreate, LeadUpdate, User
from crm_app.services.errors import InvalidInput
from crm_app.services.leads import create_lead, update_lead
from crm_app.services.timeline import (
    EDITED,
    NOTE_CHANGED,
    add_note,
    delete_note,
    edit_note,
    list_timeline,
    note_version,
    record_activity,
)
from tests.factories import add_activity, add_automation_log, add_call_log, add_contact, add_lead

T0 = datetime(2026, 4, 1, 9, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)


@pytest.fixture
def user(make_user: Callable[..., User]) -> User:
    return make_user()


def _timeline(engine, user: User, **person: object):
    with tenant_session(user.id, engine) as session:
        return list_timeline(session=session, user_id=user.id, **person)


def test_timeline_merges_calls_sms_runs_status_changes_and_notes_newest_first(engine, user) -> None:
    with tenant_session(user.id, engine) as session:
        lead = add_lead(session, user_id=user.id, name="Ana")
        other = add_lead(session, user_id=user.id, name="Not Ana")
        add_call_log(
            session,
            user_id=user.id,
            lead_id=lead.id,
            summary="Asked for a quote",
            status="ended",
            duration_seconds=95,
            started_at=T0,
            created_at=T0 + 5 * MINUTE,  # the call's start, not its logging, places it
        )
        add_activity(
            session,
            user_id=user.id,
            lead_id=lead.id,
            kind="sms_in",
            body="Hi!",
            occurred_at=T0 + MINUTE,
        )
        add_automation_log(
            session,
            user_id=user.id,
            lead_id=lead.id,
            scenario_name="Send quote",
            status="error",
            error="Mailbox full",
            duration_ms=1500,
            created_at=T0 + 2 * MINUTE,
        )
        add_activity(
            session,
            user_id=user.id,
            lead_id=lead.id,
            kind="status_change",
            body="new → contacted",
            occurred_at=T0 + 3 * MINUTE,
        )
        add_activity(
            session,
            user_id=user.id,
            lead_id=lead.id,
            body="Likes blue",
            occurred_at=T0 + 4 * MINUTE,
        )
        add_call_log(session, user_id=user.id, lead_id=other.id, started_at=T0 + 6 * MINUTE)
    entries = _timeline(engine, user, lead_id=lead.id)
    assert [(e.kind, e.label, e.body, e.status, e.number) for e in entries] == [
        ("note", "", "Likes blue", "", None),
        ("status_change", "", "new → contacted", "", None),
        ("automation", "Send quote", "Mailbox full", "error", 1500),
        ("sms_in", "", "Hi!", "", None),
        ("call", "vapi", "Asked for a quote", "ended", 95),
    ]
    assert entries[-1].occurred_at == T0
    assert all(entry.occurred_at.tzinfo is not None for entry in entries)


def test_a_contacts_timeline_shows_what_is_linked_to_the_contact(engine, user) -> None:
    with tenant_session(user.id, engine) as session:
        contact = add_contact(session, user_id=user.id)
        call = add_call_log(session, user_id=user.id, contact_id=contact.id, started_at=T0)
        add_activity(
            session, user_id=user.id, contact_id=contact.id, kind="sms_out", occurred_at=T0 + MINUTE
        )
    entries = _timeline(engine, user, contact_id=contact.id)
    assert [(e.kind, e.id) for e in entries][1] == ("call", call.id)
    assert entries[0].kind == "sms_out"


def test_a_timelines_call_says_which_way_it_went_and_why_it_ended(engine, user) -> None:
    with tenant_session(user.id, engine) as session:
        lead = add_lead(session, user_id=user.id)
        add_call_log(
            session,
            user_id=user.id,
            lead_id=lead.id,
            direction="outbound",
            ended_reason="customer-did-not-answer",
            started_at=T0,
        )
        add_activity(session, user_id=user.id, lead_id=lead.id, occurred_at=T0 + MINUTE)
    note, call = _timeline(engine, user, lead_id=lead.id)
    assert (call.direction, call.ended_reason) == ("outbound", "customer-did-not-answer")
    assert (note.direction, note.ended_reason) == ("", "")


def test_timeline_is_limited_to_the_newest_entries(engine, user) -> None:
    with tenant_session(user.id, engine) as session:
        lead = add_lead(session, user_id=user.id)
        for n in range(6):
            add_activity(
                session, user_id=user.id, lead_id=lead.id, body=f"n{n}", occurred_at=T0 + n * MINUTE
            )
            add_call_log(
                session,
                user_id=user.id,
                lead_id=lead.id,
                summary=f"c{n}",
                started_at=T0 + n * MINUTE + MINUTE / 2,
            )
    entries = _timeline(engine, user, lead_id=lead.id, limit=4)
    assert [e.body for e in entries] == ["c5", "n5", "c4", "n4"]


def test_timeline_needs_exactly_one_person(engine, user) -> None:
    for person in ({}, {"lead_id": uuid.uuid4(), "contact_id": uuid.uuid4()}):
        with pytest.raises(InvalidInput):
            _timeline(engine, user, **person)


def test_timeline_of_an_unknown_lead_is_empty(engine, user) -> None:
    assert _timeline(engine, user, lead_id=uuid.uuid4()) == []


# --- notes


def test_add_note_puts_a_trimmed_note_on_the_timeline(engine, user) -> None:
    with tenant_session(user.id, engine) as session:
        lead = add_lead(session, user_id=user.id)
        note = add_note(session=session, user_id=user.id, lead_id=lead.id, body="  Call Monday  ")
    assert (note.kind, note.body, note.lead_id) == ("note", "Call Monday", lead.id)
    assert [e.body for e in _timeline(engine, user, lead_id=lead.id)] == ["Call Monday"]


@pytest.mark.parametrize(("body", "field"), [("   ", "body"), ("x" * 10_001, "body")])
def test_add_note_refuses_a_blank_or_oversized_note_and_stores_nothing(
    engine, user, body, field
) -> None:
    with tenant_session(user.id, engine) as session:
        lead = add_lead(session, user_id=user.id)
    with pytest.raises(InvalidInput) as raised, tenant_session(user.id, engine) as session:
        add_note(session=session, user_id=user.id, lead_id=lead.id, body=body)
    assert set(raised.value.errors) == {field}
    assert _timeline(engine, user, lead_id=lead.id) == []


def test_add_note_to_a_missing_lead_or_contact_returns_none(engine, user) -> None:
    with tenant_session(user.id, engine) as session:
        assert add_note(session=session, user_id=user.id, lead_id=uuid.uuid4(), body="x") is None
        assert add_note(session=session, user_id=user.id, contact_id=uuid.uuid4(), body="x") is None


def test_an_edited_note_has_the_new_text_and_keeps_its_place(engine, user) -> None:
    with tenant_session(user.id, engine) as session:
        lead = add_lead(session, user_id=user.id)
        first = add_activity(session, user_id=user.id, lead_id=lead.id, occurred_at=T0, body="a")
        add_activity(session, user_id=user.id, lead_id=lead.id, occurred_at=T0 + MINUTE, body="b")
    with tenant_session(user.id, engine) as session:
        edited = edit_note(
            session=session, user_id=user.id, note_id=first.id, lead_id=lead.id, body=" a, fixed "
        )
    assert edited is not None and edited.body == "a, fixed"
    entries = _timeline(engine, user, lead_id=lead.id)
    assert [(e.body, e.occurred_at) for e in entries] == [("b", T0 + MINUTE), ("a, fixed", T0)]
    # Marked as edited; the other, and a save of the same text, are not.
    with tenant_session(user.id, engine) as session:
        second = entries[0].id
        edit_note(session=session, user_id=user.id, note_id=second, lead_id=lead.id, body=" b ")
    entries = _timeline(engine, user, lead_id=lead.id)
    assert [(e.body, e.status) for e in entries] == [("b", ""), ("a, fixed", EDITED)]


@pytest.mark.parametrize(("body", "error"), [("  ", "delete the note"), ("x" * 10_001, "10000")])
def test_an_edit_to_blank_or_oversized_text_is_refused_and_changes_nothing(
    engine, user, body, error
) -> None:
    with tenant_session(user.id, engine) as session:
        lead = add_lead(session, user_id=user.id)
        note = add_activity(session, user_id=user.id, lead_id=lead.id, body="kept")
    with pytest.raises(InvalidInput) as raised, tenant_session(user.id, engine) as session:
        edit_note(session=session, user_id=user.id, note_id=note.id, lead_id=lead.id, body=body)
    assert error in raised.value.errors["body"]
    assert [e.body for e in _timeline(engine, user, lead_id=lead.id)] == ["kept"]


def test_an_edit_of_text_changed_meanwhile_is_refused_and_a_second_one_replaces_it(
    engine, user
) -> None:
    with tenant_session(user.id, engine) as session:
        lead = add_lead(session, user_id=user.id)
        note = add_activity(session, user_id=user.id, lead_id=lead.id, body="first")
    shown = note_version("first")
    with tenant_session(user.id, engine) as session:  # another tab saves first
        edit_note(
            session=session,
            user_id=user.id,
            note_id=note.id,
            lead_id=lead.id,
            body="theirs",
            replaces=shown,
        )
    with pytest.raises(InvalidInput) as raised, tenant_session(user.id, engine) as session:
        edit_note(
            session=session,
            user_id=user.id,
            note_id=note.id,
            lead_id=lead.id,
            body="mine",
            replaces=shown,
        )
    assert raised.value.errors == {"body": NOTE_CHANGED}
    assert [e.body for e in _timeline(engine, user, lead_id=lead.id)] == ["theirs"]
    with tenant_session(user.id, engine) as session:  # shown "theirs" now: Save again
        edit_note(
            session=session,
            user_id=user.id,
            note_id=note.id,
            lead_id=lead.id,
            body="mine",
            replaces=note_version("theirs"),
        )
    assert [e.body for e in _timeline(engine, user, lead_id=lead.id)] == ["mine"]


@pytest.mark.parametrize("kind", ["sms_in", "sms_out", "status_change", "converted"])
def test_what_the_timeline_records_is_no_note_to_edit_or_delete(engine, user, kind) -> None:
    with tenant_session(user.id, engine) as session:
        lead = add_lead(session, user_id=user.id)
        entry = add_activity(session, user_id=user.id, lead_id=lead.id, kind=kind, body="x")
    with tenant_session(user.id, engine) as session:
        edited = edit_note(
            session=session, user_id=user.id, note_id=entry.id, lead_id=lead.id, body="y"
        )
        deleted = delete_note(session=session, user_id=user.id, note_id=entry.id, lead_id=lead.id)
    assert (edited, deleted) == (None, False)
    assert [(e.kind, e.body) for e in _timeline(engine, user, lead_id=lead.id)] == [(kind, "x")]


def test_only_a_note_on_this_person_can_be_edited_or_deleted(engine, user) -> None:
    with tenant_session(user.id, engine) as session:
        lead = add_lead(session, user_id=user.id)
        other = add_lead(session, user_id=user.id)
        contact = add_contact(session, user_id=user.id)
        sms = add_activity(session, user_id=user.id, lead_id=lead.id, kind="sms_in", body="hi")
        note = add_activity(session, user_id=user.id, lead_id=lead.id, contact_id=contact.id)
    with tenant_session(user.id, engine) as session:
        # An SMS is a record of what was sent, not a note; another lead's page is not this one.
        assert (
            edit_note(session=session, user_id=user.id, note_id=sms.id, lead_id=lead.id, body="x")
            is None
        )
        assert not delete_note(session=session, user_id=user.id, note_id=sms.id, lead_id=lead.id)
        assert (
            edit_note(session=session, user_id=user.id, note_id=note.id, lead_id=other.id, body="x")
            is None
        )
        assert not delete_note(session=session, user_id=user.id, note_id=note.id, lead_id=other.id)
        assert (
            edit_note(
                session=session, user_id=user.id, note_id=uuid.uuid4(), lead_id=lead.id, body="x"
            )
            is None
        )
    entries = _timeline(engine, user, lead_id=lead.id)
    assert sorted(e.body for e in entries) == ["A note", "hi"]
    # The contact it became shares the note: from the contact's page it can be changed too.
    with tenant_session(user.id, engine) as session:
        assert (
            edit_note(
                session=session, user_id=user.id, note_id=note.id, contact_id=contact.id, body="c"
            )
            is not None
        )


def test_a_deleted_note_leaves_the_timeline_and_a_second_delete_finds_nothing(engine, user) -> None:
    with tenant_session(user.id, engine) as session:
        lead = add_lead(session, user_id=user.id)
        note = add_activity(session, user_id=user.id, lead_id=lead.id)
        add_activity(session, user_id=user.id, lead_id=lead.id, body="kept")
    with tenant_session(user.id, engine) as session:
        assert delete_note(session=session, user_id=user.id, note_id=note.id, lead_id=lead.id)
    with tenant_session(user.id, engine) as session:
        assert not delete_note(session=session, user_id=user.id, note_id=note.id, lead_id=lead.id)
        assert (
            edit_note(
                session=session, user_id=user.id, note_id=note.id, lead_id=lead.id, body="back?"
            )
            is None
        )
    assert [e.body for e in _timeline(engine, user, lead_id=lead.id)] == ["kept"]


def test_record_activity_needs_a_person(engine, user) -> None:
    with pytest.raises(InvalidInput), tenant_session(user.id, engine) as session:
        record_activity(session=session, user_id=user.id, kind="note", body="x")


# --- status changes


def test_changing_a_leads_status_records_it_on_the_timeline_once(engine, user) -> None:
    with tenant_session(user.id, engine) as session:
        lead = create_lead(session=session, user_id=user.id, lead_in=LeadCreate(name="Ana"))
    for change in (
        LeadUpdate(status="qualified"),
        LeadUpdate(name="Ana B"),
        LeadUpdate(status="Qualified"),
    ):
        with tenant_session(user.id, engine) as session:
            update_lead(session=session, user_id=user.id, lead_id=lead.id, lead_in=change)
    entries = _timeline(engine, user, lead_id=lead.id)
    assert [(e.kind, e.body) for e in entries] == [("status_change", "new → qualified")]


def test_a_refused_status_change_records_nothing(engine, user) -> None:
    with tenant_session(user.id, engine) as session:
        lead = create_lead(session=session, user_id=user.id, lead_in=LeadCreate(name="Ana"))
    with pytest.raises(InvalidInput), tenant_session(user.id, engine) as session:
        update_lead(
            session=session, user_id=user.id, lead_id=lead.id, lead_in=LeadUpdate(status="gone")
        )
    assert _timeline(engine, user, lead_id=lead.id) == []
