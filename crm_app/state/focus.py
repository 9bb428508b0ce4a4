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


# How long a settling focus waits for its element to be drawn, in 50 ms steps.
SETTLE_TRIES = 40


def focus_on(element_id: str, *, settle: bool = False) -> rx.event.EventSpec:
    """Focus an element by id (nothing happens if it is not on the page).

    settle: the element comes with the same update, which the page may draw
    after this script runs (on Redis, with two workers, the state can arrive
    in two parts): wait for it to be drawn, up to 2 s, unless the person has
    put focus somewhere meanwhile.
    """
    target = json.dumps(element_id)
    if not settle:
        return rx.call_script(f"document.getElementById({target})?.focus()")
    return rx.call_script(
        "(() => { let tries = 0; const attempt = () => {"
        f" const element = document.getElementById({target});"
        " if (element) { element.focus(); return; }"
        " const held = document.activeElement;"
        f" if ((!held || held === document.body) && ++tries < {SETTLE_TRIES})"
        " setTimeout(attempt, 50); };"
        " setTimeout(() => requestAnimationFrame(attempt), 0); })()"
    )


def focus_if_lost(element_id: str, *, settle: bool = False) -> rx.event.EventSpec:
    """Focus an element by id, or else the page's heading, only if focus was lost.

    Lost: on the body, or on a control that is now disabled. Focus the person
    moved elsewhere meanwhile stays where it is.

    settle: the control that holds focus goes with the same update, which the
    page may draw after this script runs (a note's Save, with its form):
    wait for focus to be lost, up to 2 s, unless the person moves it first.
    """
    target, heading = json.dumps(element_id), json.dumps(PAGE_HEADING_ID)
    if not settle:
        return rx.call_script(
            "(() => { const held = document.activeElement;"
            " if (held && held !== document.body && !held.disabled) return;"
            f" const next = document.getElementById({target})"
            f" || document.getElementById({heading});"
            " next?.focus(); })()"
        )
    return rx.call_script(
        "(() => { const first = document.activeElement; let tries = 0;"
        " const attempt = () => { const held = document.activeElement;"
        " if (!held || held === document.body || !held.isConnected || held.disabled) {"
        f" (document.getElementById({target}) || document.getElementById({heading}))?.focus();"
        " return; }"
        f" if (held === first && ++tries < {SETTLE_TRIES}) setTimeout(attempt, 50);"
        " };"
        " setTimeout(() => requestAnimationFrame(attempt), 0); })()"
    )
