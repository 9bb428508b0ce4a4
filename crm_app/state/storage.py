"""Where Reflex keeps tabs' state on disk (without Redis): readable by the app's user only.

Reflex stores each tab's state with the request headers of its websocket,
in one file per tab: who is logged in, their email, what they searched
for. (The session cookie is taken out of those headers before a state is
saved: state/auth.py, _forget_cookie.) The files get the default mode
(world-readable); the directory that holds them does not have to let
anyone else in.
"""

from __future__ import annotations

from reflex.utils.prerequisites import get_states_dir

OWNER_ONLY = 0o700


def protect_state_files() -> None:
    """Create Reflex's state directory if needed and close it to other users."""
    directory = get_states_dir()
    directory.mkdir(parents=True, exist_ok=True)
    directory.chmod(OWNER_ONLY)
