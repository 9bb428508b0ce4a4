"""A user's call logs (Vapi and Twilio calls), newest first; always filtered by user_id in SQL."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, select

from crm_app.core.config import get_settings
from crm_app.models import CallLog, Contact, Lead
from crm_app.models.base import utcnow
from crm_app.services.call_outcomes import OUTCOMES, outcome_is, shown_status, status_is
from crm_app.services.errors import InvalidInput
from crm_app.services.pagination import (
    Page,
    date_filters,
    paginate,
    search_text_filter,
    sort_order,
)
from crm_app.services.phones import as_international_digits

# Enough distinct values for a filter menu; more would be noise, not choices.
MAX_FILTER_OPTIONS = 50


@dataclass(frozen=True)
class CallFilterOptions:
    """The distinct values the user's calls have, for the filter menus."""

    providers: list[str]
    statuses: list[str]
    ended_reasons: list[str]


# What the calls list sorts by: when logged (its default), length, cost.
SORTABLE_CALLS = {
    "created_at": CallLog.created_at,
    "duration": CallLog.duration_seconds,
    "cost": CallLog.cost,
}


def list_call_logs(
    *,
    session: Session,
    user_id: uuid.UUID,
    search: str | None = None,
    provider: str | None = None,
    status: str | None = None,
    ended_reason: str | None = None,
    outcome: str | None = None,
    created_from: datetime | None = None,
    created_to: datetime | None = None,
    offset: int = 0,
    limit: int = 50,
    now: datetime | None = None,
    sort: str = "created_at",
    descending: bool = True,
) -> Page[CallLog]:
    """One page of a user's calls, newest first unless sorted by SORTABLE_CALLS, by provider,
    status, outcome, period and search.

    An outcome (answered, not-answered, in-progress) is the dashboard's own
    (services/call_outcomes.py), as of `now`, so its figures and these lists agree.

    A search finds a call by its caller's name or number, or by the name,
    email or number of the lead or contact it is linked to: a provider often
    sends only a number, and the person is known by name here.
    """
    statement = select(CallLog).where(CallLog.user_id == user_id)
    if provider:
        statement = statement.where(CallLog.provider == provider.strip().lower())
    if status:
        statement = statement.where(status_is(status.strip().lower(), CallLog, now or utcnow()))
    if ended_reason:
        statement = statement.where(CallLog.ended_reason == ended_reason.strip())
    if outcome:
        if outcome not in OUTCOMES:
            raise InvalidInput({"outcome": f"one of {', '.join(OUTCOMES)}"})
        statement = statement.where(outcome_is(outcome, CallLog, now or utcnow()))
    matches = _calls_found_by(search, user_id)
    if matches is not None:
        statement = statement.where(matches)
    statement = statement.where(*date_filters(CallLog.created_at, created_from, created_to))
    order = sort_order(SORTABLE_CALLS, sort, descending, CallLog.id, newest=CallLog.created_at)
    statement = statement.order_by(*order)
    return paginate(session, statement, offset=offset, limit=limit)


def _calls_found_by(search: str | None, user_id: uuid.UUID) -> sa.ColumnElement[bool] | None:
    """Calls whose own text matches the search, or whose lead's or contact's does.

    A call's own text has the customer's number, not the business's line, which
    every call has: digits of the line would match them all. Only the line's
    whole number finds the calls on that line.
    """
    customer_side = sa.func.coalesce(
        CallLog.customer_number,
        sa.case((CallLog.direction == "outbound", CallLog.to_number), else_=CallLog.from_number),
    )
    own = search_text_filter(search, CallLog.search_text, customer_side)
    if own is None:
        return None
    whole = as_international_digits((search or "").strip(), get_settings().default_phone_region)
    if whole is not None:
        own = sa.or_(own, CallLog.from_number == f"+{whole}", CallLog.to_number == f"+{whole}")
    people = [
        link.in_(
            select(model.id).where(
                model.user_id == user_id, search_text_filter(search, model.search_text, model.phone)
            )
        )
        for link, model in ((CallLog.lead_id, Lead), (CallLog.contact_id, Contact))
    ]
    return sa.or_(own, *people)


def get_call_log(*, session: Session, user_id: uuid.UUID, call_id: uuid.UUID) -> CallLog | None:
    """The user's call with this id, or None."""
    statement = select(CallLog).where(CallLog.user_id == user_id, CallLog.id == call_id)
    return session.exec(statement).first()


def call_filter_options(
    *, session: Session, user_id: uuid.UUID, now: datetime | None = None
) -> CallFilterOptions:
    """The providers, statuses and ended reasons among the user's calls, alphabetically.

    The statuses are those the rows show at `now` (call_outcomes.shown_status):
    "no end reported" in place of a live status that outlived its call.
    """

    def distinct(column) -> list[str]:  # type: ignore[no-untyped-def]
        statement = (
            select(column)
            .where(CallLog.user_id == user_id, column.is_not(None), column != "")
            .distinct()
            .order_by(column)
            .limit(MAX_FILTER_OPTIONS)
        )
        return list(session.exec(statement).all())

    return CallFilterOptions(
        providers=distinct(CallLog.provider),
        statuses=distinct(shown_status(CallLog, now or utcnow())),
        ended_reasons=distinct(CallLog.ended_reason),
    )
