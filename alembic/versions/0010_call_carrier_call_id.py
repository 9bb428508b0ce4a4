"""call_logs.carrier_call_id: a Vapi call over a Twilio number is one call, not two

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 08:20:00

A business whose Vapi assistant answers its Twilio number, and which points
that number's status callbacks here too, had every call logged twice: once
from Vapi's messages, once from Twilio's callbacks, both counted on the
dashboard. Vapi names the Twilio call (`call.phoneCallProviderId`, the
CallSid); stored with the Vapi call, it lets Twilio's callbacks find it.
Indexed by user, as a Twilio callback looks it up (CONCURRENTLY on Postgres).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEX = "ix_call_logs_user_id_carrier_call_id"


def upgrade() -> None:
    columns = ["user_id", "carrier_call_id"]
    if op.get_bind().dialect.name != "postgresql":
        with op.batch_alter_table("call_logs") as table:
            table.add_column(sa.Column("carrier_call_id", sa.String(length=100), nullable=True))
        op.create_index(INDEX, "call_logs", columns)
        return
    # On Postgres without locking out writes (webhooks write call_logs). The column is
    # committed before the index is built (_build_index_concurrently), so a run stopped
    # there finds it on the next: added only if missing.
    op.execute("ALTER TABLE call_logs ADD COLUMN IF NOT EXISTS carrier_call_id VARCHAR(100)")
    _build_index_concurrently(INDEX, "call_logs", columns)


def downgrade() -> None:
    op.drop_index(INDEX, table_name="call_logs")
    # Not in batch mode: SQLite's copy of the table cannot copy its generated search_text;
    # SQLite (3.35+) drops a plain column in place.
    op.drop_column("call_logs", "carrier_call_id")


# Whether the schema's index of this name was left invalid (None: there is none).
_INVALID_INDEX = sa.text(
    "SELECT NOT i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
    "WHERE c.relname = :name AND c.relnamespace = current_schema()::regnamespace"
)


def _build_index_concurrently(
    name: str, table: str, columns: list[str], where: sa.TextClause | None = None
) -> None:
    """CREATE INDEX CONCURRENTLY, resumable (here, not imported: a migration is a snapshot).

    CONCURRENTLY cannot run in a transaction: what the migration did before is
    committed first (autocommit_block), while the revision is not yet stamped. A
    build interrupted (Ctrl-C, a timeout, a lost connection) leaves an INVALID
    index of this name, and the next run starts the migration again from its
    first step: those steps can be repeated, and the leftover is dropped first.
    """
    with op.get_context().autocommit_block():
        if op.get_bind().execute(_INVALID_INDEX, {"name": name}).scalar():
            op.drop_index(name, table_name=table, postgresql_concurrently=True)
        op.create_index(
            name,
            table,
            columns,
            postgresql_where=where,
            postgresql_concurrently=True,
            if_not_exists=True,
        )
