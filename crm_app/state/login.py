"""The log-in and sign-up forms' messages, read from the query string the auth endpoints set."""

from __future__ import annotations

import reflex as rx

from crm_app.state.auth import AuthState

MESSAGES = {
    "invalid": "Email or password is incorrect.",
    "throttled": "Too many failed attempts. Wait a few minutes and try again.",
    "taken": "An account with this email already exists. Log in instead?",
    "invalid-email": "Enter a valid email address.",
    "invalid-password": "Use a password of at least 8 characters.",
    "invalid-name": "Use at most 200 characters for the name.",
}


class LoginFormState(AuthState):
    """What the public forms show: an error, what was typed before, where to go next."""

    error: str = ""
    email: str = ""
    name: str = ""
    next_path: str = ""

    @rx.event
    def load_form(self):
        """on_load: read the outcome of the last submit and skip the form if logged in."""
        if self._user_id:
            return rx.redirect("/dashboard", replace=True)
        params = self.router.url.query_parameters
        self.error = MESSAGES.get(params.get("error", ""), "")
        self.email = params.get("email", "")[:320]
        self.name = params.get("name", "")[:200]
        self.next_path = params.get("next", "")[:500]
        return None
