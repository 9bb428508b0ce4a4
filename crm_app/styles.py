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
