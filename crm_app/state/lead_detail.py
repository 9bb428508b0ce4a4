"""/leads/[lead_id]: one lead, its timeline and notes, status, conversion and delete."""

from __future__ import annotations

from typing import Any

import reflex as rx
import sqlalchemy as sa

from crm_app.core.db import tenant_session
from crm_app.services.errors import InvalidInput
from crm_app.services.leads import delete_lead, get_lead
from crm_app.services.pipeline import (
    change_lead_status,
    convert_lead_to_contact,
    converted_contact_id,
)
from crm_app.services.timeline import add_note, list_timeline
from crm_app.state import display
from crm_app.state.auth import AuthState
from crm_app.state.leads import LeadRow, lead_row
from crm_app.state.timeline_rows import TimelineRow, timeline_row

TIMELINE_LENGTH = 100


class LeadDetailState(AuthState):
    """The lead whose id is in the URL; not_found for an unknown or someone else's id."""

    lead: LeadRow = LeadRow()
    notes: str = ""
    updated_at: str = ""
    contact_id: str = ""
    timeline: list[TimelineRow] = []
    loading: bool = False
    loaded: bool = False
    not_found: bool = False
    error: str = ""
    note_error: str = ""
    note_key: int = 0
    confirming_delete: bool = False

    def _current(self):  # type: ignore[no-untyped-def]
        return display.parse_id(self.router.page.params.get("lead_id", ""))

    @rx.event
    def load_lead(self):
        """on_load (and after changes): the lead, its contact link and its timeline."""
        if not self._user_id:
            return
        lead_uuid = self._current()
        self.loading, self.confirming_delete = True, False
        if lead_uuid is None:
            self.not_found, self.loading, self.loaded = True, False, True
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
                    limit=TIMELINE_LENGTH,
                )
        except sa.exc.SQLAlchemyError:
            display.log.exception("lead page: loading failed")
            self.error, self.loading = display.LOAD_FAILED, False
            return
        self.not_found = lead is None
        if lead is not None:
            self.lead, self.notes = lead_row(lead), lead.notes
            self.updated_at = display.iso(lead.updated_at)
        self.contact_id = str(contact) if contact else ""
        self.timeline = [timeline_row(entry, self.contact_id) for entry in entries]
        self.error, self.loading, self.loaded = "", False, True

    @rx.event
    def change_status(self, status: str):
        lead_uuid = self._current()
        if not self._user_id or lead_uuid is None:
            return None
        try:
            with tenant_session(self.user_uuid) as session:
                lead = change_lead_status(
                    session=session, user_id=self.user_uuid, lead_id=lead_uuid, status=status
                )
        except InvalidInput as error:
            return rx.toast.error(f"Status not changed: {error}")
        except sa.exc.SQLAlchemyError:
            display.log.exception("lead page: changing the status failed")
            return rx.toast.error(display.SAVE_FAILED)
        self.load_lead()
        return rx.toast.success(f"Status: {lead.status}.") if lead else None

    @rx.event
    def save_note(self, form: dict[str, Any]):
        lead_uuid = self._current()
        if not self._user_id or lead_uuid is None:
            return None
        try:
            with tenant_session(self.user_uuid) as session:
                note = add_note(
                    session=session,
                    user_id=self.user_uuid,
                    lead_id=lead_uuid,
                    body=str(form.get("body", "")),
                )
        except InvalidInput as error:
            self.note_error = "; ".join(error.errors.values())
            return None
        except sa.exc.SQLAlchemyError:
            display.log.exception("lead page: adding a note failed")
            self.note_error = display.SAVE_FAILED
            return None
        self.note_error = ""
        if note is None:
            return rx.toast.error("That lead no longer exists.")
        self.note_key += 1  # a fresh, empty note field
        self.load_lead()
        return None

    @rx.event
    def convert(self):
        lead_uuid = self._current()
        if not self._user_id or lead_uuid is None:
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
        return rx.toast.success(message)

    @rx.event
    def set_confirming_delete(self, value: bool):
        self.confirming_delete = value

    @rx.event
    def confirm_delete(self):
        lead_uuid = self._current()
        self.confirming_delete = False
        if not self._user_id or lead_uuid is None:
            return None
        try:
            with tenant_session(self.user_uuid) as session:
                delete_lead(session=session, user_id=self.user_uuid, lead_id=lead_uuid)
        except sa.exc.SQLAlchemyError:
            display.log.exception("lead page: delete failed")
            return rx.toast.error(display.SAVE_FAILED)
        return [rx.redirect("/leads"), rx.toast.success(f"Deleted {self.lead.name or 'the lead'}.")]
