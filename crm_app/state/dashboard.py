"""The dashboard's numbers for the logged-in user."""

from __future__ import annotations

import reflex as rx

from crm_app.core.db import tenant_session
from crm_app.services.dashboard import dashboard_stats
from crm_app.state.auth import AuthState


class DashboardState(AuthState):
    """Counts shown on /dashboard, loaded from SQL aggregates on each visit."""

    total_leads: int = 0
    new_leads: int = 0
    calls: int = 0
    automation_runs: int = 0
    is_empty: bool = True
    loaded: bool = False

    @rx.event
    def load(self):
        """on_load: compute this user's statistics."""
        if not self._user_id:
            return
        with tenant_session(self.user_uuid) as session:
            stats = dashboard_stats(session=session, user_id=self.user_uuid, period_days=30)
        self.total_leads = stats.total_leads
        self.new_leads = stats.new_leads
        self.calls = stats.calls
        self.automation_runs = stats.automation_runs
        self.is_empty = stats.is_empty
        self.loaded = True
