"""The dashboard's numbers, chart and latest activity for the logged-in user."""

from __future__ import annotations

import dataclasses
from typing import Any
from urllib.parse import quote

import reflex as rx
import sqlalchemy as sa

from crm_app.core.db import tenant_session
from crm_app.services.dashboard import (
    ActivityItem,
    DashboardStats,
    calls_per_day,
    dashboard_stats,
    latest_activity,
)
from crm_app.state import display
from crm_app.state.auth import AuthState
from crm_app.state.live_reload import shown_call_status
from crm_app.state.viewer_zone import ViewerZoneMixin

FEED_LENGTH = 12


@dataclasses.dataclass
class Bar:
    """One bar of the pipeline or sources: what, how many, and its width against the largest."""

    label: str = ""
    count: int = 0
    count_text: str = ""  # "1,080", as the lists write counts
    percent: int = 0
    href: str = ""


@dataclasses.dataclass
class FeedItem:
    """One line of latest activity, with where to read more."""

    kind: str = ""
    icon: str = ""
    title: str = ""
    detail: str = ""
    occurred_at: str = ""
    href: str = ""


_FEED_KINDS = {
    "call": ("phone", "Call"),
    "sms_in": ("message-square", "SMS received"),
    "sms_out": ("message-square", "SMS sent"),
    "lead": ("user-plus", "New lead"),
    "automation": ("workflow", "Automation run"),
}


def _feed_item(item: ActivityItem) -> FeedItem:
    icon, title = _FEED_KINDS.get(item.kind, ("circle", item.kind))
    if item.kind == "call":
        href = f"/calls/{item.id}"
    elif item.kind == "lead":
        href = f"/leads/{item.id}"
    elif item.lead_id:
        href = f"/leads/{item.lead_id}"
    elif item.contact_id:
        href = f"/contacts/{item.contact_id}"
    else:
        href = display.run_href(item.execution_id)
    # A call's caller, or a lead, known only by number: written as people write numbers.
    label = display.phone(item.label) if item.kind in ("call", "lead") else item.label
    label = label or {"lead": "(no name)", "call": display.UNKNOWN_CALLER}.get(item.kind, "")
    return FeedItem(
        kind=item.kind,
        icon=icon,
        title=f"{title}: {label}" if label else title,
        detail=_feed_detail(item),
        occurred_at=display.iso(item.occurred_at),
        href=href,
    )


def _feed_detail(item: ActivityItem) -> str:
    """A call's status as the calls list shows it ("no end reported" of one long over)."""
    if item.kind.startswith("sms"):
        return ""
    if item.kind == "call":
        return shown_call_status(item.detail, item.began_at)
    return item.detail


def _bars(counts: dict[str, int], href: str) -> list[Bar]:
    largest = max(counts.values(), default=0) or 1
    return [
        Bar(
            label=label,
            count=count,
            count_text=f"{count:,}",
            percent=round(count / largest * 100),
            href=href + quote(label, safe=""),
        )
        for label, count in counts.items()
    ]


class DashboardState(ViewerZoneMixin, AuthState):
    """What /dashboard shows, from a few aggregate queries per visit or period change."""

    period: str = "30"
    loaded: bool = False
    loading: bool = False
    error: str = ""
    is_empty: bool = True
    total_leads: int = 0
    new_leads: int = 0
    new_leads_note: str = ""
    conversion_rate: str = "–"
    calls: int = 0
    calls_note: str = ""
    answered_calls: int = 0
    unanswered_calls: int = 0
    calls_in_progress: int = 0
    average_call: str = "–"
    total_cost: str = "$0.00"
    # Said when only some calls reported a cost (Twilio's callbacks carry none).
    total_cost_note: str = ""
    automation_runs: int = 0
    automation_success: str = "–"
    pipeline: list[Bar] = []
    sources: list[Bar] = []
    chart: list[dict[str, Any]] = []
    chart_range: str = ""
    chart_label: str = ""  # for screen readers: what the bars show, first and last day
    feed: list[FeedItem] = []

    @rx.var
    def period_label(self) -> str:
        return display.PERIODS.get(self.period, "")

    @rx.var
    def counts_text(self) -> dict[str, str]:
        """The counts as the lists and the board write them: "5,027", not "5027"."""
        counts = {
            "total_leads": self.total_leads,
            "new_leads": self.new_leads,
            "calls": self.calls,
            "answered_calls": self.answered_calls,
            "unanswered_calls": self.unanswered_calls,
            "calls_in_progress": self.calls_in_progress,
            "automation_runs": self.automation_runs,
        }
        return {name: f"{count:,}" for name, count in counts.items()}

    @rx.event
    def start(self):
        """on_load: learn the browser's time zone (for calendar days) if need be, then load."""
        if not self._user_id:
            return None
        self.loading = True
        return self._load_in_viewer_zone()

    def _load_after_zone(self) -> None:
        self._refresh()

    @rx.event
    def set_period(self, period: str | list[str]):
        chosen = period if isinstance(period, str) else (period or [""])[0]
        shown, self.period = self.period, chosen if chosen in display.PERIODS else "30"
        self._refresh()
        if self.error:  # the figures are still the period before's: so are the menu and links
            self.period = shown

    @rx.event
    def load(self):
        """Compute the numbers for the chosen period (again)."""
        self._refresh()

    def _refresh(self) -> None:
        if not self._user_id:
            return
        self.loading = True
        days = display.period_days(self.period)
        zone = self.viewer_zone()
        try:
            with tenant_session(self.user_uuid) as session:
                stats = dashboard_stats(
                    session=session, user_id=self.user_uuid, period_days=days, time_zone=zone
                )
                series = calls_per_day(
                    session=session,
                    user_id=self.user_uuid,
                    period_days=days,
                    now=stats.period_end,
                    time_zone=zone,
                )
                feed = latest_activity(session=session, user_id=self.user_uuid, limit=FEED_LENGTH)
        except sa.exc.SQLAlchemyError:
            display.log.exception("dashboard: loading the statistics failed")
            self.error, self.loading = display.LOAD_FAILED, False
            return
        self._show(stats)
        self.chart = [
            {
                "day": f"{day.day:%b} {day.day.day}",
                "answered": day.answered,
                "not answered": day.not_answered,
                "in progress": day.in_progress,
            }
            for day in series
        ]
        self.chart_range = f"last {len(series)} days"
        self.chart_label = "Bar chart of calls per day, answered, not answered and in progress" + (
            f", {self.chart[0]['day']} to {self.chart[-1]['day']}" if series else ""
        )
        self.feed = [_feed_item(item) for item in feed]
        self.error, self.loading, self.loaded = "", False, True

    def _show(self, stats: DashboardStats) -> None:
        self.is_empty = stats.is_empty
        self.total_leads = stats.total_leads
        self.new_leads = stats.new_leads
        # All time has no period before it: no comparison to make.
        new_change = display.change(stats.new_leads, stats.new_leads_previous)
        self.new_leads_note = f"{new_change} vs the period before" if new_change else ""
        self.conversion_rate = display.percent(stats.conversion_rate)
        self.calls = stats.calls
        calls_change = display.change(stats.calls, stats.calls_previous)
        answered = f"{stats.answered_calls:,} answered"
        # The change is in calls, not in answered calls: said so.
        if calls_change == "no change":
            calls_change = "as many calls as the period before"
        elif calls_change:
            calls_change = f"{calls_change} calls vs the period before"
        self.calls_note = f"{answered} · {calls_change}" if calls_change else answered
        self.answered_calls = stats.answered_calls
        self.calls_in_progress = stats.calls_in_progress
        self.unanswered_calls = stats.calls - stats.answered_calls - stats.calls_in_progress
        self.average_call = display.duration(stats.average_call_seconds)
        self.total_cost = display.money(stats.total_call_cost)
        unpriced = stats.calls - stats.priced_calls
        self.total_cost_note = (
            f"{stats.priced_calls:,} of {stats.calls:,} calls reported one"
            if stats.priced_calls and unpriced
            else ""
        )
        self.automation_runs = stats.automation_runs
        self.automation_success = display.percent(stats.automation_success_rate)
        self.pipeline = _bars(stats.leads_by_status, "/leads?status=")
        self.sources = _bars(stats.leads_by_source, "/leads?source=")
