"""Tests that need something this machine may lack: skipped here, failed where they must run.

`.ci/run` sets CRM_REQUIRE_POSTGRES=1, CRM_REQUIRE_BROWSER=1 (and, for its Redis
pass, CRM_REQUIRE_REDIS=1), so nothing it was asked to run is silently skipped.
"""

from __future__ import annotations

import os

import pytest


def required(variable: str) -> bool:
    """Whether the environment says the tests that need this must run (variable=1)."""
    return os.environ.get(variable) == "1"


def unavailable(reason: str, required_by: str) -> None:
    """Skip this test for `reason`, or fail it when `required_by` is set to 1."""
    if required(required_by):
        pytest.fail(f"{reason} ({required_by}=1: these tests must run)", pytrace=False)
    pytest.skip(reason)
