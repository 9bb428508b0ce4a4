"""search_text folded: accents and other marks taken off, so "muller" finds "Müller"

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06 01:40:00

The stored search column becomes search_fold(...) of the same columns, and
list searches fold their term with the same function (core/search_fold.py).
On Postgres search_fold wraps the `unaccent` extension (trusted since
Postgres 13: the database's owner may create it) in an IMMUTABLE function,
which a generated column needs; SQLite's connections define it in Python.
A generated column's expression cannot be altered in place: it is dropped
and added again, which recomputes every row.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SEARCHED = {
    "leads": ("name", "email", "phone"),
    "contacts": ("name", "email", "phone", "company"),
}
# Schema-qualified, so neither the function nor a generated column depends on search_path.
FOLD_FUNCTION = """
CREATE OR REPLACE FUNCTION public.search_fold(text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$ SELECT lower(public.unaccent('public.unaccent'::regdictionary, $1)) $$
"""


def _expression(function: str, columns: tuple[str, ...]) -> str:
    return f"{function}(" + " || ' ' || ".join(f"coalesce({c}, '')" for c in columns) + ")"


def _recompute(function: str) -> None:
    for table, columns in SEARCHED.items():
        with op.batch_alter_table(table) as batch:
            batch.drop_column("search_text")
        computed = sa.Computed(_expression(function, columns), persisted=True)
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("search_text", sa.Text(), computed))


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS unaccent SCHEMA public")
        op.execute(FOLD_FUNCTION)
    _recompute("search_fold")


def downgrade() -> None:
    _recompute("lower")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS public.search_fold(text)")
