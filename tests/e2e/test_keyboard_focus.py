"""Keyboard focus after actions that remove, disable or re-create what held it, and its ring.

When that happens the browser puts focus on the page's body: the next Tab
starts from the top and a screen reader loses its place. Each case here is done
from the keyboard and checks where focus went.
"""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.e2e.helpers import press_enter_on, sign_up, unique_email
from tests.e2e.rows import insert_rows, user_id_of

# WCAG's contrast ratio of the focused element's outline against white.
OUTLINE_CONTRAST = """() => {
  const [r, g, b] = getComputedStyle(document.activeElement).outlineColor
    .match(/[\\d.]+/g).slice(0, 3).map(Number);
  const lin = (c) => { c /= 255; return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; };
  const luminance = 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
  return 1.05 / (luminance + 0.05);
}"""


def _signed_up_with_leads(page, app_server, label: str, leads: list[dict]) -> None:
    email = unique_email(label)
    sign_up(page, app_server.base_url, email=email, name=label.title())
    insert_rows(app_server, user_id_of(app_server, email), leads=leads)


def test_the_first_tab_offers_to_skip_the_navigation(page, app_server):
    _signed_up_with_leads(page, app_server, "skipper", [{"name": "Sam Skip"}])
    page.goto(f"{app_server.base_url}/leads")
    expect(page.get_by_test_id("lead-row")).to_have_count(1)
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")  # the page's own first control, not the sidebar's
    expect(page.get_by_role("button", name="New lead").first).to_be_focused()


def test_focus_rings_stand_out_on_blue_and_grey_buttons(page, app_server):
    _signed_up_with_leads(page, app_server, "ringer", [{"name": "Rita Ring"}])
    page.goto(f"{app_server.base_url}/leads")
    page.get_by_role("button", name="New lead").first.focus()
    page.keyboard.press("Enter")
    dialog = page.get_by_test_id("lead-dialog")
    cancel = dialog.get_by_role("button", name="Cancel")
    cancel.focus()
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Tab")  # by keyboard, so the ring shows (:focus-visible)
    expect(cancel).to_be_focused()
    assert page.evaluate(OUTLINE_CONTRAST) >= 3, "the grey button's focus ring"
    save = dialog.get_by_role("button", name="Save")
    page.keyboard.press("Tab")
    expect(save).to_be_focused()
    assert page.evaluate(OUTLINE_CONTRAST) >= 3, "the blue button's focus ring"


def test_paging_to_either_end_keeps_focus_on_the_pager(page, app_server):
    _signed_up_with_leads(page, app_server, "pager", [{"name": f"Lead {n}"} for n in range(30)])
    page.goto(f"{app_server.base_url}/leads")
    label = page.get_by_test_id("pager-label")
    expect(label).to_have_text("1–25 of 30")
    press_enter_on(page.get_by_role("button", name="Next"))
    expect(label).to_have_text("26–30 of 30")
    # Next is now disabled: focus goes to Previous, not to the top of the page.
    expect(page.get_by_role("button", name="Previous")).to_be_focused()
    page.keyboard.press("Enter")
    expect(label).to_have_text("1–25 of 30")
    expect(page.get_by_role("button", name="Next")).to_be_focused()


def test_deleting_the_last_row_left_puts_focus_on_the_page_heading(page, app_server):
    _signed_up_with_leads(page, app_server, "lastrow", [{"name": "Only One"}])
    page.goto(f"{app_server.base_url}/leads")
    press_enter_on(page.get_by_role("button", name="Delete Only One"))
    confirm = page.get_by_role("alertdialog")
    press_enter_on(confirm.get_by_role("button", name="Delete"))
    expect(page.get_by_test_id("leads-empty")).to_be_visible()
    expect(page.get_by_role("heading", name="Leads", exact=True)).to_be_focused()


def test_a_note_added_and_a_lead_converted_from_the_keyboard_keep_focus_nearby(page, app_server):
    _signed_up_with_leads(page, app_server, "noter", [{"name": "Nora Note"}])
    page.goto(f"{app_server.base_url}/leads")
    page.get_by_role("link", name="Nora Note").click()
    note = page.get_by_label("Add a note")
    note.fill("Called, left a message")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")  # Add note
    expect(page.get_by_text("Called, left a message")).to_be_visible()
    # The form was replaced by a fresh one: focus is in its field, ready for the next note.
    expect(page.get_by_label("Add a note")).to_be_focused()
    press_enter_on(page.get_by_role("button", name="Convert to contact"))
    expect(page.get_by_text("Created a contact. The lead is now won.")).to_be_visible()
    expect(page.get_by_role("link", name="Open the contact")).to_be_focused()


def test_saving_the_name_with_enter_leaves_focus_in_the_field(page, app_server):
    sign_up(page, app_server.base_url, email=unique_email("namer"), name="Old Name")
    page.goto(f"{app_server.base_url}/account")
    field = page.get_by_label("Name", exact=True)
    field.fill("New Name")
    field.press("Enter")
    expect(page.get_by_text("Name saved.")).to_be_visible()
    expect(page.get_by_label("Name", exact=True)).to_have_value("New Name")
    expect(page.get_by_label("Name", exact=True)).to_be_focused()


def test_a_refused_save_puts_focus_on_the_first_field_with_a_problem(page, app_server):
    _signed_up_with_leads(page, app_server, "refused", [])
    page.goto(f"{app_server.base_url}/leads")
    press_enter_on(page.get_by_role("button", name="New lead").first)
    dialog = page.get_by_test_id("lead-dialog")
    dialog.get_by_label("Name").fill("Fixable Phone")
    dialog.get_by_label("Phone").fill("12")
    dialog.get_by_label("Email").fill("fixable@example.com")
    dialog.get_by_label("Email").press("Enter")
    phone = dialog.get_by_label("Phone")
    expect(phone).to_be_focused()
    expect(phone).to_have_attribute("aria-invalid", "true")
    expect(phone).to_have_accessible_description(re.compile("^not a valid phone number"))


def test_the_csv_file_is_chosen_from_one_tab_stop(page, app_server):
    _signed_up_with_leads(page, app_server, "chooser", [])
    page.goto(f"{app_server.base_url}/leads?import=1")
    dialog = page.get_by_test_id("csv-import-dialog")
    choose = dialog.get_by_role("button", name="Choose a file")
    choose.focus()
    page.keyboard.press("Shift+Tab")
    # Not the drop zone around the button: one action, one stop.
    expect(dialog.get_by_test_id("csv-dropzone")).not_to_be_focused()
    page.keyboard.press("Tab")
    expect(choose).to_be_focused()
    # Enter on it opens the file chooser: the zone's hidden file input is clicked.
    dialog.locator("input[type=file]").evaluate(
        "(input) => input.addEventListener('click', (event) => {"
        " event.preventDefault(); window.fileInputClicked = true; })"
    )
    page.keyboard.press("Enter")
    page.wait_for_function("window.fileInputClicked === true")
    # And a way out that is not only Escape: the next stop, Cancel.
    page.keyboard.press("Tab")
    expect(dialog.get_by_role("button", name="Cancel")).to_be_focused()
    page.keyboard.press("Enter")
    expect(dialog).to_be_hidden()
