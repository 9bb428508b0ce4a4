"""/automations: the user's Make.com runs with status, scenario search and period filters."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Mapping
from datetime import datetime, timedelta

import reflex as rx
import sqlalchemy as sa

from crm_app.core.db import tenant_session
from crm_app.models import AutomationLog
from crm_app.services.automation_logs import automation_error, list_automation_logs
from crm_app.services.linked_people import linked_names
from crm_app.state import display
from crm_app.state.auth import AuthState
from crm_app.state.list_page import (
    ALL,
    PAGE_SIZE,
    ListPageMixin,
    PeriodFilterMixin,
    chosen,
    first_value,
)

RUN_STATUSES = ("success", "warning", "error")
REPORTED_LATE = timedelta(minutes=5)


@dataclasses.dataclass
class RunRow:
    """An automation run as the list shows it."""

    id: str = ""
    # When it was logged: what the list is sorted and its period filtered by, as the
    # dashboard counts it. A run Make reported late, or a replayed event, began long
    # before: started_at, shown beside it, only then.
    occurred_at: str = ""
    started_at: str = ""
    scenario: str = ""
    scenario_id: str = ""
    execution_id: str = ""
    status: str = ""
    error: str = ""
    duration: str = ""
    lead_id: str = ""
    contact_id: str = ""
    # What the Lead and Contact links are called for screen readers, which list links by
    # name: the person's (linked_people.linked_names), else the scenario's.
    lead_label: str = ""
    contact_label: str = ""


def _ran_at(run: AutomationLog) -> datetime | None:
    """When the run ran, as Make said: its start, else its end (an event's occurred_at)."""
    return run.started_at or run.finished_at


def _ran_apart(run: AutomationLog) -> bool:
    """Whether the run ran more than REPORTED_LATE before (or after) it was logged."""
    ran = _ran_at(run)
    if ran is None or run.created_at is None:
        return False
    return abs(run.created_at - ran) > REPORTED_LATE


def run_row(run: AutomationLog, names: Mapping[uuid.UUID, str] | None = None) -> RunRow:
    seconds = display.run_duration(run.duration_ms)
    names = names or {}
    scenario = run.scenario_name or run.scenario_id or "(unnamed scenario)"

    def label(kind: str, person: uuid.UUID | None) -> str:
        name = names.get(person) if person else None
        # A lead made from a call goes by its number: written as people write numbers.
        return f"{kind}: {display.phone(name)}" if name else f"{kind} of {scenario}"

    return RunRow(
        id=str(run.id),
        occurred_at=display.iso(run.created_at),
        started_at=display.iso(_ran_at(run)) if _ran_apart(run) else "",
        scenario=scenario,
        scenario_id=run.scenario_id,
        execution_id=run.execution_id,
        status=run.status,
        error=(run.error or "")[:500],
        duration=seconds,
        lead_id=str(run.lead_id) if run.lead_id else "",
        contact_id=str(run.contact_id) if run.contact_id else "",
        lead_label=label("Lead", run.lead_id),
        contact_label=label("Contact", run.contact_id),
    )


class AutomationsState(PeriodFilterMixin, ListPageMixin, AuthState):
    """The automation runs list for the logged-in user; filters run in SQL."""

    status: str = ALL
    rows: list[RunRow] = []
    # The run whose whole error the dialog shows ("" when it is closed), and that error.
    error_run_id: str = ""
    full_error: str = ""

    @rx.var
    def is_filtered(self) -> bool:
        return bool(self.search) or (self.status, self.period) != (ALL, ALL)

    @rx.event
    def load(self):
        """on_load: a link naming a period (the dashboard's Automation runs) or a search (a
        webhook event's run, by its execution id) shows exactly that, from page 1; a plain
        visit keeps the filters and the page the tab last had."""
        self.error_run_id, self.full_error = "", ""  # no dialog left open by the last visit
        params = self.router.url.query_parameters
        followed_link = True
        if (period := self._linked_period()) is not None:
            self.search, self.status, self.period, self.offset = "", ALL, period, 0
        elif "search" in params:
            linked = str(params.get("search") or "")[:200]
            self.search, self.status, self.period, self.offset = linked, ALL, ALL, 0
        else:
            followed_link = False
        return self._after_link(followed_link, ("period", "search"), self._load_in_viewer_zone())

    def _load_after_zone(self) -> None:
        self._refresh()

    def _refresh(self) -> None:
        if not self._user_id:
            return
        self.loading = True
        try:
            with tenant_session(self.user_uuid) as session:
                page = list_automation_logs(
                    session=session,
                    user_id=self.user_uuid,
                    search=self.search,
                    status=chosen(self.status),
                    created_from=self._created_from(),
                    offset=self.offset,
                    limit=PAGE_SIZE,
                )
                names = linked_names(session=session, user_id=self.user_uuid, records=page.items)
        except sa.exc.SQLAlchemyError:
            self._load_failed("automations")
            return
        self.rows, self.total = [run_row(run, names) for run in page.items], page.total
        self._load_succeeded()
        if self._past_the_end():
            self._refresh()

    @rx.event
    def set_status(self, value: str | list[str]):
        value = first_value(value)
        self.status, self.offset = (value if value in RUN_STATUSES else ALL), 0
        self._refresh()

    @rx.event
    def clear_filters(self):
        self.search, self.status, self.period, self.offset = "", ALL, ALL, 0
        self._refresh()

    @rx.event
    def show_error(self, run_id: str):
        """Open the dialog with a run's whole error (the list keeps its first 500 characters)."""
        if not self._user_id:
            return None
        try:
            log_id = uuid.UUID(str(run_id))
            with tenant_session(self.user_uuid) as session:
                error = automation_error(session=session, user_id=self.user_uuid, log_id=log_id)
        except ValueError:
            error = None
        except sa.exc.SQLAlchemyError:
            display.log.exception("automations: reading a run's error failed")
            return rx.toast.error("Could not load the error. Try again in a moment.")
        if error is None:
            return rx.toast.error("That run no longer exists.")
        self.error_run_id, self.full_error = str(log_id), error
        return None

    @rx.event
    def close_error(self, _open: bool = False):
        self.error_run_id, self.full_error = "", ""
