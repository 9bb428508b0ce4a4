"""`python -m crm_app create-user EMAIL` makes an account that can log in."""

from __future__ import annotations

import os
import subprocess
import sys

from crm_app.core.config import PROJECT_ROOT
from crm_app.core.db import create_db_engine, global_session
from crm_app.services.users import authenticate


def _run(database_url: str, *args: str, stdin: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": database_url}
    return subprocess.run(
        [sys.executable, "-m", "crm_app", "create-user", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        cwd=PROJECT_ROOT,
        timeout=60,
    )


def test_create_user_reads_the_password_from_stdin(sqlite_url):
    result = _run(
        sqlite_url, "Grace@Example.com", "--name", "Grace", stdin="a long enough password\n"
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
    result = _run(sqlite_url, "short@example.com", stdin="short\n")
    assert result.returncode == 1
    assert result.stderr.strip().count("\n") == 0
    assert "8 characters" in result.stderr
