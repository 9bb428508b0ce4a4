"""The names of the leads and contacts a page of calls or automation runs is linked to."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Protocol

from sqlmodel import Session, select

from crm_app.models import Contact, Lead


class LinkedRecord(Protocol):
    """A call, an automation run: something that may belong to a lead and a contact."""

    lead_id: uuid.UUID | None
    contact_id: uuid.UUID | None


def linked_names(
    *, session: Session, user_id: uuid.UUID, records: Sequence[LinkedRecord]
) -> dict[uuid.UUID, str]:
    """The names of the user's leads and contacts these records are linked to, by id.

    A provider often sends a number and no name, and a run only ids; the
    person they belong to is known here. Leads and contacts without a name are
    left out. Two statements for a whole page, not two per row.
    """
    lead_ids = {record.lead_id for record in records if record.lead_id}
    contact_ids = {record.contact_id for record in records if record.contact_id}
    names: dict[uuid.UUID, str] = {}
    for model, ids in ((Lead, lead_ids), (Contact, contact_ids)):
        if not ids:
            continue
        rows = session.exec(
            select(model.id, model.name).where(
                model.user_id == user_id, model.id.in_(ids), model.name != ""
            )
        )
        names.update({row_id: name for row_id, name in rows})
    return names
