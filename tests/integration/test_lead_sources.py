"""Lead sources told apart without regard to case: the dashboard, the menu and the filters agree."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from crm_app.core.db import tenant_session
from crm_app.models import User
from crm_app.services.dashboard import dashboard_stats
from crm_app.services.lead_sources import merge_spellings
from crm_app.services.leads import list_leads
from crm_app.services.pipeline import list_lead_sources, pipeline_board
from tests.factories import add_lead


@pytest.fixture
def user(engine, make_user: Callable[..., User]) -> User:
    """Yelp three times in two spellings, Google once, and a source with an accent twice."""
    user = make_user()
    with tenant_session(user.id, engine) as session:
        for source in ["Yelp", "yelp", "Yelp", "Google", "École", "école"]:
            add_lead(session, user_id=user.id, source=source, name=f"From {source}")
    return user


def test_the_dashboard_counts_a_source_once_under_its_most_used_spelling(engine, user) -> None:
    with tenant_session(user.id, engine) as session:
        by_source = dashboard_stats(session=session, user_id=user.id).leads_by_source
    assert (by_source["Yelp"], by_source["Google"]) == (3, 1)
    assert "yelp" not in by_source
    assert sum(by_source.values()) == 6


def test_the_source_menu_lists_each_source_once(engine, user) -> None:
    with tenant_session(user.id, engine) as session:
        sources = list_lead_sources(session=session, user_id=user.id)
    assert sources[0] == "Yelp" and "yelp" not in sources and "Google" in sources


@pytest.mark.parametrize("typed", ["Yelp", "yelp", " YELP "])
def test_a_source_filter_finds_every_spelling(engine, user, typed) -> None:
    with tenant_session(user.id, engine) as session:
        page = list_leads(session=session, user_id=user.id, source=typed)
        board = pipeline_board(session=session, user_id=user.id, source=typed)
    assert page.total == 3
    assert sum(column.total for column in board) == 3


def test_each_bar_links_to_as_many_leads_as_it_counts(engine, user) -> None:
    # Accents included: SQLite's lower() is the app's Unicode one (core/db.py).
    with tenant_session(user.id, engine) as session:
        by_source = dashboard_stats(session=session, user_id=user.id).leads_by_source
        menu = list_lead_sources(session=session, user_id=user.id)
        for source, count in by_source.items():
            assert list_leads(session=session, user_id=user.id, source=source).total == count
    assert by_source == {"Yelp": 3, "École": 2, "Google": 1}
    assert menu == list(by_source)


def test_spellings_are_merged_under_the_most_used_then_the_first() -> None:
    counts = [("web", "web", 1), ("Web", "web", 1), ("vapi", "vapi", 1), ("WEB", "web", 2)]
    assert merge_spellings(counts) == {"WEB": 4, "vapi": 1}
    assert merge_spellings([("b", "b", 1), ("B", "b", 1)]) == {"B": 2}
    assert merge_spellings([]) == {}
