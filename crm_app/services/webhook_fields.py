"""Reading one field of a provider's payload into a value a column can hold.

Payloads come from outside: any field may be missing, of another type, huge,
or full of control characters. Each reader returns a value that fits its
column, or None (or "") when the field cannot be used, so one odd field never
loses the rest of an event.
"""

from __future__ import annotations

import functools
import math
import re
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from email.utils import parsedate_to_datetime
from typing import Any

from crm_app.core.config import get_settings
from crm_app.services.errors import InvalidInput
from crm_app.services.phones import normalize_phone
from crm_app.services.webhook_payloads import storable_text

INT32_MAX = 2**31 - 1
# No provider keeps a call up longer than a day (Twilio's own limit is 24 hours):
# a longer "duration" comes from a wrong timestamp, and would skew every average.
MAX_CALL_SECONDS = 24 * 60 * 60
# Control characters other than tab, line feed and carriage return.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_MAX_MONEY = Decimal("99999999.9999")  # Numeric(12, 4)
_FOUR_PLACES = Decimal("0.0001")
# Epoch values above this are milliseconds (1e11 seconds is the year 5138).
_MILLISECONDS_FROM = 1e11
_EARLIEST, _LATEST = datetime(1970, 1, 1, tzinfo=UTC), datetime(9999, 1, 1, tzinfo=UTC)


def get_path(data: Any, *keys: str) -> Any:
    """data[k1][k2]... or None as soon as a step is missing or not an object."""
    for key in keys:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def text(value: Any, max_length: int) -> str:
    """Printable text of at most max_length characters ("" for objects, lists and None)."""
    if isinstance(value, bool) or value is None or isinstance(value, dict | list):
        return ""
    cleaned = _CONTROL.sub("", storable_text(str(value))).strip()
    return cleaned[:max_length]


def optional_text(value: Any, max_length: int) -> str | None:
    """text(), with None where there is nothing."""
    return text(value, max_length) or None


def identifier(value: Any, max_length: int) -> str | None:
    """An id as given (a string or an integer), or None when missing or longer than allowed.

    Ids are never truncated: two long ids sharing a prefix would become one.
    """
    if isinstance(value, bool) or not isinstance(value, str | int):
        return None
    cleaned = text(value, max_length + 1)
    return cleaned if cleaned and len(cleaned) <= max_length else None


def bounded_int(value: Any, low: int = 0, high: int = INT32_MAX) -> int | None:
    """An integer (or numeric string) within [low, high], else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        value = value.strip()
        if not re.fullmatch(r"-?\d{1,12}", value):
            return None
        value = int(value)
    if isinstance(value, float):
        if not math.isfinite(value) or value != int(value):
            return None
        value = int(value)
    if not isinstance(value, int) or not low <= value <= high:
        return None
    return value


def money(value: Any) -> Decimal | None:
    """A non-negative amount with four decimal places that fits Numeric(12, 4), else None."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        amount = Decimal(str(value).strip()[:40])
    except InvalidOperation:
        return None
    if not amount.is_finite() or not Decimal(0) <= amount <= _MAX_MONEY:
        return None
    return amount.quantize(_FOUR_PLACES)


def timestamp(value: Any) -> datetime | None:
    """A UTC datetime from ISO 8601, RFC 2822 (Twilio) or epoch seconds/milliseconds."""
    moment: datetime | None = None
    if isinstance(value, int | float) and not isinstance(value, bool):
        try:
            seconds = float(value)
        except OverflowError:  # JSON's integers have no bound; a float has
            return None
        moment = _from_epoch(seconds)
    elif isinstance(value, str) and 0 < len(value) <= 64:
        moment = _from_string(value.strip())
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    try:
        moment = moment.astimezone(UTC)
    except OverflowError:  # 9999-12-31T23:59-12:00 is past the last moment Python can hold
        return None
    return moment if _EARLIEST <= moment < _LATEST else None


def _from_epoch(seconds: float) -> datetime | None:
    if not math.isfinite(seconds) or seconds < 0:
        return None
    if seconds >= _MILLISECONDS_FROM:
        seconds /= 1000
    try:
        return datetime.fromtimestamp(seconds, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None


def _from_string(value: str) -> datetime | None:
    # Epoch seconds or milliseconds sent as text, as a Make template writes formatDate(...;
    # "X") between quotes: 9 to 13 digits, never an ISO date (which has 8 at most).
    if re.fullmatch(r"\d{9,13}(\.\d+)?", value):
        return _from_epoch(float(value))
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        pass
    try:
        return parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def http_url(value: Any, max_length: int = 2000) -> str | None:
    """An http(s) URL without spaces or control characters, else None (never javascript:)."""
    if not isinstance(value, str) or len(value) > max_length:
        return None
    url = value.strip()
    if not re.fullmatch(r"https?://[^\s\x00-\x1f\x7f<>\"']+", url, flags=re.IGNORECASE):
        return None
    return url


def phone_number(value: Any) -> str | None:
    """A phone number in E.164 (the user's default region for national numbers), else None."""
    if not isinstance(value, str | int) or isinstance(value, bool):
        return None
    return _e164(str(value)[:60], get_settings().default_phone_region)


# Parsing a number costs ~0.1 ms and every call report carries the same few
# (the assistant's own number on each): a pure function, so remembered.
@functools.lru_cache(maxsize=4096)
def _e164(value: str, region: str) -> str | None:
    try:
        return normalize_phone(value, region)
    except InvalidInput:
        return None


def short_number(value: Any, max_length: int = 20) -> str | None:
    """A number as E.164 when it is one, else the text as given if it fits ("client:ann")."""
    return phone_number(value) or optional_text(value, max_length)
