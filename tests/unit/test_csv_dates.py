"""Dates in imported files: the CRM's own export, spreadsheets in either order, words."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from crm_app.services import csv_dates
from crm_app.services.csv_dates import created_at_from, read_the_other_way
from crm_app.services.errors import InvalidInput

NOW = datetime(2026, 12, 6, 18, 0, tzinfo=UTC)
NOON = {"hour": 12, "tzinfo": UTC}


@pytest.mark.parametrize(
    ("text", "region", "expected"),
    [
        # The CRM's own export, and ISO 8601 as most CRMs write it: the moment, in its zone.
        ("2026-11-14T09:05:00+00:00", "US", datetime(2026, 11, 14, 9, 5, tzinfo=UTC)),
        ("2026-11-14T09:05:00-06:00", "US", datetime(2026, 11, 14, 15, 5, tzinfo=UTC)),
        # A date alone, or a time without its zone: noon UTC, the same calendar day
        # wherever it is read (1 AM in Austin, taken for UTC, was the day before there).
        ("2026-11-14", "GB", datetime(2026, 11, 14, **NOON)),
        ("2026-11-14 01:00:00", "US", datetime(2026, 11, 14, **NOON)),
        ("2026-11-14 9:05", "US", datetime(2026, 11, 14, **NOON)),
        ("11/14/2026 1:00 AM", "US", datetime(2026, 11, 14, **NOON)),
        (" 11/14/2026   21:05 ", "US", datetime(2026, 11, 14, **NOON)),
        # Numbers in the region's order, always.
        ("03/04/2026", "US", datetime(2026, 3, 4, **NOON)),
        ("03/04/2026", "GB", datetime(2026, 4, 3, **NOON)),
        ("11/14/26", "US", datetime(2026, 11, 14, **NOON)),
        ("14.11.2026", "DE", datetime(2026, 11, 14, **NOON)),
        # Orders no one reads two ways.
        ("2026/11/14", "DE", datetime(2026, 11, 14, **NOON)),
        ("Nov 14, 2026", "US", datetime(2026, 11, 14, **NOON)),
        ("14 November 2026", "GB", datetime(2026, 11, 14, **NOON)),
        ("14-Nov-2026", "US", datetime(2026, 11, 14, **NOON)),
        # Never ahead of now: a clock a little ahead, and today's date before noon UTC.
        ("2026-12-07", "US", NOW),
        ("2026-12-07T09:00:00+00:00", "US", NOW),
    ],
)
def test_a_created_date_is_read_as_the_file_writes_it(
    text: str, region: str, expected: datetime
) -> None:
    assert created_at_from(text, region, NOW) == expected


def test_todays_date_read_in_the_morning_is_now_not_noon() -> None:
    morning = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)
    assert created_at_from("12/07/2026", "US", morning) == morning
    assert created_at_from("12/06/2026", "US", morning) == datetime(2026, 12, 6, **NOON)


@pytest.mark.parametrize("text", ["12/30/1899", "1899-12-30"])
def test_a_spreadsheets_blank_date_is_no_date(text: str) -> None:
    assert created_at_from(text, "US", NOW) is None


@pytest.mark.parametrize(
    ("text", "region", "message"),
    [
        ("yesterday", "US", "not a date this import reads (use 2026-11-14"),
        ("45975", "US", "not a date this import reads"),  # a spreadsheet's serial number
        ("13/13/2026", "US", "not a date this import reads"),
        # The other order than the region's is refused, never read one way here and the
        # other way in the next row.
        ("14/11/2026", "US", "month/day/year"),
        ("11/14/2026", "DE", "day/month/year"),
        # Its examples are in the region's order: not one this very import would refuse.
        ("11/14/2026", "GB", "(use 2026-11-14, 14/11/2026 or 14 Nov 2026, day/month/year)"),
        ("2027-01-01", "US", "in the future"),
        ("1899-12-31", "US", "before 1900"),
        # Past either end of what Python holds in UTC (.NET's "no date" east of UTC): a
        # refused row, where it was an OverflowError that lost the whole batch.
        ("0001-01-01T00:00:00+01:00", "US", "before 1900"),
        ("9999-12-31T23:00:00-05:00", "US", "in the future"),
    ],
)
def test_a_date_that_cannot_be_right_is_refused_saying_why(
    text: str, region: str, message: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        created_at_from(text, region, NOW)
    assert message in refused.value.errors["created_at"]


def test_a_column_is_proven_written_the_other_way_by_its_first_cell_that_reads_only_so() -> None:
    cells = [(2, "03/04/2025"), (3, ""), (4, "2025-04-07"), (5, "25/04/2025"), (6, "26/04/2025")]
    assert read_the_other_way(cells, "US") == (5, "25/04/2025")
    assert read_the_other_way(cells, "GB") is None  # day first: every cell reads so
    assert read_the_other_way([(2, "04/25/2025")], "DE") == (2, "04/25/2025")
    assert read_the_other_way([(2, "not a date"), (3, "13/13/2025")], "US") is None
    # Cells proving each order: a stray cell, not a column written the other way.
    assert read_the_other_way([(2, "25/04/2025"), (3, "04/26/2025")], "GB") is None
    assert read_the_other_way([(2, "04/26/2025"), (3, "25/04/2025")], "GB") is None


def test_checking_a_long_column_reads_only_the_cells_that_could_read_two_ways(
    monkeypatch,
) -> None:
    # Blank and worded cells took milliseconds each to fail every format, twice.
    read = []

    def counted(text, region, now):
        read.append(text)
        return created_at_from(text, region, now)

    monkeypatch.setattr(csv_dates, "created_at_from", counted)
    column = [(n, "") for n in range(1000)] + [(1001, "Nov 14, 2026"), (1002, "2026-11-14")]
    assert read_the_other_way([*column, (1003, "25/04/2025")], "US") == (1003, "25/04/2025")
    assert read == ["25/04/2025", "25/04/2025"]  # once each way, for the one cell
