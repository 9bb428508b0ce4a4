"""A lead's or contact's timeline, newest first, with the form that adds a note.

Each note can be edited where it stands, or deleted after a question.
"""

from __future__ import annotations

import json
from typing import Any

import reflex as rx
from reflex.vars import FunctionStringVar

from crm_app import styles
from crm_app.components.controls import field_label, when
from crm_app.components.dialogs import DISCARD_QUESTION, confirm_delete
from crm_app.services.timeline import MAX_TIMELINE_ENTRIES
from crm_app.state.record_detail import (
    NOTE_EDIT_FIELD_ID,
    NOTE_GENERATION,
    NOTE_ID_FIELD,
    NOTE_VERSION_FIELD,
    note_edit_button_id,
    note_field_id,
)
from crm_app.state.timeline_rows import TimelineRow

# The edit form's error (one form is open at a time), which its field names.
NOTE_EDIT_ERROR_ID = "note-edit-error"
NOTE_EDIT_CANCEL_ID = "note-edit-cancel"
# True when the open edit's text was changed and the person, asked, chose to keep it (the
# field's default is the note as it was opened). Both ways of leaving an edit ask this.
_KEEPS_THE_CHANGED_EDIT = (
    "(field && field.value !== field.defaultValue"
    f" && !window.confirm({json.dumps(DISCARD_QUESTION)}))"
)
# Escape in the edit field is Cancel, as in the app's dialogs. Reflex calls a key handler
# with the key's name, not the event: the field is found by its id.
_CANCEL_ON_ESCAPE = FunctionStringVar.create(
    "((key) => { if (key !== 'Escape') return;"
    f" const field = document.getElementById({json.dumps(NOTE_EDIT_FIELD_ID)});"
    f" if ({_KEEPS_THE_CHANGED_EDIT}) return;"
    f" document.getElementById({json.dumps(NOTE_EDIT_CANCEL_ID)})?.click(); }})"
)
# Edit or Delete closes the note being edited (all but that note's own Edit): ask first,
# and on "keep it" stop the click in its capture phase, before the button's handler runs.
_NOTE_ENTRY = "data-note-entry"
_ASK_BEFORE_LEAVING_AN_EDIT = FunctionStringVar.create(
    "((event) => {"
    " const button = event.target.closest('button');"
    f" const field = document.getElementById({json.dumps(NOTE_EDIT_FIELD_ID)});"
    " if (!button || !field) return;"
    f" const entry = event.currentTarget.closest('[{_NOTE_ENTRY}]');"
    f" if (entry?.contains(field) && button.id === {json.dumps(note_edit_button_id(''))}"
    f" + entry.getAttribute('{_NOTE_ENTRY}')) return;"
    f" if ({_KEEPS_THE_CHANGED_EDIT}) {{ event.stopPropagation(); event.preventDefault(); }} }})"
)


def timeline_entry(row: TimelineRow, state: Any) -> rx.Component:
    """One entry; a note also has Edit and Delete (state: the page's RecordDetailMixin)."""
    title = rx.text(row.title, size="2", weight="medium")
    body = rx.cond(
        row.body != "",
        rx.text(
            row.body,
            id=_note_text_id(row),
            size="2",
            white_space="pre-wrap",
            word_break="break-word",
        ),
    )
    return rx.hstack(
        rx.box(rx.icon(row.icon, size=16), padding_top="0.2em"),
        rx.vstack(
            rx.hstack(
                rx.cond(row.href != "", rx.link(title, href=row.href), title),
                when(row.occurred_at, font_size="0.8em", color=rx.color("gray", 11)),
                rx.cond(row.kind == "note", _note_actions(row, state)),
                spacing="2",
                wrap="wrap",
                align="baseline",
                width="100%",
            ),
            rx.cond(state.editing_note == row.id, _note_edit_form(row, state), body),
            spacing="1",
            min_width="0",
            width="100%",
        ),
        align="start",
        width="100%",
        padding_y="0.6em",
        border_bottom=f"1px solid {rx.color('gray', 4)}",
        data_testid=rx.Var.create("timeline-") + row.kind,
        custom_attrs={_NOTE_ENTRY: row.id},
        # By id, not by place (foreach's default): a note added or deleted above another
        # does not hand that one's open form or focused button to its neighbour.
        key=row.id,
    )


def _note_text_id(row: TimelineRow) -> Any:
    return rx.Var.create("entry-text-") + row.id


def _note_actions(row: TimelineRow, state: Any) -> rx.Component:
    """Edit and Delete; Delete asks first, in the timeline's dialog (a note is gone for good).

    Every note has the two: each is described by its note's text, so a screen
    reader's list of buttons tells one note's from another's. Either asks before
    a changed edit is discarded (all but the edited note's own Edit).
    """
    return rx.hstack(
        rx.button(
            "Edit",
            size="1",
            variant="ghost",
            id=note_edit_button_id(row.id),
            on_click=state.start_editing_note(row.id),
            aria_label="Edit note",
            aria_describedby=_note_text_id(row),
        ),
        rx.button(
            "Delete",
            size="1",
            variant="ghost",
            color_scheme="red",
            on_click=state.ask_delete_note(row.id),
            aria_label="Delete note",
            aria_describedby=_note_text_id(row),
        ),
        spacing="3",
        margin_left="auto",
        custom_attrs={"onClickCapture": _ASK_BEFORE_LEAVING_AN_EDIT},
    )


def _note_edit_form(row: TimelineRow, state: Any) -> rx.Component:
    return rx.el.form(
        rx.vstack(
            rx.text_area(
                id=NOTE_EDIT_FIELD_ID,
                name="body",
                default_value=row.body,
                rows="3",
                max_length=10_000,
                required=True,
                auto_focus=True,
                aria_label="Note",
                aria_invalid=state.note_edit_error != "",
                aria_describedby=NOTE_EDIT_ERROR_ID,
                on_key_down=_CANCEL_ON_ESCAPE,
                width="100%",
            ),
            rx.cond(
                state.note_edit_error != "",
                rx.text(
                    state.note_edit_error,
                    id=NOTE_EDIT_ERROR_ID,
                    size="1",
                    color=rx.color("red", 11),
                    role="alert",
                ),
            ),
            # Which note: a save sent after the note was closed (a double click) is ignored.
            rx.el.input(type="hidden", name=NOTE_ID_FIELD, value=row.id),
            # Which text it replaces: a change another tab saved meanwhile is not lost unseen.
            rx.el.input(type="hidden", name=NOTE_VERSION_FIELD, value=row.version),
            rx.hstack(
                rx.button("Save note", type="submit", size="1"),
                rx.button(
                    "Cancel",
                    type="button",
                    id=NOTE_EDIT_CANCEL_ID,
                    size="1",
                    variant="soft",
                    color_scheme="gray",
                    on_click=state.stop_editing_note,
                ),
                spacing="2",
            ),
            spacing="2",
            width="100%",
            align="start",
        ),
        on_submit=state.save_edited_note,
        width="100%",
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


def timeline_panel(state: Any, note: rx.Component) -> rx.Component:
    """The timeline of the page's record (state: its RecordDetailMixin), below the note form."""
    rows = state.timeline
    return rx.vstack(
        rx.heading("Timeline", size="4", as_="h2"),
        note,
        rx.cond(
            rows.length() > 0,
            rx.vstack(
                rx.foreach(rows, lambda row: timeline_entry(row, state)),
                rx.cond(
                    state.timeline_has_older,
                    rx.button(
                        "Show older entries",
                        on_click=state.show_older_entries,
                        variant="soft",
                        size="2",
                        margin_top="0.75em",
                    ),
                ),
                rx.cond(
                    state.timeline_capped,
                    rx.text(
                        f"The newest {MAX_TIMELINE_ENTRIES:,} entries are shown.",
                        size="2",
                        color=rx.color("gray", 11),
                        margin_top="0.75em",
                    ),
                ),
                spacing="0",
                width="100%",
            ),
            rx.text(
                "Nothing yet: calls, SMS, automation runs, status changes and notes appear here.",
                size="2",
                color=rx.color("gray", 11),
            ),
        ),
        confirm_delete(
            open=state.deleting_note != "",
            name="this note",
            on_confirm=state.confirm_delete_note,
            on_cancel=state.keep_note,
            consequence="It cannot be brought back.",
        ),
        style=styles.card,
        spacing="3",
        data_testid="timeline",
    )
