"""The dashboard through the real page: numbers for the chosen period, chart, feed with links."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from playwright.sync_api import expect

from crm_app.models.base import utcnow
from crm_app.services.calendar_days import period_start
from tests.e2e.helpers import sign_up, unique_email
from tests.e2e.rows import insert_rows, user_id_of


def test_dashboard_numbers_follow_the_period_and_the_feed_links_to_the_call(page, app_server):
    email = unique_email("dash")
    sign_up(page, app_server.base_url, email=email, name="Dash Board")
    owner = user_id_of(app_server, email)
    now = utcnow()
    recent, old = now - timedelta(days=2), now - timedelta(days=20)
    insert_rows(
        app_server,
        owner,
        leads=[
            {"name": "Recent Won", "status": "won", "source": "vapi", "created_at": recent},
            {"name": "Old Lost", "status": "lost", "source": "website", "created_at": old},
            {"name": "Old Won", "status": "won", "source": "website", "created_at": old},
        ],
        call_logs=[
            {"customer_name": "Fresh Caller", "created_at": recent, "duration_seconds": 90,
             "cost": Decimal("0.50")},
            {"customer_name": "Old Caller", "created_at": old, "status": "no-answer",
             "duration_seconds": None, "cost": Decimal("0.25")},
        ],
        automation_logs=[
            {"status": "success", "created_at": recent},
            {"status": "error", "created_at": recent},
        ],
    )  # fmt: skip
    page.reload()
    expect(page.get_by_test_id("stat-total-leads")).to_have_text("3")
    expect(page.get_by_test_id("stat-new-leads")).to_have_text("3")  # last 30 days
    expect(page.get_by_test_id("stat-conversion")).to_have_text("67%")
    expect(page.get_by_test_id("stat-calls")).to_have_text("2")
    expect(page.get_by_test_id("stat-calls-note")).to_contain_text("1 answered")
    expect(page.get_by_test_id("stat-average-call")).to_have_text("1:30")
    expect(page.get_by_test_id("stat-call-cost")).to_have_text("$0.75")
    expect(page.get_by_test_id("stat-automation-runs")).to_have_text("2")
    expect(page.get_by_test_id("stat-automation-runs-note")).to_contain_text("50% succeeded")

    page.get_by_role("radio", name="7 days").click()
    expect(page.get_by_test_id("stat-new-leads")).to_have_text("1")
    expect(page.get_by_test_id("stat-total-leads")).to_have_text("3")
    expect(page.get_by_test_id("stat-calls")).to_have_text("1")
    expect(page.get_by_test_id("stat-call-cost")).to_have_text("$0.50")
    expect(page.get_by_test_id("calls-summary")).to_have_text(
        "1 call: 1 answered, 0 not answered · average 1:30 · cost $0.50"
    )

    feed = page.get_by_test_id("latest-activity")
    expect(feed).to_contain_text("New lead: Recent Won")
    feed.get_by_role("link", name=re.compile("Call: Fresh Caller")).click()
    expect(page).to_have_url(re.compile(r"/calls/[0-9a-f-]{36}/?$"))
    expect(page.get_by_role("heading", name="Fresh Caller")).to_be_visible()


def test_dashboard_in_los_angeles_marks_all_time_figures_and_draws_a_bar_per_day(
    new_context, app_server
):
    page = new_context(timezone_id="America/Los_Angeles").new_page()
    email = unique_email("zone")
    sign_up(page, app_server.base_url, email=email, name="Zone")
    owner = user_id_of(app_server, email)
    now = utcnow()
    insert_rows(
        app_server,
        owner,
        leads=[{"name": "Zoe", "status": "won", "source": "vapi", "created_at": now}],
        call_logs=[
            {"customer_name": "Answered", "created_at": now, "duration_seconds": 60},
            {"customer_name": "Missed", "created_at": now, "status": "no-answer",
             "duration_seconds": None},
            {"customer_name": "Ringing", "created_at": now, "status": "ringing",
             "duration_seconds": None, "ended_reason": None},
        ],
    )  # fmt: skip
    page.reload()
    # Figures the period picker does not change say so.
    for label in ("stat-total-leads-label", "stat-conversion-label"):
        expect(page.get_by_test_id(label)).to_contain_text("all time")
    for label in ("stat-new-leads-label", "stat-calls-label"):
        expect(page.get_by_test_id(label)).not_to_contain_text("all time")
    expect(page.get_by_test_id("pipeline-by-status")).to_contain_text("all time")
    expect(page.get_by_test_id("leads-by-source")).to_contain_text("all time")
    expect(page.get_by_test_id("stat-new-leads-note")).to_have_text("+1 vs the period before")
    expect(page.get_by_test_id("stat-calls-note")).to_have_text(
        "1 answered · +3 calls vs the period before"
    )

    chart = page.get_by_test_id("calls-chart")
    page.get_by_role("radio", name="7 days").click()
    expect(page.get_by_test_id("calls-chart-range")).to_have_text("last 7 days")
    # Seven bars: six days ago to today, in Los Angeles.
    today = now.astimezone(ZoneInfo("America/Los_Angeles")).date()
    first = today - timedelta(days=6)
    bars = chart.get_by_role("img", name=re.compile("^Bar chart of calls per day"))
    expect(bars).to_have_accessible_name(
        f"Bar chart of calls per day, answered, not answered and in progress, "
        f"{first:%b} {first.day} to {today:%b} {today.day}"
    )
    # The image is the named box: the chart inside is no unnamed tab stop of its own.
    tab_stops = chart.locator("[tabindex]:not([tabindex='-1']), [role=application]")
    expect(tab_stops).to_have_count(0)
    # The x axis' labels ("Nov 28"; some are left out to fit); the y axis' are numbers.
    days = chart.locator(".recharts-cartesian-axis-tick-value").filter(
        has_text=re.compile(r"^[A-Z][a-z]{2} \d{1,2}$")
    )
    expect(days.last).to_have_text(f"{today:%b} {today.day}")

    # All time: nothing to compare with, and the chart says what it covers.
    page.get_by_role("radio", name="All time").click()
    expect(page.get_by_test_id("calls-chart-range")).to_have_text("last 90 days")
    # A call still ringing is neither answered nor missed.
    expect(page.get_by_test_id("calls-summary")).to_contain_text(
        "All time: 3 calls: 1 answered, 1 not answered, 1 in progress · average 1:00"
    )
    expect(page.get_by_test_id("stat-new-leads-note")).to_have_text("")
    expect(page.get_by_test_id("stat-calls-note")).to_have_text("1 answered")
    # Each outcome leads to its calls: the same rule, the same count.
    for outcome, caller, label in (
        ("answered", "Answered", "Answered"),
        ("not-answered", "Missed", "Not answered"),
        ("in-progress", "Ringing", "In progress"),
    ):
        link = page.get_by_test_id(f"calls-{outcome}-link")
        target = re.compile(rf"/calls/?\?period=all&outcome={outcome}$")
        expect(link).to_have_attribute("href", target)
        link.click()
        expect(page).to_have_url(re.compile(r"/calls/?$"))  # applied once (Back keeps changes)
        expect(page.get_by_test_id("call-row")).to_have_count(1)
        expect(page.get_by_test_id("call-row")).to_contain_text(caller)
        expect(page.get_by_role("combobox", name="Outcome")).to_have_text(label)
        page.go_back()
    # A link naming only the outcome (a bookmark) shows those calls too.
    page.goto(f"{app_server.base_url}/calls?outcome=not-answered")
    expect(page.get_by_role("combobox", name="Outcome")).to_have_text("Not answered")
    expect(page.get_by_test_id("call-row")).to_have_count(1)


def test_the_empty_dashboard_leads_to_integrations_and_the_import(page, app_server):
    sign_up(page, app_server.base_url, email=unique_email("empty"), name="Empty")
    empty = page.get_by_test_id("dashboard-empty")
    expect(empty).to_contain_text("Nothing here yet")
    # Links drawn as buttons: one element and one Tab stop each, no button inside a link.
    expect(page.locator("a button, button a")).to_have_count(0)
    expect(empty.get_by_role("button")).to_have_count(0)
    # Followed in the app, without reloading it (what the window holds survives).
    page.evaluate("window.stillTheSameApp = true")
    empty.get_by_role("link", name="Connect a provider").click()
    expect(page).to_have_url(re.compile(r"/integrations/?$"))
    assert page.evaluate("window.stillTheSameApp === true")
    page.go_back()
    empty.get_by_role("link", name="Import leads").click()
    expect(page.get_by_test_id("csv-import-dialog")).to_be_visible()
    page.goto(f"{app_server.base_url}/dashboard")
    page.get_by_test_id("dashboard-empty").get_by_role("link", name="Add a lead").click()
    expect(page.get_by_test_id("lead-dialog")).to_be_visible()


def test_each_figure_leads_to_a_list_of_the_same_calendar_days_and_count(new_context, app_server):
    # Tokyo, far from UTC: the dashboard's "7 days" are Tokyo's, and so must be the lists'.
    zone = ZoneInfo("Asia/Tokyo")
    page = new_context(timezone_id="Asia/Tokyo").new_page()
    email = unique_email("days")
    sign_up(page, app_server.base_url, email=email, name="Days")
    owner = user_id_of(app_server, email)
    now = utcnow()
    week_began = period_start(days=7, now=now, time_zone=zone)
    # Just before Tokyo's week began: within the last 7 x 24 hours, yet not in the 7 days.
    before, inside = week_began - timedelta(seconds=30), week_began + timedelta(minutes=1)
    insert_rows(
        app_server,
        owner,
        leads=[
            {"name": "Inside Lead", "created_at": inside},
            {"name": "Before Lead", "created_at": before},
        ],
        call_logs=[
            {"customer_name": "Inside Caller", "created_at": inside},
            {"customer_name": "Before Caller", "created_at": before},
        ],
        automation_logs=[
            {"scenario_name": "Inside run", "created_at": inside},
            {"scenario_name": "Before run", "created_at": before},
        ],
    )
    page.reload()
    page.get_by_role("radio", name="7 days").click()
    expect(page.get_by_test_id("stat-new-leads")).to_have_text("1")

    for figure, path, table, shown, left_out in (
        ("stat-new-leads", "/leads", "leads-table", "Inside Lead", "Before Lead"),
        ("stat-calls", "/calls", "calls-table", "Inside Caller", "Before Caller"),
        ("stat-automation-runs", "/automations", "runs-table", "Inside run", "Before run"),
    ):
        expect(page.get_by_test_id(figure)).to_have_text("1")
        link = page.get_by_test_id(f"{figure}-link")
        expect(link).to_have_attribute("href", re.compile(rf"{path}/?\?period=7$"))
        link.click()
        expect(page).to_have_url(re.compile(rf"{path}/?$"))
        expect(page.get_by_test_id("pager-label")).to_have_text("1–1 of 1")
        expect(page.get_by_test_id(table)).to_contain_text(shown)
        expect(page.get_by_test_id(table)).not_to_contain_text(left_out)
        page.go_back()
        expect(page.get_by_test_id("stat-new-leads")).to_have_text("1")

    # The all-time figure leads to every lead, whatever filter the list had.
    link = page.get_by_test_id("stat-total-leads-link")
    expect(link).to_have_attribute("href", re.compile(r"/leads/?\?period=all$"))
    link.click()
    expect(page).to_have_url(re.compile(r"/leads/?$"))
    expect(page.get_by_test_id("pager-label")).to_have_text("1–2 of 2")
