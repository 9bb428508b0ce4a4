"""Reliability drills: the real app in production mode, crashed, cut off from its database, flooded.

Each drill module starts one server of its own (module-scoped), built into its
own web directory like the browser tests' server. They need bun (installed into
.tools as `make test` does) and, for the Postgres drills, a PostgreSQL server;
without them they are skipped, unless CRM_REQUIRE_BROWSER=1 / CRM_REQUIRE_POSTGRES=1
(as `.ci/run` sets) make that a failure.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.appserver import ensure_bun
from tests.required import unavailable

DRILLS_DIR = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Every drill is slow: it builds and serves the app."""
    for item in items:
        if DRILLS_DIR in item.path.parents:
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def bun() -> None:
    """bun in .tools, to build the app's front end."""
    reason = ensure_bun()
    if reason:
        unavailable(reason, required_by="CRM_REQUIRE_BROWSER")


@pytest.fixture(scope="module")
def server_engine() -> Iterator[dict[str, sa.Engine]]:
    """Engines on served apps' databases, by URL, disposed at the end of the module."""
    engines: dict[str, sa.Engine] = {}
    yield engines
    for engine in engines.values():
        engine.dispose()
