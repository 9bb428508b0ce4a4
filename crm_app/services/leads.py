"""A user's leads: list, read, create, update and delete, always filtered by user_id in SQL."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, delete, func, select, update
from sqlmodel.sql.expression import SelectOfScalar

from crm_app.core.config import get_settings
from crm_app.models import (
    LEAD_STATUSES,
    Activity,
    AutomationLog,
    CallLog,
    Contact,
    Lead,
    LeadCreate,
    LeadUpdate,
)
from crm_app.models.base import utcnow
from crm_app.services.errors import (
    IDENTITY_FIELDS,
    DuplicateLead,
    clean_fields,
    normalize_email,
    require_identity,
    text_field,
)
from crm_app.services.lead_sources import source_is
from crm_app.services.pagination import (
    Page,
    alphabetical,
    date_filters,
    paginate,
    search_text_filter,
    sort_order,
)
from crm_app.services.phones import as_written_here, normalize_phone
from crm_app.services.record_locks import lock_contact_details
from crm_app.services.timeline import STATUS_CHANGE, record_activity

# Sortable columns; text case-insensitively, so both databases agree.
SORTABLE = {
    "created_at": Lead.created_at,
    "updated_at": Lead.updated_at,
    "name": alphabetical(Lead.name),
    # In the pipeline's order (new, contacted, qualified, won, lost), as the board and the
    # status menus show it; not alphabetical.
    "status": sa.case(
        {status: rank for rank, status in enumerate(LEAD_STATUSES)}, value=Lead.status
    ),
    "source": func.lower(Lead.source),
    "email": Lead.email,
    "phone": Lead.phone,
}
# Rows that may point at a lead; the composite foreign keys have no ON DELETE action.
LINKED_TO_LEAD = (CallLog, AutomationLog, Contact, Activity)
# What identifies a person: no two of a user's leads may share one (_refuse_taken).
UNIQUE_FIELDS = {"phone": "phone number", "email": "email"}


def check_status(value: str | None) -> str:
    """A lead status from LEAD_STATUSES (case and spaces forgiven)."""
    status = (value or "").strip().lower()
    if status not in LEAD_STATUSES:
        raise ValueError(f"one of: {', '.join(LEAD_STATUSES)}")
    return status


def _cleaners() -> dict[str, Any]:
    region = get_settings().default_phone_region
    return {
        "name": text_field(200),
        "phone": lambda value: normalize_phone(value, region),
        "email": normalize_email,
        "status": check_status,
        "source": text_field(50, default="manual"),
        "notes": text_field(10_000),
    }


def clean_lead_fields(values: Mapping[str, Any]) -> dict[str, Any]:
    """Validate and normalise lead fields as create_lead does; InvalidInput names each bad one."""
    return clean_fields(values, _cleaners())


def list_leads(
    *,
    session: Session,
    user_id: uuid.UUID,
    search: str | None = None,
    status: str | None = None,
    source: str | None = None,
    created_from: datetime | None = None,
    created_to: datetime | None = None,
    sort: str = "created_at",
    descending: bool = True,
    offset: int = 0,
    limit: int = 50,
) -> Page[Lead]:
    """One page of a user's leads matching search and filters, sorted and counted in SQL."""
    statement = select_leads(
        user_id=user_id,
        search=search,
        status=status,
        source=source,
        created_from=created_from,
        created_to=created_to,
        sort=sort,
        descending=descending,
    )
    return paginate(session, statement, offset=offset, limit=limit)


def select_leads(
    *,
    user_id: uuid.UUID,
    search: str | None = None,
    status: str | None = None,
    source: str | None = None,
    created_from: datetime | None = None,
    created_to: datetime | None = None,
    sort: str = "created_at",
    descending: bool = True,
) -> SelectOfScalar[Lead]:
    """The sorted query behind list_leads, unpaged (the CSV export streams it)."""
    statement = select(Lead).where(Lead.user_id == user_id)
    if status:
        status = clean_fields({"status": status}, {"status": check_status})["status"]
        statement = statement.where(Lead.status == status)
    if source:
        statement = statement.where(source_is(Lead.source, source))
    matches = search_text_filter(search, Lead.search_text, Lead.phone)
    if matches is not None:
        statement = statement.where(matches)
    statement = statement.where(*date_filters(Lead.created_at, created_from, created_to))
    order = sort_order(SORTABLE, sort, descending, Lead.id, newest=Lead.created_at)
    return statement.order_by(*order)


def get_lead(*, session: Session, user_id: uuid.UUID, lead_id: uuid.UUID) -> Lead | None:
    """The user's lead with this id, or None."""
    return session.exec(select(Lead).where(Lead.user_id == user_id, Lead.id == lead_id)).first()


def _lock_unique_values(session: Session, user_id: uuid.UUID, values: Mapping[str, Any]) -> None:
    """Hold the phone and email about to be claimed until the unit of work ends, so a
    concurrent writer's lead with the same one is seen by _refuse_taken (record_locks)."""
    lock_contact_details(
        session=session, user_id=user_id, values=[values.get(field) for field in UNIQUE_FIELDS]
    )


def _refuse_taken(
    session: Session, user_id: uuid.UUID, values: dict[str, Any], this_lead: uuid.UUID | None
) -> None:
    """InvalidInput naming the lead that already has this phone or email.

    One number, one lead: calls and messages from a number go to its lead, so
    a second lead with it would split that person's history (the CSV import
    skips such rows as duplicates). Leads stored before this check may share
    one; an edit is refused only for a value it changes.
    """
    for field in UNIQUE_FIELDS:
        if not values.get(field):
            continue
        statement = select(Lead.name).where(
            Lead.user_id == user_id, getattr(Lead, field) == values[field]
        )
        if this_lead is not None:
            statement = statement.where(Lead.id != this_lead)
        holder = session.exec(statement.limit(1)).first()
        if holder is not None:
            raise DuplicateLead(field, as_written_here(holder), UNIQUE_FIELDS[field])


def create_lead(*, session: Session, user_id: uuid.UUID, lead_in: LeadCreate) -> Lead:
    """Validate and store a new lead for the user (phone in E.164, email lower-cased).

    InvalidInput when a field is bad or the lead has no name, phone or email.
    """
    values = clean_fields(lead_in.model_dump(), _cleaners())
    require_identity(values)
    _lock_unique_values(session, user_id, values)
    _refuse_taken(session, user_id, values, this_lead=None)
    lead = Lead(user_id=user_id, **values)
    session.add(lead)
    session.flush()
    return lead


def update_lead(
    *, session: Session, user_id: uuid.UUID, lead_id: uuid.UUID, lead_in: LeadUpdate
) -> Lead | None:
    """Change the given fields of the user's lead (validated as on create); None when not found."""
    lead = get_lead(session=session, user_id=user_id, lead_id=lead_id)
    if lead is None:
        return None
    values = clean_fields(lead_in.model_dump(exclude_none=True), _cleaners())
    # Checked only when one is changed, so moving an old blank lead on the board still works.
    if any(field in values for field in IDENTITY_FIELDS):
        require_identity({field: getattr(lead, field) for field in IDENTITY_FIELDS} | values)
    changed = {field: value for field, value in values.items() if getattr(lead, field) != value}
    _lock_unique_values(session, user_id, changed)
    _refuse_taken(session, user_id, changed, this_lead=lead_id)
    previous_status = lead.status
    if not changed:  # saved as it was: it stays where "Recently changed" lists it
        return lead
    for field, value in changed.items():
        setattr(lead, field, value)
    lead.updated_at = utcnow()
    session.add(lead)
    session.flush()
    if lead.status != previous_status:  # the timeline keeps the pipeline's history
        record_activity(
            session=session,
            user_id=user_id,
            kind=STATUS_CHANGE,
            body=f"{previous_status} → {lead.status}",
            lead_id=lead_id,
        )
    return lead


def delete_lead(*, session: Session, user_id: uuid.UUID, lead_id: uuid.UUID) -> bool:
    """Unlink the user's lead from calls, runs, contacts and activities, then delete it."""
    if get_lead(session=session, user_id=user_id, lead_id=lead_id) is None:
        return False
    # Timeline entries that belonged to this lead alone would be unreachable: they go too.
    session.exec(
        delete(Activity).where(
            Activity.user_id == user_id,
            Activity.lead_id == lead_id,
            Activity.contact_id.is_(None),
        )
    )
    for model in LINKED_TO_LEAD:
        # A call remembers it was unlinked: its next event must not make a new lead.
        unlinked = {"unlinked_at": utcnow()} if model is CallLog else {}
        session.exec(
            update(model)
            .where(model.user_id == user_id, model.lead_id == lead_id)
            .values(lead_id=None, **unlinked)
        )
    session.exec(delete(Lead).where(Lead.user_id == user_id, Lead.id == lead_id))
    return True
