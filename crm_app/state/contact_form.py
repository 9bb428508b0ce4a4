"""The create/edit contact dialog, used on the list and on a contact's page."""

from __future__ import annotations

from typing import Any

import reflex as rx
import sqlalchemy as sa

from crm_app.core.config import get_settings
from crm_app.core.db import tenant_session
from crm_app.models import ContactCreate, ContactUpdate
from crm_app.services.contacts import create_contact, get_contact, update_contact
from crm_app.services.errors import InvalidInput
from crm_app.state import display
from crm_app.state.auth import AuthState
from crm_app.state.contact_detail import ContactDetailState
from crm_app.state.contacts import ContactsState

FIELDS = ("name", "phone", "email", "company", "notes")
BLANK = dict.fromkeys(FIELDS, "")


class ContactFormState(AuthState):
    """Whether the dialog is open, for which contact, what it holds and what was wrong."""

    open: bool = False
    editing_id: str = ""
    values: dict[str, str] = dict(BLANK)
    errors: dict[str, str] = {}
    form_error: str = ""
    saving: bool = False
    form_key: int = 0
    phone_region: str = "US"

    def _show(self, contact_id: str, values: dict[str, str]) -> None:
        self.editing_id, self.values = contact_id, values
        self.errors, self.form_error, self.saving = {}, "", False
        self.phone_region = get_settings().default_phone_region.upper()
        self.form_key += 1
        self.open = True

    @rx.event
    def open_new(self):
        if self._user_id:
            self._show("", dict(BLANK))

    @rx.event
    def open_edit(self, contact_id: str):
        contact_uuid = display.parse_id(contact_id)
        if not self._user_id or contact_uuid is None:
            return None
        try:
            with tenant_session(self.user_uuid) as session:
                contact = get_contact(
                    session=session, user_id=self.user_uuid, contact_id=contact_uuid
                )
        except sa.exc.SQLAlchemyError:
            display.log.exception("contact form: loading a contact failed")
            return rx.toast.error(display.LOAD_FAILED)
        if contact is None:
            return rx.toast.error("That contact no longer exists.")
        self._show(str(contact.id), {name: str(getattr(contact, name) or "") for name in FIELDS})
        return None

    @rx.event
    def set_open(self, is_open: bool):
        self.open = is_open and self.open

    @rx.event
    def save(self, form: dict[str, Any]):
        """Create or update the contact; a taken phone or email is shown at its field."""
        if not self._user_id or self.saving:
            return None
        values = {name: str(form.get(name, ""))[:20_000] for name in FIELDS}
        self.values, self.saving = values, True
        try:
            with tenant_session(self.user_uuid) as session:
                if self.editing_id:
                    contact = update_contact(
                        session=session,
                        user_id=self.user_uuid,
                        contact_id=display.parse_id(self.editing_id),
                        contact_in=ContactUpdate(**values),
                    )
                else:
                    contact = create_contact(
                        session=session,
                        user_id=self.user_uuid,
                        contact_in=ContactCreate(**values),
                    )
        except InvalidInput as error:
            self.errors, self.form_error, self.saving = error.errors, "", False
            return None
        except sa.exc.SQLAlchemyError:
            display.log.exception("contact form: saving failed")
            self.form_error, self.saving = display.SAVE_FAILED, False
            return None
        self.saving, self.open = False, False
        if contact is None:
            return rx.toast.error("That contact no longer exists.")
        on_detail_page = self.router.page.path.startswith("/contacts/")
        refresh = ContactDetailState.load_contact if on_detail_page else ContactsState.refresh
        verb = "Saved" if self.editing_id else "Added"
        return [refresh, rx.toast.success(f"{verb} {contact.name or 'the contact'}.")]
