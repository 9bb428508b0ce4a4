"""/dashboard: the signed-in user's numbers."""

import reflex as rx

from crm_app import styles
from crm_app.layouts.guarded import guarded_page
from crm_app.state.dashboard import DashboardState


def stat_card(label: str, value: rx.Var, test_id: str) -> rx.Component:
    """One figure with its label."""
    return rx.vstack(
        rx.text(label, size="2", color=rx.color("gray", 11)),
        rx.heading(value, size="8", data_testid=test_id),
        style=styles.card,
        spacing="1",
    )


@guarded_page(route="/dashboard", title="Dashboard", on_load=[DashboardState.load])
def dashboard() -> rx.Component:
    """The dashboard page."""
    return rx.vstack(
        rx.heading("Dashboard", size="7", as_="h1"),
        rx.text("Welcome, ", rx.text.strong(DashboardState.user_name), "."),
        rx.cond(
            DashboardState.loaded & DashboardState.is_empty,
            rx.callout(
                "Nothing here yet. Connect Vapi, Twilio or Make.com on the Integrations page, "
                "or add your first leads, and your numbers will appear here.",
                icon="info",
                width="100%",
            ),
        ),
        rx.grid(
            stat_card("Leads", DashboardState.total_leads, "stat-total-leads"),
            stat_card("New leads (30 days)", DashboardState.new_leads, "stat-new-leads"),
            stat_card("Calls (30 days)", DashboardState.calls, "stat-calls"),
            stat_card("Automation runs (30 days)", DashboardState.automation_runs, "stat-automation-runs"),
            columns={"base": "1", "sm": "2", "lg": "4"},
            spacing="4",
            width="100%",
        ),
        spacing="5",
        width="100%",
    )
