"""Make.com events applied to the CRM (the contract: docs/make-events.md).

- `lead.upsert`: the lead named by `data.id`, else the newest with the same
  phone, else with the same email, is updated; otherwise a lead is created.
- `contact.upsert`: the same for contacts (phone and email are unique per user).
- `automation.run`: the run of `execution_id` is recorded (status, error,
  duration), linked to the lead or contact the data names by id, phone or email.

Fields go through the lead and contact services, which normalise phone
numbers and emails; what they refuse makes the event fail with their message.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlmodel import Session, select

from crm_app.core.config import get_settings
from crm_app.models import (
    Contact,
    ContactCreate,
    ContactUpdate,
    Lead,
    LeadCreate,
    LeadStatus,
    LeadUpdate,
)
from crm_app.models.base import utcnow
from crm_app.services.contacts import create_contact, update_contact
from crm_app.services.errors import InvalidInput, normalize_email
from crm_app.services.leads import create_lead, update_lead
from crm_app.services.phones import normalize_phone
from crm_app.services.record_locks import lock_contact_details
from crm_app.services.webhook_fields import (
    bounded_int,
    identifier,
    optional_text,
    phone_number,
    text,
    timestamp,
)
from crm_app.services.webhook_records import (
    claim_automation_log,
    input_model,
    notes_added,
    notes_full,
)
from crm_app.services.webhook_types import IncomingEvent

LEAD_SOURCE = "make"
RUN_STATUSES = ("success", "error", "warning")
LEAD_FIELDS = {"name": 200, "phone": 60, "email": 320, "status": 20, "source": 50, "notes": 10_000}
CONTACT_FIELDS = {"name": 200, "phone": 60, "email": 320, "company": 200, "notes": 10_000}


def apply_make_event(
    *, session: Session, user_id: uuid.UUID, event: IncomingEvent
) -> dict[str, Any]:
    """Apply one Make.com event for the user; returns what it created or changed."""
    body = event.payload
    data = body.get("data") if isinstance(body.get("data"), dict) else {}
    if event.event_type == "lead.upsert":
        return _upsert_lead(session, user_id, data)
    if event.event_type == "contact.upsert":
        return _upsert_contact(session, user_id, data)
    if event.event_type == "automation.run":
        return _automation_run(session, user_id, body, data)
    return {"ignored": True}


def _given(value: Any) -> bool:
    """Whether a field has a value: null, "", blanks and what is no text at all ([], {},
    false) are as good as absent.

    A Make scenario maps its data into a body template, where a variable that
    is empty in this run is written as "" (Make's own modules ignore an empty
    value, too): taking it for "erase" would wipe a lead's name or email on
    every run that lacked it.
    """
    return bool(text(value, 1))


def _fields(data: dict[str, Any], limits: dict[str, int]) -> dict[str, Any]:
    """The given fields as text; absent, null and blank ones are left out (and left unchanged).

    A phone number is normalised here (InvalidInput if it is not one), since
    the input models would refuse a long but valid way of writing it.
    """
    fields = {name: text(data.get(name), limit) for name, limit in limits.items()}
    fields = {name: value for name, value in fields.items() if value}
    if fields.get("phone"):
        fields["phone"] = normalize_phone(fields["phone"], get_settings().default_phone_region)
    return fields


def _uuid(value: Any) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value)) if isinstance(value, str) else None
    except ValueError:
        return None


def _email(value: Any) -> str | None:
    try:
        return normalize_email(optional_text(value, 320))
    except ValueError:
        return None


def _find(
    session: Session,
    user_id: uuid.UUID,
    model: Any,
    data: dict[str, Any],
    id_key: str = "id",
    *,
    locked: bool = False,
) -> Any:
    """The user's row named by id, else the newest with the data's phone, else its email.

    `locked` holds it until the unit of work ends: an upsert builds the notes it writes from
    the ones it read, and a concurrent upsert's note would otherwise be written over. It
    also holds the phone and email first (record_locks), as every writer that creates a
    record with them does: a lead a call is making for the number this moment is then
    found and updated, where it was not seen, and creating a second was refused.
    """
    conditions = []
    row_id = _uuid(data.get(id_key))
    if row_id is not None:
        conditions.append(model.id == row_id)
    phone = phone_number(data.get("phone"))
    if phone is not None:
        conditions.append(model.phone == phone)
    email = _email(data.get("email"))
    if email is not None:
        conditions.append(model.email == email)
    if locked:
        lock_contact_details(session=session, user_id=user_id, values=[phone, email])
    for condition in conditions:
        statement = (
            select(model)
            .where(model.user_id == user_id, condition)
            .order_by(model.created_at.desc(), model.id.desc())
            .limit(1)
        )
        row = session.exec(statement.with_for_update() if locked else statement).first()
        if row is not None:
            return row
    return None


def _refuse_unknown_id(data: dict[str, Any], kind: str) -> None:
    """An upsert naming a record by an id that is none of the user's is a mistake to report.

    Creating a record from the rest of its data would make a second one (or
    fail for want of a name, saying nothing of the id).
    """
    given = data.get("id")
    if not _given(given):
        return  # no id (a scenario maps an empty lookup result as ""): match or create
    if _uuid(given) is None:
        raise InvalidInput({"data.id": f"not a {kind} id (send the id the CRM gave the {kind})"})
    raise InvalidInput(
        {"data.id": f"no {kind} has this id (deleted?); leave it out to match by phone or email"}
    )


def _refuse_no_known_field(data: dict[str, Any], known: dict[str, int]) -> None:
    """An upsert whose data has none of the fields it reads: say which it had instead."""
    if _given(data.get("id")) or any(_given(data.get(name)) for name in known):
        return
    sent = ", ".join(text(name, 40) for name in list(data)[:12]) or "none"
    expected = ", ".join(["id", *known])
    raise InvalidInput(
        {"data": f"no field this event reads has a value ({expected}); it had: {sent}"}
    )


def _kept_history(record: Any, fields: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """What an upsert changes on a record it found, and what it says about its notes: the
    fields given, but notes added below the record's own (webhook_records.notes_added), not
    put in their place.

    A scenario sends what a form or a tool said this time ("wants a maintenance
    plan"); what the owner wrote down before ("gas heater, 50 gal") is history
    that no other record keeps.
    """
    changes = dict(fields)
    given = changes.pop("notes", "")
    added = notes_added(record.notes, given)
    if added is not None:
        changes["notes"] = added
    full = bool(given) and added is None and notes_full(record.notes, given)
    return changes, ({"notes": "not added: the notes are full"} if full else {})


def _upsert_lead(session: Session, user_id: uuid.UUID, data: dict[str, Any]) -> dict[str, Any]:
    _refuse_no_known_field(data, LEAD_FIELDS)
    fields = _fields(data, LEAD_FIELDS)
    lead = _find(session, user_id, Lead, data, locked=True)
    if lead is None:
        _refuse_unknown_id(data, "lead")
    if lead is not None:
        changes, said = _kept_history(lead, fields)
        if lead.source:  # where the lead first came from, which its figures count it under
            changes.pop("source", None)
        if str(changes.get("status", "")).strip().lower() == LeadStatus.NEW:
            changes.pop("status")  # a form's default, not a step back for a lead worked on
        update_lead(
            session=session,
            user_id=user_id,
            lead_id=lead.id,
            lead_in=input_model(LeadUpdate, changes),
        )
        return {"lead_id": str(lead.id), "created": [], **said}
    fields["source"] = fields.get("source") or LEAD_SOURCE
    lead = create_lead(session=session, user_id=user_id, lead_in=input_model(LeadCreate, fields))
    return {"lead_id": str(lead.id), "created": ["lead"]}


def _upsert_contact(session: Session, user_id: uuid.UUID, data: dict[str, Any]) -> dict[str, Any]:
    _refuse_no_known_field(data, CONTACT_FIELDS)
    fields = _fields(data, CONTACT_FIELDS)
    contact = _find(session, user_id, Contact, data, locked=True)
    if contact is None:
        _refuse_unknown_id(data, "contact")
    if contact is not None:
        changes, said = _kept_history(contact, fields)
        update_contact(
            session=session,
            user_id=user_id,
            contact_id=contact.id,
            contact_in=input_model(ContactUpdate, changes),
        )
        return {"contact_id": str(contact.id), "created": [], **said}
    contact = create_contact(
        session=session, user_id=user_id, contact_in=input_model(ContactCreate, fields)
    )
    return {"contact_id": str(contact.id), "created": ["contact"]}


UNREAD_TIME = (
    "send a time from 1970 on, in ISO 8601 with its zone (2026-12-06T09:00:00Z), "
    "RFC 2822 or epoch seconds"
)


def _automation_run(
    session: Session, user_id: uuid.UUID, body: dict[str, Any], data: dict[str, Any]
) -> dict[str, Any]:
    execution_id = identifier(body.get("execution_id"), 100)
    if execution_id is None:
        raise InvalidInput({"execution_id": "missing"})
    status = (text(data.get("status"), 20) or "success").lower()
    if status not in RUN_STATUSES:
        raise InvalidInput({"data.status": f"one of {', '.join(RUN_STATUSES)}"})
    run, created = claim_automation_log(session=session, user_id=user_id, execution_id=execution_id)
    run.scenario_id = identifier(body.get("scenario_id"), 100) or run.scenario_id
    run.scenario_name = text(data.get("scenario_name"), 200) or run.scenario_name
    run.status = status
    run.error = optional_text(data.get("error"), 10_000)
    times = {name: timestamp(data.get(name)) for name in ("started_at", "finished_at")}
    run.started_at = times["started_at"] or run.started_at
    run.finished_at = times["finished_at"] or timestamp(body.get("occurred_at")) or run.finished_at
    # Given, else from the times, else what an earlier delivery of this run said.
    duration = bounded_int(data.get("duration_ms"))
    started, finished = run.started_at, run.finished_at
    if duration is None and started and finished and finished >= started:
        duration = bounded_int(int((finished - started).total_seconds() * 1000))
    run.duration_ms = duration if duration is not None else run.duration_ms
    _link_run(session, user_id, run, data)
    run.updated_at = utcnow()
    session.add(run)
    session.flush()
    result: dict[str, Any] = {"automation_log_id": str(run.id)}
    result["created"] = ["automation_log"] if created else []
    # A time given in a form this does not read ("06/12/2026 09:00": which day?) is left
    # out, and the audit row says so rather than the run quietly showing no time.
    for name, moment in times.items():
        if moment is None and data.get(name) not in (None, ""):
            result[name] = f"not read: {UNREAD_TIME}"
    for key in ("lead_id", "contact_id"):
        if getattr(run, key):
            result[key] = str(getattr(run, key))
    return result


def _link_run(session: Session, user_id: uuid.UUID, run: Any, data: dict[str, Any]) -> None:
    """Link the run to the user's lead or contact the data names (by id, phone or email)."""
    contact = None
    if data.get("contact_id") is not None or data.get("lead_id") is None:
        contact = _find(session, user_id, Contact, data, id_key="contact_id")
    if contact is not None:
        run.contact_id, run.lead_id = contact.id, None
        return
    lead = _find(session, user_id, Lead, data, id_key="lead_id")
    if lead is not None:
        run.lead_id, run.contact_id = lead.id, None
