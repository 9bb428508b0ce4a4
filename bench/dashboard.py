"""dashboard_stats through the service (app role, RLS) against the same SQL raw, as a superuser."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import sqlalchemy as sa

from bench.capture import captured_statements, raw_replay
from bench.timing import Row, interleaved, summary
from crm_app.core.db import tenant_session
from crm_app.services.dashboard import dashboard_stats

RUNS = 60


def _service_call(engine: sa.Engine, user_id: uuid.UUID, now: datetime):  # type: ignore[no-untyped-def]
    def run() -> None:
        with tenant_session(user_id, engine) as session:
            dashboard_stats(session=session, user_id=user_id, period_days=30, now=now)

    return run


def measure(app_engine: sa.Engine, admin_url: str, tenants: dict[str, uuid.UUID]) -> list[Row]:
    """p50/p95 for each tenant, and the ratio to raw SQL."""
    rows = []
    now = datetime.now(UTC)
    for label, user_id in tenants.items():
        service = _service_call(app_engine, user_id, now)
        with captured_statements(app_engine) as statements:
            service()
        ours, raw = interleaved(service, raw_replay(admin_url, list(statements)), RUNS)
        mine, base = summary(ours), summary(raw)
        for stat, target in (("p50", ""), ("p95", "p95 < 100 ms (largest), within 1.3x of raw")):
            met = None
            if stat == "p95":
                met = mine["p95"] <= 1.3 * base["p95"] and (label != "largest" or mine["p95"] < 100)
            rows.append(
                Row(
                    section="Dashboard",
                    name=f"dashboard_stats, {label} tenant, {stat}",
                    value=mine[stat],
                    baseline=base[stat],
                    unit="ms",
                    target=target,
                    met=met,
                    note=f"{len(statements)} queries, {RUNS} runs each",
                )
            )
    return rows
