"""What the lists of the user's own records (leads, contacts) add: sort, delete, CSV export.

Calls, runs and webhook events arrive from providers and are only read, so
their lists mix in ListPageMixin alone.
"""

from __future__ import annotations

import uuid
from typing import Any, ClassVar

import reflex as rx
import sqlalchemy as sa
from sqlmodel import Session

from crm_app.core.db import tenant_session
from crm_app.models.base import utcnow
from crm_app.state import display
from crm_app.state.list_page import SortMixin


class RecordListMixin(SortMixin, mixin=True):
    """Sort menu, "Delete X?" confirmation and export of the filtered list.

    A page sets NOUN and SORTS and implements _filters, _delete and _export.
    """

    # "lead": the toasts and the export's file name say what the rows are.
    NOUN: ClassVar[str]

    delete_id: str = ""
    delete_name: str = ""
    # Asked by a click while the page was still arriving: its on_load keeps the question.
    _asked_while_arriving: str = ""

    def _filters(self) -> dict[str, Any]:
        """The list's search, filters and sort as keywords of its list and export services."""
        raise NotImplementedError

    def _delete(self, session: Session, record_id: uuid.UUID) -> bool:
        """Delete the user's record; False when it was already gone."""
        raise NotImplementedError

    def _export(self, session: Session) -> str:
        """The filtered list as CSV text."""
        raise NotImplementedError

    def _refresh_after_delete(self) -> None:
        self._refresh()

    def _forget_dialogs(self) -> None:
        """On arriving at the page: no confirmation left open from the last visit (Back, reload)."""
        kept = self._kept_on_arrival(self._asked_while_arriving)
        if not kept:
            self.delete_id, self.delete_name = "", ""
        self._asked_while_arriving = self._mark_if_kept(kept)

    @rx.event
    def ask_delete(self, record_id: str, name: str):
        self.delete_id, self.delete_name = record_id, name or f"this {self.NOUN}"
        self._asked_while_arriving = self._arrival_mark()

    @rx.event
    def cancel_delete(self):
        self.delete_id, self.delete_name = "", ""

    @rx.event
    def confirm_delete(self):
        record_id = display.parse_id(self.delete_id)
        name = self.delete_name
        self.delete_id, self.delete_name = "", ""
        if not self._user_id or record_id is None:
            return None
        try:
            with tenant_session(self.user_uuid) as session:
                deleted = self._delete(session, record_id)
        except sa.exc.SQLAlchemyError:
            display.log.exception("%ss: deleting a %s failed", self.NOUN, self.NOUN)
            return rx.toast.error(display.SAVE_FAILED)
        self._refresh_after_delete()
        gone = f"That {self.NOUN} was already gone."
        return rx.toast.success(f"Deleted {name}." if deleted else gone)

    @rx.event
    def export_csv(self):
        """Download the current filtered list, in its order, as CSV."""
        if not self._user_id:
            return None
        try:
            with tenant_session(self.user_uuid) as session:
                text = self._export(session)
        except sa.exc.SQLAlchemyError:
            display.log.exception("%ss: export failed", self.NOUN)
            return rx.toast.error(display.LOAD_FAILED)
        stamp = utcnow().strftime("%Y-%m-%d")
        return rx.download(data=text, filename=f"{self.NOUN}s-{stamp}.csv", mime_type="text/csv")
