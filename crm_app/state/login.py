"""The log-in and sign-up forms' messages, read from the query string the auth endpoints set."""

from __future__ import annotations

import math
from urllib.parse import urlencode

import reflex as rx

from crm_app.core.security import safe_next
from crm_app.services.sessions import ENDED_HERE_ONLY, LOGGED_OUT_HERE_ONLY
from crm_app.services.users import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH
from crm_app.state.auth import ENDED_ON_VISIT, EXPIRED, SESSION_ENDED, AuthState
from crm_app.state.focus import focus_on

MESSAGES = {
    "invalid": "Email or password is incorrect.",
    "unavailable": "The service is briefly unavailable. Nothing was changed; try again shortly.",
    "taken": "An account with this email already exists.",
    "invalid-email": "Enter a valid email address.",
    "short-password": f"Use a password of at least {MIN_PASSWORD_LENGTH} characters.",
    "long-password": f"Use a password of at most {MAX_PASSWORD_LENGTH} characters.",
    "blank-password": "A password cannot be only spaces.",
    "broken-password": "The password holds a broken character: type it again.",
    "invalid-name": "Use at most 200 characters for the name.",
}


# To a tab sent to /login because its session ended under it (state/auth.py).
ENDED_LOGGED_IN = (
    "This tab's session was replaced in another tab, so the page was loaded again: "
    "what you last did here was not carried out. Please do it again."
)
ENDED_ON_A_VISIT = (
    "Your session ended: it expired, or you logged out or changed your password in another "
    "tab or browser. Log in to continue."
)
EXPIRED_ON_A_VISIT = "Your session expired. Log in to continue."
EXPIRED_LOST = (
    "Your session expired, so what you last did here was not carried out. Log in to continue."
)
ENDED_LOGGED_OUT = (
    "You were logged out in another tab, so what you last did here was not carried out. "
    "Log in to continue."
)


def throttled_message(retry: str) -> str:
    """What a throttled form says, from the endpoint's Retry-After seconds."""
    seconds = int(retry) if retry.isdigit() and len(retry) < 7 else 0
    if seconds <= 0:
        return "Too many attempts. Wait a few minutes and try again."
    minutes = math.ceil(seconds / 60)
    return f"Too many attempts. Wait {minutes} minute{'s' if minutes != 1 else ''} and try again."


# The log-in and sign-up forms' message (components/auth_form).
FORM_ERROR_ID = "form-error"


class LoginFormState(AuthState):
    """What the public forms show: an error, what was typed before, where to go next."""

    error: str = ""
    notice: str = ""  # why this tab is here, when it is not the person's own doing
    email: str = ""
    name: str = ""
    next_path: str = ""
    # After a sign-up refused for an email that has an account: its log-in page, email filled.
    login_instead: str = ""

    @rx.var
    def next_query(self) -> str:
        """ "?next=..." for the link to the other form: a person sent to log in who signs up
        instead (or back) still arrives where they were going."""
        return f"?{urlencode({'next': self.next_path})}" if self.next_path else ""

    @rx.event
    def load_form(self):
        """on_load: read the outcome of the last submit and skip the form if logged in."""
        params = self.router.url.query_parameters
        ended = params.get(SESSION_ENDED, "")
        self._login_trip = ""  # arrived
        if self._user_id:  # to where the link was going (a tab sent here, then reloaded)
            destination = rx.redirect(safe_next(params.get("next")), replace=True)
            lost = ended in ("1", f"{EXPIRED}-1")
            return [destination, rx.toast.warning(ENDED_LOGGED_IN)] if lost else destination
        error = params.get("error", "")
        self.error = (
            throttled_message(params.get("retry", ""))
            if error == "throttled"
            else MESSAGES.get(error, "")
        )
        notices = {
            "1": ENDED_LOGGED_OUT,
            ENDED_ON_VISIT: ENDED_ON_A_VISIT,
            f"{EXPIRED}-1": EXPIRED_LOST,
            f"{EXPIRED}-{ENDED_ON_VISIT}": EXPIRED_ON_A_VISIT,
            ENDED_HERE_ONLY: LOGGED_OUT_HERE_ONLY,
        }
        self.notice = "" if self.error else notices.get(ended, "")
        self.email = params.get("email", "")[:320]
        self.name = params.get("name", "")[:200]
        self.next_path = params.get("next", "")[:500]
        self.login_instead = ""
        if error == "taken":
            query = {"email": self.email, **({"next": self.next_path} if self.next_path else {})}
            self.login_instead = f"/login?{urlencode(query)}"
        # The page was loaded anew by the refused post: the message takes focus, read out.
        return focus_on(FORM_ERROR_ID, settle=True) if self.error else None

    @rx.event
    def clear_error(self):
        """The form is being sent again: the last refusal no longer applies."""
        self.error, self.login_instead = "", ""
