"""The two-user isolation registry: every tenant service has a case here.

SECURITY.md item 1. Every public function in crm_app.services that takes a
`user_id` keyword is a tenant service and needs a case: add it, with
`@isolation_case("module.function")`, to a module of this package (one per
feature). A case runs as user B against user A's rows; afterwards every row of
A must be as it was. tests/integration/test_isolation.py runs them all.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, SQLModel

import crm_app.services
from crm_app.core.db import tenant_session
from crm_app.models import RLS_TABLES, TENANT_TABLES_OUTSIDE_RLS, User
from tests.factories import TenantRows, seed_tenant


@dataclass(frozen=True)
class World:
    """Two users with one row in every tenant table each; cases act as B."""

    engine: sa.Engine
    a: User
    b: User
    a_rows: TenantRows
    b_rows: TenantRows

    @contextmanager
    def as_b(self) -> Iterator[Session]:
        with tenant_session(self.b.id, self.engine) as session:
            yield session


Case = Callable[[World], None]
ISOLATION_CASES: dict[str, Case] = {}


def isolation_case(*services: str) -> Callable[[Case], Case]:
    """Register a case as covering the named services ("module.function" in crm_app.services)."""

    def register(case: Case) -> Case:
        for service in services:
            assert service not in ISOLATION_CASES, f"two isolation cases for {service}"
            ISOLATION_CASES[service] = case
        return case

    return register


@cache
def tenant_services() -> dict[str, inspect.Signature]:
    """Every public function of crm_app.services with a parameter named user_id."""
    found = {}
    for info in pkgutil.iter_modules(crm_app.services.__path__):
        module = importlib.import_module(f"crm_app.services.{info.name}")
        for name, function in inspect.getmembers(module, inspect.isfunction):
            if name.startswith("_") or function.__module__ != module.__name__:
                continue
            signature = inspect.signature(function)
            if "user_id" in signature.parameters:
                found[f"{info.name}.{name}"] = signature
    return found


def snapshot(engine: sa.Engine, user_id: uuid.UUID) -> dict[str, list[dict[str, Any]]]:
    """Every row the user owns in every tenant table, and the user's own account row."""
    tables = SQLModel.metadata.tables
    rows = {}
    with tenant_session(user_id, engine) as session:
        for name in (*RLS_TABLES, *TENANT_TABLES_OUTSIDE_RLS):
            table = tables[name]
            query = sa.select(table).where(table.c.user_id == user_id).order_by(table.c.id)
            rows[name] = [dict(row._mapping) for row in session.connection().execute(query)]
        users = tables["users"]
        query = sa.select(users).where(users.c.id == user_id)
        rows["users"] = [dict(row._mapping) for row in session.connection().execute(query)]
    return rows


def build_world(engine: sa.Engine, make_user: Callable[..., User]) -> World:
    a, b = make_user(name="Alice"), make_user(name="Bob")
    return World(
        engine=engine,
        a=a,
        b=b,
        a_rows=seed_tenant(engine, a.id, label="alice"),
        b_rows=seed_tenant(engine, b.id, label="bob"),
    )


def load_all_cases() -> dict[str, Case]:
    """Import every case module of this package, so each registers its cases."""
    for info in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{info.name}")
    return ISOLATION_CASES
