"""/contacts/[contact_id]: a contact's fields, the lead it came from, its timeline and notes."""

from __future__ import annotations

import reflex as rx

from crm_app.components.controls import when
from crm_app.components.record_forms import contact_dialog
from crm_app.components.record_page import (
    delete_button,
    detail_line,
    details_card,
    email_link,
    notes_line,
    or_dash,
    phone_link,
    record_page,
    record_view,
)
from crm_app.layouts.guarded import guarded_page
from crm_app.state.contact_detail import ContactDetailState
from crm_app.state.contact_form import ContactFormState

State = ContactDetailState


def contact_details() -> rx.Component:
    contact = State.contact
    return details_card(
        detail_line("Phone", phone_link(contact.phone, contact.tel)),
        detail_line("Email", email_link(contact.email)),
        detail_line("Company", or_dash(contact.company)),
        detail_line("Created", when(contact.created_at)),
        detail_line(
            "Converted from",
            rx.cond(
                contact.lead_id != "",
                rx.link(State.lead_name, href="/leads/" + contact.lead_id),
                rx.text("No lead", size="2"),
            ),
        ),
        notes_line(State.notes),
    )


def actions() -> rx.Component:
    return rx.flex(
        rx.button(
            rx.icon("pencil", size=16),
            "Edit",
            variant="soft",
            on_click=ContactFormState.open_edit(State.contact.id),
        ),
        delete_button(State),
        spacing="2",
    )


@guarded_page(
    route="/contacts/[contact_id]",
    title="Contact",
    on_load=[
        ContactDetailState.load_contact,
        ContactFormState.close_on_arrival,
        ContactDetailState.close_notes_on_arrival,
    ],
)
def contact_detail() -> rx.Component:
    """One contact's page."""
    return record_page(
        State,
        list_title="Contacts",
        view=record_view(
            State,
            name=State.contact.name,
            actions=actions(),
            details=contact_details(),
            edit_dialog=contact_dialog(),
        ),
    )
