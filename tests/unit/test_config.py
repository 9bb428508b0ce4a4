"""Settings: bad secrets stop startup with one line saying how to fix them; good ones load.

Every Settings here is built with `_env_file=None` so the project's own `.env`
never leaks in; values under test are passed as init kwargs, which win over the
environment the conftest sets.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys

import pytest

from crm_app.core.config import (
    PROJECT_ROOT,
    Settings,
    SettingsError,
    load_settings,
    loopback_twin,
    public_base_url_for_port,
    redact_url,
)

GOOD_KEY = secrets.token_hex(32)
GOOD_JWT = secrets.token_urlsafe(48)


def _load(**overrides: object) -> Settings:
    values: dict[str, object] = {
        "encryption_key": GOOD_KEY,
        "jwt_secret": GOOD_JWT,
        "environment": "test",
    }
    values.update(overrides)
    return load_settings(_env_file=None, **values)


def _refusal(**overrides: object) -> str:
    with pytest.raises(SettingsError) as raised:
        _load(**overrides)
    message = str(raised.value)
    assert "\n" not in message, "the error should be one line"
    return message


def test_good_settings_load() -> None:
    settings = _load()
    assert settings.encryption_key == GOOD_KEY
    assert settings.jwt_secret == GOOD_JWT


def test_uppercase_encryption_key_is_accepted_and_normalised() -> None:
    assert _load(encryption_key=GOOD_KEY.upper()).encryption_key == GOOD_KEY


def test_secrets_are_not_in_the_settings_repr() -> None:
    settings = _load()
    assert GOOD_KEY not in repr(settings)
    assert GOOD_JWT not in repr(settings)


def test_missing_encryption_key_names_it_and_how_to_make_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("ENCRYPTION_KEY")
    with pytest.raises(SettingsError) as raised:
        load_settings(_env_file=None, jwt_secret=GOOD_JWT)
    message = str(raised.value)
    assert "\n" not in message
    assert "ENCRYPTION_KEY" in message
    assert "missing" in message
    assert "secrets.token_hex(32)" in message


@pytest.mark.parametrize(
    "bad_key",
    [
        pytest.param(GOOD_KEY[:63], id="63-chars"),
        pytest.param("g" * 64, id="non-hex"),
        pytest.param(GOOD_KEY[:62] + "zz", id="non-hex-tail"),
        pytest.param("changethis", id="placeholder"),
        pytest.param(GOOD_KEY + "00", id="66-chars"),
    ],
)
def test_malformed_encryption_key_names_it_and_how_to_make_one(bad_key: str) -> None:
    message = _refusal(encryption_key=bad_key)
    assert "ENCRYPTION_KEY" in message
    assert "64 hex characters" in message
    assert "secrets.token_hex(32)" in message
    assert bad_key not in message


def test_missing_jwt_secret_names_it_and_how_to_make_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("JWT_SECRET")
    with pytest.raises(SettingsError) as raised:
        load_settings(_env_file=None, encryption_key=GOOD_KEY)
    message = str(raised.value)
    assert "\n" not in message
    assert "JWT_SECRET" in message
    assert "missing" in message
    assert "secrets.token_urlsafe" in message


@pytest.mark.parametrize("bad_secret", ["short-secret-31-characters-long", "changethis", "   "])
def test_short_or_placeholder_jwt_secret_names_it_and_how_to_make_one(bad_secret: str) -> None:
    message = _refusal(jwt_secret=bad_secret)
    assert "JWT_SECRET" in message
    assert "secrets.token_urlsafe" in message
    if bad_secret.strip():
        assert bad_secret not in message


def test_several_problems_are_reported_on_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ENCRYPTION_KEY")
    monkeypatch.delenv("JWT_SECRET")
    with pytest.raises(SettingsError) as raised:
        load_settings(_env_file=None)
    message = str(raised.value)
    assert "\n" not in message
    assert "ENCRYPTION_KEY" in message and "JWT_SECRET" in message


def test_malformed_previous_encryption_key_is_refused_without_echoing_it() -> None:
    message = _refusal(encryption_keys_previous=f"{GOOD_KEY},not-a-key-at-all")
    assert "ENCRYPTION_KEYS_PREVIOUS entry 2" in message
    assert "not-a-key-at-all" not in message
    assert GOOD_KEY not in message


def test_bare_postgresql_url_is_normalised_to_psycopg3() -> None:
    settings = _load(database_url="postgresql://app:pw@db.example:5432/crm")
    assert settings.database_url == "postgresql+psycopg://app:pw@db.example:5432/crm"
    assert settings.is_postgres


def test_migration_url_defaults_to_database_url() -> None:
    settings = _load(database_url="postgresql://app@db.example/crm")
    assert settings.migration_url == settings.database_url
    owner = _load(
        database_url="postgresql://app@db/crm", migration_database_url="postgresql://owner@db/crm"
    )
    assert owner.migration_url == "postgresql+psycopg://owner@db/crm"


def test_sqlite_url_is_kept_as_it_is() -> None:
    settings = _load(database_url="sqlite:///tmp/crm.db")
    assert settings.database_url == "sqlite:///tmp/crm.db"
    assert not settings.is_postgres


def test_unparseable_database_url_is_refused_without_echoing_it() -> None:
    message = _refusal(database_url="not a url at all, pw=hunter2")
    assert "DATABASE_URL" in message
    assert "hunter2" not in message


def test_wildcard_origin_is_refused_in_production() -> None:
    message = _refusal(environment="production", allowed_origins="*")
    assert message.startswith("ALLOWED_ORIGINS")
    assert "production" in message


def test_wildcard_origin_is_allowed_outside_production() -> None:
    assert _load(environment="local", allowed_origins="*").allowed_origin_list == ["*"]


def test_allowed_origins_default_to_the_origin_of_the_public_base_url() -> None:
    settings = _load(public_base_url="https://crm.example.com:8443/app/?x=1")
    assert settings.allowed_origin_list == ["https://crm.example.com:8443"]


def test_allowed_origins_are_split_and_trimmed() -> None:
    settings = _load(allowed_origins=" https://a.example/ , https://b.example ,")
    assert settings.allowed_origin_list == ["https://a.example", "https://b.example"]


@pytest.mark.parametrize(
    "configured",
    [
        {"public_base_url": "https://CRM.Example.com:443/"},
        {"allowed_origins": "HTTPS://crm.example.COM:443, http://other.example:80"},
    ],
)
def test_an_origin_is_compared_as_a_browser_writes_it(configured) -> None:
    # Browsers send Origin in lower case without the scheme's default port: written with
    # ":443", the site's own origin refused every browser.
    settings = _load(environment="production", **configured)
    assert settings.accepts_origin("https://crm.example.com")
    assert not settings.accepts_origin("http://crm.example.com")
    assert not settings.accepts_origin("https://crm.example.com:8443")


def test_an_opaque_origin_is_refused_even_beside_an_origin_written_without_its_scheme() -> None:
    # Both read as "://" once normalised: a sandboxed page (Origin: null) could post.
    settings = _load(allowed_origins="https://crm.example.com,crm-staging.example.com")
    assert not settings.accepts_origin("null")
    assert settings.accepts_origin("https://crm.example.com")


def test_an_ipv6_origin_keeps_its_brackets() -> None:
    settings = _load(environment="production", public_base_url="http://[::1]:3000")
    assert settings.allowed_origin_list == ["http://[::1]:3000"]
    assert settings.accepts_origin("http://[::1]:3000")


@pytest.mark.parametrize("environment", ["local", "test"])
def test_a_localhost_origin_also_accepts_its_loopback_twin_outside_production(environment) -> None:
    settings = _load(environment=environment, public_base_url="http://localhost:3300")
    assert settings.accepted_origin_list == ["http://localhost:3300", "http://127.0.0.1:3300"]
    assert settings.accepts_origin("http://localhost:3300")
    assert settings.accepts_origin("http://127.0.0.1:3300")
    # Same scheme and port only.
    assert not settings.accepts_origin("http://127.0.0.1:3000")
    assert not settings.accepts_origin("https://127.0.0.1:3300")
    assert not settings.accepts_origin("http://evil.example")


def test_a_127_0_0_1_origin_also_accepts_localhost_outside_production() -> None:
    settings = _load(environment="local", allowed_origins="http://127.0.0.1:3000")
    assert settings.accepts_origin("http://localhost:3000")


def test_production_accepts_only_the_configured_origins_not_their_loopback_twins() -> None:
    settings = _load(environment="production", public_base_url="http://localhost:3000")
    assert settings.accepted_origin_list == ["http://localhost:3000"]
    assert settings.accepts_origin("http://localhost:3000")
    assert not settings.accepts_origin("http://127.0.0.1:3000")


def test_loopback_twin_is_only_for_localhost_and_127_0_0_1() -> None:
    assert loopback_twin("http://localhost") == "http://127.0.0.1"
    assert loopback_twin("https://127.0.0.1:8443") == "https://localhost:8443"
    assert loopback_twin("https://crm.example.com") is None
    assert loopback_twin("http://192.168.1.5:3000") is None
    assert loopback_twin("http://localhost:notaport") is None


def test_a_server_on_a_port_gets_a_public_base_url_on_that_port_unless_one_is_set(
    monkeypatch: pytest.MonkeyPatch, tmp_path
) -> None:
    monkeypatch.delenv("PUBLIC_BASE_URL", raising=False)
    assert public_base_url_for_port(3300, _load()) == "http://localhost:3300"
    monkeypatch.setenv("PUBLIC_BASE_URL", "")  # an empty line in .env is no address
    assert public_base_url_for_port(3300, _load()) == "http://localhost:3300"
    # Set in the environment, or in .env: kept as it is.
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://crm.example.com")
    assert public_base_url_for_port(3300, _load()) == "https://crm.example.com"
    monkeypatch.delenv("PUBLIC_BASE_URL")
    env_file = tmp_path / ".env"
    env_file.write_text("PUBLIC_BASE_URL=http://localhost:3000\n", encoding="utf-8")
    settings = load_settings(
        _env_file=env_file, encryption_key=GOOD_KEY, jwt_secret=GOOD_JWT, environment="test"
    )
    assert public_base_url_for_port(3300, settings) == "http://localhost:3000"


def test_make_run_passes_a_public_base_url_for_its_port() -> None:
    result = subprocess.run(
        ["make", "-n", "run", "PORT=3300"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "-m crm_app.core.config public-base-url 3300" in result.stdout
    assert 'PUBLIC_BASE_URL="$base_url" exec' in result.stdout


def test_public_base_url_command_prints_the_url_for_the_port(tmp_path) -> None:
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT), "ENVIRONMENT": "test"}
    env.update(ENCRYPTION_KEY=GOOD_KEY, JWT_SECRET=GOOD_JWT, PUBLIC_BASE_URL="http://h.example")
    command = [sys.executable, "-m", "crm_app.core.config", "public-base-url", "3300"]
    result = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "http://h.example\n"
    env["ENCRYPTION_KEY"] = "not-a-key"
    result = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True)
    assert result.returncode != 0 and result.stdout == ""
    assert "ENCRYPTION_KEY" in result.stderr and "Traceback" not in result.stderr


def test_redact_url_drops_user_and_password() -> None:
    redacted = redact_url("postgresql+psycopg://crm_app:s3cr3t-pw@db.internal:5432/crm")
    assert "crm_app" not in redacted
    assert "s3cr3t-pw" not in redacted
    assert "db.internal:5432/crm" in redacted


def test_redact_url_keeps_the_query_and_works_for_redis() -> None:
    assert (
        redact_url("postgresql://u:p@db/crm?sslmode=require")
        == "postgresql://db/crm?sslmode=require"
    )
    assert redact_url("redis://:r3d1s-pw@cache:6379/0") == "redis://cache:6379/0"


def test_redact_url_drops_credentials_given_in_the_query() -> None:
    # libpq's own way: postgresql://db/crm?user=crm&password=...
    redacted = redact_url(
        "postgresql+psycopg://db/crm?user=crm&password=hunter2&sslpassword=k3y&sslmode=require"
    )
    assert redacted == "postgresql+psycopg://db/crm?sslmode=require"


def test_a_postgres_url_as_hosts_hand_it_out_uses_the_shipped_driver() -> None:
    settings = _load(database_url="postgres://crm@db.internal:5432/crm")
    assert settings.database_url == "postgresql+psycopg://crm@db.internal:5432/crm"
    assert settings.is_postgres


@pytest.mark.parametrize(
    ("variable", "url"),
    [
        ("database_url", "postgresql+psycopg2://crm:hunter2@db/crm"),
        ("migration_database_url", "mysql://crm:hunter2@db/crm"),
    ],
)
def test_a_driver_the_app_does_not_ship_is_refused_naming_the_variable(
    variable: str, url: str
) -> None:
    message = _refusal(**{variable: url})
    assert f"{variable.upper()} names the driver" in message
    assert "hunter2" not in message


def test_redact_url_of_garbage_reveals_nothing() -> None:
    assert redact_url("::not a url:: password=hunter2") == "<unparseable url>"


def test_check_command_with_malformed_encryption_key_prints_one_line_and_exits_2(tmp_path) -> None:
    bad_key = "0123456789abcdef" * 3 + "not-hex-at-all!!"
    # Variables set in the environment win over the project's .env file.
    env = {
        **os.environ,
        "PYTHONPATH": str(PROJECT_ROOT),
        "ENVIRONMENT": "test",
        "ENCRYPTION_KEY": bad_key,
        "JWT_SECRET": GOOD_JWT,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'never-created.db'}",
    }
    result = subprocess.run(
        [sys.executable, "-m", "crm_app", "check"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "ENCRYPTION_KEY" in lines[0]
    assert "secrets.token_hex(32)" in lines[0]
    assert bad_key not in result.stderr + result.stdout
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "never-created.db").exists()


def test_the_test_suite_reads_no_dotenv_of_the_developers(tmp_path, monkeypatch) -> None:
    # A MIGRATION_DATABASE_URL or a REDIS_URL in the project's .env sent the tests'
    # migrations to the developer's Postgres, and every test server to their Redis.
    from crm_app.core import config

    env_file = tmp_path / ".env"
    env_file.write_text("REDIS_URL=redis://developers-redis:6379/0\n", encoding="utf-8")
    monkeypatch.setitem(config.Settings.model_config, "env_file", env_file)
    monkeypatch.delenv("REDIS_URL", raising=False)
    keys = {"encryption_key": GOOD_KEY, "jwt_secret": GOOD_JWT}
    monkeypatch.setenv(config.IGNORE_DOTENV, "1")  # as tests/conftest.py sets it
    assert load_settings(**keys).redis_url is None
    monkeypatch.delenv(config.IGNORE_DOTENV)
    assert load_settings(**keys).redis_url == "redis://developers-redis:6379/0"
