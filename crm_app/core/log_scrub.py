"""Session tokens and event payloads kept out of the log, whoever writes the line.

Reflex logs a whole Event when it cannot route one (an event for a handler the
backend does not have, as a page one deploy behind would send): its router
data holds the socket's headers, session cookie included, and its payload
what the person typed, an API key being saved among them. Neither may reach a
log (SECURITY.md 12). Lines are cleaned as each record is made, so the rule
holds for every logger and every handler, Reflex's own included:

- an Event's repr keeps its name, cut to a readable length, and drops the rest;
- anything shaped like a JWT (the session cookie's value) becomes "[token]";
- an event no handler takes is one line, without Reflex's traceback: anyone
  with a socket can send such names, and each cost two tracebacks quoting the
  name three times (a 100 KB name wrote 300 KB), where the line says it all.
"""

from __future__ import annotations

import logging
import re
from typing import Any

# "Event(name='state.handler', router_data={...}, payload={...})" up to the line's end:
# a payload's own quotes and brackets make any tighter match unreliable.
_EVENT_REPR = re.compile(r"Event\(name=(?P<name>'[^']*'|\"[^\"]*\").*", re.DOTALL)
_JWT = re.compile(r"eyJ[\w-]*\.[\w-]+\.[\w-]+")
# Reflex's warnings about an event framed oddly (as a JSON string, from a socket without a
# tab token, not an object) quote the whole event after these words: the payload, an API
# key typed into a form among it, and any line breaks a sender puts in to forge lines.
_QUOTED_EVENT = re.compile(
    r"(Event data: |event data: |Event data must be a dictionary, but received ).*", re.DOTALL
)
# "send delta to disconnected client '<tab token>'", and with Redis "Lock for token
# <tab token>/<state> was held too long": whoever holds a tab's token may act in that tab
# (uploads name it), so it stays out of the log like the session's.
_TAB_TOKEN = re.compile(r"(disconnected client )'[^']*'|(Lock for token )[^/\s]+")
# Enough for any of this app's handler names (under 80 characters).
MAX_EVENT_NAME_LOGGED = 120
# How Reflex's event processor words the KeyError for a name it has no handler for.
_NO_HANDLER = "No registered handler found for event"


def scrub(text: str) -> str:
    """The text without event payloads, router data or tokens."""
    text = _EVENT_REPR.sub(_event_by_name, text)
    text = _QUOTED_EVENT.sub(r"\g<1>[not logged]", text)
    text = _TAB_TOKEN.sub(_without_tab_token, text)
    return _JWT.sub("[token]", text)


def _without_tab_token(match: re.Match[str]) -> str:
    return f"{match[1] or match[2]}[tab token not logged]"


def _event_by_name(match: re.Match[str]) -> str:
    name = match["name"]
    if len(name) - 2 > MAX_EVENT_NAME_LOGGED:  # inside its quotes
        # The quote it opens with, the first characters, the quote it closes with.
        name = f"{name[: MAX_EVENT_NAME_LOGGED + 1]}...{name[0]} ({len(name) - 2} characters)"
    return f"Event(name={name}, [router data and payload not logged])"


def _is_unroutable_event(exc_info: Any) -> bool:
    error = exc_info[1] if isinstance(exc_info, tuple) else exc_info
    return isinstance(error, KeyError) and str(error.args[0] if error.args else "").startswith(
        _NO_HANDLER
    )


def _is_unreadable_event(exc_info: Any) -> bool:
    """Reflex's error for event data it cannot read, which its message quotes whole."""
    error = exc_info[1] if isinstance(exc_info, tuple) else exc_info
    return type(error).__name__ == "EventDeserializationError"


def install() -> None:
    """Clean every log record from now on, in this process (idempotent)."""
    make_record = logging.getLogRecordFactory()
    if getattr(make_record, "scrubs", False):
        return

    def scrubbing_record(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = make_record(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001  (a malformed call is the handler's to report, at emit)
            return record
        cleaned = scrub(message)
        if _is_unroutable_event(record.exc_info):
            # The name is in the line already; the traceback is Reflex's, the same every time.
            cleaned = f"{cleaned.rstrip(':')}: no handler by that name, dropped"
            record.exc_info = record.exc_text = None
        elif _is_unreadable_event(record.exc_info):
            cleaned = f"{cleaned.rstrip(':')}: an event that could not be read, dropped"
            record.exc_info = record.exc_text = None
        if cleaned != message:
            record.msg, record.args = cleaned, ()
        return record

    scrubbing_record.scrubs = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(scrubbing_record)
