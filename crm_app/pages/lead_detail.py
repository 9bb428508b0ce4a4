"""/leads/[lead_id]: a lead's fields, status, timeline and notes; convert, edit, delete."""

from __future__ import annotations

import reflex as rx

from crm_app.components.controls import labelled_select, when
from crm_app.components.record_forms import lead_dialog
from crm_app.components.record_page import (
    delete_button,
    detail_line,
    details_card,
    email_link,
    notes_line,
    phone_link,
    record_page,
    record_view,
)
from crm_app.layouts.guarded import guarded_page
from crm_app.models import LEAD_STATUSES
from crm_app.state.lead_detail import CONTACT_LINK_ID, LeadDetailState
from crm_app.state.lead_form import LeadFormState

State = LeadDetailState


def lead_details() -> rx.Component:
    lead = State.lead
    return details_card(
        detail_line("Phone", phone_link(lead.phone, lead.tel), "lead-phone"),
        detail_line("Email", email_link(lead.email), "lead-email"),
        detail_line("Source", rx.text(lead.source), "lead-source"),
        detail_line("Created", when(lead.created_at)),
        detail_line("Last changed", when(State.updated_at)),
        detail_line(
            "Contact",
            rx.cond(
                State.contact_id != "",
                rx.link(
                    "Open the contact", href="/contacts/" + State.contact_id, id=CONTACT_LINK_ID
                ),
                rx.text("Not converted yet", size="2"),
            ),
        ),
        notes_line(State.notes),
    )


def actions() -> rx.Component:
    return rx.flex(
        labelled_select(
            "Status",
            [(status, status) for status in LEAD_STATUSES],
            value=State.lead.status,
            on_change=State.change_status,
            # Not "lead-status": that is the Edit dialog's Status field (its label would
            # open this menu, behind the dialog, and change the status at once).
            field_id="lead-page-status",
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
        delete_button(State),
        spacing="2",
        wrap="wrap",
        align="end",
    )


@guarded_page(
    route="/leads/[lead_id]",
    title="Lead",
    on_load=[
        LeadDetailState.load_lead,
        LeadFormState.close_on_arrival,
        LeadDetailState.close_notes_on_arrival,
    ],
)
def lead_detail() -> rx.Component:
    """One lead's page."""
    return record_page(
        State,
        list_title="Leads",
        view=record_view(
            State,
            name=State.lead.name,
            actions=actions(),
            details=lead_details(),
            edit_dialog=lead_dialog(),
        ),
    )
