"""/dashboard: the signed-in user's numbers over a chosen period, a chart and latest activity."""

from __future__ import annotations

from typing import Any

import reflex as rx

from crm_app import styles
from crm_app.components.controls import link_button, page_header, when
from crm_app.components.feedback import error_callout, loading_line
from crm_app.layouts.guarded import guarded_page
from crm_app.state.dashboard import Bar, DashboardState, FeedItem

# The period picker must fit a phone's width: short labels.
SHORT_PERIODS = {"7": "7 days", "30": "30 days", "90": "90 days", "all": "All time"}


# Figures that ignore the period picker say so.
ALL_TIME = "all time"


def scope_badge(scope: Any, **props: Any) -> rx.Component:
    """A small grey tag next to a title: what a figure covers."""
    return rx.badge(
        scope, variant="soft", color_scheme="gray", size="1", high_contrast=True, **props
    )


def panel_title(title: str, scope: Any, **badge_props: Any) -> rx.Component:
    """A panel's heading with its scope beside it."""
    return rx.hstack(
        rx.heading(title, size="4", as_="h2"),
        scope_badge(scope, **badge_props),
        align="center",
        spacing="2",
    )


def stat_card(
    label: str,
    value: Any,
    test_id: str,
    note: Any = "",
    scope: str = "",
    href: Any = None,
    shows: str = "",
) -> rx.Component:
    """One figure with its label (and scope, when not the chosen period) and a line of context.

    With href the figure links to the list it counts (`shows` says what, for
    screen readers: the figure alone would be read as a bare number).
    """
    figure = rx.text(value, size="8", weight="bold", data_testid=test_id)
    if href is not None:
        figure = rx.link(
            figure,
            rx.text.span(f", show {shows}", style=styles.visually_hidden),
            href=href,
            underline="hover",
            color=rx.color("gray", 12),
            data_testid=f"{test_id}-link",
        )
    return rx.vstack(
        rx.hstack(
            rx.text(label, size="2", color=rx.color("gray", 11)),
            scope_badge(scope) if scope else rx.fragment(),
            align="center",
            spacing="2",
            data_testid=f"{test_id}-label",
        ),
        figure,
        rx.text(note, size="1", color=rx.color("gray", 11), data_testid=f"{test_id}-note"),
        style=styles.card,
        spacing="1",
    )


def period_link(path: str) -> Any:
    """A list filtered to the dashboard's period: the same calendar days, so the same count."""
    return f"{path}?period={DashboardState.period}"


def period_picker() -> rx.Component:
    return rx.segmented_control.root(
        *(rx.segmented_control.item(label, value=value) for value, label in SHORT_PERIODS.items()),
        value=DashboardState.period,
        on_change=DashboardState.set_period,
        aria_label="Period",
        size="2",
    )


def _step(number: str, title: str, text: str, action: rx.Component) -> rx.Component:
    return rx.hstack(
        rx.badge(number, variant="solid", radius="full", size="2"),
        rx.vstack(
            rx.text(title, weight="bold"),
            rx.text(text, size="2", color=rx.color("gray", 11)),
            action,
            spacing="1",
            align="start",
        ),
        align="start",
        spacing="3",
    )


def empty_dashboard() -> rx.Component:
    """A new user's first view: how to get data in, not zeros that look broken."""
    return rx.vstack(
        rx.heading("Nothing here yet", size="5", as_="h2"),
        rx.text(
            "Your numbers appear here as soon as there are leads, calls or automation runs. "
            "Two ways to start:",
            size="2",
        ),
        rx.grid(
            _step(
                "1",
                "Connect a provider",
                "Add your Vapi, Twilio or Make.com keys and webhook URL: calls, SMS and "
                "automation runs then arrive by themselves.",
                link_button("Connect a provider", size="2", href="/integrations"),
            ),
            _step(
                "2",
                "Bring your leads",
                "Import a CSV file from your spreadsheet or old CRM, or add a lead by hand.",
                rx.flex(
                    link_button("Import leads", size="2", href="/leads?import=1"),
                    link_button("Add a lead", size="2", variant="soft", href="/leads?new=1"),
                    spacing="2",
                    wrap="wrap",
                ),
            ),
            columns=rx.breakpoints(initial="1", md="2"),
            spacing="5",
            width="100%",
        ),
        style=styles.card,
        spacing="4",
        data_testid="dashboard-empty",
    )


def bar_row(bar: Bar) -> rx.Component:
    return rx.link(
        rx.hstack(
            rx.text(bar.label, size="2", width="7em", truncate=True),
            # Drawn against the largest bar, so its percentage would mislead a screen
            # reader: the link's name says the count instead.
            rx.progress(value=bar.percent, aria_hidden="true", flex="1"),
            rx.text(bar.count_text, size="2", weight="bold", min_width="3em", text_align="right"),
            align="center",
            width="100%",
        ),
        href=bar.href,
        aria_label=f"{bar.label}: {bar.count_text} leads",
        underline="none",
        color=rx.color("gray", 12),
        width="100%",
    )


def bar_panel(title: str, bars: Any, test_id: str, empty: str) -> rx.Component:
    """Leads by status or source: all of them, whatever the period."""
    return rx.vstack(
        panel_title(title, ALL_TIME),
        rx.cond(
            bars.length() > 0,
            rx.vstack(rx.foreach(bars, bar_row), width="100%", spacing="2"),
            rx.text(empty, size="2", color=rx.color("gray", 11)),
        ),
        style=styles.card,
        data_testid=test_id,
        spacing="3",
    )


def outcome_link(count: Any, outcome: str) -> rx.Component:
    """ "50 answered", linked to the calls list showing those 50 (the same days, the same rule)."""
    return rx.link(
        count,
        " ",
        outcome.replace("-", " "),
        href=period_link("/calls") + f"&outcome={outcome}",
        data_testid=f"calls-{outcome}-link",
    )


def calls_chart() -> rx.Component:
    """The period's calls per day; "all time" charts only the last 90 days, and says so."""
    return rx.vstack(
        panel_title("Calls per day", DashboardState.chart_range, data_testid="calls-chart-range"),
        rx.text(
            # All time: these figures cover more than the bars below.
            rx.cond(DashboardState.period == "all", "All time: ", ""),
            DashboardState.counts_text["calls"],
            rx.cond(DashboardState.calls == 1, " call: ", " calls: "),
            outcome_link(DashboardState.counts_text["answered_calls"], "answered"),
            ", ",
            outcome_link(DashboardState.counts_text["unanswered_calls"], "not-answered"),
            rx.cond(
                DashboardState.calls_in_progress > 0,
                rx.fragment(
                    ", ",
                    outcome_link(DashboardState.counts_text["calls_in_progress"], "in-progress"),
                ),
                "",
            ),
            " · average ",
            DashboardState.average_call,
            " · cost ",
            DashboardState.total_cost,
            size="2",
            color=rx.color("gray", 11),
            data_testid="calls-summary",
        ),
        rx.box(
            rx.recharts.bar_chart(
                rx.recharts.cartesian_grid(stroke_dasharray="3 3", vertical=False),
                rx.recharts.x_axis(data_key="day", min_tick_gap=16),
                rx.recharts.y_axis(allow_decimals=False, width=32),
                rx.recharts.tooltip(),
                rx.recharts.legend(),
                rx.recharts.bar(data_key="answered", stack_id="calls", fill=rx.color("indigo", 9)),
                # Colours of at least 3:1 against the card, light or dark (graphics, WCAG
                # 1.4.11); the legend's and axes' text is grey 11/12 (assets/crm.css).
                rx.recharts.bar(
                    data_key="not answered", stack_id="calls", fill=rx.color("gray", 10)
                ),
                # A call still ringing or talking: not yet answered or missed.
                rx.recharts.bar(
                    data_key="in progress", stack_id="calls", fill=rx.color("amber", 11)
                ),
                data=DashboardState.chart,
                width="100%",
                height=260,
                # Recharts' keyboard layer makes the chart an unnamed tab stop (role
                # "application"); the box around it is the image, named by its label.
                custom_attrs={"accessibilityLayer": False},
            ),
            width="100%",
            role="img",
            aria_label=DashboardState.chart_label,
        ),
        style=styles.card,
        spacing="2",
        data_testid="calls-chart",
    )


def feed_row(item: FeedItem) -> rx.Component:
    return rx.link(
        rx.hstack(
            rx.icon(item.icon, size=16, flex_shrink="0"),
            rx.vstack(
                rx.text(item.title, size="2", weight="medium", truncate=True, max_width="100%"),
                rx.hstack(
                    when(item.occurred_at, font_size="0.8em"),
                    rx.text(item.detail, size="1", color=rx.color("gray", 11)),
                    spacing="2",
                ),
                spacing="0",
                min_width="0",
            ),
            align="center",
            width="100%",
        ),
        href=item.href,
        underline="none",
        color=rx.color("gray", 12),
        padding_y="0.4em",
        width="100%",
        border_bottom=f"1px solid {rx.color('gray', 4)}",
    )


def activity_feed() -> rx.Component:
    return rx.vstack(
        rx.heading("Latest activity", size="4", as_="h2"),
        rx.cond(
            DashboardState.feed.length() > 0,
            rx.vstack(rx.foreach(DashboardState.feed, feed_row), spacing="0", width="100%"),
            rx.text("Calls, SMS, new leads and automation runs appear here.", size="2"),
        ),
        style=styles.card,
        spacing="2",
        data_testid="latest-activity",
    )


def numbers() -> rx.Component:
    """The statistics, chart, feed and breakdowns of an account with data."""
    return rx.vstack(
        rx.grid(
            stat_card(
                "Leads",
                DashboardState.counts_text["total_leads"],
                "stat-total-leads",
                rx.text.span(DashboardState.counts_text["new_leads"], " new in the period"),
                scope=ALL_TIME,
                href="/leads?period=all",
                shows="all leads",
            ),
            stat_card(
                "New leads",
                DashboardState.counts_text["new_leads"],
                "stat-new-leads",
                DashboardState.new_leads_note,
                href=period_link("/leads"),
                shows="the new leads",
            ),
            stat_card(
                "Conversion (won / closed)",
                DashboardState.conversion_rate,
                "stat-conversion",
                scope=ALL_TIME,
            ),
            stat_card(
                "Calls",
                DashboardState.counts_text["calls"],
                "stat-calls",
                DashboardState.calls_note,
                href=period_link("/calls"),
                shows="these calls",
            ),
            stat_card(
                "Average call", DashboardState.average_call, "stat-average-call", "answered calls"
            ),
            stat_card(
                "Call cost",
                DashboardState.total_cost,
                "stat-call-cost",
                DashboardState.total_cost_note,
            ),
            stat_card(
                "Automation runs",
                DashboardState.counts_text["automation_runs"],
                "stat-automation-runs",
                rx.text.span(DashboardState.automation_success, " succeeded"),
                href=period_link("/automations"),
                shows="these runs",
            ),
            columns=rx.breakpoints(initial="1", xs="2", lg="4"),
            spacing="4",
            width="100%",
        ),
        rx.grid(
            calls_chart(),
            activity_feed(),
            columns=rx.breakpoints(initial="1", lg="2"),
            spacing="4",
            width="100%",
        ),
        rx.grid(
            bar_panel("Pipeline", DashboardState.pipeline, "pipeline-by-status", "No leads yet."),
            bar_panel("Lead sources", DashboardState.sources, "leads-by-source", "No leads yet."),
            columns=rx.breakpoints(initial="1", md="2"),
            spacing="4",
            width="100%",
        ),
        spacing="5",
        width="100%",
    )


@guarded_page(route="/dashboard", title="Dashboard", on_load=[DashboardState.start])
def dashboard() -> rx.Component:
    """The dashboard page."""
    return rx.vstack(
        page_header(
            "Dashboard",
            period_picker(),
            subtitle=rx.text(
                "Welcome, ",
                # The name is optional at sign-up; the email address is not.
                rx.text.strong(
                    rx.cond(
                        DashboardState.user_name != "",
                        DashboardState.user_name,
                        DashboardState.user_email,
                    )
                ),
                ".",
            ),
        ),
        error_callout(DashboardState.error),
        rx.cond(~DashboardState.loaded, loading_line(DashboardState.loading)),
        rx.cond(
            DashboardState.loaded,
            rx.cond(DashboardState.is_empty, empty_dashboard(), numbers()),
        ),
        spacing="5",
        width="100%",
    )
