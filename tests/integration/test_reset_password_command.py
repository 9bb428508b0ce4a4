"""`python -m crm_app reset-password EMAIL`: the operator's way back in for a forgotten password.

Run as the operator runs it, in a process of its own, against the database the API in
this process uses: the new password logs in, every old session is refused, and a
lock-out earned against the old password no longer keeps the owner out.
"""

from __future__ import annotations

import sys
import uuid

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

import crm_app.core.db as db
import crm_app.services.login_throttle as login_throttle
from crm_app.__main__ import main
from crm_app.api.app import build_api
from crm_app.services import sessions
from tests.commands import run_command

OLD_PASSWORD = "the password I forgot"
NEW_PASSWORD = "a brand new password"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest) -> tuple[str, sa.Engine]:
    """(URL, engine) of the app's database: SQLite, and Postgres as the app role."""
    if request.param == "sqlite":
        return request.getfixturevalue("sqlite_url"), request.getfixturevalue("sqlite_engine")
    pg = request.getfixturevalue("pg_database")
    return pg.app_url, request.getfixturevalue("pg_app_engine")


@pytest.fixture
def client(database, monkeypatch: pytest.MonkeyPatch):
    """The API on that database, with a fresh login throttle (in this process's memory)."""
    monkeypatch.setattr(db, "get_engine", lambda: database[1])
    monkeypatch.setattr(login_throttle, "_throttle", None)
    with TestClient(build_api(), base_url="http://localhost:3000") as test_client:
        yield test_client


def _signup(client) -> tuple[str, str]:
    """(email, session token) of a new account."""
    email = f"owner-{uuid.uuid4().hex[:10]}@example.com"
    response = client.post("/api/auth/signup", json={"email": email, "password": OLD_PASSWORD})
    assert response.status_code == 201
    return email, response.cookies[sessions.COOKIE_NAME]


def _login(client, email: str, password: str) -> int:
    client.cookies.clear()
    return client.post("/api/auth/login", json={"email": email, "password": password}).status_code


def test_reset_password_lets_the_owner_back_in_and_ends_every_old_session(client, database):
    email, token = _signup(client)
    assert _login(client, email, OLD_PASSWORD) == 200
    other_token = client.cookies[sessions.COOKIE_NAME]
    # The owner tries what they remember, until locked out.
    tries = [_login(client, email, f"my guess {n}") for n in range(6)]
    assert tries == [401] * 5 + [429]

    result = run_command(database[0], "reset-password", email.upper(), stdin=NEW_PASSWORD + "\n")

    assert result.returncode == 0, result.stderr
    assert email in result.stdout and "2 sessions ended" in result.stdout
    assert NEW_PASSWORD not in result.stdout + result.stderr
    assert sessions.user_id_from_token(token) is None
    assert sessions.user_id_from_token(other_token) is None
    # The lock-out was earned against the old password: the new one logs in at once.
    assert _login(client, email, NEW_PASSWORD) == 200
    assert _login(client, email, OLD_PASSWORD) == 401


def test_reset_password_of_an_unknown_email_fails_and_asks_nothing(client, database):
    result = run_command(
        database[0], "reset-password", "nobody-here@example.com", stdin=NEW_PASSWORD + "\n"
    )
    assert result.returncode == 1
    assert result.stderr.strip().count("\n") == 0
    assert "no account" in result.stderr and "nobody-here@example.com" in result.stderr
    assert result.stdout == ""


@pytest.mark.parametrize("weak", ["short", " " * 12, ""])
def test_reset_password_refuses_a_weak_password_and_changes_nothing(client, database, weak):
    email, token = _signup(client)
    result = run_command(database[0], "reset-password", email, stdin=weak + "\n")
    assert result.returncode == 1
    assert result.stderr.strip().count("\n") == 0
    assert "characters" in result.stderr or "only spaces" in result.stderr
    assert sessions.user_id_from_token(token) is not None
    assert _login(client, email, OLD_PASSWORD) == 200


def test_reset_password_at_a_terminal_asks_twice_without_echo(client, database, monkeypatch):
    import getpass

    email, token = _signup(client)
    monkeypatch.setattr(sys.stdin, "isatty", lambda: True)
    answers = iter([NEW_PASSWORD, "a brand new passwort"])
    monkeypatch.setattr(getpass, "getpass", lambda prompt: next(answers))
    assert main(["reset-password", email]) == 1  # the two differ: nothing changes
    assert sessions.user_id_from_token(token) is not None

    answers = iter([NEW_PASSWORD, NEW_PASSWORD])
    assert main(["reset-password", email]) == 0
    assert sessions.user_id_from_token(token) is None
    assert _login(client, email, NEW_PASSWORD) == 200
