"""Labelled form and list controls shared by the list pages: selects, search, pager, header."""

from __future__ import annotations

from typing import Any

import reflex as rx
from reflex.components.react_router.dom import ReactRouterLink

from crm_app import styles
from crm_app.state.focus import PAGE_HEADING_ID, PAGER_NEXT_ID, PAGER_PREVIOUS_ID

# How long a search box waits after the last keystroke before it asks the server.
# A person waits for it too: at 350 ms, last keystroke to table took over 400 ms on
# a 100,000-lead tenant (bench/lists_browser.py; the target is 300 ms). A fast
# typist's keystrokes still come closer together than this; a slower one's extra
# searches cost the server a query each (a tab's events run in order, and the box
# ignores the server's echo while the person is still typing).
SEARCH_DEBOUNCE_MS = 150


def link_button(text: str, *, href: str, **button_props: Any) -> rx.Component:
    """A link drawn as a button: one element, one Tab stop, announced as the link it is.

    rx.link(rx.button(...)) nests a button inside a link, which HTML forbids:
    two Tab stops for one action, and a "button" that navigates. The link
    stays the router's, so following it does not reload the app.
    """
    return rx.button(ReactRouterLink.create(text, to=href), as_child=True, **button_props)


def refresh_button(state: Any) -> rx.Component:
    """Reload a list that providers add to while it is open (calls, runs, webhook events)."""
    return rx.button(
        rx.icon("refresh-cw", size=16),
        "Refresh",
        variant="soft",
        on_click=state.refresh,
        loading=state.loading,
    )


def page_header(title: str, *actions: rx.Component, subtitle: Any = None) -> rx.Component:
    """The page's h1 and its main actions, wrapping under the title on phones."""
    return rx.flex(
        rx.vstack(
            rx.heading(title, size="7", as_="h1", id=PAGE_HEADING_ID, tab_index=-1),
            rx.box(subtitle, color=rx.color("gray", 11)) if subtitle is not None else rx.fragment(),
            spacing="1",
        ),
        rx.spacer(),
        rx.flex(*actions, spacing="2", wrap="wrap"),
        direction=rx.breakpoints(initial="column", sm="row"),
        align=rx.breakpoints(initial="start", sm="end"),
        spacing="3",
        width="100%",
    )


def field_label(text: str, html_for: str) -> rx.Component:
    return rx.el.label(text, html_for=html_for, font_size="0.85em", font_weight="500")


def labelled_select(
    label: str,
    options: list[tuple[str, str]] | Any,
    *,
    value: Any,
    on_change: Any,
    field_id: str,
    show_label: bool = True,
    all_label: str = "All",
    all_value: str = "all",
    pairs: bool = False,
    **props: Any,
) -> rx.Component:
    """A select with a visible label tied to it (or an aria-label when the label is hidden).

    options: (value, text) pairs, or a Var of strings shown as they are, except
    all_value (the menu's "no filter"), which reads all_label; with pairs, a Var
    of [value, text] pairs after all_label's item.
    """
    if isinstance(options, list):
        items = [rx.select.item(text, value=option) for option, text in options]
    elif pairs:
        items = [
            rx.select.item(all_label, value=all_value),
            rx.foreach(options, lambda pair: rx.select.item(pair[1], value=pair[0])),
        ]
    else:
        items = [
            rx.foreach(
                options,
                lambda option: rx.select.item(
                    rx.cond(option == all_value, all_label, option), value=option
                ),
            )
        ]
    select = rx.select.root(
        rx.select.trigger(id=field_id, aria_label=label, width="100%"),
        rx.select.content(*items),
        value=value,
        on_change=on_change,
        **props,
    )
    if not show_label:
        return select
    return rx.vstack(field_label(label, field_id), select, spacing="1", min_width="9em")


def search_box(
    label: str,
    *,
    value: Any,
    on_change: Any,
    field_id: str,
    placeholder: str = "Name, phone or email",
) -> rx.Component:
    """A search input, labelled, that asks the server once the typing pauses."""
    return rx.vstack(
        field_label(label, field_id),
        rx.debounce_input(
            rx.input(
                rx.input.slot(rx.icon("search", size=16)),
                id=field_id,
                value=value,
                on_change=on_change,
                type="search",
                placeholder=placeholder,
                width="100%",
                max_length=200,
            ),
            debounce_timeout=SEARCH_DEBOUNCE_MS,
        ),
        spacing="1",
        flex="1",
        min_width="14em",
    )


def filter_bar(*controls: rx.Component) -> rx.Component:
    """The row of filters above a list; it wraps on narrow screens."""
    return rx.flex(*controls, spacing="3", wrap="wrap", align="end", width="100%")


def pager(
    label: Any, *, has_previous: Any, has_next: Any, on_previous: Any, on_next: Any
) -> rx.Component:
    """ "1–50 of 1,234" with previous and next buttons."""
    return rx.hstack(
        rx.text(label, size="2", color=rx.color("gray", 11), data_testid="pager-label"),
        rx.spacer(),
        rx.button(
            rx.icon("chevron-left", size=16),
            "Previous",
            variant="soft",
            disabled=~has_previous,
            on_click=on_previous,
            id=PAGER_PREVIOUS_ID,
        ),
        rx.button(
            "Next",
            rx.icon("chevron-right", size=16),
            variant="soft",
            disabled=~has_next,
            on_click=on_next,
            id=PAGER_NEXT_ID,
        ),
        width="100%",
        align="center",
    )


def when(value: Any, *, seconds: bool = False, **props: Any) -> rx.Component:
    """An ISO timestamp shown in the viewer's own time zone ("" shows nothing).

    With seconds (the webhook audit trail, where many events share a minute),
    the exact moment in UTC shows on hover, to match against a provider's logs.
    """
    shown = rx.moment(value, format=f"YYYY-MM-DD HH:mm{':ss' if seconds else ''}", **props)
    if seconds:  # react-moment passes no title on: a span carries it
        shown = rx.el.span(shown, title=value)  # ISO 8601, +00:00
    return rx.cond(value != "", shown, rx.text("–", as_="span"))


def _header(title: str) -> rx.Component | str:
    """A column's title; the buttons' column ("") is named for screen readers only."""
    return title or rx.text.span("Actions", style=styles.visually_hidden)


def responsive_table(header: list[str], body: rx.Component, **props: Any) -> rx.Component:
    """A table that scrolls sideways on phones instead of squeezing its columns."""
    return rx.box(
        rx.table.root(
            rx.table.header(
                rx.table.row(*(rx.table.column_header_cell(_header(title)) for title in header))
            ),
            rx.table.body(body),
            variant="surface",
            size="2",
            width="100%",
            **props,
        ),
        overflow_x="auto",
        width="100%",
    )
