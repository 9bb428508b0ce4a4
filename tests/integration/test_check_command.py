"""`python -m crm_app check`: all ok on a sound setup; otherwise it names what is wrong."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from crm_app.core.config import PROJECT_ROOT, Settings, load_settings
from crm_app.services.checks import LETTER_CASE, run_checks
from crm_app.services.schema import migrate
from tests.pg import create_postgres_database, drop_postgres_database

UNREACHABLE_URL = "postgresql+psycopg://nobody:pw-never-shown@127.0.0.1:1/x"


def _settings(**overrides: object) -> Settings:
    return load_settings(_env_file=None, **overrides)


def _by_name(results: list[tuple[str, bool, str]]) -> dict[str, tuple[bool, str]]:
    return {name: (ok, detail) for name, ok, detail in results}


def test_checks_all_pass_on_a_migrated_sqlite_database(sqlite_url: str) -> None:
    results = run_checks(_settings(database_url=sqlite_url))
    assert [name for name, _, _ in results] == ["settings", "database", "migrations"]
    assert all(ok for _, ok, _ in results), results


def test_migrations_check_fails_on_an_empty_sqlite_database(tmp_path: Path) -> None:
    results = _by_name(run_checks(_settings(database_url=f"sqlite:///{tmp_path / 'empty.db'}")))
    assert results["database"][0]
    ok, detail = results["migrations"]
    assert not ok
    assert "at nothing" in detail


@pytest.mark.postgres
def test_checks_all_pass_on_postgres_as_the_app_role(pg_database) -> None:
    results = run_checks(pg_database.settings())
    assert [name for name, _, _ in results] == [
        "settings",
        "database",
        "migrations",
        "app role",
        "row-level security",
        "collation und-x-icu (sorting by name)",
        LETTER_CASE,
    ]
    assert all(ok for _, ok, _ in results), results


@pytest.mark.postgres
def test_a_database_that_lower_cases_only_a_to_z_fails_the_check_saying_what_to_do(
    pg_admin,
) -> None:
    database = create_postgres_database(
        pg_admin, "crm_c_locale", "TEMPLATE template0 LC_COLLATE 'C' LC_CTYPE 'C'"
    )
    try:
        ok, detail = _by_name(run_checks(database.settings()))[LETTER_CASE]
    finally:
        drop_postgres_database(pg_admin, database)
    assert not ok
    assert "LC_CTYPE 'C.UTF-8'" in detail


@pytest.mark.postgres
def test_app_role_check_fails_when_the_app_runs_as_the_owner(pg_database) -> None:
    results = _by_name(run_checks(_settings(database_url=pg_database.owner_url)))
    ok, detail = results["app role"]
    assert not ok
    assert "owns tables" in detail
    # The other walls still stand: only the role is wrong.
    assert results["database"][0] and results["migrations"][0] and results["row-level security"][0]


def test_unreachable_database_fails_the_database_check_without_raising_or_showing_the_url(
    capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    results = run_checks(_settings(database_url=UNREACHABLE_URL))
    assert [name for name, _, _ in results] == ["settings", "database"]
    _, ok, detail = results[-1]
    assert not ok
    assert "not reachable" in detail
    shown = repr(results) + "".join(capsys.readouterr()) + caplog.text
    for secret in ("nobody", "pw-never-shown", "127.0.0.1", UNREACHABLE_URL):
        assert secret not in shown


def _cli_env(**variables: str) -> dict[str, str]:
    # Explicit variables: they win over the project's .env, which Settings always reads.
    env = {key: value for key, value in os.environ.items() if key != "MIGRATION_DATABASE_URL"}
    env.update(PYTHONPATH=str(PROJECT_ROOT), ENVIRONMENT="test", **variables)
    return env


def test_check_cli_exits_0_on_a_migrated_sqlite_file(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'crm.db'}"
    migrate(_settings(database_url=url))
    result = subprocess.run(
        [sys.executable, "-m", "crm_app", "check"],
        cwd=tmp_path,
        env=_cli_env(DATABASE_URL=url),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.strip().splitlines()
    assert [line.split(":")[0] for line in lines] == [
        "ok   settings",
        "ok   database",
        "ok   migrations",
    ]


def test_check_cli_exits_1_and_hides_the_url_when_the_database_is_unreachable(
    tmp_path: Path,
) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "crm_app", "check"],
        cwd=tmp_path,
        env=_cli_env(DATABASE_URL=UNREACHABLE_URL),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "FAIL database" in result.stdout
    assert "pw-never-shown" not in result.stdout + result.stderr
    assert "nobody" not in result.stdout + result.stderr


def test_the_embedded_database_is_readable_by_the_apps_user_only(tmp_path: Path) -> None:
    # Every tenant's calls and the password hashes: a probe read them as another user.
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o755)  # whatever the umask
    for directory in (shared, shared / "data"):
        database = directory / "crm.db"
        migrate(_settings(database_url=f"sqlite:///{database}"))
        assert stat.S_IMODE(database.stat().st_mode) == 0o600
    # A directory it made is its own; one it was given keeps its mode.
    assert stat.S_IMODE((shared / "data").stat().st_mode) == 0o700
    assert stat.S_IMODE(shared.stat().st_mode) == 0o755
