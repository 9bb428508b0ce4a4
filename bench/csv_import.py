"""Importing 10,000 leads from CSV under RLS, against raw batched INSERTs of the same rows.

Ours: what the import page does (parse, validate and normalise every row, look
up duplicates, one tenant unit of work per batch), as the app role under
row-level security. Baseline: the same 10,000 rows, already clean, inserted
by psycopg in batches of the same size as the superuser: the floor for
putting those rows in the table on this machine.
"""

from __future__ import annotations

import time
import uuid

import psycopg
import sqlalchemy as sa

from bench.timing import Row
from crm_app.core.db import global_session, tenant_session
from crm_app.models import User
from crm_app.services.csv_import import EarlierRows, ImportResult, batches, import_leads
from crm_app.services.csv_io import LEAD_FIELDS, parse_csv

ROWS = 10_000


def _csv() -> bytes:
    lines = ["name,phone,email,status,source,notes"]
    for n in range(ROWS):
        lines.append(f"Lead {n},(415) {2000000 + n:07d},lead{n}@bulk.example,new,csv,Row {n}")
    return ("\n".join(lines) + "\n").encode()


def _new_user(engine: sa.Engine) -> uuid.UUID:
    with global_session(engine) as session:
        user = User(email=f"csv-{uuid.uuid4().hex[:8]}@example.com", password_hash="!bench")
        session.add(user)
        session.flush()
        return user.id


def _ours(engine: sa.Engine, data: bytes) -> float:
    user_id = _new_user(engine)
    started = time.perf_counter()
    parsed = parse_csv(data, fields=LEAD_FIELDS)
    total, earlier = ImportResult(), EarlierRows()
    for batch in batches(parsed.records):
        with tenant_session(user_id, engine) as session:
            total.add(
                import_leads(
                    session=session,
                    user_id=user_id,
                    headers=parsed.headers,
                    records=batch,
                    mapping=parsed.mapping,
                    earlier=earlier,
                )
            )
    seconds = time.perf_counter() - started
    assert total.created == ROWS, total
    return seconds


def _baseline(engine: sa.Engine, admin_url: str, batch_size: int) -> float:
    user_id = _new_user(engine)
    url = sa.engine.make_url(admin_url)
    rows = [
        (user_id, uuid.uuid4(), f"Lead {n}", f"+1415{2000000 + n:07d}", f"lead{n}@bulk.example")
        for n in range(ROWS)
    ]
    with psycopg.connect(
        host=url.host, port=url.port or 5432, user=url.username, dbname=url.database
    ) as connection:
        started = time.perf_counter()
        for start in range(0, ROWS, batch_size):
            with connection.transaction(), connection.cursor() as cursor:
                cursor.executemany(
                    "INSERT INTO leads (user_id, id, name, phone, email, status, source, notes, "
                    "created_at, updated_at) "
                    "VALUES (%s, %s, %s, %s, %s, 'new', 'csv', '', now(), now())",
                    rows[start : start + batch_size],
                )
        return time.perf_counter() - started


def measure(app_engine: sa.Engine, admin_url: str) -> list[Row]:
    data = _csv()
    batch_size = len(batches([None] * ROWS)[0])  # type: ignore[list-item]
    ours = [_ours(app_engine, data) for _ in range(3)]
    theirs = [_baseline(app_engine, admin_url, batch_size) for _ in range(3)]
    best, floor = min(ours), min(theirs)
    return [
        Row(
            section="CSV import",
            name=f"import {ROWS:,} leads from CSV (app role, RLS), best of 3",
            value=best,
            baseline=floor,
            unit="s",
            target="< 3 s",
            met=best < 3,
            note=f"{ROWS / best:,.0f} rows/s; baseline: raw batched INSERTs of clean rows "
            f"({batch_size:,} a batch) as the superuser",
        )
    ]
