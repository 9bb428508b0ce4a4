"""Leads search and page flips for the largest tenant, through the service and as raw SQL."""

from __future__ import annotations

import uuid

import sqlalchemy as sa

from bench.capture import captured_statements, raw_replay
from bench.timing import Row, interleaved, summary
from crm_app.core.db import tenant_session
from crm_app.services.leads import list_leads

RUNS = 60
CASES = {
    "first page, newest first": {},
    "page 40 (offset 2,000)": {"offset": 2000},
    "search by name": {"search": "Lead 4242"},
    "search by phone digits": {"search": "415 000 4242"},
    "filter by status": {"status": "qualified", "offset": 500},
}


def measure(app_engine: sa.Engine, admin_url: str, user_id: uuid.UUID) -> list[Row]:
    rows = []
    for name, arguments in CASES.items():

        def service(arguments=arguments) -> None:  # type: ignore[no-untyped-def]
            with tenant_session(user_id, app_engine) as session:
                list_leads(session=session, user_id=user_id, limit=50, **arguments)

        with captured_statements(app_engine) as statements:
            service()
        ours, raw = interleaved(service, raw_replay(admin_url, list(statements)), RUNS)
        mine, base = summary(ours), summary(raw)
        rows.append(
            Row(
                section="Lists",
                name=f"list_leads, largest tenant, {name}, p95",
                value=mine["p95"],
                baseline=base["p95"],
                unit="ms",
                target="p95 < 50 ms",
                met=mine["p95"] < 50,
                note=f"p50 {mine['p50']:.1f} ms",
            )
        )
    return rows
