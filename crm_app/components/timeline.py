"""A lead's or contact's timeline, newest first, with the form that adds a note."""

from __future__ import annotations

from typing import Any

import reflex as rx

from crm_app import styles
from crm_app.components.controls import field_label, when
from crm_app.state.record_detail import NOTE_GENERATION, note_field_id
from crm_app.state.timeline_rows import TimelineRow


def timeline_entry(row: TimelineRow) -> rx.Component:
    title = rx.text(row.title, size="2", weight="medium")
    return rx.hstack(
        rx.box(rx.icon(row.icon, size=16), padding_top="0.2em"),
        rx.vstack(
            rx.hstack(
                rx.cond(row.href != "", rx.link(title, href=row.href), title),
                when(row.occurred_at, font_size="0.8em", color=rx.color("gray", 11)),
                spacing="2",
                wrap="wrap",
                align="baseline",
            ),
            rx.cond(
                row.body != "",
                rx.text(row.body, size="2", white_space="pre-wrap", word_break="break-word"),
            ),
            spacing="1",
            min_width="0",
            width="100%",
        ),
        align="start",
        width="100%",
        padding_y="0.6em",
        border_bottom=f"1px solid {rx.color('gray', 4)}",
        data_testid=rx.Var.create("timeline-") + row.kind,
    )


def note_form(*, on_submit: Any, error: Any, key: Any, prefix: str) -> rx.Component:
    field_id = note_field_id(prefix)
    return rx.el.form(
        rx.vstack(
            field_label("Add a note", field_id),
            rx.text_area(
                id=field_id,
                name="body",
                rows="3",
                max_length=10_000,
                placeholder="What happened, what's next…",
                width="100%",
                required=True,
            ),
            rx.cond(error != "", rx.text(error, size="1", color=rx.color("red", 11), role="alert")),
            # Which form this is (it is replaced by a fresh one after each note):
            # a second submit of the same one is not a second note.
            rx.el.input(type="hidden", name=NOTE_GENERATION, value=key),
            rx.button("Add note", type="submit", size="2"),
            spacing="2",
            width="100%",
            align="start",
        ),
        on_submit=on_submit,
        key=key,
        width="100%",
    )


def timeline_panel(rows: Any, note: rx.Component) -> rx.Component:
    return rx.vstack(
        rx.heading("Timeline", size="4", as_="h2"),
        note,
        rx.cond(
            rows.length() > 0,
            rx.vstack(rx.foreach(rows, timeline_entry), spacing="0", width="100%"),
            rx.text(
                "Nothing yet: calls, SMS, automation runs, status changes and notes appear here.",
                size="2",
                color=rx.color("gray", 11),
            ),
        ),
        style=styles.card,
        spacing="3",
        data_testid="timeline",
    )
