"""`guarded_page`: registers a signed-in page with the shell and the login guard."""

from __future__ import annotations

from collections.abc import Callable

import reflex as rx

from crm_app.layouts.shell import shell
from crm_app.state.auth import AuthState


def user_menu() -> rx.Component:
    """Who is logged in, and a log-out button (a native form post: the cookie is HttpOnly)."""
    return rx.vstack(
        rx.text(AuthState.user_name, weight="bold", size="2", data_testid="user-name"),
        rx.text(
            AuthState.user_email, size="1", color=rx.color("gray", 11), data_testid="user-email"
        ),
        # Targets a finger can hit: at least 24 px tall, apart (WCAG 2.2, 2.5.8).
        rx.link("Account", href="/account", size="2", padding_y="0.25em"),
        rx.el.form(
            rx.button("Log out", type="submit", variant="soft", size="2"),
            action="/api/auth/logout",
            method="post",
            on_submit=None,
        ),
        spacing="2",
        align="start",
        padding_x="0.75em",
    )


# How often a page showing the outage asks whether the database is back.
DATABASE_RETRY_MS = 3000


def database_unavailable_notice() -> rx.Component:
    """Shown instead of a page while the database does not answer; it reloads when it does."""
    return rx.center(
        rx.callout(
            "The service is briefly unavailable: the database does not answer. What was "
            "saved before stays saved; a change made just now may not have been, so check "
            "it once this page has reloaded, which it does by itself when the database is back.",
            icon="triangle_alert",
            color_scheme="amber",
            role="alert",
            data_testid="service-unavailable",
            max_width="32em",
        ),
        # A hidden clock whose ticks ask the server again.
        rx.moment(interval=DATABASE_RETRY_MS, on_change=AuthState.check_database, display="none"),
        height="100vh",
        padding="1em",
    )


def guarded_page(route: str, title: str, on_load: list | None = None) -> Callable:
    """Like @rx.page, for pages that need a session: nothing of them renders without one."""

    def decorator(body: Callable[[], rx.Component]) -> Callable[[], rx.Component]:
        def page() -> rx.Component:
            return rx.cond(
                AuthState.database_unavailable,
                database_unavailable_notice(),
                rx.cond(
                    AuthState.is_authenticated,
                    shell(body(), user_menu=user_menu()),
                    rx.center(
                        rx.spinner(size="3"),
                        height="100vh",
                        aria_label="Loading",
                        on_mount=AuthState.leave_if_logged_out,
                    ),
                ),
            )

        page.__name__ = body.__name__
        return rx.page(
            route=route,
            title=f"{title} · crm_app",
            on_load=[AuthState.require_login, *(on_load or [])],
        )(page)

    return decorator
