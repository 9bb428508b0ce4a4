"""/webhooks: the user's webhook audit trail, one event's details, and Replay for failed ones.

Payloads are stored redacted, so showing them is safe; Reflex renders them as
text (escaped), never as HTML.
"""

from __future__ import annotations

import dataclasses
import json
import uuid
from typing import Any

import reflex as rx
import sqlalchemy as sa

from crm_app.core.db import tenant_session
from crm_app.models import WebhookEvent
from crm_app.services.webhook_events import (
    get_webhook_event,
    list_webhook_events,
    webhook_event_types,
)
from crm_app.services.webhook_ingest import (
    NOISE_ROWS_PER_WINDOW,
    NOISE_WINDOW,
    replay_can_help,
    replay_webhook_event,
)
from crm_app.services.webhook_types import PROVIDERS, STATUSES
from crm_app.state import display
from crm_app.state.auth import AuthState
from crm_app.state.list_page import ALL, PAGE_SIZE, ListPageMixin, chosen, first_value
from crm_app.state.webhook_advice import what_to_do

# The most of a payload the detail view shows; the rest stays in the database.
MAX_SHOWN_PAYLOAD = 100_000
# Result keys naming a record, and where each is shown.
RECORD_LINKS = {
    "call_log_id": ("Call", "/calls/"),
    "lead_id": ("Lead", "/leads/"),
    "contact_id": ("Contact", "/contacts/"),
    "automation_log_id": ("Automation run", "/automations"),
    "activity_id": ("Timeline entry", ""),
}
REPEATS_NOTE = (
    f"Once a provider has sent {NOISE_ROWS_PER_WINDOW} rejected or duplicate requests in "
    f"{NOISE_WINDOW.seconds // 60} minutes, a repeat of one is counted on it instead of listed."
)
# Only for requests that did not prove they came from the provider: those that did (a
# duplicate, a field the CRM could not take) hold its secret, and a new URL would only
# break a working setup.
REPEATS_UNPROVEN = (
    " If your provider sent them, check the secret saved for it on the Integrations page; "
    "if it did not, someone else has this URL: make a new one there."
)
UNPROVEN_REASONS = ("bad signature", "missing signature", "wrong API key")


def repeats_note(status: str, reason: str) -> str:
    """What the count of repeats on a row means, and, for unproven requests, what to do."""
    unproven = status == "rejected" and reason.startswith(UNPROVEN_REASONS)
    return REPEATS_NOTE + (REPEATS_UNPROVEN if unproven else "")


REPLAY_FAILED = "Could not replay the event. Nothing was changed; try again in a moment."
DETAIL_FAILED = "Could not open the event. Try again in a moment."
EVENT_GONE = "That event is no longer stored."


@dataclasses.dataclass
class WebhookRow:
    """An event as the list shows it."""

    id: str = ""
    received_at: str = ""
    provider: str = ""
    event_type: str = ""
    status: str = ""
    event_id: str = ""
    reason: str = ""
    # "+30 more like it", for a run of rejected or duplicate requests counted on this row.
    repeats: str = ""
    last_repeated_at: str = ""


@dataclasses.dataclass
class CreatedRecord:
    """A record an event created or changed, with a link where it has a page."""

    label: str = ""
    href: str = ""


@dataclasses.dataclass
class WebhookDetail:
    """One event in full: what came in (redacted) and what it did."""

    id: str = ""
    received_at: str = ""
    processed_at: str = ""
    provider: str = ""
    event_type: str = ""
    status: str = ""
    event_id: str = ""
    reason: str = ""
    repeats: str = ""
    last_repeated_at: str = ""
    payload: str = ""
    payload_size: str = ""
    payload_sha256: str = ""
    result: str = ""
    advice: str = ""  # what to do about a refusal (state/webhook_advice.py)
    repeats_note: str = ""
    can_replay: bool = False


def repeats_text(repeats: int) -> str:
    """How many later requests were counted on a row ("" for none)."""
    return f"+{repeats:,} more like it" if repeats else ""


def webhook_row(event: WebhookEvent) -> WebhookRow:
    return WebhookRow(
        id=str(event.id),
        received_at=display.iso(event.received_at),
        provider=event.provider,
        event_type=event.event_type or "–",
        status=event.status,
        event_id=event.event_id or "",
        reason=event.reason,
        repeats=repeats_text(event.repeats),
        last_repeated_at=display.iso(event.last_repeated_at),
    )


def _pretty(text: str | None) -> str:
    """Indented JSON for reading ("" when there is none)."""
    if not text:
        return ""
    try:
        shown = json.dumps(json.loads(text), indent=2, ensure_ascii=False)
    except ValueError:
        shown = text
    if len(shown) > MAX_SHOWN_PAYLOAD:
        return shown[:MAX_SHOWN_PAYLOAD] + "\n… (cut short for display)"
    return shown


def created_records(result_text: str, payload_text: str | None = "") -> list[CreatedRecord]:
    """The records named in an event's result, with links to their pages.

    A run has no page of its own: its link searches the runs for its Make
    execution id, read from the stored payload.
    """
    try:
        result = json.loads(result_text) if result_text else {}
    except ValueError:
        return []
    records = []
    for key, (label, page) in RECORD_LINKS.items():
        value = result.get(key) if isinstance(result, dict) else None
        if display.parse_id(value) is None:
            continue
        href = page + str(value) if page.endswith("/") else page
        if key == "automation_log_id" and (execution_id := _execution_id(payload_text)):
            href = display.run_href(execution_id)
        made = key.removesuffix("_id") in (result.get("created") or [])
        records.append(CreatedRecord(label=f"{label} (new)" if made else label, href=href))
    return records + _tool_call_records(result)


def _execution_id(payload_text: str | None) -> str:
    """A Make event's execution id, from its stored payload ("" if it has none)."""
    try:
        payload = json.loads(payload_text) if payload_text else {}
    except ValueError:
        return ""
    value = payload.get("execution_id") if isinstance(payload, dict) else None
    if isinstance(value, bool) or not isinstance(value, str | int):
        return ""
    return str(value)[:200]  # an integer id is stored as its digits (webhook_fields.identifier)


def _tool_call_records(result: Any) -> list[CreatedRecord]:
    """The leads and contacts a Vapi tool call created or found (each answer is JSON text)."""
    answers = result.get("results") if isinstance(result, dict) else None
    records = []
    for item in answers if isinstance(answers, list) else []:
        try:
            answer = json.loads(item.get("result", "")) if isinstance(item, dict) else None
        except ValueError:
            continue
        if not isinstance(answer, dict) or answer.get("type") not in ("lead", "contact"):
            continue
        if display.parse_id(answer.get("id")) is None:
            continue
        kind = answer["type"]
        label = kind.capitalize() + (" (new)" if answer.get("created") is True else "")
        records.append(CreatedRecord(label=label, href=f"/{kind}s/{answer['id']}"))
    return records


def webhook_detail(event: WebhookEvent) -> WebhookDetail:
    return WebhookDetail(
        id=str(event.id),
        received_at=display.iso(event.received_at),
        processed_at=display.iso(event.processed_at),
        provider=event.provider,
        event_type=event.event_type or "–",
        status=event.status,
        event_id=event.event_id or "",
        reason=event.reason,
        repeats=repeats_text(event.repeats),
        last_repeated_at=display.iso(event.last_repeated_at),
        payload=_pretty(event.payload),
        payload_size=f"{event.payload_size:,} bytes",
        payload_sha256=event.payload_sha256,
        result=_pretty(event.result),
        advice=what_to_do(event.provider, event.status, event.reason),
        repeats_note=repeats_note(event.status, event.reason),
        can_replay=(
            event.status == "failed"
            and event.payload is not None
            and event.event_id is not None  # else another delivery of it was applied
            and replay_can_help(event.reason)
        ),
    )


class WebhooksState(ListPageMixin, AuthState):
    """The webhook audit list for the logged-in user; filters run in SQL."""

    provider: str = ALL
    status: str = ALL
    event_type: str = ALL
    rows: list[WebhookRow] = []
    event_types: list[str] = []
    detail_open: bool = False
    detail: WebhookDetail = WebhookDetail()
    detail_records: list[CreatedRecord] = []
    detail_error: str = ""
    replaying: bool = False

    @rx.var
    def providers(self) -> list[str]:
        return [ALL, *PROVIDERS]

    @rx.var
    def statuses(self) -> list[str]:
        return [ALL, *STATUSES]

    @rx.var
    def is_filtered(self) -> bool:
        return bool(self.search) or (self.provider, self.status, self.event_type) != (
            ALL,
            ALL,
            ALL,
        )

    @rx.event
    def load(self):
        """on_load: the filters and the page the tab last had (Back from a record)."""
        self.detail_open = False
        self._refresh(with_options=True)

    @rx.event
    def refresh(self):
        """Load the current page again, and the filter menus (a new provider or status)."""
        self._refresh(with_options=True)

    def _refresh(self, with_options: bool = False) -> None:
        if not self._user_id:
            return
        self.loading = True
        try:
            with tenant_session(self.user_uuid) as session:
                if with_options:
                    types = webhook_event_types(session=session, user_id=self.user_uuid)
                    self.event_types = [ALL, *types]
                page = list_webhook_events(
                    session=session,
                    user_id=self.user_uuid,
                    provider=chosen(self.provider),
                    status=chosen(self.status),
                    event_type=chosen(self.event_type),
                    search=self.search,
                    offset=self.offset,
                    limit=PAGE_SIZE,
                )
        except sa.exc.SQLAlchemyError:
            self._load_failed("webhooks")
            return
        self.rows, self.total = [webhook_row(event) for event in page.items], page.total
        self._load_succeeded()
        if self._past_the_end():
            self._refresh()

    @rx.event
    def set_provider(self, value: str | list[str]):
        value = first_value(value)
        self.provider, self.offset = (value if value in PROVIDERS else ALL), 0
        self._refresh()

    @rx.event
    def set_status(self, value: str | list[str]):
        value = first_value(value)
        self.status, self.offset = (value if value in STATUSES else ALL), 0
        self._refresh()

    @rx.event
    def set_event_type(self, value: str | list[str]):
        self.event_type, self.offset = first_value(value)[:100] or ALL, 0
        self._refresh()

    @rx.event
    def clear_filters(self):
        self.search, self.offset = "", 0
        self.provider = self.status = self.event_type = ALL
        self._refresh()

    # --- One event in detail

    def _load_detail(self, row_id: uuid.UUID) -> bool:
        with tenant_session(self.user_uuid) as session:
            event = get_webhook_event(session=session, user_id=self.user_uuid, event_id=row_id)
        if event is None:
            return False
        self.detail = webhook_detail(event)
        self.detail_records = created_records(event.result, event.payload)
        return True

    @rx.event
    def open_detail(self, row_id: str):
        if not self._user_id:
            return
        parsed = display.parse_id(row_id)
        try:
            found = parsed is not None and self._load_detail(parsed)
        except sa.exc.SQLAlchemyError:
            # Said where the click was, not over the list, which loaded and stays right.
            display.log.exception("webhooks: loading an event failed")
            return rx.toast.error(DETAIL_FAILED)
        if not found:  # gone since the list loaded (or never the user's): say so, not nothing
            return rx.toast.error(EVENT_GONE)
        self.detail_error, self.detail_open = "", True

    @rx.event
    def set_detail_open(self, value: bool):
        self.detail_open = bool(value)

    @rx.event
    def replay(self, row_id: str):
        """Apply a failed event's stored payload again, then show what became of it."""
        parsed = display.parse_id(row_id)
        if not self._user_id or parsed is None:
            return None
        if self.detail.id != row_id or not self.detail.can_replay:
            # A second click, sent before the first's answer hid the button: the event was
            # replayed (or is not one to replay), and an error now would say it failed.
            return None
        self.replaying = True
        try:
            with tenant_session(self.user_uuid) as session:
                outcome = replay_webhook_event(
                    session=session, user_id=self.user_uuid, event_id=parsed
                )
        except sa.exc.SQLAlchemyError:
            display.log.exception("webhooks: replay failed")
            self.detail_error, self.replaying = REPLAY_FAILED, False
            return rx.toast.error(REPLAY_FAILED)
        self.replaying = False
        try:  # committed: what the replay did stands, whatever showing it again meets
            self._load_detail(parsed)
        except sa.exc.SQLAlchemyError:
            display.log.exception("webhooks: reloading a replayed event failed")
            if outcome is not None and outcome.applied:  # a second click has nothing to do
                self.detail.can_replay = False
        self._refresh()
        if outcome is None:
            self.detail_open = False
            return rx.toast.error("That event no longer exists.")
        if outcome.applied:
            self.detail_error = ""
            return rx.toast.success("Event replayed: its records are saved.")
        # A failed replay is recorded as the row's reason, which the dialog shows
        # already; a second copy of it would only be noise.
        self.detail_error = "" if outcome.reason in self.detail.reason else outcome.reason
        return rx.toast.error("Not replayed: the reason is in the event's details.")
