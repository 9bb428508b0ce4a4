"""Contacts through the real pages: create, duplicate refused, edit, search, detail, delete."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

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
    expect(_row(page, "Ada")).to_contain_text("(415) 555-2671")
    # Its page dials the number as stored: a tel: URI has no spaces or brackets.
    _row(page, "Ada").get_by_role("link", name="Ada").click()
    phone = page.get_by_role("link", name="(415) 555-2671")
    expect(phone).to_have_attribute("href", "tel:+14155552671")
    page.go_back()
    expect(_row(page, "Ada")).to_be_visible()

    # The same number typed another way is the same contact: refused at its field.
    _new_contact(page, name="Ada again", phone="(415) 555 2671")
    expect(dialog.get_by_text("the contact Ada already has this phone number")).to_be_visible()
    dialog.get_by_label("Phone").fill("")
    dialog.get_by_label("Email").fill("ADA@example.com")
    dialog.get_by_role("button", name="Save").click()
    expect(dialog.get_by_text("the contact Ada already has this email")).to_be_visible()
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

    page.get_by_role("button", name="Delete", exact=True).click()
    # What goes with it: its own timeline (notes, text messages); calls and runs stay.
    expect(page.get_by_role("alertdialog")).to_contain_text(
        "its notes and its text messages are deleted. Calls and automation runs stay"
    )
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


def test_back_to_the_list_returns_to_the_page_the_contact_was_opened_from(page, app_server):
    email = unique_email("contactpages")
    sign_up(page, app_server.base_url, email=email, name="Paging User")
    start = datetime(2026, 1, 1, tzinfo=UTC)
    # 30 contacts, newest first: page 2 is "Paged 04" down to "Paged 00".
    contacts = [
        {"name": f"Paged {n:02}", "created_at": start + timedelta(minutes=n)} for n in range(30)
    ]
    insert_rows(app_server, user_id_of(app_server, email), contacts=contacts)
    page.goto(f"{app_server.base_url}/contacts")
    pager_label = page.get_by_test_id("pager-label")
    page.get_by_role("button", name="Next").click()
    expect(pager_label).to_have_text("26–30 of 30")
    back_to_contacts = page.get_by_role("main").get_by_role("link", name="Contacts", exact=True)

    # Browser Back, then the page's own "← Contacts": page 2 both times. An older contact
    # arrives each time meanwhile, so the new total shows the list was loaded again.
    for number, go_back in enumerate((page.go_back, back_to_contacts.click)):
        page.get_by_role("link", name="Paged 04").click()
        expect(page.get_by_role("heading", name="Paged 04")).to_be_visible()
        arrived = {"name": f"Arrived {number}", "created_at": start - timedelta(days=number + 1)}
        insert_rows(app_server, user_id_of(app_server, email), contacts=[arrived])
        go_back()
        expect(pager_label).to_have_text(f"26–{31 + number} of {31 + number}")
        expect(page.get_by_test_id("contact-row").first).to_contain_text("Paged 04")

    # A new search starts again at page 1.
    page.get_by_label("Search contacts").fill("Paged")
    expect(pager_label).to_have_text("1–25 of 30")


def test_a_reconnect_keeps_the_open_dialog_and_what_was_typed_in_it(page, app_server):
    # Reflex runs the page's on_load again when the tab's socket reconnects (a network blip,
    # a laptop waking, a deploy): the dialog closed, and the half-typed contact was lost.
    sign_up(page, app_server.base_url, email=unique_email("reconnect"), name="Reconnect")
    sockets = []
    page.route_web_socket(
        re.compile(r"/_event"), lambda socket: sockets.append((socket, socket.connect_to_server()))
    )
    page.goto(f"{app_server.base_url}/contacts")
    expect(page.get_by_text("No contacts yet")).to_be_visible()
    page.get_by_role("button", name="New contact").first.click()
    dialog = page.get_by_test_id("contact-dialog")
    dialog.get_by_label("Name").fill("Half Typed")
    connections = len(sockets)
    browser_side, server_side = sockets[-1]
    server_side.close()
    browser_side.close()
    for _ in range(300):  # the tab's own reconnect
        if len(sockets) > connections:
            break
        page.wait_for_timeout(100)
    assert len(sockets) > connections, "the tab did not reconnect"
    page.wait_for_timeout(1500)  # past the reconnect's on_load
    expect(dialog).to_be_visible()
    expect(dialog.get_by_label("Name")).to_have_value("Half Typed")
    dialog.get_by_role("button", name="Save").click()
    expect(_row(page, "Half Typed")).to_be_visible()


def test_a_contacts_page_never_shows_the_contact_before_it_under_its_url(page, app_server):
    # The browser keeps the page's last values: Bob's page showed Ann under Bob's URL until
    # its on_load answered, and an Edit clicked then opened Ann.
    email = unique_email("stale")
    sign_up(page, app_server.base_url, email=email, name="Stale Pages")
    owner = user_id_of(app_server, email)
    ann_id, bob_id = insert_rows(
        app_server, owner, contacts=[{"name": "Ann Shown First"}, {"name": "Bob Shown Next"}]
    )
    held, hold = [], {"on": False}

    def relay(browser_side):
        server_side = browser_side.connect_to_server()

        def from_server(message):
            if hold["on"]:
                held.append((browser_side, message))
            else:
                browser_side.send(message)

        server_side.on_message(from_server)

    page.route_web_socket(re.compile(r"/_event"), relay)
    page.goto(f"{app_server.base_url}/contacts/{ann_id}")
    expect(page.get_by_role("heading", name="Ann Shown First")).to_be_visible()
    page.get_by_role("main").get_by_role("link", name="Contacts", exact=True).click()
    expect(_row(page, "Bob Shown Next")).to_be_visible()
    page.wait_for_timeout(500)  # the list's events answered, Ann's page's unmount too
    hold["on"] = True  # from now on the server's answers wait: Bob's on_load has not answered
    page.get_by_role("link", name="Bob Shown Next").click()
    expect(page).to_have_url(re.compile(f"/contacts/{bob_id}/?$"))
    page.wait_for_timeout(500)
    expect(page.get_by_role("heading", name="Ann Shown First")).to_have_count(0)
    hold["on"] = False
    for browser_side, message in held:
        browser_side.send(message)
    expect(page.get_by_role("heading", name="Bob Shown Next")).to_be_visible()
