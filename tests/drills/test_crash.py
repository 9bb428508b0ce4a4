"""Crash drill: SIGKILL the server during a load of signed webhooks; a 2xx means committed.

SECURITY.md 24-25. Sixteen senders post end-of-call reports (customer numbers
repeat, so calls race to create the same lead) to the app on Postgres; once a
few hundred are stored, the whole process group is killed without warning.
Then, before anything else: every report that was answered 2xx is in the
database. After a restart, everything that was not answered 2xx is sent again,
as a provider would: in the end each report is stored exactly once, with one
call log, and each number has one lead.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from tests.appserver import AppProcess, AppServerError
from tests.drills.served_app import signed_report, start_app, vapi_endpoint
from tests.loadgen import LoadResult, send_all
from tests.pg import PostgresDatabase, create_postgres_database, drop_postgres_database

pytestmark = pytest.mark.postgres

EVENTS = 2500
SENDERS = 16
NUMBERS = 150
# Kill once this many reports are stored: well into the run, well before its end.
KILL_AFTER_STORED = 300
KILL_DEADLINE_SECONDS = 60
RESEND_ROUNDS = 3


@pytest.fixture(scope="module")
def database(pg_admin: sa.Engine) -> Iterator[PostgresDatabase]:
    database = create_postgres_database(pg_admin, prefix="crm_drill_crash")
    yield database
    drop_postgres_database(pg_admin, database)


@pytest.fixture(scope="module")
def app(bun, database, tmp_path_factory) -> Iterator[AppProcess]:  # type: ignore[no-untyped-def]
    app = start_app(tmp_path_factory.mktemp("drill-crash"), database)
    yield app
    app.stop()


def _stored_reports(admin_url: str) -> dict[str, int]:
    """Accepted audit rows by event id, read as the database superuser (no RLS)."""
    engine = sa.create_engine(admin_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                sa.text(
                    "SELECT event_id, count(*) FROM webhook_events "
                    "WHERE status = 'accepted' GROUP BY event_id"
                )
            ).all()
    finally:
        engine.dispose()
    return {event_id: count for event_id, count in rows}


def _count(admin_url: str, query: str, user_id: object) -> int:
    engine = sa.create_engine(admin_url)
    try:
        with engine.connect() as connection:
            return connection.execute(sa.text(query), {"user_id": user_id}).scalar_one()
    finally:
        engine.dispose()


def _acknowledged(result: LoadResult) -> set[int]:
    return {i for i, status in enumerate(result.statuses) if status and 200 <= status < 300}


def test_a_sigkill_loses_no_acknowledged_event_and_resending_stores_nothing_twice(
    app, database, server_engine
):
    server = app.server()
    endpoint = vapi_endpoint(server, server_engine)
    call_ids = [f"crash-{number}" for number in range(EVENTS)]
    event_ids = [f"{call_id}:end-of-call-report" for call_id in call_ids]
    requests = [
        signed_report(app.port, endpoint, call_id, number % NUMBERS)
        for number, call_id in enumerate(call_ids)
    ]
    outcome: dict[str, LoadResult] = {}
    load = threading.Thread(
        target=lambda: outcome.update(first=send_all(app.port, requests, senders=SENDERS))
    )
    load.start()
    deadline = time.monotonic() + KILL_DEADLINE_SECONDS
    while len(_stored_reports(database.admin_url)) < KILL_AFTER_STORED:
        assert time.monotonic() < deadline, "the load never got going"
        time.sleep(0.05)
    app.kill()
    load.join()
    first = outcome["first"]
    acknowledged = _acknowledged(first)
    assert 0 < len(acknowledged) < EVENTS, "the kill did not land mid-run"
    # Every answer was a 200; the others got none (cut off by the kill, or refused after it).
    assert {status for status in first.statuses if status is not None} == {200}

    # Before any restart or resend: an acknowledged event is a committed event.
    stored = _stored_reports(database.admin_url)
    lost = [event_ids[i] for i in acknowledged if event_ids[i] not in stored]
    assert not lost, f"{len(lost)} acknowledged events were not stored, e.g. {lost[:3]}"

    try:
        app.start()
    except AppServerError as error:
        pytest.fail(str(error), pytrace=False)
    pending = sorted(set(range(EVENTS)) - acknowledged)
    for _ in range(RESEND_ROUNDS):
        if not pending:
            break
        # Signed afresh, as a provider's retry would be; same bodies, same event ids.
        retry = [signed_report(app.port, endpoint, call_ids[i], i % NUMBERS) for i in pending]
        answered = _acknowledged(send_all(app.port, retry, senders=SENDERS))
        pending = [pending[j] for j in range(len(retry)) if j not in answered]
    assert not pending, f"{len(pending)} events were never acknowledged after the restart"

    stored = _stored_reports(database.admin_url)
    assert sorted(stored) == sorted(event_ids)
    assert set(stored.values()) == {1}

    def count(query: str) -> int:
        return _count(database.admin_url, query + " WHERE user_id = :user_id", endpoint.user_id)

    calls = count("SELECT count(DISTINCT external_call_id) FROM call_logs")
    all_calls = count("SELECT count(*) FROM call_logs")
    leads = count("SELECT count(*) FROM leads")
    numbers = count("SELECT count(DISTINCT phone) FROM leads")
    assert (calls, all_calls) == (EVENTS, EVENTS)
    assert (leads, numbers) == (NUMBERS, NUMBERS)
