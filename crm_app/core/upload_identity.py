"""Whose cookie came with each file upload in flight: the one event a tab sends without it.

Reflex's upload endpoint (POST /_upload) runs an upload handler in the state
of whichever tab the request's `reflex-client-token` header names, and builds
that event without the request's headers: a session check would see the cookie
of the tab's last websocket event, not this request's. Anyone holding a tab's
token could then put a file into that user's import. So the API layer records
here, for as long as Reflex handles the request, the user this request's own
cookie names; SessionMiddleware checks the upload event against that.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

# client token -> one (handler name, user id) per upload of that tab in flight.
_IN_FLIGHT: dict[str, list[tuple[str, str]]] = {}


@contextmanager
def upload_in_flight(token: str, handler: str, user_id: str) -> Iterator[None]:
    """Record who sent this upload (its request's cookie) until the block ends."""
    entry = (handler, user_id)
    _IN_FLIGHT.setdefault(token, []).append(entry)
    try:
        yield
    finally:
        uploads = _IN_FLIGHT.get(token, [])
        uploads.remove(entry)
        if not uploads:
            _IN_FLIGHT.pop(token, None)


def uploader(token: str, handler: str) -> str | None:
    """The user id of the uploads in flight for this tab and handler; None when there are none.

    "" (no one) when uploads of different users are in flight for it at once: the event
    does not say which request it came from, and the first one's user would vouch for
    another's file (a probe put user B's rows into A's import while A's file was still
    uploading). Neither then runs; the tab's own user uploads again.
    """
    senders = {user_id for name, user_id in _IN_FLIGHT.get(token, []) if name == handler}
    if not senders:
        return None
    return senders.pop() if len(senders) == 1 else ""
