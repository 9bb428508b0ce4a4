"""When an imported row was created, as the file says: its own export, spreadsheets, other CRMs.

A lead list kept for months holds each lead's date; stamped with the day of
the import instead, the whole list counted as new on the dashboard, and
"Oldest first" and the "Created" filter lost their meaning.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, datetime, time, timedelta

from crm_app.services.errors import InvalidInput

# Regions that write the month first (11/14/2026); everyone else writes the day first.
_MONTH_FIRST = frozenset({"US", "PH", "FM", "MH", "PW", "AS", "GU", "MP", "PR", "VI", "UM"})
# Day and month in the region's order, with slashes, dashes or dots (14.11.2026 in Germany).
_NUMERIC = ("%m/%d/%Y", "%m/%d/%y", "%m-%d-%Y", "%m.%d.%Y", "%m.%d.%y")
# Orders no one reads two ways: the year first, or the month in words.
_UNAMBIGUOUS = (
    "%Y/%m/%d",
    "%Y-%m-%d",  # with a time ISO 8601 does not take ("2026-11-14 9:05")
    "%b %d, %Y",  # Nov 14, 2026
    "%B %d, %Y",  # November 14, 2026
    "%b %d %Y",
    "%B %d %Y",
    "%d %b %Y",  # 14 Nov 2026
    "%d %B %Y",
    "%d-%b-%Y",  # 14-Nov-2026, as Excel writes it
    "%d-%b-%y",
)
_TIMES = ("", " %H:%M", " %H:%M:%S", " %I:%M %p", " %I:%M:%S %p")
# What a spreadsheet writes in a date cell it holds no date in (its day zero).
_NO_DATE = frozenset({"12/30/1899", "1899-12-30", "30/12/1899", "1/0/1900", "0/1/1900"})
# A date alone is taken at noon UTC: the same calendar day from UTC-11 to UTC+11, wherever
# the person reading the list is. So is a time without its zone: the business's own time
# zone is not known, and at noon the day cannot change.
_DATE_ONLY_AT = time(12, 0, tzinfo=UTC)
# A clock a little ahead is no reason to refuse a row made today.
_FUTURE_SLACK = timedelta(days=1)
_EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
# What the refusal offers, numbers in the region's order: an example it would refuse misleads.
EXAMPLES = {
    "month/day/year": "2026-11-14, 11/14/2026 or Nov 14, 2026",
    "day/month/year": "2026-11-14, 14/11/2026 or 14 Nov 2026",
}


def created_at_from(text: str, region: str, now: datetime) -> datetime | None:
    """The moment `text` names, aware; None for a spreadsheet's blank date; InvalidInput
    for anything else that is no date.

    ISO 8601 first (the CRM's own export, most CRMs): the moment, where it has
    its zone. Then numbers in the order the region writes them, always: a file
    read day-first in one row and month-first in the next would be wrong
    without a word. Then the year first, or the month in words.
    """
    value = " ".join(text.split())
    if value in _NO_DATE:
        return None
    numeric = _NUMERIC if region.upper() in _MONTH_FIRST else tuple(map(_day_first, _NUMERIC))
    moment = _iso(value) or _first_parsed(value, (*numeric, *_UNAMBIGUOUS))
    if moment is None:
        order = "month/day/year" if region.upper() in _MONTH_FIRST else "day/month/year"
        raise InvalidInput(
            {"created_at": f"not a date this import reads (use {EXAMPLES[order]}, {order})"}
        )
    if moment > now + _FUTURE_SLACK:
        raise InvalidInput({"created_at": "in the future"})
    if moment < _EARLIEST:
        raise InvalidInput({"created_at": "before 1900"})
    # Nothing is created ahead of now: today's date read at noon UTC was, all morning, and
    # the dashboard (which counts up to now) then disagreed with the list it links to.
    return min(moment, now)


# Any moment read is before this: the check below asks only whether a cell reads, not when.
_NO_LIMIT = datetime(9000, 1, 1, tzinfo=UTC)


# Day and month as numbers, either way round: the only cells that can read two ways.
_DAY_AND_MONTH = re.compile(r"\s*\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}\b")


def read_the_other_way(texts: Iterable[tuple[int, str]], region: str) -> tuple[int, str] | None:
    """The first (row, cell) of a date column that reads only with day and month the other
    way round from the region's order, when no cell reads only the region's way: the
    column is written the other way. None otherwise.

    Rows are read one by one in the region's order: in a day-first file read month
    first, "03/04/2025" went in as 4 March, silently, and "25/04/2025" was refused,
    too late for the rows before it. The import asks this of the whole column first.
    A column with cells proving each order is left to its rows, refused one by one.
    """
    other = "GB" if region.upper() in _MONTH_FIRST else "US"
    proof = None
    for row, text in texts:
        if not _DAY_AND_MONTH.match(text):  # blank, year first, words: read one way only
            continue
        reads_here, reads_there = _reads(text, region), _reads(text, other)
        if reads_here and not reads_there:
            return None
        if reads_there and not reads_here and proof is None:
            proof = (row, text.strip())
    return proof


def _reads(text: str, region: str) -> bool:
    try:
        created_at_from(text, region, _NO_LIMIT)
    except InvalidInput:
        return False
    return True


def date_order(region: str) -> str:
    """How the region writes numeric dates: "month/day/year" or "day/month/year"."""
    return "month/day/year" if region.upper() in _MONTH_FIRST else "day/month/year"


def _day_first(date_format: str) -> str:
    return date_format.replace("%m", "%M").replace("%d", "%m").replace("%M", "%d")


def _iso(value: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    if moment.tzinfo is None:
        return datetime.combine(moment.date(), _DATE_ONLY_AT)
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        # Past either end of what Python holds in UTC: 0001-01-01T00:00:00+01:00 (the
        # "no date" of .NET exports east of UTC), or 9999-12-31T23:00:00-05:00.
        raise InvalidInput(
            {"created_at": "before 1900" if moment.year < 1900 else "in the future"}
        ) from None


def _first_parsed(value: str, date_formats: tuple[str, ...]) -> datetime | None:
    for date_format in date_formats:
        for clock in _TIMES:
            try:
                moment = datetime.strptime(value, date_format + clock)
            except ValueError:
                continue
            return datetime.combine(moment.date(), _DATE_ONLY_AT)
    return None
