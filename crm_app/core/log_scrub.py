"""Session tokens and event payloads kept out of the log, whoever writes the line.

Reflex logs a whole Event when it cannot route one (an event for a handler the
backend does not have, as a page one deploy behind would send): its router
data holds the socket's headers, session cookie included, and its payload
what the person typed, an API key being saved among them. Neither may reach a
log (SECURITY.md 12). Lines are cleaned as each record is made, so the rule
holds for every logger and every handler, Reflex's own included:

- an Event's repr keeps its name and drops the rest;
- anything shaped like a JWT (the session cookie's value) becomes "[token]".
"""

from __future__ import annotations

import logging
import re
from typing import Any

# "Event(name='state.handler', router_data={...}, payload={...})" up to the line's end:
# a payload's own quotes and brackets make any tighter match unreliable.
_EVENT_REPR = re.compile(r"Event\(name=(?P<name>'[^']*'|\"[^\"]*\").*", re.DOTALL)
_JWT = re.compile(r"eyJ[\w-]*\.[\w-]+\.[\w-]+")


def scrub(text: str) -> str:
    """The text without event payloads, router data or tokens."""
    text = _EVENT_REPR.sub(r"Event(name=\g<name>, [router data and payload not logged])", text)
    return _JWT.sub("[token]", text)


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
        if cleaned != message:
            record.msg, record.args = cleaned, ()
        return record

    scrubbing_record.scrubs = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(scrubbing_record)
