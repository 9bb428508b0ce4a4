"""/contacts: search, sort and page through contacts; create, edit, delete, import, export."""

from __future__ import annotations

import reflex as rx

from crm_app import styles
from crm_app.components.controls import filter_bar, page_header, search_box, when
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
from crm_app.components.record_forms import contact_dialog
from crm_app.components.record_list import edit_delete_buttons, name_cell, record_list_actions
from crm_app.layouts.guarded import guarded_page
from crm_app.state.contact_form import ContactFormState
from crm_app.state.contacts import ContactRow, ContactsState
from crm_app.state.csv_import import CsvImportState


def contact_table_row(contact: ContactRow) -> rx.Component:
    return rx.table.row(
        name_cell(contact.name, contact.email, href="/contacts/" + contact.id),
        rx.table.cell(contact.phone, white_space="nowrap"),
        rx.table.cell(contact.company, **styles.text_cell),
        rx.table.cell(when(contact.created_at), white_space="nowrap"),
        rx.table.cell(
            edit_delete_buttons(
                contact.name,
                on_edit=ContactFormState.open_edit(contact.id),
                on_delete=ContactsState.ask_delete(contact.id, contact.name),
            )
        ),
        data_testid="contact-row",
    )


def no_contacts() -> rx.Component:
    return empty_list(
        ContactsState,
        no_match=("No contacts match", "Try another search or a longer period."),
        nothing_yet=empty_state(
            "No contacts yet",
            "Add a contact, import a CSV file, or convert a lead from its page.",
            rx.button("New contact", on_click=ContactFormState.open_new),
            rx.button("Import CSV", variant="soft", on_click=CsvImportState.open_for("contacts")),
            test_id="contacts-empty",
        ),
    )


@guarded_page(
    route="/contacts",
    title="Contacts",
    on_load=[
        ContactsState.load,
        ContactFormState.close_on_arrival,
        CsvImportState.open_from_query("contacts"),
    ],
)
def contacts_page() -> rx.Component:
    """The contacts page."""
    return rx.vstack(
        page_header(
            "Contacts",
            *record_list_actions(
                "contact", on_new=ContactFormState.open_new, on_export=ContactsState.export_csv
            ),
        ),
        filter_bar(
            search_box(
                "Search contacts",
                value=ContactsState.search,
                on_change=ContactsState.set_search,
                field_id="contacts-search",
                placeholder="Name, phone, email or company",
            ),
            period_select(
                ContactsState, label="Created", all_time="Any time", field_id="contacts-period"
            ),
            sort_select(ContactsState, field_id="contacts-sort"),
        ),
        list_status(ContactsState),
        paged_table(
            ContactsState,
            ["Name", "Phone", "Company", "Created", ""],
            contact_table_row,
            test_id="contacts-table",
            empty=no_contacts(),
        ),
        contact_dialog(),
        csv_import_dialog(),
        confirm_delete(
            open=ContactsState.delete_id != "",
            name=ContactsState.delete_name,
            on_confirm=ContactsState.confirm_delete,
            on_cancel=ContactsState.cancel_delete,
            what="contact",
        ),
        spacing="4",
        width="100%",
        min_width="0",
    )
