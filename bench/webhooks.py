"""Webhook ingestion: signed Vapi end-of-call reports at 16 senders, the app against the floor.

Both servers run at once on one throwaway Postgres database (the app role,
row-level security), each on granian with one worker, then again with two
each: the app in Reflex production mode, and bench/floor_app.py (signature
check + one idempotent insert, nothing else). Rounds alternate between them, so drift on a noisy
machine hits both alike; each round sends fresh events (new call ids, numbers
from a pool, so some calls create a lead and others find one).

Afterwards the database must hold exactly one audit row and one call log per
acknowledged report: a fast answer that lost data would not count.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from sqlmodel import func, select

from bench.timing import Row, percentile
from crm_app.core.crypto import Keyring
from crm_app.core.db import create_db_engine, global_session, tenant_session
from crm_app.models import CallLog, User, WebhookEvent
from tests.appserver import PROJECT_ROOT, AppProcess, answers, free_port, server_env, stop
from tests.loadgen import LoadResult, http_post, send_all
from tests.pg import admin_engine, create_postgres_database, drop_postgres_database
from tests.webhook_senders import (
    VAPI_HMAC_SECRET,
    connect,
    encode,
    vapi_end_of_call_report,
    vapi_hmac_headers,
)

SECTION = "Webhooks"
SENDERS = 16
ROUNDS = 3
PER_ROUND = 1500
WARMUP = 300
ROUND_TIME_LIMIT_SECONDS = 60
# Customer numbers repeat across calls: the first call from a number creates a lead.
NUMBERS = 1000
TARGET_SHARE_OF_FLOOR = 0.6
WORKER_COUNTS = (1, 2)
# Reflex's state manager for the two-worker pass (a database of its own).
REDIS_URL = "redis://127.0.0.1:6379/13"
TARGET_P99_MS = 50.0
# Refused by its shape before any lookup: what the app costs before the pipeline starts.
MALFORMED_URL = "/api/webhooks/vapi/not-a-token"
NOTE = (
    "- Webhooks: the baseline is bench/floor_app.py, a bare Starlette + async psycopg endpoint "
    "that checks the same HMAC signature and timestamp and inserts the same audit row with "
    "ON CONFLICT DO NOTHING under row-level security, and nothing else. The app also finds the "
    "tenant by the URL token, reads and decrypts their two Vapi secrets, redacts the payload, "
    "and writes the call log and, for a new number, a lead, all in one transaction, behind "
    "Reflex's outer Starlette app (webhooks are answered ahead of FastAPI: "
    "crm_app/api/webhook_fast_path.py). Both are served by granian with one worker on "
    "this machine, then with two each (the app's second worker needs Redis for Reflex's "
    f"state), with {SENDERS} senders on keep-alive connections from tests/loadgen.py. "
    "After a warm-up round on each, the database is ANALYZEd (as autovacuum would have). "
    "One worker of the app keeps one core busy (Python holds the GIL for the pipeline and "
    "for the request handling) while Postgres uses a quarter of the other; "
    "the floor's cost is mostly the commit."
)


@dataclass
class Side:
    """One server under test and what it answered, round after round."""

    name: str
    port: int
    path: str
    rounds: list[LoadResult]
    warmup: LoadResult | None = None

    def requests(self, label: str, count: int) -> list[bytes]:
        """Fresh signed end-of-call reports (new call ids), as raw HTTP requests."""
        built = []
        for number in range(count):
            report = vapi_end_of_call_report(
                f"call-{self.name}-{label}-{number}-{uuid.uuid4().hex[:8]}",
                number=f"+1415555{number % NUMBERS:04d}",
                name=f"Caller {number % NUMBERS}",
            )
            body = encode(report)
            built.append(http_post(self.port, self.path, body, vapi_hmac_headers(body)))
        return built

    def send(self, label: str, count: int) -> LoadResult:
        requests = self.requests(label, count)
        return send_all(self.port, requests, senders=SENDERS, time_limit=ROUND_TIME_LIMIT_SECONDS)


def _new_user(engine: sa.Engine, label: str) -> uuid.UUID:
    user = User(
        email=f"{label}-{uuid.uuid4().hex[:8]}@example.com",
        name=label,
        password_hash="!bench-only-not-a-hash",  # noqa: S106  (no one logs in as this user)
    )
    with global_session(engine) as session:
        session.add(user)
    return user.id


def _libpq_url(url: str) -> str:
    return sa.engine.make_url(url).set(drivername="postgresql").render_as_string(False)


def _start_floor(
    tmp: Path, port: int, database_url: str, user_id: uuid.UUID, workers: int
) -> subprocess.Popen[bytes]:
    """bench/floor_app.py on granian, as many workers as the app, as the same tenant's role."""
    env = dict(
        os.environ,
        FLOOR_DATABASE_URL=_libpq_url(database_url),
        FLOOR_USER_ID=str(user_id),
        FLOOR_HMAC_SECRET=VAPI_HMAC_SECRET,
    )
    granian = Path(sys.executable).parent / "granian"
    command = [str(granian), "--interface", "asgi", "--workers", str(workers)]
    command += ["--host", "127.0.0.1", "--port", str(port), "bench.floor_app:app"]
    with (tmp / "floor.log").open("ab") as log:
        process = subprocess.Popen(
            command,
            cwd=PROJECT_ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    deadline = time.monotonic() + 30
    while answers(f"http://127.0.0.1:{port}/api/health") != 200:
        if process.poll() is not None or time.monotonic() > deadline:
            stop(process)
            raise RuntimeError(f"the floor app did not start; see {tmp / 'floor.log'}")
        time.sleep(0.3)
    return process


def _stored(engine: sa.Engine, user_id: uuid.UUID) -> tuple[int, int]:
    """(accepted audit rows, call logs) of a user."""
    with tenant_session(user_id, engine) as session:
        events = session.exec(
            select(func.count())
            .select_from(WebhookEvent)
            .where(WebhookEvent.user_id == user_id, WebhookEvent.status == "accepted")
        ).one()
        calls = session.exec(
            select(func.count()).select_from(CallLog).where(CallLog.user_id == user_id)
        ).one()
    return events, calls


def _latencies(side: Side) -> list[float]:
    return [latency for result in side.rounds for latency in result.latencies_ms]


def _ok(side: Side) -> int:
    return sum(result.count(lambda status: status == 200) for result in side.rounds)


def _answered(side: Side) -> str:
    """ "4,500 of 4,500 answered 200", and what the others got if any did not."""
    others = Counter(
        "no answer" if status is None else str(status)
        for result in side.rounds
        for status in result.statuses
        if status != 200
    )
    text = f"{_ok(side):,} of {_sent(side):,} answered 200"
    if others:
        text += " (others: " + ", ".join(f"{n:,}x {what}" for what, n in others.items()) + ")"
    return text


def _sent(side: Side) -> int:
    return sum(len(result.statuses) for result in side.rounds)


def _analyze(admin_url: str) -> None:
    """Gather planner statistics, as autovacuum does within a minute on a live database.

    On tables that have only just filled, Postgres plans without them, and it
    picked a tenant-wide index scan for an exact-key lookup: a cost no running
    system pays.
    """
    engine = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(sa.text("ANALYZE"))
    finally:
        engine.dispose()


def _run_rounds(sides: list[Side], rounds: int, per_round: int, admin_url: str) -> None:
    for side in sides:  # warm-up: pools, caches, the first lead inserts
        side.warmup = side.send("warmup", min(WARMUP, per_round))
    _analyze(admin_url)
    for number in range(rounds):
        # Each round in another order: whoever goes first in a noisy moment changes.
        for side in sides[number % len(sides) :] + sides[: number % len(sides)]:
            side.rounds.append(side.send(f"r{number}", per_round))
            result = side.rounds[-1]
            print(
                f"  webhooks {side.name} round {number + 1}: {result.per_second:.0f} req/s, "
                f"p99 {percentile(result.latencies_ms, 0.99):.1f} ms",
                flush=True,
            )


def _median_rate(side: Side) -> float:
    return statistics.median(result.per_second for result in side.rounds)


def _rows(
    app: Side, floor: Side, ceiling: Side, stored: tuple[int, int], workers: int
) -> list[Row]:
    ours, theirs = _median_rate(app), _median_rate(floor)
    mine, base = _latencies(app), _latencies(floor)
    p50, p99 = percentile(mine, 0.5), percentile(mine, 0.99)
    ok, sent = _ok(app), _sent(app)
    events, calls = stored
    warm_ok = app.warmup.count(lambda status: status == 200) if app.warmup else 0
    answered = f"{_answered(app)}; floor: {_answered(floor)}"
    all_stored_once = events == calls == warm_ok + ok
    kept = f"stored: {events:,} audit rows, {calls:,} call logs for {warm_ok + ok:,} 200s"
    each = f"{workers} worker{'s' if workers > 1 else ''} each"
    label = f"Vapi end-of-call reports, {SENDERS} senders, {each}"
    return [
        Row(
            section=SECTION,
            name=f"{label}, throughput (median of {len(app.rounds)} rounds)",
            value=ours,
            baseline=theirs,
            unit="req/s",
            target=f">= {TARGET_SHARE_OF_FLOOR:.0%} of the floor",
            met=ours >= TARGET_SHARE_OF_FLOOR * theirs and ok == sent and all_stored_once,
            note=answered,
        ),
        Row(
            section=SECTION,
            name=f"ceiling, {each}: the app answering a malformed URL token (404, no database)",
            value=_median_rate(ceiling),
            baseline=theirs,
            unit="req/s",
            note="the request handling (Reflex's outer app, the webhook fast path) and the "
            "worker-thread hop alone: no pipeline can be faster "
            f"({ceiling.rounds[0].count(lambda status: status == 404):,} of "
            f"{len(ceiling.rounds[0].statuses):,} answered 404 in round 1)",
        ),
        Row(
            section=SECTION,
            name=f"{label}, p50 latency",
            value=p50,
            baseline=percentile(base, 0.5),
            unit="ms",
        ),
        Row(
            section=SECTION,
            name=f"{label}, p99 latency",
            value=p99,
            baseline=percentile(base, 0.99),
            unit="ms",
            target=f"p99 < {TARGET_P99_MS:.0f} ms",
            met=p99 < TARGET_P99_MS,
            note=kept,
        ),
    ]


def measure(quick: bool = False) -> list[Row]:
    """The app and the floor under the same load, with one worker each and then two each.

    One worker is the like-for-like comparison; two show what the machine's
    two cores give each (the app's second worker needs Redis for Reflex's state).
    """
    tmp = Path(tempfile.mkdtemp(prefix="crm-bench-webhooks-"))
    port = free_port()  # the same for both passes: the second reuses the first's build
    try:
        rows = []
        for workers in WORKER_COUNTS:
            rows += _measure_with(workers, tmp, port, quick)
        return rows
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _measure_with(workers: int, tmp: Path, port: int, quick: bool) -> list[Row]:
    """One pass: a fresh throwaway Postgres database, the app and the floor on it."""
    rounds, per_round = (2, 300) if quick else (ROUNDS, PER_ROUND)
    admin = admin_engine()
    database = create_postgres_database(admin, prefix="crm_bench_webhooks")
    engine = create_db_engine(database.app_url)
    env = server_env(
        tmp, port, database_url=database.app_url, migration_database_url=database.owner_url
    )
    if workers > 1:
        env.update(REDIS_URL=REDIS_URL, GRANIAN_WORKERS=str(workers))
    app = AppProcess(tmp, env)
    floor_process = None
    try:
        app.start()
        app_user, floor_user = _new_user(engine, "bench-app"), _new_user(engine, "bench-floor")
        keyring = Keyring(bytes.fromhex(app.env["ENCRYPTION_KEY"]))
        endpoint = connect(engine, app_user, "vapi", keyring=keyring)
        floor_port = free_port()
        floor_process = _start_floor(tmp, floor_port, database.app_url, floor_user, workers)
        app_side = Side("app", app.port, endpoint.path, [])
        floor_side = Side("floor", floor_port, "/api/webhooks/vapi/floor", [])
        ceiling = Side("ceiling", app.port, MALFORMED_URL, [])
        print(f"  webhooks with {workers} worker(s) each", flush=True)
        _run_rounds([app_side, floor_side, ceiling], rounds, per_round, database.admin_url)
        return _rows(app_side, floor_side, ceiling, _stored(engine, app_user), workers)
    finally:
        if floor_process is not None:
            stop(floor_process)
        app.stop()
        engine.dispose()
        with contextlib.suppress(Exception):
            drop_postgres_database(admin, database)
        admin.dispose()
