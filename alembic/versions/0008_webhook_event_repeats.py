"""webhook_events.repeats: a flood of rejected or duplicate requests is counted, not stored row by row

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 08:00:00

Every request left a row. A leaked webhook URL sent forged requests, or a
captured Twilio request replayed (its signature has no timestamp), could add
rows as fast as the server answered: hundreds a second, burying the trail a
person reads to find what went wrong, and growing the table without bound.
Past a few such rows for a provider in ten minutes, a repeat of one of them
is counted on it (`repeats`, `last_repeated_at`). A partial index finds a
provider's recent rejected and duplicate rows without reading its accepted
ones. Existing rows get 0 repeats. On Postgres the index is built CONCURRENTLY.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEX = "ix_webhook_events_user_id_provider_received_at_noise"
NOISE = sa.text("status IN ('rejected', 'duplicate')")


def upgrade() -> None:
    columns = ["user_id", "provider", "received_at"]
    if op.get_bind().dialect.name != "postgresql":
        with op.batch_alter_table("webhook_events") as table:
            table.add_column(sa.Column("repeats", sa.Integer(), nullable=False, server_default="0"))
            table.add_column(sa.Column("last_repeated_at", sa.DateTime(timezone=True)))
        op.create_index(INDEX, "webhook_events", columns, sqlite_where=NOISE)
        return
    # On Postgres without locking out writes: webhook_events is the largest table, and a
    # plain CREATE INDEX would hold every webhook for as long as it took. The columns are
    # committed before the index is built (_build_index_concurrently), so a run stopped
    # there finds them on the next: added only if missing.
    op.execute(
        "ALTER TABLE webhook_events"
        " ADD COLUMN IF NOT EXISTS repeats INTEGER DEFAULT '0' NOT NULL,"
        " ADD COLUMN IF NOT EXISTS last_repeated_at TIMESTAMP WITH TIME ZONE"
    )
    _build_index_concurrently(INDEX, "webhook_events", columns, where=NOISE)


def downgrade() -> None:
    op.drop_index(INDEX, table_name="webhook_events")
    with op.batch_alter_table("webhook_events") as table:
        table.drop_column("last_repeated_at")
        table.drop_column("repeats")


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
