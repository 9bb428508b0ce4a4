"""Database outage drill: stop Postgres under load; 503s and an error page, then recovery, unaided.

SECURITY.md 26. The app runs on a throwaway cluster this module owns (never
the shared server). Signed webhooks keep arriving and a logged-in tab is open
on the dashboard; then the cluster stops. Webhooks must answer 503 (the
provider retries) with no stack trace, /api/health 503, and the tab must show
an error instead of spinning. When the cluster starts again, all of it must
come back by itself (no restart, no reload), and every event refused during
the outage is stored once when sent again.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field

import httpx
import pytest
import sqlalchemy as sa

from crm_app.core.db import create_db_engine, global_session
from crm_app.services.users import create_user
from tests.appserver import AppProcess
from tests.drills.cluster import Cluster, ClusterUnavailable, create_cluster, remove_cluster
from tests.drills.served_app import signed_report, start_app, vapi_endpoint
from tests.loadgen import send_all
from tests.pg import PostgresDatabase, create_postgres_database
from tests.required import unavailable
from tests.webhook_senders import Endpoint

pytestmark = pytest.mark.postgres

PASSWORD = "outage drill password 1"
BATCH = 20
SENDERS = 4
RECOVERY_SECONDS = 30
PAGE_TIMEOUT_MS = 20_000
# What a stack trace or a driver error looks like in a body.
LEAKS = ("Traceback", 'File "', "psycopg", "sqlalchemy", "OperationalError", "127.0.0.1")


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    try:
        cluster = create_cluster()
    except ClusterUnavailable as error:
        unavailable(str(error), required_by="CRM_REQUIRE_POSTGRES")
    try:
        cluster.start()
        yield cluster
    finally:
        remove_cluster(cluster)


@pytest.fixture(scope="module")
def database(cluster: Cluster) -> PostgresDatabase:
    admin = sa.create_engine(cluster.admin_url, isolation_level="AUTOCOMMIT")
    try:
        return create_postgres_database(admin, prefix="crm_drill_outage")
    finally:
        admin.dispose()


@pytest.fixture(scope="module")
def app(bun, database, tmp_path_factory) -> Iterator[AppProcess]:  # type: ignore[no-untyped-def]
    app = start_app(tmp_path_factory.mktemp("drill-outage"), database)
    yield app
    app.stop()


@dataclass
class Sender:
    """Signed reports sent in small batches from a thread until stopped; every answer kept."""

    port: int
    endpoint: Endpoint
    statuses: dict[int, int | None] = field(default_factory=dict)
    refusals: dict[int, bytes] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)

    def request(self, number: int) -> bytes:
        return signed_report(self.port, self.endpoint, f"outage-{number}", number % 30)

    def _run(self) -> None:
        sent = 0
        while not self._stop.is_set():
            numbers = range(sent, sent + BATCH)
            result = send_all(self.port, [self.request(n) for n in numbers], senders=SENDERS)
            for offset, number in enumerate(numbers):
                self.statuses[number] = result.statuses[offset]
                if offset in result.refusals:
                    self.refusals[number] = result.refusals[offset]
            sent += BATCH
            time.sleep(0.05)

    def count(self, status: int) -> int:
        return sum(1 for value in list(self.statuses.values()) if value == status)

    @contextlib.contextmanager
    def running(self) -> Iterator[Sender]:
        thread = threading.Thread(target=self._run, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self._stop.set()
            thread.join()


def _wait_for(condition, seconds: float, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"{what} did not happen within {seconds:.0f} s"
        time.sleep(0.2)


def _health(base_url: str) -> httpx.Response:
    return httpx.get(f"{base_url}/api/health", timeout=10)


def _logged_in_page(browser, app: AppProcess, engine: sa.Engine):  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    email = f"outage-{uuid.uuid4().hex[:8]}@example.com"
    with global_session(engine) as session:
        create_user(session=session, email=email, password=PASSWORD, name="Outage Drill")
    context = browser.new_context(base_url=app.base_url)
    context.set_default_timeout(PAGE_TIMEOUT_MS)
    assert context.request.post("/api/auth/login", data={"email": email, "password": PASSWORD}).ok
    page = context.new_page()
    page.goto("/dashboard")
    expect(page.get_by_test_id("user-email").first).to_have_text(email)
    return page, email


def test_an_outage_answers_503_shows_an_error_page_and_both_recover_by_themselves(
    app, cluster, database, browser, server_engine
):
    from playwright.sync_api import expect

    engine = server_engine.setdefault(database.app_url, create_db_engine(database.app_url))
    page, email = _logged_in_page(browser, app, engine)
    endpoint = vapi_endpoint(app.server(), server_engine)
    log_before = len(app.log_path.read_text(errors="replace"))

    with Sender(app.port, endpoint).running() as sender:
        _wait_for(lambda: sender.count(200) >= BATCH, 30, "the first webhooks")
        cluster.stop("fast")

        _wait_for(lambda: sender.count(503) >= BATCH, 30, "503s for webhooks")
        health = _health(app.base_url)
        assert health.status_code == 503
        assert not any(leak in health.text for leak in LEAKS)
        page.reload()
        notice = page.get_by_test_id("service-unavailable")
        expect(notice).to_be_visible()
        expect(notice).to_contain_text("unavailable")

        cluster.start()
        stored_before_recovery = sender.count(200)
        _wait_for(lambda: _health(app.base_url).status_code == 200, RECOVERY_SECONDS, "health")
        # The same tab, untouched: it reloads itself once the database answers.
        expect(page.get_by_test_id("user-email").first).to_have_text(
            email, timeout=RECOVERY_SECONDS * 1000
        )
        expect(notice).to_have_count(0)
        _wait_for(
            lambda: sender.count(200) >= stored_before_recovery + BATCH,
            RECOVERY_SECONDS,
            "webhooks answering 200 again",
        )

    statuses = set(sender.statuses.values())
    assert statuses == {200, 503}, f"answers seen: {statuses}"
    for body in sender.refusals.values():
        assert not any(leak in body.decode(errors="replace") for leak in LEAKS), body
        assert "retry" in json.loads(body)["detail"]
    assert "Traceback" not in app.log_path.read_text(errors="replace")[log_before:]

    # The provider retries what got a 503: each of those is stored once, like the others.
    refused = sorted(n for n, status in sender.statuses.items() if status == 503)
    retried = send_all(app.port, [sender.request(n) for n in refused], senders=SENDERS)
    assert set(retried.statuses) == {200}
    admin = sa.create_engine(database.admin_url)  # the superuser: no row-level security
    try:
        with admin.connect() as connection:
            stored = connection.execute(
                sa.text(
                    "SELECT count(*), count(DISTINCT event_id) FROM webhook_events "
                    "WHERE status = 'accepted' AND user_id = :user_id"
                ),
                {"user_id": endpoint.user_id},
            ).one()
    finally:
        admin.dispose()
    assert tuple(stored) == (len(sender.statuses), len(sender.statuses))
