"""One number, one lead, when writers race for it on Postgres: the form, an import, a call.

Leads have no unique constraint on phone or email, so each writer looks
before it writes; a second writer looking while the first has not committed
found nothing and made a second lead. Each test holds the first writer's unit
of work open past the second writer's look.
"""

from __future__ import annotations

import contextlib
import threading
import time
import uuid
from collections.abc import Callable

import pytest
import sqlalchemy as sa
from sqlmodel import Session, select

from crm_app.core.db import tenant_session
from crm_app.models import CallLog, Contact, ContactCreate, Lead, LeadCreate, LeadUpdate
from crm_app.services import record_locks, webhook_vapi, webhook_vapi_tools
from crm_app.services.contacts import create_contact
from crm_app.services.csv_import import ImportResult, import_leads
from crm_app.services.csv_io import LEAD_FIELDS, parse_csv
from crm_app.services.errors import InvalidInput
from crm_app.services.leads import create_lead, update_lead
from crm_app.services.webhook_make import apply_make_event
from crm_app.services.webhook_records import person_for_number
from crm_app.services.webhook_vapi import apply_vapi_event
from tests.isolation.webhooks import _event
from tests.webhook_senders import vapi_end_of_call_report, vapi_status_update, vapi_tool_calls

PHONE = "+14155552671"
HELD_SECONDS = 0.5

pytestmark = [pytest.mark.postgres, pytest.mark.parametrize("engine", ["postgres"], indirect=True)]


class HeldWriter:
    """`write` in a unit of work of its own, committed HELD_SECONDS after it wrote."""

    def __init__(self, engine, user_id, write: Callable[[Session], object]) -> None:
        self.errors: list[BaseException] = []
        written = threading.Event()

        def run() -> None:
            try:
                with tenant_session(user_id, engine) as session:
                    write(session)
                    session.flush()
                    written.set()
                    time.sleep(HELD_SECONDS)
            except BaseException as error:  # reported by the test's thread
                self.errors.append(error)
                written.set()

        self.thread = threading.Thread(target=run)
        self.thread.start()
        assert written.wait(10)

    def done(self) -> None:
        self.thread.join(10)
        assert self.errors == []


def _create(session: Session, user_id, name: str, email: str | None = None) -> None:
    create_lead(
        session=session, user_id=user_id, lead_in=LeadCreate(name=name, phone=PHONE, email=email)
    )


def _import(session: Session, user_id, csv_text: str) -> ImportResult:
    """One batch of a CSV file imported as the user's leads, as the import page does."""
    parsed = parse_csv(csv_text.encode(), fields=LEAD_FIELDS)
    return import_leads(
        session=session,
        user_id=user_id,
        headers=parsed.headers,
        records=parsed.records,
        mapping=parsed.mapping,
    )


def _leads(engine, user_id) -> list[str]:
    with tenant_session(user_id, engine) as session:
        return sorted(lead.name for lead in session.exec(select(Lead)).all())


def _make_upsert(session: Session, user_id: uuid.UUID, kind: str, note: str, **data: str) -> object:
    """A Make.com {kind}.upsert of PHONE with a note, applied in this unit of work."""
    payload = {"data": {"phone": PHONE, "notes": note, **data}}
    event = _event("make", f"{kind}-{note}", f"{kind}.upsert", payload)
    return apply_make_event(session=session, user_id=user_id, event=event)


def test_two_forms_saving_one_number_at_once_make_one_lead(engine, make_user) -> None:
    user = make_user()
    first = HeldWriter(engine, user.id, lambda s: _create(s, user.id, "First"))
    with (
        pytest.raises(InvalidInput, match="the lead First already has this phone number"),
        tenant_session(user.id, engine) as session,
    ):
        _create(session, user.id, "Second")
    first.done()
    assert _leads(engine, user.id) == ["First"]


def test_a_call_during_an_import_of_its_number_finds_the_imported_lead(engine, make_user) -> None:
    user = make_user()
    importing = HeldWriter(
        engine, user.id, lambda s: _import(s, user.id, f"name,phone\nImported,{PHONE}\n")
    )
    with tenant_session(user.id, engine) as session:
        person, created = person_for_number(
            session=session, user_id=user.id, phone=PHONE, name="Caller", source="vapi"
        )
    importing.done()
    assert (person.name, created) == ("Imported", False)
    assert _leads(engine, user.id) == ["Imported"]


def test_an_import_during_a_call_from_its_number_skips_the_row(engine, make_user) -> None:
    user = make_user()
    calling = HeldWriter(
        engine,
        user.id,
        lambda s: person_for_number(
            session=s, user_id=user.id, phone=PHONE, name="Caller", source="vapi"
        ),
    )
    with tenant_session(user.id, engine) as session:
        result = _import(session, user.id, f"name,phone\nImported,{PHONE}\n")
    calling.done()
    assert (result.created, result.duplicates) == (0, 1)
    assert _leads(engine, user.id) == ["Caller"]


def test_an_edit_taking_an_email_a_new_lead_is_saving_is_refused(engine, make_user) -> None:
    user = make_user()
    with tenant_session(user.id, engine) as session:
        other = create_lead(
            session=session, user_id=user.id, lead_in=LeadCreate(name="Other", phone="+14155550100")
        )
    first = HeldWriter(
        engine, user.id, lambda s: _create(s, user.id, "First", email="ana@example.com")
    )
    with (
        pytest.raises(InvalidInput, match="already has this email"),
        tenant_session(user.id, engine) as session,
    ):
        update_lead(
            session=session,
            user_id=user.id,
            lead_id=other.id,
            lead_in=LeadUpdate(email="ana@example.com"),
        )
    first.done()


def test_an_import_batch_holds_a_bounded_number_of_locks(engine, make_user) -> None:
    # Postgres's lock table is shared: a lock per phone and email of 500 rows, times a few
    # imports at once, ran out of it ("out of shared memory").
    user = make_user()
    rows = "".join(f"Lead {n},+1415555{n:04d},lead{n}@example.com\n" for n in range(500))
    with tenant_session(user.id, engine) as session:
        result = _import(session, user.id, f"name,phone,email\n{rows}")
        held = session.exec(
            sa.text(
                "SELECT count(*) FROM pg_locks"
                " WHERE locktype = 'advisory' AND pid = pg_backend_pid()"
            )
        ).one()[0]
    assert result.created == 500
    assert 0 < held <= record_locks.BUCKETS


def test_two_tool_call_messages_naming_two_numbers_in_turn_do_not_deadlock(
    engine, make_user, monkeypatch
) -> None:
    # Each message makes two leads; between its first and its second the other message
    # makes its first. Locked one by one, each held one number and waited for the other.
    user = make_user()
    numbers = ("+14155550101", "+14155550102")
    # Both first leads made before either message goes on; a message kept waiting for
    # the other's commit never gets there, and the barrier gives up after 2 s.
    made_one = threading.Barrier(2, timeout=2)
    create = webhook_vapi_tools._create_lead

    def create_then_wait_for_the_other_message(session, user_id, arguments, caller):
        answer = create(session, user_id, arguments, caller)
        if arguments.get("first"):
            with contextlib.suppress(threading.BrokenBarrierError):
                made_one.wait()
        return answer

    monkeypatch.setattr(webhook_vapi_tools, "_create_lead", create_then_wait_for_the_other_message)
    errors: list[BaseException] = []

    def message(call_id: str, first: str, second: str) -> None:
        payload = vapi_tool_calls(
            call_id,
            ("t1", "create_lead", {"name": f"First {call_id}", "phone": first, "first": True}),
            ("t2", "create_lead", {"name": f"Second {call_id}", "phone": second}),
        )
        try:
            with tenant_session(user.id, engine) as session:
                apply_vapi_event(
                    session=session,
                    user_id=user.id,
                    event=_event("vapi", f"{call_id}:tool-calls", "tool-calls", payload),
                )
        except BaseException as error:  # reported by the test's thread
            errors.append(error)

    threads = [
        threading.Thread(target=message, args=("call-a", numbers[0], numbers[1])),
        threading.Thread(target=message, args=("call-b", numbers[1], numbers[0])),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    assert errors == []
    assert len(_leads(engine, user.id)) == 2  # one lead a number, whoever made it


def test_a_status_update_and_the_report_of_a_new_call_at_once_do_not_deadlock(
    engine, make_user, monkeypatch
) -> None:
    # Vapi sends the "ended" status update and the end-of-call report together. The update
    # logged the call (its row held) and then locked the number; the report locked the
    # number and then waited for the row: each waited for the other. Vapi does not send a
    # report again.
    user = make_user()
    claimed = threading.Event()
    claim = webhook_vapi.claim_call_log

    def claim_then_let_the_report_in(**arguments):
        found = claim(**arguments)
        claimed.set()
        time.sleep(HELD_SECONDS)
        return found

    monkeypatch.setattr(webhook_vapi, "claim_call_log", claim_then_let_the_report_in)
    update = vapi_status_update("call-together", "ended", number=PHONE)
    errors: list[BaseException] = []

    def status_update() -> None:
        try:
            with tenant_session(user.id, engine) as session:
                apply_vapi_event(
                    session=session,
                    user_id=user.id,
                    event=_event("vapi", "call-together:status-update", "status-update", update),
                )
        except BaseException as error:  # reported by the test's thread
            errors.append(error)
            claimed.set()

    updating = threading.Thread(target=status_update)
    updating.start()
    assert claimed.wait(10)
    report = vapi_end_of_call_report("call-together", number=PHONE, name="Ana")
    with tenant_session(user.id, engine) as session:
        apply_vapi_event(
            session=session,
            user_id=user.id,
            event=_event("vapi", "call-together:end-of-call-report", "end-of-call-report", report),
        )
    updating.join(10)
    assert errors == []
    with tenant_session(user.id, engine) as session:
        calls = session.exec(select(CallLog).where(CallLog.user_id == user.id)).all()
    assert [(call.external_call_id, call.status) for call in calls] == [("call-together", "ended")]
    assert _leads(engine, user.id) == ["Ana"]


@pytest.mark.parametrize("kind", ["lead", "contact"])
def test_two_make_upserts_of_one_record_at_once_keep_both_notes(engine, make_user, kind) -> None:
    # Each upsert adds its note below the record's notes as it read them: unlocked, the
    # second read the notes before the first committed and wrote its own over the first's.
    user = make_user()
    model, fields = (Lead, LeadCreate) if kind == "lead" else (Contact, ContactCreate)
    with tenant_session(user.id, engine) as session:
        create = create_lead if kind == "lead" else create_contact
        create(
            session=session,
            user_id=user.id,
            **{f"{kind}_in": fields(name="Ana", phone=PHONE, notes="gas heater, 50 gal")},
        )
    first = HeldWriter(
        engine, user.id, lambda session: _make_upsert(session, user.id, kind, "wants a plan")
    )
    with tenant_session(user.id, engine) as session:
        _make_upsert(session, user.id, kind, "call after 5")
    first.done()
    with tenant_session(user.id, engine) as session:
        (record,) = session.exec(select(model).where(model.user_id == user.id)).all()
    assert record.notes.splitlines()[0] == "gas heater, 50 gal"
    assert "wants a plan" in record.notes and "call after 5" in record.notes


def test_a_make_upsert_during_a_call_from_a_new_number_updates_the_calls_lead(
    engine, make_user
) -> None:
    # The upsert looked before the call's lead was committed, found nothing, and its
    # create was then refused ("already has this phone number"): the event failed.
    user = make_user()
    calling = HeldWriter(
        engine,
        user.id,
        lambda s: person_for_number(
            session=s, user_id=user.id, phone=PHONE, name="Caller", source="vapi"
        ),
    )
    payload = {"data": {"phone": PHONE, "status": "contacted", "notes": "wants a plan"}}
    event = _event("make", "lead-during-call", "lead.upsert", payload)
    with tenant_session(user.id, engine) as session:
        result = apply_make_event(session=session, user_id=user.id, event=event)
    calling.done()
    assert result["created"] == []
    with tenant_session(user.id, engine) as session:
        (lead,) = session.exec(select(Lead).where(Lead.user_id == user.id)).all()
    assert (lead.name, lead.status, lead.notes) == ("Caller", "contacted", "wants a plan")


def test_two_make_upserts_of_a_new_contact_at_once_make_one_contact(engine, make_user) -> None:
    user = make_user()
    first = HeldWriter(
        engine,
        user.id,
        lambda session: _make_upsert(session, user.id, "contact", "wants a plan", name="Ana"),
    )
    with tenant_session(user.id, engine) as session:
        _make_upsert(session, user.id, "contact", "call after 5", name="Ana")
    first.done()
    with tenant_session(user.id, engine) as session:
        (contact,) = session.exec(select(Contact).where(Contact.user_id == user.id)).all()
    assert contact.notes.split() == ["wants", "a", "plan", "call", "after", "5"]
