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


def test_saved_headers_keep_everything_but_credentials() -> None:
    import pickle

    from reflex.istate.data import HeaderData

    from crm_app.state.storage import saved_without_credentials

    sent = {"cookie": "crm_session=TOKEN", "authorization": "Bearer TOKEN", "user-agent": "UA"}
    headers = HeaderData.from_router_data({"headers": sent})
    router_data = {"headers": dict(sent), "pathname": "/leads"}
    saved_without_credentials(router_data, "headers")
    # In memory, for this event and the ones it queues: as the socket sent them.
    assert router_data["headers"] == sent
    assert headers.cookie == "crm_session=TOKEN"
    saved = pickle.dumps((headers, router_data))
    assert b"TOKEN" not in saved
    loaded_headers, loaded_router_data = pickle.loads(saved)  # noqa: S301  (our own bytes)
    assert (loaded_headers.cookie, loaded_headers.user_agent) == ("", "UA")
    assert dict(loaded_headers.raw_headers) == {"user-agent": "UA"}
    assert loaded_router_data == {"headers": {"user-agent": "UA"}, "pathname": "/leads"}
