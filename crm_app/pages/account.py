"""/account: who you are, and changing your password (which ends every other session)."""

import reflex as rx

from crm_app import styles
from crm_app.components.auth_form import labelled_input
from crm_app.components.feedback import error_callout
from crm_app.layouts.guarded import guarded_page
from crm_app.services.users import MAX_NAME_LENGTH
from crm_app.state.account import AccountState


def name_form() -> rx.Component:
    """The name the app greets you by and shows in the menu (optional)."""
    return rx.el.form(
        rx.vstack(
            rx.heading("Your name", size="4", as_="h2"),
            labelled_input(
                "Name",
                "name",
                auto_complete="name",
                max_length=MAX_NAME_LENGTH,
                default_value=AccountState.user_name,
                # A new default only shows on a new element: remount when the name loads.
                key=AccountState.user_name,
            ),
            error_callout(AccountState.name_error),
            rx.button("Save name", type="submit"),
            spacing="3",
            width="100%",
        ),
        on_submit=AccountState.save_name,
        style=styles.card,
        max_width="28em",
    )


@guarded_page(route="/account", title="Account", on_load=[AccountState.load])
def account() -> rx.Component:
    """The account page."""
    return rx.vstack(
        rx.heading("Account", size="7", as_="h1"),
        rx.text("Signed in as ", rx.text.strong(AccountState.user_email)),
        name_form(),
        rx.vstack(
            rx.heading("Change password", size="4", as_="h2"),
            rx.text(
                "Changing it logs you out everywhere else.", size="2", color=rx.color("gray", 11)
            ),
            # Only once on_load has read this visit's URL: until then the tab's state may
            # still hold the last visit's verdict (a reload would flash it).
            rx.cond(
                AccountState.is_hydrated & (AccountState.error != ""),
                rx.callout(
                    AccountState.error, icon="triangle_alert", color_scheme="red", role="alert"
                ),
            ),
            rx.cond(
                AccountState.is_hydrated & AccountState.changed,
                rx.callout("Password changed.", icon="check", color_scheme="green", role="status"),
            ),
            rx.el.form(
                rx.vstack(
                    labelled_input(
                        "Current password",
                        "current_password",
                        type="password",
                        required=True,
                        auto_complete="current-password",
                    ),
                    labelled_input(
                        "New password",
                        "new_password",
                        type="password",
                        required=True,
                        min_length=8,
                        auto_complete="new-password",
                    ),
                    rx.button("Change password", type="submit"),
                    spacing="3",
                    width="100%",
                ),
                action="/api/auth/password",
                method="post",
                on_submit=None,
                width="100%",
            ),
            style=styles.card,
            max_width="28em",
            spacing="3",
        ),
        spacing="5",
        width="100%",
    )
