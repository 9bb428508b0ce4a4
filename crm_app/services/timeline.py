"""A lead's or contact's timeline: calls, SMS, automation runs, status changes and notes.

One UNION ALL query, newest first, limited in SQL: each branch reads its own
table by the person's id (and user_id), so no table is loaded whole.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, select

from crm_app.models import Activity, AutomationLog, CallLog, Contact, Lead
from crm_app.models.base import UTCDateTime, utcnow
from crm_app.services.errors import InvalidInput, clean_fields, text_field

# The most a page asks for ("Show older" a hundred at a time), each source's query included.
MAX_TIMELINE_ENTRIES = 2000
NOTE_MAX_LENGTH = 10_000
# Activity kinds a person writes or the app records; SMS kinds come from webhooks.
NOTE, STATUS_CHANGE, CONVERTED = "note", "status_change", "converted"
# An activity's status on the timeline: a note whose text was changed after it was written.
EDITED = "edited"
# Why an edit was refused: another tab saved the note first (edit_note's `replaces`).
NOTE_CHANGED = (
    "this note was changed elsewhere since you opened it: Save again to put yours in its "
    "place, or Cancel to keep that change"
)


@dataclass(frozen=True)
class TimelineEntry:
    """One thing that happened, as the timeline shows it.

    kind is "call", "automation" or an activity kind (note, sms_in, sms_out,
    status_change, converted); label is the call's provider, the scenario's
    name or empty; number is a call's seconds or a run's milliseconds. A call
    also has its direction and ended reason, from which, with its status and
    length, the page says whether it was answered (call_outcomes.outcome_of).
    An activity's status is EDITED for a note changed since it was written.
    """

    kind: str
    id: uuid.UUID
    occurred_at: datetime
    label: str
    body: str
    status: str
    number: int | None
    direction: str = ""
    ended_reason: str = ""
    execution_id: str = ""  # a run's Make execution id, which finds it in the runs list
    # The lead and the contact it is linked to: a conversion's are the two sides of it.
    lead_id: uuid.UUID | None = None
    contact_id: uuid.UUID | None = None


def _branch(
    model: Any,
    kind: Any,
    row_id: Any,
    at: Any,
    label: Any,
    body: Any,
    status: Any,
    number: Any,
    direction: Any,
    ended_reason: Any,
    execution_id: Any = None,
) -> list[Any]:
    """The columns every branch of the union shares, typed alike on both databases."""
    return [
        sa.cast(kind, sa.String).label("kind"),
        row_id.label("id"),
        sa.type_coerce(at, UTCDateTime).label("occurred_at"),
        sa.cast(label, sa.String).label("label"),
        sa.cast(body, sa.Text).label("body"),
        sa.cast(status, sa.String).label("status"),
        sa.cast(number, sa.Integer).label("number"),
        sa.cast(direction, sa.String).label("direction"),
        sa.cast(ended_reason, sa.String).label("ended_reason"),
        sa.cast(sa.null() if execution_id is None else execution_id, sa.String).label(
            "execution_id"
        ),
        model.lead_id.label("lead_id"),
        model.contact_id.label("contact_id"),
    ]


def newest_first(branches: list[Any], limit: int) -> sa.Select[Any]:
    """UNION ALL of branches (each already ordered and limited), newest first, at most limit."""
    parts = [select(*branch.subquery().c) for branch in branches]
    union = sa.union_all(*parts).subquery()
    return select(*union.c).order_by(union.c.occurred_at.desc(), union.c.id.desc()).limit(limit)


def _person(model: Any, user_id: uuid.UUID, lead_id: Any, contact_id: Any) -> list[Any]:
    conditions = [model.user_id == user_id]
    if lead_id is not None:
        conditions.append(model.lead_id == lead_id)
    if contact_id is not None:
        conditions.append(model.contact_id == contact_id)
    return conditions


def list_timeline(
    *,
    session: Session,
    user_id: uuid.UUID,
    lead_id: uuid.UUID | None = None,
    contact_id: uuid.UUID | None = None,
    limit: int = 100,
) -> list[TimelineEntry]:
    """The newest entries of one lead's or contact's timeline (give exactly one of the two)."""
    if (lead_id is None) == (contact_id is None):
        raise InvalidInput({"timeline": "give a lead or a contact"})
    # One past the most a page shows, so that it can tell there are older entries.
    limit = max(1, min(int(limit), MAX_TIMELINE_ENTRIES + 1))
    call_at = sa.func.coalesce(CallLog.started_at, CallLog.created_at)
    run_at = sa.func.coalesce(AutomationLog.started_at, AutomationLog.created_at)
    calls = (
        select(
            *_branch(
                CallLog,
                sa.literal("call"),
                CallLog.id,
                call_at,
                CallLog.provider,
                CallLog.summary,
                CallLog.status,
                CallLog.duration_seconds,
                CallLog.direction,
                CallLog.ended_reason,
            )
        )
        .where(*_person(CallLog, user_id, lead_id, contact_id))
        .order_by(call_at.desc())
        .limit(limit)
    )
    runs = (
        select(
            *_branch(
                AutomationLog,
                sa.literal("automation"),
                AutomationLog.id,
                run_at,
                AutomationLog.scenario_name,
                sa.func.coalesce(AutomationLog.error, ""),
                AutomationLog.status,
                AutomationLog.duration_ms,
                sa.null(),
                sa.null(),
                AutomationLog.execution_id,
            )
        )
        .where(*_person(AutomationLog, user_id, lead_id, contact_id))
        .order_by(run_at.desc())
        .limit(limit)
    )
    activities = (
        select(
            *_branch(
                Activity,
                Activity.kind,
                Activity.id,
                Activity.occurred_at,
                sa.literal(""),
                Activity.body,
                sa.case((Activity.edited_at.is_not(None), EDITED), else_=""),
                sa.null(),
                sa.null(),
                sa.null(),
            )
        )
        .where(*_person(Activity, user_id, lead_id, contact_id))
        .order_by(Activity.occurred_at.desc())
        .limit(limit)
    )
    rows = session.exec(newest_first([calls, runs, activities], limit)).all()
    return [
        TimelineEntry(
            kind=row.kind,
            id=uuid.UUID(str(row.id)),
            occurred_at=row.occurred_at,
            label=row.label or "",
            body=row.body or "",
            status=row.status or "",
            number=row.number,
            direction=row.direction or "",
            ended_reason=row.ended_reason or "",
            execution_id=row.execution_id or "",
            lead_id=_uuid_or_none(row.lead_id),
            contact_id=_uuid_or_none(row.contact_id),
        )
        for row in rows
    ]


def _uuid_or_none(value: Any) -> uuid.UUID | None:
    # A union's columns come back as the driver gives them: UUIDs on Postgres, text on SQLite.
    return None if value is None else uuid.UUID(str(value))


def _owns(session: Session, user_id: uuid.UUID, model: Any, row_id: uuid.UUID | None) -> bool:
    if row_id is None:
        return True
    statement = select(model.id).where(model.user_id == user_id, model.id == row_id)
    return session.exec(statement).first() is not None


def record_activity(
    *,
    session: Session,
    user_id: uuid.UUID,
    kind: str,
    body: str,
    lead_id: uuid.UUID | None = None,
    contact_id: uuid.UUID | None = None,
) -> Activity | None:
    """Add an entry to the timeline of the user's lead and/or contact; None if not theirs."""
    if lead_id is None and contact_id is None:
        raise InvalidInput({"activity": "give a lead or a contact"})
    if not (
        _owns(session, user_id, Lead, lead_id) and _owns(session, user_id, Contact, contact_id)
    ):
        return None
    activity = Activity(
        user_id=user_id,
        kind=kind,
        body=body,
        lead_id=lead_id,
        contact_id=contact_id,
        occurred_at=utcnow(),
    )
    session.add(activity)
    session.flush()
    return activity


def add_note(
    *,
    session: Session,
    user_id: uuid.UUID,
    body: str,
    lead_id: uuid.UUID | None = None,
    contact_id: uuid.UUID | None = None,
) -> Activity | None:
    """A note on the user's lead or contact; None when that person is not the user's."""
    if (lead_id is None) == (contact_id is None):
        raise InvalidInput({"note": "give a lead or a contact"})
    text = clean_fields({"body": body}, {"body": text_field(NOTE_MAX_LENGTH)})["body"]
    if not text:
        raise InvalidInput({"body": "write something first"})
    return record_activity(
        session=session,
        user_id=user_id,
        kind=NOTE,
        body=text,
        lead_id=lead_id,
        contact_id=contact_id,
    )


def _own_note(
    session: Session,
    user_id: uuid.UUID,
    note_id: uuid.UUID,
    lead_id: uuid.UUID | None,
    contact_id: uuid.UUID | None,
) -> Activity | None:
    """The user's note with this id on this lead or contact, locked for the change; else None.

    Only notes: an SMS, a status change or a conversion is a record of what happened,
    which the person who reads the timeline does not rewrite.
    """
    if (lead_id is None) == (contact_id is None):
        raise InvalidInput({"note": "give a lead or a contact"})
    statement = (
        select(Activity)
        .where(*_person(Activity, user_id, lead_id, contact_id))
        .where(Activity.id == note_id, Activity.kind == NOTE)
        .with_for_update()
    )
    return session.exec(statement).first()


def note_version(body: str) -> str:
    """A short fingerprint of a note's text, which an edit names as the text it replaces."""
    return hashlib.sha256(body.encode()).hexdigest()[:16]


def edit_note(
    *,
    session: Session,
    user_id: uuid.UUID,
    note_id: uuid.UUID,
    body: str,
    replaces: str | None = None,
    lead_id: uuid.UUID | None = None,
    contact_id: uuid.UUID | None = None,
) -> Activity | None:
    """The user's note on this lead or contact with its text replaced; None when there is no
    such note (deleted meanwhile, or not theirs). It keeps its place on the timeline.

    `replaces` is the note_version of the text the person was shown: if the note
    has changed since (another tab saved first), nothing is written and InvalidInput
    says so, rather than that change being lost without anyone knowing.
    """
    text = clean_fields({"body": body}, {"body": text_field(NOTE_MAX_LENGTH)})["body"]
    if not text:
        raise InvalidInput({"body": "write something, or delete the note"})
    note = _own_note(session, user_id, note_id, lead_id, contact_id)
    if note is None:
        return None
    if replaces is not None and note_version(note.body) != replaces:
        raise InvalidInput({"body": NOTE_CHANGED})
    if note.body != text:
        note.body, note.edited_at = text, utcnow()
    session.add(note)
    session.flush()
    return note


def delete_note(
    *,
    session: Session,
    user_id: uuid.UUID,
    note_id: uuid.UUID,
    lead_id: uuid.UUID | None = None,
    contact_id: uuid.UUID | None = None,
) -> bool:
    """Delete the user's note on this lead or contact; False when there is no such note."""
    note = _own_note(session, user_id, note_id, lead_id, contact_id)
    if note is None:
        return False
    session.delete(note)
    session.flush()
    return True
