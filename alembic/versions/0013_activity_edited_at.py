"""activities.edited_at: a note that was edited says so

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 01:50:00

Notes became editable. A note rewritten with no mark reads as if it had been
written so at the time it shows; the time of its last edit marks it "edited".
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Nullable, no default: Postgres adds it without rewriting or long locking the table.
    with op.batch_alter_table("activities") as table:
        table.add_column(sa.Column("edited_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    op.drop_column("activities", "edited_at")
