"""When an imported row was created, as the file says: its own export, spreadsheets, other CRMs.

A lead list kept for months holds each lead's date; stamped with the day of
the import instead, the whole list counted as new on the dashboard, and
"Oldest first" and the "Created" filter lost their meaning.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from crm_app.services.errors import InvalidInput

# Regions that write the month first (11/14/2026); everyone else writes the day first.
_MONTH_FIRST = frozenset({"US", "PH", "FM", "MH", "PW", "AS", "GU", "MP", "PR", "VI", "UM"})
_DATE_FORMATS = (
    "%b %d, %Y",  # Nov 14, 2026
    "%B %d, %Y",  # November 14, 2026
    "%d %b %Y",  # 14 Nov 2026
    "%d %B %Y",
    "%b %d %Y",
    "%B %d %Y",
)
_SLASHED = ("%m/%d/%Y", "%m/%d/%y", "%m-%d-%Y")
_TIMES = ("", " %H:%M", " %H:%M:%S", " %I:%M %p", " %I:%M:%S %p")
# A date alone is taken at noon UTC: the same calendar day from UTC-11 to UTC+11, wherever
# the person reading the list is.
_DATE_ONLY_AT = time(12, 0, tzinfo=UTC)
# A clock a little ahead is no reason to refuse a row made today.
_FUTURE_SLACK = timedelta(days=1)
_EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
EXAMPLES = "2026-11-14, 11/14/2026 or Nov 14, 2026"


def created_at_from(text: str, region: str, now: datetime) -> datetime:
    """The moment `text` names, aware (UTC where it names no zone); InvalidInput otherwise.

    ISO 8601 first (the CRM's own export, most CRMs); then day/month/year with
    slashes in the order the region writes them (a day over 12 settles it);
    then with the month in words. Spreadsheet times ("11/14/2026 9:05 AM") are
    kept.
    """
    value = " ".join(text.split())
    moment = _iso(value) or _slashed(value, region) or _worded(value)
    if moment is None:
        raise InvalidInput({"created_at": f"not a date this import reads (use {EXAMPLES})"})
    if moment > now + _FUTURE_SLACK:
        raise InvalidInput({"created_at": "in the future"})
    if moment < _EARLIEST:
        raise InvalidInput({"created_at": "before 1900"})
    return moment


def _aware(moment: datetime, has_time: bool) -> datetime:
    if not has_time:
        return datetime.combine(moment.date(), _DATE_ONLY_AT)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _iso(value: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return _aware(moment.astimezone(UTC) if moment.tzinfo else moment, len(value) > 10)


def _slashed(value: str, region: str) -> datetime | None:
    for date_format in _SLASHED:
        if region.upper() not in _MONTH_FIRST:
            date_format = _swapped(date_format)  # the day first, as the region writes it
        moment = _parsed(value, date_format) or _parsed(value, _swapped(date_format))
        if moment is not None:
            return moment
    return None


def _swapped(date_format: str) -> str:
    """The other order, for a date whose first number cannot be a month (14/11/2026)."""
    return date_format.replace("%m", "%M").replace("%d", "%m").replace("%M", "%d")


def _worded(value: str) -> datetime | None:
    return next((moment for f in _DATE_FORMATS if (moment := _parsed(value, f)) is not None), None)


def _parsed(value: str, date_format: str) -> datetime | None:
    for clock in _TIMES:
        try:
            moment = datetime.strptime(value, date_format + clock)
        except ValueError:
            continue
        return _aware(moment, bool(clock))
    return None
