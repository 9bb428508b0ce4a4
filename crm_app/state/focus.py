"""Where keyboard focus goes when what held it is gone: scripts for the events that remove it.

A button that disappears (Convert, the last row's Delete), turns disabled (the
pager's end) or is re-created (a form that starts afresh) takes focus with it:
the browser puts it on the page's body, and the next Tab starts from the top
while a screen reader loses its place. These put it somewhere that makes sense.
"""

from __future__ import annotations

import json

import reflex as rx

# Each signed-in page's h1: focusable by script (tabindex -1), the fallback of last resort.
PAGE_HEADING_ID = "page-heading"
# A list's pager buttons (components/controls.pager).
PAGER_PREVIOUS_ID, PAGER_NEXT_ID = "pager-previous", "pager-next"


def focus_on(element_id: str, *, settle: bool = False) -> rx.event.EventSpec:
    """Focus an element by id (nothing happens if it is not on the page).

    settle: wait for the page to draw first (an element the same update shows).
    """
    focus = f"document.getElementById({json.dumps(element_id)})?.focus()"
    if settle:
        focus = f"setTimeout(() => requestAnimationFrame(() => {focus}), 0)"
    return rx.call_script(focus)


def focus_if_lost(element_id: str) -> rx.event.EventSpec:
    """Focus an element by id, or else the page's heading, only if focus was lost.

    Lost: on the body, or on a control that is now disabled. Focus the person
    moved elsewhere meanwhile stays where it is.
    """
    target, heading = json.dumps(element_id), json.dumps(PAGE_HEADING_ID)
    return rx.call_script(
        "(() => { const held = document.activeElement;"
        " if (held && held !== document.body && !held.disabled) return;"
        f" const next = document.getElementById({target}) || document.getElementById({heading});"
        " next?.focus(); })()"
    )
