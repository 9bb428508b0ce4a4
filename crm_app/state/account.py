"""The account page: the outcome of the last password change, read once from the query string."""

from __future__ import annotations

from collections.abc import Mapping

import reflex as rx

from crm_app.services.users import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH
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
