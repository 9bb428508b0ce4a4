"""/leads: the list (search, filters, sort, pages), the pipeline board, status, delete, export."""

from __future__ import annotations

import dataclasses
from typing import Any

import reflex as rx
import sqlalchemy as sa

from crm_app.core.db import tenant_session
from crm_app.models import LEAD_STATUSES, Lead
from crm_app.models.base import utcnow
from crm_app.services.csv_io import export_leads_csv
from crm_app.services.errors import InvalidInput
from crm_app.services.leads import delete_lead, list_leads
from crm_app.services.pipeline import change_lead_status, list_lead_sources, pipeline_board
from crm_app.state import display
from crm_app.state.auth import AuthState

PAGE_SIZE = 25
CARDS_PER_STATUS = 12
ALL = "all"
# The sort menu: value -> (column, descending, label).
SORTS = {
    "newest": ("created_at", True, "Newest first"),
    "oldest": ("created_at", False, "Oldest first"),
    "updated": ("updated_at", True, "Recently changed"),
    "name": ("name", False, "Name A–Z"),
    "name_desc": ("name", True, "Name Z–A"),
    "status": ("status", False, "Status"),
    "source": ("source", False, "Source"),
}


@dataclasses.dataclass
class LeadRow:
    """A lead as the list and the board show it."""

    id: str = ""
    name: str = ""
    phone: str = ""
    email: str = ""
    status: str = ""
    source: str = ""
    created_at: str = ""


@dataclasses.dataclass
class BoardColumn:
    """One status of the pipeline board."""

    status: str = ""
    total: int = 0
    leads: list[LeadRow] = dataclasses.field(default_factory=list)


def lead_row(lead: Lead) -> LeadRow:
    return LeadRow(
        id=str(lead.id),
        name=lead.name,
        phone=lead.phone or "",
        email=lead.email or "",
        status=lead.status,
        source=lead.source,
        created_at=display.iso(lead.created_at),
    )


def _first(value: str | list[str]) -> str:
    return value if isinstance(value, str) else (value or [""])[0]


class LeadsState(AuthState):
    """The leads list and board for the logged-in user; every filter runs in SQL."""

    search: str = ""
    status: str = ALL
    source: str = ALL
    period: str = ALL
    sort: str = "newest"
    view: str = "table"
    offset: int = 0
    total: int = 0
    rows: list[LeadRow] = []
    board: list[BoardColumn] = []
    sources: list[str] = []
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
        return bool(self.search) or (self.status, self.source, self.period) != (ALL, ALL, ALL)

    @rx.var
    def source_options(self) -> list[str]:
        return [ALL, *self.sources]

    @rx.event
    def load(self):
        """on_load: the first page; ?status=won&source=vapi (dashboard links) set those filters.

        Other filters stay as the tab last had them, like the list it returns to.
        """
        if not self._user_id:
            return
        params = self.router.url.query_parameters
        if "status" in params:
            status = str(params.get("status") or "")
            self.status = status if status in LEAD_STATUSES else ALL
        if "source" in params:
            self.source = str(params.get("source") or "")[:50] or ALL
        self.offset = 0
        self._refresh(with_sources=True)

    @rx.event
    def refresh(self):
        """Reload the current page (after a change elsewhere)."""
        self._refresh(with_sources=True)

    def _filters(self) -> dict[str, Any]:
        column, descending, _ = SORTS.get(self.sort, SORTS["newest"])
        return {
            "search": self.search,
            "status": None if self.status == ALL else self.status,
            "source": None if self.source == ALL else self.source,
            "created_from": display.period_start(self.period),
            "sort": column,
            "descending": descending,
        }

    def _refresh(self, with_sources: bool = False) -> None:
        if not self._user_id:
            return
        self.loading = True
        user_id = self.user_uuid
        try:
            with tenant_session(user_id) as session:
                if with_sources:
                    self.sources = list_lead_sources(session=session, user_id=user_id)
                if self.view == "board":
                    filters = self._filters()
                    columns = pipeline_board(
                        session=session,
                        user_id=user_id,
                        search=filters["search"],
                        source=filters["source"],
                        created_from=filters["created_from"],
                        per_status=CARDS_PER_STATUS,
                    )
                    self.board = [
                        BoardColumn(c.status, c.total, [lead_row(lead) for lead in c.leads])
                        for c in columns
                    ]
                else:
                    page = list_leads(
                        session=session,
                        user_id=user_id,
                        offset=self.offset,
                        limit=PAGE_SIZE,
                        **self._filters(),
                    )
                    self.rows = [lead_row(lead) for lead in page.items]
                    self.total = page.total
        except sa.exc.SQLAlchemyError:
            display.log.exception("leads: loading the list failed")
            self.error, self.loading = display.LOAD_FAILED, False
            return
        self.error, self.loading, self.loaded = "", False, True
        if self.offset and not self.rows and self.total:  # the last page shrank under us
            self.offset = (self.total - 1) // PAGE_SIZE * PAGE_SIZE
            self._refresh()

    # --- filters and pages

    @rx.event
    def set_search(self, value: str):
        self.search, self.offset = value[:200], 0
        self._refresh()

    @rx.event
    def set_status(self, value: str | list[str]):
        value = _first(value)
        self.status, self.offset = (value if value in LEAD_STATUSES else ALL), 0
        self._refresh()

    @rx.event
    def set_source(self, value: str | list[str]):
        self.source, self.offset = (_first(value)[:50] or ALL), 0
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
    def set_view(self, value: str | list[str]):
        self.view = "board" if _first(value) == "board" else "table"
        self._refresh()

    @rx.event
    def clear_filters(self):
        self.search, self.status, self.source, self.period, self.offset = "", ALL, ALL, ALL, 0
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

    # --- changes

    @rx.event
    def change_status(self, lead_id: str, status: str):
        """Move a lead to another status from the list or the board."""
        lead_uuid = display.parse_id(lead_id)
        if not self._user_id or lead_uuid is None:
            return None
        try:
            with tenant_session(self.user_uuid) as session:
                lead = change_lead_status(
                    session=session, user_id=self.user_uuid, lead_id=lead_uuid, status=status
                )
        except InvalidInput as error:
            return rx.toast.error(f"Status not changed: {error}")
        except sa.exc.SQLAlchemyError:
            display.log.exception("leads: changing a status failed")
            return rx.toast.error(display.SAVE_FAILED)
        self._refresh()
        if lead is None:
            return rx.toast.error("That lead no longer exists.")
        return rx.toast.success(f"{lead.name or 'Lead'} is now {lead.status}.")

    @rx.event
    def ask_delete(self, lead_id: str, name: str):
        self.delete_id, self.delete_name = lead_id, name or "this lead"

    @rx.event
    def cancel_delete(self):
        self.delete_id, self.delete_name = "", ""

    @rx.event
    def confirm_delete(self):
        lead_uuid = display.parse_id(self.delete_id)
        name = self.delete_name
        self.delete_id, self.delete_name = "", ""
        if not self._user_id or lead_uuid is None:
            return None
        try:
            with tenant_session(self.user_uuid) as session:
                deleted = delete_lead(session=session, user_id=self.user_uuid, lead_id=lead_uuid)
        except sa.exc.SQLAlchemyError:
            display.log.exception("leads: deleting a lead failed")
            return rx.toast.error(display.SAVE_FAILED)
        self._refresh(with_sources=True)
        return rx.toast.success(f"Deleted {name}." if deleted else "That lead was already gone.")

    @rx.event
    def export_csv(self):
        """Download the current filtered list, in its order, as CSV."""
        if not self._user_id:
            return None
        try:
            with tenant_session(self.user_uuid) as session:
                text = export_leads_csv(session=session, user_id=self.user_uuid, **self._filters())
        except sa.exc.SQLAlchemyError:
            display.log.exception("leads: export failed")
            return rx.toast.error(display.LOAD_FAILED)
        stamp = utcnow().strftime("%Y-%m-%d")
        return rx.download(data=text, filename=f"leads-{stamp}.csv", mime_type="text/csv")
