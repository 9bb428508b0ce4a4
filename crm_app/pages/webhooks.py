"""/webhooks: every webhook request the user received, newest first, with details and Replay."""

from __future__ import annotations

from typing import Any

import reflex as rx

from crm_app import styles
from crm_app.components.controls import (
    SEARCH_DEBOUNCE_MS,
    field_label,
    filter_bar,
    labelled_select,
    link_button,
    page_header,
    refresh_button,
    when,
)
from crm_app.components.dialogs import dialog_title, returns_focus_to_opener
from crm_app.components.feedback import empty_state, error_callout, status_badge
from crm_app.components.list_page import empty_list, list_status, paged_table
from crm_app.layouts.guarded import guarded_page
from crm_app.state.webhooks import CreatedRecord, WebhookRow, WebhooksState

State = WebhooksState


def repeats_line(event: Any) -> rx.Component:
    """For a run of rejected or duplicate requests counted on one row: how many, the last when."""
    return rx.cond(
        event.repeats != "",
        rx.text(
            event.repeats,
            ", the last ",
            when(event.last_repeated_at, seconds=True),
            size="1",
            weight="medium",
            data_testid="webhook-repeats",
        ),
    )


def webhook_table_row(event: WebhookRow) -> rx.Component:
    return rx.table.row(
        # What matters most first: on a phone the first columns are what shows.
        rx.table.cell(when(event.received_at, seconds=True), white_space="nowrap"),
        rx.table.cell(status_badge(event.status)),
        rx.table.cell(event.provider),
        rx.table.cell(rx.text(event.event_type, size="2")),
        rx.table.cell(
            rx.text(event.reason, size="1", word_break="break-word"),
            repeats_line(event),
            min_width="12em",
        ),
        rx.table.cell(
            rx.cond(
                event.event_id != "",
                rx.code(event.event_id, size="1", word_break="break-all"),
                rx.text("–", as_="span"),
            ),
            min_width="12em",
        ),
        rx.table.cell(
            rx.button(
                "Details",
                size="1",
                variant="soft",
                on_click=State.open_detail(event.id),
                # Words a screen reader can say, not an ISO timestamp.
                aria_label="Details of the "
                + event.provider
                + " "
                + event.event_type
                + " event, "
                + event.status,
            )
        ),
        data_testid="webhook-row",
    )


def event_search() -> rx.Component:
    """Search by the provider's event id or words of the reason (the label says both)."""
    return rx.vstack(
        field_label("Search by event id or reason", "webhooks-search"),
        rx.debounce_input(
            rx.input(
                rx.input.slot(rx.icon("search", size=16)),
                id="webhooks-search",
                value=State.search,
                on_change=State.set_search,
                type="search",
                placeholder="Event id or reason",
                width="100%",
                max_length=200,
            ),
            debounce_timeout=SEARCH_DEBOUNCE_MS,
        ),
        spacing="1",
        flex="1",
        min_width="14em",
    )


def filters() -> rx.Component:
    return filter_bar(
        event_search(),
        labelled_select(
            "Provider",
            State.providers,
            value=State.provider,
            on_change=State.set_provider,
            field_id="webhooks-provider",
            all_label="All providers",
        ),
        labelled_select(
            "Status",
            State.statuses,
            value=State.status,
            on_change=State.set_status,
            field_id="webhooks-status",
            all_label="All statuses",
        ),
        labelled_select(
            "Type",
            State.event_types,
            value=State.event_type,
            on_change=State.set_event_type,
            field_id="webhooks-type",
            all_label="All types",
        ),
    )


def fact(label: str, value: Any) -> rx.Component:
    return rx.vstack(
        rx.text(label, size="1", color=rx.color("gray", 11)),
        rx.box(value, word_break="break-all"),
        spacing="0",
    )


def record_link(record: CreatedRecord) -> rx.Component:
    return rx.cond(
        record.href != "",
        rx.link(record.label, href=record.href),
        rx.text(record.label, size="2"),
    )


def json_block(text: Any, test_id: str) -> rx.Component:
    """JSON as text: escaped by React, so a <script> in a payload is shown, never run."""
    return rx.el.pre(
        text,
        data_testid=test_id,
        style={
            "white_space": "pre-wrap",
            "word_break": "break-word",
            "font_size": "0.8em",
            "max_height": "24em",
            "overflow": "auto",
            "padding": "0.75em",
            "border_radius": "0.5em",
            "background": rx.color("gray", 2),
            "border": f"1px solid {rx.color('gray', 5)}",
            "width": "100%",
            "margin": "0",
        },
    )


def detail_dialog() -> rx.Component:
    event = State.detail
    return rx.dialog.root(
        rx.dialog.content(
            dialog_title("Webhook event"),
            rx.dialog.description(
                "What came in (secrets removed) and what it did.",
                size="2",
                color=rx.color("gray", 11),
            ),
            rx.vstack(
                rx.grid(
                    fact("Received", when(event.received_at, seconds=True)),
                    fact("Processed", when(event.processed_at, seconds=True)),
                    fact("Provider", rx.text(event.provider)),
                    fact("Type", rx.text(event.event_type)),
                    fact("Status", status_badge(event.status)),
                    fact(
                        "Event id",
                        rx.cond(
                            event.event_id != "",
                            rx.code(event.event_id, size="1"),
                            rx.text("–", as_="span"),
                        ),
                    ),
                    fact("Size", rx.text(event.payload_size)),
                    fact("SHA-256", rx.code(event.payload_sha256, size="1")),
                    columns={"initial": "1", "sm": "2"},
                    spacing="3",
                    width="100%",
                ),
                rx.cond(
                    event.reason != "",
                    rx.callout(
                        event.reason, icon="info", width="100%", data_testid="detail-reason"
                    ),
                ),
                rx.cond(
                    event.advice != "",
                    rx.text(event.advice, size="2", data_testid="detail-advice"),
                ),
                rx.cond(
                    event.repeats != "",
                    rx.vstack(
                        repeats_line(event),
                        rx.text(event.repeats_note, **styles.muted_text),
                        spacing="1",
                    ),
                ),
                error_callout(State.detail_error),
                rx.cond(
                    event.can_replay,
                    rx.hstack(
                        rx.button(
                            rx.icon("rotate-ccw", size=16),
                            "Replay",
                            on_click=State.replay(event.id),
                            loading=State.replaying,
                            color_scheme="amber",
                        ),
                        rx.text(
                            "If the reason names a record this event clashes with, edit or "
                            "delete that record first. Replay applies the stored payload again.",
                            **styles.muted_text,
                        ),
                        align="center",
                        spacing="3",
                    ),
                    rx.cond(
                        event.status == "failed",
                        rx.text(
                            "Replaying cannot help: the event's own data was refused, and "
                            "would be again. The sender must send it again, corrected.",
                            **styles.muted_text,
                            data_testid="detail-no-replay",
                        ),
                    ),
                ),
                rx.heading("What it created or changed", size="3", as_="h3"),
                rx.cond(
                    State.detail_records.length() > 0,
                    rx.flex(
                        rx.foreach(State.detail_records, record_link), spacing="3", wrap="wrap"
                    ),
                    rx.text("Nothing.", **styles.muted_text),
                ),
                rx.cond(
                    event.result != "",
                    rx.el.details(
                        rx.el.summary("The result as stored", style={"cursor": "pointer"}),
                        json_block(event.result, "detail-result"),
                        width="100%",
                    ),
                ),
                rx.heading("Payload", size="3", as_="h3"),
                rx.cond(
                    event.payload != "",
                    json_block(event.payload, "detail-payload"),
                    rx.text(
                        "Not stored: a refused or repeated request keeps only its size and hash.",
                        **styles.muted_text,
                    ),
                ),
                rx.hstack(
                    rx.dialog.close(rx.button("Close", variant="soft", color_scheme="gray")),
                    justify="end",
                    width="100%",
                ),
                spacing="3",
                width="100%",
            ),
            max_width="48em",
            data_testid="webhook-detail",
            **returns_focus_to_opener(),
        ),
        open=State.detail_open,
        on_open_change=State.set_detail_open,
    )


def no_events() -> rx.Component:
    return empty_list(
        State,
        no_match=("No events match", "Try another event id or fewer filters."),
        nothing_yet=empty_state(
            "No webhooks received yet",
            "Paste your webhook URLs from the Integrations page into Vapi, Twilio or Make.com: "
            "every request they send is listed here, accepted or not.",
            link_button("Open Integrations", href="/integrations"),
            test_id="webhooks-empty",
        ),
    )


@guarded_page(route="/webhooks", title="Webhooks", on_load=[State.load])
def webhooks_page() -> rx.Component:
    """The webhook audit trail."""
    return rx.vstack(
        page_header(
            "Webhooks",
            refresh_button(State),
            subtitle="Every request Vapi, Twilio and Make.com sent you, newest first.",
        ),
        filters(),
        list_status(State),
        paged_table(
            State,
            ["Received", "Status", "Provider", "Type", "Reason", "Event id", ""],
            webhook_table_row,
            test_id="webhooks-table",
            empty=no_events(),
        ),
        detail_dialog(),
        spacing="4",
        width="100%",
        min_width="0",
    )
