"""/calls/[call_id]: one call's summary, transcript, recording, cost and the person it was."""

from __future__ import annotations

import uuid

import reflex as rx
import sqlalchemy as sa

from crm_app.core.db import tenant_session
from crm_app.services.call_logs import get_call_log
from crm_app.services.contacts import get_contact
from crm_app.services.leads import get_lead
from crm_app.state import display
from crm_app.state.auth import AuthState
from crm_app.state.calls import CallRow, call_row
from crm_app.state.live_reload import LiveReloadMixin
from crm_app.state.transcript import MAX_TURNS, Turn, safe_link, transcript_turns


class CallDetailState(LiveReloadMixin, AuthState):
    """The call whose id is in the URL; not_found for an unknown or someone else's id."""

    call: CallRow = CallRow()
    summary: str = ""
    transcript: list[Turn] = []
    transcript_total: int = 0  # turns in all: more than shown until the whole is asked for
    # The call whose whole transcript this tab asked for.
    _whole_transcript_of: str = ""
    recording_url: str = ""
    success_evaluation: str = ""
    from_number: str = ""
    to_number: str = ""
    ended_at: str = ""
    lead_name: str = ""
    contact_name: str = ""
    loading: bool = False
    loaded: bool = False
    # The call the page's fields hold (its id), so no other call's show under this URL.
    _shown_id: str = ""
    not_found: bool = False
    error: str = ""

    @rx.var
    def transcript_note(self) -> str:
        """What part of a long transcript is shown ("" when all of it is)."""
        shown = len(self.transcript)
        if shown >= self.transcript_total:
            return ""
        return f"The first {shown:,} of {self.transcript_total:,} turns."

    @rx.var
    def shows_live_call(self) -> bool:
        return self._shows_live()

    def _shows_live(self) -> bool:
        return self.loaded and not self.not_found and self.call.live

    def _reload_live(self) -> None:
        # The call shown, not the URL's: a reload that arrives just after Back or
        # Forward may carry another page's route, whose call id is none.
        self._load(display.parse_id(self.call.id))

    @rx.event
    def show_whole_transcript(self):
        self._whole_transcript_of = self.call.id
        self._load(display.parse_id(self.call.id))

    @rx.event
    def forget_shown(self):
        """on_unmount: the next call's page starts from its loading line, not from this call
        (the browser keeps this state's last values until the next on_load answers)."""
        self.loaded, self._shown_id = False, ""

    @rx.event
    def load_call(self):
        """on_load: the call whose id is in the URL."""
        self._load(display.parse_id(self.router.page.params.get("call_id", "")))
        return self._keep_reloading_if_live()

    def _load(self, call_uuid: uuid.UUID | None) -> None:
        if not self._user_id:
            return
        self.loading = True
        if str(call_uuid) != self._shown_id:
            self.loaded = False  # another call's details are never shown under this URL
        if call_uuid is None:
            self.not_found, self.loading, self.loaded = True, False, True
            return
        lead = contact = None
        try:
            with tenant_session(self.user_uuid) as session:
                call = get_call_log(session=session, user_id=self.user_uuid, call_id=call_uuid)
                if call is not None and call.lead_id:
                    lead = get_lead(session=session, user_id=self.user_uuid, lead_id=call.lead_id)
                if call is not None and call.contact_id:
                    contact = get_contact(
                        session=session, user_id=self.user_uuid, contact_id=call.contact_id
                    )
        except sa.exc.SQLAlchemyError:
            display.log.exception("call page: loading failed")
            self.error, self.loading = display.LOAD_FAILED, False
            return
        self.not_found = call is None
        if call is not None:
            # The heading names the call as the list does: by its person, as the CRM knows them.
            names = {record.id: record.name for record in (lead, contact) if record and record.name}
            self.call, self.summary = call_row(call, names), call.summary
            turns = transcript_turns(call.transcript)
            shown = None if self._whole_transcript_of == str(call.id) else MAX_TURNS
            self.transcript, self.transcript_total = turns[:shown], len(turns)
            self.recording_url = safe_link(call.recording_url)
            self.success_evaluation = display.evaluation(call.success_evaluation)
            # A web call has no caller's number: a dash, not an arrow from nothing.
            self.from_number = display.phone(call.from_number) or "–"
            self.to_number = display.phone(call.to_number) or "–"
            self.ended_at = display.iso(call.ended_at)
        self.lead_name, self.contact_name = display.linked_name(lead), display.linked_name(contact)
        self.error, self.loading, self.loaded = "", False, True
        self._shown_id = str(call_uuid)
