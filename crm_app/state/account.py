"""The account page: the outcome of the last password change, read from the query string."""

from __future__ import annotations

import reflex as rx

from crm_app.state.auth import AuthState

MESSAGES = {
    "wrong-password": "The current password is incorrect.",
    "invalid-password": "Use a new password of at least 8 characters.",
}


class AccountState(AuthState):
    """What /account shows after a submit."""

    error: str = ""
    changed: bool = False

    @rx.event
    def load(self):
        """on_load: read the endpoint's verdict."""
        params = self.router.url.query_parameters
        self.error = MESSAGES.get(params.get("error", ""), "")
        self.changed = params.get("changed") == "1"
