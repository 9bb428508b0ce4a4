"""How the dashboard shows what the service returns: feed titles and the bars' links."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from crm_app.services.dashboard import ActivityItem
from crm_app.state.dashboard import _bars, _feed_item


def _item(kind: str, label: str) -> ActivityItem:
    return ActivityItem(
        kind=kind,
        id=uuid.uuid4(),
        occurred_at=datetime(2026, 6, 30, tzinfo=UTC),
        label=label,
        detail="ended",
        lead_id=None,
        contact_id=None,
    )


def test_a_call_that_names_no_one_is_an_unknown_caller_as_on_the_calls_page() -> None:
    assert _feed_item(_item("call", "")).title == "Call: Unknown caller"
    assert _feed_item(_item("call", "+14155550100")).title == "Call: +14155550100"
    assert _feed_item(_item("lead", "")).title.endswith(": (no name)")


def test_a_bars_link_carries_its_label_as_one_query_value() -> None:
    [bar] = _bars({"web & phone=1": 3}, "/leads?source=")
    assert bar.href == "/leads?source=web%20%26%20phone%3D1"
    assert bar.label == "web & phone=1"
