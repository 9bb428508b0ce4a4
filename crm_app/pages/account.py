"""/account: who you are; your name, login email and password (a new one ends other sessions)."""

import reflex as rx

from crm_app import styles
from crm_app.components.auth_form import labelled_input
from crm_app.components.feedback import error_callout
from crm_app.layouts.guarded import guarded_page
from crm_app.services.users import MAX_EMAIL_LENGTH, MAX_NAME_LENGTH
from crm_app.state.account import EMAIL_ERROR_ID, PASSWORD_ERROR_ID, AccountState
from crm_app.state.focus import PAGE_HEADING_ID


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


def verdict(error: rx.Var, success: rx.Var, success_text: str, error_id: str) -> rx.Component:
    """The endpoint's verdict on a form, once on_load has read this visit's URL.

    Until then the tab's state may still hold the last visit's verdict (a
    reload would flash it). A refusal takes focus (AccountState.load): the page
    was loaded anew, and the message may sit below the fold of a phone.
    """
    return rx.fragment(
        rx.cond(
            AccountState.is_hydrated & (error != ""),
            rx.callout(
                error,
                icon="triangle_alert",
                color_scheme="red",
                role="alert",
                id=error_id,
                tab_index=-1,
            ),
        ),
        rx.cond(
            AccountState.is_hydrated & success,
            rx.callout(success_text, icon="check", color_scheme="green", role="status"),
        ),
    )


def section(title: str, slug: str, *children: rx.Component) -> rx.Component:
    """A card that is a region named by its heading (two forms here ask for the password)."""
    return rx.el.section(
        rx.vstack(
            rx.heading(title, size="4", as_="h2", id=f"heading-{slug}"),
            *children,
            spacing="3",
            width="100%",
        ),
        aria_labelledby=f"heading-{slug}",
        style=styles.card,
        max_width="28em",
        width="100%",
    )


def email_form() -> rx.Component:
    """The address you log in with; changing it asks for your password."""
    return section(
        "Login email",
        "email",
        verdict(
            AccountState.email_error,
            AccountState.email_changed,
            "Email changed.",
            error_id=EMAIL_ERROR_ID,
        ),
        rx.el.form(
            rx.vstack(
                labelled_input(
                    "New email",
                    "new_email",
                    type="email",
                    required=True,
                    auto_complete="email",
                    max_length=MAX_EMAIL_LENGTH,
                    default_value=rx.cond(
                        AccountState.typed_email != "",
                        AccountState.typed_email,
                        AccountState.user_email,
                    ),
                    # A new default only shows on a new element: remount when it loads.
                    key=AccountState.user_email + "|" + AccountState.typed_email,
                ),
                labelled_input(
                    "Current password",
                    "current_password",
                    field_id="field-email-current-password",
                    type="password",
                    required=True,
                    auto_complete="current-password",
                ),
                rx.button("Change email", type="submit"),
                spacing="3",
                width="100%",
            ),
            action="/api/auth/email",
            method="post",
            on_submit=None,
            width="100%",
        ),
    )


def password_form() -> rx.Component:
    """A new password; the other sessions end."""
    return section(
        "Change password",
        "password",
        rx.text("Changing it logs you out everywhere else.", size="2", color=rx.color("gray", 11)),
        verdict(
            AccountState.error,
            AccountState.changed,
            "Password changed.",
            error_id=PASSWORD_ERROR_ID,
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
    )


@guarded_page(route="/account", title="Account", on_load=[AccountState.load])
def account() -> rx.Component:
    """The account page."""
    return rx.vstack(
        rx.heading("Account", size="7", as_="h1", id=PAGE_HEADING_ID, tab_index=-1),
        rx.text("Signed in as ", rx.text.strong(AccountState.user_email)),
        name_form(),
        email_form(),
        password_form(),
        spacing="5",
        width="100%",
    )
