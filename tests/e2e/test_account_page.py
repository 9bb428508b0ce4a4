"""/account: changing the name, the login email and the password, and what the page says (once)."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.e2e.helpers import PASSWORD, log_in, sign_up, unique_email

ACCOUNT = re.compile(r"/account/?$")


def _change_password(page, current: str, new: str) -> None:
    form = page.get_by_role("region", name="Change password")
    form.get_by_label("Current password").fill(current)
    form.get_by_label("New password").fill(new)
    form.get_by_role("button", name="Change password").click()


def _change_email(page, new: str, password: str = PASSWORD) -> None:
    form = page.get_by_role("region", name="Login email")
    form.get_by_label("New email").fill(new)
    form.get_by_label("Current password").fill(password)
    form.get_by_role("button", name="Change email").click()


def test_password_changed_is_said_once_and_not_again_on_reload(page, app_server):
    sign_up(page, app_server.base_url, email=unique_email("once"), name="Once")
    page.goto(f"{app_server.base_url}/account")
    _change_password(page, PASSWORD, "an entirely new password")
    expect(page.get_by_role("status")).to_have_text("Password changed.")
    expect(page).to_have_url(ACCOUNT)
    page.reload()
    expect(page.get_by_role("heading", name="Account")).to_be_visible()
    expect(page.get_by_role("status")).to_have_count(0)


def test_a_refused_change_says_why_once(page, app_server):
    sign_up(page, app_server.base_url, email=unique_email("refused"), name="Refused")
    page.goto(f"{app_server.base_url}/account")
    _change_password(page, "not the password", "an entirely new password")
    expect(page.get_by_role("alert")).to_have_text("The current password is incorrect.")
    expect(page).to_have_url(ACCOUNT)
    # The page was loaded anew: the refusal has focus, in view, not the top of the page.
    expect(page.get_by_role("alert")).to_be_focused()
    expect(page.get_by_role("alert")).to_be_in_viewport()
    _change_password(page, PASSWORD, " " * 8)
    expect(page.get_by_role("alert")).to_have_text("The new password cannot be only spaces.")
    page.reload()
    expect(page.get_by_role("heading", name="Account")).to_be_visible()
    expect(page.get_by_role("alert")).to_have_count(0)


def test_too_many_wrong_current_passwords_say_how_long_to_wait(page, app_server):
    sign_up(page, app_server.base_url, email=unique_email("guess"), name="Guesser")
    for _ in range(5):  # the same cookie, as a script holding a stolen one would
        response = page.request.post(
            f"{app_server.base_url}/api/auth/password",
            data={"current_password": "a guess", "new_password": "an entirely new password"},
            headers={"content-type": "application/json"},
        )
        assert response.status == 401
    page.goto(f"{app_server.base_url}/account")
    _change_password(page, PASSWORD, "an entirely new password")
    expect(page.get_by_role("alert")).to_contain_text(
        re.compile(r"Too many attempts\. Wait \d+ minutes? and try again\.")
    )


def test_a_tab_whose_password_changed_elsewhere_logs_in_to_a_clean_form(new_context, app_server):
    email = unique_email("stale-account")
    stale, other = new_context().new_page(), new_context().new_page()
    sign_up(stale, app_server.base_url, email=email, name="Stale")
    stale.goto(f"{app_server.base_url}/account")
    expect(stale.get_by_role("heading", name="Account")).to_be_visible()
    log_in(other, app_server.base_url, email=email)
    other.goto(f"{app_server.base_url}/account")
    _change_password(other, PASSWORD, "changed somewhere else")
    expect(other.get_by_role("status")).to_have_text("Password changed.")
    _change_password(stale, PASSWORD, "an entirely new password")
    expect(stale).to_have_url(re.compile(r"/login/?\?next=%2Faccount$"))
    stale.get_by_label("Email").fill(email)
    stale.get_by_label("Password").fill("changed somewhere else")
    stale.get_by_role("button", name="Log in").click()
    expect(stale).to_have_url(ACCOUNT)
    expect(stale.get_by_role("heading", name="Account")).to_be_visible()
    expect(stale.get_by_role("alert")).to_have_count(0)


def test_the_name_is_changed_on_the_account_page_and_shown_at_once(page, app_server):
    sign_up(page, app_server.base_url, email=unique_email("rename"), name="Old Name")
    page.goto(f"{app_server.base_url}/account")
    field = page.get_by_label("Name", exact=True)
    expect(field).to_have_value("Old Name")
    field.evaluate("(input) => input.removeAttribute('maxlength')")  # as a script could
    field.fill("x" * 201)
    page.get_by_role("button", name="Save name").click()
    expect(page.get_by_role("alert")).to_have_text("Use at most 200 characters for the name.")
    # Left, and come back to: the refusal was of that visit's name, not this one's.
    page.reload()
    expect(field).to_have_value("Old Name")
    expect(page.get_by_role("alert")).to_have_count(0)
    field.fill("New Name")
    page.get_by_role("button", name="Save name").click()
    expect(page.get_by_test_id("user-name").first).to_have_text("New Name")
    expect(page.get_by_role("alert")).to_have_count(0)
    page.reload()
    expect(page.get_by_label("Name", exact=True)).to_have_value("New Name")


def test_the_login_email_is_changed_and_the_new_one_logs_in(new_context, app_server):
    old, new = unique_email("move-from"), unique_email("move-to")
    page = new_context().new_page()
    sign_up(page, app_server.base_url, email=old, name="Mover")
    page.goto(f"{app_server.base_url}/account")
    form = page.get_by_role("region", name="Login email")
    expect(form.get_by_label("New email")).to_have_value(old)
    _change_email(page, new)
    expect(form.get_by_role("status")).to_have_text("Email changed.")
    expect(page.get_by_text("Signed in as")).to_contain_text(new)
    expect(form.get_by_label("New email")).to_have_value(new)
    expect(page).to_have_url(ACCOUNT)
    page.reload()
    expect(page.get_by_role("heading", name="Account")).to_be_visible()
    expect(page.get_by_role("status")).to_have_count(0)
    other = new_context().new_page()
    log_in(other, app_server.base_url, email=old)
    expect(other.get_by_role("alert")).to_have_text("Email or password is incorrect.")
    log_in(other, app_server.base_url, email=new)
    expect(other.get_by_role("heading", name="Dashboard")).to_be_visible()


def test_a_refused_email_says_why_on_its_own_form_and_keeps_what_was_typed(page, app_server):
    taken = unique_email("taken")
    sign_up(page, app_server.base_url, email=taken, name="Taken")
    page.context.clear_cookies()
    mine = unique_email("mine")
    sign_up(page, app_server.base_url, email=mine, name="Mine")
    page.goto(f"{app_server.base_url}/account")
    email_form = page.get_by_role("region", name="Login email")
    password_form = page.get_by_role("region", name="Change password")
    _change_email(page, taken)
    expect(email_form.get_by_role("alert")).to_have_text("Another account already uses this email.")
    expect(password_form.get_by_role("alert")).to_have_count(0)
    expect(email_form.get_by_label("New email")).to_have_value(taken)
    _change_email(page, unique_email("free"), "not the password")
    expect(email_form.get_by_role("alert")).to_have_text("The current password is incorrect.")
    expect(page.get_by_text("Signed in as")).to_contain_text(mine)
    page.reload()
    expect(page.get_by_role("heading", name="Account")).to_be_visible()
    expect(page.get_by_role("alert")).to_have_count(0)
    expect(email_form.get_by_label("New email")).to_have_value(mine)


def _two_tabs(new_context, app_server, label: str, heading: str) -> tuple:
    """A new user's two tabs of one browser: (here, there), there open on /<heading lower-cased>."""
    context = new_context()
    here, there = context.new_page(), context.new_page()
    sign_up(here, app_server.base_url, email=unique_email(label), name=label.title())
    there.goto(f"{app_server.base_url}/{heading.lower()}")
    expect(there.get_by_role("heading", name=heading, exact=True)).to_be_visible()
    return here, there


def test_a_new_password_keeps_the_browsers_other_tabs_logged_in(new_context, app_server):
    # "Logs you out everywhere else": not in this browser's other tabs, which have the
    # new cookie too, though each tab's websocket opened with the old one.
    here, there = _two_tabs(new_context, app_server, "tabs", "Leads")
    here.goto(f"{app_server.base_url}/account")
    _change_password(here, PASSWORD, "an entirely new password")
    expect(here.get_by_role("status")).to_have_text("Password changed.")
    there.get_by_label("Search leads").fill("anyone")
    expect(there).to_have_url(re.compile(r"/leads/?$"))
    expect(there.get_by_role("heading", name="Leads", exact=True)).to_be_visible()
    expect(there.get_by_label("Email")).to_have_count(0)


def test_a_key_saved_in_a_tab_whose_session_was_replaced_is_not_lost_silently(
    new_context, app_server
):
    # The other tab's websocket still holds the replaced cookie: its next event finds the
    # session gone and the tab is loaded anew (logged in, by the browser's new cookie).
    # What that event was to do was not done, and the tab says so rather than nothing.
    here, there = _two_tabs(new_context, app_server, "replaced", "Integrations")
    here.goto(f"{app_server.base_url}/account")
    _change_password(here, PASSWORD, "an entirely new password")
    expect(here.get_by_role("status")).to_have_text("Password changed.")
    there.get_by_label("Vapi server secret").fill("a-key-typed-in-the-other-tab")
    there.get_by_test_id("vapi-save").click()
    expect(there.get_by_text("what you last did here was not carried out")).to_be_visible()
    expect(there).to_have_url(re.compile(r"/integrations/?$"))
    expect(there.get_by_test_id("vapi-status")).to_have_text("Not connected")
    there.reload()  # said once, not again
    expect(there.get_by_role("heading", name="Integrations", exact=True)).to_be_visible()
    expect(there.get_by_text("was not carried out")).to_have_count(0)


def test_an_action_in_a_tab_logged_out_elsewhere_ends_at_login_saying_why(new_context, app_server):
    here, there = _two_tabs(new_context, app_server, "gone", "Integrations")
    here.get_by_role("button", name="Log out").first.click()
    expect(here.get_by_role("heading", name="Log in")).to_be_visible()
    there.get_by_label("Vapi server secret").fill("a-key-typed-after-logging-out")
    there.get_by_test_id("vapi-save").click()
    expect(there.get_by_role("heading", name="Log in")).to_be_visible()
    expect(there.get_by_role("status")).to_have_text(
        "You were logged out in another tab, so what you last did here was not carried out. "
        "Log in to continue."
    )
    # A person who simply opens /login is told nothing of the kind.
    there.goto(f"{app_server.base_url}/login")
    expect(there.get_by_label("Email")).to_be_visible()
    expect(there.get_by_role("status")).to_have_count(0)
