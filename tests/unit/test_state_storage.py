"""Reflex's on-disk tab state (who is logged in, what they searched) is closed to other users."""

from __future__ import annotations

import stat

from crm_app.state.storage import protect_state_files


def test_the_state_directory_is_made_owner_only(tmp_path, monkeypatch) -> None:
    states = tmp_path / "states"
    monkeypatch.setenv("REFLEX_STATES_WORKDIR", str(states))
    protect_state_files()
    assert stat.S_IMODE(states.stat().st_mode) == 0o700
    states.chmod(0o755)  # as Reflex would have made it, or an earlier release
    protect_state_files()
    assert stat.S_IMODE(states.stat().st_mode) == 0o700
