"""The create/edit contact dialog, used on the list and on a contact's page."""

from __future__ import annotations

import uuid
from typing import Any, ClassVar

from sqlmodel import Session

from crm_app.models import ContactCreate, ContactUpdate
from crm_app.services.contacts import (
    clean_contact_fields,
    create_contact,
    get_contact,
    update_contact,
)
from crm_app.state.auth import AuthState
from crm_app.state.contact_detail import ContactDetailState
from crm_app.state.contacts import ContactsState
from crm_app.state.record_form import RecordFormMixin

FIELDS = ("name", "phone", "email", "company", "notes")
BLANK = dict.fromkeys(FIELDS, "")


class ContactFormState(RecordFormMixin, AuthState):
    """Whether the dialog is open, for which contact, what it holds and what was wrong.

    A phone or email another contact has comes back from the service as an
    InvalidInput on that field, so the dialog shows it there.
    """

    NOUN: ClassVar[str] = "contact"
    FIELDS: ClassVar[tuple[str, ...]] = FIELDS
    BLANK: ClassVar[dict[str, str]] = BLANK

    values: dict[str, str] = dict(BLANK)

    # --- what RecordFormMixin's open_edit and save run

    def _fetch(self, session: Session, record_id: uuid.UUID) -> Any:
        return get_contact(session=session, user_id=self.user_uuid, contact_id=record_id)

    def _create(self, session: Session, values: dict[str, str]) -> Any:
        # Cleaned first, so a bad phone is refused in the service's words (as in LeadFormState).
        contact_in = ContactCreate(**clean_contact_fields(values))
        return create_contact(session=session, user_id=self.user_uuid, contact_in=contact_in)

    def _update(self, session: Session, record_id: uuid.UUID | None, values: dict[str, str]) -> Any:
        return update_contact(
            session=session,
            user_id=self.user_uuid,
            contact_id=record_id,
            contact_in=ContactUpdate(**values),
        )

    def _refresh_page(self) -> Any:
        on_detail_page = self.router.page.path.startswith("/contacts/")
        return ContactDetailState.load_contact if on_detail_page else ContactsState.refresh
