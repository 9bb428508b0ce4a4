"""/contacts/[contact_id]: one contact, its timeline and notes, and delete."""

from __future__ import annotations

import uuid
from typing import ClassVar

import reflex as rx
import sqlalchemy as sa
from sqlmodel import Session

from crm_app.core.db import tenant_session
from crm_app.services.contacts import delete_contact, get_contact
from crm_app.services.leads import get_lead
from crm_app.services.timeline import list_timeline
from crm_app.state import display
from crm_app.state.auth import AuthState
from crm_app.state.contacts import ContactRow, contact_row
from crm_app.state.record_detail import RecordDetailMixin


class ContactDetailState(RecordDetailMixin, AuthState):
    """The contact whose id is in the URL; not_found for an unknown or someone else's id."""

    NOUN: ClassVar[str] = "contact"

    contact: ContactRow = ContactRow()
    lead_name: str = ""

    @rx.event
    def load_contact(self):
        if not self._user_id:
            return
        contact_uuid = self._begin_load()
        if contact_uuid is None:
            return
        lead = None
        try:
            with tenant_session(self.user_uuid) as session:
                contact = get_contact(
                    session=session, user_id=self.user_uuid, contact_id=contact_uuid
                )
                if contact is not None and contact.lead_id:
                    lead = get_lead(
                        session=session, user_id=self.user_uuid, lead_id=contact.lead_id
                    )
                entries = list_timeline(
                    session=session,
                    user_id=self.user_uuid,
                    contact_id=contact_uuid,
                    limit=self._timeline_asked(),
                )
        except sa.exc.SQLAlchemyError:
            self._load_failed()
            return
        self.not_found = contact is None
        if contact is not None:
            self.contact, self.notes = contact_row(contact), contact.notes
        self.lead_name = display.linked_name(lead)
        self._show_timeline(entries, "contact")
        self._load_succeeded()

    def _reload(self) -> None:
        self.load_contact()

    def _record_name(self) -> str:
        return self.contact.name

    def _delete(self, session: Session, record_id: uuid.UUID) -> bool:
        return delete_contact(session=session, user_id=self.user_uuid, contact_id=record_id)
