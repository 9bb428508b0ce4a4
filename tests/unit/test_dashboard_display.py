"""How the dashboard shows what the service returns: feed titles and the bars' links."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from crm_app.models.base import utcnow
from crm_app.services.dashboard import ActivityItem
from crm_app.state.dashboard import _bars, _feed_item


def _item(
    kind: str, label: str, detail: str = "ended", began: datetime | None = None
) -> ActivityItem:
    at = datetime(2026, 6, 30, tzinfo=UTC)
    return ActivityItem(
        kind=kind,
        id=uuid.uuid4(),
        occurred_at=at,
        label=label,
        detail=detail,
        lead_id=None,
        contact_id=None,
        began_at=began or at,
    )


@pytest.mark.parametrize(
    ("began_hours_ago", "shown"), [(0.5, "in-progress"), (5, "no end reported")]
)
def test_a_call_reads_in_the_feed_as_in_the_calls_list(began_hours_ago, shown) -> None:
    began = utcnow() - timedelta(hours=began_hours_ago)
    assert _feed_item(_item("call", "Ada", "in-progress", began)).detail == shown
    # Other kinds' details are theirs, however old.
    assert _feed_item(_item("automation", "Sync", "in-progress", began)).detail == "in-progress"


def test_a_call_that_names_no_one_is_an_unknown_caller_as_on_the_calls_page() -> None:
    assert _feed_item(_item("call", "")).title == "Call: Unknown caller"
    assert _feed_item(_item("call", "+14155550100")).title == "Call: (415) 555-0100"
    assert _feed_item(_item("lead", "+442079460958")).title == "New lead: +44 20 7946 0958"
    assert _feed_item(_item("automation", "+14155550100")).title.endswith("+14155550100")
    assert _feed_item(_item("lead", "")).title.endswith(": (no name)")


def test_a_bars_link_carries_its_label_as_one_query_value() -> None:
    [bar] = _bars({"web & phone=1": 3}, "/leads?source=")
    assert bar.href == "/leads?source=web%20%26%20phone%3D1"
    assert bar.label == "web & phone=1"


def test_a_bar_writes_its_count_as_the_lists_do() -> None:
    [bar] = _bars({"won": 1080}, "/leads?status=")
    assert (bar.count, bar.count_text) == (1080, "1,080")
