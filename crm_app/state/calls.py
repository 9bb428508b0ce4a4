"""/calls: the user's calls with filters (provider, status, ended reason, period) and search."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Mapping
from typing import ClassVar

import reflex as rx
import sqlalchemy as sa

from crm_app.core.db import tenant_session
from crm_app.models import CallLog
from crm_app.models.call_log import customer_side
from crm_app.services.call_logs import (
    MAX_FILTER_OPTIONS,
    CallFilterOptions,
    call_filter_options,
    list_call_logs,
)
from crm_app.services.call_outcomes import OUTCOMES
from crm_app.services.linked_people import linked_names
from crm_app.state import display
from crm_app.state.auth import AuthState
from crm_app.state.list_page import (
    ALL,
    PAGE_SIZE,
    ListPageMixin,
    PeriodFilterMixin,
    SortMixin,
    chosen,
    first_value,
)
from crm_app.state.live_reload import LiveReloadMixin, is_live, shown_call_status


@dataclasses.dataclass
class CallRow:
    """A call as the list shows it."""

    id: str = ""
    # When the call was logged: what the list sorts and filters by, as the
    # dashboard counts it. A replayed or late event's call keeps its own start
    # time, which can be long before (started_at: on the detail, and where a
    # lead's or contact's timeline places the call).
    occurred_at: str = ""
    started_at: str = ""
    provider: str = ""
    direction: str = ""
    caller: str = ""
    number: str = ""
    status: str = ""
    ended_reason: str = ""  # in words (display.ended_reason)
    ended_reason_code: str = ""  # as the provider sent it
    duration: str = ""
    cost: str = ""
    lead_id: str = ""
    contact_id: str = ""
    # Still under way: its page reloads until it is over (state/live_reload.py).
    live: bool = False


def call_row(call: CallLog, names: Mapping[uuid.UUID, str] | None = None) -> CallRow:
    """The row; `names` (linked_people.linked_names) are the CRM's names for the call's people.

    The CRM's name comes first, the contact's before the lead's: it is the one
    the user keeps (a provider sends caller ID, or whatever its assistant was
    told); the provider's name, then the number, when the call is linked to no one.
    """
    names = names or {}
    known = names.get(call.contact_id) or names.get(call.lead_id)  # type: ignore[arg-type]
    began = call.started_at or call.created_at
    caller = known or call.customer_name or call.customer_number or display.UNKNOWN_CALLER
    number = customer_side(call) or ""
    return CallRow(
        id=str(call.id),
        occurred_at=display.iso(call.created_at),
        started_at=display.iso(call.started_at),
        provider=call.provider,
        direction=call.direction,
        # A lead made from a call goes by its number: written as people write numbers.
        caller=display.phone(caller),
        # Under the name; not again under a number (a lead made from a call goes by it).
        number="" if number == caller else display.phone(number),
        status=shown_call_status(call.status, began),
        ended_reason=display.ended_reason(call.ended_reason),
        ended_reason_code=call.ended_reason or "",
        duration=display.duration(call.duration_seconds),
        cost=display.money(call.cost),
        lead_id=str(call.lead_id) if call.lead_id else "",
        contact_id=str(call.contact_id) if call.contact_id else "",
        live=is_live(call.status, began),
    )


class CallsState(SortMixin, LiveReloadMixin, PeriodFilterMixin, ListPageMixin, AuthState):
    """The calls list for the logged-in user; filters and sort run in SQL."""

    SORTS: ClassVar[dict[str, tuple[str, bool, str]]] = {
        "newest": ("created_at", True, "Newest first"),
        "oldest": ("created_at", False, "Oldest first"),
        "longest": ("duration", True, "Longest first"),
        "costliest": ("cost", True, "Most expensive first"),
    }

    provider: str = ALL
    status: str = ALL
    ended_reason: str = ALL
    # Answered, not answered or in progress, as the dashboard counts them.
    outcome: str = ALL
    rows: list[CallRow] = []
    providers: list[str] = []
    statuses: list[str] = []
    ended_reasons: list[list[str]] = []  # [code, words]; the menu adds "Any reason"

    @rx.var
    def is_filtered(self) -> bool:
        chosen = (self.provider, self.status, self.ended_reason, self.outcome, self.period)
        return bool(self.search) or chosen != (ALL, ALL, ALL, ALL, ALL)

    @rx.var
    def shows_live_calls(self) -> bool:
        return self._shows_live()

    def _shows_live(self) -> bool:
        return any(row.live for row in self.rows)

    def _reload_live(self) -> None:
        # Not the filter menus' options: one may be open in the person's hand.
        self._refresh()

    @rx.event
    def load(self):
        """on_load: a link naming a period or an outcome (the dashboard's Calls, its
        "answered" and "not answered") shows exactly those calls, other filters cleared,
        from page 1; a plain visit (Back from a call) keeps the filters and the page."""
        params = self.router.url.query_parameters
        period = self._linked_period()
        followed_link = period is not None or "outcome" in params
        if followed_link:
            self.search, self.provider, self.status, self.ended_reason = "", ALL, ALL, ALL
            self.period = period or ALL
            linked = str(params.get("outcome") or "")
            self.outcome = linked if linked in OUTCOMES else ALL
            self.offset = 0
        zone_asked = self._load_in_viewer_zone()
        then = zone_asked if zone_asked is not None else self._keep_reloading_if_live()
        return self._after_link(followed_link, ("period", "outcome"), then)

    def _load_after_zone(self) -> None:
        self._refresh(with_options=True)

    @rx.event
    def refresh(self):
        """Load the current page again, and the filter menus (a new provider or status)."""
        self._refresh(with_options=True)

    def _refresh(self, with_options: bool = False) -> None:
        if not self._user_id:
            return
        self.loading = True
        try:
            with tenant_session(self.user_uuid) as session:
                if with_options:
                    options = call_filter_options(session=session, user_id=self.user_uuid)
                    self.providers = [ALL, *options.providers]
                    self.statuses = [ALL, *options.statuses]
                    self.ended_reasons = [
                        [reason, display.ended_reason_option(reason)]
                        for reason in options.ended_reasons
                    ]
                    self._drop_vanished_choices(options)
                page = list_call_logs(
                    session=session,
                    user_id=self.user_uuid,
                    search=self.search,
                    provider=chosen(self.provider),
                    status=chosen(self.status),
                    ended_reason=chosen(self.ended_reason),
                    outcome=chosen(self.outcome),
                    created_from=self._created_from(),
                    offset=self.offset,
                    limit=PAGE_SIZE,
                    **self._sort_keywords(),
                )
                names = linked_names(session=session, user_id=self.user_uuid, records=page.items)
        except sa.exc.SQLAlchemyError:
            self._load_failed("calls")
            return
        self.rows, self.total = [call_row(call, names) for call in page.items], page.total
        self._load_succeeded()
        if self._past_the_end():
            self._refresh()

    def _drop_vanished_choices(self, options: CallFilterOptions) -> None:
        """Back to "all" for a menu whose choice no call has any more ("ringing", once every
        call has ended): the menu cannot show it, and would go blank yet still empty the list.
        Not when the menu holds only the first MAX_FILTER_OPTIONS values: it may be further on."""
        menus = (
            ("provider", options.providers),
            ("status", options.statuses),
            ("ended_reason", options.ended_reasons),
        )
        for name, offered in menus:
            chosen = getattr(self, name)
            if chosen != ALL and chosen not in offered and len(offered) < MAX_FILTER_OPTIONS:
                setattr(self, name, ALL)
                self.offset = 0

    @rx.event
    def set_provider(self, value: str | list[str]):
        self.provider, self.offset = first_value(value)[:20] or ALL, 0
        self._refresh()

    @rx.event
    def set_status(self, value: str | list[str]):
        self.status, self.offset = first_value(value)[:30] or ALL, 0
        self._refresh()

    @rx.event
    def set_ended_reason(self, value: str | list[str]):
        self.ended_reason, self.offset = first_value(value)[:100] or ALL, 0
        self._refresh()

    @rx.event
    def set_outcome(self, value: str | list[str]):
        value = first_value(value)
        self.outcome, self.offset = (value if value in OUTCOMES else ALL), 0
        self._refresh()

    @rx.event
    def clear_filters(self):
        self.search, self.offset = "", 0
        self.provider = self.status = self.ended_reason = self.outcome = self.period = ALL
        self._refresh()
