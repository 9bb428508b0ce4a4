"""Dialogs: a form in a dialog with errors by its fields, and a confirmation before deleting."""

from __future__ import annotations

import json
from typing import Any

import reflex as rx
from reflex.vars import FunctionStringVar

from crm_app.components.controls import field_label
from crm_app.components.feedback import error_callout
from crm_app.state.focus import PAGE_HEADING_ID


def dialog_title(*children: Any, alert: bool = False) -> rx.Component:
    """A dialog's title as an h2: Radix Themes draws it as an h1, and the page has its own."""
    title = rx.alert_dialog.title if alert else rx.dialog.title
    return title(*children, custom_attrs={"as": "h2"})


# Radix gives focus back to a dialog's Trigger when it closes. These dialogs are
# opened from server state by buttons elsewhere on the page, so they have no
# Trigger: the content notes where focus came from when it first moved in (the
# button that opened it) and focuses that again once it has closed.
_NOTE_OPENER = FunctionStringVar.create(
    "((event) => { const content = event.currentTarget, from = event.relatedTarget;"
    " if (from && !content.contains(from) && !content.crmOpener) content.crmOpener = from; })"
)
# The opener may be gone (the Delete of the list's last row): then the page's heading.
_REFOCUS_OPENER = FunctionStringVar.create(
    "((event) => { const opener = event.target.crmOpener;"
    " const target = opener && opener.isConnected ? opener"
    f" : document.getElementById({json.dumps(PAGE_HEADING_ID)});"
    " if (target) { event.preventDefault(); target.focus(); } })"
)


DISCARD_QUESTION = "Close without saving? What you typed will be lost."
# A click beside a form's dialog (a stray one, or one meant for the page behind) would
# close it, and what was typed with it; Cancel, the Escape key and Save still close it.
_KEEP_OPEN = FunctionStringVar.create("((event) => event.preventDefault())")
# Escape stays the way out (the dialog pattern's), but a form with something typed in
# asks first: a stray press lost a half-written lead. Each named field (the status menu's
# native select too) is compared with what the dialog opened with, which the form carries
# as data-opened: not with the inputs' defaults, which a refused Save sets to what was typed.
_ASK_BEFORE_DISCARDING = FunctionStringVar.create(
    "((event) => {"
    " const dialog = event.target?.closest?.('[role=dialog]')"
    " ?? document.querySelector('[role=dialog]');"
    " const form = dialog?.querySelector('form[data-opened]');"
    " const opened = form ? JSON.parse(form.dataset.opened || '{}') : {};"
    " const fields = form ? Array.from(form.querySelectorAll('[name]')) : [];"
    # As the browser holds them: an input drops line breaks, a text area keeps \n alone.
    " const held = (field, text) => field.tagName === 'TEXTAREA'"
    " ? text.replace(/\\r\\n?/g, '\\n') : text.replace(/[\\r\\n]/g, '');"
    " const typed = fields.some((field) => field.name in opened"
    " && held(field, field.value ?? '') !== held(field, String(opened[field.name])));"
    f" if (typed && !window.confirm({json.dumps(DISCARD_QUESTION)})) event.preventDefault(); }})"
)


def returns_focus_to_opener() -> dict[str, Any]:
    """Props for a dialog's content: on close, focus goes back to the button that opened it."""
    return {"on_focus": _NOTE_OPENER, "on_close_auto_focus": _REFOCUS_OPENER}


def field_error(errors: Any, name: str, field_id: str) -> rx.Component:
    """What is wrong with one field, tied to it for screen readers."""
    return rx.cond(
        errors.contains(name),
        rx.text(errors[name], id=f"{field_id}-error", size="1", color=rx.color("red", 11)),
    )


def text_field(
    label: str,
    name: str,
    *,
    values: Any,
    errors: Any,
    prefix: str,
    hint: Any = None,
    multiline: bool = False,
    **props: Any,
) -> rx.Component:
    """A labelled, uncontrolled input (its default comes from `values`) with its error."""
    field_id = f"{prefix}-{name}"
    control = rx.text_area if multiline else rx.input
    return rx.vstack(
        field_label(label, field_id),
        control(
            id=field_id,
            name=name,
            default_value=values[name],
            aria_invalid=errors.contains(name),
            aria_describedby=f"{field_id}-error",
            width="100%",
            **props,
        ),
        rx.text(hint, size="1", color=rx.color("gray", 11)) if hint is not None else rx.fragment(),
        field_error(errors, name, field_id),
        spacing="1",
        width="100%",
    )


def select_field(
    label: str, name: str, options: list[str], *, values: Any, errors: Any, prefix: str
) -> rx.Component:
    """A labelled select that submits with the form under `name`."""
    field_id = f"{prefix}-{name}"
    return rx.vstack(
        field_label(label, field_id),
        rx.select.root(
            rx.select.trigger(id=field_id, aria_label=label, width="100%"),
            rx.select.content(*(rx.select.item(option, value=option) for option in options)),
            name=name,
            default_value=values[name],
        ),
        field_error(errors, name, field_id),
        spacing="1",
        width="100%",
    )


def form_dialog(
    title: Any,
    *fields: rx.Component,
    open: Any,
    on_open_change: Any,
    on_submit: Any,
    form_error: Any,
    saving: Any,
    key: Any,
    test_id: str,
    opened: Any,
    description: str = "",
) -> rx.Component:
    """A dialog around a form: fields, a general error, Cancel and Save.

    `opened` is the JSON of what the fields held when the dialog opened (by name):
    Escape asks before discarding anything else.
    """
    return rx.dialog.root(
        rx.dialog.content(
            dialog_title(title),
            rx.dialog.description(
                description, size="2", color=rx.color("gray", 11), margin_bottom="1em"
            ),
            rx.el.form(
                rx.vstack(
                    *fields,
                    error_callout(form_error),
                    rx.hstack(
                        rx.dialog.close(
                            rx.button("Cancel", variant="soft", color_scheme="gray", type="button")
                        ),
                        rx.button("Save", type="submit", loading=saving),
                        justify="end",
                        width="100%",
                    ),
                    spacing="3",
                    width="100%",
                ),
                on_submit=on_submit,
                key=key,
                width="100%",
                data_opened=opened,
                # The service judges every field and says why beside it. The browser's own
                # check of type="email" refuses addresses the CRM stores from an import or a
                # webhook (josé@example.com, ann@my_co.com), and so any later Save of the
                # record, its notes included, with a message of the browser's.
                no_validate=True,
            ),
            max_width="32em",
            data_testid=test_id,
            on_interact_outside=_KEEP_OPEN,
            on_escape_key_down=_ASK_BEFORE_DISCARDING,
            **returns_focus_to_opener(),
        ),
        open=open,
        on_open_change=on_open_change,
    )


def confirm_delete(
    *,
    open: Any,
    name: Any,
    on_confirm: Any,
    on_cancel: Any,
    what: str = "",
    consequence: str = "",
) -> rx.Component:
    """ "Delete X?" with Cancel and a red Delete; nothing happens without the second click.

    Below the question, what deleting a `what` (a lead, a contact) takes with it,
    or else the `consequence` given (one of the two).

    Cancel, Escape and Delete all close it through on_open_change (so on_cancel
    also runs after on_confirm). Cancel has no handler of its own: a button with
    one is wrapped by Reflex, and Radix could then no longer focus it on open.
    """
    if not (what or consequence):
        raise ValueError("confirm_delete needs what is deleted or its consequence")
    return rx.alert_dialog.root(
        rx.alert_dialog.content(
            dialog_title(rx.text.span("Delete ", name, "?"), alert=True),
            rx.alert_dialog.description(
                consequence
                or f"The {what}, its notes and its text messages are deleted. Calls and "
                f"automation runs stay, unlinked. This cannot be undone.",
                size="2",
            ),
            rx.hstack(
                rx.alert_dialog.cancel(rx.button("Cancel", variant="soft", color_scheme="gray")),
                rx.alert_dialog.action(
                    rx.button("Delete", color_scheme="red", on_click=on_confirm)
                ),
                justify="end",
                spacing="3",
                margin_top="1em",
            ),
            max_width="28em",
            **returns_focus_to_opener(),
        ),
        open=open,
        on_open_change=lambda _is_open: on_cancel,
    )
