"""Builders for the domain's models, so each test states only what it is about.

The builders are fixtures (not an importable module) so no test needs a sys.path tweak.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

import pytest

from leadflow.shared.events import LeadAssigned
from leadflow.shared.models import (
    ChannelKind,
    ContactCard,
    FormConfig,
    Lead,
    Manager,
    Score,
    ScorePart,
    Source,
    Submission,
    Temperature,
)

RECEIVED_AT = datetime(2026, 3, 14, 9, 26, 53, tzinfo=timezone.utc)


@pytest.fixture
def received_at() -> datetime:
    return RECEIVED_AT


@pytest.fixture
def make_form() -> Callable[..., FormConfig]:
    def build(**overrides: Any) -> FormConfig:
        values: dict[str, Any] = {"form_id": "demo-form", "name": "Demo form"}
        values.update(overrides)
        return FormConfig(**values)

    return build


@pytest.fixture
def make_submission() -> Callable[..., Submission]:
    """A submission with a contact card built from keyword arguments:
    contact fields (name, email, phone, company, job_title, country) go on the card,
    the rest (interest, message, fields, source, language, is_new_lead...) on the submission."""

    def build(**overrides: Any) -> Submission:
        contact_keys = ("name", "email", "phone", "company", "job_title", "country")
        contact = {"name": "Jane Doe"}
        contact.update({k: overrides.pop(k) for k in contact_keys if k in overrides})
        values: dict[str, Any] = {
            "submission_id": "sub-1", "lead_id": "lead-1", "form_id": "demo-form",
            "received_at": RECEIVED_AT, "contact": ContactCard(**contact),
            "source": Source(form_id="demo-form", channel=ChannelKind.INBOUND),
        }
        values.update(overrides)
        return Submission(**values)

    return build


@pytest.fixture
def make_manager() -> Callable[..., Manager]:
    counter = iter(range(1, 10_000))

    def build(**overrides: Any) -> Manager:
        number = next(counter)
        values: dict[str, Any] = {
            "manager_id": f"m{number:03d}", "name": f"Manager {number}",
            "email": f"manager{number}@seller.example", "tier": 2,
        }
        values.update(overrides)
        return Manager(**values)

    return build


@pytest.fixture
def make_lead() -> Callable[..., Lead]:
    def build(submission: Submission, score: Score | None = None) -> Lead:
        return Lead(
            lead_id=submission.lead_id, contact=submission.contact, source=submission.source,
            created_at=submission.received_at, last_seen_at=submission.received_at, score=score,
        )

    return build


@pytest.fixture
def make_assignment() -> Callable[..., LeadAssigned]:
    def build(submission: Submission, manager: Manager, points: int, temperature: Temperature,
              is_new_lead: bool = True) -> LeadAssigned:
        return LeadAssigned(
            lead_id=submission.lead_id, submission_id=submission.submission_id,
            received_at=submission.received_at, manager_id=manager.manager_id, form_id=submission.form_id,
            points=points, temperature=temperature, is_new_lead=is_new_lead,
        )

    return build


@pytest.fixture
def make_score() -> Callable[..., Score]:
    def build(parts: list[tuple[str, int, str]], temperature: Temperature = Temperature.HOT) -> Score:
        score_parts = [ScorePart(rule_id=rid, points=pts, reason=why) for rid, pts, why in parts]
        return Score(points=sum(p.points for p in score_parts), temperature=temperature,
                     parts=score_parts, rule_set_version="test")

    return build
