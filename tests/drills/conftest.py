"""Reliability drills: the real app in production mode, crashed, cut off from its database, flooded.

Each drill module starts one server of its own (module-scoped), built into its
own web directory like the browser tests' server. They need bun (installed into
.tools as `make test` does) and, for the Postgres drills, a PostgreSQL server;
without them they are skipped, unless CRM_REQUIRE_BROWSER=1 / CRM_REQUIRE_POSTGRES=1
(as `.ci/run` sets) make that a failure.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from crm_app.core.crypto import Keyring
from crm_app.core.db import create_db_engine, global_session
from crm_app.models import User
from tests.appserver import AppProcess, AppServer, AppServerError, ensure_bun, free_port, server_env
from tests.loadgen import http_post
from tests.pg import PostgresDatabase
from tests.webhook_senders import (
    Endpoint,
    connect,
    encode,
    vapi_end_of_call_report,
    vapi_hmac_headers,
)

DRILLS_DIR = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Every drill is slow: it builds and serves the app."""
    for item in items:
        if DRILLS_DIR in item.path.parents:
            item.add_marker(pytest.mark.slow)


def unavailable(reason: str, required_by: str = "CRM_REQUIRE_BROWSER") -> None:
    """Skip, or fail when the environment says this drill must run."""
    if os.environ.get(required_by) == "1":
        pytest.fail(f"{reason} ({required_by}=1)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def bun() -> None:
    """bun in .tools, to build the app's front end."""
    reason = ensure_bun()
    if reason:
        unavailable(reason)


def start_app(tmp: Path, database: PostgresDatabase | None = None) -> AppProcess:
    """The app built and served in production mode (on this Postgres database, else SQLite)."""
    urls = {}
    if database is not None:
        urls = {"database_url": database.app_url, "migration_database_url": database.owner_url}
    app = AppProcess(tmp, server_env(tmp, free_port(), **urls))
    try:
        app.migrate()
        app.start()
    except AppServerError as error:
        app.stop()
        pytest.fail(str(error), pytrace=False)
    return app


@pytest.fixture(scope="module")
def server_engine() -> Iterator[dict[str, sa.Engine]]:
    """Engines on served apps' databases, by URL, disposed at the end of the module."""
    engines: dict[str, sa.Engine] = {}
    yield engines
    for engine in engines.values():
        engine.dispose()


def vapi_endpoint(server: AppServer, engines: dict[str, sa.Engine]) -> Endpoint:
    """A new user of the served app with Vapi connected (sealed with the server's own key)."""
    url = server.database_url
    engine = engines.setdefault(url, create_db_engine(url))
    user = User(
        email=f"drill-{uuid.uuid4().hex[:10]}@example.com",
        name="Drill",
        password_hash="!drill-only-not-a-hash",
    )
    with global_session(engine) as session:
        session.add(user)
    keyring = Keyring(bytes.fromhex(server.env["ENCRYPTION_KEY"]))
    return connect(engine, user.id, "vapi", keyring=keyring)


def signed_report(port: int, endpoint: Endpoint, call_id: str, number: int) -> bytes:
    """A Vapi end-of-call report signed with the HMAC credential now, as a raw HTTP request."""
    report = vapi_end_of_call_report(call_id, number=f"+1415555{number:04d}", name="Drill Caller")
    body = encode(report)
    return http_post(port, endpoint.path, body, vapi_hmac_headers(body))
