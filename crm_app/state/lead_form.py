"""The create/edit lead dialog, used on the list and on a lead's page."""

from __future__ import annotations

from typing import Any

import reflex as rx
import sqlalchemy as sa

from crm_app.core.config import get_settings
from crm_app.core.db import tenant_session
from crm_app.models import LeadCreate, LeadUpdate
from crm_app.services.errors import InvalidInput
from crm_app.services.leads import create_lead, get_lead, update_lead
from crm_app.state import display
from crm_app.state.auth import AuthState
from crm_app.state.lead_detail import LeadDetailState
from crm_app.state.leads import LeadsState

FIELDS = ("name", "phone", "email", "status", "source", "notes")
BLANK = {"name": "", "phone": "", "email": "", "status": "new", "source": "manual", "notes": ""}


class LeadFormState(AuthState):
    """Whether the dialog is open, for which lead, what it holds and what was wrong."""

    open: bool = False
    editing_id: str = ""
    values: dict[str, str] = dict(BLANK)
    errors: dict[str, str] = {}
    form_error: str = ""
    saving: bool = False
    # Changes on each opening, so the form's inputs start again from `values`.
    form_key: int = 0
    phone_region: str = "US"

    def _show(self, lead_id: str, values: dict[str, str]) -> None:
        self.editing_id, self.values = lead_id, values
        self.errors, self.form_error, self.saving = {}, "", False
        self.phone_region = get_settings().default_phone_region.upper()
        self.form_key += 1
        self.open = True

    @rx.event
    def open_new(self):
        if self._user_id:
            self._show("", dict(BLANK))

    @rx.event
    def open_from_query(self):
        """on_load of /leads: ?new=1 opens the dialog (the dashboard's "Add a lead")."""
        if self._user_id and self.router.url.query_parameters.get("new") == "1":
            self._show("", dict(BLANK))

    @rx.event
    def open_edit(self, lead_id: str):
        lead_uuid = display.parse_id(lead_id)
        if not self._user_id or lead_uuid is None:
            return None
        try:
            with tenant_session(self.user_uuid) as session:
                lead = get_lead(session=session, user_id=self.user_uuid, lead_id=lead_uuid)
        except sa.exc.SQLAlchemyError:
            display.log.exception("lead form: loading a lead failed")
            return rx.toast.error(display.LOAD_FAILED)
        if lead is None:
            return rx.toast.error("That lead no longer exists.")
        self._show(str(lead.id), {name: str(getattr(lead, name) or "") for name in FIELDS})
        return None

    @rx.event
    def set_open(self, is_open: bool):
        self.open = is_open and self.open

    @rx.event
    def save(self, form: dict[str, Any]):
        """Create or update the lead from the submitted form; errors go next to their fields."""
        if not self._user_id or self.saving:
            return None
        values = {name: str(form.get(name, ""))[:20_000] for name in FIELDS}
        self.values, self.saving = values, True
        try:
            with tenant_session(self.user_uuid) as session:
                if self.editing_id:
                    lead = update_lead(
                        session=session,
                        user_id=self.user_uuid,
                        lead_id=display.parse_id(self.editing_id),
                        lead_in=LeadUpdate(**values),
                    )
                else:
                    lead = create_lead(
                        session=session, user_id=self.user_uuid, lead_in=LeadCreate(**values)
                    )
        except InvalidInput as error:
            self.errors, self.form_error, self.saving = error.errors, "", False
            return None
        except sa.exc.SQLAlchemyError:
            display.log.exception("lead form: saving failed")
            self.form_error, self.saving = display.SAVE_FAILED, False
            return None
        self.saving, self.open = False, False
        if lead is None:
            return rx.toast.error("That lead no longer exists.")
        on_detail_page = self.router.page.path.startswith("/leads/")
        refresh = LeadDetailState.load_lead if on_detail_page else LeadsState.refresh
        verb = "Saved" if self.editing_id else "Added"
        return [refresh, rx.toast.success(f"{verb} {lead.name or 'the lead'}.")]
