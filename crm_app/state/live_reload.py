"""Pages showing a call still in progress reload it every few seconds, until it is over.

A provider's webhook changes a call while its page is open, and Reflex tells a
tab only about what the tab's own events change: without this, a call stayed
"in-progress" on screen until the person reloaded. Only a page that shows a
live call asks again (most of the time nothing is live, and nothing ticks):
the page renders `live_reload_watch` while it shows one, whose mount starts a
chain of timed reloads in this tab and whose unmount ends it.

The chain is one link at a time: a background event waits, then reloads,
which schedules the next wait only while the page still shows a live call. The
server runs the chain, with the headers of the socket that started it; once
that socket has closed, the session check drops its next link (see
auth._from_the_tabs_socket), which ends the chain: a connection that later
presents the tab's token receives none of it, and the tab loaded anew keeps
its state and its own chain. A chain started again (the page remounted the
watch) makes the older one stale by its generation number.

A socket that closes and reconnects without the page reloading (a network
blip, a laptop waking) ends the chain the same way, but the watch stays
mounted and starts none: so the page's on_load, which Reflex runs again on
every reconnect, starts one too while it shows a live call
(`_keep_reloading_if_live`). On a first visit the watch's start follows and
makes that one stale.
"""

from __future__ import annotations

import asyncio
from datetime import datetime

import reflex as rx

from crm_app.models.base import utcnow
from crm_app.services import call_outcomes

# Often enough to follow a call's stages (ringing, in progress, ended), rarely
# enough that an open page costs the server one query every few seconds at most.
LIVE_RELOAD_SECONDS = 5.0


def is_live(status: str, began: datetime) -> bool:
    """Whether a call with this status, begun (or logged) then, may still change by itself.

    As the dashboard counts it in progress: a call whose last webhook never came
    (call_outcomes.LIVE_CALL_MAX_AGE) is not waited for.
    """
    return call_outcomes.is_live(status, began, utcnow())


# What a call still "in progress" long after it began shows (its end never came).
NO_END_REPORTED = call_outcomes.NO_END_REPORTED


def shown_call_status(status: str, began: datetime) -> str:
    """The provider's last status, unless it says "in progress" of a call long over.

    Its final webhook never came (call_outcomes.LIVE_CALL_MAX_AGE); the
    dashboard counts it as not answered.
    """
    stale = status in call_outcomes.IN_PROGRESS_STATUSES and not is_live(status, began)
    return NO_END_REPORTED if stale else status


class LiveReloadMixin(rx.State, mixin=True):
    """A page's timed reloads while it shows a live call (see the module's docstring)."""

    _live_generation: int = 0

    def _shows_live(self) -> bool:
        """Whether the page shows something that may still change by itself."""
        raise NotImplementedError

    def _reload_live(self) -> None:
        """Load the page's rows again, as they are now."""
        raise NotImplementedError

    def _keep_reloading_if_live(self):
        """For the end of on_load: (re)start the chain if the page shows a live call."""
        return type(self).start_live_reload if self._shows_live() else None

    @rx.event
    def start_live_reload(self):
        """The watch mounted: (re)start the chain."""
        self._live_generation += 1
        return type(self).wait_to_reload(self._live_generation)

    @rx.event
    def stop_live_reload(self):
        """The watch unmounted (nothing live, or the tab left the page): end the chain."""
        self._live_generation += 1

    @rx.event(background=True)
    async def wait_to_reload(self, generation: int):
        # No state lock while waiting: the tab's other events run meanwhile.
        await asyncio.sleep(LIVE_RELOAD_SECONDS)
        yield self.__class__.reload_live(generation)

    @rx.event
    def reload_live(self, generation: int):
        if generation != self._live_generation:
            return None  # a chain that was ended or restarted
        self._reload_live()
        if not self._shows_live():
            return None
        return type(self).wait_to_reload(generation)
