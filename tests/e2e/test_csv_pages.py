"""CSV through the real pages: import with progress and a summary, the dashboard, export."""

from __future__ import annotations

import csv
import io
import re
import time
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import SESSION_COOKIE, sign_up, unique_email
from tests.e2e.rows import insert_rows, lead_count, user_id_of
from tests.e2e.sockets import listen_with_token
from tests.loadgen import run_to_completion

ROWS = 2_400
# Records every value the import's progress bar shows, as the page updates it.
WATCH_PROGRESS = """
window.progressSeen = [];
new MutationObserver(() => {
  const bar = document.querySelector('[role=progressbar][aria-label="Import progress"]');
  const value = bar && Number(bar.getAttribute('data-value'));
  if (bar && window.progressSeen.at(-1) !== value) window.progressSeen.push(value);
}).observe(document.body, {subtree: true, childList: true, attributes: true});
"""
STATUSES = ("new", "contacted", "qualified", "won", "lost")


FORMULA_NAME = '=HYPERLINK("http://evil.example","click")'


def _leads_csv(path) -> None:
    """ROWS good rows (statuses in turn, the last named like a formula), one duplicate,
    one bad phone, one phone a spreadsheet wrote in scientific notation."""
    lines = ["Full Name,Phone Number,E-mail,Stage,Lead Source"]
    for n in range(ROWS):
        name = f"Person {n}" if n < ROWS - 1 else '"' + FORMULA_NAME.replace('"', '""') + '"'
        lines.append(f"{name},+1415{4000000 + n:07d},p{n}@import.example,{STATUSES[n % 5]},expo")
    lines.append("Person 0 again,,P0@IMPORT.EXAMPLE,new,expo")
    lines.append("Bad Phone,12,,new,expo")
    lines.append("Spreadsheet,4.15555E+09,,new,expo")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_import_a_csv_watch_the_progress_complete_and_see_it_on_the_dashboard(
    page, app_server, tmp_path
):
    sign_up(page, app_server.base_url, email=unique_email("importer"), name="Importer")
    file = tmp_path / "leads.csv"
    _leads_csv(file)
    page.goto(f"{app_server.base_url}/leads")
    page.get_by_role("button", name="Import CSV").first.click()
    dialog = page.get_by_test_id("csv-import-dialog")
    dialog.locator("input[type=file]").set_input_files(str(file))

    # Columns matched by their headers, with the first rows shown.
    expect(dialog).to_contain_text(f"leads.csv: {ROWS + 3:,} rows. Check which field")
    preview = dialog.get_by_test_id("csv-preview")
    expect(preview).to_contain_text("Person 0")
    for header, field in (("Full Name", "name"), ("Phone Number", "phone"), ("Stage", "status")):
        expect(dialog.get_by_role("combobox", name=f"Field for column {header}")).to_have_text(
            field
        )
    expect(dialog.get_by_role("combobox", name="Field for column Lead Source")).to_have_text(
        "source"
    )

    page.evaluate(WATCH_PROGRESS)
    dialog.get_by_role("button", name="Import", exact=True).click()
    summary = dialog.get_by_test_id("import-summary")
    expect(summary).to_be_visible(timeout=60_000)
    progress = dialog.get_by_role("progressbar", name="Import progress")
    expect(progress).to_have_attribute("data-value", "100")
    seen = page.evaluate("window.progressSeen")
    assert seen == sorted(seen) and seen[-1] == 100, seen
    assert [value for value in seen if 0 < value < 100], f"no step between 0 and 100: {seen}"
    # Counts read like the list's counter: thousands separated.
    expect(dialog.get_by_test_id("import-created")).to_have_text(f"{ROWS:,}")
    expect(dialog.get_by_test_id("import-duplicates")).to_have_text("1")
    expect(dialog.get_by_test_id("import-rejected")).to_have_text("2")
    rejections = dialog.get_by_test_id("import-rejections")
    # The duplicate is listed with what it repeats: row 2 of the file, batches before.
    expect(rejections.get_by_role("row").filter(has_text=str(ROWS + 2))).to_contain_text(
        "skipped: the same email as row 2"
    )
    expect(rejections).to_contain_text(str(ROWS + 3))  # the bad phone's row number
    expect(rejections).to_contain_text("not a valid phone number")
    expect(rejections).to_contain_text(str(ROWS + 4))
    expect(rejections).to_contain_text("scientific notation (4.15555E+09)")
    expect(rejections).not_to_contain_text("formula")
    dialog.get_by_role("button", name="Done").click()
    expect(dialog).to_be_hidden()  # its focus trap would take the search's keystrokes
    expect(page.get_by_test_id("pager-label")).to_have_text(f"1–25 of {ROWS:,}")
    # The formula-like name was kept as typed and shows as plain text.
    page.get_by_label("Search leads").fill("HYPERLINK")
    expect(page.get_by_test_id("lead-row")).to_have_count(1)
    expect(page.get_by_test_id("lead-row")).to_contain_text(FORMULA_NAME)

    page.goto(f"{app_server.base_url}/dashboard")
    expect(page.get_by_test_id("stat-total-leads")).to_have_text(
        f"{ROWS:,}"
    )  # as the lists write counts
    expect(page.get_by_test_id("stat-new-leads")).to_have_text(f"{ROWS:,}")
    pipeline = page.get_by_test_id("pipeline-by-status")
    for status in STATUSES:
        expect(pipeline.get_by_role("link", name=status)).to_contain_text(str(ROWS // 5))
    expect(page.get_by_test_id("stat-conversion")).to_have_text("50%")  # won = lost
    expect(page.get_by_test_id("leads-by-source")).to_contain_text("expo")


def upload(page, dialog, file: Path) -> None:
    """Choose a file the browser sends, and wait until its upload's request is over.

    Reflex drops an upload chosen while the last one's request is still open
    (its answer brings the dialog's new state before the request ends): a
    person never chooses the next file that fast, a test does.
    """
    with page.expect_response(lambda response: "/_upload" in response.url) as sent:
        dialog.locator("input[type=file]").set_input_files(str(file))
    sent.value.finished()


def test_a_file_that_is_not_valid_csv_gets_a_clear_message(page, app_server, tmp_path):
    sign_up(page, app_server.base_url, email=unique_email("badfile"), name="Bad File")
    page.goto(f"{app_server.base_url}/leads?import=1")
    dialog = page.get_by_test_id("csv-import-dialog")
    neither = tmp_path / "neither.csv"
    neither.write_bytes(b"name,phone\nJos\xe9 \x81,+14155550100\n")  # not UTF-8, not Windows
    upload(page, dialog, neither)
    expect(dialog.get_by_role("alert")).to_contain_text("not UTF-8")
    no_header = tmp_path / "no-header.csv"
    no_header.write_text("Ana,+14155550100\nBob,+14155550101\n", encoding="utf-8")
    upload(page, dialog, no_header)
    expect(dialog.get_by_role("alert")).to_contain_text("header")
    unclosed = tmp_path / "unclosed.csv"
    unclosed.write_text('name,notes\nAna,"called twice\nBob,fine\n', encoding="utf-8")
    upload(page, dialog, unclosed)
    expect(dialog.get_by_role("alert")).to_contain_text("Row 2: unclosed quote")
    expect(dialog.get_by_test_id("csv-preview")).to_have_count(0)
    # The dashboard's link asked for the dialog once: a reload does not open it again.
    expect(page).to_have_url(re.compile(r"/leads/?$"))
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    page.reload()
    expect(page.get_by_role("heading", name="Leads", exact=True)).to_be_visible()
    expect(dialog).to_be_hidden()


def test_a_csv_saved_by_excel_on_windows_is_read_and_says_how(page, app_server, tmp_path):
    sign_up(page, app_server.base_url, email=unique_email("excel"), name="Excel User")
    page.goto(f"{app_server.base_url}/leads?import=1")
    dialog = page.get_by_test_id("csv-import-dialog")
    excel = tmp_path / "excel.csv"
    excel.write_bytes("name,phone\nJosé Müller,+14155550100\n".encode("cp1252"))
    upload(page, dialog, excel)
    expect(dialog.get_by_test_id("csv-encoding-note")).to_contain_text("Windows-1252")
    expect(dialog.get_by_test_id("csv-preview")).to_contain_text("José Müller")
    dialog.get_by_role("button", name="Import", exact=True).click()
    expect(dialog.get_by_test_id("import-created")).to_have_text("1")
    dialog.get_by_role("button", name="Done").click()
    expect(dialog).to_be_hidden()
    expect(page.get_by_test_id("lead-row")).to_have_text(re.compile("José Müller"))


def test_a_file_too_large_or_not_a_csv_is_refused_with_the_reason(page, app_server, tmp_path):
    # The browser refuses these before sending them: the dialog must say so, not sit still.
    sign_up(page, app_server.base_url, email=unique_email("refused"), name="Refused")
    page.goto(f"{app_server.base_url}/leads?import=1")
    dialog = page.get_by_test_id("csv-import-dialog")
    too_large = tmp_path / "huge.csv"
    row = "Someone With A Long Name,+14155550100,someone@example.com\n"
    too_large.write_text("name,phone,email\n" + row * (6 * 1024 * 1024 // len(row)))
    dialog.locator("input[type=file]").set_input_files(str(too_large))
    expect(dialog.get_by_role("alert")).to_contain_text("larger than 5 MB")
    spreadsheet = tmp_path / "leads.xlsx"
    spreadsheet.write_bytes(b"PK\x03\x04" + bytes(64))
    dialog.locator("input[type=file]").set_input_files(str(spreadsheet))
    expect(dialog.get_by_role("alert")).to_contain_text("not a CSV file")
    expect(dialog.get_by_role("alert")).not_to_contain_text("5 MB")
    expect(dialog.get_by_test_id("csv-dropzone")).to_be_visible()
    # A good file afterwards clears the message and goes on as usual.
    good = tmp_path / "good.csv"
    good.write_text("name,phone\nAna,+14155550150\n", encoding="utf-8")
    dialog.locator("input[type=file]").set_input_files(str(good))
    expect(dialog).to_contain_text("good.csv: 1 row. Check which field")
    expect(dialog.get_by_role("alert")).to_have_count(0)


def test_on_a_phone_the_dialog_fits_the_screen_and_the_preview_scrolls_inside_it(
    new_context, app_server, tmp_path
):
    width, height = 390, 844
    page = new_context(viewport={"width": width, "height": height}).new_page()
    sign_up(page, app_server.base_url, email=unique_email("phone"), name="Phone")
    wide = tmp_path / "wide.csv"
    wide.write_text(
        "name,phone,email,status,source,notes\n"
        + "".join(
            f"Person {n},+1415555{n:04d},p{n}@example.com,new,expo,called twice\n" for n in range(5)
        ),
        encoding="utf-8",
    )
    page.goto(f"{app_server.base_url}/leads?import=1")
    dialog = page.get_by_test_id("csv-import-dialog")
    dialog.locator("input[type=file]").set_input_files(str(wide))
    expect(dialog).to_contain_text("wide.csv: 5 rows. Check which field")

    box = dialog.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= width, box
    # The six columns are wider than the phone: the table scrolls sideways inside its own box.
    preview = dialog.get_by_test_id("csv-preview")
    preview_box = preview.bounding_box()
    assert preview_box["x"] + preview_box["width"] <= box["x"] + box["width"], preview_box
    table_width = preview.locator("table").evaluate("table => table.scrollWidth")
    assert table_width > preview_box["width"], (table_width, preview_box)
    import_button = dialog.get_by_role("button", name="Import", exact=True)
    expect(import_button).to_be_in_viewport(ratio=1)
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    # The last column is reached by scrolling the preview; the dialog stays where it was.
    last_column = dialog.get_by_role("combobox", name="Field for column notes")
    last_column.scroll_into_view_if_needed()
    expect(last_column).to_be_in_viewport(ratio=1)
    assert dialog.bounding_box()["x"] == pytest.approx(box["x"], abs=1)  # subpixel layout
    expect(import_button).to_be_in_viewport(ratio=1)
    import_button.click()
    expect(dialog.get_by_test_id("import-created")).to_have_text("5", timeout=30_000)


def test_a_google_contacts_export_joins_the_name_parts_and_keeps_extensions(
    page, app_server, tmp_path
):
    sign_up(page, app_server.base_url, email=unique_email("google"), name="Google Export")
    file = tmp_path / "contacts.csv"
    file.write_text(
        "First Name,Middle Name,Last Name,Organization Name,Notes,E-mail 1 - Value,"
        "Home Phone,Phone 1 - Value\n"
        'Ada,M.,Lovelace,Analytical Co,,ada@x.io,,"(415) 555-0150 ext. 12"\n'
        "Charles,,Babbage,,Met at the expo,,,415 555 0151\n",
        encoding="utf-8",
    )
    page.goto(f"{app_server.base_url}/contacts?import=1")
    dialog = page.get_by_test_id("csv-import-dialog")
    dialog.locator("input[type=file]").set_input_files(str(file))
    expect(dialog).to_contain_text("contacts.csv: 2 rows. Check which field")
    for header, choice in (
        ("First Name", "first name (joined into name)"),
        ("Middle Name", "middle name (joined into name)"),
        ("Last Name", "last name (joined into name)"),
        ("E-mail 1 - Value", "email"),
        ("Home Phone", "ignore"),  # empty: the column with the numbers is the phone
        ("Phone 1 - Value", "phone"),
    ):
        column = dialog.get_by_role("combobox", name=f"Field for column {header}")
        expect(column).to_have_text(choice)
    dialog.get_by_role("button", name="Import", exact=True).click()
    expect(dialog.get_by_test_id("import-created")).to_have_text("2", timeout=30_000)
    expect(dialog.get_by_test_id("import-rejected")).to_have_text("0")
    dialog.get_by_role("button", name="Done").click()
    rows = page.get_by_test_id("contact-row")
    expect(rows).to_have_count(2)
    expect(rows.filter(has_text="Babbage")).to_contain_text("Charles Babbage")
    rows.get_by_role("link", name="Ada M. Lovelace").click()
    expect(page.get_by_text("Phone extension: 12")).to_be_visible()


def test_a_column_of_dates_keeps_when_each_lead_was_created(page, app_server, tmp_path):
    sign_up(page, app_server.base_url, email=unique_email("dated"), name="Dated List")
    file = tmp_path / "old-leads.csv"
    file.write_text("Name,Phone,Date Added\nAna Old,512-555-0110,11/14/2025\n", encoding="utf-8")
    page.goto(f"{app_server.base_url}/leads?import=1")
    dialog = page.get_by_test_id("csv-import-dialog")
    dialog.locator("input[type=file]").set_input_files(str(file))
    column = dialog.get_by_role("combobox", name="Field for column Date Added")
    expect(column).to_have_text("date created (else today)")
    dialog.get_by_role("button", name="Import", exact=True).click()
    expect(dialog.get_by_test_id("import-created")).to_have_text("1", timeout=30_000)
    dialog.get_by_role("button", name="Done").click()
    # Noon UTC on that day: the same date in the browser's zone, whatever it is.
    row = page.get_by_test_id("lead-row").filter(has_text="Ana Old")
    expect(row).to_contain_text("2025-11-14")


def test_a_one_row_file_says_1_row_and_keeps_notes_as_typed(page, app_server, tmp_path):
    sign_up(page, app_server.base_url, email=unique_email("onerow"), name="One Row")
    file = tmp_path / "one.csv"
    file.write_text("name,phone,notes\nAna,+14155550150,- called twice\n", encoding="utf-8")
    page.goto(f"{app_server.base_url}/leads?import=1")
    dialog = page.get_by_test_id("csv-import-dialog")
    dialog.locator("input[type=file]").set_input_files(str(file))
    expect(dialog).to_contain_text("one.csv: 1 row. Check which field")
    dialog.get_by_role("button", name="Import", exact=True).click()
    expect(dialog.get_by_test_id("import-created")).to_have_text("1", timeout=30_000)
    expect(dialog.get_by_test_id("import-rejected")).to_have_text("0")


def test_export_downloads_the_filtered_list_with_formulas_escaped_and_phones_as_they_are(
    page, app_server
):
    email = unique_email("exporter")
    sign_up(page, app_server.base_url, email=email, name="Exporter")
    insert_rows(
        app_server,
        user_id_of(app_server, email),
        leads=[
            {"name": "=1+1", "status": "won", "phone": "+14155550100", "notes": "@SUM(A1)"},
            {"name": "Plain Won", "status": "won", "notes": "-2+3"},
            {"name": "Still New", "status": "new"},
        ],
    )
    page.goto(f"{app_server.base_url}/leads?status=won")
    expect(page.get_by_test_id("lead-row")).to_have_count(2)
    expect(page.get_by_test_id("lead-row").filter(has_text="=1+1")).to_have_count(1)
    with page.expect_download() as download:
        page.get_by_role("button", name="Export CSV").click()
    assert download.value.suggested_filename.startswith("leads-")
    text = Path(download.value.path()).read_text(encoding="utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert sorted(row["name"] for row in rows) == ["'=1+1", "Plain Won"]
    assert sorted(row["notes"] for row in rows) == ["'-2+3", "'@SUM(A1)"]
    assert {row["phone"] for row in rows} == {"+14155550100", ""}  # E.164: nothing to run
    assert "Still New" not in text


def test_a_tabs_token_without_its_cookie_cannot_put_a_file_into_its_import(
    page, new_context, app_server, tmp_path
):
    # SECURITY.md 16, for uploads: they come by HTTP, not on the tab's websocket.
    from crm_app.state.csv_import import CsvImportState

    sign_up(page, app_server.base_url, email=unique_email("victim"), name="Victim")
    other = new_context().new_page()
    sign_up(other, app_server.base_url, email=unique_email("planter"), name="Planter")
    others_cookie = next(c for c in other.context.cookies() if c["name"] == SESSION_COOKIE)
    mine = tmp_path / "mine.csv"
    mine.write_text("name,phone,email\nAlice Legit,+14155550111,alice@legit.example\n")
    page.goto(f"{app_server.base_url}/leads")
    page.get_by_role("button", name="Import CSV").first.click()
    dialog = page.get_by_test_id("csv-import-dialog")
    dialog.locator("input[type=file]").set_input_files(str(mine))
    expect(dialog).to_contain_text("mine.csv: 1 row.")

    tab_token = page.evaluate("sessionStorage.getItem('token')")
    planted = b"name,phone,email\nMallory Planted,+14155550666,mallory@evil.example\n"
    handler = f"{CsvImportState.get_full_name()}.read_file"
    for cookie in ("", f"{SESSION_COOKIE}={others_cookie['value']}"):
        response = httpx.post(
            f"{app_server.base_url}/_upload",
            headers={"reflex-client-token": tab_token, "reflex-event-handler": handler}
            | ({"cookie": cookie} if cookie else {}),
            files={"files": ("mine.csv", planted, "text/csv")},
        )
        if not cookie:
            assert response.status_code == 401
            assert response.json() == {"detail": "Not logged in."}

    # The victim's tab lost nothing to the other user and imports only its own file.
    expect(dialog).to_contain_text("mine.csv: 1 row.")
    dialog.get_by_role("button", name="Import", exact=True).click()
    expect(dialog.get_by_test_id("import-created")).to_have_text("1", timeout=30_000)
    dialog.get_by_role("button", name="Done").click()
    expect(page.get_by_test_id("lead-row")).to_have_count(1)
    expect(page.get_by_test_id("lead-row")).to_contain_text("Alice Legit")
    other.goto(f"{app_server.base_url}/leads")
    expect(other.get_by_test_id("leads-empty")).to_be_visible()


def test_a_file_chosen_after_a_log_out_in_another_tab_says_so_at_login(
    new_context, app_server, tmp_path
):
    context = new_context()
    page = context.new_page()
    sign_up(page, app_server.base_url, email=unique_email("upload-out"), name="Upload Out")
    page.goto(f"{app_server.base_url}/leads?import=1")
    dialog = page.get_by_test_id("csv-import-dialog")
    expect(dialog).to_be_visible()
    other = context.new_page()  # same browser, same cookie: log out there
    other.goto(f"{app_server.base_url}/dashboard")
    other.get_by_role("button", name="Log out").first.click()
    expect(other).to_have_url(re.compile(r"/login/?$"))

    file = tmp_path / "leads.csv"
    file.write_text("name,phone\nAna,+14155550100\n", encoding="utf-8")
    dialog.locator("input[type=file]").set_input_files(str(file))
    # The upload itself was refused (401); the page says why instead of nothing.
    expect(page).to_have_url(re.compile(r"/login/?\?next=%2Fleads.*&ended=1$"))
    expect(page.get_by_text("You were logged out in another tab")).to_be_visible()


def test_a_tab_closed_during_an_import_sends_its_rows_to_no_one(new_context, app_server, tmp_path):
    """The import runs on after the tab closes; its summary quotes the file's rows and the
    records they clash with, which must not go to a connection presenting the tab's token."""
    owner = new_context().new_page()
    email = unique_email("closedimport")
    sign_up(owner, app_server.base_url, email=email, name="Closed Import")
    holder = "Secret Sam " + email.split("@")[0][-6:]
    insert_rows(
        app_server, user_id_of(app_server, email), leads=[{"name": holder, "phone": "+14155550999"}]
    )
    # Long enough to outlast closing the tab; its last row clashes with the saved lead.
    rows = 30_000
    lines = ["Name,Phone"] + [f"Row {n},+1415{6000000 + n:07d}" for n in range(rows)]
    file = tmp_path / "long.csv"
    file.write_text("\n".join([*lines, "Clash,+14155550999"]) + "\n", encoding="utf-8")
    owner.goto(f"{app_server.base_url}/leads")
    owner.get_by_role("button", name="Import CSV").first.click()
    dialog = owner.get_by_test_id("csv-import-dialog")
    dialog.locator("input[type=file]").set_input_files(str(file))
    expect(dialog).to_contain_text(f"{rows + 1:,} rows")
    dialog.get_by_role("button", name="Import", exact=True).click()
    progress = dialog.get_by_role("progressbar", name="Import progress")
    expect(progress).not_to_have_attribute("data-value", "0")  # the first batches are in
    assert owner.get_by_test_id("import-summary").count() == 0  # and the last are not
    token = owner.evaluate("window.sessionStorage.getItem('token')")
    owner.close()
    received = run_to_completion(listen_with_token(app_server.base_url, token, 20))
    assert received
    assert holder not in received
    # The import itself went on to the end, without its tab.
    owner_id = user_id_of(app_server, email)
    for _ in range(120):
        if lead_count(app_server, owner_id) == rows + 1:
            break
        time.sleep(0.5)
    assert lead_count(app_server, owner_id) == rows + 1
