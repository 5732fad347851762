"""The sales domain's nouns, as pydantic models used at every boundary."""

from __future__ import annotations

from datetime import datetime, timezone
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


def utc_now() -> datetime:
    """Now, timezone-aware, so stored times sort and compare correctly."""
    return datetime.now(timezone.utc)


class Temperature(StrEnum):
    COLD = "cold"
    WARM = "warm"
    HOT = "hot"


class LeadStatus(StrEnum):
    NEW = "new"
    ASSIGNED = "assigned"
    UNASSIGNED = "unassigned"  # no eligible manager: waits in the admins' queue


class ChannelKind(StrEnum):
    """Seeds (referrals), nets (inbound marketing), spears (outbound)."""

    REFERRAL = "referral"
    INBOUND = "inbound"
    OUTBOUND = "outbound"
    UNKNOWN = "unknown"


class Source(BaseModel):
    """Where a submission came from; without it nobody can tell which channels pay."""

    form_id: str
    channel: ChannelKind = ChannelKind.UNKNOWN
    utm_source: str | None = None
    utm_medium: str | None = None
    utm_campaign: str | None = None
    utm_term: str | None = None
    utm_content: str | None = None
    referrer: str | None = None
    landing_page: str | None = None


class ContactCard(BaseModel):
    """A real person: a name plus a normalized email and/or E.164 phone."""

    name: str
    email: str | None = None  # normalized for matching (NFKC, lowercase)
    phone: str | None = None  # E.164
    company: str | None = None
    job_title: str | None = None
    country: str | None = None


class FormConfig(BaseModel):
    """How one landing-page form behaves (a FORM item)."""

    form_id: str
    name: str
    enabled: bool = True
    language: str = "en"
    default_country: str = "US"
    thank_you_url: str | None = None


class Manager(BaseModel):
    """A salesperson who receives leads. Tier 1 are the best closers."""

    manager_id: str
    name: str
    email: str
    tier: int = Field(ge=1, le=3)
    languages: list[str] = Field(default_factory=lambda: ["en"])
    territories: list[str] = Field(default_factory=list)
    capacity: int = Field(default=50, ge=0)
    active: bool = True
    open_leads: int = 0
    last_assigned_at: datetime | None = None


class ScorePart(BaseModel):
    """One rule's contribution to a score, with the reason a manager reads."""

    rule_id: str
    points: int
    reason: str


class Score(BaseModel):
    points: int
    temperature: Temperature
    parts: list[ScorePart]
    rule_set_version: str

    def top_reasons(self, limit: int = 3) -> list[ScorePart]:
        """The parts that moved the score most, strongest first."""
        return sorted(self.parts, key=lambda p: abs(p.points), reverse=True)[:limit]


class Submission(BaseModel):
    """One form post, attached to exactly one lead."""

    submission_id: str
    lead_id: str
    form_id: str
    received_at: datetime
    contact: ContactCard
    interest: str | None = None
    message: str | None = None
    fields: dict[str, str] = Field(default_factory=dict)  # everything else the form sent
    source: Source
    language: str = "en"
    is_new_lead: bool = True


class Lead(BaseModel):
    """The lead card: the person, their first-touch source and where they stand."""

    lead_id: str
    status: LeadStatus = LeadStatus.NEW
    contact: ContactCard
    source: Source  # first touch
    created_at: datetime
    last_seen_at: datetime
    submission_count: int = 1
    score: Score | None = None
    manager_id: str | None = None
    assigned_at: datetime | None = None


class LeadAssigned(BaseModel):
    """Detail of the `Lead Assigned` event: ids and scores, never contact data."""

    model_config = ConfigDict(extra="ignore")

    schema_version: Literal["1"] = "1"
    lead_id: str
    submission_id: str
    received_at: datetime  # with submission_id, the key of the submission item
    manager_id: str
    form_id: str
    points: int
    temperature: Temperature
    is_new_lead: bool


class LeadUnassigned(BaseModel):
    """Detail of the `Lead Unassigned` event: nobody eligible, the admins must act."""

    schema_version: Literal["1"] = "1"
    lead_id: str
    submission_id: str
    received_at: datetime
    form_id: str
    points: int
    temperature: Temperature
