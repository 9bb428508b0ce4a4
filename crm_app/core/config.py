"""One settings object for the whole app, read from the environment and `.env`."""

from __future__ import annotations

import functools
import os
import re
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, ValidationError, ValidationInfo, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import URL, make_url

PROJECT_ROOT = Path(__file__).resolve().parents[2]

# How to make a good value, quoted in every error about a secret.
MAKE_HEX_KEY = "python -c 'import secrets; print(secrets.token_hex(32))'"
MAKE_URLSAFE_SECRET = "python -c 'import secrets; print(secrets.token_urlsafe(48))'"  # noqa: S105 (a command, not a secret)

_HEX_KEY = re.compile(r"^[0-9a-fA-F]{64}$")
# Values a tutorial or template would ship with; never acceptable as a secret.
_PLACEHOLDERS = {"changethis", "changeme", "secret", "please-change-me"}
_LOOPBACK_TWINS = {"localhost": "127.0.0.1", "127.0.0.1": "localhost"}


# The database drivers requirements.txt installs (SQLite's is Python's own).
_SHIPPED_DRIVERS = ("postgresql+psycopg", "sqlite", "sqlite+pysqlite")


class SettingsError(RuntimeError):
    """A setting is missing or malformed; the message names it and says how to fix it."""


class Settings(BaseSettings):
    """Configuration of crm_app; every field can be set as an environment variable."""

    model_config = SettingsConfigDict(
        env_file=PROJECT_ROOT / ".env",
        env_file_encoding="utf-8",
        extra="ignore",
        case_sensitive=False,
    )

    environment: Literal["local", "test", "production"] = "local"
    # The database the running app uses. On Postgres: a role that owns nothing
    # and cannot bypass row-level security.
    database_url: str = f"sqlite:///{PROJECT_ROOT / 'data' / 'crm_app.db'}"
    # The role migrations run as (owner of the tables). Defaults to database_url.
    migration_database_url: str | None = None
    jwt_secret: str = Field(default="", repr=False)
    encryption_key: str = Field(default="", repr=False)
    # Earlier master keys, comma-separated, newest first, kept only while
    # `python -m crm_app rotate-keys` moves rows to the current key.
    encryption_keys_previous: str = Field(default="", repr=False)
    redis_url: str | None = Field(default=None, repr=False)
    # The URL the outside world (Twilio, Vapi, Make) calls us on.
    public_base_url: str = "http://localhost:3000"
    # Origins allowed to open the websocket and post to the auth endpoints;
    # comma-separated. Defaults to the origin of public_base_url.
    allowed_origins: str = ""
    default_phone_region: str = "US"
    session_lifetime_hours: int = Field(default=12, ge=1, le=24 * 30)
    login_max_failures: int = Field(default=5, ge=1)
    # Higher: one office behind one address should not lock everyone out.
    login_max_failures_per_address: int = Field(default=20, ge=1)
    login_failure_window_seconds: int = Field(default=900, ge=1)
    # Accounts made per client address an hour: each costs a full argon2id hash, and
    # unlimited, one address kept both cores busy making accounts.
    signups_per_address_per_hour: int = Field(default=20, ge=1)
    # Reverse proxies of our own in front of the app (api/client_address.py); 0: none.
    trusted_proxy_hops: int = Field(default=0, ge=0, le=10)

    @field_validator("jwt_secret")
    @classmethod
    def _check_jwt_secret(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError(f"JWT_SECRET is missing: make one with {MAKE_URLSAFE_SECRET}")
        if value.lower() in _PLACEHOLDERS or len(value) < 32:
            raise ValueError(
                "JWT_SECRET is too short or a placeholder (at least 32 characters): "
                f"make one with {MAKE_URLSAFE_SECRET}"
            )
        return value

    @field_validator("encryption_key")
    @classmethod
    def _check_encryption_key(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError(f"ENCRYPTION_KEY is missing: make one with {MAKE_HEX_KEY}")
        if not _HEX_KEY.match(value):
            raise ValueError(
                f"ENCRYPTION_KEY must be 64 hex characters (256 bits): make one with {MAKE_HEX_KEY}"
            )
        return value.lower()

    @field_validator("encryption_keys_previous")
    @classmethod
    def _check_previous_keys(cls, value: str) -> str:
        keys = [k.strip().lower() for k in value.split(",") if k.strip()]
        for position, key in enumerate(keys, start=1):
            if not _HEX_KEY.match(key):
                raise ValueError(
                    f"ENCRYPTION_KEYS_PREVIOUS entry {position} must be 64 hex characters"
                )
        return ",".join(keys)

    @field_validator("database_url", "migration_database_url")
    @classmethod
    def _check_database_url(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None:
            return None
        variable = (info.field_name or "database_url").upper()
        try:
            url = make_url(value)
        except Exception:
            raise ValueError(
                f"{variable} is not a database URL: use sqlite:///path/to/file.db "
                "or postgresql+psycopg://user@host:5432/dbname"
            ) from None
        if url.drivername in ("postgresql", "postgres"):
            # psycopg 3 is the driver we ship; the bare scheme would ask for psycopg2, and
            # "postgres://", as many hosts hand it out, for a dialect SQLAlchemy lacks.
            value = url.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
        elif url.drivername not in _SHIPPED_DRIVERS:
            raise ValueError(
                f"{variable} names the driver {url.drivername!r}, which this app does not "
                "ship: use postgresql+psycopg://user@host:5432/dbname or sqlite:///file.db"
            )
        return value

    @model_validator(mode="after")
    def _check_production(self) -> Settings:
        if self.environment == "production" and "*" in self.allowed_origin_list:
            raise ValueError("ALLOWED_ORIGINS may not be '*' in production: name the site's origin")
        return self

    @property
    def migration_url(self) -> str:
        return self.migration_database_url or self.database_url

    @property
    def is_postgres(self) -> bool:
        return make_url(self.database_url).get_backend_name() == "postgresql"

    @property
    def allowed_origin_list(self) -> list[str]:
        if self.allowed_origins.strip():
            return [origin_of(o) for o in self.allowed_origins.split(",") if o.strip()]
        return [origin_of(self.public_base_url)]

    @property
    def accepted_origin_list(self) -> list[str]:
        """The origins the websocket and the auth endpoints accept: the configured ones and,
        outside production, each localhost origin's loopback twin (127.0.0.1 and back)."""
        origins = self.allowed_origin_list
        if self.environment == "production":
            return origins
        twins = [twin for origin in origins if (twin := loopback_twin(origin))]
        return origins + [twin for twin in twins if twin not in origins]

    def accepts_origin(self, origin: str) -> bool:
        """Whether a browser at `origin` may open the websocket and post to the auth endpoints."""
        return origin_of(origin) in self.accepted_origin_list

    @property
    def previous_encryption_keys(self) -> list[str]:
        return [k for k in self.encryption_keys_previous.split(",") if k]


# The ports a browser leaves out of an Origin header, by scheme.
_DEFAULT_PORTS = {"http": 80, "https": 443}


def origin_of(url: str) -> str:
    """The scheme://host[:port] part of a URL, written as a browser sends it in Origin:
    lower case, without the scheme's default port ("*" as it is).

    PUBLIC_BASE_URL=https://crm.example.com:443 named the site's origin, yet every
    browser, which sends https://crm.example.com, was refused.
    """
    text = url.strip()
    if text == "*":
        return text
    parts = urlsplit(text)
    scheme, host = parts.scheme.lower(), (parts.hostname or "")
    if not scheme or not host:  # "null" (an opaque origin), or no URL: as written, never
        return text  # "://", which one such value configured would match for the other
    if ":" in host:  # an IPv6 address, which urlsplit gives without its brackets
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:  # not a port: kept as written, so it matches nothing a browser sends
        return f"{scheme}://{parts.netloc.lower()}"
    written = f":{port}" if port is not None and port != _DEFAULT_PORTS.get(scheme) else ""
    return f"{scheme}://{host}{written}"


def loopback_twin(origin: str) -> str | None:
    """The same origin with localhost as 127.0.0.1 or the other way round; None for others.

    Both name this machine, yet a browser holds them apart: one opened at the other's
    address must not find itself refused.
    """
    parts = urlsplit(origin)
    try:
        port = f":{parts.port}" if parts.port else ""
    except ValueError:  # not a port number
        return None
    twin = _LOOPBACK_TWINS.get(parts.hostname or "")
    return f"{parts.scheme}://{twin}{port}" if twin and not parts.username else None


_SECRET_QUERY = frozenset({"password", "sslpassword", "user"})


def redact_url(url: str) -> str:
    """A database or Redis URL fit for a log line: no password, no user."""
    try:
        parsed = make_url(url)
    except Exception:
        return "<unparseable url>"
    # Rebuilt without credentials: URL.set() treats None as "leave unchanged". libpq also
    # takes them from the query (?password=...), which is kept for the rest (sslmode).
    query = {key: value for key, value in parsed.query.items() if key.lower() not in _SECRET_QUERY}
    bare = URL.create(
        parsed.drivername,
        host=parsed.host,
        port=parsed.port,
        database=parsed.database,
        query=query,
    )
    return bare.render_as_string(hide_password=True)


# Set (to 1) by the test suite, for itself and the servers it starts: the developer's own
# .env (a MIGRATION_DATABASE_URL, a REDIS_URL) must not reach tests that set what they use.
IGNORE_DOTENV = "CRM_IGNORE_DOTENV"


def load_settings(**overrides: object) -> Settings:
    """Read the settings, turning validation errors into one readable line per problem."""
    if os.environ.get(IGNORE_DOTENV) == "1":
        overrides = {"_env_file": None, **overrides}
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as error:
        problems = []
        for item in error.errors():
            message = str(item.get("msg", "")).removeprefix("Value error, ")
            field = ".".join(str(part) for part in item.get("loc", ())).upper()
            # Our own messages already name the variable; pydantic's do not. A
            # whole-model check has no field to name.
            problems.append(message if not field or field in message else f"{field}: {message}")
        raise SettingsError("; ".join(problems)) from None


@functools.cache
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return load_settings()


def public_base_url_for_port(port: int, settings: Settings) -> str:
    """The PUBLIC_BASE_URL of a server on `port`: the one set (environment or `.env`), if any,
    else http://localhost:{port}, so that its origin is the one the browser opens."""
    if "public_base_url" in settings.model_fields_set and settings.public_base_url.strip():
        return settings.public_base_url
    return f"http://localhost:{port}"


if __name__ == "__main__":
    # `make run PORT=N` starts Reflex with PUBLIC_BASE_URL set to what this prints.
    import sys

    if len(sys.argv) != 3 or sys.argv[1] != "public-base-url" or not sys.argv[2].isdigit():
        sys.exit("usage: python -m crm_app.core.config public-base-url PORT")
    try:
        print(public_base_url_for_port(int(sys.argv[2]), get_settings()))
    except SettingsError as error:
        sys.exit(f"crm_app: {error}")
