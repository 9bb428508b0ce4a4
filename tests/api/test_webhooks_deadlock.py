"""A delivery whose unit of work Postgres rolls back for another's sake is run again.

A real deadlock, on the test's Postgres database: another writer holds the
caller's number (as a lead form saving it would) and then inserts the very
audit row the webhook has just written. Each waits for the other; Postgres
ends the webhook's transaction (its wait began first, so its deadlock check
runs first). Answered 503, with no audit row, the report was gone: Vapi does
not send an end-of-call report again.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid

import pytest
import sqlalchemy as sa
from sqlmodel import Session

from crm_app.models import CallLog
from crm_app.services.record_locks import lock_contact_details
from tests.webhook_senders import connect, encode, vapi_end_of_call_report, vapi_headers
from tests.webhook_state import audit_rows, owned

PHONE = "+14155550177"
WAIT_SECONDS = 10

pytestmark = [pytest.mark.postgres, pytest.mark.parametrize("engine", ["postgres"], indirect=True)]

# In this test's database only: other tests, in another worker, wait on advisory locks too.
_WAITING_FOR_ADVISORY_LOCK = sa.text(
    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
    " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
)
# The audit row of the report's event (Vapi's call id and the message's type).
_THE_WEBHOOKS_AUDIT_ROW = sa.text(
    "INSERT INTO webhook_events (user_id, id, provider, event_id, event_type, status, reason,"
    " payload_size, payload_sha256, result, received_at, processed_at)"
    " VALUES (:user_id, :id, 'vapi', 'call-deadlock:end-of-call-report', 'end-of-call-report',"
    " 'accepted', '', 0, '', '', now(), now())"
)


def _until(condition, what: str) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while not condition():
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.02)


def test_a_report_whose_unit_of_work_deadlocked_is_applied_on_the_next_attempt(
    client, engine, make_user, pg_database, caplog
):
    vapi = connect(engine, make_user().id, "vapi")
    body = encode(vapi_end_of_call_report("call-deadlock", number=PHONE))
    admin = sa.create_engine(pg_database.admin_url)
    answers: list[int] = []
    try:
        with admin.connect() as watcher, admin.connect() as other:
            watcher.execution_options(isolation_level="AUTOCOMMIT")
            # Long, so that the webhook's own check (after Postgres's default second) finds
            # the cycle and its transaction is the one rolled back.
            other.execute(sa.text("SET deadlock_timeout = '20s'"))
            lock_contact_details(session=Session(bind=other), user_id=vapi.user_id, values=[PHONE])
            sending = threading.Thread(
                target=lambda: answers.append(
                    client.post(
                        vapi.path, content=body, headers=vapi_headers(vapi.secret)
                    ).status_code
                )
            )
            with caplog.at_level(logging.WARNING, logger="crm_app.api.webhook_pipeline"):
                sending.start()
                _until(
                    lambda: watcher.execute(_WAITING_FOR_ADVISORY_LOCK).scalar() == 1,
                    "the webhook to wait for the number, its audit row written",
                )
                # Waits for the webhook's uncommitted row: the circle is closed.
                row = {"id": uuid.uuid4(), "user_id": vapi.user_id}
                other.execute(_THE_WEBHOOKS_AUDIT_ROW, row)
                other.rollback()  # the other writer gives up: the number and the row are free
                sending.join(WAIT_SECONDS)
    finally:
        admin.dispose()
    assert answers == [200]
    [row] = audit_rows(engine, vapi.user_id)
    assert row.status == "accepted"
    [call] = owned(engine, vapi.user_id, CallLog)
    assert call.external_call_id == "call-deadlock"
    assert "gave way to another (SQLSTATE 40P01): attempt 2 of 3" in caplog.text
