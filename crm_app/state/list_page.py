"""What every list page's state shares: search, pages, loading and error, the period filter.

Page states mix these in before AuthState (`class CallsState(ListPageMixin, AuthState)`),
so AuthState stays their parent state and the session middleware resets them
with it. Each page still declares its own `rows` (typed for its table) and its
own `_refresh`, which runs the page's query.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

import reflex as rx

from crm_app.state import display
from crm_app.state.address_bar import forget_parameters
from crm_app.state.focus import PAGER_NEXT_ID, PAGER_PREVIOUS_ID, focus_if_lost
from crm_app.state.viewer_zone import ViewerZoneMixin

PAGE_SIZE = 25
# The "no filter" value of every filter menu.
ALL = "all"


def chosen(value: str) -> str | None:
    """A filter menu's value for a service: None when the menu says "all"."""
    return None if value == ALL else value


def first_value(value: str | list[str]) -> str:
    """A select's value: Reflex may hand over a one-item list instead of the string."""
    return value if isinstance(value, str) else (value or [""])[0]


class ListPageMixin(rx.State, mixin=True):
    """Search, one page of rows at a time, and whether the page loaded or failed."""

    search: str = ""
    offset: int = 0
    total: int = 0
    loading: bool = False
    loaded: bool = False
    error: str = ""

    @rx.var
    def count_label(self) -> str:
        return display.count_label(self.offset, len(self.rows), self.total)

    @rx.var
    def has_previous(self) -> bool:
        return self.offset > 0

    @rx.var
    def has_next(self) -> bool:
        return self.offset + len(self.rows) < self.total

    def _refresh(self) -> None:
        """Load the current page of rows; each page runs its own query."""
        raise NotImplementedError

    def _load_failed(self, page: str) -> None:
        """Show the page's error; the cause goes to the log, never to the browser."""
        display.log.exception("%s: loading the list failed", page)
        self.error, self.loading = display.LOAD_FAILED, False

    def _load_succeeded(self) -> None:
        self.error, self.loading, self.loaded = "", False, True

    def _past_the_end(self) -> bool:
        """Move to the last page when this one emptied (rows deleted meanwhile).

        True when that page has rows to load; when nothing is left the list is
        simply back on page 1, with no Previous to a page that is gone.
        """
        if not self.offset or self.rows:
            return False
        self.offset = max(self.total - 1, 0) // PAGE_SIZE * PAGE_SIZE
        return self.total > 0

    @rx.event
    def refresh(self):
        """Load the current page again: what arrived since (a call, a webhook) shows."""
        self._refresh()

    @rx.event
    def set_search(self, value: str):
        self.search, self.offset = value[:200], 0
        self._refresh()

    @rx.event
    def next_page(self):
        if self.offset + len(self.rows) < self.total:
            self.offset += PAGE_SIZE
            self._refresh()
        # On the last page Next is disabled under the focus: Previous takes it.
        return focus_if_lost(PAGER_PREVIOUS_ID)

    @rx.event
    def previous_page(self):
        self.offset = max(0, self.offset - PAGE_SIZE)
        self._refresh()
        return focus_if_lost(PAGER_NEXT_ID)


class SortMixin(rx.State, mixin=True):
    """A list's sort menu: the page sets SORTS, value -> (column, descending, label)."""

    # "newest" is every list's default.
    SORTS: ClassVar[dict[str, tuple[str, bool, str]]]

    sort: str = "newest"

    def _sort_keywords(self) -> dict[str, Any]:
        """The chosen order as its list service's sort and descending keywords."""
        column, descending, _ = self.SORTS.get(self.sort, self.SORTS["newest"])
        return {"sort": column, "descending": descending}

    @rx.event
    def set_sort(self, value: str | list[str]):
        value = first_value(value)
        self.sort, self.offset = (value if value in self.SORTS else "newest"), 0
        self._refresh()


class PeriodFilterMixin(ViewerZoneMixin, mixin=True):
    """The "created in the last N days" menu of a list (display.PERIODS), in calendar days.

    The same days as the dashboard's (services/calendar_days), so a figure
    there and its list here count the same rows. The page's on_load ends with
    _load_in_viewer_zone, and its first load is _load_after_zone.
    """

    period: str = ALL

    def _linked_period(self) -> str | None:
        """The period a link named (?period=7: the dashboard's figures), or None."""
        params = self.router.url.query_parameters
        if "period" not in params:
            return None
        value = str(params.get("period") or "")
        return value if value in display.PERIODS else ALL

    def _after_link(self, followed_link: bool, parameters: tuple[str, ...], then: Any) -> Any:
        """What on_load returns: `then`, and, after a link's filters were applied, their
        removal from the address bar. Applied once: Back to the page (from a record
        opened from it) or a reload then keeps what the person chose since, as a plain
        visit does, instead of the link's filters and page 1 again."""
        if not followed_link:
            return then
        return [event for event in (then, forget_parameters(*parameters)) if event is not None]

    def _created_from(self) -> datetime | None:
        """Where the chosen period begins, for the service's created_from."""
        return self._period_start(self.period)

    @rx.event
    def set_period(self, value: str | list[str]):
        value = first_value(value)
        self.period, self.offset = (value if value in display.PERIODS else ALL), 0
        self._refresh()
