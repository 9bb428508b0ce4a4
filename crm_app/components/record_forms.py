"""The lead and contact dialogs: the same fields on the list and on the detail pages."""

from __future__ import annotations

import reflex as rx

from crm_app.components.dialogs import form_dialog, select_field, text_field
from crm_app.models import LEAD_STATUSES
from crm_app.state.contact_form import ContactFormState
from crm_app.state.lead_form import LeadFormState


def _phone_hint(region: rx.Var) -> rx.Component:
    return rx.text.span(
        "Numbers without + are read as ", region, " numbers; saved as +countrycode…"
    )


def lead_dialog() -> rx.Component:
    """Create or edit a lead; errors appear next to the fields they concern."""
    state = LeadFormState
    common = {"values": state.values, "errors": state.errors, "prefix": "lead"}
    return form_dialog(
        rx.cond(state.editing_id != "", "Edit lead", "New lead"),
        text_field("Name", "name", max_length=200, auto_focus=True, **common),
        rx.grid(
            text_field(
                "Phone", "phone", type="tel", hint=_phone_hint(state.phone_region), **common
            ),
            text_field("Email", "email", type="email", **common),
            columns=rx.breakpoints(initial="1", sm="2"),
            spacing="3",
            width="100%",
        ),
        rx.grid(
            select_field("Status", "status", list(LEAD_STATUSES), **common),
            text_field("Source", "source", max_length=50, **common),
            columns=rx.breakpoints(initial="1", sm="2"),
            spacing="3",
            width="100%",
        ),
        text_field("Notes", "notes", multiline=True, rows="4", max_length=10_000, **common),
        open=state.open,
        on_open_change=state.set_open,
        on_submit=state.save,
        form_error=state.form_error,
        saving=state.saving,
        key=state.form_key,
        test_id="lead-dialog",
        description="Phone numbers are stored in international form; emails in lower case.",
    )


def contact_dialog() -> rx.Component:
    """Create or edit a contact; a phone or email another contact has is refused at its field."""
    state = ContactFormState
    common = {"values": state.values, "errors": state.errors, "prefix": "contact"}
    return form_dialog(
        rx.cond(state.editing_id != "", "Edit contact", "New contact"),
        text_field("Name", "name", max_length=200, auto_focus=True, **common),
        rx.grid(
            text_field(
                "Phone", "phone", type="tel", hint=_phone_hint(state.phone_region), **common
            ),
            text_field("Email", "email", type="email", **common),
            columns=rx.breakpoints(initial="1", sm="2"),
            spacing="3",
            width="100%",
        ),
        text_field("Company", "company", max_length=200, **common),
        text_field("Notes", "notes", multiline=True, rows="4", max_length=10_000, **common),
        open=state.open,
        on_open_change=state.set_open,
        on_submit=state.save,
        form_error=state.form_error,
        saving=state.saving,
        key=state.form_key,
        test_id="contact-dialog",
        description="One contact per phone number and per email address.",
    )
