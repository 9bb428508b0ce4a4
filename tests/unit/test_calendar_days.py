"""Calendar days in the viewer's zone: the zone a browser sent, and where a period starts."""

from __future__ import annotations

import zoneinfo
from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from crm_app.services.calendar_days import period_start, viewer_time_zone


@pytest.mark.parametrize(
    "name", ["America/Los_Angeles", "Europe/Berlin", "UTC", "Etc/GMT+5", "America/Argentina/Salta"]
)
def test_a_known_iana_name_is_that_zone(name) -> None:
    assert viewer_time_zone(name, 0) == ZoneInfo(name)


def test_a_known_name_wins_over_the_offset_so_past_dates_get_their_own_offset() -> None:
    zone = viewer_time_zone("America/Los_Angeles", -480)  # sent in winter
    summer = datetime(2026, 10, 20, 7, 30, tzinfo=UTC)
    assert summer.astimezone(zone).isoformat() == "2026-10-20T00:30:00-07:00"


@pytest.mark.parametrize(
    "name",
    [
        "Not/AZone",
        "Etc/Unknown",
        "America",  # a directory
        "zone.tab",  # a file of the zone database that is not a zone
        "../../etc/passwd",
        "/etc/localtime",
        "America/Los_Angeles ",
        "America/Los_Angeles'; DROP TABLE call_logs; --",
        "Europe/Berlin\x00",
        "A" * 5000,
        "",
        None,
        ["Europe/Berlin"],
        {"zone": "Europe/Berlin"},
    ],
)
def test_an_unknown_or_malformed_name_falls_back_to_the_offset(name) -> None:
    assert viewer_time_zone(name, 330) == timezone(timedelta(hours=5, minutes=30))


@pytest.mark.parametrize("offset", [None, 841, -841, 10**9, "60", 60.0, True, [60]])
def test_without_a_usable_name_or_offset_it_is_utc(offset) -> None:
    assert viewer_time_zone("Not/AZone", offset) is UTC


def test_a_period_starts_at_local_midnight_n_minus_one_days_ago() -> None:
    # 01:30 in Tokyo on 1 July is still 30 June in UTC: Tokyo's week began on 25 June.
    now = datetime(2026, 6, 30, 16, 30, tzinfo=UTC)
    tokyo = ZoneInfo("Asia/Tokyo")
    assert period_start(days=7, now=now, time_zone=tokyo) == datetime(2026, 6, 24, 15, tzinfo=UTC)
    assert period_start(days=7, now=now, time_zone=UTC) == datetime(2026, 6, 24, tzinfo=UTC)
    assert period_start(days=1, now=now, time_zone=UTC) == datetime(2026, 6, 30, tzinfo=UTC)


def test_a_period_across_a_dst_change_starts_at_that_days_own_midnight() -> None:
    # Los Angeles moved to summer time on 8 March 2026: 3 March began at 08:00 UTC.
    now = datetime(2026, 3, 9, 20, tzinfo=UTC)
    start = period_start(days=7, now=now, time_zone=ZoneInfo("America/Los_Angeles"))
    assert start == datetime(2026, 3, 3, 8, tzinfo=UTC)


def test_a_period_needs_an_aware_now() -> None:
    with pytest.raises(ValueError):
        period_start(days=7, now=datetime(2026, 6, 30, 12), time_zone=UTC)


def test_zones_are_known_without_the_systems_zone_files() -> None:
    # As on a slim container or Windows: no TZPATH, only the tzdata package (requirements.txt).
    zoneinfo.reset_tzpath(to=[])
    ZoneInfo.clear_cache()
    try:
        zone = viewer_time_zone("America/New_York", -300)
        assert isinstance(zone, ZoneInfo) and zone.key == "America/New_York"
    finally:
        zoneinfo.reset_tzpath()
        ZoneInfo.clear_cache()
