"""The browser's time zone, for pages whose periods are calendar days (services/calendar_days).

A page asks the browser once per tab, before its first load, and keeps the
answer with its state: the dashboard's "last 7 days" and a list's "Last 7
days" then begin at the same local midnight.
"""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import Any

import reflex as rx

from crm_app.models.base import utcnow
from crm_app.services.calendar_days import period_start, viewer_time_zone
from crm_app.state import display

# The browser's IANA time zone, and its current UTC offset in minutes east (a
# fallback; getTimezoneOffset is west-positive). Never throws: the callback loads the page.
ZONE_SCRIPT = (
    "({zone: (() => { try { return Intl.DateTimeFormat().resolvedOptions().timeZone || ''; }"
    " catch (e) { return ''; } })(), offset: -new Date().getTimezoneOffset()})"
)


class ViewerZoneMixin(rx.State, mixin=True):
    """What the browser said its zone is; UTC until it has said."""

    # Checked by viewer_time_zone on every use: they come from the client.
    _time_zone: str = ""
    _utc_offset_minutes: int = 0
    _zone_known: bool = False

    def viewer_zone(self) -> tzinfo:
        return viewer_time_zone(self._time_zone, self._utc_offset_minutes)

    def _period_start(self, period: str) -> datetime | None:
        """Where a period menu's choice begins (display.PERIODS), or None for all time."""
        days = display.period_days(period)
        return period_start(days=days, now=utcnow(), time_zone=self.viewer_zone()) if days else None

    def _load_in_viewer_zone(self) -> Any:
        """Load now if this tab's zone is known; else ask the browser, and load on its answer."""
        if self._zone_known:
            self._load_after_zone()
            return None
        return rx.call_script(ZONE_SCRIPT, callback=type(self).zone_learned)

    def _load_after_zone(self) -> None:
        """The page's first load, once the zone is known."""
        raise NotImplementedError

    @rx.event
    def zone_learned(self, viewer: Any):
        """ZONE_SCRIPT's answer ({zone, offset}); anything unusable means UTC."""
        viewer = viewer if isinstance(viewer, dict) else {}
        zone, offset = viewer.get("zone"), viewer.get("offset")
        self._time_zone = zone[:64] if isinstance(zone, str) else ""
        self._utc_offset_minutes = offset if isinstance(offset, int) else 0
        self._zone_known = True
        self._load_after_zone()
