"""/contacts: search, sort and page through contacts; create, edit, delete, import, export."""

from __future__ import annotations

import reflex as rx

from crm_app.components.controls import (
    filter_bar,
    labelled_select,
    page_header,
    pager,
    responsive_table,
    search_box,
    when,
)
from crm_app.components.csv_import import csv_import_dialog
from crm_app.components.dialogs import confirm_delete
from crm_app.components.feedback import empty_state, error_callout, loading_line
from crm_app.components.record_forms import contact_dialog
from crm_app.layouts.guarded import guarded_page
from crm_app.state.contact_form import ContactFormState
from crm_app.state.contacts import ALL, SORTS, ContactRow, ContactsState
from crm_app.state.csv_import import CsvImportState
from crm_app.state.display import PERIODS


def contact_table_row(contact: ContactRow) -> rx.Component:
    return rx.table.row(
        rx.table.cell(
            rx.link(
                rx.cond(contact.name != "", contact.name, "(no name)"),
                href="/contacts/" + contact.id,
            )
        ),
        rx.table.cell(contact.phone, white_space="nowrap"),
        rx.table.cell(contact.email),
        rx.table.cell(contact.company),
        rx.table.cell(when(contact.created_at), white_space="nowrap"),
        rx.table.cell(
            rx.hstack(
                rx.icon_button(
                    rx.icon("pencil", size=14),
                    variant="ghost",
                    size="1",
                    aria_label=rx.Var.create("Edit ") + contact.name,
                    on_click=ContactFormState.open_edit(contact.id),
                ),
                rx.icon_button(
                    rx.icon("trash-2", size=14),
                    variant="ghost",
                    color_scheme="red",
                    size="1",
                    aria_label=rx.Var.create("Delete ") + contact.name,
                    on_click=ContactsState.ask_delete(contact.id, contact.name),
                ),
                spacing="3",
            )
        ),
        data_testid="contact-row",
    )


def no_contacts() -> rx.Component:
    return rx.cond(
        ContactsState.is_filtered,
        empty_state(
            "No contacts match",
            "Try another search or a longer period.",
            rx.button("Clear filters", variant="soft", on_click=ContactsState.clear_filters),
        ),
        empty_state(
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
    on_load=[ContactsState.load, CsvImportState.open_from_query("contacts")],
)
def contacts_page() -> rx.Component:
    """The contacts page."""
    return rx.vstack(
        page_header(
            "Contacts",
            rx.button(rx.icon("plus", size=16), "New contact", on_click=ContactFormState.open_new),
            rx.button(
                rx.icon("upload", size=16),
                "Import CSV",
                variant="soft",
                on_click=CsvImportState.open_for("contacts"),
            ),
            rx.button(
                rx.icon("download", size=16),
                "Export CSV",
                variant="soft",
                on_click=ContactsState.export_csv,
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
            labelled_select(
                "Created",
                [(ALL, "Any time"), *list(PERIODS.items())[:3]],
                value=ContactsState.period,
                on_change=ContactsState.set_period,
                field_id="contacts-period",
            ),
            labelled_select(
                "Sort",
                [(key, label) for key, (_, _, label) in SORTS.items()],
                value=ContactsState.sort,
                on_change=ContactsState.set_sort,
                field_id="contacts-sort",
            ),
        ),
        error_callout(ContactsState.error),
        loading_line(ContactsState.loading & ~ContactsState.loaded),
        rx.cond(
            ContactsState.loaded & (ContactsState.total == 0),
            no_contacts(),
            rx.vstack(
                responsive_table(
                    ["Name", "Phone", "Email", "Company", "Created", ""],
                    rx.foreach(ContactsState.rows, contact_table_row),
                    data_testid="contacts-table",
                ),
                pager(
                    ContactsState.count_label,
                    has_previous=ContactsState.has_previous,
                    has_next=ContactsState.has_next,
                    on_previous=ContactsState.previous_page,
                    on_next=ContactsState.next_page,
                ),
                width="100%",
                spacing="3",
            ),
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
