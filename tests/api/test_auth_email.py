"""POST /api/auth/email: moving an account to another login email, as JSON and as a form."""

from __future__ import annotations

import uuid
from urllib.parse import parse_qs, urlsplit

import pytest

from crm_app.services.sessions import COOKIE_NAME, user_id_from_token

PASSWORD = "a perfectly fine password"


def _email() -> str:
    return f"user-{uuid.uuid4().hex[:10]}@example.com"


def _signup(client, email: str) -> str:
    response = client.post("/api/auth/signup", json={"email": email, "password": PASSWORD})
    assert response.status_code == 201
    return response.cookies[COOKIE_NAME]


def _change(client, token: str, new_email: str, password: str = PASSWORD, *, form=False):
    fields = {"new_email": new_email, "current_password": password}
    return client.post(
        "/api/auth/email",
        **({"data": fields} if form else {"json": fields}),
        headers={"cookie": f"{COOKIE_NAME}={token}"},
    )


def _logs_in(client, email: str) -> bool:
    response = client.post("/api/auth/login", json={"email": email, "password": PASSWORD})
    return response.status_code == 200


def test_the_new_email_logs_in_the_old_one_no_longer_and_the_session_stays(client):
    old, new = _email(), _email()
    token = _signup(client, old)
    response = _change(client, token, f"  {new.upper()} ")
    assert response.status_code == 200
    assert response.json() == {"email": new}
    # The session is the same one, and the device token (bound to the account, not to its
    # email) still holds: no cookie changes.
    assert "set-cookie" not in response.headers
    assert user_id_from_token(token) is not None
    assert _logs_in(client, new)
    assert not _logs_in(client, old)


def test_a_refused_change_says_why_and_changes_nothing(client):
    old, taken = _email(), _email()
    token = _signup(client, old)
    _signup(client, taken)
    assert _change(client, token, _email(), "not the password").status_code == 401
    assert _change(client, token, taken).status_code == 409
    assert _change(client, token, "not-an-email").status_code == 422
    assert _change(client, "forged.token.value", _email()).status_code == 401
    assert _logs_in(client, old)
    assert _logs_in(client, taken)


def test_asking_about_taken_addresses_meets_the_per_address_limit(client):
    # Each 409 says an account has that email, as a sign-up meeting one does; the right
    # password clearing the account's own count, a free account could ask about thousands.
    token = _signup(client, _email())
    taken = _email()
    _signup(client, taken)
    for _ in range(25):  # within the sign-up allowance, set high for tests (conftest)
        assert _change(client, token, _email()).status_code == 200
    assert [_change(client, token, taken).status_code for _ in range(21)] == [409] * 20 + [429]
    # The same count as sign-ups meeting an account: those are refused too, for a while.
    signup = client.post("/api/auth/signup", json={"email": taken, "password": PASSWORD})
    assert signup.status_code == 429


def test_moves_to_free_addresses_count_against_the_hourly_sign_up_allowance(client, monkeypatch):
    # A move that goes through says no account has that email: with only the 409s counted,
    # a free account asked about address after address, at a password hash each.
    from crm_app.services import login_throttle

    throttle = login_throttle.LoginThrottle(
        login_throttle.MemoryCounter(), 5, 900, 20, signups_per_address_per_hour=3
    )
    token = _signup(client, _email())
    monkeypatch.setattr(login_throttle, "_throttle", throttle)
    for _ in range(5):  # refused before the password was checked: nothing said, not counted
        assert _change(client, token, "not-an-email").status_code == 422
    assert [_change(client, token, _email()).status_code for _ in range(4)] == [200] * 3 + [429]
    # One allowance with the sign-ups made from that address.
    signup = client.post("/api/auth/signup", json={"email": _email(), "password": PASSWORD})
    assert signup.status_code == 429


def test_wrong_passwords_meet_the_login_throttle_on_the_same_count(client):
    old = _email()
    token = _signup(client, old)
    for _ in range(5):  # a stolen cookie guessing the password
        assert _change(client, token, _email(), "a guess").status_code == 401
    throttled = _change(client, token, _email())
    assert throttled.status_code == 429
    assert int(throttled.headers["retry-after"]) > 0
    # ...and the same count stops log-in: five guesses in all, not five per door.
    login = client.post("/api/auth/login", json={"email": old, "password": PASSWORD})
    assert login.status_code == 429


@pytest.mark.parametrize(
    ("new_email", "password", "code"),
    [
        ("not-an-email", PASSWORD, "invalid-email"),
        (None, PASSWORD, "email-taken"),
        ("free@example.com", "not the password", "wrong-password"),
    ],
)
def test_a_refused_form_goes_back_to_the_email_form_with_what_was_typed(
    client, new_email, password, code
):
    token = _signup(client, _email())
    taken = _email()
    _signup(client, taken)
    typed = new_email or taken
    response = _change(client, token, typed, password, form=True)
    assert response.status_code == 303
    location = urlsplit(response.headers["location"])
    assert location.path == "/account"
    query = parse_qs(location.query)
    assert query == {"error": [code], "form": ["email"], "new_email": [typed]}
    assert PASSWORD not in response.headers["location"]


def test_a_form_change_goes_back_to_the_account_page_saying_so(client):
    token = _signup(client, _email())
    response = _change(client, token, _email(), form=True)
    assert response.status_code == 303
    assert response.headers["location"] == "/account?email_changed=1"


def test_a_form_without_a_session_logs_in_first(client):
    response = _change(client, "forged.token.value", _email(), form=True)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Faccount"
