"""The log-in and sign-up forms: native posts to the auth endpoints, labelled inputs."""

from __future__ import annotations

import reflex as rx

from crm_app import styles
from crm_app.components.feedback import error_callout, notice_callout
from crm_app.state.login import FORM_ERROR_ID, LoginFormState


def labelled_input(  # type: ignore[no-untyped-def]
    label: str, name: str, field_id: str = "", **props
) -> rx.Component:
    """An input with a visible label tied to it by id (`field-<name>` unless given)."""
    field_id = field_id or f"field-{name}"
    return rx.vstack(
        rx.el.label(label, html_for=field_id, font_weight="500", font_size="0.9em"),
        rx.input(id=field_id, name=name, width="100%", size="3", **props),
        spacing="1",
        width="100%",
    )


def auth_card(
    title: str, action: str, fields: list[rx.Component], submit: str, footer: rx.Component
) -> rx.Component:
    """A centred card with a form that posts natively (the endpoint sets the HttpOnly cookie).

    Until this visit's load_form has run, the tab's state still holds the last
    visit's message and email, and an email field showing them would change
    under the typing hand (or the password manager's) when they are replaced:
    the form is laid out but hidden until then, and its fields are made anew
    when it shows, with this visit's values.
    """
    ready = rx.State.is_hydrated
    return rx.el.main(
        rx.center(
            rx.vstack(
                rx.heading(title, size="7", as_="h1"),
                error_callout(rx.cond(ready, LoginFormState.error, ""), FORM_ERROR_ID),
                rx.cond(
                    ready & (LoginFormState.login_instead != ""),
                    rx.link(
                        "Log in with this email instead",
                        href=LoginFormState.login_instead,
                        size="3",
                        weight="medium",
                    ),
                ),
                notice_callout(rx.cond(ready, LoginFormState.notice, "")),
                rx.el.form(
                    rx.vstack(
                        *fields,
                        rx.el.input(type="hidden", name="next", value=LoginFormState.next_path),
                        rx.button(
                            submit,
                            type="submit",
                            size="3",
                            width="100%",
                            # The last refusal is about what was sent then: once sent again
                            # it goes, also when the browser's own checks stop this send.
                            on_click=LoginFormState.clear_error,
                        ),
                        spacing="4",
                        width="100%",
                    ),
                    action=action,
                    method="post",
                    on_submit=None,  # let the browser post; Reflex would otherwise prevent it
                    width="100%",
                    visibility=rx.cond(ready, "visible", "hidden"),
                    key=rx.cond(ready, "ready", "loading"),
                ),
                footer,
                spacing="5",
                width="100%",
                max_width="24em",
                style=styles.card,
            ),
            min_height="100vh",
            padding="1em",
        )
    )
