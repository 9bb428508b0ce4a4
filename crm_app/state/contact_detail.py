"""/contacts/[contact_id]: one contact, its timeline and notes, and delete."""

from __future__ import annotations

from typing import Any

import reflex as rx
import sqlalchemy as sa

from crm_app.core.db import tenant_session
from crm_app.services.contacts import delete_contact, get_contact
from crm_app.services.errors import InvalidInput
from crm_app.services.leads import get_lead
from crm_app.services.timeline import add_note, list_timeline
from crm_app.state import display
from crm_app.state.auth import AuthState
from crm_app.state.contacts import ContactRow, contact_row
from crm_app.state.timeline_rows import TimelineRow, timeline_row

TIMELINE_LENGTH = 100


class ContactDetailState(AuthState):
    """The contact whose id is in the URL; not_found for an unknown or someone else's id."""

    contact: ContactRow = ContactRow()
    notes: str = ""
    lead_name: str = ""
    timeline: list[TimelineRow] = []
    loading: bool = False
    loaded: bool = False
    not_found: bool = False
    error: str = ""
    note_error: str = ""
    note_key: int = 0
    confirming_delete: bool = False

    def _current(self):  # type: ignore[no-untyped-def]
        return display.parse_id(self.router.page.params.get("contact_id", ""))

    @rx.event
    def load_contact(self):
        if not self._user_id:
            return
        contact_uuid = self._current()
        self.loading, self.confirming_delete = True, False
        if contact_uuid is None:
            self.not_found, self.loading, self.loaded = True, False, True
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
                    limit=TIMELINE_LENGTH,
                )
        except sa.exc.SQLAlchemyError:
            display.log.exception("contact page: loading failed")
            self.error, self.loading = display.LOAD_FAILED, False
            return
        self.not_found = contact is None
        if contact is not None:
            self.contact, self.notes = contact_row(contact), contact.notes
        self.lead_name = (lead.name or "(no name)") if lead is not None else ""
        self.timeline = [timeline_row(entry, str(contact_uuid)) for entry in entries]
        self.error, self.loading, self.loaded = "", False, True

    @rx.event
    def save_note(self, form: dict[str, Any]):
        contact_uuid = self._current()
        if not self._user_id or contact_uuid is None:
            return None
        try:
            with tenant_session(self.user_uuid) as session:
                note = add_note(
                    session=session,
                    user_id=self.user_uuid,
                    contact_id=contact_uuid,
                    body=str(form.get("body", "")),
                )
        except InvalidInput as error:
            self.note_error = "; ".join(error.errors.values())
            return None
        except sa.exc.SQLAlchemyError:
            display.log.exception("contact page: adding a note failed")
            self.note_error = display.SAVE_FAILED
            return None
        self.note_error = ""
        if note is None:
            return rx.toast.error("That contact no longer exists.")
        self.note_key += 1
        self.load_contact()
        return None

    @rx.event
    def set_confirming_delete(self, value: bool):
        self.confirming_delete = value

    @rx.event
    def confirm_delete(self):
        contact_uuid = self._current()
        self.confirming_delete = False
        if not self._user_id or contact_uuid is None:
            return None
        try:
            with tenant_session(self.user_uuid) as session:
                delete_contact(session=session, user_id=self.user_uuid, contact_id=contact_uuid)
        except sa.exc.SQLAlchemyError:
            display.log.exception("contact page: delete failed")
            return rx.toast.error(display.SAVE_FAILED)
        name = self.contact.name or "the contact"
        return [rx.redirect("/contacts"), rx.toast.success(f"Deleted {name}.")]
