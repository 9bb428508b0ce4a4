"""/integrations: connect Vapi, Twilio and Make.com; keys go in once and are never shown back."""

import reflex as rx
from reflex.vars import FunctionStringVar

from crm_app.components.dialogs import dialog_title
from crm_app.components.feedback import error_callout
from crm_app.components.integrations import (
    confirm_button,
    disconnect_button,
    key_details,
    key_form,
    labelled_field,
    provider_card,
)
from crm_app.layouts.guarded import guarded_page
from crm_app.state.focus import PAGE_HEADING_ID
from crm_app.state.integrations import (
    MAKE_GENERATE_BUTTON,
    MAKE_REGENERATE_BUTTON,
    MAKE_SECRET_FIELD,
    TWILIO_SID_FIELD,
    IntegrationsState,
)


def key_section(service: str, label: str, *extra_fields: rx.Component) -> rx.Component:
    """A stored key's details, its form and its Remove button."""
    return rx.vstack(
        key_details(service),
        key_form(service, label, *extra_fields),
        disconnect_button(service, label),
        spacing="3",
        width="100%",
        align="start",
    )


def vapi_card() -> rx.Component:
    return provider_card(
        "Vapi",
        "vapi",
        key_section("vapi", "Vapi server secret"),
        rx.divider(),
        rx.heading("HMAC credential (optional)", size="3", as_="h3"),
        key_section("vapi_hmac", "Vapi HMAC secret"),
        description="The server secret Vapi sends with each server message "
        "(or an HMAC credential secret, if you signed requests instead: keep its headers "
        "and payload format as Vapi sets them by default).",
    )


def twilio_card() -> rx.Component:
    return provider_card(
        "Twilio",
        "twilio",
        key_section(
            "twilio",
            "Twilio auth token",
            labelled_field(
                "Twilio Account SID", TWILIO_SID_FIELD, "account_sid", placeholder="AC…"
            ),
        ),
        description="Your Account SID and auth token: the token checks Twilio's signatures.",
    )


_BACK_TO_MAKE_BUTTON = FunctionStringVar.create(
    "((event) => { const button = document.getElementById("
    f"'{MAKE_REGENERATE_BUTTON}') || document.getElementById('{MAKE_GENERATE_BUTTON}');"
    " if (button) { event.preventDefault(); button.focus(); } })"
)


def make_secret_dialog() -> rx.Component:
    """A freshly generated Make.com secret, shown this once in a read-only field.

    The field asks for the secret when it appears; the server answers by setting
    the field's value in the browser, so no state var ever holds the secret.
    """
    return rx.dialog.root(
        rx.dialog.content(
            dialog_title("Your Make.com endpoint secret"),
            rx.dialog.description(
                "Copy it now: it will not be shown again. Best, sign each request with it "
                "(Standard Webhooks: webhook-id, webhook-timestamp and webhook-signature "
                "headers); or, simpler but unsigned, send it as the x-make-apikey header "
                "of your scenario's HTTP module."
            ),
            rx.input(
                id=MAKE_SECRET_FIELD,
                read_only=True,
                aria_label="Make.com endpoint secret",
                font_family="var(--code-font-family)",
                margin_top="1em",
                on_mount=IntegrationsState.generate_make_secret,
                data_testid="make-secret-once",
            ),
            rx.hstack(
                rx.button(
                    rx.icon("copy", size=16),
                    "Copy",
                    variant="soft",
                    on_click=[
                        rx.call_script(
                            "navigator.clipboard.writeText("
                            f"document.getElementById('{MAKE_SECRET_FIELD}').value)"
                        ),
                        rx.toast.info("Secret copied."),
                    ],
                ),
                rx.dialog.close(rx.button("Done")),
                spacing="3",
                justify="end",
                margin_top="1em",
            ),
            max_width="30em",
            # Closed, back to the card's button; the one that opened it may have been
            # replaced meanwhile (Generate becomes Regenerate once a secret is stored).
            on_close_auto_focus=_BACK_TO_MAKE_BUTTON,
        ),
        open=IntegrationsState.make_secret_open,
        on_open_change=IntegrationsState.set_make_secret_open,
    )


def make_card() -> rx.Component:
    connected = IntegrationsState.connections["make"].connected
    return provider_card(
        "Make.com",
        "make",
        key_details("make"),
        rx.hstack(
            rx.cond(
                connected,
                confirm_button(
                    "Regenerate secret",
                    title="Regenerate the Make.com secret?",
                    description="The current secret stops working at once; "
                    "paste the new one into Make.",
                    confirm="Regenerate",
                    on_confirm=IntegrationsState.open_make_secret(True),
                    test_id=MAKE_REGENERATE_BUTTON,
                    button_id=MAKE_REGENERATE_BUTTON,
                ),
                rx.button(
                    "Generate secret",
                    on_click=IntegrationsState.open_make_secret(False),
                    id=MAKE_GENERATE_BUTTON,
                    data_testid=MAKE_GENERATE_BUTTON,
                ),
            ),
            disconnect_button("make", "Make.com endpoint secret"),
            spacing="2",
            wrap="wrap",
        ),
        make_secret_dialog(),
        description="The app makes the secret your scenario signs its requests with "
        "(Standard Webhooks) or sends as its x-make-apikey header; you see it once, when "
        "it is made.",
    )


@guarded_page(route="/integrations", title="Integrations", on_load=[IntegrationsState.load])
def integrations() -> rx.Component:
    """The integrations page."""
    return rx.vstack(
        rx.heading(
            "Integrations",
            size=rx.breakpoints(initial="6", md="7"),
            as_="h1",
            id=PAGE_HEADING_ID,
            tab_index=-1,
        ),
        rx.text(
            "Keys are stored encrypted and never shown again; the fingerprint tells them apart.",
            color=rx.color("gray", 11),
        ),
        error_callout(IntegrationsState.error),
        rx.grid(
            vapi_card(),
            twilio_card(),
            make_card(),
            columns={"initial": "1", "lg": "2", "xl": "3"},
            spacing="4",
            width="100%",
        ),
        spacing="5",
        width="100%",
    )
