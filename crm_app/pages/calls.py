"""/calls: every call with provider, status, ended reason and period filters, search by number."""

from __future__ import annotations

import reflex as rx

from crm_app.components.controls import (
    filter_bar,
    labelled_select,
    link_button,
    page_header,
    refresh_button,
    search_box,
    when,
)
from crm_app.components.feedback import empty_state, live_reload_watch, status_badge
from crm_app.components.list_page import (
    empty_list,
    list_status,
    paged_table,
    period_select,
    sort_select,
)
from crm_app.components.record_page import or_dash
from crm_app.layouts.guarded import guarded_page
from crm_app.services.call_outcomes import OUTCOMES
from crm_app.state.calls import CallRow, CallsState
from crm_app.state.list_page import ALL


def person_link(call: CallRow) -> rx.Component:
    return rx.cond(
        call.lead_id != "",
        # "Lead" in every row: screen readers list the links by name, so each says whose.
        rx.link("Lead", href="/leads/" + call.lead_id, aria_label="Lead: " + call.caller),
        rx.cond(
            call.contact_id != "",
            rx.link(
                "Contact", href="/contacts/" + call.contact_id, aria_label="Contact: " + call.caller
            ),
            "–",
        ),
    )


def call_table_row(call: CallRow) -> rx.Component:
    return rx.table.row(
        rx.table.cell(
            rx.link(when(call.occurred_at), href="/calls/" + call.id), white_space="nowrap"
        ),
        rx.table.cell(
            rx.vstack(
                rx.link(call.caller, href="/calls/" + call.id),
                rx.text(call.number, size="1", color=rx.color("gray", 11)),
                spacing="0",
            )
        ),
        # The status and length before the line: on a phone the first columns are what shows.
        rx.table.cell(status_badge(call.status)),
        rx.table.cell(call.duration),
        rx.table.cell(rx.text(call.provider, " · ", call.direction, size="2")),
        # The provider's own code on hover, to look up in its logs (the call's page shows it).
        rx.table.cell(rx.text(or_dash(call.ended_reason), size="1", title=call.ended_reason_code)),
        rx.table.cell(call.cost),
        rx.table.cell(person_link(call)),
        data_testid="call-row",
    )


def filters() -> rx.Component:
    return filter_bar(
        search_box(
            "Search by name, number or email",
            value=CallsState.search,
            on_change=CallsState.set_search,
            field_id="calls-search",
            placeholder="Caller, lead or contact",
        ),
        labelled_select(
            "Provider",
            CallsState.providers,
            value=CallsState.provider,
            on_change=CallsState.set_provider,
            field_id="calls-provider",
            all_label="All providers",
        ),
        labelled_select(
            "Status",
            CallsState.statuses,
            value=CallsState.status,
            on_change=CallsState.set_status,
            field_id="calls-status",
            all_label="All statuses",
        ),
        labelled_select(
            "Outcome",
            [
                (ALL, "Any outcome"),
                *((value, value.replace("-", " ").capitalize()) for value in OUTCOMES),
            ],
            value=CallsState.outcome,
            on_change=CallsState.set_outcome,
            field_id="calls-outcome",
        ),
        labelled_select(
            "Ended reason",
            CallsState.ended_reasons,
            value=CallsState.ended_reason,
            on_change=CallsState.set_ended_reason,
            field_id="calls-ended-reason",
            all_label="Any reason",
            pairs=True,
        ),
        period_select(CallsState, label="Period", all_time="All time", field_id="calls-period"),
        sort_select(CallsState, field_id="calls-sort"),
    )


def no_calls() -> rx.Component:
    return empty_list(
        CallsState,
        no_match=("No calls match", "Try another number or fewer filters."),
        nothing_yet=empty_state(
            "No calls yet",
            "Connect Vapi or Twilio on the Integrations page: every call then appears here "
            "with its summary, transcript and recording.",
            link_button("Connect a provider", href="/integrations"),
            test_id="calls-empty",
        ),
    )


@guarded_page(route="/calls", title="Calls", on_load=[CallsState.load])
def calls_page() -> rx.Component:
    """The calls page."""
    return rx.vstack(
        page_header("Calls", refresh_button(CallsState)),
        filters(),
        list_status(CallsState),
        rx.cond(CallsState.shows_live_calls, live_reload_watch(CallsState, "calls-live")),
        paged_table(
            CallsState,
            ["Logged", "Caller", "Status", "Duration", "Line", "Ended because", "Cost", "Who"],
            call_table_row,
            test_id="calls-table",
            empty=no_calls(),
        ),
        spacing="4",
        width="100%",
        min_width="0",
    )
