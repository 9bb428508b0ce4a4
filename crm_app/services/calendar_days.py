"""Periods of calendar days in the viewer's time zone: what "the last 7 days" means on every page.

The dashboard's figures and the lists' "Last N days" filters use the same
days: today (in the viewer's zone) and the N - 1 before it, from local
midnight. A rolling window of N x 24 hours would differ from the dashboard's
count by up to a day of rows, and a person following a figure to its list
would see another number.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

MAX_OFFSET_MINUTES = 14 * 60  # UTC-12 .. UTC+14
# What an IANA name looks like ("UTC", "America/Argentina/Buenos_Aires", "Etc/GMT+5").
_ZONE_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_+\-]{0,30}(?:/[A-Za-z0-9_+\-]{1,30}){0,2}")


def viewer_time_zone(name: Any = None, utc_offset_minutes: Any = None) -> tzinfo:
    """The viewer's zone from what a browser sent: a known IANA name, else its UTC offset, else UTC.

    Both come from the client: the name is only ever looked up, never put into SQL.
    """
    if isinstance(name, str) and _ZONE_NAME.fullmatch(name):
        try:
            return ZoneInfo(name)
        except (ValueError, KeyError, OSError):  # unknown, or not a zone file
            pass
    offset = utc_offset_minutes
    if type(offset) is int and abs(offset) <= MAX_OFFSET_MINUTES:  # not a bool, str or float
        return timezone(timedelta(minutes=offset))
    return UTC


def local_midnight(day: date, zone: tzinfo) -> datetime:
    """The first instant of a calendar day in the zone, in UTC (DST-aware)."""
    # Where midnight falls in a DST gap, fold=0 gives the instant the day begins.
    return datetime.combine(day, time(), tzinfo=zone).astimezone(UTC)


def first_day(end: datetime, days: int, zone: tzinfo) -> date:
    """The first of `days` calendar days in the zone that end with end's day (today)."""
    return end.astimezone(zone).date() - timedelta(days=days - 1)


def period_start(*, days: int, now: datetime, time_zone: tzinfo) -> datetime:
    """When a period of `days` calendar days ending today (in the zone) began, in UTC."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware (UTC)")
    return local_midnight(first_day(now, days, time_zone), time_zone)
