"""A lead's source is free text, and "Yelp" and "yelp" are one source.

Each lead keeps its source as it was typed or sent; sources are told apart
without regard to case when they are counted, listed or filtered on. That is
done on read: a canonical spelling on write would cost a scan of the tenant's
leads for every new lead (no index serves `lower(source)` under row-level
security), and leads already stored would keep theirs anyway.

The database lowers both sides of every comparison and the counts' keys, so a
dashboard bar and the list it links to count the same leads (on SQLite, lower()
is the app's own Unicode one: core/db.py).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from sqlmodel import func


def source_is(column: Any, source: str) -> sa.ColumnElement[bool]:
    """The rows whose source is this one, whatever the case of either."""
    return func.lower(column) == func.lower(source.strip())


def merge_spellings(counts: Iterable[tuple[str, str, int]]) -> dict[str, int]:
    """Counts by (source, lowered source) as one count per source, most leads first.

    Each is named by its most used spelling (on a tie, the first alphabetically),
    which is also the spelling its link filters on.
    """
    totals: Counter[str] = Counter()
    spellings: dict[str, Counter[str]] = {}
    for source, lowered, count in counts:
        totals[lowered] += count
        spellings.setdefault(lowered, Counter())[source] += count
    named = {
        min(spellings[key].items(), key=lambda item: (-item[1], item[0]))[0]: total
        for key, total in totals.items()
    }
    return dict(sorted(named.items(), key=lambda item: (-item[1], item[0])))
