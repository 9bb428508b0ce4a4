"""Text as list searches compare it: lower case, with accents and other marks taken off.

"muller" finds "Müller", "emile" finds "Émile", "lodz" finds "Łódź". The
stored search column and the search term go through the same function in the
database: on Postgres `search_fold`, a wrapper of the `unaccent` extension
(migration 0006); on SQLite, `fold` below, which the app's connections define
under that name (core/db.py) and which takes off what `unaccent` does.
"""

from __future__ import annotations

import unicodedata

# The SQL function both databases know (a Postgres function, an SQLite one per connection).
SQL_FUNCTION = "search_fold"
# Greek's word-final sigma: Python lower-cases a final Σ to ς, Postgres always to σ, and
# people type either; folded to σ everywhere, "ΠΑΠΑΣ", "παπας" and "Παπάς" are one word.
FINAL_SIGMA, SIGMA = "ς", "σ"
# Letters that do not decompose into a base letter and a mark, which unaccent's
# rules still map to plain letters.
_PLAIN = str.maketrans(
    {
        "Ø": "O",
        "ø": "o",
        "Ł": "L",
        "ł": "l",
        "Đ": "D",
        "đ": "d",
        "Ħ": "H",
        "ħ": "h",
        "ı": "i",
        "ß": "ss",
        "Æ": "AE",
        "æ": "ae",
        "Œ": "OE",
        "œ": "oe",
        "Þ": "TH",
        "þ": "th",
    }
)


def fold(value: object) -> str | None:
    """The value lower-cased, marks removed, as search_fold does in SQL (None stays None)."""
    if value is None:
        return None
    decomposed = unicodedata.normalize("NFKD", str(value).translate(_PLAIN))
    folded = "".join(char for char in decomposed if not unicodedata.combining(char)).lower()
    return folded.replace(FINAL_SIGMA, SIGMA)
