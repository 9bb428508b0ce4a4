"""Demo data: a few hundred believable leads, contacts, calls and automation runs over 90 days.

For `python -m crm_app seed-demo`, so a newcomer sees a living dashboard. The
rows are random (reproducible with a seed) and fictional: 555 numbers,
example.com addresses, recordings on a reserved domain. Nothing is sent anywhere.
"""

from __future__ import annotations

import random
import secrets
import unicodedata
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from crm_app.models import Activity, AutomationLog, CallLog, Contact, Lead
from crm_app.models.base import utcnow
from crm_app.services.webhook_vapi_tools import LEAD_SOURCE as VAPI_LEAD_SOURCE

DAYS = 90
Row = dict[str, Any]
FIRST_NAMES = (
    "Ana", "Ben", "Chloé", "Dev", "Elena", "Farid", "Grace", "Hiro", "Ines", "Jamal", "Kai",
    "Lena", "Marco", "Nadia", "Omar", "Priya", "Quinn", "Rosa", "Sam", "Tomás", "Uma", "Wen",
)  # fmt: skip
LAST_NAMES = (
    "Abbott", "Baker", "Costa", "Dubois", "Evans", "Fischer", "García", "Huang", "Ivanova",
    "Jensen", "Kowalski", "Lima", "Müller", "Nakamura", "Okafor", "Patel", "Rossi", "Silva",
)  # fmt: skip
COMPANIES = ("Acme Dental", "Bright Roofing", "Cedar Law", "Delta HVAC", "Fox Plumbing", "")
# Named as the webhooks name them (a Vapi call's lead is "voice"), so a demo account's
# sources do not split when real calls start coming in.
SOURCES = {
    VAPI_LEAD_SOURCE: 40, "website": 25, "referral": 12, "make": 10, "manual": 8, "import": 5
}  # fmt: skip
STATUSES = {"new": 15, "contacted": 25, "qualified": 20, "won": 22, "lost": 18}
CALL_OUTCOMES = {"ended": 74, "no-answer": 12, "busy": 6, "failed": 8}
RUN_OUTCOMES = {"success": 86, "error": 9, "warning": 5}
AREA_CODES = ("415", "628", "510", "650", "408")
SCENARIOS = (
    ("sc-101", "New lead → Slack"),
    ("sc-102", "Send follow-up SMS"),
    ("sc-103", "Sync to Google Sheets"),
    ("sc-104", "Book appointment"),
)
RUN_ERRORS = (
    "Google Sheets: 429 Too Many Requests",
    "Twilio: 21211 Invalid 'To' Phone Number",
    "Slack: channel_not_found",
)
ENDED_REASONS = ("customer-ended-call", "assistant-ended-call", "silence-timed-out", "voicemail")
NEEDS = (
    "a quote for a kitchen remodel",
    "to reschedule an appointment",
    "pricing for a roof repair",
    "a consultation next week",
    "an emergency plumbing visit",
)
NOTES = ("Prefers a call after 5pm.", "Asked for a written quote.", "Budget approved.")
CALL_RATES = {"vapi": Decimal("0.11"), "twilio": Decimal("0.014")}  # per minute


@dataclass(frozen=True)
class DemoCounts:
    """How many rows of each kind were created."""

    leads: int
    contacts: int
    calls: int
    automation_runs: int
    activities: int


class _Maker:
    """Random but plausible rows for one user, from one seeded generator."""

    def __init__(self, user_id: uuid.UUID, now: datetime, seed: int | None) -> None:
        # Demo rows, not secrets: a seedable generator is the point.
        self.rng = random.Random(seed)  # noqa: S311
        self.user_id, self.now = user_id, now
        self.numbers: set[str] = set()

    def pick(self, weights: dict[str, int]) -> str:
        return self.rng.choices(list(weights), weights=list(weights.values()))[0]

    def moment(self, after: datetime | None = None) -> datetime:
        """A time in the last 90 days, more of them recent (a growing business)."""
        age = timedelta(days=DAYS * (1 - self.rng.random() ** 0.7))
        return max(self.now - age, after or self.now - age)

    def phone(self) -> str:
        while True:
            number = f"+1{self.rng.choice(AREA_CODES)}555{self.rng.randint(0, 9999):04d}"
            if number not in self.numbers:
                self.numbers.add(number)
                return number

    def lead(self, n: int) -> Row:
        name = f"{self.rng.choice(FIRST_NAMES)} {self.rng.choice(LAST_NAMES)}"
        created = self.moment()
        fresh = self.now - created < timedelta(days=3)
        plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
        email = f"{plain.lower().replace(' ', '.')}.{n}@example.com"
        return {
            "user_id": self.user_id,
            "id": uuid.uuid4(),
            "name": name,
            "phone": self.phone(),
            "email": email if self.rng.random() < 0.7 else None,
            "status": "new" if fresh else self.pick(STATUSES),
            "source": self.pick(SOURCES),
            "notes": "",
            "created_at": created,
            "updated_at": created,
        }

    def contact(self, lead: Row) -> Row:
        created = min(self.now, lead["created_at"] + timedelta(days=self.rng.uniform(0.5, 10)))
        return {
            "user_id": self.user_id,
            "id": uuid.uuid4(),
            "name": lead["name"],
            "phone": lead["phone"],
            "email": lead["email"],
            "company": self.rng.choice(COMPANIES),
            "notes": "",
            "lead_id": lead["id"],
            "created_at": created,
            "updated_at": created,
        }

    def call(self, n: int, lead: Row, contact_id: uuid.UUID | None) -> Row:
        started = self.moment(after=lead["created_at"])
        outcome = self.pick(CALL_OUTCOMES)
        provider = "vapi" if self.rng.random() < 0.7 else "twilio"
        answered = outcome == "ended"
        seconds = self.rng.randint(25, 540) if answered else 0
        need = self.rng.choice(NEEDS)
        return {
            "user_id": self.user_id,
            "id": uuid.uuid4(),
            "provider": provider,
            "external_call_id": f"demo-{uuid.uuid4().hex[:16]}",
            "direction": self.rng.choice(("inbound", "inbound", "outbound")),
            "from_number": lead["phone"],
            "to_number": "+14155550100",
            "customer_number": lead["phone"],
            "customer_name": lead["name"],
            "status": outcome,
            "started_at": started,
            "ended_at": started + timedelta(seconds=seconds),
            "duration_seconds": seconds,
            "cost": (CALL_RATES[provider] * seconds / 60).quantize(Decimal("0.0001")),
            "ended_reason": self.rng.choice(ENDED_REASONS)
            if answered
            else "customer-did-not-answer",
            "summary": f"{lead['name']} called about {need}." if answered else "",
            "success_evaluation": self.rng.choice(("true", "true", "false")) if answered else None,
            "transcript": _transcript(lead["name"], need) if answered else "",
            "recording_url": f"https://recordings.example.com/demo/{n}.wav" if answered else None,
            "last_sequence_number": None,
            "lead_id": lead["id"],
            "contact_id": contact_id,
            "created_at": min(self.now, started + timedelta(seconds=seconds)),
            "updated_at": self.now,
        }

    def run(self, lead: Row) -> Row:
        started = self.moment(after=lead["created_at"])
        status = self.pick(RUN_OUTCOMES)
        scenario_id, scenario_name = self.rng.choice(SCENARIOS)
        milliseconds = self.rng.randint(300, 9000)
        return {
            "user_id": self.user_id,
            "id": uuid.uuid4(),
            "scenario_id": scenario_id,
            "scenario_name": scenario_name,
            "execution_id": f"demo-{uuid.uuid4().hex}",
            "status": status,
            "error": self.rng.choice(RUN_ERRORS) if status == "error" else None,
            "started_at": started,
            "finished_at": started + timedelta(milliseconds=milliseconds),
            "duration_ms": milliseconds,
            "lead_id": lead["id"] if self.rng.random() < 0.8 else None,
            "contact_id": None,
            "created_at": min(self.now, started + timedelta(milliseconds=milliseconds)),
            "updated_at": self.now,
        }

    def activities(self, lead: Row, contact_id: uuid.UUID | None) -> list[Row]:
        """The status changes along the lead's path, sometimes a note and an SMS exchange."""
        rows: list[Row] = []

        def add(kind: str, body: str, when: datetime) -> None:
            rows.append(
                {
                    "user_id": self.user_id,
                    "id": uuid.uuid4(),
                    "kind": kind,
                    "body": body,
                    "external_id": None,
                    "lead_id": lead["id"],
                    "contact_id": contact_id,
                    "occurred_at": min(when, self.now),
                }
            )

        path = ["new", "contacted", "qualified", "won", "lost"]
        steps = path[: path.index(lead["status"]) + 1]
        if lead["status"] == "lost":
            steps = [*path[: self.rng.randint(1, 3)], "lost"]
        when = lead["created_at"]
        for before, after in zip(steps, steps[1:], strict=False):
            when += timedelta(hours=self.rng.uniform(2, 72))
            add("status_change", f"{before} → {after}", when)
        if self.rng.random() < 0.3:
            add("note", self.rng.choice(NOTES), when + timedelta(minutes=5))
        if self.rng.random() < 0.25:
            sent = lead["created_at"] + timedelta(minutes=self.rng.randint(1, 90))
            add("sms_out", "Thanks for your call! Reply here with any questions.", sent)
            if self.rng.random() < 0.6:
                add("sms_in", "Thanks, will do.", sent + timedelta(minutes=self.rng.randint(1, 60)))
        return rows


def _transcript(name: str, need: str) -> str:
    return "\n".join(
        (
            "AI: Thanks for calling! This is Ava, how can I help you today?",
            f"User: Hi, this is {name.split()[0]}. I need {need}.",
            "AI: Happy to help. Is this the best number to reach you on?",
            "User: Yes, this one is fine.",
            "AI: Great. Someone from the team will call you back today.",
            "User: Perfect, thank you.",
        )
    )


def seed_demo_data(
    *,
    session: Session,
    user_id: uuid.UUID,
    leads: int = 300,
    calls: int = 400,
    automation_runs: int = 250,
    now: datetime | None = None,
    seed: int | None = None,
) -> DemoCounts:
    """Fill the user's account with demo rows spread over the last 90 days; returns the counts."""
    maker = _Maker(user_id, now or utcnow(), seed)
    lead_rows = [maker.lead(n) for n in range(leads)]
    contact_rows = [
        maker.contact(lead)
        for lead in lead_rows
        if lead["status"] == "won" or maker.rng.random() < 0.08
    ]
    contact_of = {row["lead_id"]: row["id"] for row in contact_rows}
    call_rows = []
    for n in range(calls):
        lead = maker.rng.choice(lead_rows)
        call_rows.append(maker.call(n, lead, contact_of.get(lead["id"])))
    run_rows = [maker.run(maker.rng.choice(lead_rows)) for _ in range(automation_runs)]
    activity_rows = [
        row for lead in lead_rows for row in maker.activities(lead, contact_of.get(lead["id"]))
    ]
    tables = (
        (Lead, lead_rows),
        (Contact, contact_rows),
        (CallLog, call_rows),
        (AutomationLog, run_rows),
        (Activity, activity_rows),
    )
    for model, rows in tables:
        if rows:  # one multi-row INSERT per table
            session.connection().execute(sa.insert(model.__table__), rows)
    return DemoCounts(
        leads=len(lead_rows),
        contacts=len(contact_rows),
        calls=len(call_rows),
        automation_runs=len(run_rows),
        activities=len(activity_rows),
    )


def create_demo_account(
    *,
    email: str,
    password: str | None = None,
    name: str = "Demo User",
    seed: int | None = None,
    engine: sa.Engine | None = None,
) -> tuple[str, str, DemoCounts]:
    """A new account filled with demo data: (email, password, counts). ValueError if taken."""
    from crm_app.core.db import global_session, tenant_session
    from crm_app.services.users import InvalidSignup, create_user

    password = password or secrets.token_urlsafe(12)
    try:
        with global_session(engine) as session:
            user = create_user(session=session, email=email, password=password, name=name)
    except InvalidSignup as error:
        # Taken or unusable: demo rows are never mixed into an existing account.
        raise ValueError(f"{error} (choose another --email)") from None
    with tenant_session(user.id, engine) as session:
        counts = seed_demo_data(session=session, user_id=user.id, seed=seed)
    return user.email, password, counts
