"""Imported rows keep the file's order under "Oldest first" and "Newest first", on both
databases, within a batch and across batches."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from crm_app.core.db import tenant_session
from crm_app.models import User
from crm_app.services.contacts import list_contacts
from crm_app.services.csv_import import ImportResult, batches, import_contacts, import_leads
from crm_app.services.csv_io import CONTACT_FIELDS, LEAD_FIELDS, parse_csv
from crm_app.services.leads import list_leads

ROWS = 40
# Smaller than the file, so the order has to hold across batches as well as within one.
SMALL_BATCH = 15
IMPORTERS = {
    "leads": (LEAD_FIELDS, import_leads, list_leads),
    "contacts": (CONTACT_FIELDS, import_contacts, list_contacts),
}


@pytest.fixture
def user(make_user: Callable[..., User]) -> User:
    return make_user()


def _file_names() -> list[str]:
    return [f"Person {n:02d}" for n in range(ROWS)]


def _import_in_small_batches(engine, user: User, kind: str) -> ImportResult:
    """What the import dialog does, one unit of work per batch, with batches of SMALL_BATCH."""
    fields, importer, _ = IMPORTERS[kind]
    lines = ["name,phone"] + [f"{name},+1415555{n:04d}" for n, name in enumerate(_file_names())]
    parsed = parse_csv(("\n".join(lines) + "\n").encode("utf-8"), fields=fields)
    total = ImportResult()
    for batch in batches(parsed.records, size=SMALL_BATCH):
        with tenant_session(user.id, engine) as session:
            total.add(
                importer(
                    session=session,
                    user_id=user.id,
                    headers=parsed.headers,
                    records=batch,
                    mapping=parsed.mapping,
                )
            )
    return total


def _listed_names(engine, user: User, kind: str, *, descending: bool) -> list[str]:
    _, _, lister = IMPORTERS[kind]
    with tenant_session(user.id, engine) as session:
        page = lister(
            session=session,
            user_id=user.id,
            sort="created_at",
            descending=descending,
            limit=ROWS,
        )
        return [row.name for row in page.items]


@pytest.mark.parametrize("kind", ["leads", "contacts"])
def test_imported_rows_list_oldest_first_in_file_order(engine, user: User, kind: str) -> None:
    assert _import_in_small_batches(engine, user, kind).created == ROWS

    assert _listed_names(engine, user, kind, descending=False) == _file_names()


@pytest.mark.parametrize("kind", ["leads", "contacts"])
def test_imported_rows_list_newest_first_in_reverse_file_order(
    engine, user: User, kind: str
) -> None:
    assert _import_in_small_batches(engine, user, kind).created == ROWS

    assert _listed_names(engine, user, kind, descending=True) == _file_names()[::-1]
