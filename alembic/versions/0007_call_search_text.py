"""call_logs.search_text: calls found by name or number whatever the accents, like leads

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06 06:00:00

The calls list searched the caller's name with ILIKE, so "jose" did not find
"José", while the leads and contacts lists, searching their folded
search_text, did. The same generated column (search_fold of the caller's
name, the provider's call id and the three numbers) gives calls that too,
and one LIKE instead of five ILIKEs per row. Adding it computes every row.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SEARCHED = ("customer_name", "external_call_id", "customer_number", "from_number", "to_number")


def upgrade() -> None:
    expression = "search_fold(" + " || ' ' || ".join(f"coalesce({c}, '')" for c in SEARCHED) + ")"
    with op.batch_alter_table("call_logs") as batch:
        batch.add_column(
            sa.Column("search_text", sa.Text(), sa.Computed(expression, persisted=True))
        )


def downgrade() -> None:
    with op.batch_alter_table("call_logs") as batch:
        batch.drop_column("search_text")
