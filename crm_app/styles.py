"""Style tokens shared by every page."""

import reflex as rx

ACCENT = "indigo"
SIDEBAR_WIDTH = "15em"

page_padding = rx.breakpoints(initial="1em", md="2em")
card = {
    "padding": "1.25em",
    "border": f"1px solid {rx.color('gray', 5)}",
    "border_radius": "0.75em",
    "background": rx.color("gray", 1),
    "width": "100%",
}
muted_text = {"color": rx.color("gray", 11), "size": "2"}
# A table cell of text a person typed (names, emails): a long word wraps inside
# the cell instead of pushing the table out of its card.
text_cell = {"max_width": "20em", "overflow_wrap": "anywhere"}
# A list's first column (a name, the email under it): never narrower than about a
# name, so on a phone the table scrolls sideways (as the calls list does) instead
# of squeezing names into a few letters a line.
name_cell = {**text_cell, "min_width": "11em"}

# Read by screen readers, not shown: the standard clip pattern.
visually_hidden = {
    "position": "absolute",
    "width": "1px",
    "height": "1px",
    "padding": "0",
    "margin": "-1px",
    "overflow": "hidden",
    "clip": "rect(0, 0, 0, 0)",
    "white_space": "nowrap",
    "border": "0",
}
