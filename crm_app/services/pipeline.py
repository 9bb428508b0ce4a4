"""Moving leads through the pipeline: status changes, the board, conversion to contacts."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, func, select, update

from crm_app.models import (
    LEAD_STATUSES,
    Activity,
    AutomationLog,
    CallLog,
    Contact,
    ContactCreate,
    ContactUpdate,
    Lead,
    LeadStatus,
    LeadUpdate,
)
from crm_app.services.contacts import create_contact, update_contact
from crm_app.services.errors import DuplicateContact, StatusMovedOn
from crm_app.services.lead_sources import merge_spellings, source_is
from crm_app.services.leads import SORTABLE, get_lead, update_lead
from crm_app.services.pagination import date_filters, search_text_filter, sort_order
from crm_app.services.timeline import CONVERTED, NOTE, NOTE_MAX_LENGTH, record_activity

MAX_CARDS_PER_STATUS = 100
MAX_SOURCES = 100


@dataclass(frozen=True)
class PipelineColumn:
    """One status of the board: how many leads it holds and the newest of them."""

    status: str
    total: int
    leads: list[Lead]


@dataclass(frozen=True)
class Conversion:
    """The contact a lead became; created is False when an existing contact was linked."""

    contact: Contact
    created: bool
    # The lead was still open and is now won (a lost one stays lost).
    won: bool = False


def change_lead_status(
    *,
    session: Session,
    user_id: uuid.UUID,
    lead_id: uuid.UUID,
    status: str,
    shown: str | None = None,
) -> Lead | None:
    """Move the user's lead to another status (recorded on its timeline); None if not found.

    `shown`: the status the page showed it in. StatusMovedOn when the lead has another by
    now: a board card loaded before an automation marked the deal won would otherwise
    move it back without a word.
    """
    if shown is not None:
        current = session.exec(
            select(Lead.status).where(Lead.user_id == user_id, Lead.id == lead_id).with_for_update()
        ).first()
        if current is None:
            return None
        if current not in (shown, status):  # already there: the move is done, by whoever
            raise StatusMovedOn(current)
    return update_lead(
        session=session, user_id=user_id, lead_id=lead_id, lead_in=LeadUpdate(status=status)
    )


def pipeline_board(
    *,
    session: Session,
    user_id: uuid.UUID,
    search: str | None = None,
    source: str | None = None,
    created_from: datetime | None = None,
    per_status: int = 20,
    sort: str = "created_at",
    descending: bool = True,
) -> list[PipelineColumn]:
    """Every status in pipeline order with its count and its first leads in the list's order.

    Two queries. Sorted as the list would be (newest first unless asked), except
    by status, which within one status's column means nothing: newest first then.
    """
    per_status = max(1, min(int(per_status), MAX_CARDS_PER_STATUS))
    if sort == "status":
        sort, descending = "created_at", True
    order = sort_order(SORTABLE, sort, descending, Lead.id, newest=Lead.created_at)
    conditions = [Lead.user_id == user_id, *date_filters(Lead.created_at, created_from, None)]
    matches = search_text_filter(search, Lead.search_text, Lead.phone)
    if matches is not None:
        conditions.append(matches)
    if source:
        conditions.append(source_is(Lead.source, source))
    counts = dict(
        session.exec(
            select(Lead.status, func.count()).where(*conditions).group_by(Lead.status)
        ).all()
    )
    # The first per status: one small ORDER BY ... LIMIT per status, in one
    # UNION ALL, so each branch stops early instead of ranking every lead.
    branches = [
        select(Lead.id)
        .where(*conditions, Lead.status == status)
        .order_by(*order)
        .limit(per_status)
        .subquery()
        for status in LEAD_STATUSES
        if counts.get(status)
    ]
    newest: list[Lead] = []
    if branches:
        ids = sa.union_all(*(select(branch.c.id) for branch in branches)).subquery()
        newest = list(
            session.exec(
                select(Lead)
                .where(Lead.user_id == user_id, Lead.id.in_(select(ids.c.id)))
                .order_by(*order)
            ).all()
        )
    by_status: dict[str, list[Lead]] = {status: [] for status in LEAD_STATUSES}
    for lead in newest:
        by_status[lead.status].append(lead)
    return [
        PipelineColumn(status=status, total=int(counts.get(status, 0)), leads=by_status[status])
        for status in LEAD_STATUSES
    ]


def list_lead_sources(*, session: Session, user_id: uuid.UUID) -> list[str]:
    """The user's leads' sources, each once whatever its case, most used first (the menu)."""
    spellings = session.exec(
        select(Lead.source, func.lower(Lead.source), func.count())
        .where(Lead.user_id == user_id)
        .group_by(Lead.source)
        .order_by(func.count().desc(), Lead.source)
        # Room for a few spellings of each source the menu lists.
        .limit(MAX_SOURCES * 4)
    ).all()
    return list(merge_spellings(spellings))[:MAX_SOURCES]


def converted_contact_id(
    *, session: Session, user_id: uuid.UUID, lead_id: uuid.UUID
) -> uuid.UUID | None:
    """The id of the user's contact this lead was converted to, if it has been.

    The contact made from the lead points back at it; a lead converted onto a
    contact that already had its lead (the same phone or email) is known by
    its conversion on the timeline, which names the contact.
    """
    made = select(Contact.id).where(Contact.user_id == user_id, Contact.lead_id == lead_id)
    contact_id = session.exec(made.limit(1)).first()
    if contact_id is not None:
        return contact_id
    linked = (
        select(Activity.contact_id)
        .where(
            Activity.user_id == user_id,
            Activity.lead_id == lead_id,
            Activity.kind == CONVERTED,
            Activity.contact_id.is_not(None),  # unset when that contact is deleted
        )
        .order_by(Activity.occurred_at.desc())
    )
    return session.exec(linked.limit(1)).first()


def _existing_contact(session: Session, user_id: uuid.UUID, lead: Lead) -> Contact | None:
    """The user's contact with the lead's phone or email (contacts are unique on both)."""
    same = [Contact.phone == lead.phone] if lead.phone else []
    same += [Contact.email == lead.email] if lead.email else []
    if not same:
        return None
    statement = select(Contact).where(Contact.user_id == user_id, sa.or_(*same))
    return session.exec(statement.order_by(Contact.created_at).limit(1)).first()


def _fill_in_from_lead(session: Session, user_id: uuid.UUID, contact: Contact, lead: Lead) -> None:
    """The contact takes what it lacks from the lead: its phone above all, or the person's
    next call from that number would go to the lead alone, never to the contact's timeline.
    What the contact has stays; a phone or email another contact holds stays theirs."""
    for field in ("name", "phone", "email", "notes"):
        value = getattr(lead, field)
        if not value or getattr(contact, field):
            continue
        try:
            update_contact(
                session=session,
                user_id=user_id,
                contact_id=contact.id,
                contact_in=ContactUpdate(**{field: value}),
            )
        except DuplicateContact as taken:
            if taken.raced:  # the unit of work is spoilt: the conversion fails, whole
                raise


def _keep_the_leads_notes(
    session: Session, user_id: uuid.UUID, contact: Contact, lead: Lead
) -> None:
    """The lead's notes, which the contact's own kept out, as a note on both timelines.

    Written only where the contact had none (_fill_in_from_lead), they were
    lost to the contact otherwise ("VIP, call after 5pm"), and with the lead
    once it was deleted.
    """
    notes = (lead.notes or "").strip()
    if not notes or notes in (contact.notes or ""):
        return
    labelled = f"From the lead's notes:\n{notes}"
    record_activity(
        session=session,
        user_id=user_id,
        kind=NOTE,
        body=labelled if len(labelled) <= NOTE_MAX_LENGTH else notes,
        lead_id=lead.id,
        contact_id=contact.id,
    )


def convert_lead_to_contact(
    *, session: Session, user_id: uuid.UUID, lead_id: uuid.UUID
) -> Conversion | None:
    """Make the user's lead a contact (or link the contact with its phone or email).

    Converting twice gives the same contact. The lead's calls, runs and
    timeline entries that belong to no contact yet move onto the contact's
    timeline too. A lead still open is won: it became a customer, and the
    pipeline and the dashboard's conversion rate count it so (a lost lead
    kept as a contact stays lost). None when the lead is not the user's.
    """
    lead = get_lead(session=session, user_id=user_id, lead_id=lead_id)
    if lead is None:
        return None
    already = converted_contact_id(session=session, user_id=user_id, lead_id=lead_id)
    if already is not None:
        contact = session.exec(
            select(Contact).where(Contact.user_id == user_id, Contact.id == already)
        ).one()
        return Conversion(contact=contact, created=False)
    contact = _existing_contact(session, user_id, lead)
    created = contact is None
    if contact is None:
        contact = create_contact(
            session=session,
            user_id=user_id,
            contact_in=ContactCreate(
                name=lead.name, phone=lead.phone, email=lead.email, notes=lead.notes
            ),
        )
    else:
        _fill_in_from_lead(session, user_id, contact, lead)
        _keep_the_leads_notes(session, user_id, contact, lead)
    if contact.lead_id is None:
        contact.lead_id = lead.id
        session.add(contact)
        session.flush()
    won = lead.status not in (LeadStatus.WON, LeadStatus.LOST)
    if won:  # before the move: the contact's timeline shows the whole pipeline, "→ won" too
        change_lead_status(
            session=session, user_id=user_id, lead_id=lead_id, status=LeadStatus.WON.value
        )
    for model in (CallLog, AutomationLog, Activity):
        session.exec(
            update(model)
            .where(model.user_id == user_id, model.lead_id == lead_id, model.contact_id.is_(None))
            .values(contact_id=contact.id)
        )
    record_activity(
        session=session,
        user_id=user_id,
        kind=CONVERTED,
        body=f"Converted to contact {contact.name or contact.phone or contact.email or ''}".strip(),
        lead_id=lead.id,
        contact_id=contact.id,
    )
    return Conversion(contact=contact, created=created, won=won)
