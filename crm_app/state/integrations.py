"""The integrations page: connection status and webhook URLs, and the handlers that change them.

No var here ever holds a user's API key, not even a backend `_` var: a key
arrives once, in the form-submit event, lives in the handler's local variable
while it is sealed, and the form clears itself. What the page shows of a key
is its fingerprint, its last four characters and when it was saved.

The Make.com secret the app generates has to be shown to the user once: it
goes from the handler straight into a field of the page (generate_make_secret),
never into a var, so no saved state (on disk, or in Redis with several
workers) ever holds it.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from collections.abc import Callable
from typing import Any

import reflex as rx
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from crm_app.core.crypto import DecryptionError
from crm_app.core.db import tenant_session
from crm_app.services import vault, webhook_endpoints
from crm_app.services.api_key_formats import (
    CONNECTION_FORMATS,
    CONNECTION_SERVICES,
    WEBHOOK_PROVIDERS,
)
from crm_app.services.errors import InvalidInput
from crm_app.services.webhook_ingest import CREDENTIAL_SERVICES
from crm_app.services.webhook_types import PROVIDER_NAMES
from crm_app.state import display
from crm_app.state.auth import AuthState

logger = logging.getLogger(__name__)

VAULT_UNAVAILABLE = "The key vault is unavailable right now; please try again shortly."
# "Generate secret" on a page that did not know a secret was stored: not replaced unasked.
MAKE_KEY_KEPT = (
    "A Make.com secret is stored already (made in another tab?) and was kept: your scenario "
    "goes on working. Use Regenerate secret to replace it."
)
# A change that was stored, on a page that could not be reloaded after it.
CHANGE_NOT_SHOWN = (
    "Done, but this page could not be brought up to date: reload it in a moment to see the change."
)
# The one-time dialog's field the generated Make.com secret is written into.
MAKE_SECRET_FIELD = "make-secret-once"  # noqa: S105  (an element id, not a secret)
# Keys a user types in; the Make.com secret is generated instead.
TYPED_SERVICES = ("vapi", "vapi_hmac", "twilio")
# The ids of each key form's inputs, emptied once its key is saved.
TWILIO_SID_FIELD = "twilio-account-sid"


def key_field_id(service: str) -> str:
    return f"{service}-api-key"


# The Make.com card's button: one or the other is on the page, by whether a secret is stored.
MAKE_GENERATE_BUTTON = "make-generate-secret"
MAKE_REGENERATE_BUTTON = "make-regenerate-secret"


def focus_when_shown(element_id: str) -> rx.event.EventSpec:
    """Focus an element as soon as the page shows it: the same update may be what mounts it."""
    return rx.call_script(
        "(function focusWhenShown(frames) {"
        f" const element = document.getElementById({json.dumps(element_id)});"
        " if (element) element.focus();"
        " else if (frames > 0) requestAnimationFrame(() => focusWhenShown(frames - 1));"
        " })(120)"
    )


KEY_FORM_FIELDS = {
    service: (key_field_id(service), *((TWILIO_SID_FIELD,) if service == "twilio" else ()))
    for service in TYPED_SERVICES
}


@dataclasses.dataclass
class ConnectionView:
    """One service's key as the page shows it."""

    connected: bool = False
    fingerprint: str = ""
    hint: str = ""
    public_value: str = ""
    saved_at: str = ""
    readable: bool = True


def _view(connection: vault.Connection) -> ConnectionView:
    saved_at = display.iso(connection.saved_at)  # shown in the viewer's time zone
    return ConnectionView(
        connected=connection.connected,
        fingerprint=connection.fingerprint,
        hint=connection.hint,
        public_value=connection.public_value,
        saved_at=saved_at,
        readable=connection.readable,
    )


def _problem(error: InvalidInput) -> str:
    """A user-facing sentence from an InvalidInput (whose messages never quote the value)."""
    message = "; ".join(error.errors.values())
    return message[:1].upper() + message[1:] + "."


class IntegrationsState(AuthState):
    """What /integrations shows: status per service, a webhook URL per provider."""

    connections: dict[str, ConnectionView] = {
        service: ConnectionView() for service in CONNECTION_SERVICES
    }
    webhook_urls: dict[str, str] = dict.fromkeys(WEBHOOK_PROVIDERS, "")
    error: str = ""
    # Why a key form's last save was refused, by service: shown by that form until it saves.
    key_errors: dict[str, str] = {}
    loaded: bool = False
    # The dialog that makes a Make.com endpoint secret and shows it this once
    # (its field: MAKE_SECRET_FIELD). Closed on every visit.
    make_secret_open: bool = False
    # Whether the open dialog's secret replaces the one in use (confirmed by Regenerate).
    _make_secret_replaces: bool = False
    # Whether the open dialog has its secret: its field's mount asks once. In development,
    # React mounts it twice; the second ask found the first's secret stored, and closed
    # the dialog saying one was made in another tab, before it could be copied.
    _make_secret_served: bool = False
    # When and where it was opened (AuthState._arrival_mark): a reconnect keeps it open.
    _make_secret_opened: str = ""

    @rx.var
    def provider_connected(self) -> dict[str, bool]:
        """Per provider: whether any secret its webhooks are verified with is stored
        (Vapi's server secret or its HMAC secret: either one is enough)."""
        return {
            provider: any(
                self.connections[service].connected
                for service in services
                if service in self.connections
            )
            for provider, services in CREDENTIAL_SERVICES.items()
        }

    def _run(self, action: Callable[[Session], Any]) -> Any:
        """Run a service call in the user's unit of work; VAULT_UNAVAILABLE on a database error."""
        try:
            with tenant_session(self.user_uuid) as session:
                return action(session)
        except SQLAlchemyError as error:
            # The type only: a driver message may quote the statement's parameters.
            logger.warning("integrations: database error (%s)", type(error).__name__)
            raise _Unavailable from None

    def _refresh(self) -> None:
        """Reload statuses and webhook URLs (creating a provider's URL on first visit)."""
        user_id = self.user_uuid
        urls: dict[str, str] = {}
        unreadable: list[str] = []

        def load(session: Session) -> list[vault.Connection]:
            for provider in WEBHOOK_PROVIDERS:
                try:
                    token = webhook_endpoints.ensure_endpoint(
                        session=session, user_id=user_id, provider=provider
                    )
                    urls[provider] = webhook_endpoints.webhook_url(provider, token)
                except DecryptionError:  # logged by the vault, with the row
                    urls[provider] = ""
                    unreadable.append(PROVIDER_NAMES[provider])
            return vault.list_connections(session=session, user_id=user_id)

        connections = self._run(load)
        self.connections = {c.service: _view(c) for c in connections}
        self.webhook_urls = urls
        self.error = (
            f"The webhook URL for {', '.join(unreadable)} cannot be shown (its encryption key "
            "is missing). Regenerate it to get a new one."
            if unreadable
            else ""
        )
        self.loaded = True

    def _refresh_after_change(self) -> list[Any]:
        """Reload after a change that was committed: if that fails, the change still stands,
        and the person hears so (a toast of their own), not that nothing was saved."""
        try:
            self._refresh()
        except _Unavailable:
            return [rx.toast.warning(CHANGE_NOT_SHOWN)]
        return []

    @rx.event
    def load(self):
        """on_load: statuses and URLs for this user; the secret dialog closed, unless the
        tab's socket reconnected under it (the secret shown once is in its field)."""
        kept = self.make_secret_open and self._kept_on_arrival(self._make_secret_opened)
        self.make_secret_open, self._make_secret_opened = kept, self._mark_if_kept(kept)
        self.key_errors = {}
        if not self._user_id:
            return None
        try:
            self._refresh()
        except _Unavailable:
            self.error = VAULT_UNAVAILABLE
        return None

    @rx.event
    def save_key(self, form_data: dict[str, Any]):
        """A key form was submitted: seal and store the key it carries; the form clears itself."""
        if not self._user_id:
            return None
        service = str(form_data.get("service", ""))
        if service not in TYPED_SERVICES:
            return rx.toast.error("Unknown service.")
        label = CONNECTION_FORMATS[service].label
        raw_key = form_data.get("api_key", "")  # the only place the key is held
        account_sid = str(form_data.get("account_sid", "")).strip()
        if service == "twilio" and not account_sid:
            # Replacing only the token: the Account SID on the card stays.
            account_sid = self.connections["twilio"].public_value
        try:
            self._run(
                lambda session: vault.save_api_key(
                    session=session,
                    user_id=self.user_uuid,
                    service=service,
                    raw_key=raw_key,
                    public_value=account_sid,
                )
            )
        except InvalidInput as error:
            # Beside the form, where the correction is made; the toast is gone in seconds.
            self.key_errors = {**self.key_errors, service: _problem(error)}
            return rx.toast.error(_problem(error))
        except _Unavailable:
            return rx.toast.error(VAULT_UNAVAILABLE)
        self.key_errors = {name: text for name, text in self.key_errors.items() if name != service}
        # Saved: the form's fields are emptied (save_key never holds the key after this).
        cleared = [rx.set_value(field, "") for field in KEY_FORM_FIELDS.get(service, ())]
        return [
            *cleared,
            rx.toast.success(f"{label} saved. It is stored encrypted and never shown again."),
            *self._refresh_after_change(),
        ]

    @rx.event
    def disconnect(self, service: str):
        """Disconnect a service: its key is deactivated and wiped."""
        if not self._user_id or service not in CONNECTION_SERVICES:
            return None
        try:
            removed = self._run(
                lambda session: vault.delete_api_key(
                    session=session, user_id=self.user_uuid, service=service
                )
            )
        except _Unavailable:
            return rx.toast.error(VAULT_UNAVAILABLE)
        label = CONNECTION_FORMATS[service].label
        # The Remove button is gone with the key: focus what stores a new one, not the page.
        refocus = focus_when_shown(
            MAKE_GENERATE_BUTTON if service == "make" else key_field_id(service)
        )
        # Removed from another tab meanwhile: say so rather than claim this removed it.
        said = f"{label} removed." if removed else f"{label} was already removed."
        return [rx.toast.info(said), refocus, *self._refresh_after_change()]

    @rx.event
    def open_make_secret(self, replacing: bool = False):
        """Open the dialog; its field, once on the page, asks for the secret (`replacing`: the
        person confirmed that it replaces the one in use)."""
        self.make_secret_open, self._make_secret_replaces = True, bool(replacing)
        self._make_secret_served, self._make_secret_opened = False, self._arrival_mark()

    @rx.event
    def generate_make_secret(self):
        """Generate (or replace) the Make.com secret and put it into the open dialog's field.

        Sent by the field when it mounts, so the field is there to take the value:
        the browser sets it, and the secret lives only in this handler's local
        variable on the way (no var, so no saved state, ever holds it).
        """
        if not self._user_id or not self.make_secret_open or self._make_secret_served:
            return None
        try:
            secret = self._run(
                lambda session: vault.generate_make_secret(
                    session=session, user_id=self.user_uuid, replace=self._make_secret_replaces
                )
            )
        except _Unavailable:
            self.make_secret_open = False
            return rx.toast.error(VAULT_UNAVAILABLE)
        if secret is None:  # made meanwhile (another tab), or the page could not tell
            self.make_secret_open = False
            return [rx.toast.info(MAKE_KEY_KEPT), *self._refresh_after_change()]
        # Shown whatever the reload does: stored, it has replaced the previous secret.
        self._make_secret_served = True
        return [rx.set_value(MAKE_SECRET_FIELD, secret.reveal()), *self._refresh_after_change()]

    @rx.event
    def set_make_secret_open(self, is_open: bool):
        """The dialog opened or closed; closed, its field and the secret in it are gone."""
        self.make_secret_open = is_open

    @rx.event
    def regenerate_webhook(self, provider: str):
        """A new webhook URL for a provider; the old one stops working at once."""
        if not self._user_id or provider not in WEBHOOK_PROVIDERS:
            return None
        try:
            self._run(
                lambda session: webhook_endpoints.regenerate_endpoint(
                    session=session, user_id=self.user_uuid, provider=provider
                )
            )
        except _Unavailable:
            return rx.toast.error(VAULT_UNAVAILABLE)
        name = PROVIDER_NAMES[provider]
        said = rx.toast.success(f"New {name} webhook URL. Update it in {name}.")
        return [said, *self._refresh_after_change()]


class _Unavailable(Exception):
    """The database failed under a handler; the user sees VAULT_UNAVAILABLE."""
