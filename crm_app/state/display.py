"""Turning service results into what pages show: ids, periods, durations, money, timestamps."""

from __future__ import annotations

import logging
import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from crm_app.services.call_outcomes import is_vapi_error
from crm_app.services.phones import as_written_here

log = logging.getLogger("crm_app.pages")

# The period menus of every list and the dashboard: value -> label.
PERIODS = {"7": "Last 7 days", "30": "Last 30 days", "90": "Last 90 days", "all": "All time"}
# What a page says when the database does not answer; the detail goes to the log.
LOAD_FAILED = "Could not load this page's data. Check your connection and try again."
# What a call that names no customer (a web call, a withheld number) is called.
UNKNOWN_CALLER = "Unknown caller"
SAVE_FAILED = "Could not save. Nothing was changed; try again in a moment."


def parse_id(value: str | None) -> uuid.UUID | None:
    """A row id from a URL or a page event; None for anything that is not a UUID."""
    try:
        return uuid.UUID(str(value or "").strip())
    except ValueError:
        return None


def run_href(execution_id: str | None) -> str:
    """Where one automation run is listed: runs have no page of their own, so the runs list
    searched for its Make execution id (a plain visit keeps the tab's last filters and page,
    which may hide it)."""
    return f"/automations?search={quote(execution_id)}" if execution_id else "/automations"


def phone(stored: str | None) -> str:
    """A stored number as people write it where the business is ("(512) 555-0143"); other
    text (a name, "anonymous") as it is."""
    return as_written_here(stored or "")


def linked_name(record: Any) -> str:
    """The name of a lead or contact a page links to ("" without one): "(no name)" when it has
    none, written as a number when a call named it by its number."""
    if record is None:
        return ""
    return phone(record.name) or "(no name)"


def period_days(period: str) -> int | None:
    """7, 30 or 90 for those menu values; None ("all time") for anything else."""
    return int(period) if period in ("7", "30", "90") else None


def run_duration(milliseconds: int | None) -> str:
    """How long an automation ran: "1.2 s" under a minute, then as calls are ("40:00");
    an en dash when unknown."""
    if milliseconds is None:
        return "–"
    if milliseconds < 59_950:  # what rounds to 60.0 s reads as 1:00
        return f"{milliseconds / 1000:.1f} s"
    return duration(milliseconds / 1000)


def iso(value: datetime | None) -> str:
    """A timestamp for the browser (which shows it in the viewer's time zone), or ""."""
    return value.isoformat() if value else ""


def duration(seconds: int | float | None) -> str:
    """1:05, 1:02:03, or an en dash when unknown."""
    if seconds is None:
        return "–"
    total = int(round(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def money(value: Decimal | None) -> str:
    """$87.32; under a dollar, fractions of a cent show ($0.0140); an en dash when unknown."""
    if value is None:
        return "–"
    cents = value.quantize(Decimal("0.01"))
    if cents == value or abs(value) >= 1:
        return f"${cents:,.2f}"
    return f"${value:,.4f}"


# Vapi's success evaluation is what the assistant's rubric gives: true/false (stored as
# text), a score, a grade or a sentence. A yes or no reads as one; the rest as it came.
EVALUATION_WORDS = {"true": "Passed", "false": "Not passed"}


# Vapi's endedReason codes a small business sees most, in its words. Vapi has hundreds,
# most of them its own errors (call_outcomes.is_vapi_error): those read as VAPI_ERROR_WORDS,
# which say what the owner should do, and any other code as Vapi sends it.
ENDED_REASON_WORDS = {
    "customer-ended-call": "Caller hung up",
    "assistant-ended-call": "Assistant ended the call",
    "assistant-ended-call-after-message-spoken": "Assistant ended the call after its message",
    "assistant-ended-call-with-hangup-task": "Assistant hung up (hang-up task)",
    "assistant-said-end-call-phrase": "Assistant said its end-of-call phrase",
    "assistant-forwarded-call": "Transferred",
    "silence-timed-out": "Caller went silent",
    "exceeded-max-duration": "Reached the time limit",
    "customer-did-not-answer": "No answer",
    "customer-busy": "Line busy",
    "voicemail": "Went to voicemail",
    "customer-did-not-give-microphone-permission": "No microphone access",
    "manually-canceled": "Cancelled",
    "twilio-failed-to-connect-call": "Could not connect",
    "call.in-progress.error-transfer-failed": "Transfer failed: call back",
    # A Twilio call put through to another phone (services/webhook_twilio.py).
    "forward-answered": "Forwarded and answered",
    "forward-no-answer": "Forwarded: no answer",
    "forward-busy": "Forwarded: line busy",
    "forward-failed": "Forwarded: could not connect",
    "forward-canceled": "Forwarded: caller hung up first",
}
# The assistant failed the caller (its AI, or Vapi): not answered, a call to return.
VAPI_ERROR_WORDS = "AI error: call back"


def ended_reason(code: str | None) -> str:
    """Why a call ended, in words where the code is a common one or one of Vapi's errors
    ("" when none was sent)."""
    code = (code or "").strip()
    if code in ENDED_REASON_WORDS:
        return ENDED_REASON_WORDS[code]
    return VAPI_ERROR_WORDS if is_vapi_error(code) else code


def ended_reason_option(code: str) -> str:
    """An ended reason as the calls filter's menu offers it: in words, and with its code
    where the words are those of every Vapi error, so no two options read alike."""
    words = ended_reason(code)
    return f"{words} ({code.strip()})" if words == VAPI_ERROR_WORDS else words


def evaluation(value: str | None) -> str:
    """A call's success evaluation as the call's page shows it ("" when there is none)."""
    text = (value or "").strip()
    return EVALUATION_WORDS.get(text.lower(), text)


def percent(value: float | None) -> str:
    """67%, or an en dash when there is nothing to divide.

    Only all is 100% and only none is 0%: one failed run in 200 reads 99%
    ("100% succeeded" would hide it), one sale in 201 closed leads reads 1%.
    """
    if value is None:
        return "–"
    whole = round(value * 100)
    if 0 < value < 1:
        whole = min(max(whole, 1), 99)
    return f"{whole}%"


def change(current: int, previous: int | None) -> str:
    """The change against the previous period: "+3 (+50%)", "no change", or ""."""
    if previous is None:
        return ""
    difference = current - previous
    if difference == 0:
        return "no change"
    if previous == 0:
        return f"{difference:+,d}"
    return f"{difference:+,d} ({difference / previous * 100:+,.0f}%)"


def count_label(offset: int, shown: int, total: int) -> str:
    """ "26–50 of 1,234" for a page, or "No results"."""
    if total == 0:
        return "No results"
    return f"{offset + 1:,}–{offset + shown:,} of {total:,}"
