"""call_logs.unlinked_at: a call whose person was deleted is not given a new lead by its next event

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06 08:10:00

Deleting a lead unlinked its calls. The next event of such a call (the
end-of-call report of a call whose status update had made the lead, a later
Twilio status callback, a replay) found the call linked to no one and made a
new lead for the number: the deleted lead came back. The time of the unlink
marks the call as one a person chose to leave unlinked.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("call_logs") as table:
        table.add_column(sa.Column("unlinked_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    # Not in batch mode: SQLite's copy of the table cannot copy its generated search_text;
    # SQLite (3.35+) drops a plain column in place.
    op.drop_column("call_logs", "unlinked_at")
