"""How pages say they are loading, failed, or have nothing to show yet."""

from __future__ import annotations

from typing import Any

import reflex as rx

from crm_app import styles
from crm_app.state.live_reload import LIVE_RELOAD_SECONDS


def error_callout(message: Any, element_id: str | None = None) -> rx.Component:
    """A red callout with the message, announced to screen readers; nothing when it is "".

    With an id it can take focus (tabindex -1), for a page that loads with it.
    """
    focusable = {"id": element_id, "tab_index": -1} if element_id else {}
    return rx.cond(
        message != "",
        rx.callout(
            message,
            icon="triangle_alert",
            color_scheme="red",
            role="alert",
            width="100%",
            **focusable,
        ),
    )


def notice_callout(message: Any) -> rx.Component:
    """A blue callout with the message, read out politely; nothing when it is ""."""
    return rx.cond(
        message != "",
        rx.callout(message, icon="info", color_scheme="blue", role="status", width="100%"),
    )


def loading_line(loading: Any) -> rx.Component:
    """A small spinner with text while a page waits for the server."""
    return rx.cond(
        loading,
        rx.hstack(
            rx.spinner(size="2"),
            rx.text("Loading…", size="2", color=rx.color("gray", 11)),
            role="status",
            aria_live="polite",
            align="center",
        ),
    )


def empty_state(
    title: str, text: str, *actions: rx.Component, test_id: str = "", **heading: Any
) -> rx.Component:
    """What a list shows before it has rows: what it is for and how to fill it.

    `heading` props replace the title's (as_="h1" where it is all the page shows).
    """
    return rx.vstack(
        rx.icon("inbox", size=32, color=rx.color("gray", 9)),
        rx.heading(title, size="4", **{"as_": "h2", **heading}),
        rx.text(text, **styles.muted_text, text_align="center", max_width="32em"),
        rx.flex(*actions, spacing="2", wrap="wrap", justify="center"),
        align="center",
        spacing="3",
        padding="2em",
        style=styles.card,
        data_testid=test_id or None,
    )


def status_badge(status: Any) -> rx.Component:
    """A lead's status or a call's, run's or webhook event's outcome, coloured by meaning."""
    return rx.badge(
        status,
        color_scheme=rx.match(
            status,
            ("won", "green"),
            ("success", "green"),
            ("ended", "green"),
            ("completed", "green"),
            ("accepted", "green"),
            ("lost", "red"),
            ("error", "red"),
            ("failed", "red"),
            ("rejected", "red"),
            ("qualified", "indigo"),
            ("contacted", "amber"),
            ("warning", "amber"),
            ("no end reported", "amber"),
            "gray",
        ),
        variant="soft",
        # Radix's soft text (step 11) is about 4.2:1 on its tint at 12 px; AA asks 4.5:1.
        high_contrast=True,
    )


def live_reload_watch(state: Any, test_id: str) -> rx.Component:
    """Shown while the page holds a call in progress: says so, and keeps it reloading.

    Its mount starts the state's timed reloads and its unmount ends them
    (state/live_reload.py), so render it only while something is live.
    """
    return rx.hstack(
        rx.icon("radio", size=14, color=rx.color("green", 11)),
        rx.text(
            f"A call is in progress: this page updates every {LIVE_RELOAD_SECONDS:.0f} seconds.",
            size="1",
            color=rx.color("gray", 11),
        ),
        align="center",
        spacing="1",
        on_mount=state.start_live_reload,
        on_unmount=state.stop_live_reload,
        data_testid=test_id,
    )
