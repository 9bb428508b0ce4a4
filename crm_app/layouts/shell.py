"""The app shell: a sidebar (a top bar on phones) around every signed-in page."""

from __future__ import annotations

from collections.abc import Callable

import reflex as rx
from reflex.components.react_router.dom import ReactRouterLink
from reflex.vars import FunctionStringVar

from crm_app import styles

NAV_ITEMS = (
    ("Dashboard", "/dashboard", "layout-dashboard"),
    ("Leads", "/leads", "users"),
    ("Contacts", "/contacts", "contact"),
    ("Calls", "/calls", "phone"),
    ("Automations", "/automations", "workflow"),
    ("Webhooks", "/webhooks", "webhook"),
    ("Integrations", "/integrations", "plug"),
)


def nav_link(label: str, href: str, icon: str) -> rx.Component:
    """One sidebar entry, highlighted on its own page and the pages under it (/leads/<id>)."""
    path = rx.State.router.page.path
    active = (path == href) | path.startswith(href + "/")
    return rx.link(
        rx.hstack(rx.icon(icon, size=18), rx.text(label, size="3"), align="center"),
        href=href,
        underline="none",
        padding="0.5em 0.75em",
        border_radius="0.5em",
        width="100%",
        color=rx.cond(active, rx.color(styles.ACCENT, 11), rx.color("gray", 12)),
        background=rx.cond(active, rx.color(styles.ACCENT, 3), "transparent"),
        _hover={"background": rx.color("gray", 3)},
        aria_current=rx.cond(path == href, "page", "false"),
    )


def menu_link(label: str, href: str) -> rx.Component:
    """One entry of the phone menu: a real link (it opens in a new tab too), marked when current.

    The menu item lends the link its role, keyboard handling and looks.
    """
    path = rx.State.router.page.path
    return rx.menu.item(
        ReactRouterLink.create(
            label,
            to=href,
            aria_current=rx.cond(path == href, "page", "false"),
            # Bold on its pages and those under it, as the sidebar highlights them.
            font_weight=rx.cond((path == href) | path.startswith(href + "/"), "bold", "normal"),
        ),
        as_child=True,
    )


def sidebar(user_menu: rx.Component) -> rx.Component:
    """The navigation column, with the user menu at its foot."""
    return rx.vstack(
        # A name, not a heading: the page's title is its one h1.
        rx.text("crm_app", size="6", weight="bold", padding_x="0.6em", as_="div"),
        rx.el.nav(
            rx.vstack(*(nav_link(*item) for item in NAV_ITEMS), spacing="1", width="100%"),
            aria_label="Main",
            width="100%",
        ),
        rx.spacer(),
        user_menu,
        width=styles.SIDEBAR_WIDTH,
        min_height="100vh",
        padding="1em",
        border_right=f"1px solid {rx.color('gray', 5)}",
        display=rx.breakpoints(initial="none", md="flex"),
    )


# Radix focuses the first control that is not a link when a popover opens: in the
# account menu that is "Log out", so a second Enter logged the person out. Focus
# goes to the menu's first link (Account) instead.
_FOCUS_FIRST_LINK = FunctionStringVar.create(
    "((event) => { const link = event.currentTarget.querySelector('a[href]');"
    " if (link) { event.preventDefault(); link.focus(); } })"
)


def mobile_bar(user_menu: rx.Component) -> rx.Component:
    """The phone-width navigation: a menu button, and the user menu behind a button of its own.

    Behind a button, not spelled out: name, email, Account and Log out would
    take a sixth of a phone's screen on every page.
    """
    return rx.hstack(
        rx.menu.root(
            rx.menu.trigger(rx.icon_button(rx.icon("menu"), aria_label="Open navigation")),
            rx.menu.content(*(menu_link(label, href) for label, href, _ in NAV_ITEMS)),
        ),
        rx.text("crm_app", size="5", weight="bold", as_="div"),
        rx.spacer(),
        rx.popover.root(
            rx.popover.trigger(
                rx.icon_button(rx.icon("circle-user"), variant="soft", aria_label="Account menu")
            ),
            rx.popover.content(user_menu, align="end", on_open_auto_focus=_FOCUS_FIRST_LINK),
        ),
        align="center",
        padding="0.75em",
        width="100%",
        border_bottom=f"1px solid {rx.color('gray', 5)}",
        display=rx.breakpoints(initial="flex", md="none"),
    )


MAIN_ID = "main"


def shell(content: rx.Component, user_menu: rx.Component) -> rx.Component:
    """A signed-in page: navigation plus the page's own content."""
    return rx.box(
        # The first Tab stop: past the navigation's links, straight to the page.
        rx.el.a(
            "Skip to content",
            href=f"#{MAIN_ID}",
            class_name="skip-link",
            # The page's router keeps the fragment from moving focus: move it here.
            on_click=[
                rx.prevent_default,
                rx.call_script(f"document.getElementById('{MAIN_ID}').focus()"),
            ],
        ),
        mobile_bar(user_menu),
        rx.hstack(
            sidebar(user_menu),
            rx.el.main(
                content,
                id=MAIN_ID,
                tab_index=-1,
                padding=styles.page_padding,
                width="100%",
                min_width="0",
                outline="none",
            ),
            align="start",
            spacing="0",
            width="100%",
        ),
        width="100%",
    )


PageBody = Callable[[], rx.Component]
