"""/leads: the list (search, filters, sort, pages), the pipeline board, status, delete, export."""

from __future__ import annotations

import dataclasses
import uuid
from typing import Any, ClassVar

import reflex as rx
import sqlalchemy as sa
from sqlmodel import Session

from crm_app.core.db import tenant_session
from crm_app.models import LEAD_STATUSES, Lead
from crm_app.services.csv_io import export_leads_csv
from crm_app.services.errors import InvalidInput, StatusMovedOn
from crm_app.services.leads import delete_lead, list_leads
from crm_app.services.pipeline import (
    MAX_SOURCES,
    change_lead_status,
    list_lead_sources,
    pipeline_board,
)
from crm_app.state import display
from crm_app.state.auth import AuthState
from crm_app.state.list_page import (
    ALL,
    PAGE_SIZE,
    ListPageMixin,
    PeriodFilterMixin,
    chosen,
    first_value,
)
from crm_app.state.record_list import RecordListMixin

CARDS_PER_STATUS = 12
# The source menu's "no filter" value. Not ALL ("all"): sources are free text and
# one may well be "all"; stored sources are stripped, so none starts with a space.
ANY_SOURCE = " any"
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
    phone: str = ""  # as written (display.phone)
    tel: str = ""  # as stored, for tel: links
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
    # The total as shown: "5,014", like the list's counter.
    total_label: str = ""


def lead_row(lead: Lead) -> LeadRow:
    return LeadRow(
        id=str(lead.id),
        name=display.phone(lead.name),  # a lead made from a call goes by its number
        phone=display.phone(lead.phone),
        tel=lead.phone or "",
        email=lead.email or "",
        status=lead.status,
        source=lead.source,
        created_at=display.iso(lead.created_at),
    )


class LeadsState(RecordListMixin, PeriodFilterMixin, ListPageMixin, AuthState):
    """The leads list and board for the logged-in user; every filter runs in SQL."""

    NOUN: ClassVar[str] = "lead"
    SORTS: ClassVar[dict[str, tuple[str, bool, str]]] = SORTS

    status: str = ALL
    source: str = ANY_SOURCE
    view: str = "table"
    rows: list[LeadRow] = []
    board: list[BoardColumn] = []
    board_total: int = 0  # leads in every column together
    sources: list[str] = []

    def _status_filter(self) -> str:
        """The status menu's choice, which only the table shows: the board has every status."""
        return self.status if self.view == "table" else ALL

    @rx.var
    def is_filtered(self) -> bool:
        unfiltered = (ALL, ANY_SOURCE, ALL)
        # As _status_filter, written out: Reflex tracks what a var reads in its own body.
        status = self.status if self.view == "table" else ALL
        return bool(self.search) or (status, self.source, self.period) != unfiltered

    @rx.var
    def source_options(self) -> list[str]:
        return [ANY_SOURCE, *self.sources]

    @rx.event
    def load(self):
        """on_load: ?status=won&source=vapi&period=7 (dashboard links) set the filters.

        A link that names filters shows exactly those (its count is the one the
        link showed), from page 1; a plain visit (Back, "← Leads", the sidebar)
        keeps the filters and the page the tab last had, like a list one comes
        back to. _refresh moves to the last page if that one has emptied meanwhile.
        """
        if not self._user_id:
            return None
        self._forget_dialogs()
        params = self.router.url.query_parameters
        linked_filters = ("status", "source", "period")
        followed_link = any(name in params for name in linked_filters)
        if followed_link:
            self.search, self.status, self.source, self.period = "", ALL, ANY_SOURCE, ALL
            self.offset = 0
        if "status" in params:
            status = str(params.get("status") or "")
            self.status = status if status in LEAD_STATUSES else ALL
            if self.status != ALL:  # the board shows every status, and no status menu
                self.view = "table"
        if "source" in params:
            self.source = str(params.get("source") or "")[:50] or ANY_SOURCE
        self.period = self._linked_period() or self.period
        return self._after_link(followed_link, linked_filters, self._load_in_viewer_zone())

    def _load_after_zone(self) -> None:
        self._refresh(with_sources=True)

    @rx.event
    def refresh(self):
        """Reload the current page (after a change elsewhere)."""
        self._refresh(with_sources=True)

    def _filters(self) -> dict[str, Any]:
        return {
            "search": self.search,
            # On the board, Export is every status, as shown, not the hidden menu's choice.
            "status": chosen(self._status_filter()),
            "source": None if self.source == ANY_SOURCE else self.source,
            "created_from": self._created_from(),
            **self._sort_keywords(),
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
                    self._drop_vanished_source()
                if self.view == "board":
                    filters = self._filters()
                    columns = pipeline_board(
                        session=session,
                        user_id=user_id,
                        search=filters["search"],
                        source=filters["source"],
                        created_from=filters["created_from"],
                        per_status=CARDS_PER_STATUS,
                        sort=filters["sort"],
                        descending=filters["descending"],
                    )
                    self.board = [
                        BoardColumn(
                            c.status, c.total, [lead_row(lead) for lead in c.leads], f"{c.total:,}"
                        )
                        for c in columns
                    ]
                    self.board_total = sum(column.total for column in self.board)
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
            self._load_failed("leads")
            return
        self._load_succeeded()
        if self._past_the_end():
            self._refresh()

    def _drop_vanished_source(self) -> None:
        """Back to all sources once no lead has the chosen one (its last was deleted or edited).

        A source is one whatever its case (services/lead_sources): the chosen one
        takes the menu's spelling ("yelp" from a link is "Yelp" there).
        """
        # The menu cannot show a value it no longer offers: the filter would go blank
        # yet still empty the list, with nothing on the page to say why.
        if self.source == ANY_SOURCE:
            return
        chosen = self.source.lower()
        offered = next((source for source in self.sources if source.lower() == chosen), None)
        if offered is not None:
            self.source = offered
            return
        if len(self.sources) >= MAX_SOURCES:
            return  # only the most used sources were read: the chosen one may still exist
        self.source, self.offset = ANY_SOURCE, 0

    # --- filters

    @rx.event
    def set_status(self, value: str | list[str]):
        value = first_value(value)
        self.status, self.offset = (value if value in LEAD_STATUSES else ALL), 0
        self._refresh()

    @rx.event
    def set_source(self, value: str | list[str]):
        self.source, self.offset = (first_value(value)[:50] or ANY_SOURCE), 0
        self._refresh()

    @rx.event
    def set_view(self, value: str | list[str]):
        self.view = "board" if first_value(value) == "board" else "table"
        self._refresh()

    @rx.event
    def clear_filters(self):
        self.search, self.status, self.source = "", ALL, ANY_SOURCE
        self.period, self.offset = ALL, 0
        self._refresh()

    # --- changes

    @rx.event
    def change_status(self, lead_id: str, status: str, shown: str):
        """Move a lead to another status from the list or the board, from the status its row
        or card showed."""
        lead_uuid = display.parse_id(lead_id)
        if not self._user_id or lead_uuid is None:
            return None
        try:
            with tenant_session(self.user_uuid) as session:
                lead = change_lead_status(
                    session=session,
                    user_id=self.user_uuid,
                    lead_id=lead_uuid,
                    status=status,
                    shown=shown,
                )
        except StatusMovedOn as moved:
            self._refresh()  # the row or card shows where it is now
            return rx.toast.warning(f"Status not changed: {moved.errors['status']}")
        except InvalidInput as error:
            return rx.toast.error(f"Status not changed: {error}")
        except sa.exc.SQLAlchemyError:
            display.log.exception("leads: changing a status failed")
            return rx.toast.error(display.SAVE_FAILED)
        self._refresh()
        if lead is None:
            return rx.toast.error("That lead no longer exists.")
        return rx.toast.success(f"{display.phone(lead.name) or 'Lead'} is now {lead.status}.")

    # --- what RecordListMixin's delete and export run

    def _delete(self, session: Session, record_id: uuid.UUID) -> bool:
        return delete_lead(session=session, user_id=self.user_uuid, lead_id=record_id)

    def _refresh_after_delete(self) -> None:
        self._refresh(with_sources=True)  # the deleted lead may have held the last of a source

    def _export(self, session: Session) -> str:
        return export_leads_csv(session=session, user_id=self.user_uuid, **self._filters())
