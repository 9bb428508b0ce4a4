"""/contacts: the list (search, period, sort, pages), delete and export; all in SQL."""

from __future__ import annotations

import dataclasses
from typing import Any

import reflex as rx
import sqlalchemy as sa

from crm_app.core.db import tenant_session
from crm_app.models import Contact
from crm_app.models.base import utcnow
from crm_app.services.contacts import delete_contact, list_contacts
from crm_app.services.csv_io import export_contacts_csv
from crm_app.state import display
from crm_app.state.auth import AuthState

PAGE_SIZE = 25
ALL = "all"
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
    phone: str = ""
    email: str = ""
    company: str = ""
    created_at: str = ""
    lead_id: str = ""


def contact_row(contact: Contact) -> ContactRow:
    return ContactRow(
        id=str(contact.id),
        name=contact.name,
        phone=contact.phone or "",
        email=contact.email or "",
        company=contact.company,
        created_at=display.iso(contact.created_at),
        lead_id=str(contact.lead_id) if contact.lead_id else "",
    )


def _first(value: str | list[str]) -> str:
    return value if isinstance(value, str) else (value or [""])[0]


class ContactsState(AuthState):
    """The contacts list for the logged-in user."""

    search: str = ""
    period: str = ALL
    sort: str = "newest"
    offset: int = 0
    total: int = 0
    rows: list[ContactRow] = []
    loading: bool = False
    loaded: bool = False
    error: str = ""
    delete_id: str = ""
    delete_name: str = ""

    @rx.var
    def count_label(self) -> str:
        return display.count_label(self.offset, len(self.rows), self.total)

    @rx.var
    def has_previous(self) -> bool:
        return self.offset > 0

    @rx.var
    def has_next(self) -> bool:
        return self.offset + len(self.rows) < self.total

    @rx.var
    def is_filtered(self) -> bool:
        return bool(self.search) or self.period != ALL

    @rx.event
    def load(self):
        self.offset = 0
        self._refresh()

    @rx.event
    def refresh(self):
        self._refresh()

    def _filters(self) -> dict[str, Any]:
        column, descending, _ = SORTS.get(self.sort, SORTS["newest"])
        return {
            "search": self.search,
            "created_from": display.period_start(self.period),
            "sort": column,
            "descending": descending,
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
            display.log.exception("contacts: loading the list failed")
            self.error, self.loading = display.LOAD_FAILED, False
            return
        self.rows, self.total = [contact_row(c) for c in page.items], page.total
        self.error, self.loading, self.loaded = "", False, True
        if self.offset and not self.rows and self.total:
            self.offset = (self.total - 1) // PAGE_SIZE * PAGE_SIZE
            self._refresh()

    @rx.event
    def set_search(self, value: str):
        self.search, self.offset = value[:200], 0
        self._refresh()

    @rx.event
    def set_period(self, value: str | list[str]):
        value = _first(value)
        self.period, self.offset = (value if value in display.PERIODS else ALL), 0
        self._refresh()

    @rx.event
    def set_sort(self, value: str | list[str]):
        value = _first(value)
        self.sort, self.offset = (value if value in SORTS else "newest"), 0
        self._refresh()

    @rx.event
    def clear_filters(self):
        self.search, self.period, self.offset = "", ALL, 0
        self._refresh()

    @rx.event
    def next_page(self):
        if self.offset + len(self.rows) < self.total:
            self.offset += PAGE_SIZE
            self._refresh()

    @rx.event
    def previous_page(self):
        self.offset = max(0, self.offset - PAGE_SIZE)
        self._refresh()

    @rx.event
    def ask_delete(self, contact_id: str, name: str):
        self.delete_id, self.delete_name = contact_id, name or "this contact"

    @rx.event
    def cancel_delete(self):
        self.delete_id, self.delete_name = "", ""

    @rx.event
    def confirm_delete(self):
        contact_uuid = display.parse_id(self.delete_id)
        name = self.delete_name
        self.delete_id, self.delete_name = "", ""
        if not self._user_id or contact_uuid is None:
            return None
        try:
            with tenant_session(self.user_uuid) as session:
                deleted = delete_contact(
                    session=session, user_id=self.user_uuid, contact_id=contact_uuid
                )
        except sa.exc.SQLAlchemyError:
            display.log.exception("contacts: deleting failed")
            return rx.toast.error(display.SAVE_FAILED)
        self._refresh()
        return rx.toast.success(f"Deleted {name}." if deleted else "That contact was already gone.")

    @rx.event
    def export_csv(self):
        """Download the current filtered list, in its order, as CSV."""
        if not self._user_id:
            return None
        try:
            with tenant_session(self.user_uuid) as session:
                text = export_contacts_csv(
                    session=session, user_id=self.user_uuid, **self._filters()
                )
        except sa.exc.SQLAlchemyError:
            display.log.exception("contacts: export failed")
            return rx.toast.error(display.LOAD_FAILED)
        stamp = utcnow().strftime("%Y-%m-%d")
        return rx.download(data=text, filename=f"contacts-{stamp}.csv", mime_type="text/csv")
