"""The dashboard's period menu, as its state runs it, when the database fails under it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa

import crm_app.state.dashboard as dashboard_state
from crm_app.models import User
from crm_app.state.dashboard import DashboardState
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
