"""indexes for a lead's or contact's automation runs

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 22:15:00

Timelines look up a lead's or contact's runs by (user_id, lead_id) and
(user_id, contact_id); call_logs and activities already had such indexes.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    for column in ("lead_id", "contact_id"):
        op.create_index(
            f"ix_automation_logs_user_id_{column}", "automation_logs", ["user_id", column]
        )


def downgrade() -> None:
    for column in ("lead_id", "contact_id"):
        op.drop_index(f"ix_automation_logs_user_id_{column}", table_name="automation_logs")
