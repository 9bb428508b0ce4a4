"""The distribution plan in docs/scaling.md fits the schema: Citus could take it as it is."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from sqlmodel import SQLModel

import crm_app.models  # noqa: F401  (registers every table)
from crm_app.core.config import PROJECT_ROOT

PLAN = (PROJECT_ROOT / "docs" / "scaling.md").read_text()
REFERENCE = set(re.findall(r"create_reference_table\('(\w+)'\)", PLAN))
DISTRIBUTED = dict(re.findall(r"create_distributed_table\('(\w+)', '(\w+)'", PLAN))
TABLES = SQLModel.metadata.tables


def test_every_table_is_placed_exactly_once():
    assert not REFERENCE & set(DISTRIBUTED)
    assert REFERENCE | set(DISTRIBUTED) == set(TABLES)


def test_every_distributed_table_is_distributed_by_user_id():
    assert set(DISTRIBUTED.values()) == {"user_id"}


@pytest.mark.parametrize("name", sorted(DISTRIBUTED))
def test_primary_key_and_unique_constraints_include_the_distribution_column(name):
    table = TABLES[name]
    assert "user_id" in table.primary_key.columns
    uniques = [c for c in table.constraints if isinstance(c, sa.UniqueConstraint)]
    uniques += [i for i in table.indexes if i.unique]
    for unique in uniques:
        assert "user_id" in unique.columns, f"{name}: {unique.name} lacks user_id"


@pytest.mark.parametrize("name", sorted(DISTRIBUTED))
def test_foreign_keys_between_distributed_tables_include_user_id(name):
    for key in TABLES[name].foreign_key_constraints:
        if key.referred_table.name in REFERENCE:
            continue  # to a reference table: allowed as it is
        local = [column.name for column in key.columns]
        remote = [element.column.name for element in key.elements]
        assert "user_id" in local and remote[local.index("user_id")] == "user_id", (
            f"{name}: {key.name} does not keep rows within one tenant"
        )
