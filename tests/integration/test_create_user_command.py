"""`python -m crm_app create-user EMAIL` makes an account that can log in."""

from __future__ import annotations

from crm_app.core.db import create_db_engine, global_session
from crm_app.services.users import authenticate
from tests.commands import run_command


def test_create_user_reads_the_password_from_stdin(sqlite_url):
    result = run_command(
        sqlite_url,
        "create-user",
        "Grace@Example.com",
        "--name",
        "Grace",
        stdin="a long enough password\n",
    )
    assert result.returncode == 0, result.stderr
    assert "grace@example.com" in result.stdout
    assert "a long enough password" not in result.stdout + result.stderr
    engine = create_db_engine(sqlite_url)
    with global_session(engine) as session:
        user = authenticate(
            session=session, email="grace@example.com", password="a long enough password"
        )
        assert user is not None and user.name == "Grace"
    engine.dispose()


def test_create_user_refuses_a_short_password_with_one_line(sqlite_url):
    result = run_command(sqlite_url, "create-user", "short@example.com", stdin="short\n")
    assert result.returncode == 1
    assert result.stderr.strip().count("\n") == 0
    assert "8 characters" in result.stderr
