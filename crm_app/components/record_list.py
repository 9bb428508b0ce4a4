"""What the lead and contact lists share: New / Import / Export, and Edit / Delete per row."""

from __future__ import annotations

from typing import Any

import reflex as rx

from crm_app import styles
from crm_app.state.csv_import import CsvImportState


def record_list_actions(noun: str, *, on_new: Any, on_export: Any) -> list[rx.Component]:
    """The header buttons of the list of `noun`s ("lead"): add one, import or export CSV."""
    return [
        rx.button(rx.icon("plus", size=16), f"New {noun}", on_click=on_new),
        rx.button(
            rx.icon("upload", size=16),
            "Import CSV",
            variant="soft",
            on_click=CsvImportState.open_for(f"{noun}s"),
        ),
        rx.button(rx.icon("download", size=16), "Export CSV", variant="soft", on_click=on_export),
    ]


def name_cell(name: Any, email: Any, *, href: Any) -> rx.Component:
    """The name (a link to the record) with the email under it, as the calls list shows a
    caller's number: one column fewer, so the table fits beside the sidebar and a name
    keeps its words whole."""
    return rx.table.cell(
        rx.vstack(
            rx.link(rx.cond(name != "", name, "(no name)"), href=href),
            rx.cond(
                email != "",
                rx.text(email, size="1", color=rx.color("gray", 11), data_testid="row-email"),
            ),
            spacing="0",
        ),
        **styles.name_cell,
    )


def edit_delete_buttons(name: Any, *, on_edit: Any, on_delete: Any) -> rx.Component:
    """A row's pencil and bin, named after the row for screen readers."""
    return rx.hstack(
        rx.icon_button(
            rx.icon("pencil", size=14),
            variant="ghost",
            size="1",
            aria_label=rx.Var.create("Edit ") + name,
            on_click=on_edit,
        ),
        rx.icon_button(
            rx.icon("trash-2", size=14),
            variant="ghost",
            color_scheme="red",
            size="1",
            aria_label=rx.Var.create("Delete ") + name,
            on_click=on_delete,
        ),
        spacing="3",
    )
