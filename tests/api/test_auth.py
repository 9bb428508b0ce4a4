"""Sign-up, log-in and log-out over HTTP, as JSON clients and as native form posts."""

from __future__ import annotations

import json
import uuid
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import parse_qs, urlsplit

import pytest

from crm_app.api import auth
from crm_app.api.auth import DEVICE_COOKIE, THROTTLED
from crm_app.core.config import load_settings
from crm_app.services.sessions import COOKIE_NAME
from tests.api.conftest import SITE_ORIGIN

PASSWORD = "a perfectly fine password"


def _email() -> str:
    return f"user-{uuid.uuid4().hex[:10]}@example.com"


def _signup(client, email=None, password=PASSWORD, name="Ada"):
    return client.post(
        "/api/auth/signup", json={"email": email or _email(), "password": password, "name": name}
    )


def _cookie_header(response) -> str:
    return next(
        v
        for k, v in response.headers.multi_items()
        if k == "set-cookie" and v.startswith(COOKIE_NAME)
    )


def test_signup_creates_the_account_and_sets_a_session_cookie(client):
    email = _email()
    response = _signup(client, email=f"  {email.upper()} ")
    assert response.status_code == 201
    assert response.json()["email"] == email  # normalised: trimmed, lower-cased
    cookie = _cookie_header(response)
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    assert "Secure" in cookie  # localhost counts as a secure context
    assert "Path=/" in cookie
    assert "Domain" not in cookie
    assert "Max-Age=" in cookie


def test_signup_with_a_taken_email_answers_409_in_any_case(client):
    email = _email()
    assert _signup(client, email=email).status_code == 201
    assert _signup(client, email=email.upper()).status_code == 409


@pytest.mark.parametrize(
    "body",
    [
        {"email": "not-an-email", "password": PASSWORD},
        {"email": "a@example.com", "password": "short"},
        {"email": "a@example.com"},
        {"email": "a@example.com", "password": "x" * 5000},
        # Postgres refuses a NUL; a zero-width space would make a look-alike account.
        {"email": "a\u0000b@example.com", "password": PASSWORD},
        {"email": "ada\u200b@example.com", "password": PASSWORD},
        {"email": "ada@exa\u202emple.com", "password": PASSWORD},
    ],
)
def test_signup_with_invalid_input_answers_422_and_creates_nothing(client, body):
    response = client.post("/api/auth/signup", json=body)
    assert response.status_code in (413, 422)
    assert COOKIE_NAME not in response.headers.get("set-cookie", "")


@pytest.mark.parametrize(
    ("content", "content_type", "status"),
    [
        (b"{not json", "application/json", 422),
        (b"[1, 2]", "application/json", 422),
        (b'{"email": 5, "password": []}', "application/json", 422),
        (b"email=a", "text/plain", 415),
    ],
)
def test_malformed_bodies_get_a_clear_4xx(client, content, content_type, status):
    response = client.post(
        "/api/auth/login", content=content, headers={"content-type": content_type}
    )
    assert response.status_code == status
    assert "detail" in response.json()


def test_controls_in_a_name_are_dropped_and_an_email_with_them_logs_in_nobody(client, engine):
    from crm_app.core.db import global_session
    from crm_app.services.users import get_user_by_email

    email = _email()
    signup = _signup(client, email=email, name="Ada\u0000 \u202eLovelace\u0007")
    assert signup.status_code == 201
    client.cookies.clear()
    for lookalike in (email.replace("@", "\u0000@"), email.replace("@", "\u200b@")):
        refused = client.post("/api/auth/login", json={"email": lookalike, "password": PASSWORD})
        assert refused.status_code == 401  # as for any unknown email, not a 500
    login = client.post("/api/auth/login", json={"email": email, "password": PASSWORD})
    assert login.status_code == 200
    with global_session(engine) as session:
        assert get_user_by_email(session=session, email=email).name == "Ada Lovelace"


# Half of a character: JSON can carry a lone surrogate ("\ud800"), which UTF-8 cannot encode.
BROKEN_PASSWORD = PASSWORD + "\ud800"


def _post_json(client, path, body, **headers):
    # Escaped as JSON escapes it, whatever httpx would do with the lone surrogate.
    content = json.dumps(body, ensure_ascii=True)
    return client.post(
        path, content=content, headers={"content-type": "application/json", **headers}
    )


def test_a_password_with_half_a_character_is_wrong_for_known_and_unknown_emails_alike(client):
    email = _email()
    _signup(client, email=email)
    client.cookies.clear()
    known = _post_json(client, "/api/auth/login", {"email": email, "password": BROKEN_PASSWORD})
    unknown = _post_json(
        client, "/api/auth/login", {"email": _email(), "password": BROKEN_PASSWORD}
    )
    assert known.status_code == unknown.status_code == 401  # not a 500 that tells them apart
    assert known.json() == unknown.json()


def test_half_a_character_is_refused_in_a_new_password_and_dropped_from_a_name(client, engine):
    from crm_app.core.db import global_session
    from crm_app.services.users import get_user_by_email

    email = _email()
    body = {"email": email, "password": BROKEN_PASSWORD, "name": "Ada"}
    refused = _post_json(client, "/api/auth/signup", body)
    assert refused.status_code == 422
    assert "broken character" in refused.json()["detail"]
    assert COOKIE_NAME not in refused.headers.get("set-cookie", "")
    body = {"email": email, "password": PASSWORD, "name": "Ada\ud800 Lovelace"}
    signup = _post_json(client, "/api/auth/signup", body)
    assert signup.status_code == 201
    with global_session(engine) as session:
        assert get_user_by_email(session=session, email=email).name == "Ada Lovelace"
    token = signup.cookies[COOKIE_NAME]
    change = _post_json(
        client,
        "/api/auth/password",
        {"current_password": PASSWORD, "new_password": BROKEN_PASSWORD},
        cookie=f"{COOKIE_NAME}={token}",
    )
    assert change.status_code == 422
    assert "broken character" in change.json()["detail"]
    client.cookies.clear()
    login = client.post("/api/auth/login", json={"email": email, "password": PASSWORD})
    assert login.status_code == 200  # the password did not change


def test_login_with_the_right_password_starts_a_session(client):
    email = _email()
    _signup(client, email=email)
    client.cookies.clear()
    response = client.post("/api/auth/login", json={"email": email, "password": PASSWORD})
    assert response.status_code == 200
    assert response.json()["email"] == email
    assert "HttpOnly" in _cookie_header(response)


def test_a_long_non_ascii_password_works_for_signup_and_login(client):
    email, password = _email(), ("пароль-密码-🔐" * 8)[:80]
    assert _signup(client, email=email, password=password).status_code == 201
    assert (
        client.post("/api/auth/login", json={"email": email, "password": password}).status_code
        == 200
    )
    assert (
        client.post("/api/auth/login", json={"email": email, "password": password[:-1]}).status_code
        == 401
    )


def test_unknown_email_and_wrong_password_get_the_same_answer(client):
    email = _email()
    _signup(client, email=email)
    wrong_password = client.post(
        "/api/auth/login", json={"email": email, "password": "wrong password!"}
    )
    unknown_email = client.post(
        "/api/auth/login", json={"email": _email(), "password": "wrong password!"}
    )
    assert wrong_password.status_code == unknown_email.status_code == 401
    assert wrong_password.json() == unknown_email.json()


def test_failed_logins_are_throttled_per_account_with_retry_after(client):
    email = _email()
    _signup(client, email=email)
    for _ in range(5):
        assert (
            client.post(
                "/api/auth/login", json={"email": email, "password": "wrong password!"}
            ).status_code
            == 401
        )
    throttled = client.post("/api/auth/login", json={"email": email, "password": PASSWORD})
    assert throttled.status_code == 429
    assert int(throttled.headers["retry-after"]) > 0


def _login(client, email: str, password: str = PASSWORD, device: str | None = None):
    """A log-in from a browser holding `device` as its device cookie (None: a new browser)."""
    client.cookies.clear()
    headers = {"cookie": f"{DEVICE_COOKIE}={device}"} if device is not None else {}
    return client.post(
        "/api/auth/login", json={"email": email, "password": password}, headers=headers
    )


def _lock_out(client, email: str) -> None:
    """Fail as a guesser would, from a browser that never logged in, until refused."""
    statuses = [_login(client, email, "wrong password!").status_code for _ in range(6)]
    assert statuses == [401] * 5 + [429]


def test_a_log_in_hands_the_browser_a_device_cookie_for_the_auth_endpoints_only(client):
    email = _email()
    _signup(client, email=email)
    login = _login(client, email)
    cookie = next(
        v for k, v in login.headers.multi_items() if k == "set-cookie" and v.startswith("crm_d")
    )
    assert cookie.startswith(f"{DEVICE_COOKIE}=")
    for attribute in ("HttpOnly", "Secure", "SameSite=strict", "Path=/api/auth", "Max-Age="):
        assert attribute in cookie


def test_someone_failing_on_an_account_does_not_lock_out_its_owners_browser(client):
    email = _email()
    device = _signup(client, email=email).cookies[DEVICE_COOKIE]
    _lock_out(client, email)
    assert _login(client, email).status_code == 429  # a new browser waits, right password or not
    owner = _login(client, email, device=device)
    assert owner.status_code == 200
    # The owner logging in hands the guesser no new tries on the account.
    assert _login(client, email, "wrong password!").status_code == 429


def test_a_trusted_browser_has_a_limit_of_its_own_as_strict_as_the_accounts(client):
    email = _email()
    device = _signup(client, email=email).cookies[DEVICE_COOKIE]
    wrong = [_login(client, email, "wrong password!", device).status_code for _ in range(6)]
    assert wrong == [401] * 5 + [429]
    assert _login(client, email, device=device).status_code == 429
    # Counted apart: the account's own count did not move.
    assert _login(client, email).status_code == 200


@pytest.mark.parametrize("held", ["another account's", "forged", "a session token", "garbage"])
def test_only_a_device_cookie_issued_for_this_account_skips_its_lock_out(client, held):
    email, other = _email(), _email()
    signup = _signup(client, email=email)
    tokens = {
        "another account's": _signup(client, email=other).cookies[DEVICE_COOKIE],
        "forged": signup.cookies[DEVICE_COOKIE][:-4] + "AAAA",
        "a session token": signup.cookies[COOKIE_NAME],
        "garbage": "x" * 5000,
    }
    _lock_out(client, email)
    assert _login(client, email, device=tokens[held]).status_code == 429


def test_a_password_change_from_a_trusted_browser_counts_on_its_own_limit(client):
    email = _email()
    signup = _signup(client, email=email)
    token, device = signup.cookies[COOKIE_NAME], signup.cookies[DEVICE_COOKIE]
    _lock_out(client, email)
    client.cookies.clear()
    both = {"cookie": f"{COOKIE_NAME}={token}; {DEVICE_COOKIE}={device}"}
    change = {"current_password": "not the password", "new_password": "a brand new password"}
    # The owner, logged in on their own browser, still has their own tries...
    statuses = [
        client.post("/api/auth/password", json=change, headers=both).status_code for _ in range(6)
    ]
    # ...as many as anyone: those five wrong ones used them up.
    assert statuses == [401] * 5 + [429]


def test_a_new_password_voids_every_device_cookie_but_the_changing_browsers(client):
    email = _email()
    signup = _signup(client, email=email)
    # Someone who knew the password logs in again and again, gathering device cookies.
    gathered = [_login(client, email).cookies[DEVICE_COOKIE] for _ in range(3)]
    changed = client.post(
        "/api/auth/password",
        json={"current_password": PASSWORD, "new_password": "a brand new password"},
        headers={"cookie": f"{COOKIE_NAME}={signup.cookies[COOKIE_NAME]}"},
    )
    assert changed.status_code == 200
    owners = changed.cookies[DEVICE_COOKIE]
    _lock_out(client, email)
    # The gathered cookies buy no guesses at the new password: the account's lock holds.
    for device in gathered:
        assert _login(client, email, "a brand new password", device).status_code == 429
    assert _login(client, email, "a brand new password", owners).status_code == 200


def test_a_locked_out_owner_logs_in_with_a_password_set_since_then(client):
    email = _email()
    _signup(client, email=email)
    _lock_out(client, email)
    _change_password_directly(email, "a brand new password")  # as an operator's reset does
    # Failures against the old password no longer count; the new one has the full allowance.
    assert _login(client, email, "a brand new password").status_code == 200
    statuses = [_login(client, email, "wrong password!").status_code for _ in range(6)]
    assert statuses == [401] * 5 + [429]


def test_a_device_cookie_follows_its_account_not_an_email_it_gave_up(client):
    first, second = _email(), _email()
    signup = _signup(client, email=first)
    device = signup.cookies[DEVICE_COOKIE]
    moved = client.post(
        "/api/auth/email",
        json={"current_password": PASSWORD, "new_email": second},
        headers={"cookie": f"{COOKIE_NAME}={signup.cookies[COOKIE_NAME]}"},
    )
    assert moved.status_code == 200
    # Someone else takes the freed address: the old cookie is nothing to their account.
    _signup(client, email=first)
    _lock_out(client, first)
    assert _login(client, first, device=device).status_code == 429
    # And it still marks the browser of the account it came from, under its new email.
    _lock_out(client, second)
    assert _login(client, second, device=device).status_code == 200


def test_a_stolen_session_with_the_thiefs_own_device_cookie_meets_the_accounts_lock(client):
    victim, thief = _email(), _email()
    session = _signup(client, email=victim).cookies[COOKIE_NAME]
    thiefs_device = _signup(client, email=thief).cookies[DEVICE_COOKIE]
    _lock_out(client, victim)
    client.cookies.clear()
    guess = {"current_password": "a guess at it", "new_password": "a brand new password"}
    for device in (thiefs_device, "garbage"):
        cookies = {"cookie": f"{COOKIE_NAME}={session}; {DEVICE_COOKIE}={device}"}
        refused = client.post("/api/auth/password", json=guess, headers=cookies)
        assert refused.status_code == 429  # counted as the account's, which is locked


def test_logins_sent_at_once_check_no_more_passwords_than_the_limit(client):
    email = _email()
    _signup(client, email=email)

    def attempt(_: int) -> int:
        wrong = {"email": email, "password": "wrong password!"}
        return client.post("/api/auth/login", json=wrong).status_code

    with ThreadPoolExecutor(max_workers=16) as pool:
        statuses = list(pool.map(attempt, range(40)))
    assert sorted(set(statuses)) == [401, 429]
    assert statuses.count(401) <= 5  # the per-account limit


def test_logging_in_again_and_again_from_one_address_is_never_throttled(client):
    email = _email()
    _signup(client, email=email)
    for _ in range(25):  # more than the per-address limit of failures (20)
        login = client.post("/api/auth/login", json={"email": email, "password": PASSWORD})
        assert login.status_code == 200


def test_failed_logins_are_throttled_per_address_across_accounts(client):
    for _ in range(20):
        client.post("/api/auth/login", json={"email": _email(), "password": "wrong password!"})
    assert (
        client.post("/api/auth/login", json={"email": _email(), "password": "x" * 10}).status_code
        == 429
    )


def test_signups_meeting_existing_accounts_are_throttled_per_address(client):
    # Each 409 tells a guesser an account exists: 20 per address and window, as wrong passwords.
    taken = _email()
    _signup(client, email=taken)
    for _ in range(25):  # new accounts and refused input tell nothing: not failures
        assert _signup(client).status_code == 201
        assert _signup(client, password="short").status_code == 422
    assert [_signup(client, email=taken).status_code for _ in range(21)] == [409] * 20 + [429]
    refused = _signup(client)
    assert (refused.status_code, refused.json()) == (429, {"detail": THROTTLED})
    assert int(refused.headers["retry-after"]) > 0
    form = client.post("/api/auth/signup", data={"email": _email(), "password": PASSWORD})
    assert form.status_code == 303
    assert parse_qs(urlsplit(form.headers["location"]).query)["error"] == ["throttled"]


def test_accounts_made_from_one_address_are_limited_per_hour(client, monkeypatch):
    # Each costs a full argon2id hash: unlimited, one address kept both cores busy.
    from crm_app.services import login_throttle

    throttle = login_throttle.LoginThrottle(
        login_throttle.MemoryCounter(), 5, 900, 20, signups_per_address_per_hour=3
    )
    monkeypatch.setattr(login_throttle, "_throttle", throttle)
    assert [_signup(client, password="short").status_code for _ in range(5)] == [422] * 5
    assert [_signup(client).status_code for _ in range(4)] == [201, 201, 201, 429]
    refused = _signup(client)
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) > 900
    # Log-ins from that address go on: accounts made are not failures.
    email = _email()
    monkeypatch.setattr(login_throttle, "_throttle", None)
    assert _signup(client, email=email).status_code == 201
    monkeypatch.setattr(login_throttle, "_throttle", throttle)
    login = client.post("/api/auth/login", json={"email": email, "password": PASSWORD})
    assert login.status_code == 200


def test_wrong_passwords_and_signups_meeting_accounts_add_to_one_count(client):
    taken = _email()
    _signup(client, email=taken)
    for _ in range(10):
        client.post("/api/auth/login", json={"email": _email(), "password": "wrong password!"})
        _signup(client, email=taken)
    assert _signup(client, email=taken).status_code == 429


def test_logout_revokes_the_session_so_the_old_cookie_fails(client):
    from crm_app.services.sessions import user_id_from_token

    response = _signup(client)
    token = response.cookies[COOKIE_NAME]
    assert user_id_from_token(token) is not None
    logout = client.post(
        "/api/auth/logout",
        headers={"accept": "application/json", "cookie": f"{COOKIE_NAME}={token}"},
    )
    assert logout.status_code == 200
    assert (
        f'{COOKIE_NAME}=""' in logout.headers["set-cookie"]
        or "Max-Age=0" in logout.headers["set-cookie"]
    )
    # Replaying the old cookie: the server-side session is gone.
    assert user_id_from_token(token) is None


def test_form_login_redirects_to_a_local_next_path(client):
    email = _email()
    _signup(client, email=email)
    response = client.post(
        "/api/auth/login",
        data={"email": email, "password": PASSWORD, "next": "/leads?status=new"},
        headers={"origin": SITE_ORIGIN},
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/leads?status=new"


@pytest.mark.parametrize(
    "next_path",
    [
        *("https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)"),
        # Browsers drop tabs and line breaks from a URL: these would become //evil.example.
        *("/\t/evil.example", "/\n/evil.example", "/\r\n/evil.example"),
    ],
)
def test_form_login_never_redirects_off_site(client, next_path):
    email = _email()
    _signup(client, email=email)
    response = client.post(
        "/api/auth/login", data={"email": email, "password": PASSWORD, "next": next_path}
    )
    assert response.headers["location"] == "/dashboard"


def test_a_failed_form_login_goes_back_to_the_form_with_a_message(client):
    response = client.post(
        "/api/auth/login", data={"email": _email(), "password": "wrong password!", "next": "/calls"}
    )
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?error=invalid")
    assert "next=%2Fcalls" in response.headers["location"]
    assert "email=user-" in response.headers["location"]  # kept; the password never
    assert "wrong" not in response.headers["location"]
    assert "set-cookie" not in response.headers


def test_form_signup_with_taken_email_returns_to_signup(client):
    email = _email()
    _signup(client, email=email)
    response = client.post("/api/auth/signup", data={"email": email, "password": PASSWORD})
    assert response.status_code == 303
    assert response.headers["location"].startswith("/signup?error=taken")


def test_form_signup_refused_keeps_what_was_typed_but_the_password(client):
    response = client.post(
        "/api/auth/signup",
        data={"email": "not-an-email", "name": "Ada Lovelace", "password": PASSWORD},
    )
    assert response.status_code == 303
    query = parse_qs(urlsplit(response.headers["location"]).query)
    assert query["error"] == ["invalid-email"]
    assert (query["email"], query["name"]) == (["not-an-email"], ["Ada Lovelace"])
    assert PASSWORD not in response.headers["location"]


@pytest.mark.parametrize(
    "path",
    [
        "/api/auth/signup",
        "/api/auth/login",
        "/api/auth/logout",
        "/api/auth/password",
        "/api/auth/email",
    ],
)
def test_a_forged_origin_is_refused(client, path):
    response = client.post(
        path,
        json={"email": _email(), "password": PASSWORD},
        headers={"origin": "http://evil.example"},
    )
    assert response.status_code == 403
    assert "set-cookie" not in response.headers


def test_the_site_origin_is_accepted(client):
    response = client.post(
        "/api/auth/signup",
        json={"email": _email(), "password": PASSWORD},
        headers={"origin": SITE_ORIGIN},
    )
    assert response.status_code == 201


def test_the_loopback_twin_of_the_site_origin_is_accepted_outside_production(client):
    # The site is http://localhost:3000; the same server opened at 127.0.0.1 is the same site.
    response = client.post(
        "/api/auth/signup",
        json={"email": _email(), "password": PASSWORD},
        headers={"origin": "http://127.0.0.1:3000"},
    )
    assert response.status_code == 201


def test_production_refuses_the_loopback_twin_of_the_site_origin(client, monkeypatch):
    production = load_settings(environment="production", public_base_url=SITE_ORIGIN)
    monkeypatch.setattr(auth, "get_settings", lambda: production)
    for origin, status in (("http://127.0.0.1:3000", 403), (SITE_ORIGIN, 201)):
        response = client.post(
            "/api/auth/signup",
            json={"email": _email(), "password": PASSWORD},
            headers={"origin": origin},
        )
        assert response.status_code == status, origin


def _change_password(client, token, current, new, **headers):
    return client.post(
        "/api/auth/password",
        json={"current_password": current, "new_password": new},
        headers={"cookie": f"{COOKIE_NAME}={token}", **headers},
    )


def test_password_change_revokes_every_old_session_at_once(client):
    from crm_app.services.sessions import user_id_from_token

    email = _email()
    first_token = _signup(client, email=email).cookies[COOKIE_NAME]
    second_token = client.post(
        "/api/auth/login", json={"email": email, "password": PASSWORD}
    ).cookies[COOKIE_NAME]
    response = _change_password(client, first_token, PASSWORD, "a brand new password")
    assert response.status_code == 200
    new_token = response.cookies[COOKIE_NAME]
    assert user_id_from_token(first_token) is None
    assert user_id_from_token(second_token) is None
    assert user_id_from_token(new_token) is not None
    assert (
        client.post("/api/auth/login", json={"email": email, "password": PASSWORD}).status_code
        == 401
    )
    new_login = client.post(
        "/api/auth/login", json={"email": email, "password": "a brand new password"}
    )
    assert new_login.status_code == 200


def test_password_change_needs_the_current_password_and_a_session(client):
    token = _signup(client).cookies[COOKIE_NAME]
    assert (
        _change_password(client, token, "not the password", "a brand new password").status_code
        == 401
    )
    assert (
        _change_password(client, "forged.token.value", PASSWORD, "a brand new password").status_code
        == 401
    )
    assert _change_password(client, token, PASSWORD, "short").status_code == 422
    # Nothing changed: the old password still works and the session is still live.
    from crm_app.services.sessions import user_id_from_token

    assert user_id_from_token(token) is not None


def test_database_down_answers_503_without_details(monkeypatch):
    from fastapi.testclient import TestClient

    import crm_app.core.db as db
    from crm_app.api.app import build_api

    unreachable = db.create_db_engine("postgresql+psycopg://nobody:hunter2@127.0.0.1:1/crm")
    monkeypatch.setattr(db, "get_engine", lambda: unreachable)
    with TestClient(
        build_api(), base_url="http://localhost:3000", raise_server_exceptions=False
    ) as c:
        response = c.post("/api/auth/login", json={"email": _email(), "password": PASSWORD})
    assert response.status_code == 503
    assert response.headers["retry-after"] == "5"
    assert "hunter2" not in response.text and "127.0.0.1" not in response.text


def test_wrong_current_passwords_are_throttled_like_logins_with_retry_after(client):
    token = _signup(client).cookies[COOKIE_NAME]
    statuses = [
        _change_password(client, token, "not the password", "a brand new password").status_code
        for _ in range(5)
    ]
    assert statuses == [401] * 5
    # Even the right current password is refused now, as at log-in.
    throttled = _change_password(client, token, PASSWORD, "a brand new password")
    assert throttled.status_code == 429
    assert int(throttled.headers["retry-after"]) > 0
    assert "set-cookie" not in throttled.headers


def test_login_and_password_change_failures_add_to_one_count(client):
    email = _email()
    token = _signup(client, email=email).cookies[COOKIE_NAME]
    for _ in range(3):
        client.post("/api/auth/login", json={"email": email, "password": "wrong password!"})
    for _ in range(2):
        wrong = _change_password(client, token, "not the password", "a new password!")
        assert wrong.status_code == 401
    # Five failures in all, wherever they came from: both doors are shut, for the same time.
    login = client.post("/api/auth/login", json={"email": email, "password": PASSWORD})
    change = _change_password(client, token, PASSWORD, "a brand new password")
    assert (login.status_code, change.status_code) == (429, 429)
    assert abs(int(login.headers["retry-after"]) - int(change.headers["retry-after"])) <= 1


def test_a_password_change_cannot_lock_an_account_for_longer_than_logins_can(client):
    from crm_app.services.login_throttle import get_login_throttle

    token = _signup(client).cookies[COOKIE_NAME]
    window = get_login_throttle().window
    waits = []
    for _ in range(8):
        response = _change_password(client, token, "not the password", "a new password!")
        if response.status_code == 429:
            waits.append(int(response.headers["retry-after"]))
    # Attempts while throttled add nothing: the wait counts down within one window.
    assert waits and all(0 < wait <= window for wait in waits)
    assert waits == sorted(waits, reverse=True)


def test_a_password_change_clears_the_failure_count_as_a_login_does(client):
    email = _email()
    token = _signup(client, email=email).cookies[COOKIE_NAME]
    for _ in range(4):
        _change_password(client, token, "not the password", "a new password!")
    changed = _change_password(client, token, PASSWORD, "a brand new password")
    assert changed.status_code == 200
    token = changed.cookies[COOKIE_NAME]
    statuses = [
        _change_password(client, token, "not the password", "a new password!").status_code
        for _ in range(6)
    ]
    assert statuses == [401] * 5 + [429]


def test_a_throttled_form_goes_back_to_account_saying_how_long_to_wait(client):
    token = _signup(client).cookies[COOKIE_NAME]
    form = {"current_password": "not the password", "new_password": "a brand new password"}
    headers = {"cookie": f"{COOKIE_NAME}={token}", "origin": SITE_ORIGIN}
    for _ in range(5):
        client.post("/api/auth/password", data=form, headers=headers)
    response = client.post("/api/auth/password", data=form, headers=headers)
    assert response.status_code == 303
    location = urlsplit(response.headers["location"])
    query = parse_qs(location.query)
    assert location.path == "/account"
    assert query["error"] == ["throttled"] and int(query["retry"][0]) > 0


def test_a_form_from_a_tab_whose_session_ended_goes_to_login_for_a_clean_form(client):
    response = client.post(
        "/api/auth/password",
        data={"current_password": PASSWORD, "new_password": "a brand new password"},
        headers={"cookie": f"{COOKIE_NAME}=forged.token.value", "origin": SITE_ORIGIN},
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Faccount"


@pytest.mark.parametrize("blank", [" " * 8, " " * 30, "\t \n" * 4, "\u3000" * 8])
def test_a_password_of_only_whitespace_is_refused_at_signup(client, blank):
    email = _email()
    response = _signup(client, email=email, password=blank)
    assert response.status_code == 422
    assert "only spaces" in response.json()["detail"]
    assert client.post("/api/auth/login", json={"email": email, "password": blank}).status_code == (
        401
    )


def test_a_password_of_only_whitespace_is_refused_at_change(client):
    email = _email()
    token = _signup(client, email=email).cookies[COOKIE_NAME]
    response = _change_password(client, token, PASSWORD, " " * 8)
    assert response.status_code == 422
    assert "only spaces" in response.json()["detail"]
    form = client.post(
        "/api/auth/password",
        data={"current_password": PASSWORD, "new_password": " " * 8},
        headers={"cookie": f"{COOKIE_NAME}={token}", "origin": SITE_ORIGIN},
    )
    assert form.headers["location"] == "/account?error=blank-password"
    assert (
        client.post("/api/auth/login", json={"email": email, "password": PASSWORD}).status_code
        == 200
    )


def test_spaces_in_and_around_a_password_are_kept(client):
    email, password = _email(), "  a passphrase with spaces  "
    assert _signup(client, email=email, password=password).status_code == 201
    login = client.post("/api/auth/login", json={"email": email, "password": password.strip()})
    assert login.status_code == 401
    assert (
        client.post("/api/auth/login", json={"email": email, "password": password}).status_code
        == 200
    )


def test_a_too_long_new_password_is_refused_with_the_maximum(client):
    from crm_app.services.users import MAX_PASSWORD_LENGTH

    token = _signup(client).cookies[COOKIE_NAME]
    response = _change_password(client, token, PASSWORD, "x" * 1100)
    assert response.status_code == 422
    assert f"at most {MAX_PASSWORD_LENGTH}" in response.json()["detail"]
    form = client.post(
        "/api/auth/password",
        data={"current_password": PASSWORD, "new_password": "x" * 1100},
        headers={"cookie": f"{COOKIE_NAME}={token}", "origin": SITE_ORIGIN},
    )
    assert form.headers["location"] == "/account?error=long-password"


@pytest.mark.parametrize("path", ["/api/auth/login", "/api/auth/signup"])
def test_a_form_while_the_database_is_down_goes_back_saying_so(monkeypatch, path):
    from fastapi.testclient import TestClient

    import crm_app.core.db as db
    from crm_app.api.app import build_api

    unreachable = db.create_db_engine("postgresql+psycopg://nobody:hunter2@127.0.0.1:1/crm")
    monkeypatch.setattr(db, "get_engine", lambda: unreachable)
    email = _email()
    with TestClient(build_api(), base_url="http://localhost:3000", follow_redirects=False) as c:
        response = c.post(path, data={"email": email, "password": PASSWORD, "next": "/calls"})
    assert response.status_code == 303
    location = urlsplit(response.headers["location"])
    assert location.path == path.replace("/api/auth", "")
    query = parse_qs(location.query)
    assert (query["error"], query["email"]) == (["unavailable"], [email])
    assert PASSWORD not in response.headers["location"]


@pytest.mark.parametrize("form", [False, True])
def test_a_trusted_browser_on_a_locked_account_hears_that_the_database_is_down(
    client, monkeypatch, form
):
    import crm_app.core.db as db

    email = _email()
    device = _signup(client, email=email).cookies[DEVICE_COOKIE]
    _lock_out(client, email)
    working = db.get_engine
    unreachable = db.create_db_engine("postgresql+psycopg://nobody:hunter2@127.0.0.1:1/crm")
    monkeypatch.setattr(db, "get_engine", lambda: unreachable)
    client.cookies.clear()
    sent = {"email": email, "password": PASSWORD}
    response = client.post(
        "/api/auth/login",
        **({"data": sent} if form else {"json": sent}),
        headers={"cookie": f"{DEVICE_COOKIE}={device}"},
        follow_redirects=False,
    )
    if form:  # back to the form, saying the service is down rather than to wait
        query = parse_qs(urlsplit(response.headers["location"]).query)
        assert (response.status_code, query["error"]) == (303, ["unavailable"])
    else:
        assert (response.status_code, response.headers["retry-after"]) == (503, "5")
    monkeypatch.setattr(db, "get_engine", working)
    # Nothing was counted: the browser still has all of its own 5 tries once the database is
    # back (had the refused attempt counted, the fifth would be refused with 429).
    tries = [_login(client, email, "wrong password!", device=device).status_code for _ in range(5)]
    assert tries == [401] * 5


@pytest.mark.parametrize("form", [False, True])
@pytest.mark.parametrize("change", ["password", "email"])
def test_an_account_change_the_database_could_not_check_counts_nothing(
    client, monkeypatch, change, form
):
    # The database went away after the session was read: the attempt, counted before the
    # password check, stayed counted; five during an outage locked the owner out.
    import crm_app.api.auth as auth_api
    import crm_app.core.db as db

    token = _signup(client).cookies[COOKIE_NAME]
    working = db.get_engine
    unreachable = db.create_db_engine("postgresql+psycopg://nobody:hunter2@127.0.0.1:1/crm")
    checked = getattr(auth_api, f"_change_{change}")

    def while_the_database_is_down(*args):
        monkeypatch.setattr(db, "get_engine", lambda: unreachable)
        try:
            return checked(*args)
        finally:
            monkeypatch.setattr(db, "get_engine", working)

    monkeypatch.setattr(auth_api, f"_change_{change}", while_the_database_is_down)
    fields = {"current_password": PASSWORD}
    fields |= {"new_password": "a brand new password"} if change == "password" else {}
    fields |= {"new_email": _email()} if change == "email" else {}
    for _ in range(6):  # one past the per-account limit
        response = client.post(
            f"/api/auth/{change}",
            **({"data": fields} if form else {"json": fields}),
            headers={"cookie": f"{COOKIE_NAME}={token}", "origin": SITE_ORIGIN},
            follow_redirects=False,
        )
        if form:
            query = parse_qs(urlsplit(response.headers["location"]).query)
            assert (response.status_code, query["error"]) == (303, ["unavailable"])
        else:
            assert (response.status_code, response.headers["retry-after"]) == (503, "5")
    monkeypatch.setattr(auth_api, f"_change_{change}", checked)
    done = client.post(
        f"/api/auth/{change}", json=fields, headers={"cookie": f"{COOKIE_NAME}={token}"}
    )
    assert done.status_code == 200


def _database_down(monkeypatch) -> None:
    import crm_app.core.db as db

    unreachable = db.create_db_engine("postgresql+psycopg://nobody:hunter2@127.0.0.1:1/crm")
    monkeypatch.setattr(db, "get_engine", lambda: unreachable)


@pytest.mark.parametrize("change", ["password", "email"])
def test_an_account_form_sent_while_the_database_is_down_goes_back_saying_so(
    client, monkeypatch, change
):
    # Down before the session could be read: a bare JSON 503 page, with no way back.
    token = _signup(client).cookies[COOKIE_NAME]
    _database_down(monkeypatch)
    fields = {"current_password": PASSWORD, "new_password": "a brand new password"}
    fields |= {"new_email": "typed@example.com"} if change == "email" else {}
    response = client.post(
        f"/api/auth/{change}",
        data=fields,
        headers={"cookie": f"{COOKIE_NAME}={token}", "origin": SITE_ORIGIN},
        follow_redirects=False,
    )
    assert response.status_code == 303
    location = urlsplit(response.headers["location"])
    assert location.path == "/account"
    query = parse_qs(location.query)
    assert query["error"] == ["unavailable"]
    if change == "email":  # back to its form, with what was typed
        assert (query["form"], query["new_email"]) == (["email"], ["typed@example.com"])
    assert PASSWORD not in response.headers["location"]


@pytest.mark.parametrize("json_client", [False, True])
def test_a_logout_while_the_database_is_down_still_drops_the_cookie_and_says_so(
    client, monkeypatch, json_client
):
    # The cookie outlived the click: on a shared computer, the next person found the
    # account open once the database was back.
    from crm_app.services.sessions import ENDED_HERE_ONLY, LOGGED_OUT_HERE_ONLY

    token = _signup(client).cookies[COOKIE_NAME]
    _database_down(monkeypatch)
    headers = {"cookie": f"{COOKIE_NAME}={token}", "origin": SITE_ORIGIN}
    if json_client:
        headers["accept"] = "application/json"
    response = client.post("/api/auth/logout", headers=headers, follow_redirects=False)
    set_cookie = response.headers["set-cookie"]
    assert f'{COOKIE_NAME}=""' in set_cookie or "Max-Age=0" in set_cookie
    if json_client:
        assert (response.status_code, response.json()) == (503, {"detail": LOGGED_OUT_HERE_ONLY})
    else:
        assert response.status_code == 303
        assert response.headers["location"] == f"/login?ended={ENDED_HERE_ONLY}"


def _change_password_directly(email: str, new_password: str) -> None:
    """What POST /api/auth/password does, from another request of the owner's."""
    from crm_app.core.db import global_session, tenant_session
    from crm_app.services import sessions, users

    with global_session() as session:
        user_id = users.get_user_by_email(session=session, email=email).id
    with tenant_session(user_id) as session:
        assert users.change_password(
            session=session, user_id=user_id, current_password=PASSWORD, new_password=new_password
        )
        sessions.revoke_all_sessions(session=session, user_id=user_id)


def test_a_login_whose_password_changes_after_its_check_gets_no_session(client, monkeypatch):
    from crm_app.services import users

    email = _email()
    _signup(client, email=email)
    checked = users.authenticate

    def owner_changes_the_password_meanwhile(**arguments):
        found = checked(**arguments)
        _change_password_directly(email, "a brand new password")
        return found

    monkeypatch.setattr(users, "authenticate", owner_changes_the_password_meanwhile)
    login = client.post("/api/auth/login", json={"email": email, "password": PASSWORD})
    assert (login.status_code, COOKIE_NAME in login.cookies) == (401, False)


# On SQLite a change that reads before writing cannot wait for the login's write: it fails
# ("database is locked") and the password stays; there is no race to lose.
@pytest.mark.postgres
@pytest.mark.parametrize("engine", ["postgres"], indirect=True)
def test_a_password_change_during_a_login_revokes_the_session_it_starts(client, monkeypatch):
    import threading
    import time

    from crm_app.services import sessions
    from crm_app.services.sessions import user_id_from_token

    email = _email()
    _signup(client, email=email)
    started = sessions.start_session
    changes: list[threading.Thread] = []

    def owner_changes_the_password_before_this_commits(**arguments):
        token = started(**arguments)
        # Its revocation must wait for this unit of work, then find its session.
        changes.append(
            threading.Thread(target=_change_password_directly, args=(email, "brand new password"))
        )
        changes[0].start()
        time.sleep(0.5)
        return token

    monkeypatch.setattr(sessions, "start_session", owner_changes_the_password_before_this_commits)
    login = client.post("/api/auth/login", json={"email": email, "password": PASSWORD})
    changes[0].join(10)
    assert login.status_code == 200
    assert user_id_from_token(login.cookies[COOKIE_NAME]) is None
