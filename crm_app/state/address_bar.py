"""The address bar changed without a navigation, which would run the page's on_load again."""

from __future__ import annotations

import json

import reflex as rx


def forget_parameters(*names: str) -> rx.event.EventSpec:
    """Drop ?name=... from the address bar, keeping the rest of the query and the history
    entry's state: a reload, or Back to this page, then does not do again what it asked
    (open a dialog, set filters the person has changed since)."""
    deletes = "".join(f" url.searchParams.delete({json.dumps(name)});" for name in names)
    return rx.call_script(
        f"(() => {{ const url = new URL(window.location.href);{deletes}"
        " window.history.replaceState(window.history.state, '',"
        " url.pathname + url.search + url.hash); })()"
    )
