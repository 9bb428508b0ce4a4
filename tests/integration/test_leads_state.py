"""The leads page's own handlers, as a signed-in tab runs them."""

from __future__ import annotations

from collections.abc import Callable

import pytest

import crm_app.state.leads as leads_state
from crm_app.core.db import tenant_session
from crm_app.models import User
from crm_app.services.leads import get_lead
from crm_app.services.pipeline import change_lead_status
from crm_app.state.leads import LeadsState
from tests.factories import add_lead
from tests.state_tabs import on_engine, signed_in_tab


@pytest.fixture
def user(make_user: Callable[..., User]) -> User:
    return make_user()


@pytest.mark.parametrize("view", ["table", "board"])
def test_a_stale_card_cannot_move_a_lead_someone_else_moved_meanwhile(
    engine, user, monkeypatch, view
) -> None:
    on_engine(monkeypatch, engine, leads_state)
    with tenant_session(user.id, engine) as session:
        lead = add_lead(session, user_id=user.id, name="Ada", status="contacted")
    tab = signed_in_tab(LeadsState, user.id)
    LeadsState.set_view.fn(tab, view)
    with tenant_session(user.id, engine) as session:  # an automation, or another tab
        change_lead_status(session=session, user_id=user.id, lead_id=lead.id, status="won")
    said = LeadsState.change_status.fn(tab, str(lead.id), "qualified", "contacted")
    assert "moved to won meanwhile" in str(said)
    with tenant_session(user.id, engine) as session:
        assert get_lead(session=session, user_id=user.id, lead_id=lead.id).status == "won"
    shown = [row.status for row in tab.rows] or [
        card.status for column in tab.board for card in column.leads
    ]
    assert shown == ["won"]  # the page shows where it is now
