"""One page of a list, and the search, sort and date filters every list query shares."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement
from sqlmodel import Session, func
from sqlmodel.sql.expression import SelectOfScalar

from crm_app.core import search_fold
from crm_app.core.config import get_settings
from crm_app.services.errors import InvalidInput, without_misleading
from crm_app.services.phones import as_international_digits, international_start

T = TypeVar("T")

MAX_PAGE_SIZE = 200
_MAX_SEARCH_LENGTH = 200
# A search made only of these characters may be a phone number typed any which way.
_PHONE_LIKE = re.compile(r"^[\d\s+().\-]+$")
# A search of more words than this is matched as a phrase only (_every_word).
_MAX_WORDS = 6


@dataclass(frozen=True)
class Page(Generic[T]):
    """The rows of one page, and how many rows match in all."""

    items: list[T]
    total: int
    offset: int
    limit: int

    @property
    def has_more(self) -> bool:
        return self.offset + len(self.items) < self.total


def paginate(session: Session, statement: SelectOfScalar[T], *, offset: int, limit: int) -> Page[T]:
    """One page of a statement's rows and their total, both in SQL; limit clamped to 1..200."""
    offset, limit = max(0, int(offset)), max(1, min(int(limit), MAX_PAGE_SIZE))
    items = list(session.exec(statement.offset(offset).limit(limit)).all())
    if offset == 0 and len(items) < limit:
        return Page(items=items, total=len(items), offset=offset, limit=limit)
    # count(*) over the same FROM and WHERE, not over a subquery of every
    # column: Postgres can then answer from an index led by user_id alone.
    counted = statement.order_by(None).with_only_columns(func.count(), maintain_column_froms=True)
    return Page(items=items, total=session.exec(counted).one(), offset=offset, limit=limit)


def _search_term(search: str | None) -> str:
    """What to look for: no stored text holds a control character or half a character
    (errors.without_misleading), and Postgres refuses a NUL or a lone surrogate in a query."""
    return without_misleading(search or "").strip()[:_MAX_SEARCH_LENGTH]


def search_filter(
    search: str | None, columns: Sequence[Any], phone_columns: Sequence[Any] = ()
) -> sa.ColumnElement[bool] | None:
    """Case-insensitive substring match on any of the columns (None for a blank search).

    A search that looks like a phone number also matches its digits inside the
    stored E.164 numbers, so "(415) 555-2671" finds "+14155552671".
    """
    term = _search_term(search)
    if not term:
        return None
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    matches = [column.ilike(f"%{escaped}%", escape="\\") for column in (*columns, *phone_columns)]
    digits = re.sub(r"\D", "", term)
    if phone_columns and len(digits) >= 3 and _PHONE_LIKE.match(term):
        matches += [column.like(f"%{digits}%") for column in phone_columns]
    return sa.or_(*matches)


def search_text_filter(
    search: str | None, column: Any, *phone_columns: Any
) -> sa.ColumnElement[bool] | None:
    """A substring match on a generated, folded search column (None for a blank search);
    for a few words (not a phone number), also each word at the start of a word, in any order.

    One LIKE over one column: under row-level security no index can serve a
    substring search, so the cost per row is what matters. A search that looks
    like a phone number typed with separators ("(415) 555-2671") also matches
    its digits inside the stored E.164 numbers. Those are matched in the phone
    columns, a dozen characters each, not in the search text, where every digit of
    every row's number starts a partial match: on the largest tenant that
    LIKE cost as much as the rest of the query.
    """
    term = _search_term(search).lower()
    if not term:
        return None
    phrase = column.like(_folded_pattern(f"%{_escaped(term)}%"), escape="\\")
    # "smith, john" as "smith" and "john": a word's punctuation at its ends is the way it
    # was written, not part of the name ("Smith," was in no "John Smith").
    words = [word for word in (part.strip(_WORD_EDGES) for part in term.split()) if word]
    if 1 < len(words) <= _MAX_WORDS and not _PHONE_LIKE.match(term):
        return _every_word(column, words, phrase)
    matches = [phrase]
    if len(words) == 1 and words[0] != term:  # "smith," typed on the way to "smith, john"
        matches.append(column.like(_folded_pattern(f"%{_escaped(words[0])}%"), escape="\\"))
    if _PHONE_LIKE.match(term):
        matches += [
            phone_column.like(pattern)
            for pattern in _phone_patterns(term)
            for phone_column in phone_columns
        ]
    return sa.or_(*matches)


_WORD_EDGES = ",;:.!?()[]\"'"


def _every_word(column: Any, words: list[str], phrase: Any) -> sa.ColumnElement[bool]:
    """Rows with the phrase as typed, or with every word at the start of a word, in any
    order: "hank miller" finds "Hank J. Miller" and "Miller, Hank", where the phrase is in
    neither, and "jane watson" still finds "Mary-Jane Watson". At a word's start, not
    anywhere, so that "josé n" does not find "Josephine Baker"; an email's domain starts
    after its "@" ("hank acme"), and digits are found inside a number ("hank 2671"), as a
    search of the digits alone finds them.

    Either way every word is somewhere in the row, which one plain LIKE a word checks
    first, the longest word first: it is the likeliest to fail, and most rows are done
    after that one LIKE, as for a search of one word (a search costs its LIKEs per row).
    """
    longest_first = sorted(words, key=len, reverse=True)
    anywhere = [
        column.like(_folded_pattern(f"%{_escaped(word)}%"), escape="\\") for word in longest_first
    ]
    spaced = sa.literal(" ", type_=sa.Text).concat(column)
    starts = [
        sa.or_(
            spaced.like(_folded_pattern(f"% {_escaped(word)}%"), escape="\\"),
            column.like(_folded_pattern(f"%@{_escaped(word)}%"), escape="\\"),
        )
        for word in longest_first
        if not word.isdigit()
    ]
    if not starts:
        return sa.and_(*anywhere)
    return sa.and_(*anywhere, sa.or_(phrase, sa.and_(*starts)))


def _escaped(text: str) -> str:
    """text with LIKE's wildcards and its escape character taken literally."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _folded_pattern(pattern: str) -> Any:
    # Folded by the database's own search_fold, as the stored column was (the
    # wildcards and the escape character have no marks to lose).
    return getattr(sa.func, search_fold.SQL_FUNCTION)(pattern, type_=sa.Text)


def _phone_patterns(term: str) -> list[str]:
    """LIKE patterns for stored E.164 numbers, for a search shaped like a number.

    Its digits as typed when separators hid them from the search text
    ("(415) 555-2671"); for a whole number typed the local way, its
    international digits: "020 7946 0958" in the UK is stored as +442079460958,
    without the 0 that the digits as typed begin with; and for the start of one,
    the numbers that begin so: "0161 496" finds +441614960000, and "0800" no
    number with 44800 further in.
    """
    region = get_settings().default_phone_region
    digits = re.sub(r"\D", "", term)
    found = [digits] if len(digits) >= 3 and digits != term else []
    whole = as_international_digits(term, region)
    if whole and whole not in found and whole != term.lstrip("+"):
        found.append(whole)
    patterns = [f"%{digits}%" for digits in found]
    start = international_start(term, region)
    if start and start != whole:
        patterns.append(f"+{start}%")
    return patterns


def date_filters(
    column: Any, start: datetime | None, end: datetime | None
) -> list[sa.ColumnElement[bool]]:
    """start <= column < end, for whichever bounds are given (timezone-aware only)."""
    conditions = []
    for name, bound in (("created_from", start), ("created_to", end)):
        if bound is not None and bound.tzinfo is None:
            raise InvalidInput({name: "needs a timezone (use UTC)"})
    if start is not None:
        conditions.append(column >= start)
    if end is not None:
        conditions.append(column < end)
    return conditions


# ICU's root collation: every PostgreSQL built with ICU has it (`python -m crm_app check`).
SORT_COLLATION = "und-x-icu"


class alphabetical(FunctionElement[str]):  # noqa: N801 (a SQL function, named like one)
    """A text column as people expect it sorted: "Ángel" beside "Angel", case ignored, and
    blank values after all others (stored as "", which NULLS LAST alone would not move)."""

    type = sa.String()
    inherit_cache = True


@compiles(alphabetical)
def _alphabetical(element: alphabetical, compiler: Any, **kw: Any) -> str:
    # SQLite compares by code point, Á after z: the key is the folded text (core/search_fold).
    column = compiler.process(element.clauses, **kw)
    return f"NULLIF({search_fold.SQL_FUNCTION}({column}), '')"


@compiles(alphabetical, "postgresql")
def _alphabetical_on_postgres(element: alphabetical, compiler: Any, **kw: Any) -> str:
    # ICU's root collation orders accented letters with their base letter at about the cost
    # of lower() alone; search_fold for every row made a 100,000-row sort four times slower.
    column = compiler.process(element.clauses, **kw)
    return f"NULLIF(lower({column}), '') COLLATE \"{SORT_COLLATION}\""


def sort_order(
    sortable: Mapping[str, Any],
    sort: str,
    descending: bool,
    tiebreaker: Any,
    newest: Any = None,
) -> list[sa.ColumnElement[Any]]:
    """ORDER BY one whitelisted column (NULLs last), then, among equals, the newest first
    (`newest`: the creation time), then a unique column for stable pages.

    Without the newest first, calls of equal length or cost (every Twilio call
    has no cost) came in the order of their random ids.
    """
    column = sortable.get(sort)
    if column is None:
        raise InvalidInput({"sort": f"sort by one of: {', '.join(sortable)}"})
    ordered = column.desc() if descending else column.asc()
    # NULLS LAST only where NULLs can occur: on a NOT NULL column it would stop
    # Postgres from reading the (user_id, column) index in order.
    if getattr(getattr(column, "expression", column), "nullable", True):
        ordered = ordered.nulls_last()
    among_equals = [] if newest is None or column is newest else [newest.desc()]
    return [ordered, *among_equals, tiebreaker.desc() if descending else tiebreaker.asc()]
