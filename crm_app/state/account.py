"""The account page: the display name, and the outcome of the last email or password change.

The email and password forms post natively (they carry the password to the
endpoints that guard it like log-in; the password one replaces the HttpOnly
cookie) and the verdict comes back once in the query string, with `form=email`
for the email form's; the name is saved by an event.
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
from crm_app.state.focus import focus_if_lost, focus_on
from crm_app.state.login import throttled_message

MESSAGES = {
    "wrong-password": "The current password is incorrect.",
    "short-password": f"Use a new password of at least {MIN_PASSWORD_LENGTH} characters.",
    "long-password": f"Use a new password of at most {MAX_PASSWORD_LENGTH} characters.",
    "blank-password": "The new password cannot be only spaces.",
    "broken-password": "The new password holds a broken character: type it again.",
    "invalid-email": "Enter a valid email address.",
    "email-taken": "Another account already uses this email.",
    "unavailable": "The service is briefly unavailable. Nothing was changed; try again shortly.",
}
QUERY_KEYS = ("error", "changed", "email_changed", "form", "new_email", "retry")

# Drops the query from the address bar without a navigation (which would run on_load
# again); history.state is kept for the router. A reload then shows no stale verdict.
FORGET_QUERY = "window.history.replaceState(window.history.state, '', window.location.pathname)"


def account_message(params: Mapping[str, str]) -> str:
    """The error to show for the endpoint's verdict; empty when there is none."""
    error = params.get("error", "")
    if error == "throttled":
        return throttled_message(params.get("retry", ""))
    return MESSAGES.get(error, "")


# The name form's field (components/auth_form.labelled_input's id for "name").
NAME_FIELD_ID = "field-name"
# Where each form's refusal is shown (pages/account.verdict).
EMAIL_ERROR_ID, PASSWORD_ERROR_ID = "email-refused", "password-refused"


class AccountState(AuthState):
    """What /account shows after a submit."""

    error: str = ""
    changed: bool = False
    email_error: str = ""
    email_changed: bool = False
    # What the refused email form held, to show it again; "" shows the current email.
    typed_email: str = ""
    name_error: str = ""

    @rx.event
    def load(self):
        """on_load: read the endpoint's verdict, then take it out of the URL."""
        params = self.router.url.query_parameters
        self.name_error = ""  # a refusal of an earlier visit's name is not this visit's
        for_email = params.get("form") == "email"
        message = account_message(params)
        self.error, self.email_error = ("", message) if for_email else (message, "")
        self.changed = params.get("changed") == "1"
        self.email_changed = params.get("email_changed") == "1"
        typed = params.get("new_email", "") if for_email else ""
        self.typed_email = typed[: users.MAX_EMAIL_LENGTH]
        # Not logged in: require_login is sending the tab to /login, whose query must stay.
        if not (self._user_id and any(key in params for key in QUERY_KEYS)):
            return None
        forget = rx.call_script(FORGET_QUERY)
        refused = EMAIL_ERROR_ID if self.email_error else PASSWORD_ERROR_ID if self.error else ""
        if not refused:
            return forget
        # The refusal takes focus once it is on the page: read out, scrolled into view.
        return [forget, focus_on(refused, settle=True)]

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
        # The field is re-created to show the saved name (pages/account.py): focus, if it
        # was there (Enter in the field), goes back to it.
        return [rx.toast.success("Name saved."), focus_if_lost(NAME_FIELD_ID)]
