"""A user's contacts: one per phone number and per email; always filtered by user_id in SQL."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, delete, select, update
from sqlmodel.sql.expression import SelectOfScalar

from crm_app.core.config import get_settings
from crm_app.models import Activity, AutomationLog, CallLog, Contact, ContactCreate, ContactUpdate
from crm_app.models.base import utcnow
from crm_app.services.errors import (
    IDENTITY_FIELDS,
    DuplicateContact,
    clean_fields,
    normalize_email,
    require_identity,
    text_field,
)
from crm_app.services.pagination import (
    Page,
    alphabetical,
    date_filters,
    paginate,
    search_text_filter,
    sort_order,
)
from crm_app.services.phones import as_written_here, normalize_phone

# Sortable columns; text case-insensitively, so both databases agree.
SORTABLE = {
    "created_at": Contact.created_at,
    "updated_at": Contact.updated_at,
    "name": alphabetical(Contact.name),
    "company": alphabetical(Contact.company),
    "email": Contact.email,
    "phone": Contact.phone,
}
# Rows that may point at a contact; the composite foreign keys have no ON DELETE action.
LINKED_TO_CONTACT = (CallLog, AutomationLog, Activity)
# The unique constraints behind DuplicateContact, in the order they are checked.
UNIQUE_FIELDS = ("phone", "email")


def _cleaners() -> dict[str, Any]:
    region = get_settings().default_phone_region
    return {
        "name": text_field(200),
        "phone": lambda value: normalize_phone(value, region),
        "email": normalize_email,
        "company": text_field(200),
        "notes": text_field(10_000),
    }


def _check_duplicates(
    session: Session, user_id: uuid.UUID, values: dict[str, Any], exclude_id: uuid.UUID | None
) -> None:
    """Raise DuplicateContact when another of the user's contacts has this phone or email."""
    for field in UNIQUE_FIELDS:
        if values.get(field) is None:
            continue
        statement = select(Contact.name).where(
            Contact.user_id == user_id, getattr(Contact, field) == values[field]
        )
        if exclude_id is not None:
            statement = statement.where(Contact.id != exclude_id)
        holder = session.exec(statement).first()
        if holder is not None:
            raise DuplicateContact(field, as_written_here(holder))


def _flush_unique(session: Session, contact: Contact) -> None:
    """Flush; a unique violation that raced the check becomes DuplicateContact.

    No savepoint: on SQLite (pysqlite) a savepoint opened before any write
    commits on release. After this error the unit of work must roll back.
    """
    session.add(contact)
    try:
        session.flush()
    except sa.exc.IntegrityError as error:
        message = str(error.orig).lower()
        for field in UNIQUE_FIELDS:
            if f"contacts_user_id_{field}" in message or f"contacts.{field}" in message:
                raise DuplicateContact(field, raced=True) from None
        raise


def list_contacts(
    *,
    session: Session,
    user_id: uuid.UUID,
    search: str | None = None,
    created_from: datetime | None = None,
    created_to: datetime | None = None,
    sort: str = "created_at",
    descending: bool = True,
    offset: int = 0,
    limit: int = 50,
) -> Page[Contact]:
    """One page of a user's contacts matching a search and dates, sorted and counted in SQL."""
    statement = select_contacts(
        user_id=user_id,
        search=search,
        created_from=created_from,
        created_to=created_to,
        sort=sort,
        descending=descending,
    )
    return paginate(session, statement, offset=offset, limit=limit)


def select_contacts(
    *,
    user_id: uuid.UUID,
    search: str | None = None,
    created_from: datetime | None = None,
    created_to: datetime | None = None,
    sort: str = "created_at",
    descending: bool = True,
) -> SelectOfScalar[Contact]:
    """The sorted query behind list_contacts, unpaged (the CSV export streams it)."""
    statement = select(Contact).where(Contact.user_id == user_id)
    matches = search_text_filter(search, Contact.search_text, Contact.phone)
    if matches is not None:
        statement = statement.where(matches)
    statement = statement.where(*date_filters(Contact.created_at, created_from, created_to))
    order = sort_order(SORTABLE, sort, descending, Contact.id, newest=Contact.created_at)
    return statement.order_by(*order)


def clean_contact_fields(values: Mapping[str, Any]) -> dict[str, Any]:
    """Validate and normalise contact fields as create_contact does (no duplicate check)."""
    return clean_fields(values, _cleaners())


def get_contact(*, session: Session, user_id: uuid.UUID, contact_id: uuid.UUID) -> Contact | None:
    """The user's contact with this id, or None."""
    statement = select(Contact).where(Contact.user_id == user_id, Contact.id == contact_id)
    return session.exec(statement).first()


def create_contact(*, session: Session, user_id: uuid.UUID, contact_in: ContactCreate) -> Contact:
    """Validate and store a new contact; DuplicateContact when its phone or email is taken.

    InvalidInput when a field is bad or the contact has no name, phone or email.
    """
    values = clean_fields(contact_in.model_dump(), _cleaners())
    require_identity(values)
    _check_duplicates(session, user_id, values, exclude_id=None)
    contact = Contact(user_id=user_id, **values)
    _flush_unique(session, contact)
    return contact


def update_contact(
    *, session: Session, user_id: uuid.UUID, contact_id: uuid.UUID, contact_in: ContactUpdate
) -> Contact | None:
    """Change the given fields of the user's contact (checked as on create); None if not found."""
    contact = get_contact(session=session, user_id=user_id, contact_id=contact_id)
    if contact is None:
        return None
    values = clean_fields(contact_in.model_dump(exclude_none=True), _cleaners())
    if any(field in values for field in IDENTITY_FIELDS):
        require_identity({field: getattr(contact, field) for field in IDENTITY_FIELDS} | values)
    _check_duplicates(session, user_id, values, exclude_id=contact_id)
    changed = {field: value for field, value in values.items() if getattr(contact, field) != value}
    if not changed:  # saved as it was: it stays where "Recently changed" lists it
        return contact
    for field, value in changed.items():
        setattr(contact, field, value)
    contact.updated_at = utcnow()
    _flush_unique(session, contact)
    return contact


def delete_contact(*, session: Session, user_id: uuid.UUID, contact_id: uuid.UUID) -> bool:
    """Unlink the user's contact from calls, runs and activities, then delete it."""
    if get_contact(session=session, user_id=user_id, contact_id=contact_id) is None:
        return False
    # Timeline entries that belonged to this contact alone would be unreachable: they go too.
    session.exec(
        delete(Activity).where(
            Activity.user_id == user_id,
            Activity.contact_id == contact_id,
            Activity.lead_id.is_(None),
        )
    )
    for model in LINKED_TO_CONTACT:
        # A call remembers it was unlinked: its next event must not make a new lead.
        unlinked = {"unlinked_at": utcnow()} if model is CallLog else {}
        session.exec(
            update(model)
            .where(model.user_id == user_id, model.contact_id == contact_id)
            .values(contact_id=None, **unlinked)
        )
    session.exec(delete(Contact).where(Contact.user_id == user_id, Contact.id == contact_id))
    return True
