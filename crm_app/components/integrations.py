"""Pieces of the integrations page: key forms, status lines, confirmations, webhook URLs."""

from __future__ import annotations

from typing import Any

import reflex as rx

from crm_app import styles
from crm_app.components.controls import when
from crm_app.components.dialogs import dialog_title
from crm_app.state.integrations import IntegrationsState, key_field_id


def status_badge(provider: str, test_id: str) -> rx.Component:
    """Connected / Not connected: whether the provider's webhooks can be verified."""
    return rx.cond(
        IntegrationsState.provider_connected[provider],
        rx.badge("Connected", color_scheme="green", high_contrast=True, data_testid=test_id),
        rx.badge("Not connected", color_scheme="gray", high_contrast=True, data_testid=test_id),
    )


# A key sealed under a master key the server no longer has: webhooks checked with it fail.
UNREADABLE_KEY = (
    "The server cannot read this key (it was sealed under an encryption key it no longer "
    "has): requests checked with it are refused. Save it again (Make.com's: regenerate it)."
)


def key_details(service: str) -> rx.Component:
    """What identifies the stored key: its last characters, fingerprint and when it was saved."""
    connection = IntegrationsState.connections[service]
    return rx.cond(
        connection.connected,
        rx.vstack(
            rx.cond(
                connection.public_value != "",
                rx.text("Account SID: ", rx.code(connection.public_value), size="2"),
            ),
            rx.cond(
                connection.hint != "", rx.text("Key ends in ", rx.code(connection.hint), size="2")
            ),
            rx.text(
                "Fingerprint: ",
                rx.code(connection.fingerprint, data_testid=f"{service}-fingerprint"),
                size="2",
            ),
            rx.text("Saved ", when(connection.saved_at), size="2", color=rx.color("gray", 11)),
            rx.cond(
                ~connection.readable,
                rx.callout(
                    UNREADABLE_KEY,
                    icon="triangle_alert",
                    color_scheme="red",
                    size="1",
                    data_testid=f"{service}-unreadable",
                ),
            ),
            spacing="1",
            align="start",
        ),
    )


def labelled_field(
    label: str | rx.Component, field_id: str, name: str, **props: Any
) -> rx.Component:
    """A label and its input; nothing binds the input's value to state."""
    return rx.vstack(
        rx.el.label(label, html_for=field_id, font_weight="500", font_size="0.9em"),
        rx.input(id=field_id, name=name, width="100%", auto_complete="off", **props),
        spacing="1",
        width="100%",
    )


def key_error_id(service: str) -> str:
    """The id of the text saying why a service's key was refused (the fields point at it)."""
    return f"{service}-key-error"


def key_form(service: str, label: str, *extra_fields: rx.Component) -> rx.Component:
    """A form whose submit sends the key to the server once; cleared once the key is saved.

    Not before: a refused key (a typo in the Account SID, say) stays in the
    form to be corrected, instead of both fields having to be typed again.
    """
    connected = IntegrationsState.connections[service].connected
    return rx.el.form(
        rx.vstack(
            *extra_fields,
            labelled_field(
                rx.cond(connected, f"New {label}", label),
                key_field_id(service),
                "api_key",
                type="password",
                spellcheck=False,
                aria_describedby=key_error_id(service),
            ),
            rx.cond(
                IntegrationsState.key_errors.contains(service),
                rx.text(
                    IntegrationsState.key_errors[service],
                    id=key_error_id(service),
                    size="2",
                    color=rx.color("red", 11),
                    data_testid=f"{service}-key-error",
                ),
            ),
            rx.el.input(type="hidden", name="service", value=service),
            rx.button(
                rx.cond(connected, f"Replace {label}", f"Save {label}"),
                type="submit",
                data_testid=f"{service}-save",
            ),
            spacing="2",
            width="100%",
            align="start",
        ),
        on_submit=IntegrationsState.save_key,
        width="100%",
    )


def confirm_button(
    label: str,
    *,
    title: str,
    description: str,
    confirm: str,
    on_confirm: rx.EventHandler,
    test_id: str,
    button_id: str | None = None,
    aria_label: str | None = None,
) -> rx.Component:
    """A button that asks before doing something that cannot be undone.

    aria_label names it fully where its label alone is repeated on the page.
    """
    return rx.alert_dialog.root(
        rx.alert_dialog.trigger(
            rx.button(
                label,
                variant="soft",
                color_scheme="red",
                data_testid=test_id,
                type="button",
                **({"id": button_id} if button_id else {}),
                **({"aria_label": aria_label} if aria_label else {}),
            )
        ),
        rx.alert_dialog.content(
            dialog_title(title, alert=True),
            rx.alert_dialog.description(description),
            rx.hstack(
                rx.alert_dialog.cancel(rx.button("Cancel", variant="soft", color_scheme="gray")),
                rx.alert_dialog.action(rx.button(confirm, color_scheme="red", on_click=on_confirm)),
                spacing="3",
                justify="end",
                margin_top="1em",
                wrap="wrap",
            ),
            max_width="28em",
        ),
    )


def disconnect_button(service: str, label: str) -> rx.Component:
    """Disconnect, with a confirmation; shown only while a key is stored."""
    return rx.cond(
        IntegrationsState.connections[service].connected,
        confirm_button(
            f"Remove {label}",
            title=f"Remove the {label}?",
            description="The key is deleted from the vault. Webhooks that need it will be "
            "refused until you save a new one.",
            confirm="Remove",
            on_confirm=IntegrationsState.disconnect(service),
            test_id=f"{service}-disconnect",
        ),
    )


def webhook_url_field(provider: str, name: str) -> rx.Component:
    """This user's webhook URL for the provider, with Copy and Regenerate."""
    url = IntegrationsState.webhook_urls[provider]
    return rx.vstack(
        rx.text("Webhook URL", weight="medium", size="2", as_="div"),
        rx.code(url, data_testid=f"{provider}-webhook-url", word_break="break_all", width="100%"),
        rx.hstack(
            rx.button(
                rx.icon("copy", size=16),
                "Copy",
                variant="soft",
                type="button",
                aria_label=f"Copy the {name} webhook URL",
                on_click=[rx.set_clipboard(url), rx.toast.info("Webhook URL copied.")],
            ),
            confirm_button(
                "Regenerate",
                title=f"Regenerate the {name} webhook URL?",
                description=f"The current URL stops working at once. {name} must be given "
                "the new one.",
                confirm="Regenerate",
                on_confirm=IntegrationsState.regenerate_webhook(provider),
                test_id=f"{provider}-regenerate",
                # Three cards each have one: say whose.
                aria_label=f"Regenerate the {name} webhook URL",
            ),
            spacing="2",
            wrap="wrap",
        ),
        spacing="2",
        width="100%",
        align="start",
    )


def provider_card(
    name: str, provider: str, *sections: rx.Component, description: str
) -> rx.Component:
    """One provider: heading and status, its key sections, its webhook URL."""
    return rx.vstack(
        rx.hstack(
            rx.heading(name, size="5", as_="h2"),
            status_badge(provider, f"{provider}-status"),
            align="center",
            spacing="3",
            wrap="wrap",
        ),
        rx.text(description, **styles.muted_text),
        *sections,
        rx.divider(),
        webhook_url_field(provider, name),
        spacing="4",
        style=styles.card,
        min_width="0",
        data_testid=f"{provider}-card",
    )
