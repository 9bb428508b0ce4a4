"""The create/edit lead dialog, used on the list and on a lead's page."""

from __future__ import annotations

import uuid
from typing import Any, ClassVar

import reflex as rx
from sqlmodel import Session

from crm_app.models import LeadCreate, LeadUpdate
from crm_app.services.leads import clean_lead_fields, create_lead, get_lead, update_lead
from crm_app.state.address_bar import forget_parameters
from crm_app.state.auth import AuthState
from crm_app.state.lead_detail import LeadDetailState
from crm_app.state.leads import LeadsState
from crm_app.state.record_form import RecordFormMixin

FIELDS = ("name", "phone", "email", "status", "source", "notes")
BLANK = {"name": "", "phone": "", "email": "", "status": "new", "source": "manual", "notes": ""}


class LeadFormState(RecordFormMixin, AuthState):
    """Whether the dialog is open, for which lead, what it holds and what was wrong."""

    NOUN: ClassVar[str] = "lead"
    FIELDS: ClassVar[tuple[str, ...]] = FIELDS
    BLANK: ClassVar[dict[str, str]] = BLANK

    values: dict[str, str] = dict(BLANK)

    @rx.event
    def open_from_query(self):
        """on_load of /leads: ?new=1 opens the dialog (the dashboard's "Add a lead"); otherwise
        one left open is closed (close_on_arrival)."""
        if self._user_id and self.router.url.query_parameters.get("new") == "1":
            self._show("", dict(BLANK))
            return forget_parameters("new")  # asked once: Back or a reload does not ask again
        self._close_left_open()
        return None

    # --- what RecordFormMixin's open_edit and save run

    def _fetch(self, session: Session, record_id: uuid.UUID) -> Any:
        return get_lead(session=session, user_id=self.user_uuid, lead_id=record_id)

    def _create(self, session: Session, values: dict[str, str]) -> Any:
        # Cleaned first: LeadCreate holds the phone to 20 characters, so a number typed with
        # spaces or an extension would otherwise be refused in pydantic's words, not the service's.
        lead_in = LeadCreate(**clean_lead_fields(values))
        return create_lead(session=session, user_id=self.user_uuid, lead_in=lead_in)

    def _update(self, session: Session, record_id: uuid.UUID | None, values: dict[str, str]) -> Any:
        return update_lead(
            session=session,
            user_id=self.user_uuid,
            lead_id=record_id,
            lead_in=LeadUpdate(**values),
        )

    def _refresh_page(self) -> Any:
        on_detail_page = self.router.page.path.startswith("/leads/")
        return LeadDetailState.load_lead if on_detail_page else LeadsState.refresh
