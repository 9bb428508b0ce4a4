"""/leads/[lead_id]: a lead's fields, status, timeline and notes; convert, edit, delete."""

from __future__ import annotations

from typing import Any

import reflex as rx

from crm_app import styles
from crm_app.components.controls import labelled_select, when
from crm_app.components.dialogs import confirm_delete
from crm_app.components.feedback import empty_state, error_callout, loading_line
from crm_app.components.record_forms import lead_dialog
from crm_app.components.timeline import note_form, timeline_panel
from crm_app.layouts.guarded import guarded_page
from crm_app.models import LEAD_STATUSES
from crm_app.state.lead_detail import LeadDetailState
from crm_app.state.lead_form import LeadFormState

State = LeadDetailState


def detail_line(label: str, value: Any, test_id: str = "") -> rx.Component:
    return rx.vstack(
        rx.text(label, size="1", color=rx.color("gray", 11)),
        rx.box(value, data_testid=test_id or None),
        spacing="0",
        width="100%",
    )


def or_dash(value: Any) -> Any:
    return rx.cond(value != "", value, "–")


def details_card() -> rx.Component:
    lead = State.lead
    return rx.vstack(
        rx.heading("Details", size="4", as_="h2"),
        detail_line(
            "Phone",
            rx.cond(lead.phone != "", rx.link(lead.phone, href="tel:" + lead.phone), "–"),
            "lead-phone",
        ),
        detail_line(
            "Email",
            rx.cond(lead.email != "", rx.link(lead.email, href="mailto:" + lead.email), "–"),
            "lead-email",
        ),
        detail_line("Source", rx.text(lead.source), "lead-source"),
        detail_line("Created", when(lead.created_at)),
        detail_line("Last changed", when(State.updated_at)),
        detail_line(
            "Contact",
            rx.cond(
                State.contact_id != "",
                rx.link("Open the contact", href="/contacts/" + State.contact_id),
                rx.text("Not converted yet", size="2"),
            ),
        ),
        detail_line(
            "Notes",
            rx.text(or_dash(State.notes), white_space="pre-wrap", word_break="break-word"),
        ),
        style=styles.card,
        spacing="3",
    )


def actions() -> rx.Component:
    return rx.flex(
        labelled_select(
            "Status",
            [(status, status) for status in LEAD_STATUSES],
            value=State.lead.status,
            on_change=State.change_status,
            field_id="lead-status",
        ),
        rx.button(
            rx.icon("pencil", size=16),
            "Edit",
            variant="soft",
            on_click=LeadFormState.open_edit(State.lead.id),
        ),
        rx.cond(
            State.contact_id == "",
            rx.button(
                rx.icon("user-check", size=16),
                "Convert to contact",
                variant="soft",
                on_click=State.convert,
            ),
        ),
        rx.button(
            rx.icon("trash-2", size=16),
            "Delete",
            variant="soft",
            color_scheme="red",
            on_click=State.set_confirming_delete(True),
        ),
        spacing="2",
        wrap="wrap",
        align="end",
    )


def lead_view() -> rx.Component:
    return rx.vstack(
        rx.flex(
            rx.heading(
                rx.cond(State.lead.name != "", State.lead.name, "(no name)"), size="7", as_="h1"
            ),
            rx.spacer(),
            actions(),
            direction=rx.breakpoints(initial="column", md="row"),
            spacing="3",
            width="100%",
        ),
        rx.grid(
            details_card(),
            timeline_panel(
                State.timeline,
                note_form(
                    on_submit=State.save_note,
                    error=State.note_error,
                    key=State.note_key,
                    prefix="lead",
                ),
            ),
            columns=rx.breakpoints(initial="1", lg="2"),
            spacing="4",
            width="100%",
        ),
        lead_dialog(),
        confirm_delete(
            open=State.confirming_delete,
            name=State.lead.name,
            on_confirm=State.confirm_delete,
            on_cancel=State.set_confirming_delete(False),
            what="lead",
        ),
        spacing="4",
        width="100%",
    )


@guarded_page(route="/leads/[lead_id]", title="Lead", on_load=[LeadDetailState.load_lead])
def lead_detail() -> rx.Component:
    """One lead's page."""
    return rx.vstack(
        rx.link(rx.hstack(rx.icon("arrow-left", size=16), "Leads", align="center"), href="/leads"),
        error_callout(State.error),
        loading_line(State.loading & ~State.loaded),
        rx.cond(
            State.loaded,
            rx.cond(
                State.not_found,
                empty_state(
                    "Lead not found",
                    "It may have been deleted, or the link is wrong.",
                    rx.link(rx.button("Back to leads"), href="/leads"),
                    test_id="lead-not-found",
                ),
                lead_view(),
            ),
        ),
        spacing="4",
        width="100%",
    )
