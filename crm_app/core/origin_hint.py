"""The server's line about a refused websocket origin names the setting that would accept it.

python-engineio, under Reflex, refuses a websocket handshake whose Origin is not one of
`cors_allowed_origins` and logs "<origin> is not an accepted origin." The browser only
shows "Cannot connect to server", and the line alone leaves whoever opened the app at
another address (a port of their own, the machine's network address) guessing which
setting to change. The line gets the rest: what is accepted, and what to set.
"""

from __future__ import annotations

import logging
import re

from crm_app.core.config import Settings

# The logger python-engineio's server writes to when given none (Reflex gives none).
ENGINEIO_LOGGER = "engineio.server"
_REFUSED = re.compile(r"(?P<origin>\S+) is not an accepted origin\.")


def refusal_hint(origin: str, settings: Settings) -> str:
    """What to say about a browser at `origin` being refused: what is accepted, what to set."""
    accepted = ", ".join(settings.accepted_origin_list)
    if settings.allowed_origins.strip():
        fix = f"add {origin} to ALLOWED_ORIGINS"
    else:
        fix = (
            f"set PUBLIC_BASE_URL to that address (now {settings.public_base_url}) "
            "or list the origins in ALLOWED_ORIGINS"
        )
    return (
        f"{origin} is not an accepted origin: this server accepts {accepted}. "
        f"To open the app at {origin}, {fix}, and restart."
    )


class OriginRefusalHint(logging.Filter):
    """Rewrites engineio's refused-origin line into one that says how to accept the origin."""

    def __init__(self, settings: Settings) -> None:
        super().__init__()
        self.settings = settings

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001  (a malformed call is the handler's to report)
            return True
        if (match := _REFUSED.match(message)) is not None:
            rest = message[match.end() :]  # engineio's "(further occurrences ...)"
            record.msg, record.args = refusal_hint(match["origin"], self.settings) + rest, ()
        return True


def install(settings: Settings) -> None:
    """Add the hint to engineio's log lines from now on, in this process (idempotent)."""
    logger = logging.getLogger(ENGINEIO_LOGGER)
    for existing in logger.filters:
        if isinstance(existing, OriginRefusalHint):
            logger.removeFilter(existing)
    logger.addFilter(OriginRefusalHint(settings))
