"""What browser tests do again and again: sign up, log in, find the session cookie."""

from __future__ import annotations

import re
import uuid

from playwright.sync_api import expect

PASSWORD = "correct horse battery staple"
SESSION_COOKIE = "crm_session"


def unique_email(label: str) -> str:
    """A fresh address, so tests never collide."""
    return f"{label}-{uuid.uuid4().hex[:8]}@example.com"


def sign_up(page, base_url: str, *, email: str, name: str, password: str = PASSWORD) -> None:
    """Fill in /signup like a person and wait for the dashboard."""
    page.goto(f"{base_url}/signup")
    page.get_by_label("Name").fill(name)
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign up").click()
    expect(page).to_have_url(re.compile(r"/dashboard/?$"))
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()


def log_in(page, base_url: str, *, email: str, password: str = PASSWORD) -> None:
    page.goto(f"{base_url}/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()


def session_cookie(context) -> dict:
    return next(c for c in context.cookies() if c["name"] == SESSION_COOKIE)


def press_enter_on(button) -> None:
    """Activate a button as a keyboard user does: focus it, press Enter."""
    button.focus()
    button.page.keyboard.press("Enter")


# The ids more than one element of the page has.
DUPLICATE_IDS = """
() => {
  const seen = {};
  for (const element of document.querySelectorAll("[id]")) {
    seen[element.id] = (seen[element.id] || 0) + 1;
  }
  return Object.keys(seen).filter((id) => seen[id] > 1);
}
"""


def check_dialog_keyboard(opener, dialog, *, first_focus=None, tabs: int = 3) -> None:
    """A dialog used from the keyboard: it takes focus, keeps it, and gives it back on Escape.

    Enter on `opener` moves focus into `dialog` (onto `first_focus`, if given),
    Tab keeps it there, and Escape closes the dialog and focuses `opener` again.
    While it is open, no two elements of the page share an id (a label of the
    dialog's would otherwise work the page's element of that id).
    """
    page = opener.page
    press_enter_on(opener)
    expect(dialog).to_be_visible()
    assert page.evaluate(DUPLICATE_IDS) == [], "elements share an id"
    if first_focus is not None:
        expect(first_focus).to_be_focused()
    expect(dialog.locator(":focus")).to_have_count(1)
    for _ in range(tabs):
        page.keyboard.press("Tab")
        assert dialog.evaluate("(node) => node.contains(document.activeElement)"), (
            "Tab left the dialog for " + page.evaluate("document.activeElement.outerHTML")[:200]
        )
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(opener).to_be_focused()
