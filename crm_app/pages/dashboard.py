"""/dashboard: the signed-in user's numbers."""

import reflex as rx

from crm_app.layouts.shell import shell


@rx.page(route="/dashboard", title="Dashboard · crm_app")
def dashboard() -> rx.Component:
    """The dashboard page."""
    return shell(
        rx.vstack(
            rx.heading("Dashboard", size="7", as_="h1"),
            rx.text("Your leads, calls and automations at a glance."),
        ),
        user_menu=rx.fragment(),
    )
