"""call_logs.search_text: the customer's side of a call, not the business's own line

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 19:30:00

The calls list searched both numbers of every call, and one of them is always
the business's own line: for a business whose customers share its area code,
typing the first digits of a customer's number ("512", "512555") matched
every call until the number was nearly whole. The search column now holds the
customer's number (or, when the provider sent none that is valid, what stood
on the customer's side), beside the name and the provider's call id. A
generated column's expression cannot be altered before Postgres 17: it is
dropped and added again, which computes every row (as 0007 did).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CUSTOMER_SIDE = (
    "coalesce(customer_number, "
    "CASE WHEN direction = 'outbound' THEN to_number ELSE from_number END)"
)
SEARCHED = ("customer_name", "external_call_id", CUSTOMER_SIDE)
SEARCHED_BEFORE = (
    "customer_name",
    "external_call_id",
    "customer_number",
    "from_number",
    "to_number",
)


def _search_text(columns: Sequence[str]) -> None:
    expression = "search_fold(" + " || ' ' || ".join(f"coalesce({c}, '')" for c in columns) + ")"
    with op.batch_alter_table("call_logs") as batch:
        batch.drop_column("search_text")
    with op.batch_alter_table("call_logs") as batch:
        batch.add_column(
            sa.Column("search_text", sa.Text(), sa.Computed(expression, persisted=True))
        )


def upgrade() -> None:
    _search_text(SEARCHED)


def downgrade() -> None:
    _search_text(SEARCHED_BEFORE)
