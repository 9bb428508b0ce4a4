"""Reading one field of a provider's payload: a value that fits its column, or nothing."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from crm_app.services.webhook_fields import (
    INT32_MAX,
    bounded_int,
    get_path,
    http_url,
    identifier,
    money,
    phone_number,
    short_number,
    text,
    timestamp,
)


def test_get_path_stops_at_anything_that_is_not_an_object():
    assert get_path({"a": {"b": 1}}, "a", "b") == 1
    assert get_path({"a": [1]}, "a", "b") is None
    assert get_path(None, "a") is None


def test_text_strips_control_characters_and_cuts_to_length():
    assert text("  Ada\x00\x07 <script>\n  ", 100) == "Ada <script>"
    assert text("x" * 500, 200) == "x" * 200
    assert text(12, 10) == "12"
    assert (text(True, 5), text({"a": 1}, 5), text(None, 5)) == ("", "", "")


def test_identifiers_are_never_cut_short():
    assert identifier("call-1", 100) == "call-1"
    assert identifier(4242, 100) == "4242"
    assert identifier("x" * 101, 100) is None
    assert identifier(True, 100) is None
    assert identifier({"id": 1}, 100) is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (42, 42),
        ("42", 42),
        (42.0, 42),
        (42.5, None),
        (-1, None),
        (INT32_MAX + 1, None),
        (10**40, None),
        ("9" * 40, None),
        (True, None),
        (float("inf"), None),
        ("4 2", None),
    ],
)
def test_bounded_int(value, expected):
    assert bounded_int(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0.1234, Decimal("0.1234")),
        ("1.5", Decimal("1.5000")),
        (1e308, None),
        (-0.01, None),
        ("NaN", None),
        ("abc", None),
        (True, None),
    ],
)
def test_money(value, expected):
    assert money(value) == expected


def test_timestamps_from_iso_rfc2822_and_epoch_seconds_or_milliseconds():
    moment = datetime(2026, 3, 2, 14, 0, 5, tzinfo=UTC)
    assert timestamp("2026-03-02T14:00:05Z") == moment
    assert timestamp("2026-03-02T15:00:05+01:00") == moment
    assert timestamp("2026-03-02T14:00:05") == moment  # naive means UTC
    assert timestamp("Mon, 02 Mar 2026 14:00:05 +0000") == moment
    assert timestamp(moment.timestamp()) == moment
    assert timestamp(moment.timestamp() * 1000) == moment
    # As text too (a Make template's formatDate(now; "X") between quotes), not read as ISO.
    assert timestamp(str(int(moment.timestamp()))) == moment
    assert timestamp(f" {int(moment.timestamp() * 1000)} ") == moment
    assert timestamp(f"{int(moment.timestamp())}.0") == moment
    assert timestamp("20260302") == datetime(2026, 3, 2, tzinfo=UTC)  # ISO's basic date
    # 10**400: JSON's integers have no bound, and no float holds that one.
    for garbage in ("yesterday", "", 1e300, -5, "9" * 100, None, True, [1], 10**400, -(10**400)):
        assert timestamp(garbage) is None


def test_only_http_urls_are_kept():
    assert http_url("https://storage.vapi.ai/a.wav") == "https://storage.vapi.ai/a.wav"
    for bad in (
        "javascript:alert(1)",
        "https://x/<script>",
        "ftp://x",
        "https://x/" + "a" * 2000,
        5,
    ):
        assert http_url(bad) is None


def test_phone_numbers_become_e164_or_nothing():
    assert phone_number("(415) 555-0123") == "+14155550123"
    assert phone_number("+44 20 7946 0958") == "+442079460958"
    assert phone_number("not a number") is None
    assert phone_number("1" * 500) is None
    assert short_number("client:ann") == "client:ann"
    assert short_number("sip:" + "a" * 50) == "sip:" + "a" * 16
