"""The account page: the display name, and the outcome of the last password change.

The password form posts natively (the endpoint replaces the HttpOnly cookie) and
its verdict comes back once in the query string; the name is saved by an event.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import reflex as rx
import sqlalchemy as sa

from crm_app.core.db import global_session
from crm_app.services import users
from crm_app.services.users import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH
from crm_app.state import display
from crm_app.state.auth import AuthState
from crm_app.state.login import throttled_message

MESSAGES = {
    "wrong-password": "The current password is incorrect.",
    "short-password": f"Use a new password of at least {MIN_PASSWORD_LENGTH} characters.",
    "long-password": f"Use a new password of at most {MAX_PASSWORD_LENGTH} characters.",
    "blank-password": "The new password cannot be only spaces.",
}

# Drops the query from the address bar without a navigation (which would run on_load
# again); history.state is kept for the router. A reload then shows no stale verdict.
FORGET_QUERY = "window.history.replaceState(window.history.state, '', window.location.pathname)"


def account_message(params: Mapping[str, str]) -> str:
    """The error to show for the endpoint's verdict; empty when there is none."""
    error = params.get("error", "")
    if error == "throttled":
        return throttled_message(params.get("retry", ""))
    return MESSAGES.get(error, "")


class AccountState(AuthState):
    """What /account shows after a submit."""

    error: str = ""
    changed: bool = False
    name_error: str = ""

    @rx.event
    def load(self):
        """on_load: read the endpoint's verdict, then take it out of the URL."""
        params = self.router.url.query_parameters
        self.error = account_message(params)
        self.changed = params.get("changed") == "1"
        # Not logged in: require_login is sending the tab to /login, whose query must stay.
        if self._user_id and ("error" in params or "changed" in params):
            return rx.call_script(FORGET_QUERY)
        return None

    @rx.event
    def save_name(self, form: dict[str, Any]):
        """The name form was submitted: store it; the menu and the dashboard show it at once."""
        if not self._user_id:
            return None
        name = str(form.get("name", ""))[: users.MAX_NAME_LENGTH * 4]
        try:
            with global_session() as session:
                user = users.rename_user(session=session, user_id=self.user_uuid, name=name)
        except users.InvalidSignup as error:
            self.name_error = str(error)
            return None
        except sa.exc.SQLAlchemyError:
            display.log.exception("account: saving the name failed")
            self.name_error = display.SAVE_FAILED
            return None
        self.name_error = ""
        if user is None:
            return None
        self.user_name = user.name
        return rx.toast.success("Name saved.")
