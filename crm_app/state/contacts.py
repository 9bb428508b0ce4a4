"""/contacts: the list (search, period, sort, pages), delete and export; all in SQL."""

from __future__ import annotations

import dataclasses
import uuid
from typing import Any, ClassVar

import reflex as rx
import sqlalchemy as sa
from sqlmodel import Session

from crm_app.core.db import tenant_session
from crm_app.models import Contact
from crm_app.services.contacts import delete_contact, list_contacts
from crm_app.services.csv_io import export_contacts_csv
from crm_app.state import display
from crm_app.state.auth import AuthState
from crm_app.state.list_page import ALL, PAGE_SIZE, ListPageMixin, PeriodFilterMixin
from crm_app.state.record_list import RecordListMixin

# The sort menu: value -> (column, descending, label).
SORTS = {
    "newest": ("created_at", True, "Newest first"),
    "oldest": ("created_at", False, "Oldest first"),
    "updated": ("updated_at", True, "Recently changed"),
    "name": ("name", False, "Name A–Z"),
    "name_desc": ("name", True, "Name Z–A"),
    "company": ("company", False, "Company"),
}


@dataclasses.dataclass
class ContactRow:
    """A contact as the list shows it."""

    id: str = ""
    name: str = ""
    phone: str = ""  # as written (display.phone)
    tel: str = ""  # as stored, for tel: links
    email: str = ""
    company: str = ""
    created_at: str = ""
    lead_id: str = ""


def contact_row(contact: Contact) -> ContactRow:
    return ContactRow(
        id=str(contact.id),
        name=display.phone(contact.name),  # one made from a call goes by its number
        phone=display.phone(contact.phone),
        tel=contact.phone or "",
        email=contact.email or "",
        company=contact.company,
        created_at=display.iso(contact.created_at),
        lead_id=str(contact.lead_id) if contact.lead_id else "",
    )


class ContactsState(RecordListMixin, PeriodFilterMixin, ListPageMixin, AuthState):
    """The contacts list for the logged-in user."""

    NOUN: ClassVar[str] = "contact"
    SORTS: ClassVar[dict[str, tuple[str, bool, str]]] = SORTS

    rows: list[ContactRow] = []

    @rx.var
    def is_filtered(self) -> bool:
        return bool(self.search) or self.period != ALL

    @rx.event
    def load(self):
        """on_load: the page the tab was on, so Back and "← Contacts" return to it.

        The search, period and sort are kept the same way; _refresh moves to the
        last page if that one has emptied meanwhile.
        """
        self._forget_dialogs()
        return self._load_in_viewer_zone()

    def _load_after_zone(self) -> None:
        self._refresh()

    @rx.event
    def refresh(self):
        self._refresh()

    def _filters(self) -> dict[str, Any]:
        return {
            "search": self.search,
            "created_from": self._created_from(),
            **self._sort_keywords(),
        }

    def _refresh(self) -> None:
        if not self._user_id:
            return
        self.loading = True
        try:
            with tenant_session(self.user_uuid) as session:
                page = list_contacts(
                    session=session,
                    user_id=self.user_uuid,
                    offset=self.offset,
                    limit=PAGE_SIZE,
                    **self._filters(),
                )
        except sa.exc.SQLAlchemyError:
            self._load_failed("contacts")
            return
        self.rows, self.total = [contact_row(c) for c in page.items], page.total
        self._load_succeeded()
        if self._past_the_end():
            self._refresh()

    @rx.event
    def clear_filters(self):
        self.search, self.period, self.offset = "", ALL, 0
        self._refresh()

    # --- what RecordListMixin's delete and export run

    def _delete(self, session: Session, record_id: uuid.UUID) -> bool:
        return delete_contact(session=session, user_id=self.user_uuid, contact_id=record_id)

    def _export(self, session: Session) -> str:
        return export_contacts_csv(session=session, user_id=self.user_uuid, **self._filters())
