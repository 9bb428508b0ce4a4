"""/: sends visitors on to the dashboard."""

import reflex as rx


@rx.page(route="/", title="crm_app", on_load=rx.redirect("/dashboard"))
def index() -> rx.Component:
    """The root page; it only redirects."""
    return rx.center(rx.spinner(), height="100vh")
