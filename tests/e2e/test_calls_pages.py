"""Calls and automation runs through the real pages: filters, search by number, detail, links."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

from playwright.sync_api import expect

from crm_app.models.base import utcnow
from crm_app.state.live_reload import LIVE_RELOAD_SECONDS
from tests.e2e.helpers import sign_up, unique_email
from tests.e2e.rows import insert_rows, update_call, user_id_of


def test_calls_filter_search_and_open_with_transcript_and_recording(page, app_server):
    email = unique_email("calls")
    sign_up(page, app_server.base_url, email=email, name="Call Watcher")
    owner = user_id_of(app_server, email)
    (lead_id,) = insert_rows(app_server, owner, leads=[{"name": "Lena Lead"}])
    now = utcnow()
    insert_rows(
        app_server,
        owner,
        call_logs=[
            {
                "customer_name": "Vera Vapi",
                "customer_number": "+14155552671",
                "provider": "vapi",
                "ended_reason": "customer-ended-call",
                "summary": "Wants a call back.",
                "transcript": "AI: Hi!\nUser: Call me back please.",
                "recording_url": "https://recordings.example.com/a.wav",
                "lead_id": lead_id,
                "started_at": now - timedelta(minutes=3),
                "duration_seconds": 125,
                "cost": Decimal("1.5"),
                "success_evaluation": "true",
            },
            {
                "customer_name": "Tom Twilio",
                "customer_number": "+442079460958",
                "provider": "twilio",
                "status": "no-answer",
                "duration_seconds": None,
                "cost": None,
                "recording_url": "javascript:alert(1)",
            },
            {
                "customer_name": "Old Olga",
                "created_at": now - timedelta(days=40),
                "customer_number": "+14155550199",
            },
        ],
    )
    page.goto(f"{app_server.base_url}/calls")
    rows = page.get_by_test_id("call-row")
    expect(rows).to_have_count(3)

    page.get_by_role("combobox", name="Provider").click()
    page.get_by_role("option", name="twilio").click()
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Tom Twilio")
    page.get_by_role("combobox", name="Provider").click()
    page.get_by_role("option", name="All providers").click()
    page.get_by_role("combobox", name="Period").click()
    page.get_by_role("option", name="Last 30 days").click()
    expect(rows).to_have_count(2)
    page.get_by_role("combobox", name="Ended reason").click()
    # Vapi's code in words, in the menu and on the row.
    page.get_by_role("option", name="Caller hung up").click()
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Caller hung up")
    page.get_by_role("combobox", name="Ended reason").click()
    page.get_by_role("option", name="Any reason").click()
    search = page.get_by_label("Search by name, number or email")
    # By the name of the lead the call belongs to, in any case.
    search.fill("LENA LEAD")
    expect(rows).to_have_count(1)
    # Named as the CRM knows the caller (the provider called her "Vera Vapi").
    expect(rows.first).to_contain_text("Lena Lead")
    expect(rows.first).not_to_contain_text("Vera Vapi")
    search.fill("(415) 555-2671")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Lena Lead")

    rows.first.get_by_role("link", name="Lena Lead", exact=True).click()
    expect(page).to_have_url(re.compile(r"/calls/[0-9a-f-]{36}/?$"))
    expect(page.get_by_test_id("call-summary")).to_have_text("Wants a call back.")
    expect(page.get_by_test_id("transcript-turn")).to_have_count(2)
    expect(page.get_by_test_id("call-duration")).to_have_text("2:05")
    expect(page.get_by_test_id("call-cost")).to_have_text("$1.50")
    expect(page.get_by_test_id("call-evaluation")).to_have_text("Passed")
    expect(page.get_by_test_id("call-ended-reason")).to_have_text(
        "Caller hung up (customer-ended-call)"
    )
    expect(page.get_by_role("link", name="Open the recording")).to_have_attribute(
        "href", "https://recordings.example.com/a.wav"
    )
    page.get_by_test_id("call-lead").get_by_role("link", name="Lena Lead").click()
    expect(page.get_by_role("heading", name="Lena Lead")).to_be_visible()

    # Back on the list the filters are as they were; a recording URL that is not
    # http(s) is never made a link.
    page.goto(f"{app_server.base_url}/calls")
    expect(page.get_by_label("Search by name, number or email")).to_have_value("(415) 555-2671")
    page.get_by_label("Search by name, number or email").fill("+44 20 7946")
    page.get_by_role("link", name="Tom Twilio").click()
    expect(page.get_by_test_id("call-summary")).to_have_text("No summary for this call.")
    expect(page.get_by_role("link", name="Open the recording")).to_have_count(0)
    assert "javascript:alert" not in page.content()


def test_a_call_vapis_ai_failed_is_one_to_return_in_words_with_its_code(page, app_server):
    email = unique_email("aierror")
    sign_up(page, app_server.base_url, email=email, name="AI Error")
    code = "call.in-progress.error-vapifault-openai-llm-failed"
    insert_rows(
        app_server,
        user_id_of(app_server, email),
        call_logs=[
            {"customer_name": "Failed Fay", "ended_reason": code, "duration_seconds": 48},
            {"customer_name": "Talked Ted", "ended_reason": "customer-ended-call"},
        ],
    )
    rows = page.get_by_test_id("call-row")
    page.goto(f"{app_server.base_url}/calls?outcome=not-answered")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Failed Fay")
    reason = rows.first.get_by_text("AI error: call back", exact=True)
    # Vapi's own code on hover, to look up in its logs.
    expect(reason).to_have_attribute("title", code)
    page.goto(f"{app_server.base_url}/calls?outcome=answered")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Talked Ted")


def test_filters_chosen_after_a_dashboard_link_stay_on_back_and_reload(page, app_server):
    # The link's ?outcome= stayed in the address bar and on_load applied it again: Back
    # from a call opened from the list showed "answered" again, from page 1.
    email = unique_email("linkback")
    sign_up(page, app_server.base_url, email=email, name="Link Back")
    insert_rows(
        app_server,
        user_id_of(app_server, email),
        call_logs=[
            {"customer_name": "Talked Ted", "ended_reason": "customer-ended-call"},
            {"customer_name": "Failed Fay", "ended_reason": "customer-busy"},
        ],
    )
    rows = page.get_by_test_id("call-row")
    outcome = page.get_by_role("combobox", name="Outcome")
    page.goto(f"{app_server.base_url}/calls?period=all&outcome=answered")  # the dashboard's
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Talked Ted")
    expect(page).to_have_url(re.compile(r"/calls/?$"))  # applied once
    outcome.click()
    page.get_by_role("option", name="Not answered", exact=True).click()
    expect(rows.first).to_contain_text("Failed Fay")
    rows.first.get_by_role("link", name="Failed Fay", exact=True).click()
    expect(page.get_by_role("heading", name="Failed Fay")).to_be_visible()
    page.go_back()
    expect(outcome).to_have_text("Not answered")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Failed Fay")
    page.reload()
    expect(outcome).to_have_text("Not answered")
    expect(rows.first).to_contain_text("Failed Fay")
    # The link itself, followed again, shows what it names.
    page.goto(f"{app_server.base_url}/calls?period=all&outcome=answered")
    expect(outcome).to_have_text("Answered")
    expect(rows.first).to_contain_text("Talked Ted")


def test_automation_runs_show_scenario_status_error_and_links(page, app_server):
    email = unique_email("runs")
    sign_up(page, app_server.base_url, email=email, name="Run Watcher")
    owner = user_id_of(app_server, email)
    (lead_id,) = insert_rows(app_server, owner, leads=[{"name": "Rita Run"}])
    insert_rows(
        app_server,
        owner,
        automation_logs=[
            {"scenario_name": "Welcome SMS", "status": "success", "lead_id": lead_id},
            {
                "scenario_name": "Sheets sync",
                "status": "error",
                "error": "429 Too Many Requests",
                "execution_id": "exec-sheets-1",
            },
        ],
    )
    page.goto(f"{app_server.base_url}/automations")
    rows = page.get_by_test_id("run-row")
    expect(rows).to_have_count(2)
    page.get_by_role("combobox", name="Status", exact=True).click()
    page.get_by_role("option", name="Error").click()
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Sheets sync")
    expect(rows.first).to_contain_text("429 Too Many Requests")
    page.get_by_role("combobox", name="Status", exact=True).click()
    page.get_by_role("option", name="All").click()
    page.get_by_label("Search scenario or error").fill("welcome")
    expect(rows).to_have_count(1)
    # Named by the person for screen readers, which list a page's links by name.
    rows.first.get_by_role("link", name="Lead: Rita Run", exact=True).click()
    expect(page.get_by_role("heading", name="Rita Run")).to_be_visible()
    expect(page.get_by_test_id("timeline-automation")).to_contain_text("Welcome SMS")

    # A webhook event's link to its run: the runs with its execution id, other filters off.
    page.goto(f"{app_server.base_url}/automations?search=exec-sheets-1")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Sheets sync")
    expect(page.get_by_label("Search scenario or error")).to_have_value("exec-sheets-1")


def test_a_huge_run_error_stays_inside_its_cell(page, app_server):
    email = unique_email("bigerror")
    sign_up(page, app_server.base_url, email=email, name="Big Error")
    blob = "https://example.com/" + "x" * 3000  # one unbroken word, as a URL or JSON is
    insert_rows(
        app_server,
        user_id_of(app_server, email),
        automation_logs=[{"scenario_name": "Sync", "status": "error", "error": blob}],
    )
    page.set_viewport_size({"width": 1400, "height": 900})
    page.goto(f"{app_server.base_url}/automations")
    row = page.get_by_test_id("run-row")
    expect(row).to_contain_text("Sync")
    expect(row.get_by_role("cell").last).to_be_in_viewport()  # the links column is not pushed out
    sizes = page.evaluate(
        """() => [document.querySelector('table').getBoundingClientRect().right
                  - document.querySelector('main').getBoundingClientRect().right,
                  document.querySelector('[data-testid=run-row]').getBoundingClientRect().height]"""
    )
    assert sizes[0] <= 0, f"the table sticks out by {sizes[0]} px"
    assert sizes[1] < 150, f"the row is {sizes[1]} px tall"
    # All of it for keyboards and touch screens too (the list holds only its start).
    button = row.get_by_role("button", name="Full error")
    button.focus()
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog", name="Automation error")
    expect(dialog.get_by_test_id("run-full-error")).to_have_text(blob)
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(button).to_be_focused()


def test_new_accounts_see_how_to_fill_each_list(page, app_server):
    sign_up(page, app_server.base_url, email=unique_email("fresh"), name="Fresh")
    for path, test_id in (("calls", "calls-empty"), ("automations", "automations-empty")):
        page.goto(f"{app_server.base_url}/{path}")
        expect(page.get_by_test_id(test_id)).to_contain_text("Integrations")


def test_a_long_unbroken_summary_and_name_wrap_inside_the_page(new_context, app_server):
    for width in (1400, 390):
        page = new_context(viewport={"width": width, "height": 900}).new_page()
        email = unique_email(f"wrap{width}")
        sign_up(page, app_server.base_url, email=email, name="Wrapper")
        name = "Wolfeschlegelsteinhausenbergerdorff Maximilian-Alexander-Longname"
        summary = "Asked about pricing. " * 20 + "https://example.com/" + "x" * 300
        (call_id,) = insert_rows(
            app_server,
            user_id_of(app_server, email),
            call_logs=[{"customer_name": name, "provider": "vapi", "summary": summary}],
        )
        page.goto(f"{app_server.base_url}/calls/{call_id}")
        expect(page.get_by_test_id("call-summary")).to_contain_text("Asked about pricing.")
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        box = page.get_by_test_id("call-summary").bounding_box()
        assert box["x"] + box["width"] <= width


def test_a_long_transcript_says_it_is_cut_and_shows_the_rest_on_request(page, app_server):
    email = unique_email("longcall")
    sign_up(page, app_server.base_url, email=email, name="Long Call")
    lines = [f"{'AI' if n % 2 else 'User'}: line {n}" for n in range(1, 1201)]
    (call_id,) = insert_rows(
        app_server,
        user_id_of(app_server, email),
        call_logs=[
            {"customer_name": "Chatty Cathy", "transcript": "\n".join(lines), "to_number": "+1415"}
        ],
    )
    page.goto(f"{app_server.base_url}/calls/{call_id}")
    # A web call: no caller's number, so a dash rather than an arrow from nothing.
    expect(page.get_by_text("– → +1415", exact=True)).to_be_visible()
    turns = page.get_by_test_id("transcript-turn")
    expect(turns).to_have_count(500)
    cut = page.get_by_test_id("transcript-cut")
    expect(cut).to_contain_text("The first 500 of 1,200 turns.")
    cut.get_by_role("button", name="Show the whole transcript").click()
    expect(turns).to_have_count(1200)
    expect(turns.last).to_contain_text("line 1200")
    expect(cut).to_have_count(0)


def test_a_page_with_a_live_call_loaded_anew_keeps_working(page, app_server):
    # The reloads the page had started came on with the closed socket's cookie; taken for a
    # log-out, the next one emptied the tab's state under the page just loaded: a spinner.
    email = unique_email("live-reload")
    sign_up(page, app_server.base_url, email=email, name="Live Reload")
    owner = user_id_of(app_server, email)
    in_progress = {"status": "in-progress", "duration_seconds": None, "ended_reason": None}
    (call_id,) = insert_rows(app_server, owner, call_logs=[{"customer_name": "Lou", **in_progress}])
    page.goto(f"{app_server.base_url}/calls")
    expect(page.get_by_test_id("calls-live")).to_be_visible()
    page.wait_for_timeout(0.5 * LIVE_RELOAD_SECONDS * 1000)
    page.reload()
    row = page.get_by_test_id("call-row")
    expect(row).to_contain_text("in-progress")
    page.wait_for_timeout(1.5 * LIVE_RELOAD_SECONDS * 1000)  # past the old chain's next link
    expect(row).to_contain_text("Lou")
    expect(page.get_by_test_id("calls-live")).to_be_visible()
    # And the page's own reloads go on.
    update_call(app_server, owner, call_id, status="ended", duration_seconds=95)
    reload_wait = {"timeout": 3 * LIVE_RELOAD_SECONDS * 1000}
    expect(row.get_by_text("ended", exact=True)).to_be_visible(**reload_wait)


def _wait_for(page, condition, seconds: float = 30.0) -> None:
    # Playwright runs the route handlers while the test waits on the page.
    for _ in range(int(seconds * 10)):
        if condition():
            return
        page.wait_for_timeout(100)
    assert condition()


def test_a_live_page_whose_socket_reconnects_keeps_updating(page, app_server):
    # A network blip closes the tab's socket and Reflex reconnects it without reloading the
    # page: the reloads chained on the old socket end with it, and the watch, still mounted,
    # started no new chain; the call stayed "in-progress" on screen for good.
    email = unique_email("live-reconnect")
    sign_up(page, app_server.base_url, email=email, name="Live Reconnect")
    owner = user_id_of(app_server, email)
    in_progress = {"status": "in-progress", "duration_seconds": None, "ended_reason": None}
    (call_id,) = insert_rows(app_server, owner, call_logs=[{"customer_name": "Lou", **in_progress}])
    sockets = []

    def relay(socket):
        sockets.append((socket, socket.connect_to_server()))

    page.route_web_socket(re.compile(r"/_event"), relay)
    reload_wait = {"timeout": 3 * LIVE_RELOAD_SECONDS * 1000}
    for path, live in ((f"/calls/{call_id}", "call-live"), ("/calls", "calls-live")):
        update_call(app_server, owner, call_id, **in_progress)
        page.goto(f"{app_server.base_url}{path}")
        expect(page.get_by_test_id(live)).to_be_visible()
        connections = len(sockets)
        browser_side, server_side = sockets[-1]
        server_side.close()
        browser_side.close()
        _wait_for(page, lambda seen=connections: len(sockets) > seen)  # the tab's own reconnect
        # Past the old chain's next link, and the reconnect's reload of the page (on_load):
        # a change from now on shows only if the page still reloads by itself.
        page.wait_for_timeout(1.5 * LIVE_RELOAD_SECONDS * 1000)
        expect(page.get_by_test_id(live)).to_be_visible()
        update_call(app_server, owner, call_id, status="ended", duration_seconds=95)
        expect(page.get_by_test_id(live)).to_have_count(0, **reload_wait)
        expect(page.get_by_text("ended", exact=True).first).to_be_visible()


def test_a_call_in_progress_updates_on_its_pages_until_it_ends(page, app_server):
    email = unique_email("live")
    sign_up(page, app_server.base_url, email=email, name="Live")
    owner = user_id_of(app_server, email)
    in_progress = {"status": "in-progress", "duration_seconds": None, "ended_reason": None}
    (call_id,) = insert_rows(app_server, owner, call_logs=[{"customer_name": "Lou", **in_progress}])
    reload_wait = {"timeout": 3 * LIVE_RELOAD_SECONDS * 1000}

    page.goto(f"{app_server.base_url}/calls")
    row = page.get_by_test_id("call-row")
    expect(row).to_contain_text("in-progress")
    expect(page.get_by_test_id("calls-live")).to_be_visible()
    # The provider's end-of-call report arrives while the list is open.
    update_call(app_server, owner, call_id, status="ended", duration_seconds=95)
    expect(row.get_by_text("ended", exact=True)).to_be_visible(**reload_wait)
    expect(row).to_contain_text("1:35")
    expect(page.get_by_test_id("calls-live")).to_have_count(0)

    update_call(app_server, owner, call_id, **in_progress)
    page.goto(f"{app_server.base_url}/calls/{call_id}")
    expect(page.get_by_test_id("call-live")).to_be_visible()
    # Away and Back again: the page is the call's, before and after its next reload.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Leads").click()
    expect(page.get_by_role("heading", name="Leads", exact=True)).to_be_visible()
    page.go_back()
    expect(page.get_by_test_id("call-live")).to_be_visible()
    page.wait_for_timeout(1.5 * LIVE_RELOAD_SECONDS * 1000)
    expect(page.get_by_test_id("call-live")).to_be_visible()
    expect(page.get_by_text("Call not found")).to_have_count(0)
    update_call(app_server, owner, call_id, status="ended", summary="Booked a demo.")
    expect(page.get_by_test_id("call-summary")).to_have_text("Booked a demo.", **reload_wait)
    expect(page.get_by_test_id("call-live")).to_have_count(0)
    # Over: the page stops asking. A later change shows only when the person reloads.
    update_call(app_server, owner, call_id, summary="Changed afterwards.")
    page.wait_for_timeout(2 * LIVE_RELOAD_SECONDS * 1000)
    expect(page.get_by_test_id("call-summary")).to_have_text("Booked a demo.")
    page.reload()
    expect(page.get_by_test_id("call-summary")).to_have_text("Changed afterwards.")


def test_back_from_a_call_or_a_runs_lead_returns_to_the_page_it_was_opened_from(page, app_server):
    email = unique_email("backpaging")
    sign_up(page, app_server.base_url, email=email, name="Paging Calls")
    owner = user_id_of(app_server, email)
    start = utcnow() - timedelta(days=1)
    (lead_id,) = insert_rows(app_server, owner, leads=[{"name": "Runs Lead"}])
    # 30 of each, newest first: page 2 holds number 04 down to 00.
    insert_rows(
        app_server,
        owner,
        call_logs=[
            {"customer_name": f"Caller {n:02}", "created_at": start + timedelta(minutes=n)}
            for n in range(30)
        ],
        automation_logs=[
            {
                "scenario_name": f"Run {n:02}",
                "lead_id": lead_id,
                "created_at": start + timedelta(minutes=n),
            }
            for n in range(30)
        ],
    )
    pager_label = page.get_by_test_id("pager-label")
    for path, row_id, link, heading, first_row in (
        ("/calls", "call-row", "Caller 04", "Caller 04", "Caller 04"),
        ("/automations", "run-row", "Lead: Runs Lead", "Runs Lead", "Run 04"),
    ):
        page.goto(f"{app_server.base_url}{path}")
        page.get_by_role("button", name="Next").click()
        expect(pager_label).to_have_text("26–30 of 30")
        page.get_by_test_id(row_id).first.get_by_role("link", name=link).first.click()
        expect(page.get_by_role("heading", name=heading)).to_be_visible()
        page.go_back()
        expect(pager_label).to_have_text("26–30 of 30")
        expect(page.get_by_test_id(row_id).first).to_contain_text(first_row)


def test_on_a_phone_each_lists_status_is_on_the_first_screen(new_context, app_server):
    page = new_context(viewport={"width": 390, "height": 844}).new_page()
    email = unique_email("phonecols")
    sign_up(page, app_server.base_url, email=email, name="Phone Columns")
    insert_rows(
        app_server,
        user_id_of(app_server, email),
        call_logs=[{"customer_name": "Pat Phone", "status": "completed"}],
        webhook_events=[{"status": "rejected", "reason": "bad signature"}],
    )
    for path, row, status in (
        ("/calls", "call-row", "completed"),
        ("/webhooks", "webhook-row", "rejected"),
    ):
        page.goto(f"{app_server.base_url}{path}")
        badge = page.get_by_test_id(row).get_by_text(status, exact=True)
        expect(badge).to_be_visible()
        box = badge.bounding_box()
        assert box is not None and box["x"] + box["width"] <= 390, (path, box)


def test_calls_sort_by_length_and_cost(page, app_server):
    email = unique_email("callsort")
    sign_up(page, app_server.base_url, email=email, name="Call Sorter")
    start = utcnow() - timedelta(days=1)
    insert_rows(
        app_server,
        user_id_of(app_server, email),
        call_logs=[
            {
                "customer_name": name,
                "duration_seconds": seconds,
                "cost": Decimal(cost),
                "created_at": start + timedelta(minutes=n),
            }
            for n, (name, seconds, cost) in enumerate(
                [("Long Lou", 900, "0.50"), ("Dear Dee", 60, "4.00"), ("Brief Bo", 5, "0.01")]
            )
        ],
    )
    page.goto(f"{app_server.base_url}/calls")
    rows = page.get_by_test_id("call-row")
    expect(rows.first).to_contain_text("Brief Bo")  # newest first
    for option, first in (("Longest first", "Long Lou"), ("Most expensive first", "Dear Dee")):
        page.get_by_role("combobox", name="Sort").click()
        page.get_by_role("option", name=option).click()
        expect(rows.first).to_contain_text(first)
