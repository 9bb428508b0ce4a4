"""/automations: Make.com runs with scenario, status, error and links to the lead or contact."""

from __future__ import annotations

import reflex as rx

from crm_app import styles
from crm_app.components.controls import (
    filter_bar,
    labelled_select,
    link_button,
    page_header,
    refresh_button,
    search_box,
    when,
)
from crm_app.components.dialogs import dialog_title, returns_focus_to_opener
from crm_app.components.feedback import empty_state, status_badge
from crm_app.components.list_page import empty_list, list_status, paged_table, period_select
from crm_app.layouts.guarded import guarded_page
from crm_app.state.automations import ALL, RUN_STATUSES, AutomationsState, RunRow

CLAMPED_TO_THREE_LINES = {
    "display": "-webkit-box",
    "-webkit-line-clamp": "3",
    "-webkit-box-orient": "vertical",
    "overflow": "hidden",
}


# About what three lines of the error column hold; a longer error gets a "Full error" button.
FITS_IN_THREE_LINES = 100


def error_dialog() -> rx.Component:
    """A run's whole error, read when its button is pressed (the list keeps the start of it)."""
    return rx.dialog.root(
        rx.dialog.content(
            dialog_title("Automation error"),
            rx.text(
                AutomationsState.full_error,
                size="2",
                white_space="pre-wrap",
                overflow_wrap="anywhere",
                max_height="60vh",
                overflow_y="auto",
                data_testid="run-full-error",
            ),
            rx.hstack(rx.dialog.close(rx.button("Close")), justify="end", margin_top="1em"),
            max_width="min(48em, calc(100vw - 2 * var(--space-4)))",
            **returns_focus_to_opener(),
        ),
        open=AutomationsState.error_run_id != "",
        on_open_change=AutomationsState.close_error,
    )


def run_table_row(run: RunRow) -> rx.Component:
    return rx.table.row(
        rx.table.cell(
            rx.vstack(
                when(run.occurred_at),
                rx.cond(
                    run.started_at != "",
                    rx.text("ran ", when(run.started_at), size="1", color=rx.color("gray", 11)),
                ),
                spacing="0",
            ),
            white_space="nowrap",
        ),
        rx.table.cell(
            rx.vstack(
                rx.text(run.scenario, size="2", weight="medium"),
                rx.text(run.execution_id, size="1", color=rx.color("gray", 11)),
                spacing="0",
            ),
            **styles.text_cell,
        ),
        rx.table.cell(status_badge(run.status)),
        rx.table.cell(
            # Three lines at most: a long stack trace or JSON blob would otherwise make its
            # row screens tall. The whole of it on hover, and behind a button for keyboards
            # and touch screens.
            rx.text(
                run.error,
                size="1",
                color=rx.color("red", 11),
                title=run.error,
                style=CLAMPED_TO_THREE_LINES,
            ),
            rx.cond(
                run.error.length() > FITS_IN_THREE_LINES,
                rx.button(
                    "Full error",
                    variant="ghost",
                    size="1",
                    on_click=AutomationsState.show_error(run.id),
                ),
            ),
            **styles.text_cell,
        ),
        rx.table.cell(run.duration, white_space="nowrap"),
        rx.table.cell(
            rx.hstack(
                # Named per row for screen readers, which list links by name.
                rx.cond(
                    run.lead_id != "",
                    rx.link("Lead", href="/leads/" + run.lead_id, aria_label=run.lead_label),
                ),
                rx.cond(
                    run.contact_id != "",
                    rx.link(
                        "Contact",
                        href="/contacts/" + run.contact_id,
                        aria_label=run.contact_label,
                    ),
                ),
                rx.cond((run.lead_id == "") & (run.contact_id == ""), rx.text("–")),
                spacing="2",
            )
        ),
        data_testid="run-row",
    )


def no_runs() -> rx.Component:
    return empty_list(
        AutomationsState,
        no_match=("No runs match", "Try another search or fewer filters."),
        nothing_yet=empty_state(
            "No automation runs yet",
            "Connect Make.com on the Integrations page and point your scenarios at your "
            "webhook URL: each run then appears here.",
            link_button("Connect Make.com", href="/integrations"),
            test_id="automations-empty",
        ),
    )


@guarded_page(route="/automations", title="Automations", on_load=[AutomationsState.load])
def automations_page() -> rx.Component:
    """The automations page."""
    return rx.vstack(
        page_header("Automations", refresh_button(AutomationsState)),
        filter_bar(
            search_box(
                "Search scenario or error",
                value=AutomationsState.search,
                on_change=AutomationsState.set_search,
                field_id="automations-search",
                placeholder="Scenario, execution id or error",
            ),
            labelled_select(
                "Status",
                [(ALL, "All"), *((status, status.capitalize()) for status in RUN_STATUSES)],
                value=AutomationsState.status,
                on_change=AutomationsState.set_status,
                field_id="automations-status",
            ),
            period_select(
                AutomationsState,
                label="Period",
                all_time="All time",
                field_id="automations-period",
            ),
        ),
        list_status(AutomationsState),
        paged_table(
            AutomationsState,
            ["When", "Scenario", "Status", "Error", "Duration", "Links"],
            run_table_row,
            test_id="runs-table",
            empty=no_runs(),
        ),
        error_dialog(),
        spacing="4",
        width="100%",
        min_width="0",
    )
