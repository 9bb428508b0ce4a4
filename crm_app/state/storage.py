"""What Reflex saves of tabs' state, and where: no credentials, readable by the app's user only.

Reflex stores each tab's state with the request headers of its websocket,
in one file per tab (or, with Redis, in Redis): who is logged in, their
email, what they searched for. The headers' credentials (the session
cookie, an Authorization header) are left out of what is saved, while the
state in memory keeps them for the events that run: the session check of
every event reads the cookie there (state/auth.py). The files get the
default mode (world-readable); the directory that holds them does not have
to let anyone else in.
"""

from __future__ import annotations

import copyreg
import dataclasses
from collections.abc import Mapping
from typing import Any

from reflex.istate.data import HeaderData
from reflex.utils.prerequisites import get_states_dir

OWNER_ONLY = 0o700
# Request headers that carry credentials, by their lower-case names.
CREDENTIALS = frozenset({"cookie", "authorization", "proxy-authorization"})


def protect_state_files() -> None:
    """Create Reflex's state directory if needed and close it to other users."""
    directory = get_states_dir()
    directory.mkdir(parents=True, exist_ok=True)
    directory.chmod(OWNER_ONLY)


def _without_credentials(headers: Mapping[str, str]) -> dict[str, str]:
    return {name: value for name, value in headers.items() if name.lower() not in CREDENTIALS}


class HeadersSavedWithoutCredentials(dict):  # type: ignore[type-arg]
    """A socket's headers as a state's router data holds them: the same mapping in memory
    (it compares equal, so Reflex sees no change from one event to the next), saved as a
    plain dict without credentials."""

    def __reduce__(self) -> tuple[Any, ...]:
        return (dict, (_without_credentials(self),))


def saved_without_credentials(router_data: dict[str, Any], headers_key: str) -> None:
    """Mark the headers in a state's router data to be saved without credentials."""
    headers = router_data.get(headers_key)
    if isinstance(headers, dict) and not isinstance(headers, HeadersSavedWithoutCredentials):
        router_data[headers_key] = HeadersSavedWithoutCredentials(headers)


def _rebuilt_header_data(fields: dict[str, Any], raw_headers: dict[str, str]) -> HeaderData:
    return HeaderData(**fields, raw_headers=type(HeaderData().raw_headers)(**raw_headers))


def _reduce_header_data(headers: HeaderData) -> tuple[Any, ...]:
    """How pickle saves a state's HeaderData (its router.headers): without credentials."""
    fields = {
        field.name: getattr(headers, field.name)
        for field in dataclasses.fields(headers)
        if field.name != "raw_headers" and field.name.replace("_", "-") not in CREDENTIALS
    }
    return (_rebuilt_header_data, (fields, _without_credentials(headers.raw_headers)))


# Registered on import, in every worker: states are pickled to disk or Redis by Reflex.
# (copy.copy and copy.deepcopy go by the same table: a copied HeaderData has no cookie
# either. Nothing here copies one; the session check reads the state's own.)
copyreg.pickle(HeaderData, _reduce_header_data)
