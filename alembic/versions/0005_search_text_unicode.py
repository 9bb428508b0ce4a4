"""search_text lower-cased beyond A-Z on SQLite

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29 09:00:00

SQLite's built-in lower() changes only A-Z, so "Émile" was stored as "Émile"
in the search column and a search for "émile" (lower-cased in Python) missed
it. The app's SQLite connections now define lower() for every letter
(core/db.py); rewriting each row recomputes the stored column with it.
Postgres lower-cases every letter already: nothing to do there.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for table in ("leads", "contacts"):
        op.execute(f"UPDATE {table} SET name = name")  # noqa: S608  (fixed table names)


def downgrade() -> None:
    pass  # the recomputed text is what the column should always have held
