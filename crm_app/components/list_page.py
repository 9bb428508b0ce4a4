"""The parts every list page builds from its ListPageMixin state: status, table, pager, menus.

`state` is the page's state class (LeadsState, CallsState, ...): these read its
vars and call its handlers, so a page passes only what differs.
"""

from __future__ import annotations

from typing import Any

import reflex as rx

from crm_app.components.controls import labelled_select, pager, responsive_table
from crm_app.components.feedback import empty_state, error_callout, loading_line
from crm_app.state.display import PERIODS
from crm_app.state.list_page import ALL


def list_status(state: Any) -> rx.Component:
    """The load error, or the spinner until the first page has arrived."""
    return rx.fragment(
        error_callout(state.error),
        loading_line(state.loading & ~state.loaded),
    )


def paged_table(
    state: Any, header: list[str], row: Any, *, test_id: str, empty: rx.Component
) -> rx.Component:
    """The rows of the current page with the pager; `empty` once the list proves empty."""
    return rx.cond(
        state.loaded & (state.total == 0),
        empty,
        rx.vstack(
            responsive_table(header, rx.foreach(state.rows, row), data_testid=test_id),
            pager(
                state.count_label,
                has_previous=state.has_previous,
                has_next=state.has_next,
                on_previous=state.previous_page,
                on_next=state.next_page,
            ),
            spacing="3",
            width="100%",
        ),
    )


def empty_list(state: Any, *, no_match: tuple[str, str], nothing_yet: rx.Component) -> rx.Component:
    """Why the list is empty: the filters (with a way to clear them), or no rows at all yet."""
    title, hint = no_match
    return rx.cond(
        state.is_filtered,
        empty_state(
            title, hint, rx.button("Clear filters", variant="soft", on_click=state.clear_filters)
        ),
        nothing_yet,
    )


def period_select(state: Any, *, label: str, all_time: str, field_id: str) -> rx.Component:
    """The last 7, 30 or 90 days, or all of them (all_time names that choice)."""
    return labelled_select(
        label,
        [(ALL, all_time), *list(PERIODS.items())[:3]],
        value=state.period,
        on_change=state.set_period,
        field_id=field_id,
    )


def sort_select(state: Any, *, field_id: str) -> rx.Component:
    """The sort menu of a SortMixin state, from its SORTS."""
    return labelled_select(
        "Sort",
        [(key, label) for key, (_, _, label) in state.SORTS.items()],
        value=state.sort,
        on_change=state.set_sort,
        field_id=field_id,
    )
