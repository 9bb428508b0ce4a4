"""Contacts through the real pages: create, duplicate refused, edit, search, detail, delete."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.e2e.helpers import check_dialog_keyboard, press_enter_on, sign_up, unique_email
from tests.e2e.rows import insert_rows, user_id_of


def _new_contact(page, *, name: str, phone: str = "", email: str = "", company: str = "") -> None:
    page.get_by_role("button", name="New contact").first.click()
    dialog = page.get_by_test_id("contact-dialog")
    dialog.get_by_label("Name").fill(name)
    dialog.get_by_label("Phone").fill(phone)
    dialog.get_by_label("Email").fill(email)
    dialog.get_by_label("Company").fill(company)
    dialog.get_by_role("button", name="Save").click()


def _row(page, name: str):
    return page.get_by_test_id("contact-row").filter(has=page.get_by_role("link", name=name))


def test_contacts_are_unique_by_phone_and_email_and_can_be_managed(page, app_server):
    sign_up(page, app_server.base_url, email=unique_email("contacts"), name="Contact Keeper")
    page.goto(f"{app_server.base_url}/contacts")
    expect(page.get_by_test_id("contacts-empty")).to_be_visible()

    _new_contact(page, name="Ada", phone="415-555-2671", email="ada@example.com", company="Acme")
    dialog = page.get_by_test_id("contact-dialog")
    expect(dialog).to_be_hidden()
    expect(_row(page, "Ada")).to_contain_text("+14155552671")

    # The same number typed another way is the same contact: refused at its field.
    _new_contact(page, name="Ada again", phone="(415) 555 2671")
    expect(dialog.get_by_text("a contact with this phone already exists")).to_be_visible()
    dialog.get_by_label("Phone").fill("")
    dialog.get_by_label("Email").fill("ADA@example.com")
    dialog.get_by_role("button", name="Save").click()
    expect(dialog.get_by_text("a contact with this email already exists")).to_be_visible()
    dialog.get_by_role("button", name="Cancel").click()
    expect(page.get_by_test_id("contact-row")).to_have_count(1)

    _new_contact(page, name="Bob", email="bob@globex.example", company="Globex")
    # As a person would: type in the page's search only once the dialog has closed
    # (while it is open, its focus trap takes the keystrokes).
    expect(dialog).to_be_hidden()
    page.get_by_label("Search contacts").fill("globex")
    expect(page.get_by_test_id("contact-row")).to_have_count(1)
    expect(_row(page, "Bob")).to_be_visible()
    page.get_by_label("Search contacts").fill("")

    page.get_by_role("button", name="Edit Bob").click()
    dialog.get_by_label("Name").fill("Robert")
    dialog.get_by_role("button", name="Save").click()
    page.get_by_role("link", name="Robert").click()
    expect(page).to_have_url(re.compile(r"/contacts/[0-9a-f-]{36}/?$"))
    expect(page.get_by_role("heading", name="Robert")).to_be_visible()
    page.get_by_label("Add a note").fill("Met at the expo.")
    page.get_by_role("button", name="Add note").click()
    expect(page.get_by_test_id("timeline-note")).to_contain_text("Met at the expo.")

    page.get_by_role("button", name="Delete").click()
    page.get_by_role("alertdialog").get_by_role("button", name="Delete").click()
    expect(page).to_have_url(re.compile(r"/contacts/?$"))
    expect(page.get_by_test_id("contact-row")).to_have_count(1)


def test_the_edit_dialog_and_delete_confirmation_work_from_the_keyboard(page, app_server):
    email = unique_email("contactkeys")
    sign_up(page, app_server.base_url, email=email, name="Keyboard User")
    insert_rows(app_server, user_id_of(app_server, email), contacts=[{"name": "Kim Key"}])
    page.goto(f"{app_server.base_url}/contacts")
    dialog = page.get_by_test_id("contact-dialog")
    confirm = page.get_by_role("alertdialog")
    cancel = confirm.get_by_role("button", name="Cancel")

    name_field = dialog.get_by_label("Name")
    check_dialog_keyboard(
        page.get_by_role("button", name="Edit Kim Key"), dialog, first_focus=name_field
    )
    delete = page.get_by_role("button", name="Delete Kim Key")
    check_dialog_keyboard(delete, confirm, first_focus=cancel)
    # Enter on Cancel closes it too, and deletes nothing.
    press_enter_on(delete)
    expect(cancel).to_be_focused()
    page.keyboard.press("Enter")
    expect(confirm).to_be_hidden()
    expect(delete).to_be_focused()
    expect(_row(page, "Kim Key")).to_be_visible()

    page.get_by_role("link", name="Kim Key").click()
    expect(page.get_by_role("heading", name="Kim Key")).to_be_visible()
    check_dialog_keyboard(
        page.get_by_role("button", name="Edit", exact=True), dialog, first_focus=name_field
    )
    check_dialog_keyboard(
        page.get_by_role("button", name="Delete", exact=True), confirm, first_focus=cancel
    )
    expect(page.get_by_role("heading", name="Kim Key")).to_be_visible()
