"""What webhooks write into the CRM: people found by number, and rows claimed once per key.

Providers deliver concurrently and twice. Rows keyed by a provider's id (a
call, an automation run) are claimed with INSERT ... ON CONFLICT DO NOTHING
and then locked, so two deliveries racing for one call both end up updating
the same row instead of one of them failing on the unique constraint.
"""

from __future__ import annotations

import functools
import uuid
from dataclasses import dataclass
from typing import Any, TypeVar

import pydantic
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, SQLModel, select

from crm_app.core.prebuilt import run_prebuilt
from crm_app.models import AutomationLog, CallLog, Contact, Lead, LeadCreate, LeadUpdate
from crm_app.models.base import utcnow
from crm_app.services.errors import InvalidInput
from crm_app.services.leads import create_lead, update_lead
from crm_app.services.record_locks import lock_contact_details, lock_keys

Row = TypeVar("Row", bound=SQLModel)
Model = TypeVar("Model", bound=SQLModel)


def input_model(model: type[Model], fields: dict[str, Any]) -> Model:
    """LeadCreate, ContactUpdate... from a payload's fields; InvalidInput naming what is wrong.

    The input models check lengths themselves: without this, a too-long field
    would surface as pydantic's ValidationError instead of the services' error.
    """
    try:
        return model(**fields)
    except pydantic.ValidationError as error:
        problems = {
            ".".join(str(part) for part in item["loc"]) or "data": item["msg"]
            for item in error.errors()
        }
        raise InvalidInput(problems) from None


@dataclass(frozen=True)
class Person:
    """A lead or a contact, as a webhook links to it."""

    kind: str  # "lead" | "contact"
    id: uuid.UUID
    name: str
    status: str  # the lead's pipeline status; "customer" for a contact

    @property
    def links(self) -> dict[str, uuid.UUID]:
        """The foreign-key columns pointing at this person."""
        return {"lead_id": self.id} if self.kind == "lead" else {"contact_id": self.id}

    def link(self, row: Any) -> None:
        """Point a call log or automation log at this person (and only at this person)."""
        row.lead_id = self.id if self.kind == "lead" else None
        row.contact_id = self.id if self.kind == "contact" else None


@functools.cache
def _insert_ignoring(table: sa.Table, conflict_columns: tuple[str, ...], dialect: str) -> Any:
    module = postgresql if dialect == "postgresql" else sqlite
    return (
        module.insert(table)
        .on_conflict_do_nothing(index_elements=list(conflict_columns))
        # RETURNING rather than rowcount, which drivers need not report for an INSERT.
        .returning(table.c.id)
    )


def insert_ignoring_conflict(
    session: Session, table: sa.Table, values: dict[str, Any], conflict_columns: list[str]
) -> bool:
    """INSERT ... ON CONFLICT (columns) DO NOTHING; True when the row was inserted."""
    dialect = session.get_bind().dialect.name
    statement = _insert_ignoring(table, tuple(conflict_columns), dialect)
    return run_prebuilt(session, statement, values).first() is not None


def _claim(
    session: Session, model: type[Row], user_id: uuid.UUID, keys: dict[str, Any]
) -> tuple[Row, bool]:
    """The user's row with these unique keys, locked for this unit of work; (row, created)."""
    conditions = [model.user_id == user_id]  # type: ignore[attr-defined]
    conditions += [getattr(model, name) == value for name, value in keys.items()]
    statement = select(model).where(*conditions).with_for_update()
    row = session.exec(statement).first()
    if row is not None:
        return row, False
    # Built as a model first so that every column gets its default.
    fresh = model(user_id=user_id, **keys)
    table = model.__table__  # type: ignore[attr-defined]
    # Generated columns (search_text) are the database's to fill.
    values = {
        column.name: getattr(fresh, column.key)
        for column in table.columns
        if column.computed is None
    }
    created = insert_ignoring_conflict(session, table, values, ["user_id", *keys])
    row = session.exec(statement.execution_options(populate_existing=True)).one()
    return row, created


def claim_call_log(
    *, session: Session, user_id: uuid.UUID, provider: str, external_call_id: str
) -> tuple[CallLog, bool]:
    """The user's call log for a provider's call id, created if new; (row, created)."""
    keys = {"provider": provider, "external_call_id": external_call_id}
    return _claim(session, CallLog, user_id, keys)


_CALL_TABLE = CallLog.__table__  # type: ignore[attr-defined]


def join_carrier_call(
    *,
    session: Session,
    user_id: uuid.UUID,
    carrier: str,
    carrier_call_id: str,
    provider: str,
    external_call_id: str,
) -> None:
    """Before a provider's message about a call is applied: one phone call, one row.

    A Vapi call over a Twilio number: when Twilio's status callbacks logged it
    (provider twilio, its CallSid), that row becomes the provider's, links and
    all; when the provider had logged the call already (its first message did
    not name the CallSid), the carrier's row is a second copy and goes.
    Serialised with call_through_carrier for the same call (on Postgres), so
    a callback and a message arriving together cannot each log it.
    """
    _lock_carrier_call(session, user_id, carrier, carrier_call_id)
    calls = _CALL_TABLE.c
    carriers_row = sa.and_(
        calls.user_id == user_id,
        calls.provider == carrier,
        calls.external_call_id == carrier_call_id,
    )
    already_logged = (
        sa.select(calls.id)
        .where(
            calls.user_id == user_id,
            calls.provider == provider,
            calls.external_call_id == external_call_id,
        )
        .exists()
    )
    adopted = session.exec(  # type: ignore[call-overload]
        sa.update(_CALL_TABLE)
        .where(carriers_row, ~already_logged)
        .values(
            provider=provider,
            external_call_id=external_call_id,
            carrier_call_id=carrier_call_id,
            updated_at=utcnow(),
        )
        .returning(calls.id)
    ).first()
    if adopted is None:
        session.exec(sa.delete(_CALL_TABLE).where(carriers_row, already_logged))  # type: ignore[call-overload]


def call_through_carrier(
    *, session: Session, user_id: uuid.UUID, carrier: str, carrier_call_id: str
) -> CallLog | None:
    """The user's call (Vapi's) that went through the carrier's call with this id, or None.

    Takes the call's lock (see join_carrier_call) for the rest of the unit of work.
    """
    _lock_carrier_call(session, user_id, carrier, carrier_call_id)
    return session.exec(
        select(CallLog)
        .where(CallLog.user_id == user_id, CallLog.carrier_call_id == carrier_call_id)
        .limit(1)
    ).first()


def _lock_carrier_call(
    session: Session, user_id: uuid.UUID, carrier: str, carrier_call_id: str
) -> None:
    """Hold the carrier's call for this user until the unit of work ends."""
    lock_keys(session, [f"{user_id}:{carrier}:{carrier_call_id}"])


def claim_automation_log(
    *, session: Session, user_id: uuid.UUID, execution_id: str
) -> tuple[AutomationLog, bool]:
    """The user's automation log for a Make.com execution id, created if new; (row, created)."""
    return _claim(session, AutomationLog, user_id, {"execution_id": execution_id})


def _person_by_phone_query() -> sa.Select:
    """The user's contact with a number, else their newest lead with it: one round trip."""
    user_id, phone = sa.bindparam("user_id", type_=sa.Uuid), sa.bindparam("phone")
    contact = (
        sa.select(
            sa.literal_column("0").label("rank"),
            sa.literal_column("'contact'").label("kind"),
            Contact.id,
            Contact.name,
            sa.literal_column("'customer'").label("status"),
        )
        .where(Contact.user_id == user_id, Contact.phone == phone)
        .limit(1)
        .subquery()
    )
    lead = (
        sa.select(
            sa.literal_column("1").label("rank"),
            sa.literal_column("'lead'").label("kind"),
            Lead.id,
            Lead.name,
            Lead.status,
        )
        .where(Lead.user_id == user_id, Lead.phone == phone)
        .order_by(Lead.created_at.desc(), Lead.id.desc())
        .limit(1)
        .subquery()
    )
    either = sa.union_all(sa.select(contact), sa.select(lead)).subquery()
    return (
        sa.select(either.c.kind, either.c.id, either.c.name, either.c.status)
        .order_by(either.c.rank)
        .limit(1)
    )


_PERSON_BY_PHONE = _person_by_phone_query()


def find_person_by_phone(*, session: Session, user_id: uuid.UUID, phone: str) -> Person | None:
    """The user's contact with this E.164 number, else their newest lead with it, else None."""
    row = run_prebuilt(session, _PERSON_BY_PHONE, {"user_id": user_id, "phone": phone}).first()
    return Person(row.kind, row.id, row.name, row.status) if row is not None else None


def person_for_number(
    *, session: Session, user_id: uuid.UUID, phone: str, name: str, source: str
) -> tuple[Person, bool]:
    """The user's contact or lead with this number, else a new lead; (person, created)."""
    # Two calls from a new number arriving at once would otherwise both find no lead.
    lock_contact_details(session=session, user_id=user_id, values=[phone])
    person = find_person_by_phone(session=session, user_id=user_id, phone=phone)
    if person is not None:
        return person, False
    lead = create_lead(
        session=session,
        user_id=user_id,
        lead_in=input_model(LeadCreate, {"name": name or phone, "phone": phone, "source": source}),
    )
    return Person("lead", lead.id, lead.name, lead.status), True


def link_call_to_person(*, session: Session, user_id: uuid.UUID, call: Any, source: str) -> bool:
    """Link a call to the user's contact or lead with its customer's number, or to a new lead
    named as the call names the caller (or by the number); True when a lead was made.

    `call` is a CallLog or a provider's report of one (customer_number,
    customer_name, lead_id, contact_id, unlinked_at). One already linked,
    without a number, or whose person was deleted, is left as it is.
    """
    if not call.customer_number or call.lead_id or call.contact_id or call.unlinked_at:
        return False
    person, created = person_for_number(
        session=session,
        user_id=user_id,
        phone=call.customer_number,
        name=call.customer_name,
        source=source,
    )
    person.link(call)
    # A lead an earlier unnamed call or SMS made goes by its number: this call names them.
    # (Checked on the name already read: the common case costs no statement.)
    if person.kind == "lead" and person.name == call.customer_number and call.customer_name:
        name_lead_known_by_number(
            session=session, user_id=user_id, lead_id=person.id, name=call.customer_name
        )
    return created


def name_lead_known_by_number(
    *, session: Session, user_id: uuid.UUID, lead_id: uuid.UUID, name: str
) -> bool:
    """Give the user's lead the caller's name if it still goes by its number; True if renamed.

    A Vapi call's first status update makes the lead before anyone has said a
    name, so it is named by the number; the report names the caller. A lead
    someone renamed (its name is no longer its number) keeps their name.
    """
    if not name or _lead_known_by_number(session, user_id, lead_id) is None:
        return False
    # A name the form would refuse keeps the number.
    try:
        update_lead(
            session=session, user_id=user_id, lead_id=lead_id, lead_in=LeadUpdate(name=name)
        )
    except (InvalidInput, pydantic.ValidationError):
        return False
    return True


def fill_in_lead_known_by_number(
    *, session: Session, user_id: uuid.UUID, lead_id: uuid.UUID, details: dict[str, Any]
) -> Lead | None:
    """Give the user's lead that still goes by its number what a caller told a voice agent
    (name, email, notes); None when someone has named it meanwhile.

    Its notes are added to, never replaced, and an email it has is kept.
    InvalidInput (DuplicateLead for an email another lead has) says what was refused.
    """
    lead = _lead_known_by_number(session, user_id, lead_id)
    if lead is None:
        return None
    changes = {"name": details.get("name") or None, "email": None, "notes": None}
    if details.get("email") and not lead.email:
        changes["email"] = details["email"]
    changes["notes"] = notes_added(lead.notes, details.get("notes") or "")
    return update_lead(
        session=session,
        user_id=user_id,
        lead_id=lead_id,
        lead_in=input_model(LeadUpdate, {k: v for k, v in changes.items() if v is not None}),
    )


# A lead's or a contact's notes at most (models/lead.py, models/contact.py).
MAX_NOTES = 10_000
_NOTES_APART = "\n\n"


def notes_added(stored: str, given: str) -> str | None:
    """A record's notes with what a provider sent added below them, as an update's value;
    None to leave them: nothing sent, sent already (the same form twice), or no room left.

    What the owner wrote is never cut to make room: a note that does not fit is
    not added, and the rest of the update still applies.
    """
    if not given or stored == given or stored.endswith(f"{_NOTES_APART}{given}"):
        return None  # the same text, once more, as the last of the notes
    if notes_full(stored, given):
        return None
    return f"{stored}{_NOTES_APART}{given}" if stored else given


def notes_full(stored: str, given: str) -> bool:
    """Whether `given` would take a record's notes past MAX_NOTES (notes_added)."""
    return len(stored) + (len(_NOTES_APART) if stored else 0) + len(given) > MAX_NOTES


def _lead_known_by_number(session: Session, user_id: uuid.UUID, lead_id: uuid.UUID) -> Lead | None:
    """The user's lead, locked, if no one has named it: its name is still its number."""
    # Locked: a rename by the user between this check and the update would be overwritten.
    lead = session.exec(
        select(Lead).where(Lead.user_id == user_id, Lead.id == lead_id).with_for_update()
    ).first()
    return lead if lead is not None and lead.name == lead.phone else None


def last_call_summary(*, session: Session, user_id: uuid.UUID, person: Person) -> str:
    """The summary of the newest call with a summary linked to this person ("" if none)."""
    link = CallLog.lead_id if person.kind == "lead" else CallLog.contact_id
    summary = session.exec(
        select(CallLog.summary)
        .where(CallLog.user_id == user_id, link == person.id, CallLog.summary != "")
        .order_by(CallLog.created_at.desc(), CallLog.id.desc())
        .limit(1)
    ).first()
    return summary or ""
