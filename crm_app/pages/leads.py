"""/leads: search, filter, sort and page through leads; a pipeline board; import and export."""

from __future__ import annotations

import reflex as rx

from crm_app import styles
from crm_app.components.controls import filter_bar, labelled_select, page_header, search_box, when
from crm_app.components.csv_import import csv_import_dialog
from crm_app.components.dialogs import confirm_delete
from crm_app.components.feedback import empty_state
from crm_app.components.list_page import (
    empty_list,
    list_status,
    paged_table,
    period_select,
    sort_select,
)
from crm_app.components.record_forms import lead_dialog
from crm_app.components.record_list import edit_delete_buttons, name_cell, record_list_actions
from crm_app.layouts.guarded import guarded_page
from crm_app.models import LEAD_STATUSES
from crm_app.state.csv_import import CsvImportState
from crm_app.state.lead_form import LeadFormState
from crm_app.state.leads import ALL, ANY_SOURCE, BoardColumn, LeadRow, LeadsState

STATUS_OPTIONS = [
    (ALL, "All statuses"),
    *((status, status.capitalize()) for status in LEAD_STATUSES),
]
STATUS_CHOICES = [(status, status) for status in LEAD_STATUSES]


def status_picker(lead: LeadRow) -> rx.Component:
    """The lead's status, changeable in place."""
    return labelled_select(
        rx.Var.create("Status of ") + lead.name,
        STATUS_CHOICES,
        value=lead.status,
        on_change=lambda status: LeadsState.change_status(lead.id, status, lead.status),
        field_id=rx.Var.create("status-") + lead.id,
        show_label=False,
        size="1",
    )


def lead_table_row(lead: LeadRow) -> rx.Component:
    return rx.table.row(
        name_cell(lead.name, lead.email, href="/leads/" + lead.id),
        rx.table.cell(lead.phone, white_space="nowrap"),
        rx.table.cell(status_picker(lead)),
        rx.table.cell(lead.source, **styles.text_cell),
        rx.table.cell(when(lead.created_at), white_space="nowrap"),
        rx.table.cell(
            edit_delete_buttons(
                lead.name,
                on_edit=LeadFormState.open_edit(lead.id),
                on_delete=LeadsState.ask_delete(lead.id, lead.name),
            )
        ),
        data_testid="lead-row",
    )


def board_card(lead: LeadRow) -> rx.Component:
    return rx.vstack(
        rx.link(
            rx.cond(lead.name != "", lead.name, "(no name)"),
            href="/leads/" + lead.id,
            weight="medium",
            overflow_wrap="anywhere",  # a name with no spaces stays in its column
        ),
        rx.text(
            rx.cond(lead.phone != "", lead.phone, lead.email),
            size="1",
            color=rx.color("gray", 11),
            overflow_wrap="anywhere",
        ),
        labelled_select(
            rx.Var.create("Move ") + lead.name + " to",
            STATUS_CHOICES,
            value=lead.status,
            on_change=lambda status: LeadsState.change_status(lead.id, status, lead.status),
            field_id=rx.Var.create("move-") + lead.id,
            show_label=False,
            size="1",
        ),
        spacing="1",
        padding="0.75em",
        border=f"1px solid {rx.color('gray', 5)}",
        border_radius="0.5em",
        background=rx.color("gray", 2),
        width="100%",
        min_width="0",
        data_testid="board-card",
    )


def board_column(column: BoardColumn) -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.heading(column.status, size="3", as_="h2", text_transform="capitalize"),
            rx.badge(column.total_label, variant="soft", high_contrast=True),
            align="center",
        ),
        rx.foreach(column.leads, board_card),
        rx.cond(
            column.total > column.leads.length(),
            rx.button(
                rx.text.span("All ", column.total_label, " in the list"),
                variant="ghost",
                size="1",
                on_click=[LeadsState.set_status(column.status), LeadsState.set_view("table")],
            ),
        ),
        spacing="2",
        padding="0.75em",
        border_radius="0.75em",
        background=rx.color("gray", 3),
        min_width="0",
        data_testid=rx.Var.create("board-column-") + column.status,
    )


def board_view() -> rx.Component:
    return rx.grid(
        rx.foreach(LeadsState.board, board_column),
        columns=rx.breakpoints(initial="1", sm="2", lg="5"),
        spacing="3",
        width="100%",
        data_testid="pipeline-board",
    )


def filters() -> rx.Component:
    return filter_bar(
        search_box(
            "Search leads",
            value=LeadsState.search,
            on_change=LeadsState.set_search,
            field_id="leads-search",
        ),
        rx.cond(  # the board shows every status side by side
            LeadsState.view == "table",
            labelled_select(
                "Status",
                STATUS_OPTIONS,
                value=LeadsState.status,
                on_change=LeadsState.set_status,
                field_id="leads-status",
            ),
        ),
        labelled_select(
            "Source",
            LeadsState.source_options,
            value=LeadsState.source,
            on_change=LeadsState.set_source,
            field_id="leads-source",
            all_label="All sources",
            all_value=ANY_SOURCE,
        ),
        period_select(LeadsState, label="Created", all_time="Any time", field_id="leads-period"),
        sort_select(LeadsState, field_id="leads-sort"),
        rx.segmented_control.root(
            rx.segmented_control.item("Table", value="table"),
            rx.segmented_control.item("Board", value="board"),
            value=LeadsState.view,
            on_change=LeadsState.set_view,
            aria_label="View",
        ),
    )


def no_leads() -> rx.Component:
    return empty_list(
        LeadsState,
        no_match=("No leads match", "Try another search or fewer filters."),
        nothing_yet=empty_state(
            "No leads yet",
            "Add a lead, import a CSV file, or connect Vapi or Make.com on the Integrations "
            "page so leads arrive by themselves.",
            rx.button("New lead", on_click=LeadFormState.open_new),
            rx.button("Import CSV", variant="soft", on_click=CsvImportState.open_for("leads")),
            test_id="leads-empty",
        ),
    )


@guarded_page(
    route="/leads",
    title="Leads",
    on_load=[
        LeadsState.load,
        LeadFormState.open_from_query,
        CsvImportState.open_from_query("leads"),
    ],
)
def leads_page() -> rx.Component:
    """The leads page."""
    return rx.vstack(
        page_header(
            "Leads",
            *record_list_actions(
                "lead", on_new=LeadFormState.open_new, on_export=LeadsState.export_csv
            ),
        ),
        filters(),
        list_status(LeadsState),
        rx.cond(
            LeadsState.view == "board",
            # Loaded and empty in every column: say why, as the table does.
            rx.cond(
                (LeadsState.board.length() > 0) & (LeadsState.board_total == 0),
                no_leads(),
                board_view(),
            ),
            paged_table(
                LeadsState,
                ["Name", "Phone", "Status", "Source", "Created", ""],
                lead_table_row,
                test_id="leads-table",
                empty=no_leads(),
            ),
        ),
        lead_dialog(),
        csv_import_dialog(),
        confirm_delete(
            open=LeadsState.delete_id != "",
            name=LeadsState.delete_name,
            on_confirm=LeadsState.confirm_delete,
            on_cancel=LeadsState.cancel_delete,
            what="lead",
        ),
        spacing="4",
        width="100%",
        min_width="0",
    )
