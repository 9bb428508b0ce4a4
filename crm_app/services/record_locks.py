"""Transaction-long locks on a user's phone numbers and emails, and on a carrier's calls.

Leads have no unique constraint on phone or email (leads stored before the
one-number-one-lead rule may share one), so the rule is kept by looking
before writing. Two writers looking at once would both find nothing and both
write: a webhook's call from a new number, the lead form, an edit, a CSV
import. Each of them first locks the values it is about to claim, so the
second one looks only after the first has committed.

Postgres advisory locks, released when the unit of work ends. Several keys
are taken in one statement, in one order (by their hash), so two writers
each locking several never wait for each other in a circle. SQLite already
serialises every writer: nothing to do there.

A user's phones and emails are locked by bucket, not one by one: a CSV
batch of 500 rows would otherwise hold a thousand locks, and Postgres's
lock table is shared by every session (max_locks_per_transaction, 64, times
max_connections): with Postgres's defaults, twelve transactions holding a
thousand each filled it here, and the thirteenth failed with "out of shared
memory", as would every other session wanting a lock meanwhile. With
buckets a batch holds at most BUCKETS; two numbers that share one make one
writer wait for the other's commit. A batch of 500 rows takes nearly every
bucket: while it runs (about a tenth of a second here), the user's calls
that would look up or make a lead wait for it.
"""

from __future__ import annotations

import uuid
import zlib
from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlmodel import Session

from crm_app.core.prebuilt import run_prebuilt

# The subquery sorts before any lock is taken (OFFSET 0 keeps Postgres from merging it into
# the outer query, where the locks could be taken in the scan's order).
_LOCK_KEYS = sa.text(
    "SELECT pg_advisory_xact_lock(key_hash) FROM ("
    "SELECT DISTINCT hashtextextended(key, 0) AS key_hash"
    " FROM unnest(CAST(:keys AS text[])) AS key ORDER BY key_hash OFFSET 0) AS ordered"
).bindparams(sa.bindparam("keys", type_=postgresql.ARRAY(sa.Text)))


BUCKETS = 64


def lock_keys(session: Session, keys: Iterable[str]) -> None:
    """On Postgres, hold these keys until the unit of work ends (waiting for any holder)."""
    wanted = sorted(set(keys))
    if wanted and session.get_bind().dialect.name == "postgresql":
        run_prebuilt(session, _LOCK_KEYS, {"keys": wanted})


def lock_contact_details(
    *, session: Session, user_id: uuid.UUID, values: Iterable[str | None]
) -> None:
    """Hold the user's phone numbers and emails (blank ones skipped) until the unit of work ends.

    A phone is in E.164 and an email lower-cased, as stored, so every writer
    locks the same bucket for the same person; another user's identical number
    is another key.
    """
    buckets = {zlib.crc32(value.encode()) % BUCKETS for value in values if value}
    lock_keys(session, (f"{user_id}:contact-details:{bucket}" for bucket in buckets))
