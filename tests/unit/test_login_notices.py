"""What /login tells a tab sent there because its session ended under it."""

from __future__ import annotations

import pytest
from reflex.istate.data import RouterData
from reflex.state import State

from crm_app.state.auth import AuthState
from crm_app.state.login import ENDED_LOGGED_IN, LoginFormState


def _substate(root: State, state: type) -> object:
    return root.get_substate(state.get_full_name().split(".")[1:])


@pytest.mark.parametrize("ended", ["1", "expired-1"])
def test_a_tab_that_lost_an_action_and_is_logged_in_again_is_told_so(ended) -> None:
    # Logged in again in another tab: /login sends this one on, saying its last action
    # was not carried out, whether its session had ended or expired.
    root = State()
    _substate(root, AuthState)._user_id = "6a3c1f7e-0000-4000-8000-000000000001"
    root.router = RouterData.from_router_data(
        {
            "pathname": "/login",
            "asPath": f"/login?next=%2Fleads&ended={ended}",
            "query": {"next": "/leads", "ended": ended},
            "headers": {},
        }
    )
    events = LoginFormState.load_form.fn(_substate(root, LoginFormState))
    assert isinstance(events, list) and ENDED_LOGGED_IN in str(events)
