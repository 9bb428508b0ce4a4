"""Leads through the real pages: create, edit, search, status, delete, timeline, notes, board."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from playwright.sync_api import expect

from crm_app.components.dialogs import DISCARD_QUESTION
from tests.e2e.helpers import (
    DUPLICATE_IDS,
    check_dialog_keyboard,
    press_enter_on,
    sign_up,
    unique_email,
)
from tests.e2e.rows import insert_rows, user_id_of


def _new_lead(page, *, name: str, phone: str = "", email: str = "") -> None:
    page.get_by_role("button", name="New lead").first.click()
    dialog = page.get_by_test_id("lead-dialog")
    expect(dialog).to_be_visible()
    dialog.get_by_label("Name").fill(name)
    dialog.get_by_label("Phone").fill(phone)
    dialog.get_by_label("Email").fill(email)
    dialog.get_by_role("button", name="Save").click()


def _row(page, name: str):
    return page.get_by_test_id("lead-row").filter(has=page.get_by_role("link", name=name))


def _owner_of(page, app_server, label: str, leads: list[dict]) -> str:
    """Sign a new user up on page with these leads already stored, and open /leads; the email."""
    email = unique_email(label)
    sign_up(page, app_server.base_url, email=email, name=f"{label.title()} Owner")
    insert_rows(app_server, user_id_of(app_server, email), leads=leads)
    page.goto(f"{app_server.base_url}/leads")
    return email


def test_create_edit_search_change_status_and_delete_a_lead(page, app_server):
    sign_up(page, app_server.base_url, email=unique_email("leads"), name="Lead Keeper")
    page.goto(f"{app_server.base_url}/leads")
    expect(page.get_by_test_id("leads-empty")).to_be_visible()

    # Create: a bad phone is refused next to its field, a good one is stored in E.164 and
    # written as people write numbers here.
    _new_lead(page, name="Ada Lovelace", phone="512 555 01", email="ada@example.com")
    dialog = page.get_by_test_id("lead-dialog")
    # Too short for a US number: said so, not told to add a country code.
    expect(dialog.get_by_text("not a valid phone number")).to_have_text(
        "not a valid phone number (too short: a US number has 10 digits with its area code)"
    )
    dialog.get_by_label("Phone").fill("(415) 555-2671")
    dialog.get_by_role("button", name="Save").click()
    expect(dialog).to_be_hidden()
    expect(_row(page, "Ada Lovelace")).to_contain_text("(415) 555-2671")
    # A second lead with Ada's number would split her calls between two records.
    _new_lead(page, name="Grace Hopper", phone="415 555 2671", email="GRACE@example.com")
    phone_problem = "the lead Ada Lovelace already has this phone number"
    expect(dialog.get_by_label("Phone")).to_have_accessible_description(phone_problem)
    dialog.get_by_label("Phone").fill("")
    dialog.get_by_role("button", name="Save").click()
    expect(dialog).to_be_hidden()
    expect(_row(page, "Grace Hopper")).to_contain_text("grace@example.com")
    expect(page.get_by_test_id("pager-label")).to_have_text("1–2 of 2")

    # Edit in the dialog.
    page.get_by_role("button", name="Edit Ada Lovelace").click()
    expect(dialog.get_by_label("Name")).to_have_value("Ada Lovelace")
    dialog.get_by_label("Name").fill("Ada King")
    dialog.get_by_role("button", name="Save").click()
    expect(_row(page, "Ada King")).to_be_visible()
    expect(_row(page, "Ada Lovelace")).to_have_count(0)
    expect(dialog).to_be_hidden()  # its focus trap would take the search's keystrokes

    # Search by a phone number typed another way.
    page.get_by_label("Search leads").fill("415 555 2671")
    expect(page.get_by_test_id("lead-row")).to_have_count(1)
    expect(_row(page, "Ada King")).to_be_visible()
    page.get_by_label("Search leads").fill("")
    expect(page.get_by_test_id("lead-row")).to_have_count(2)

    # Change the status from the list; it holds after a reload.
    page.get_by_role("combobox", name="Status of Grace Hopper").click()
    page.get_by_role("option", name="won", exact=True).click()
    expect(page.get_by_text("Grace Hopper is now won.")).to_be_visible()
    page.reload()
    expect(page.get_by_role("combobox", name="Status of Grace Hopper")).to_have_text("won")

    # Delete, after a confirmation.
    page.get_by_role("button", name="Delete Grace Hopper").click()
    confirm = page.get_by_role("alertdialog")
    expect(confirm).to_contain_text("Delete Grace Hopper?")
    confirm.get_by_role("button", name="Delete").click()
    expect(_row(page, "Grace Hopper")).to_have_count(0)
    expect(page.get_by_test_id("lead-row")).to_have_count(1)


def test_a_blank_lead_and_a_phone_extension_are_refused_at_their_fields_then_saved(
    page, app_server
):
    sign_up(page, app_server.base_url, email=unique_email("badphone"), name="Careful Typist")
    page.goto(f"{app_server.base_url}/leads")
    dialog = page.get_by_test_id("lead-dialog")

    _new_lead(page, name="   ")
    expect(dialog.get_by_text("enter a name, phone or email")).to_be_visible()

    dialog.get_by_label("Name").fill("Ext Phone")
    dialog.get_by_label("Phone").fill("+1 (415) 555-0100 ext 1234")
    dialog.get_by_role("button", name="Save").click()
    expect(dialog.get_by_text("enter the number without its extension")).to_be_visible()
    expect(dialog.get_by_label("Phone")).to_have_attribute("aria-invalid", "true")

    # Save is heard again once the number is fixed.
    dialog.get_by_label("Phone").fill("+1 (415) 555-0100")
    dialog.get_by_role("button", name="Save").click()
    expect(dialog).to_be_hidden()
    expect(page.get_by_text("Added Ext Phone.")).to_be_visible()
    expect(_row(page, "Ext Phone")).to_contain_text("(415) 555-0100")
    expect(page.get_by_text("An error occurred")).to_have_count(0)


def test_a_leads_timeline_shows_a_call_posted_by_webhook_and_takes_notes(page, app_server):
    email = unique_email("timeline")
    sign_up(page, app_server.base_url, email=email, name="Timeline Owner")
    page.goto(f"{app_server.base_url}/leads")
    _new_lead(page, name="Caller Carla", phone="+14155550123")
    page.get_by_role("link", name="Caller Carla").click()
    expect(page).to_have_url(re.compile(r"/leads/[0-9a-f-]{36}/?$"))
    lead_id = page.url.rstrip("/").rsplit("/", 1)[1]
    expect(page.get_by_role("heading", name="Caller Carla")).to_be_visible()

    # The call arrives the way the Vapi webhook stores it: a call log linked to the lead.
    owner = user_id_of(app_server, email)
    (call_id,) = insert_rows(
        app_server,
        owner,
        call_logs=[
            {
                "lead_id": lead_id,
                "customer_number": "+14155550123",
                "summary": "Carla asked for a quote for two rooms.",
                "transcript": "AI: Hello, how can I help?\nUser: I need a quote for two rooms.",
                "duration_seconds": 95,
                "cost": Decimal("0.1742"),
            }
        ],
    )
    page.reload()
    call = page.get_by_test_id("timeline-call")
    expect(call).to_contain_text("Incoming call · answered · 1:35")
    expect(call).to_contain_text("Carla asked for a quote for two rooms.")

    page.get_by_label("Add a note").fill("Send the quote on Monday.")
    page.get_by_role("button", name="Add note").click()
    expect(page.get_by_test_id("timeline-note")).to_contain_text("Send the quote on Monday.")
    expect(page.get_by_label("Add a note")).to_have_value("")

    page.get_by_role("combobox", name="Status", exact=True).click()
    page.get_by_role("option", name="qualified", exact=True).click()
    expect(page.get_by_test_id("timeline-status_change")).to_contain_text("new → qualified")

    page.get_by_role("button", name="Convert to contact").click()
    expect(page.get_by_role("link", name="Open the contact")).to_be_visible()

    # The call's own page: summary, transcript by speaker, cost, the lead.
    call.get_by_role("link").click()
    expect(page).to_have_url(re.compile(rf"/calls/{call_id}/?$"))
    expect(page.get_by_test_id("call-summary")).to_have_text(
        "Carla asked for a quote for two rooms."
    )
    expect(page.get_by_test_id("transcript-turn")).to_have_count(2)
    expect(page.get_by_test_id("call-cost")).to_have_text("$0.1742")
    expect(page.get_by_test_id("call-lead")).to_have_text("Caller Carla")


def test_a_note_can_be_corrected_and_deleted_after_a_question(page, app_server):
    _owner_of(page, app_server, "notefix", [{"name": "Noted Nell"}])
    page.get_by_role("link", name="Noted Nell").click()
    expect(page.get_by_role("heading", name="Noted Nell")).to_be_visible()
    for text in ("Call back on Munday.", "Prefers email."):
        page.get_by_label("Add a note").fill(text)
        page.get_by_role("button", name="Add note").click()
        expect(page.get_by_text(text)).to_be_visible()
    notes = page.get_by_test_id("timeline-note")
    typo, newest = notes.nth(1), notes.nth(0)
    expect(typo).to_contain_text("Call back on Munday.")

    # Edit: the text as it is, ready to change; blank is refused with a way out.
    typo.get_by_role("button", name="Edit note").click()
    field = typo.get_by_label("Note", exact=True)
    expect(field).to_be_focused()
    expect(field).to_have_value("Call back on Munday.")
    field.fill("   ")
    typo.get_by_role("button", name="Save note").click()
    expect(typo.get_by_role("alert")).to_have_text("write something, or delete the note")
    field.fill("Call back on Monday.")
    field.press("Tab")
    page.keyboard.press("Enter")  # Save note
    expect(typo).to_contain_text("Call back on Monday.")
    expect(typo).to_contain_text("Note · edited")
    expect(newest).not_to_contain_text("edited")
    expect(field).to_have_count(0)
    expect(typo.get_by_role("button", name="Edit note")).to_be_focused()

    # Cancel closes the form unchanged, focus back on Edit.
    typo.get_by_role("button", name="Edit note").click()
    typo.get_by_label("Note", exact=True).fill("Something else")
    typo.get_by_role("button", name="Cancel").click()
    expect(field).to_have_count(0)
    expect(typo).to_contain_text("Call back on Monday.")
    expect(typo.get_by_role("button", name="Edit note")).to_be_focused()

    # Escape is Cancel too; with the text changed, it asks first.
    questions: list[str] = []
    typo.get_by_role("button", name="Edit note").click()
    expect(field).to_be_focused()
    field.press("Escape")
    expect(field).to_have_count(0)
    typo.get_by_role("button", name="Edit note").click()
    field.fill("Changed my mind")
    page.once("dialog", lambda question: (questions.append(question.message), question.dismiss()))
    field.press("Escape")
    expect(field).to_have_value("Changed my mind")
    page.once("dialog", lambda question: (questions.append(question.message), question.accept()))
    field.press("Escape")
    expect(field).to_have_count(0)
    expect(typo).to_contain_text("Call back on Monday.")
    assert questions == [DISCARD_QUESTION] * 2

    # Edit or Delete on another note would close this edit: unchanged, it just moves;
    # changed, it asks, and "no" keeps the edit where it was.
    def answer(accept: bool):  # noqa: ANN202
        def reply(question) -> None:  # noqa: ANN001
            questions.append(question.message)
            question.accept() if accept else question.dismiss()

        return reply

    typo.get_by_role("button", name="Edit note").click()
    newest.get_by_role("button", name="Edit note").click()
    expect(newest.get_by_label("Note", exact=True)).to_have_value("Prefers email.")
    expect(field).to_have_count(0)
    newest.get_by_role("button", name="Cancel").click()
    typo.get_by_role("button", name="Edit note").click()
    field.fill("Half typed")
    # Its own Delete would close it too; its own Edit would not, and does not ask.
    for button in (
        newest.get_by_role("button", name="Edit note"),
        *(note.get_by_role("button", name="Delete note") for note in (newest, typo)),
    ):
        page.once("dialog", answer(False))
        button.click()
    typo.get_by_role("button", name="Edit note").click()
    expect(page.get_by_role("alertdialog")).to_have_count(0)
    # The server kept this edit open all along: its Save is taken.
    field.fill("Call back on Monday.")
    typo.get_by_role("button", name="Save note").click()
    expect(field).to_have_count(0)
    expect(newest.get_by_label("Note", exact=True)).to_have_count(0)
    typo.get_by_role("button", name="Edit note").click()
    field.fill("Half typed")
    page.once("dialog", answer(True))
    newest.get_by_role("button", name="Edit note").click()
    expect(newest.get_by_label("Note", exact=True)).to_have_value("Prefers email.")
    expect(typo).to_contain_text("Call back on Monday.")
    newest.get_by_role("button", name="Cancel").click()
    expect(field).to_have_count(0)
    assert questions == [DISCARD_QUESTION] * 6

    # Another tab saves the same note first: this one's Save says so and keeps what was
    # typed; Save again puts it in place.
    typo.get_by_role("button", name="Edit note").click()
    field.fill("Call back on Monday at 9.")
    other = page.context.new_page()
    other.goto(page.url)
    other_typo = other.get_by_test_id("timeline-note").nth(1)
    other_typo.get_by_role("button", name="Edit note").click()
    other_typo.get_by_label("Note", exact=True).fill("Call back on Tuesday.")
    other_typo.get_by_role("button", name="Save note").click()
    expect(other_typo).to_contain_text("Call back on Tuesday.")
    other.close()
    typo.get_by_role("button", name="Save note").click()
    expect(typo.get_by_role("alert")).to_contain_text("changed elsewhere since you opened it")
    expect(field).to_have_value("Call back on Monday at 9.")
    typo.get_by_role("button", name="Save note").click()
    expect(typo).to_contain_text("Call back on Monday at 9.")
    expect(field).to_have_count(0)

    # Delete asks first; Cancel keeps it, and focus returns to the button that asked.
    newest.get_by_role("button", name="Delete note").click()
    confirm = page.get_by_role("alertdialog")
    expect(confirm).to_contain_text("Delete this note?")
    expect(confirm).to_contain_text("It cannot be brought back.")
    confirm.get_by_role("button", name="Cancel").click()
    expect(confirm).to_have_count(0)
    expect(notes).to_have_count(2)
    expect(newest.get_by_role("button", name="Delete note")).to_be_focused()
    newest.get_by_role("button", name="Delete note").click()
    confirm.get_by_role("button", name="Delete").click()
    expect(page.get_by_text("Note deleted.")).to_be_visible()
    expect(notes).to_have_count(1)
    # The button that asked is gone with its note: focus goes to the page's heading.
    expect(page.get_by_role("heading", name="Noted Nell")).to_be_focused()

    # Stored so: after a reload, one note, corrected; an edit left open is not reopened.
    notes.first.get_by_role("button", name="Edit note").click()
    page.reload()
    expect(notes).to_have_count(1)
    expect(notes.first).to_have_text(re.compile(r"Call back on Monday at 9\."))
    expect(page.get_by_label("Note", exact=True)).to_have_count(0)
    expect(page.get_by_text("Prefers email.")).to_have_count(0)


def test_stored_text_is_shown_escaped_never_run(page, app_server):
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    script = "<img src=x onerror=alert(1)><script>alert(2)</script>"
    _owner_of(page, app_server, "escape", [{"name": script, "notes": script}])
    expect(page.get_by_role("link", name=script)).to_be_visible()
    page.get_by_role("link", name=script).click()
    expect(page.get_by_role("heading", name=script)).to_be_visible()
    page.wait_for_timeout(500)
    assert dialogs == []
    assert page.locator("img[src=x]").count() == 0


def test_the_board_shows_each_status_and_moves_a_lead(page, app_server):
    leads = [{"name": "Nina New", "status": "new"}, {"name": "Walt Won", "status": "won"}]
    _owner_of(page, app_server, "board", leads)
    page.get_by_role("radio", name="Board").click()
    expect(page.get_by_test_id("board-column-new")).to_contain_text("Nina New")
    expect(page.get_by_test_id("board-column-won")).to_contain_text("Walt Won")
    page.get_by_role("combobox", name="Move Nina New to").click()
    page.get_by_role("option", name="qualified", exact=True).click()
    expect(page.get_by_test_id("board-column-qualified")).to_contain_text("Nina New")
    expect(page.get_by_test_id("board-column-new")).not_to_contain_text("Nina New")
    # A search no lead matches says so, as the table does, instead of empty columns.
    page.get_by_label("Search leads").fill("nobody by this name")
    expect(page.get_by_text("No leads match")).to_be_visible()
    expect(page.get_by_test_id("pipeline-board")).to_have_count(0)
    page.get_by_role("button", name="Clear filters").click()
    expect(page.get_by_test_id("board-column-won")).to_contain_text("Walt Won")


def test_a_long_timeline_shows_its_older_entries_on_asking(page, app_server):
    email = _owner_of(page, app_server, "longtimeline", [{"name": "Talkative Tess"}])
    owner = user_id_of(app_server, email)
    href = page.get_by_role("link", name="Talkative Tess").get_attribute("href") or ""
    lead_id = re.search(r"[0-9a-f-]{36}", href).group()
    start = datetime.now(UTC) - timedelta(days=30)
    notes = [
        {"lead_id": lead_id, "body": f"note {n}", "occurred_at": start + timedelta(minutes=n)}
        for n in range(101)
    ]
    insert_rows(app_server, owner, activities=notes)
    page.get_by_role("link", name="Talkative Tess").click()
    entries = page.get_by_test_id("timeline-note")
    expect(entries).to_have_count(100)
    expect(page.get_by_text("note 0", exact=True)).to_have_count(0)
    page.get_by_role("button", name="Show older entries").click()
    expect(entries).to_have_count(101)
    expect(page.get_by_text("note 0", exact=True)).to_be_visible()
    expect(page.get_by_role("button", name="Show older entries")).to_have_count(0)


def test_the_board_exports_every_status_it_shows_not_the_tables_hidden_filter(page, app_server):
    leads = [{"name": "Nina New", "status": "new"}, {"name": "Walt Won", "status": "won"}]
    _owner_of(page, app_server, "boardexport", leads)
    page.get_by_role("combobox", name="Status", exact=True).click()
    page.get_by_role("option", name="Won", exact=True).click()
    expect(page.get_by_test_id("lead-row")).to_have_count(1)
    page.get_by_role("radio", name="Board").click()
    expect(page.get_by_test_id("board-column-new")).to_contain_text("Nina New")
    with page.expect_download() as download:
        page.get_by_role("button", name="Export CSV").click()
    rows = csv.DictReader(io.StringIO(Path(download.value.path()).read_text("utf-8-sig")))
    assert sorted(row["name"] for row in rows) == ["Nina New", "Walt Won"]


def test_a_source_named_all_is_a_source_like_any_other(page, app_server):
    leads = [{"name": "From All", "source": "all"}, {"name": "From Web", "source": "website"}]
    _owner_of(page, app_server, "sources", leads)
    expect(page.get_by_role("combobox", name="Source")).to_have_text("All sources")
    page.get_by_role("combobox", name="Source").click()
    expect(page.get_by_role("option", name="All sources")).to_have_count(1)
    page.get_by_role("option", name="all", exact=True).click()
    expect(page.get_by_test_id("lead-row")).to_have_count(1)
    expect(_row(page, "From All")).to_be_visible()


def test_the_board_keeps_the_lists_sort(page, app_server):
    names = ["Bea", "Cid", "Abe"]  # created in this order: newest first is Abe, Cid, Bea
    _owner_of(page, app_server, "boardsort", [{"name": name, "status": "new"} for name in names])
    page.get_by_role("combobox", name="Sort").click()
    page.get_by_role("option", name="Name A–Z").click()
    expect(page.get_by_test_id("lead-row").first).to_contain_text("Abe")
    expect(page.get_by_test_id("lead-row").nth(1)).to_contain_text("Bea")  # sorted by now
    page.get_by_role("radio", name="Board").click()
    column = page.get_by_test_id("board-column-new")
    expect(column).to_contain_text("Cid")
    text = column.inner_text()
    assert text.index("Abe") < text.index("Bea") < text.index("Cid")


def test_a_link_that_names_filters_shows_exactly_those(page, app_server):
    leads = [
        {"name": "Won Web", "status": "won", "source": "website"},
        {"name": "Lost Web", "status": "lost", "source": "website"},
        {"name": "Won Vapi", "status": "won", "source": "vapi"},
        {"name": "New Web", "status": "new", "source": "Website"},  # one source, whatever case
    ]
    _owner_of(page, app_server, "links", leads)
    rows = page.get_by_test_id("lead-row")
    page.goto(f"{app_server.base_url}/leads?status=won")  # as the dashboard's pipeline links
    expect(rows).to_have_count(2)
    page.goto(f"{app_server.base_url}/leads?source=WEBSITE")  # its sources link: any status
    expect(rows).to_have_count(3)
    expect(_row(page, "Lost Web")).to_be_visible()
    # The menu names it as it is most often spelled.
    expect(page.get_by_role("combobox", name="Source")).to_have_text("website")
    page.get_by_label("Search leads").fill("Won")
    expect(rows).to_have_count(1)
    page.goto(f"{app_server.base_url}/leads")  # a plain visit keeps what the tab had
    expect(page.get_by_label("Search leads")).to_have_value("Won")
    expect(rows).to_have_count(1)


def test_a_status_link_opens_the_table_when_the_tab_was_on_the_board(page, app_server):
    _owner_of(
        page,
        app_server,
        "boardlink",
        [{"name": "Won Once", "status": "won"}, {"name": "Still New", "status": "new"}],
    )
    page.get_by_role("radio", name="Board").click()
    expect(page.get_by_test_id("board-column-new")).to_contain_text("Still New")
    page.goto(f"{app_server.base_url}/leads?status=won")  # as the dashboard's pipeline links
    expect(page.get_by_test_id("lead-row")).to_have_count(1)
    expect(_row(page, "Won Once")).to_be_visible()
    expect(page.get_by_role("combobox", name="Status", exact=True)).to_have_text("Won")


def test_a_very_long_email_wraps_inside_the_table(page, app_server):
    long_email = "x" * 250 + "@example.com"
    page.set_viewport_size({"width": 1280, "height": 800})
    _owner_of(page, app_server, "wide", [{"email": long_email}])
    expect(page.get_by_text(long_email)).to_be_visible()
    # Nothing sticks out: the table ends inside the page's main area.
    overflow = page.evaluate(
        """() => document.querySelector('table').getBoundingClientRect().right
                 - document.querySelector('main').getBoundingClientRect().right"""
    )
    assert overflow <= 0, f"the table sticks out by {overflow} px"


# The lines each name link's text takes, and its words: a name split mid-word has more lines.
NAME_LINES = """(selector) => [...document.querySelectorAll(selector)].map((link) => {
    const range = document.createRange();
    range.selectNodeContents(link);
    const tops = new Set([...range.getClientRects()].map((rect) => Math.round(rect.top)));
    return [link.textContent, tops.size, link.textContent.trim().split(/\\s+/).length];
})"""


def test_names_keep_their_words_whole_beside_the_sidebar_and_on_a_phone(page, app_server):
    page.set_viewport_size({"width": 1024, "height": 800})
    names = ["Nadia Nakamura", "Maximilian Schwarzenegger", "Ana María Ruiz-Olmedo"]
    leads = [{"name": name, "email": f"{name.split()[0].lower()}.long.address@example.com"}
             for name in names]  # fmt: skip
    _owner_of(page, app_server, "narrow", leads)
    expect(page.get_by_test_id("lead-row")).to_have_count(3)
    expect(page.get_by_test_id("lead-row").first.get_by_test_id("row-email")).to_be_visible()
    for width in (1024, 375):
        page.set_viewport_size({"width": width, "height": 800})
        shown = page.evaluate(NAME_LINES, "[data-testid=lead-row] a[href^='/leads/']")
        assert len(shown) == 3
        for name, lines, words in shown:
            assert lines <= words, f"{name!r} takes {lines} lines at {width} px: split mid-word"
    # Beside the sidebar the whole table fits: nothing to scroll to, the row's buttons in view.
    page.set_viewport_size({"width": 1024, "height": 800})
    hidden = page.evaluate(
        """() => { const box = document.querySelector('table').parentElement.parentElement;
                   return box.scrollWidth - box.clientWidth; }"""
    )
    assert hidden <= 0, f"at 1024 px the table scrolls by {hidden} px"
    expect(page.get_by_role("button", name="Edit Nadia Nakamura")).to_be_in_viewport()


PAGE_OVERFLOW = "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"


def test_a_name_with_no_spaces_stays_on_the_page_with_its_actions(page, app_server):
    page.set_viewport_size({"width": 1280, "height": 800})
    name = "A" * 200  # the longest name the form takes
    _owner_of(page, app_server, "unbroken", [{"name": name, "phone": "+14155550188"}])
    page.get_by_role("radio", name="Board").click()
    expect(page.get_by_test_id("board-column-new")).to_contain_text(name)
    for width in (1280, 375):
        page.set_viewport_size({"width": width, "height": 800})
        assert page.evaluate(PAGE_OVERFLOW) <= 0, f"the board is wider than {width} px"
    page.set_viewport_size({"width": 1280, "height": 800})
    page.get_by_role("link", name=name).click()
    expect(page.get_by_role("heading", name=name)).to_be_visible()
    for width in (1280, 375):
        page.set_viewport_size({"width": width, "height": 800})
        assert page.evaluate(PAGE_OVERFLOW) <= 0, f"the lead's page is wider than {width} px"
        for action in ("Edit", "Delete"):
            button = page.get_by_role("button", name=action, exact=True)
            button.scroll_into_view_if_needed()
            expect(button).to_be_in_viewport()


def test_a_click_beside_the_dialog_keeps_what_was_typed(page, app_server):
    _owner_of(page, app_server, "stray", [])
    page.get_by_role("button", name="New lead").first.click()
    dialog = page.get_by_test_id("lead-dialog")
    dialog.get_by_label("Name").fill("Half Typed")
    dialog.get_by_label("Notes").fill("Wants a quote for the boiler")
    page.mouse.click(5, 5)  # outside the dialog, on the overlay
    expect(dialog).to_be_visible()
    expect(dialog.get_by_label("Notes")).to_have_value("Wants a quote for the boiler")
    # Escape is still the way out, as Cancel is, but asks first when something was typed.
    questions: list[str] = []

    def answer(accept: bool):
        def on_dialog(question) -> None:
            questions.append(question.message)
            question.accept() if accept else question.dismiss()

        return on_dialog

    page.once("dialog", answer(False))
    page.keyboard.press("Escape")
    expect(dialog.get_by_label("Notes")).to_have_value("Wants a quote for the boiler")
    assert questions == [DISCARD_QUESTION]
    page.once("dialog", answer(True))
    page.keyboard.press("Escape")
    expect(dialog).to_have_count(0)
    assert questions == [DISCARD_QUESTION] * 2
    # Nothing typed: Escape closes at once, without a question.
    page.get_by_role("button", name="New lead").first.click()
    expect(dialog.get_by_label("Name")).to_have_value("")
    page.keyboard.press("Escape")
    expect(dialog).to_have_count(0)
    assert len(questions) == 2


def test_escape_asks_after_a_refused_save_and_after_a_status_change_alone(page, app_server):
    _owner_of(page, app_server, "refused", [])
    questions: list[str] = []
    page.on("dialog", lambda question: (questions.append(question.message), question.dismiss()))
    _new_lead(page, name="Half Typed", phone="12")
    dialog = page.get_by_test_id("lead-dialog")
    expect(dialog.get_by_text("not a valid phone number")).to_be_visible()
    # Refused, the form now holds what was typed as its fields' defaults: still asked.
    page.keyboard.press("Escape")
    expect(dialog.get_by_label("Name")).to_have_value("Half Typed")
    assert questions == [DISCARD_QUESTION]
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_have_count(0)
    # Only the status changed: asked too.
    page.get_by_role("button", name="New lead").first.click()
    dialog.get_by_role("combobox", name="Status", exact=True).click()
    page.get_by_role("option", name="qualified").click()
    expect(dialog.get_by_role("combobox", name="Status", exact=True)).to_have_text("qualified")
    page.keyboard.press("Escape")
    expect(dialog).to_be_visible()
    assert questions == [DISCARD_QUESTION] * 2


def test_escape_closes_an_untouched_edit_at_once_whatever_its_text_holds(page, app_server):
    # Imported as they were typed elsewhere: a line break in the name (an input drops it)
    # and Windows line ends in the notes (a text area keeps \n alone).
    _owner_of(
        page,
        app_server,
        "untouched",
        [{"name": "Ada\nLovelace", "notes": "line one\r\nline two", "phone": "+14155550150"}],
    )
    questions: list[str] = []
    page.on("dialog", lambda question: (questions.append(question.message), question.dismiss()))
    page.get_by_test_id("lead-row").get_by_role("link").first.click()
    page.get_by_role("button", name="Edit", exact=True).click()
    dialog = page.get_by_test_id("lead-dialog")
    expect(dialog.get_by_label("Notes")).to_have_value("line one\nline two")
    page.keyboard.press("Escape")
    expect(dialog).to_have_count(0)
    assert questions == []


def test_a_lead_whose_email_the_browser_would_call_invalid_can_be_edited(page, app_server):
    # Stored from a CSV import or a webhook: the browser's check of type="email" refused
    # both, and with them every Save of the lead.
    _owner_of(
        page,
        app_server,
        "unicode-email",
        [{"name": "José Ruiz", "email": "josé@example.com", "phone": "+14155550151"}],
    )
    page.get_by_test_id("lead-row").get_by_role("link").first.click()
    page.get_by_role("button", name="Edit", exact=True).click()
    dialog = page.get_by_test_id("lead-dialog")
    expect(dialog.get_by_label("Email")).to_have_value("josé@example.com")
    dialog.get_by_label("Notes").fill("prefers mornings")
    dialog.get_by_role("button", name="Save").click()
    expect(dialog).to_have_count(0)
    expect(page.get_by_text("prefers mornings")).to_be_visible()
    # The service still judges what is typed, beside the field.
    page.get_by_role("button", name="Edit", exact=True).click()
    dialog.get_by_label("Email").fill("not an email")
    dialog.get_by_role("button", name="Save").click()
    expect(dialog.get_by_text("not a valid email address")).to_be_visible()


def test_a_double_click_adds_one_lead_one_note_and_converts_once(page, app_server):
    _owner_of(page, app_server, "double", [])
    page.get_by_role("button", name="New lead").first.click()
    dialog = page.get_by_test_id("lead-dialog")
    dialog.get_by_label("Name").fill("Double Click")
    dialog.get_by_label("Phone").fill("4155550199")
    dialog.get_by_role("button", name="Save").dblclick()
    expect(dialog).to_be_hidden()
    page.get_by_role("link", name="Double Click").click()
    expect(page.get_by_role("heading", name="Double Click")).to_be_visible()

    page.get_by_label("Add a note").fill("Called back, wants a quote")
    page.get_by_role("button", name="Add note").dblclick()
    timeline = page.get_by_text("Called back, wants a quote")
    expect(timeline).to_have_count(1)
    page.get_by_role("button", name="Convert to contact").dblclick()
    expect(page.get_by_text("Created a contact.")).to_be_visible()
    # Each tab's events run in order: what the second clicks did is done by now.
    page.reload()
    expect(page.get_by_text("Called back, wants a quote")).to_have_count(1)
    expect(page.get_by_text("Linked to the existing contact.")).to_have_count(0)
    page.goto(f"{app_server.base_url}/leads")
    expect(page.get_by_test_id("pager-label")).to_have_text("1–1 of 1")


def test_two_tabs_editing_one_lead_keep_each_others_changes(new_context, app_server):
    context = new_context()
    first = context.new_page()
    lead = {"name": "Shared Lead", "phone": "+14155550111", "status": "lost", "notes": ""}
    _owner_of(first, app_server, "tabs", [lead])
    second = context.new_page()
    second.goto(f"{app_server.base_url}/leads")
    # The first tab opens the dialog; meanwhile the second renames the lead and wins it.
    first.get_by_role("button", name="Edit Shared Lead").click()
    first_dialog = first.get_by_test_id("lead-dialog")
    expect(first_dialog.get_by_label("Name")).to_have_value("Shared Lead")
    second.get_by_role("button", name="Edit Shared Lead").click()
    second_dialog = second.get_by_test_id("lead-dialog")
    second_dialog.get_by_label("Name").fill("Renamed Elsewhere")
    second_dialog.get_by_role("button", name="Save").click()
    expect(second_dialog).to_be_hidden()
    second.get_by_role("combobox", name="Status of Renamed Elsewhere").click()
    second.get_by_role("option", name="won", exact=True).click()
    expect(second.get_by_text("Renamed Elsewhere is now won.")).to_be_visible()

    # The first tab's dialog still shows the old name and status; it changes the phone only.
    first_dialog.get_by_label("Phone").fill("(415) 555-0122")
    first_dialog.get_by_role("button", name="Save").click()
    expect(first_dialog).to_be_hidden()
    first.reload()
    row = _row(first, "Renamed Elsewhere")
    expect(row).to_contain_text("(415) 555-0122")
    expect(first.get_by_role("combobox", name="Status of Renamed Elsewhere")).to_have_text("won")
    first.get_by_role("link", name="Renamed Elsewhere").click()
    # Only the status change the second tab made: none from the first tab's save.
    expect(first.get_by_text("lost → won")).to_be_visible()
    expect(first.get_by_text("won → lost")).to_have_count(0)


def test_a_dialog_left_open_is_closed_by_back_and_by_a_reload(page, app_server):
    _owner_of(page, app_server, "arrive", [{"name": "Left Open", "phone": "+14155550133"}])
    dialog, confirm = page.get_by_test_id("lead-dialog"), page.get_by_role("alertdialog")
    page.get_by_role("link", name="Left Open").click()
    expect(page.get_by_role("heading", name="Left Open")).to_be_visible()
    page.get_by_role("button", name="Edit", exact=True).click()
    expect(dialog).to_be_visible()
    # Back to the list: the lead's Edit dialog is not carried over it.
    page.go_back()
    expect(page.get_by_test_id("lead-row")).to_have_count(1)
    expect(dialog).to_be_hidden()
    # A delete confirmation does not come back by itself after a reload...
    page.get_by_role("button", name="Delete Left Open").click()
    expect(confirm).to_be_visible()
    page.reload()
    expect(page.get_by_test_id("lead-row")).to_have_count(1)
    expect(confirm).to_have_count(0)
    # ...nor a New lead dialog, half filled.
    page.get_by_role("button", name="New lead").first.click()
    dialog.get_by_label("Name").fill("Half typed")
    page.reload()
    expect(page.get_by_test_id("lead-row")).to_have_count(1)
    expect(dialog).to_be_hidden()
    # The dashboard's "Add a lead" link still opens it, once: not again on a reload.
    page.goto(f"{app_server.base_url}/leads?new=1&status=new")
    expect(dialog).to_be_visible()
    expect(page).to_have_url(re.compile(r"/leads/?$"))
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    page.reload()
    expect(page.get_by_test_id("lead-row")).to_have_count(1)
    expect(dialog).to_be_hidden()


def test_another_users_lead_is_not_found(new_context, app_server):
    first, second = new_context().new_page(), new_context().new_page()
    owner_email = unique_email("owner")
    sign_up(first, app_server.base_url, email=owner_email, name="Owner")
    sign_up(second, app_server.base_url, email=unique_email("other"), name="Other")
    (lead_id,) = insert_rows(
        app_server, user_id_of(app_server, owner_email), leads=[{"name": "Private Pat"}]
    )
    second.goto(f"{app_server.base_url}/leads/{lead_id}")
    expect(second.get_by_test_id("lead-not-found")).to_be_visible()
    assert "Private Pat" not in second.content()
    second.goto(f"{app_server.base_url}/leads/not-a-uuid")
    expect(second.get_by_test_id("lead-not-found")).to_be_visible()
    # All the page shows, so its heading is the page's h1.
    expect(second.get_by_role("heading", level=1)).to_have_text("Lead not found")
    # The way back is one link drawn as a button, not a button inside a link (two Tab stops).
    back = second.get_by_test_id("lead-not-found").get_by_role("link", name="Back to leads")
    expect(back).to_have_class(re.compile("rt-Button"))
    expect(second.locator("a button, button a")).to_have_count(0)
    back.click()
    expect(second).to_have_url(re.compile(r"/leads/?$"))


def test_the_edit_dialog_and_delete_confirmation_work_from_the_keyboard(page, app_server):
    _owner_of(page, app_server, "keyboard", [{"name": "Kay Board"}, {"name": "Tab Key"}])
    dialog = page.get_by_test_id("lead-dialog")
    confirm = page.get_by_role("alertdialog")

    # On the list: each dialog takes focus, keeps it, and gives it back to its button.
    check_dialog_keyboard(
        page.get_by_role("button", name="Edit Kay Board"),
        dialog,
        first_focus=dialog.get_by_label("Name"),
    )
    delete = page.get_by_role("button", name="Delete Kay Board")
    cancel = confirm.get_by_role("button", name="Cancel")
    check_dialog_keyboard(delete, confirm, first_focus=cancel)
    expect(_row(page, "Kay Board")).to_be_visible()
    # Delete is chosen with Tab and Enter.
    press_enter_on(delete)
    expect(cancel).to_be_focused()
    page.keyboard.press("Tab")
    expect(confirm.get_by_role("button", name="Delete")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_text("Deleted Kay Board.")).to_be_visible()
    expect(_row(page, "Kay Board")).to_have_count(0)

    # On the lead's page.
    page.get_by_role("link", name="Tab Key").click()
    expect(page.get_by_role("heading", name="Tab Key")).to_be_visible()
    check_dialog_keyboard(
        page.get_by_role("button", name="Edit", exact=True),
        dialog,
        first_focus=dialog.get_by_label("Name"),
    )
    check_dialog_keyboard(
        page.get_by_role("button", name="Delete", exact=True), confirm, first_focus=cancel
    )
    expect(page.get_by_role("heading", name="Tab Key")).to_be_visible()


def test_deleting_a_lead_another_tab_deleted_says_so(page, app_server):
    _owner_of(page, app_server, "stalelead", [{"name": "Stale Steve"}])
    page.get_by_role("link", name="Stale Steve").click()
    expect(page.get_by_role("heading", name="Stale Steve")).to_be_visible()
    other = page.context.new_page()
    other.goto(page.url)
    # Deleted in the other tab; this one still shows the lead.
    for tab, said in ((other, "Deleted Stale Steve."), (page, "That lead was already gone.")):
        tab.get_by_role("button", name="Delete", exact=True).click()
        tab.get_by_role("alertdialog").get_by_role("button", name="Delete").click()
        expect(tab.get_by_text(said)).to_be_visible()
    expect(page).to_have_url(re.compile(r"/leads/?$"))


def test_a_note_or_an_edit_on_a_lead_deleted_elsewhere_shows_it_is_gone(page, app_server):
    _owner_of(page, app_server, "gonelead", [{"name": "Gone Gina"}])
    page.get_by_role("link", name="Gone Gina").click()
    expect(page.get_by_role("heading", name="Gone Gina")).to_be_visible()
    page.get_by_role("button", name="Edit", exact=True).click()
    dialog = page.get_by_test_id("lead-dialog")
    other = page.context.new_page()
    other.goto(page.url)
    other.get_by_role("button", name="Delete", exact=True).click()
    other.get_by_role("alertdialog").get_by_role("button", name="Delete").click()
    expect(other.get_by_text("Deleted Gone Gina.")).to_be_visible()
    # This tab saves its edit: it says so, and stops offering a lead that is not there.
    dialog.get_by_label("Name").fill("Gone Gina Edited")
    dialog.get_by_role("button", name="Save").click()
    expect(page.get_by_text("That lead no longer exists.")).to_be_visible()
    expect(page.get_by_test_id("lead-not-found")).to_be_visible()
    expect(page.get_by_role("button", name="Convert to contact")).to_have_count(0)


def test_back_to_the_list_returns_to_the_page_the_lead_was_opened_from(page, app_server):
    start = datetime(2026, 1, 1, tzinfo=UTC)
    # 75 leads, newest first: page 3 is "Paged 24" down to "Paged 00".
    leads = [
        {"name": f"Paged {n:02}", "created_at": start + timedelta(minutes=n)} for n in range(75)
    ]
    email = _owner_of(page, app_server, "paging", leads)
    pager_label = page.get_by_test_id("pager-label")
    for label in ("26–50 of 75", "51–75 of 75"):
        page.get_by_role("button", name="Next").click()
        expect(pager_label).to_have_text(label)
    back_to_leads = page.get_by_role("main").get_by_role("link", name="Leads", exact=True)

    # Browser Back, then the page's own "← Leads": page 3 both times. An older lead
    # arrives each time meanwhile, so the new total shows the list was loaded again.
    for number, go_back in enumerate((page.go_back, back_to_leads.click)):
        page.get_by_role("link", name="Paged 24").click()
        expect(page.get_by_role("heading", name="Paged 24")).to_be_visible()
        arrived = {"name": f"Arrived {number}", "created_at": start - timedelta(days=number + 1)}
        insert_rows(app_server, user_id_of(app_server, email), leads=[arrived])
        go_back()
        expect(pager_label).to_have_text(f"51–75 of {76 + number}")
        expect(page.get_by_test_id("lead-row").first).to_contain_text("Paged 24")

    # The last page emptied meanwhile: back on the last page that is left.
    page.get_by_role("button", name="Next").click()
    expect(pager_label).to_have_text("76–77 of 77")
    page.get_by_role("button", name="Delete Arrived 0").click()
    page.get_by_role("alertdialog").get_by_role("button", name="Delete").click()
    expect(pager_label).to_have_text("76–76 of 76")
    page.get_by_role("link", name="Arrived 1").click()
    page.get_by_role("button", name="Delete", exact=True).click()
    page.get_by_role("alertdialog").get_by_role("button", name="Delete").click()
    expect(page).to_have_url(re.compile(r"/leads/?$"))
    expect(pager_label).to_have_text("51–75 of 75")

    # A new search starts again at page 1.
    page.get_by_label("Search leads").fill("Paged")
    expect(pager_label).to_have_text("1–25 of 75")


def test_a_source_filter_whose_last_lead_is_deleted_returns_to_all_sources(page, app_server):
    leads = [
        {"name": "Manual One", "source": "manual"},
        {"name": "Manual Two", "source": "manual"},
        {"name": "From Web", "source": "website"},
    ]
    _owner_of(page, app_server, "lastsource", leads)
    source = page.get_by_role("combobox", name="Source")
    source.click()
    page.get_by_role("option", name="manual", exact=True).click()
    expect(page.get_by_test_id("lead-row")).to_have_count(2)
    for name in ("Manual One", "Manual Two"):
        page.get_by_role("button", name=f"Delete {name}").click()
        page.get_by_role("alertdialog").get_by_role("button", name="Delete").click()
        expect(page.get_by_text(f"Deleted {name}.")).to_be_visible()
    expect(source).to_have_text("All sources")
    expect(page.get_by_test_id("lead-row")).to_have_count(1)
    expect(_row(page, "From Web")).to_be_visible()


def test_export_is_utf8_with_a_byte_order_mark_so_spreadsheets_read_accents(page, app_server):
    _owner_of(page, app_server, "accents", [{"name": "José Müller", "source": "Café"}])
    expect(_row(page, "José Müller")).to_be_visible()
    with page.expect_download() as download:
        page.get_by_role("button", name="Export CSV").click()
    data = Path(download.value.path()).read_bytes()
    assert data.startswith(b"\xef\xbb\xbfname,")  # Excel reads it as UTF-8, not the ANSI page
    (row,) = csv.DictReader(io.StringIO(data.decode("utf-8-sig")))
    assert (row["name"], row["source"]) == ("José Müller", "Café")


def test_a_big_board_column_counts_with_thousands_separators(page, app_server):
    leads = [{"name": f"Bulk {n}", "status": "new"} for n in range(1_001)]
    _owner_of(page, app_server, "bigboard", leads)
    expect(page.get_by_test_id("pager-label")).to_have_text("1–25 of 1,001")
    page.get_by_role("radio", name="Board").click()
    column = page.get_by_test_id("board-column-new")
    expect(column.get_by_role("button", name="All 1,001 in the list")).to_be_visible()
    expect(column).to_contain_text("1,001")


def test_the_edit_dialogs_status_label_is_the_dialogs_own_field(page, app_server):
    # The page's status menu and the Edit dialog's Status field once shared an id: the
    # dialog's label opened the menu behind the dialog, which saved a status at once.
    _owner_of(page, app_server, "label", [{"name": "Lab Elle", "status": "qualified"}])
    page.get_by_role("link", name="Lab Elle").click()
    expect(page.get_by_role("heading", name="Lab Elle")).to_be_visible()
    page.get_by_role("button", name="Edit", exact=True).click()
    dialog = page.get_by_test_id("lead-dialog")
    expect(dialog).to_be_visible()
    assert page.evaluate(DUPLICATE_IDS) == []
    dialog.locator("label", has_text="Status").click()
    page.get_by_role("option", name="won").click()
    # The dialog's own field took the choice, and nothing was saved behind the dialog.
    expect(dialog.get_by_role("combobox", name="Status", exact=True)).to_have_text("won")
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_have_count(0)
    expect(page.get_by_role("combobox", name="Status", exact=True)).to_have_text("qualified")
    expect(page.get_by_text("Status: won")).to_have_count(0)


def test_a_contacts_page_with_its_edit_dialog_open_has_no_two_elements_with_one_id(
    page, app_server
):
    email = unique_email("ids")
    sign_up(page, app_server.base_url, email=email, name="Ids")
    insert_rows(app_server, user_id_of(app_server, email), contacts=[{"name": "Ida Dupe"}])
    page.goto(f"{app_server.base_url}/contacts")
    page.get_by_role("link", name="Ida Dupe").click()
    expect(page.get_by_role("heading", name="Ida Dupe")).to_be_visible()
    page.get_by_role("button", name="Edit", exact=True).click()
    expect(page.get_by_test_id("contact-dialog")).to_be_visible()
    assert page.evaluate(DUPLICATE_IDS) == []
