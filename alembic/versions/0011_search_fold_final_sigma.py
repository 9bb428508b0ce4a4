"""search_fold takes Greek's final sigma to σ, so "ΠΑΠΑΣ" finds "Παπάς" on Postgres too

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 11:40:00

Postgres lower-cases Σ to σ wherever it stands; Python (the search term,
and SQLite's search_fold) writes ς at the end of a word, as people type it.
A name stored in capitals was stored as "παπασ" and searched for as "παπας":
never found. search_fold now ends with σ for both (core/search_fold.py
does the same on SQLite). Only rows whose stored search text holds a ς
change; they are written again (SET name = name), which recomputes the
generated column, without rewriting the tables. The tables force row-level
security even on their owner, who runs this: lifted for the update only,
inside this migration's transaction.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Each table with a generated search_text, and a column it is computed from.
SEARCHED = {"leads": "name", "contacts": "name", "call_logs": "customer_name"}
FOLD = """
CREATE OR REPLACE FUNCTION public.search_fold(text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$ SELECT {body} $$
"""
UNACCENTED = "lower(public.unaccent('public.unaccent'::regdictionary, $1))"


def _recompute_rows_holding(letter: str) -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for table, column in SEARCHED.items():
        if postgres:
            op.execute(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY")
        op.execute(f"UPDATE {table} SET {column} = {column} WHERE search_text LIKE '%{letter}%'")
        if postgres:
            op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(FOLD.format(body=f"translate({UNACCENTED}, 'ς', 'σ')"))
    _recompute_rows_holding("ς")


def downgrade() -> None:
    # On SQLite search_fold is the app's own Python: it folds as the code running does.
    if op.get_bind().dialect.name == "postgresql":
        op.execute(FOLD.format(body=UNACCENTED))
        _recompute_rows_holding("σ")
