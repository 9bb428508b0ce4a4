"""The dashboard's state: its period menu when the database fails under it, and its cost card."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa

import crm_app.state.dashboard as dashboard_state
from crm_app.core.db import tenant_session
from crm_app.models import User
from crm_app.state.dashboard import DashboardState
from tests.factories import add_call_log
from tests.state_tabs import on_engine, signed_in_tab


@pytest.fixture
def page(
    engine: sa.Engine, make_user: Callable[..., User], monkeypatch: pytest.MonkeyPatch
) -> DashboardState:
    """The dashboard in a signed-in tab, loaded for 30 days; its handlers use the engine."""
    on_engine(monkeypatch, engine, dashboard_state)
    state = signed_in_tab(DashboardState, make_user().id)
    DashboardState.set_period.fn(state, "30")
    assert state.loaded and not state.error
    return state


def test_a_period_whose_figures_did_not_load_is_not_the_one_the_menu_shows(
    page: DashboardState, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The figures stayed the last 30 days', while the menu, and the links from the figures
    # to the lists, said 90.
    def unreachable(**_: Any) -> None:
        raise sa.exc.OperationalError("SELECT", {}, ConnectionRefusedError())

    monkeypatch.setattr(dashboard_state, "dashboard_stats", unreachable)
    DashboardState.set_period.fn(page, "90")
    assert page.error and page.period == "30"


def test_a_cost_of_some_calls_says_of_how_many_and_none_at_all_is_unknown(
    engine: sa.Engine, make_user: Callable[..., User], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Twilio's callbacks carry no price: "$0.00" said 200 calls were free, and a Vapi call's
    # price alone read as what every call had cost.
    user = make_user()
    on_engine(monkeypatch, engine, dashboard_state)
    with tenant_session(user.id, engine) as session:
        add_call_log(session, user_id=user.id, provider="twilio", cost=None)
    state = signed_in_tab(DashboardState, user.id)
    DashboardState.set_period.fn(state, "30")
    assert (state.total_cost, state.total_cost_note) == ("–", "")
    with tenant_session(user.id, engine) as session:
        add_call_log(session, user_id=user.id, provider="vapi", cost=Decimal("0.50"))
    DashboardState.set_period.fn(state, "7")
    assert (state.total_cost, state.total_cost_note) == ("$0.50", "1 of 2 calls reported one")
