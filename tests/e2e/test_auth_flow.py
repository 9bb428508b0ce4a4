"""Sign-up, log-in and log-out through the real pages, and what the browser never receives."""

from __future__ import annotations

import re
import socket
import time
from urllib.parse import urlsplit

from playwright.sync_api import expect

from tests.e2e.helpers import (
    PASSWORD,
    SESSION_COOKIE,
    log_in,
    session_cookie,
    sign_up,
    unique_email,
)


def test_sign_up_lands_on_a_dashboard_with_the_users_name_and_counts(page, app_server):
    sign_up(page, app_server.base_url, email=unique_email("ada"), name="Ada Lovelace")
    expect(page.get_by_role("main").get_by_text("Ada Lovelace")).to_be_visible()
    # A new account sees how to get data in, not a wall of zeros.
    expect(page.get_by_text("Nothing here yet")).to_be_visible()
    expect(page.get_by_test_id("stat-total-leads")).to_have_count(0)


def test_a_user_who_gave_no_name_is_welcomed_by_email(page, app_server):
    email = unique_email("noname")
    sign_up(page, app_server.base_url, email=email, name="")
    expect(page.get_by_text(f"Welcome, {email}.")).to_be_visible()


def test_a_refused_sign_up_keeps_the_name_and_email_typed(page, app_server):
    email = unique_email("twice")
    sign_up(page, app_server.base_url, email=email, name="First Time")
    page.context.clear_cookies()
    page.goto(f"{app_server.base_url}/signup")
    page.get_by_label("Name").fill("Second Time")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign up").click()
    expect(page.get_by_role("alert")).to_contain_text("already exists")
    expect(page.get_by_label("Name")).to_have_value("Second Time")
    expect(page.get_by_label("Email")).to_have_value(email)
    expect(page.get_by_label("Password")).to_have_value("")
    # Sent again with another email and a password the browser itself refuses (too
    # short): the page no longer says the new email has an account.
    page.get_by_label("Email").fill(unique_email("other"))
    page.get_by_label("Password").fill("short")
    page.get_by_role("button", name="Sign up").click()
    expect(page.get_by_role("alert")).to_have_count(0)
    expect(page).to_have_url(re.compile(r"/signup/?\?"))  # not sent: the browser held it
    expect(page.get_by_role("link", name="Log in with this email instead")).to_have_count(0)


def test_a_sign_up_with_an_email_that_has_an_account_offers_its_log_in(page, app_server):
    email = unique_email("has-account")
    sign_up(page, app_server.base_url, email=email, name="First Time")
    page.context.clear_cookies()
    page.goto(f"{app_server.base_url}/signup?next=/calls")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign up").click()
    expect(page.get_by_role("alert")).to_have_text("An account with this email already exists.")
    page.get_by_role("link", name="Log in with this email instead").click()
    expect(page).to_have_url(re.compile(r"/login/?\?"))
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    expect(page.get_by_label("Email")).to_have_value(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(r"/calls/?$"))  # where the sign-up was going


def test_a_person_sent_to_log_in_who_signs_up_instead_arrives_where_they_were_going(
    page, app_server
):
    page.goto(f"{app_server.base_url}/calls")
    expect(page).to_have_url(re.compile(r"/login/?\?next=%2Fcalls"))
    # Each link takes the page's next once the page has read it (its on_load).
    carries_next = re.compile(r"\?next=%2Fcalls$")
    sign_up_link = page.get_by_role("link", name="Sign up")
    expect(sign_up_link).to_have_attribute("href", carries_next)
    sign_up_link.click()
    expect(page.get_by_role("heading", name="Create your account")).to_be_visible()
    log_in_link = page.get_by_role("link", name="Log in")
    expect(log_in_link).to_have_attribute("href", carries_next)
    log_in_link.click()  # and back, and forth again
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    expect(sign_up_link).to_have_attribute("href", carries_next)
    sign_up_link.click()
    page.get_by_label("Email").fill(unique_email("went-on"))
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign up").click()
    expect(page).to_have_url(re.compile(r"/calls/?$"))


def test_the_session_cookie_is_http_only_and_invisible_to_scripts(page, app_server):
    frames: list[str] = []
    page.on(
        "websocket", lambda ws: ws.on("framereceived", lambda payload: frames.append(str(payload)))
    )
    sign_up(page, app_server.base_url, email=unique_email("grace"), name="Grace Hopper")
    page.reload()
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    cookie = session_cookie(page.context)
    assert cookie["httpOnly"] is True
    assert cookie["secure"] is True
    assert cookie["sameSite"] in ("Lax", "Strict")
    assert cookie["path"] == "/"
    token = cookie["value"]
    assert SESSION_COOKIE not in page.evaluate("document.cookie")
    storage = page.evaluate(
        "JSON.stringify({...localStorage}) + JSON.stringify({...sessionStorage})"
    )
    assert token not in storage
    assert frames, "the page should have talked to the server over its websocket"
    assert not [frame for frame in frames if token in frame]
    assert token not in page.content()


def test_a_guarded_page_without_a_session_ends_at_login(page, app_server):
    page.goto(f"{app_server.base_url}/dashboard")
    expect(page).to_have_url(re.compile(r"/login/?\?next=%2Fdashboard"))
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    expect(page.get_by_role("heading", name="Dashboard")).to_have_count(0)


def test_a_wrong_password_shows_the_same_message_as_an_unknownunique_email(page, app_server):
    email = unique_email("wrong")
    sign_up(page, app_server.base_url, email=email, name="Wrong Pass")
    page.context.clear_cookies()
    log_in(page, app_server.base_url, email=email, password="not the password")
    expect(page.get_by_role("alert")).to_have_text("Email or password is incorrect.")
    # The page was loaded anew: the message has focus (read out), inside the page's main.
    expect(page.get_by_role("main").get_by_role("alert")).to_be_focused()
    wrong_password_message = page.get_by_role("alert").inner_text()
    log_in(page, app_server.base_url, email=unique_email("nobody"), password="not the password")
    expect(page.get_by_role("alert")).to_have_text(wrong_password_message)


# Records every message and every visible email value the log-in page shows, as it shows them.
WATCH_THE_FORM = """
window.seenOnLogin = [];
new MutationObserver(() => {
  for (const element of document.querySelectorAll("[role=alert], input[name=email]")) {
    const shown = element.tagName === "INPUT"
      ? (element.checkVisibility({visibilityProperty: true}) ? element.value : "")
      : element.textContent;
    if (shown) window.seenOnLogin.push(shown);
  }
}).observe(document, {subtree: true, childList: true, attributes: true, characterData: true});
"""


def test_the_next_visit_to_log_in_never_shows_the_last_ones_message_or_email(page, app_server):
    # The tab's state keeps the last visit's values until this visit's have been read:
    # shown meanwhile, they flashed, and an email field could change while being typed in.
    email = unique_email("stale")
    log_in(page, app_server.base_url, email=email, password="not the password")
    expect(page.get_by_role("alert")).to_have_text("Email or password is incorrect.")
    expect(page.get_by_label("Email")).to_have_value(email)
    page.add_init_script(WATCH_THE_FORM)
    page.goto(f"{app_server.base_url}/login")
    expect(page.get_by_label("Email")).to_be_visible()
    expect(page.get_by_label("Email")).to_have_value("")
    seen = page.evaluate("window.seenOnLogin")
    assert not [shown for shown in seen if email in shown or "incorrect" in shown], seen


def test_logout_returns_to_login_and_the_old_cookie_is_refused(new_context, app_server):
    context = new_context()
    page = context.new_page()
    email = unique_email("linus")
    sign_up(page, app_server.base_url, email=email, name="Linus")
    old_cookie = session_cookie(context)
    heard: list[str] = []  # what the sockets opened from here on (the login page's) receive
    page.on("websocket", lambda ws: ws.on("framereceived", lambda frame: heard.append(str(frame))))
    page.get_by_role("button", name="Log out").first.click()
    expect(page).to_have_url(re.compile(r"/login/?$"))
    # Once the login page has heard from the server (a person reads it first: its form
    # shows once its state has come), this tab, which logged out itself, opens a page
    # that does not blame another tab.
    expect(page.get_by_label("Email")).to_be_visible()
    assert any("delta" in frame for frame in heard)
    page.goto(f"{app_server.base_url}/dashboard")
    expect(page).to_have_url(re.compile(r"/login/?\?next=%2Fdashboard$"))
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    expect(page.get_by_text("Your session ended")).to_have_count(0)
    # Replay the old cookie in a fresh browser: the session was revoked server-side.
    replay = new_context()
    replay.add_cookies([old_cookie])
    replay_page = replay.new_page()
    replay_page.goto(f"{app_server.base_url}/dashboard")
    expect(replay_page).to_have_url(re.compile(r"/login/?\?next="))
    response = replay.request.post(
        f"{app_server.base_url}/api/auth/logout", headers={"accept": "application/json"}
    )
    assert response.status == 200


def test_a_new_tab_of_a_logged_in_browser_opens_its_page_without_a_trip_to_login(
    new_context, app_server
):
    context = new_context()
    first = context.new_page()
    sign_up(first, app_server.base_url, email=unique_email("newtab"), name="New Tab")
    for path, heading in (("/leads", "Leads"), ("/calls", "Calls")):
        tab = context.new_page()  # a tab with no state yet: its first event loads the page
        visited: list[str] = []
        tab.on("framenavigated", lambda frame, seen=visited: seen.append(frame.url))
        tab.goto(f"{app_server.base_url}{path}")
        expect(tab.get_by_role("heading", name=heading, exact=True)).to_be_visible()
        tab.wait_for_timeout(1000)  # a trip to /login would have begun by now
        assert not [url for url in visited if "/login" in url], visited
        tab.close()


def test_a_tab_whose_session_ended_elsewhere_goes_to_login_on_its_next_action(
    new_context, app_server
):
    context = new_context()
    stale = context.new_page()
    sign_up(stale, app_server.base_url, email=unique_email("stale"), name="Stale Tab")
    stale.goto(f"{app_server.base_url}/leads")
    expect(stale.get_by_role("heading", name="Leads", exact=True)).to_be_visible()
    other = context.new_page()  # same browser, same cookie: log out there
    other.goto(f"{app_server.base_url}/dashboard")
    other.get_by_role("button", name="Log out").first.click()
    expect(other).to_have_url(re.compile(r"/login/?$"))
    stale.get_by_label("Search leads").fill("anything")
    expect(stale).to_have_url(re.compile(r"/login/?\?next=%2Fleads"))
    expect(stale.get_by_role("heading", name="Log in")).to_be_visible()


def test_log_in_through_the_page_goes_to_next(new_context, app_server):
    context = new_context()
    page = context.new_page()
    email = unique_email("next")
    sign_up(page, app_server.base_url, email=email, name="Next User")
    context.clear_cookies()
    page.goto(f"{app_server.base_url}/dashboard")
    expect(page).to_have_url(re.compile(r"/login/?\?next=%2Fdashboard"))
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(r"/dashboard/?$"))
    expect(page.get_by_role("main").get_by_text("Next User")).to_be_visible()


def test_two_users_in_two_browsers_never_see_each_others_data(new_context, app_server):
    from crm_app.core.db import create_db_engine, global_session, tenant_session
    from crm_app.models import LeadCreate
    from crm_app.services.leads import create_lead
    from crm_app.services.users import get_user_by_email

    first, second = new_context().new_page(), new_context().new_page()
    first_email, second_email = unique_email("first"), unique_email("second")
    sign_up(first, app_server.base_url, email=first_email, name="First Owner")
    sign_up(second, app_server.base_url, email=second_email, name="Second Owner")
    engine = create_db_engine(app_server.database_url)
    try:
        with global_session(engine) as session:
            owner = get_user_by_email(session=session, email=first_email)
        with tenant_session(owner.id, engine) as session:
            for n in range(3):
                create_lead(
                    session=session, user_id=owner.id, lead_in=LeadCreate(name=f"Secret Lead {n}")
                )
    finally:
        engine.dispose()
    first.reload()
    second.reload()
    expect(first.get_by_test_id("stat-total-leads")).to_have_text("3")
    expect(second.get_by_test_id("dashboard-empty")).to_be_visible()
    assert first_email not in second.content()
    assert "First Owner" not in second.content()


def test_a_logged_out_tabs_client_token_yields_no_ones_state(new_context, app_server):
    context = new_context()
    page = context.new_page()
    sign_up(page, app_server.base_url, email=unique_email("tab"), name="Tab Owner")
    expect(page.get_by_role("main").get_by_text("Tab Owner")).to_be_visible()
    tab_token = page.evaluate("sessionStorage.getItem('token')")
    assert tab_token
    # Someone else presents that tab's token, without the cookie.
    thief = new_context()
    thief_page = thief.new_page()
    frames: list[str] = []
    thief_page.on("websocket", lambda ws: ws.on("framereceived", lambda p: frames.append(str(p))))
    thief_page.add_init_script(f"sessionStorage.setItem('token', {tab_token!r})")
    thief_page.goto(f"{app_server.base_url}/dashboard")
    expect(thief_page).to_have_url(re.compile(r"/login/?\?next="))
    thief_page.wait_for_timeout(500)
    assert not [frame for frame in frames if "Tab Owner" in frame]


def _websocket_handshake_status(base_url: str, origin: str) -> int:
    """The HTTP status a websocket upgrade to /_event gets when sent from `origin`."""
    parts = urlsplit(base_url)
    request = (
        f"GET /_event/?EIO=4&transport=websocket HTTP/1.1\r\n"
        f"Host: {parts.netloc}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        f"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
        f"Origin: {origin}\r\n\r\n"
    )
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as connection:
        connection.sendall(request.encode())
        status_line = connection.recv(4096).split(b"\r\n", 1)[0].decode()
    return int(status_line.split()[1])


def test_the_websocket_refuses_a_forged_origin(app_server):
    assert _websocket_handshake_status(app_server.base_url, app_server.base_url) == 101
    assert _websocket_handshake_status(app_server.base_url, "http://evil.example") in (400, 403)


def test_the_app_opened_at_127_0_0_1_works_as_at_localhost(page, app_server):
    # Served as http://localhost:PORT (outside production): its loopback twin is the same site.
    twin = app_server.base_url.replace("//localhost:", "//127.0.0.1:")
    assert twin != app_server.base_url
    assert _websocket_handshake_status(app_server.base_url, twin) == 101
    sign_up(page, twin, email=unique_email("twin"), name="Loopback Twin")
    expect(page.get_by_role("main").get_by_text("Loopback Twin")).to_be_visible()


def test_a_refused_websocket_origin_is_logged_with_the_setting_to_change(app_server):
    origin = "http://192.0.2.7:3000"
    assert _websocket_handshake_status(app_server.base_url, origin) in (400, 403)
    # engineio logs the first refusal of each worker (later ones below its level): whichever
    # was first, its line names what is accepted and the setting that would accept more.
    deadline = time.monotonic() + 10
    while "is not an accepted origin" not in (log := app_server.log_text()):
        assert time.monotonic() < deadline, "no line about the refused origin"
        time.sleep(0.2)
    line = next(line for line in log.splitlines() if "is not an accepted origin" in line)
    assert f"this server accepts {app_server.base_url}" in line
    assert "ALLOWED_ORIGINS" in line


def test_the_log_in_page_says_who_can_set_a_forgotten_password(page, app_server):
    page.goto(f"{app_server.base_url}/login")
    hint = page.get_by_text("Forgot your password?")
    expect(hint).to_be_visible()
    expect(hint).to_contain_text("Whoever runs this CRM for you can set a new one")
    expect(hint).to_contain_text("python -m crm_app reset-password")


def test_the_auth_endpoints_refuse_a_forged_origin(page, app_server):
    response = page.request.post(
        f"{app_server.base_url}/api/auth/login",
        data={"email": "a@example.com", "password": PASSWORD},
        headers={"origin": "http://evil.example"},
    )
    assert response.status == 403


def test_changing_the_password_ends_other_sessions_at_once(new_context, app_server):
    email = unique_email("change")
    here, elsewhere = new_context().new_page(), new_context().new_page()
    sign_up(here, app_server.base_url, email=email, name="Changer")
    log_in(elsewhere, app_server.base_url, email=email)
    expect(elsewhere).to_have_url(re.compile(r"/dashboard/?$"))
    here.goto(f"{app_server.base_url}/account")
    form = here.get_by_role("region", name="Change password")
    form.get_by_label("Current password").fill(PASSWORD)
    form.get_by_label("New password").fill("an entirely new password")
    form.get_by_role("button", name="Change password").click()
    expect(here.get_by_role("status")).to_have_text("Password changed.")
    # The other browser's next page finds its session gone, and says why.
    elsewhere.get_by_role("link", name="Leads").first.click()
    expect(elsewhere).to_have_url(re.compile(r"/login/?\?next=%2Fleads&ended=visit$"))
    expect(
        elsewhere.get_by_text("Your session ended: it expired, or you logged out or changed")
    ).to_be_visible()
    # A visit by someone who was never logged in here is told nothing of the kind.
    stranger = new_context().new_page()
    stranger.goto(f"{app_server.base_url}/leads")
    expect(stranger).to_have_url(re.compile(r"/login/?\?next=%2Fleads$"))
    expect(stranger.get_by_role("heading", name="Log in")).to_be_visible()
    expect(stranger.get_by_text("Your session ended")).to_have_count(0)


def test_someone_locking_an_account_out_leaves_its_owners_browser_able_to_log_in(
    page, app_server, new_context
):
    email = unique_email("locked")
    sign_up(page, app_server.base_url, email=email, name="Owner")
    device = next(c for c in page.context.cookies() if c["name"] == "crm_device")
    # Kept for the auth endpoints alone, out of scripts' reach.
    assert (device["httpOnly"], device["path"], device["sameSite"]) == (True, "/api/auth", "Strict")
    guesser = new_context().request
    wrong = {"email": email, "password": "not the password"}
    statuses = [
        guesser.post(f"{app_server.base_url}/api/auth/login", data=wrong).status for _ in range(6)
    ]
    assert statuses == [401] * 5 + [429]
    page.get_by_role("button", name="Log out").first.click()
    expect(page).to_have_url(re.compile(r"/login/?$"))
    log_in(page, app_server.base_url, email=email)
    expect(page).to_have_url(re.compile(r"/dashboard/?$"))
    expect(page.get_by_role("main").get_by_text("Owner")).to_be_visible()


def test_a_tab_whose_session_expired_is_told_so_not_that_it_was_logged_out(new_context, app_server):
    # After its hours were up, /login said "you logged out or changed your password".
    import jwt

    from crm_app.core.crypto import session_signing_key

    context = new_context()
    page = context.new_page()
    sign_up(page, app_server.base_url, email=unique_email("expired"), name="Expired")
    cookie = session_cookie(context)
    claims = jwt.decode(cookie["value"], options={"verify_signature": False})
    ended = int(time.time()) - 60
    expired = jwt.encode(
        {**claims, "iat": ended - 3600, "exp": ended},
        session_signing_key(app_server.env["JWT_SECRET"]),
        algorithm="HS256",
    )
    context.add_cookies([{**cookie, "value": expired}])
    page.goto(f"{app_server.base_url}/leads")
    expect(page).to_have_url(re.compile(r"/login/?\?next=%2Fleads"))
    # Which of its two notices depends on which of the page's checks found it first (its
    # on_load, or the mount of what it shows to no session): both say it expired.
    expect(page.get_by_text(re.compile(r"^Your session expired"))).to_be_visible()
