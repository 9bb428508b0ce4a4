"""webhook_events.result as text: a tool-calls answer is kept whole

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29 08:40:00

A redelivered Vapi tool-calls message is answered with what the first
delivery answered, read back from `result`. Up to 20 tool results of up to
1,000 characters each did not fit in 2,000 characters, so a redelivery of a
long answer came back empty. On Postgres varchar(n) to text rewrites nothing.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("webhook_events") as table:
        table.alter_column(
            "result", type_=sa.Text(), existing_type=sa.String(2000), existing_nullable=False
        )


def downgrade() -> None:
    # Longer results are cut to fit, as the app cut them before this revision. On Postgres
    # in the ALTER itself: an UPDATE by the owner, with no tenant set, meets row-level
    # security that is forced on it, changes no row, and the ALTER then fails on them.
    if op.get_bind().dialect.name == "postgresql":
        op.alter_column(
            "webhook_events",
            "result",
            type_=sa.String(2000),
            existing_type=sa.Text(),
            existing_nullable=False,
            postgresql_using="substr(result, 1, 2000)",
        )
        return
    op.execute("UPDATE webhook_events SET result = substr(result, 1, 2000)")
    with op.batch_alter_table("webhook_events") as table:
        table.alter_column(
            "result", type_=sa.String(2000), existing_type=sa.Text(), existing_nullable=False
        )
