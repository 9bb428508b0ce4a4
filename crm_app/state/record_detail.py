"""What the pages of one lead or one contact share: loading by URL id, notes, delete.

Page states mix this in before AuthState (`class LeadDetailState(RecordDetailMixin,
AuthState)`), so AuthState stays their parent and the session middleware resets them.
"""

from __future__ import annotations

import uuid
from typing import Any, ClassVar

import reflex as rx
import sqlalchemy as sa
from sqlmodel import Session

from crm_app.core.db import tenant_session
from crm_app.services.errors import InvalidInput
from crm_app.services.timeline import (
    MAX_TIMELINE_ENTRIES,
    NOTE_CHANGED,
    TimelineEntry,
    add_note,
    delete_note,
    edit_note,
)
from crm_app.state import display
from crm_app.state.focus import focus_if_lost
from crm_app.state.timeline_rows import TimelineRow, timeline_row

# The note form's hidden field naming which form it is (note_key): see save_note.
NOTE_GENERATION = "note_form"


def note_field_id(noun: str) -> str:
    """The id of the note form's text field on a lead's or a contact's page."""
    return f"{noun}-note"


# The field of the form that edits a note, and its hidden field naming the note.
NOTE_EDIT_FIELD_ID = "note-edit"
NOTE_ID_FIELD = "note_id"
NOTE_VERSION_FIELD = "note_version"


def note_edit_button_id(note_id: Any) -> Any:
    """The id of a note's Edit button (a str, or a Var in the page), where focus returns."""
    return (
        "edit-note-" + note_id
        if isinstance(note_id, str)
        else rx.Var.create("edit-note-") + note_id
    )


# Entries a record's page shows at first, and how many more each "Show older" adds.
TIMELINE_LENGTH = 100


class RecordDetailMixin(rx.State, mixin=True):
    """The record whose id is in the URL; not_found for an unknown or someone else's id.

    A page sets NOUN and implements _reload, _record_name and _delete.
    """

    # "lead": the URL parameter and add_note's keyword are "lead_id"; the list is /leads.
    NOUN: ClassVar[str]

    notes: str = ""
    timeline: list[TimelineRow] = []
    # Whether the record has entries older than those shown, and how many are asked for:
    # past the first hundred, a note was out of reach (nothing said there were more).
    timeline_has_older: bool = False
    timeline_capped: bool = False
    _timeline_length: int = TIMELINE_LENGTH
    loading: bool = False
    loaded: bool = False
    not_found: bool = False
    error: str = ""
    note_error: str = ""
    # Changes after each saved note, so the note field starts again empty.
    note_key: int = 0
    confirming_delete: bool = False
    # Asked by a click while the page was still arriving: its on_load keeps the question.
    _asked_while_arriving: str = ""
    # The note open for editing, and the note whose delete awaits a yes (ids, "" for none).
    editing_note: str = ""
    note_edit_error: str = ""
    deleting_note: str = ""
    _note_opened_while_arriving: str = ""
    # The record the page's fields hold (its id): another one's are never shown under this
    # URL, where Delete and the notes act on the URL's record.
    _shown_id: str = ""

    def _current(self) -> uuid.UUID | None:
        return display.parse_id(self.router.page.params.get(f"{self.NOUN}_id", ""))

    def _reload(self) -> None:
        """Load the record again after a change (the page's on_load handler)."""
        raise NotImplementedError

    def _record_name(self) -> str:
        raise NotImplementedError

    def _delete(self, session: Session, record_id: uuid.UUID) -> bool:
        """Delete the user's record; False when it was already gone."""
        raise NotImplementedError

    def _begin_load(self) -> uuid.UUID | None:
        """The id to load; None (and not_found shown) when the URL holds no valid id."""
        record_id = self._current()
        self.loading = True
        if str(record_id) != self._shown_id:
            # Until this record has loaded: if it fails, the error alone, not the last one.
            self.loaded, self.note_error = False, ""
            self._timeline_length = TIMELINE_LENGTH
        self.confirming_delete = self.confirming_delete and self._kept_on_arrival(
            self._asked_while_arriving
        )
        self._asked_while_arriving = self._mark_if_kept(self.confirming_delete)
        if record_id is None:
            self.not_found, self.loading, self.loaded = True, False, True
        return record_id

    def _timeline_asked(self) -> int:
        """list_timeline's limit: the entries to show, and one more to tell if there are older."""
        return self._timeline_length + 1

    def _show_timeline(self, entries: list[TimelineEntry], shown_on: str) -> None:
        shown = entries[: self._timeline_length]
        self.timeline = [timeline_row(entry, shown_on) for entry in shown]
        older = len(entries) > len(shown)
        self.timeline_capped = older and self._timeline_length >= MAX_TIMELINE_ENTRIES
        self.timeline_has_older = older and not self.timeline_capped

    @rx.event
    def show_older_entries(self):
        """The next entries back, below those shown (kept through later reloads)."""
        self._timeline_length = min(self._timeline_length + TIMELINE_LENGTH, MAX_TIMELINE_ENTRIES)
        self._reload()

    def _load_failed(self) -> None:
        """Show the page's error; the cause goes to the log, never to the browser."""
        display.log.exception("%s page: loading failed", self.NOUN)
        self.error, self.loading = display.LOAD_FAILED, False

    def _load_succeeded(self) -> None:
        self.error, self.loading, self.loaded = "", False, True
        self._shown_id = str(self._current())

    @rx.event
    def forget_shown(self):
        """on_unmount: the page's next visit starts from its loading line.

        The browser keeps this state's last values: the next record's page
        showed the last one's name, notes and timeline under its own URL until
        its on_load answered, and an Edit clicked then opened the last one.
        """
        self.loaded, self._shown_id = False, ""

    @rx.event
    def save_note(self, form: dict[str, Any]):
        record_id = self._current()
        if not self._user_id or record_id is None:
            return None
        # Sent by the form as it was before the last note was added (a double click, or
        # Enter pressed twice): that note is in already.
        if str(form.get(NOTE_GENERATION, "")) != str(self.note_key):
            return None
        try:
            with tenant_session(self.user_uuid) as session:
                note = add_note(
                    session=session,
                    user_id=self.user_uuid,
                    body=str(form.get("body", "")),
                    **{f"{self.NOUN}_id": record_id},
                )
        except InvalidInput as error:
            self.note_error = "; ".join(error.errors.values())
            return None
        except sa.exc.SQLAlchemyError:
            display.log.exception("%s page: adding a note failed", self.NOUN)
            self.note_error = display.SAVE_FAILED
            return None
        self.note_error = ""
        if note is None:  # deleted meanwhile (another tab): show that, not the stale record
            self._reload()
            return rx.toast.error(f"That {self.NOUN} no longer exists.")
        self.note_key += 1
        self._reload()
        # The form was replaced by a fresh one: focus goes to its field, ready for the next.
        return focus_if_lost(note_field_id(self.NOUN))

    @rx.event
    def set_confirming_delete(self, value: bool):
        self.confirming_delete = value
        self._asked_while_arriving = self._arrival_mark() if value else ""

    @rx.event
    def confirm_delete(self):
        record_id = self._current()
        self.confirming_delete = False
        if not self._user_id or record_id is None:
            return None
        try:
            with tenant_session(self.user_uuid) as session:
                deleted = self._delete(session, record_id)
        except sa.exc.SQLAlchemyError:
            display.log.exception("%s page: delete failed", self.NOUN)
            return rx.toast.error(display.SAVE_FAILED)
        if not deleted:  # another tab deleted it meanwhile
            return [
                rx.redirect(f"/{self.NOUN}s"),
                rx.toast.info(f"That {self.NOUN} was already gone."),
            ]
        name = self._record_name() or f"the {self.NOUN}"
        return [rx.redirect(f"/{self.NOUN}s"), rx.toast.success(f"Deleted {name}.")]

    @rx.event
    def close_notes_on_arrival(self):
        """on_load: a note left open for editing on an earlier visit is closed, unless a
        click opened it as this page arrived (AuthState._arrival_mark)."""
        kept = self._kept_on_arrival(self._note_opened_while_arriving)
        if not kept:
            self.editing_note = self.deleting_note = self.note_edit_error = ""
        self._note_opened_while_arriving = self._mark_if_kept(kept)

    @rx.event
    def start_editing_note(self, note_id: str):
        if display.parse_id(note_id) is None:  # not an id a page of ours sends
            return
        self.editing_note, self.deleting_note, self.note_edit_error = note_id, "", ""
        self._note_opened_while_arriving = self._arrival_mark()

    @rx.event
    def stop_editing_note(self):
        note_id, self.editing_note, self.note_edit_error = self.editing_note, "", ""
        self._note_opened_while_arriving = ""
        # Cancel went with its form: focus goes back to the note's Edit button.
        return focus_if_lost(note_edit_button_id(note_id), settle=True)

    @rx.event
    def save_edited_note(self, form: dict[str, Any]):
        record_id, note_id = self._current(), str(form.get(NOTE_ID_FIELD, ""))
        # Sent again after it was saved (a double click): the note is closed already.
        if not self._user_id or record_id is None or note_id != self.editing_note:
            return None
        note_uuid = display.parse_id(note_id)
        if note_uuid is None:  # start_editing_note keeps only ids: not one of ours
            return None
        try:
            with tenant_session(self.user_uuid) as session:
                note = edit_note(
                    session=session,
                    user_id=self.user_uuid,
                    note_id=note_uuid,
                    body=str(form.get("body", "")),
                    replaces=str(form.get(NOTE_VERSION_FIELD, "")),
                    **{f"{self.NOUN}_id": record_id},
                )
        except InvalidInput as error:
            self.note_edit_error = "; ".join(error.errors.values())
            if error.errors.get("body") == NOTE_CHANGED:
                # The form keeps what was typed; its version becomes the change it would
                # replace, so a second Save means it.
                self._reload()
            return None
        except sa.exc.SQLAlchemyError:
            display.log.exception("%s page: editing a note failed", self.NOUN)
            self.note_edit_error = display.SAVE_FAILED
            return None
        self.editing_note = self.note_edit_error = ""
        self._reload()
        if note is None:  # deleted meanwhile (another tab), or the lead or contact was
            return rx.toast.error(f"That {self._gone()} no longer exists.")
        # The form is gone: focus goes back to the note's Edit button.
        return focus_if_lost(note_edit_button_id(note_id), settle=True)

    @rx.event
    def ask_delete_note(self, note_id: str):
        if display.parse_id(note_id) is None:
            return
        self.deleting_note, self.editing_note, self.note_edit_error = note_id, "", ""
        self._note_opened_while_arriving = self._arrival_mark()

    @rx.event
    def keep_note(self):
        """The dialog closed (Cancel, Escape, or after Delete): it gives focus back itself."""
        self.deleting_note = ""
        self._note_opened_while_arriving = ""

    @rx.event
    def confirm_delete_note(self):
        record_id, note_uuid = self._current(), display.parse_id(self.deleting_note)
        self.deleting_note = ""
        if not self._user_id or record_id is None or note_uuid is None:
            return None
        try:
            with tenant_session(self.user_uuid) as session:
                deleted = delete_note(
                    session=session,
                    user_id=self.user_uuid,
                    note_id=note_uuid,
                    **{f"{self.NOUN}_id": record_id},
                )
        except sa.exc.SQLAlchemyError:
            display.log.exception("%s page: deleting a note failed", self.NOUN)
            return rx.toast.error(display.SAVE_FAILED)
        self._reload()
        if not deleted:
            return rx.toast.info(f"That {self._gone()} was already gone.")
        return rx.toast.success("Note deleted.")

    def _gone(self) -> str:
        """What another tab deleted, once the page has loaded again: the record, or the note."""
        return self.NOUN if self.not_found else "note"
