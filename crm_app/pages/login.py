"""/login and /signup."""

import reflex as rx

from crm_app.components.auth_form import auth_card, labelled_input
from crm_app.services.users import MAX_PASSWORD_LENGTH
from crm_app.state.login import LoginFormState


@rx.page(route="/login", title="Log in · crm_app", on_load=LoginFormState.load_form)
def login() -> rx.Component:
    """The log-in page."""
    return auth_card(
        "Log in",
        "/api/auth/login",
        [
            labelled_input(
                "Email",
                "email",
                type="email",
                required=True,
                auto_complete="username",
                default_value=LoginFormState.email,
            ),
            labelled_input(
                "Password",
                "password",
                type="password",
                required=True,
                auto_complete="current-password",
            ),
        ],
        "Log in",
        rx.vstack(
            rx.text(
                "No account yet? ",
                rx.link("Sign up", href="/signup" + LoginFormState.next_query),
                size="2",
            ),
            # There is no email in this stack: the way back is the operator's command.
            rx.text(
                "Forgot your password? Whoever runs this CRM for you can set a new one ",
                "(with ",
                rx.code("python -m crm_app reset-password", variant="ghost", white_space="nowrap"),
                ").",
                size="2",
                color=rx.color("gray", 11),
            ),
            spacing="2",
        ),
    )


@rx.page(route="/signup", title="Sign up · crm_app", on_load=LoginFormState.load_form)
def signup() -> rx.Component:
    """The sign-up page."""
    return auth_card(
        "Create your account",
        "/api/auth/signup",
        [
            labelled_input(
                "Name",
                "name",
                auto_complete="name",
                max_length=200,
                default_value=LoginFormState.name,
            ),
            labelled_input(
                "Email",
                "email",
                type="email",
                required=True,
                auto_complete="username",
                default_value=LoginFormState.email,
            ),
            labelled_input(
                "Password",
                "password",
                type="password",
                required=True,
                min_length=8,
                auto_complete="new-password",
            ),
            rx.text(
                f"At least 8 characters (at most {MAX_PASSWORD_LENGTH:,}), in any language.",
                size="1",
                color=rx.color("gray", 11),
            ),
        ],
        "Sign up",
        rx.text(
            "Already have an account? ",
            rx.link("Log in", href="/login" + LoginFormState.next_query),
            size="2",
        ),
    )
