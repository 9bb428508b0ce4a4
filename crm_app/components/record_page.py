"""The page of one lead or one contact, from its RecordDetailMixin state.

Heading and actions, a details card beside the timeline, the delete
confirmation, and what shows while loading, on error or for an unknown id.
"""

from __future__ import annotations

from typing import Any

import reflex as rx

from crm_app import styles
from crm_app.components.controls import link_button
from crm_app.components.dialogs import confirm_delete
from crm_app.components.feedback import empty_state, error_callout, loading_line
from crm_app.components.timeline import note_form, timeline_panel
from crm_app.state.focus import PAGE_HEADING_ID


def detail_line(label: str, value: Any, test_id: str = "") -> rx.Component:
    """One labelled fact of the details card."""
    return rx.vstack(
        rx.text(label, size="1", color=rx.color("gray", 11)),
        rx.box(value, data_testid=test_id or None),
        spacing="0",
        width="100%",
    )


def or_dash(value: Any) -> Any:
    return rx.cond(value != "", value, "–")


def phone_link(phone: Any, tel: Any) -> rx.Component:
    """The number as written, dialled as stored (E.164: no spaces for the tel: URI)."""
    return rx.cond(phone != "", rx.link(phone, href="tel:" + tel), "–")


def email_link(email: Any) -> rx.Component:
    return rx.cond(email != "", rx.link(email, href="mailto:" + email), "–")


def notes_line(notes: Any) -> rx.Component:
    return detail_line(
        "Notes", rx.text(or_dash(notes), white_space="pre-wrap", word_break="break-word")
    )


def details_card(*lines: rx.Component) -> rx.Component:
    return rx.vstack(
        rx.heading("Details", size="4", as_="h2"), *lines, style=styles.card, spacing="3"
    )


def record_view(
    state: Any,
    *,
    name: Any,
    actions: rx.Component,
    details: rx.Component,
    edit_dialog: rx.Component,
) -> rx.Component:
    """The record: its name and actions, details beside the timeline, and its dialogs."""
    noun = state.NOUN
    return rx.vstack(
        rx.flex(
            rx.heading(
                rx.cond(name != "", name, "(no name)"),
                size="7",
                as_="h1",
                id=PAGE_HEADING_ID,
                tab_index=-1,
                # Beside the actions, the name takes the room they leave (basis 0, growing),
                # and a name with no spaces (200 characters) wraps in it rather than
                # pushing the actions off the page.
                flex_grow="1",
                flex_basis=rx.breakpoints(initial="auto", md="0"),
                min_width="0",
                overflow_wrap="anywhere",
            ),
            actions,
            direction=rx.breakpoints(initial="column", md="row"),
            spacing="3",
            width="100%",
        ),
        rx.grid(
            details,
            timeline_panel(
                state,
                note_form(
                    on_submit=state.save_note,
                    error=state.note_error,
                    key=state.note_key,
                    prefix=noun,
                ),
            ),
            columns=rx.breakpoints(initial="1", lg="2"),
            spacing="4",
            width="100%",
        ),
        edit_dialog,
        confirm_delete(
            open=state.confirming_delete,
            name=name,
            on_confirm=state.confirm_delete,
            on_cancel=state.set_confirming_delete(False),
            what=noun,
        ),
        spacing="4",
        width="100%",
    )


def delete_button(state: Any) -> rx.Component:
    """Asks first: the confirmation dialog of record_view does the deleting."""
    return rx.button(
        rx.icon("trash-2", size=16),
        "Delete",
        variant="soft",
        color_scheme="red",
        on_click=state.set_confirming_delete(True),
    )


def record_page(state: Any, *, list_title: str, view: rx.Component) -> rx.Component:
    """Back to the list, then the record once loaded, or why it cannot be shown."""
    noun, list_href = state.NOUN, f"/{state.NOUN}s"
    return rx.vstack(
        rx.link(
            rx.hstack(rx.icon("arrow-left", size=16), list_title, align="center"), href=list_href
        ),
        error_callout(state.error),
        loading_line(state.loading & ~state.loaded),
        rx.cond(
            state.loaded,
            rx.cond(
                state.not_found,
                empty_state(
                    f"{noun.capitalize()} not found",
                    "It may have been deleted, or the link is wrong.",
                    link_button(f"Back to {list_title.lower()}", href=list_href),
                    test_id=f"{noun}-not-found",
                    # All the page shows: its heading is the page's.
                    as_="h1",
                    id=PAGE_HEADING_ID,
                    tab_index=-1,
                ),
                view,
            ),
        ),
        spacing="4",
        width="100%",
        on_unmount=state.forget_shown,
    )
