"""/contacts/[contact_id]: a contact's fields, the lead it came from, its timeline and notes."""

from __future__ import annotations

from typing import Any

import reflex as rx

from crm_app import styles
from crm_app.components.controls import when
from crm_app.components.dialogs import confirm_delete
from crm_app.components.feedback import empty_state, error_callout, loading_line
from crm_app.components.record_forms import contact_dialog
from crm_app.components.timeline import note_form, timeline_panel
from crm_app.layouts.guarded import guarded_page
from crm_app.state.contact_detail import ContactDetailState
from crm_app.state.contact_form import ContactFormState

State = ContactDetailState


def detail_line(label: str, value: Any) -> rx.Component:
    return rx.vstack(
        rx.text(label, size="1", color=rx.color("gray", 11)),
        rx.box(value),
        spacing="0",
        width="100%",
    )


def details_card() -> rx.Component:
    contact = State.contact
    return rx.vstack(
        rx.heading("Details", size="4", as_="h2"),
        detail_line(
            "Phone",
            rx.cond(contact.phone != "", rx.link(contact.phone, href="tel:" + contact.phone), "–"),
        ),
        detail_line(
            "Email",
            rx.cond(
                contact.email != "", rx.link(contact.email, href="mailto:" + contact.email), "–"
            ),
        ),
        detail_line("Company", rx.cond(contact.company != "", contact.company, "–")),
        detail_line("Created", when(contact.created_at)),
        detail_line(
            "Converted from",
            rx.cond(
                contact.lead_id != "",
                rx.link(State.lead_name, href="/leads/" + contact.lead_id),
                rx.text("No lead", size="2"),
            ),
        ),
        detail_line(
            "Notes",
            rx.text(
                rx.cond(State.notes != "", State.notes, "–"),
                white_space="pre-wrap",
                word_break="break-word",
            ),
        ),
        style=styles.card,
        spacing="3",
    )


def contact_view() -> rx.Component:
    return rx.vstack(
        rx.flex(
            rx.heading(
                rx.cond(State.contact.name != "", State.contact.name, "(no name)"),
                size="7",
                as_="h1",
            ),
            rx.spacer(),
            rx.flex(
                rx.button(
                    rx.icon("pencil", size=16),
                    "Edit",
                    variant="soft",
                    on_click=ContactFormState.open_edit(State.contact.id),
                ),
                rx.button(
                    rx.icon("trash-2", size=16),
                    "Delete",
                    variant="soft",
                    color_scheme="red",
                    on_click=State.set_confirming_delete(True),
                ),
                spacing="2",
            ),
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
                    prefix="contact",
                ),
            ),
            columns=rx.breakpoints(initial="1", lg="2"),
            spacing="4",
            width="100%",
        ),
        contact_dialog(),
        confirm_delete(
            open=State.confirming_delete,
            name=State.contact.name,
            on_confirm=State.confirm_delete,
            on_cancel=State.set_confirming_delete(False),
            what="contact",
        ),
        spacing="4",
        width="100%",
    )


@guarded_page(
    route="/contacts/[contact_id]", title="Contact", on_load=[ContactDetailState.load_contact]
)
def contact_detail() -> rx.Component:
    """One contact's page."""
    return rx.vstack(
        rx.link(
            rx.hstack(rx.icon("arrow-left", size=16), "Contacts", align="center"), href="/contacts"
        ),
        error_callout(State.error),
        loading_line(State.loading & ~State.loaded),
        rx.cond(
            State.loaded,
            rx.cond(
                State.not_found,
                empty_state(
                    "Contact not found",
                    "It may have been deleted, or the link is wrong.",
                    rx.link(rx.button("Back to contacts"), href="/contacts"),
                ),
                contact_view(),
            ),
        ),
        spacing="4",
        width="100%",
    )
