"""The session as Reflex state: who is logged in, derived from the cookie of this socket."""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import reflex as rx
from reflex import constants
from reflex.event import Event
from reflex.middleware import Middleware
from reflex.state import StateUpdate

from crm_app.core.db import DATABASE_DOWN_ERRORS, database_is_reachable, global_session
from crm_app.core.upload_identity import uploader
from crm_app.services import sessions, users
from crm_app.state.storage import saved_without_credentials

logger = logging.getLogger(__name__)
# The query parameter that tells /login a tab's session ended under it: on an action,
# which was not carried out ("1"), or on opening a page, which lost nothing (ENDED_ON_VISIT);
# and when its token says it expired rather than was ended, the same with EXPIRED first.
SESSION_ENDED = "ended"
ENDED_ON_VISIT = "visit"
EXPIRED = "expired"
# The pages a tab without a session is sent to, or logs out to.
PUBLIC_FORMS = ("/login", "/signup")


# How long after a click the on_load queued behind it may run and still keep what the click
# opened (_kept_on_arrival): far longer than a page's on_load takes, far shorter than a visit.
ARRIVAL_SECONDS = 15
# How a dialog opened on a page that had arrived marks the socket it was opened over.
_ON_SOCKET = "socket:"


class AuthState(rx.State):
    """The base of every signed-in page's state. Holds an id, never a token."""

    # Backend-only: never sent to the browser.
    _user_id: str = ""
    # The session this tab was using ended under it (logged out, or its cookie
    # replaced by a password change, in another tab): the event that found out
    # was not carried out, and /login says so once the tab has been sent there.
    _session_ended: bool = False
    # ...because the session's time was up (its token says so), not ended by anyone.
    _session_expired: bool = False
    # The page under which the tab's socket last reconnected without the page being loaded
    # anew (a network blip, a laptop waking); "" once a page is loaded anew (a reload).
    _reconnected_on: str = ""
    # Where this tab was sent to log in, until it arrives: a page's on_load and its
    # on_mount may both find the session gone, and a second redirect, worked out
    # anew, lacked the reason the first one carried and replaced it (Redis, 2 workers).
    _login_trip: str = ""
    user_email: str = ""
    user_name: str = ""
    is_authenticated: bool = False
    # The session could not be checked because the database did not answer:
    # guarded pages say so instead of waiting, and reload once it is back.
    database_unavailable: bool = False

    @property
    def user_uuid(self) -> uuid.UUID:
        """The logged-in user's id; handlers call this only behind require_login."""
        if not self._user_id:
            raise PermissionError("not logged in")
        return uuid.UUID(self._user_id)

    def _arrival_mark(self) -> str:
        """What a dialog opened now remembers for the page's on_load (_kept_on_arrival):
        the page, and while the page is still arriving the time, once it has arrived the
        socket the click came over.

        Reflex shows a reloaded page from the state the tab had, then runs its
        on_load, then sets is_hydrated. A click in between (a dialog opened as the
        page appeared) is handled before the on_load queued behind it, and that
        on_load must not close what the click opened.
        """
        if self.is_hydrated:
            return self._socket_mark()
        return f"{time.time()} {self.router.url.path}"

    def _socket_mark(self) -> str:
        """The mark of a dialog open over this socket, on this page (_arrival_mark)."""
        return f"{_ON_SOCKET}{self.router.session.session_id} {self.router.url.path}"

    def _kept_on_arrival(self, mark: str) -> bool:
        """Whether a dialog opened with `mark` stays open through the on_load running now:
        opened as this very page arrived, or on this page over a socket that has closed.

        The on_load queued behind the click runs moments after it, on the same
        page. Reflex cancels that on_load when the tab navigates on first (Back at
        once): a mark outliving its arrival must not keep the dialog open on a later
        visit, so a mark from another page, or from longer ago, keeps nothing.

        Reflex also runs on_load when a tab's socket reconnects (a network blip, a
        laptop waking, the server restarting), on a page that never left: closing
        the dialog then lost what the person was typing in it. Such an on_load
        comes over another socket than the click did, under the page the socket
        reconnected under (SessionMiddleware); a visit to the page (a link, Back)
        over the same socket, or after a reconnect under another page; a reload
        over another socket, but with the page loaded anew, whose dialogs close.
        The caller marks a dialog it keeps with the current socket (_socket_mark),
        so that the next visit closes it.
        """
        at, _, path = mark.partition(" ")
        if not at or path != self.router.url.path:
            return False
        if at.startswith(_ON_SOCKET):
            other_socket = at != _ON_SOCKET + self.router.session.session_id
            return other_socket and self._reconnected_on == path
        return 0 <= time.time() - float(at) < ARRIVAL_SECONDS

    def _mark_if_kept(self, kept: bool) -> str:
        """The mark of a dialog that stayed open through on_load; "" for one it closed."""
        return self._socket_mark() if kept else ""

    @rx.event
    def require_login(self):
        """on_load of guarded pages: show the page to a session, send others to /login."""
        if self.database_unavailable and not self._user_id:
            return None  # unknown, not logged out: the page shows the outage and retries
        self.database_unavailable = False
        if not self._user_id:
            self.is_authenticated = False
            # What found the session over is this page load: nothing was lost.
            return self._to_login(lost_an_action=False)
        with global_session() as session:
            user = users.get_user(session=session, user_id=uuid.UUID(self._user_id))
        if user is None:
            self._user_id = ""
            return rx.redirect("/login", replace=True)
        self.user_email, self.user_name = user.email, user.name
        self.is_authenticated = True
        return None

    @rx.event
    def leave_if_logged_out(self):
        """on_mount of what a guarded page shows to no session: to /login, unless one arrives.

        A tab whose session ended elsewhere (logged out in another tab, expired,
        revoked) loses its user on its next event; this sends it to /login then,
        rather than leaving it on a spinner until someone reloads.
        """
        if self._user_id or self.database_unavailable:
            return None
        return self._to_login()

    def _to_login(self, lost_an_action: bool = True) -> rx.event.EventSpec:
        """To /login by loading it anew, not by the app's own navigation.

        A tab's websocket keeps the cookie it opened with. When another tab of
        the browser replaced it (a password change), this tab's cookie is the
        revoked one while the browser holds a good one: a new page load opens
        a new websocket with it, and /login sends a logged-in tab on to `next`.
        """
        if self._login_trip:  # on its way already: the same destination, reason and all
            return rx.call_script(f"window.location.replace({json.dumps(self._login_trip)})")
        # Production serves /dashboard as /dashboard/; next names the page, not the file.
        path = self.router.url.path.rstrip("/") or "/dashboard"
        query = self.router.url.query
        target = f"{path}?{query}" if query else path
        url = f"/login?next={quote(target, safe='')}"
        if self._session_ended:
            how = "1" if lost_an_action else ENDED_ON_VISIT
            reason = f"{EXPIRED}-{how}" if self._session_expired else how
            self._session_ended = self._session_expired = False
            url += f"&{SESSION_ENDED}={reason}"
        self._login_trip = url
        return rx.call_script(f"window.location.replace({json.dumps(url)})")

    @rx.event
    async def check_database(self):
        """Polled while a page shows the outage: once the database answers, load the page anew."""
        if await asyncio.to_thread(database_is_reachable):
            self.database_unavailable = False
            return rx.call_script("window.location.reload()")
        return None


async def _forget_user(state: rx.State) -> None:
    """Forget everything the session's states held for a previous user, page states included."""
    pending: list[type[rx.State]] = [AuthState]
    while pending:
        cls = pending.pop()
        (await state.get_state(cls)).reset()
        pending.extend(cls.get_substates())


@dataclass
class SessionMiddleware(Middleware):
    """Re-derive the user from this socket's cookie (an upload's, from its request) every event.

    Reflex keeps state per tab token, and that token travels in the socket
    URL: whoever presents it gets the tab's state. So the identity in state is
    never trusted on its own; when it differs from what the cookie says
    (logged out, revoked, another user), the whole tree is reset first.
    """

    async def preprocess(self, app, state, event):  # type: ignore[no-untyped-def]
        token = state.router.session.client_token if state.router else ""
        sent_by = uploader(token, event.name)
        if sent_by is not None:
            return await _check_upload(state, sent_by)
        cookie_header = state.router.headers.cookie if state.router else ""
        # Read here, every event; never saved with the state (state/storage.py).
        saved_without_credentials(state.router_data, constants.RouteVar.HEADERS)
        if not _from_the_tabs_socket(app, state):
            # A link of a chain the server runs (a live page's timed reload) that a closed
            # socket started: dropped, neither run for the socket that now holds the token
            # nor taken for a log-out. Taken for one, it emptied the tab's state under the
            # page it had just loaded anew (F5 on a live call): a spinner for good.
            return StateUpdate()
        unavailable = False
        try:
            current = await asyncio.to_thread(
                sessions.get_current_user_id, cookie_header=cookie_header
            )
        except DATABASE_DOWN_ERRORS as error:
            # The cookie cannot be checked: no identity (fail closed), so handlers
            # do nothing, and the page shows the outage instead of waiting forever.
            logger.warning("session not checked: database unavailable (%s)", type(error).__name__)
            current, unavailable = None, True
        user_id = str(current) if current else ""
        auth = await state.get_state(AuthState)
        if auth._user_id != user_id:
            # Found over by the login or sign-up page itself, the tab logged out there (or
            # was sent there): nothing to tell it later about a session ended elsewhere.
            ended = bool(auth._user_id) and not user_id and not _on_public_form(event)
            expired = (
                ended and not unavailable and sessions.session_expired(cookie_header=cookie_header)
            )
            if auth._user_id:
                await _forget_user(state)
            auth._user_id, auth._session_ended, auth._session_expired = user_id, ended, expired
        if unavailable:
            auth.database_unavailable = True
        if event.name.endswith(f".{constants.CompileVars.HYDRATE_AND_LOAD}"):
            # A page's first socket sends the hashes of the state it was built with; a
            # socket reconnecting under a page that stayed sends none (Reflex's state.js).
            hashes = (event.payload or {}).get(constants.CompileVars.PAYLOAD_HASHES)
            auth._reconnected_on = "" if hashes else state.router.url.path
        return None


def _from_the_tabs_socket(app: Any, state: rx.State) -> bool:
    """Whether the socket whose headers this event carries is still the tab's.

    An event the server chains (a live page's timed reload) carries the
    headers, cookie included, of the socket that started the chain, and its
    updates go to whichever socket holds the tab's token now. Once that socket
    has closed, another connection presenting the token would receive them:
    the owner's rows, with no cookie of its own. So such an event runs only
    while its socket is still the one linked to the token.
    """
    namespace = getattr(app, "event_namespace", None)
    if namespace is None or state.router is None:
        return True  # no sockets to tell apart (an app without its websocket)
    session = state.router.session
    return namespace.token_to_sid.get(session.client_token) == session.session_id


def _on_public_form(event: Event) -> bool:
    """Whether the event comes from the login or sign-up page (its own route, not the state's
    router, which may still be the page before)."""
    path = str((event.router_data or {}).get(constants.RouteVar.PATH, ""))
    return path.rstrip("/") in PUBLIC_FORMS


async def _check_upload(state: rx.State, sent_by: str) -> StateUpdate | None:
    """Run a file upload only in a tab of the user whose cookie sent it.

    An upload comes by HTTP, outside the tab's websocket, and Reflex gives its
    event none of the request's headers: the tab's stored cookie would be that
    of its last websocket event. So the user the request's own cookie names
    (core/upload_identity) must be the tab's. Otherwise the upload is dropped,
    and the tab is left as it was: its own user may be in the middle of it.
    """
    auth = await state.get_state(AuthState)
    if sent_by and auth._user_id == sent_by:
        return None
    logger.warning("an upload was refused: its cookie is not that of the tab it names")
    return StateUpdate()
