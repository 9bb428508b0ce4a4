"""Seeding a benchmark database in SQL: 1,000 users, 1,000,000 leads and 1,000,000 calls.

One user (the largest tenant) gets 100,000 of each; the other 999 share the
rest. Rows are spread over the last year. Written as INSERT ... SELECT from
generate_series by the server admin: seeding is setup, not what is measured.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import sqlalchemy as sa

STATUSES = "ARRAY['new','contacted','qualified','won','lost']"
SOURCES = "ARRAY['voice','website','referral','csv','manual']"
CALL_STATUSES = "ARRAY['ended','ended','ended','no-answer','busy','failed']"


@dataclass(frozen=True)
class Tenants:
    """Who was seeded: the largest user and a small one."""

    largest: uuid.UUID
    small: uuid.UUID
    users: int
    leads: int
    calls: int


def seed(
    admin_url: str, *, users: int = 1000, largest_rows: int = 100_000, total_rows: int = 1_000_000
) -> Tenants:
    """Fill an empty, migrated database; returns the tenants to measure."""
    ids = [uuid.uuid4() for _ in range(users)]
    largest, others = ids[0], ids[1:]
    per_user = max(1, (total_rows - largest_rows) // max(1, len(others)))
    engine = sa.create_engine(admin_url)
    with engine.begin() as connection:
        connection.execute(
            sa.text(
                "INSERT INTO users (id, email, name, password_hash, created_at, updated_at) "
                "SELECT u, 'bench-' || u || '@example.com', 'Bench user', '!bench', now(), now() "
                "FROM unnest(CAST(:ids AS uuid[])) AS u"
            ),
            {"ids": [str(i) for i in ids]},
        )
        for owner_ids, count in (([largest], largest_rows), (others, per_user)):
            params = {"ids": [str(i) for i in owner_ids], "count": count}
            connection.execute(
                sa.text(
                    "INSERT INTO leads (user_id, id, name, phone, email, status, source, notes, "
                    "created_at, updated_at) "
                    "SELECT u, gen_random_uuid(), 'Lead ' || g, "
                    "'+1415' || lpad((g % 10000000)::text, 7, '0'), 'lead' || g || '@example.com', "
                    f"({STATUSES})[1 + g % 5], ({SOURCES})[1 + (g / 5) % 5], '', "
                    "now() - (g % 365) * interval '1 day' - (g % 86400) * interval '1 second', "
                    "now() "
                    "FROM unnest(CAST(:ids AS uuid[])) AS u, generate_series(1, :count) AS g"
                ),
                params,
            )
            connection.execute(
                sa.text(
                    "INSERT INTO call_logs (user_id, id, provider, external_call_id, direction, "
                    "from_number, to_number, customer_number, customer_name, status, started_at, "
                    "ended_at, duration_seconds, cost, ended_reason, summary, transcript, "
                    "created_at, updated_at) "
                    "SELECT u, gen_random_uuid(), 'vapi', 'call-' || g, 'inbound', "
                    "'+1415' || lpad((g % 10000000)::text, 7, '0'), '+14150000000', "
                    "'+1415' || lpad((g % 10000000)::text, 7, '0'), '', "
                    f"({CALL_STATUSES})[1 + g % 6], t, t + (g % 600) * interval '1 second', "
                    "g % 600, (g % 100) / 100.0, 'customer-ended-call', '', '', t, t "
                    "FROM unnest(CAST(:ids AS uuid[])) AS u, generate_series(1, :count) AS g, "
                    "LATERAL (SELECT now() - (g % 365) * interval '1 day' "
                    "- (g % 86400) * interval '1 second' AS t) AS times"
                ),
                params,
            )
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        # What autovacuum would have done by now: statistics, and a visibility
        # map so counts can be answered from the indexes alone.
        connection.execute(sa.text("VACUUM ANALYZE"))
    engine.dispose()
    total = largest_rows + per_user * len(others)
    return Tenants(largest=largest, small=others[0], users=users, leads=total, calls=total)
