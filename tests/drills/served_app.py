"""The app the drills serve: built and started, a user with Vapi connected, signed reports.

A plain module: the drills' conftest holds only fixtures and hooks, as a
conftest imported by name would be loaded a second time beside pytest's own copy.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa

from crm_app.core.crypto import Keyring
from crm_app.core.db import create_db_engine, global_session
from crm_app.models import User
from tests.appserver import AppProcess, AppServer, AppServerError, free_port, server_env
from tests.loadgen import http_post
from tests.pg import PostgresDatabase
from tests.webhook_senders import (
    Endpoint,
    connect,
    encode,
    vapi_end_of_call_report,
    vapi_hmac_headers,
)


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
