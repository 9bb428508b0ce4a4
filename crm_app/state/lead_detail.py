"""/leads/[lead_id]: one lead, its timeline and notes, status, conversion and delete."""

from __future__ import annotations

import uuid
from typing import ClassVar

import reflex as rx
import sqlalchemy as sa
from sqlmodel import Session

from crm_app.core.db import tenant_session
from crm_app.services.errors import InvalidInput, StatusMovedOn
from crm_app.services.leads import delete_lead, get_lead
from crm_app.services.pipeline import (
    change_lead_status,
    convert_lead_to_contact,
    converted_contact_id,
)
from crm_app.services.timeline import list_timeline
from crm_app.state import display
from crm_app.state.auth import AuthState
from crm_app.state.focus import focus_if_lost
from crm_app.state.leads import LeadRow, lead_row
from crm_app.state.record_detail import RecordDetailMixin

# The lead page's link to its contact, once converted.
CONTACT_LINK_ID = "lead-contact-link"


class LeadDetailState(RecordDetailMixin, AuthState):
    """The lead whose id is in the URL; not_found for an unknown or someone else's id."""

    NOUN: ClassVar[str] = "lead"

    lead: LeadRow = LeadRow()
    updated_at: str = ""
    contact_id: str = ""

    @rx.event
    def load_lead(self):
        """on_load (and after changes): the lead, its contact link and its timeline."""
        if not self._user_id:
            return
        lead_uuid = self._begin_load()
        if lead_uuid is None:
            return
        try:
            with tenant_session(self.user_uuid) as session:
                lead = get_lead(session=session, user_id=self.user_uuid, lead_id=lead_uuid)
                contact = converted_contact_id(
                    session=session, user_id=self.user_uuid, lead_id=lead_uuid
                )
                entries = list_timeline(
                    session=session,
                    user_id=self.user_uuid,
                    lead_id=lead_uuid,
                    limit=self._timeline_asked(),
                )
        except sa.exc.SQLAlchemyError:
            self._load_failed()
            return
        self.not_found = lead is None
        if lead is not None:
            self.lead, self.notes = lead_row(lead), lead.notes
            self.updated_at = display.iso(lead.updated_at)
        self.contact_id = str(contact) if contact else ""
        self._show_timeline(entries, "lead")
        self._load_succeeded()

    def _reload(self) -> None:
        self.load_lead()

    def _record_name(self) -> str:
        return self.lead.name

    def _delete(self, session: Session, record_id: uuid.UUID) -> bool:
        return delete_lead(session=session, user_id=self.user_uuid, lead_id=record_id)

    @rx.event
    def change_status(self, status: str):
        lead_uuid = self._current()
        if not self._user_id or lead_uuid is None:
            return None
        # From the status the page shows, when it shows this lead (not one still loading).
        shown = self.lead.status if self.lead.id == str(lead_uuid) else None
        try:
            with tenant_session(self.user_uuid) as session:
                lead = change_lead_status(
                    session=session,
                    user_id=self.user_uuid,
                    lead_id=lead_uuid,
                    status=status,
                    shown=shown,
                )
        except StatusMovedOn as moved:
            self.load_lead()
            return rx.toast.warning(f"Status not changed: {moved.errors['status']}")
        except InvalidInput as error:
            return rx.toast.error(f"Status not changed: {error}")
        except sa.exc.SQLAlchemyError:
            display.log.exception("lead page: changing the status failed")
            return rx.toast.error(display.SAVE_FAILED)
        self.load_lead()
        return rx.toast.success(f"Status: {lead.status}.") if lead else None

    @rx.event
    def convert(self):
        lead_uuid = self._current()
        # Converted already: a second click queued before the button went away does nothing.
        if not self._user_id or lead_uuid is None or self.contact_id:
            return None
        try:
            with tenant_session(self.user_uuid) as session:
                conversion = convert_lead_to_contact(
                    session=session, user_id=self.user_uuid, lead_id=lead_uuid
                )
        except InvalidInput as error:
            return rx.toast.error(f"Not converted: {error}")
        except sa.exc.SQLAlchemyError:
            display.log.exception("lead page: conversion failed")
            return rx.toast.error(display.SAVE_FAILED)
        if conversion is None:
            return rx.toast.error("That lead no longer exists.")
        self.load_lead()
        message = "Created a contact." if conversion.created else "Linked to the existing contact."
        if conversion.won:
            message += " The lead is now won."
        # The Convert button is gone: focus goes to the link to the contact that replaced it.
        return [rx.toast.success(message), focus_if_lost(CONTACT_LINK_ID)]
