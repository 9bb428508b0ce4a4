"""The create/edit dialog of a lead or a contact: open it, fill it, save it, show what was wrong.

Form states mix this in before AuthState (`class LeadFormState(RecordFormMixin,
AuthState)`), so AuthState stays their parent and the session middleware resets them.
"""

from __future__ import annotations

import json
import uuid
from typing import Any, ClassVar

import pydantic
import reflex as rx
import sqlalchemy as sa
from sqlmodel import Session

from crm_app.core.config import get_settings
from crm_app.core.db import tenant_session
from crm_app.services.errors import InvalidInput
from crm_app.state import display
from crm_app.state.focus import focus_on

# The most of one submitted field kept; the services refuse anything longer anyway.
MAX_FIELD_CHARS = 20_000


class RecordFormMixin(rx.State, mixin=True):
    """Whether the dialog is open, for which record, what it holds and what was wrong.

    A form sets NOUN, FIELDS and BLANK, declares `values` with BLANK as its
    default, and implements _fetch, _create, _update and _refresh_page.
    """

    NOUN: ClassVar[str]
    # The form's fields, in the order the services take them.
    FIELDS: ClassVar[tuple[str, ...]]
    # What a new record's dialog starts with.
    BLANK: ClassVar[dict[str, str]]

    open: bool = False
    editing_id: str = ""
    errors: dict[str, str] = {}
    form_error: str = ""
    saving: bool = False
    # Changes on each opening, so the form's inputs start again from `values`.
    form_key: int = 0
    phone_region: str = "US"
    # What the fields held when the dialog opened (see _changed), and as JSON for the
    # browser, whose Escape asks before discarding anything else (components/dialogs).
    _opened_with: dict[str, str] = {}
    opened_json: str = "{}"
    # Opened by a click while the page was still arriving: its on_load keeps it (see
    # AuthState._arrival_mark and close_on_arrival).
    _opened_while_arriving: str = ""

    def _fetch(self, session: Session, record_id: uuid.UUID) -> Any:
        """The user's record to edit, or None."""
        raise NotImplementedError

    def _create(self, session: Session, values: dict[str, str]) -> Any:
        raise NotImplementedError

    def _update(self, session: Session, record_id: uuid.UUID | None, values: dict[str, str]) -> Any:
        """The updated record, or None when it is gone."""
        raise NotImplementedError

    def _refresh_page(self) -> Any:
        """The event that reloads the page the dialog was opened on."""
        raise NotImplementedError

    def _show(self, record_id: str, values: dict[str, str]) -> None:
        self.editing_id, self.values, self._opened_with = record_id, values, dict(values)
        self.opened_json = json.dumps(values)
        self.errors, self.form_error, self.saving = {}, "", False
        self.phone_region = get_settings().default_phone_region.upper()
        self.form_key += 1
        self.open = True
        # Opened by the page's own on_load (?new=1): a reconnect keeps it, a visit does not.
        self._opened_while_arriving = self._socket_mark()

    def _shown_by_click(self, record_id: str, values: dict[str, str]) -> None:
        self._show(record_id, values)
        self._opened_while_arriving = self._arrival_mark()

    @rx.event
    def open_new(self):
        if self._user_id:
            self._shown_by_click("", dict(self.BLANK))

    @rx.event
    def open_edit(self, record_id: str):
        # On the record's own page, the record is the URL's: until the page's on_load has
        # answered, the button may still hold the record shown before (forget_shown).
        if f"[{self.NOUN}_id]" in self.router.page.path:  # the route's, not a query's
            record_id = self.router.page.params.get(f"{self.NOUN}_id") or record_id
        record_uuid = display.parse_id(record_id)
        if not self._user_id or record_uuid is None:
            return None
        try:
            with tenant_session(self.user_uuid) as session:
                record = self._fetch(session, record_uuid)
        except sa.exc.SQLAlchemyError:
            display.log.exception("%s form: loading a %s failed", self.NOUN, self.NOUN)
            return rx.toast.error(display.LOAD_FAILED)
        if record is None:
            return rx.toast.error(f"That {self.NOUN} no longer exists.")
        values = {name: str(getattr(record, name) or "") for name in self.FIELDS}
        self._shown_by_click(str(record.id), values)
        return None

    @rx.event
    def close_on_arrival(self):
        """on_load: a page arrived at (a link, Back, a reload) shows no dialog the tab left open.

        The dialog's state outlives the page it was opened on: without this, Back from
        a lead with its Edit dialog open would show that dialog over the list. One
        opened by a click on this very page, before its on_load ran, stays open.
        """
        self._close_left_open()

    def _close_left_open(self) -> None:
        self.open = self.open and self._kept_on_arrival(self._opened_while_arriving)
        self._opened_while_arriving = self._mark_if_kept(self.open)

    @rx.event
    def set_open(self, is_open: bool):
        self.open = is_open and self.open

    @rx.event
    def save(self, form: dict[str, Any]):
        """Create or update the record from the submitted form; errors go next to their fields."""
        # Closed already: a second click or Enter queued behind the Save that closed it.
        if not self._user_id or self.saving or not self.open:
            return None
        values = {name: str(form.get(name, ""))[:MAX_FIELD_CHARS] for name in self.FIELDS}
        self.values, self.errors, self.form_error, self.saving = values, {}, "", True
        try:
            with tenant_session(self.user_uuid) as session:
                if self.editing_id:
                    record = self._update(
                        session, display.parse_id(self.editing_id), self._changed(values)
                    )
                else:
                    record = self._create(session, values)
        except InvalidInput as error:
            return self._show_problems(error.errors)
        except pydantic.ValidationError as error:
            return self._show_problems(_problems(error))
        except sa.exc.SQLAlchemyError:
            display.log.exception("%s form: saving failed", self.NOUN)
            self.form_error = display.SAVE_FAILED
            return None
        finally:
            # Whatever happened, the next Save is heard.
            self.saving = False
        self.open = False
        if record is None:  # deleted meanwhile (another tab): the page stops showing it too
            return [self._refresh_page(), rx.toast.error(f"That {self.NOUN} no longer exists.")]
        verb = "Saved" if self.editing_id else "Added"
        name = display.phone(record.name) or f"the {self.NOUN}"
        return [self._refresh_page(), rx.toast.success(f"{verb} {name}.")]

    def _changed(self, values: dict[str, str]) -> dict[str, str]:
        """The fields this dialog changed since it opened: only those are written.

        Another tab (or the board, or a webhook) may have changed the record
        meanwhile; writing back every field as this dialog first showed it
        would undo those changes without a word.
        """
        opened = self._opened_with
        return {
            name: value
            for name, value in values.items()
            if name not in opened or held(name, value) != held(name, opened[name])
        }

    def _show_problems(self, problems: dict[str, str]) -> Any:
        """Each problem next to its field; any about no field of the form above the buttons.

        Focus goes to the first field with a problem, whose message is tied to it: a
        screen reader reads it there, and the person types the fix at once.
        """
        self.errors = {name: message for name, message in problems.items() if name in self.FIELDS}
        self.form_error = "; ".join(
            message for name, message in problems.items() if name not in self.FIELDS
        )
        first = next((name for name in self.FIELDS if name in self.errors), None)
        return focus_on(f"{self.NOUN}-{first}") if first else None


# The dialogs' only text areas (components/record_forms.py); every other field is an input.
MULTILINE_FIELDS = ("notes",)


def held(name: str, text: str) -> str:
    """A field's text as the browser's control holds it, as the dialog's discard question
    compares them (components/dialogs.py): an input drops line breaks, a text area keeps
    each as \n. A name imported as "Ada\nLovelace" comes back "AdaLovelace" untouched,
    and notes written with \r\n come back with \n: neither is a change to write."""
    if name in MULTILINE_FIELDS:
        return text.replace("\r\n", "\n").replace("\r", "\n")
    return text.replace("\r", "").replace("\n", "")


def _problems(error: pydantic.ValidationError) -> dict[str, str]:
    """Pydantic's complaints keyed by the field they concern, as InvalidInput's are."""
    return {str(item["loc"][0]) if item["loc"] else "": item["msg"] for item in error.errors()}
