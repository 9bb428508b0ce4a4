"""/calls/[call_id]: summary, transcript by speaker, recording, cost, duration, lead/contact."""

from __future__ import annotations

from typing import Any

import reflex as rx

from crm_app import styles
from crm_app.components.controls import link_button, when
from crm_app.components.feedback import (
    empty_state,
    error_callout,
    live_reload_watch,
    loading_line,
    status_badge,
)
from crm_app.layouts.guarded import guarded_page
from crm_app.state.call_detail import CallDetailState
from crm_app.state.focus import PAGE_HEADING_ID
from crm_app.state.transcript import Turn

State = CallDetailState


def fact(label: str, value: Any, test_id: str = "") -> rx.Component:
    return rx.vstack(
        rx.text(label, size="1", color=rx.color("gray", 11)),
        rx.box(value, data_testid=test_id or None),
        spacing="0",
    )


def facts() -> rx.Component:
    call = State.call
    return rx.grid(
        fact("Started", when(call.started_at)),
        fact("Ended", when(State.ended_at)),
        fact("Duration", rx.text(call.duration), "call-duration"),
        fact("Cost", rx.text(call.cost), "call-cost"),
        fact("Status", status_badge(call.status)),
        fact(
            "Ended because",
            rx.text(
                rx.cond(call.ended_reason != "", call.ended_reason, "–"),
                # The provider's own code beside its words, to look up in its logs.
                rx.cond(
                    call.ended_reason != call.ended_reason_code,
                    rx.text.span(" (", call.ended_reason_code, ")", color=rx.color("gray", 11)),
                ),
            ),
            "call-ended-reason",
        ),
        fact("Line", rx.text(call.provider, " · ", call.direction)),
        fact("Logged", when(call.occurred_at)),
        fact("From → to", rx.text(State.from_number, " → ", State.to_number)),
        fact(
            "Lead",
            rx.cond(
                call.lead_id != "", rx.link(State.lead_name, href="/leads/" + call.lead_id), "–"
            ),
            "call-lead",
        ),
        fact(
            "Contact",
            rx.cond(
                call.contact_id != "",
                rx.link(State.contact_name, href="/contacts/" + call.contact_id),
                "–",
            ),
        ),
        fact(
            "Recording",
            rx.cond(
                State.recording_url != "",
                rx.vstack(
                    rx.el.audio(
                        src=State.recording_url, controls=True, preload="none", width="100%"
                    ),
                    rx.link("Open the recording", href=State.recording_url, is_external=True),
                    spacing="1",
                ),
                "–",
            ),
        ),
        fact(
            "Evaluation",
            rx.text(
                rx.cond(State.success_evaluation != "", State.success_evaluation, "–"),
                data_testid="call-evaluation",
            ),
        ),
        columns=rx.breakpoints(initial="1", sm="2"),
        spacing="4",
        style=styles.card,
    )


def turn(item: Turn) -> rx.Component:
    return rx.box(
        rx.text(item.speaker, size="1", weight="bold", color=rx.color("gray", 11)),
        rx.text(item.text, size="2", white_space="pre-wrap", word_break="break-word"),
        align_self=rx.cond(item.is_agent, "flex-start", "flex-end"),
        background=rx.cond(item.is_agent, rx.color("gray", 3), rx.color("indigo", 3)),
        padding="0.5em 0.75em",
        border_radius="0.75em",
        max_width="85%",
        data_testid="transcript-turn",
    )


def call_view() -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.heading(
                State.call.caller,
                size="7",
                as_="h1",
                overflow_wrap="anywhere",
                id=PAGE_HEADING_ID,
                tab_index=-1,
            ),
            rx.text(State.call.number, color=rx.color("gray", 11)),
            align="baseline",
            wrap="wrap",
        ),
        rx.grid(
            rx.vstack(
                rx.vstack(
                    rx.heading("Summary", size="4", as_="h2"),
                    rx.text(
                        rx.cond(State.summary != "", State.summary, "No summary for this call."),
                        white_space="pre-wrap",
                        # A URL or any long unbroken word wraps instead of widening the page.
                        overflow_wrap="anywhere",
                        data_testid="call-summary",
                    ),
                    style=styles.card,
                ),
                facts(),
                spacing="4",
                min_width="0",  # a grid column may be narrower than its longest word
            ),
            rx.vstack(
                rx.heading("Transcript", size="4", as_="h2"),
                rx.cond(
                    State.transcript.length() > 0,
                    rx.flex(
                        rx.foreach(State.transcript, turn),
                        direction="column",
                        spacing="2",
                        width="100%",
                    ),
                    rx.text("No transcript for this call.", size="2"),
                ),
                rx.cond(
                    State.transcript_note != "",
                    rx.hstack(
                        rx.text(State.transcript_note, size="2", color=rx.color("gray", 11)),
                        rx.button(
                            "Show the whole transcript",
                            variant="soft",
                            size="1",
                            on_click=State.show_whole_transcript,
                        ),
                        align="center",
                        spacing="3",
                        wrap="wrap",
                        data_testid="transcript-cut",
                    ),
                ),
                style=styles.card,
                min_width="0",
                data_testid="call-transcript",
            ),
            columns=rx.breakpoints(initial="1", lg="2"),
            spacing="4",
            width="100%",
        ),
        spacing="4",
        width="100%",
    )


@guarded_page(route="/calls/[call_id]", title="Call", on_load=[CallDetailState.load_call])
def call_detail() -> rx.Component:
    """One call's page."""
    return rx.vstack(
        rx.link(rx.hstack(rx.icon("arrow-left", size=16), "Calls", align="center"), href="/calls"),
        error_callout(State.error),
        loading_line(State.loading & ~State.loaded),
        rx.cond(State.shows_live_call, live_reload_watch(State, "call-live")),
        rx.cond(
            State.loaded,
            rx.cond(
                State.not_found,
                empty_state(
                    "Call not found",
                    "The link is wrong, or the call belongs to no one you can see.",
                    link_button("Back to calls", href="/calls"),
                ),
                call_view(),
            ),
        ),
        spacing="4",
        width="100%",
        on_unmount=State.forget_shown,
    )
