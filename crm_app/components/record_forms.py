"""The lead and contact dialogs: the same fields on the list and on the detail pages."""

from __future__ import annotations

from typing import Any

import reflex as rx

from crm_app.components.dialogs import form_dialog, select_field, text_field
from crm_app.models import LEAD_STATUSES
from crm_app.state.contact_form import ContactFormState
from crm_app.state.lead_form import LeadFormState


def _phone_hint(region: rx.Var) -> rx.Component:
    return rx.text.span(
        "Without a +, read as a ", region, " number; saved with + and its country code."
    )


def _side_by_side(*fields: rx.Component) -> rx.Component:
    """Two fields in a row, stacked on phones."""
    return rx.grid(*fields, columns=rx.breakpoints(initial="1", sm="2"), spacing="3", width="100%")


def _field_props(state: Any, noun: str) -> dict[str, Any]:
    """What every field of the dialog takes: the values it starts from, the errors, id prefix."""
    return {"values": state.values, "errors": state.errors, "prefix": noun}


def _record_dialog(
    state: Any, noun: str, *own_fields: rx.Component, description: str
) -> rx.Component:
    """Name, phone and email, then the record's own fields, then notes."""
    common = _field_props(state, noun)
    return form_dialog(
        rx.cond(state.editing_id != "", f"Edit {noun}", f"New {noun}"),
        text_field("Name", "name", max_length=200, auto_focus=True, **common),
        _side_by_side(
            text_field(
                "Phone", "phone", type="tel", hint=_phone_hint(state.phone_region), **common
            ),
            text_field("Email", "email", type="email", **common),
        ),
        *own_fields,
        text_field("Notes", "notes", multiline=True, rows="4", max_length=10_000, **common),
        open=state.open,
        on_open_change=state.set_open,
        on_submit=state.save,
        form_error=state.form_error,
        saving=state.saving,
        key=state.form_key,
        test_id=f"{noun}-dialog",
        opened=state.opened_json,
        description=description,
    )


def lead_dialog() -> rx.Component:
    """Create or edit a lead; errors appear next to the fields they concern."""
    common = _field_props(LeadFormState, "lead")
    return _record_dialog(
        LeadFormState,
        "lead",
        _side_by_side(
            select_field("Status", "status", list(LEAD_STATUSES), **common),
            text_field("Source", "source", max_length=50, **common),
        ),
        description="Phone numbers are stored in international form; emails in lower case.",
    )


def contact_dialog() -> rx.Component:
    """Create or edit a contact; a phone or email another contact has is refused at its field."""
    common = _field_props(ContactFormState, "contact")
    return _record_dialog(
        ContactFormState,
        "contact",
        text_field("Company", "company", max_length=200, **common),
        description="One contact per phone number and per email address.",
    )
