"""What the leads API shows of a lead: a summary in lists, the lead with its
submissions and history, and a page of a list."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from pydantic import BaseModel, Field

from leadflow.shared.models import (
    Activity,
    ChannelKind,
    Lead,
    LeadStatus,
    RejectionReason,
    Score,
    Source,
    Temperature,
)
from leadflow.shared.settings import Sla


class LeadSummary(BaseModel):
    """A lead in a list: enough to pick it and see why it matters (the name and company,
    not the email or phone: those are on the lead itself)."""

    lead_id: str
    status: LeadStatus
    temperature: Temperature | None = None
    points: int | None = None
    manager_id: str | None = None
    name: str
    company: str | None = None
    country: str | None = None
    channel: ChannelKind
    utm_source: str | None = None
    utm_medium: str | None = None
    utm_campaign: str | None = None
    form_id: str
    latest_interest: str | None = None
    submission_count: int
    created_at: datetime
    last_seen_at: datetime
    assigned_at: datetime | None = None
    contacted_at: datetime | None = None
    status_changed_at: datetime | None = None
    follow_up_on: date | None = None
    rejection_reason: RejectionReason | None = None
    converted_at: datetime | None = None
    contact_id: str | None = None
    # What a queue shows at a glance: the strongest reason of the score, and, while the
    # lead waits for its first call, when that call is due (speed-to-lead).
    top_reason: str | None = None
    first_call_due_at: datetime | None = None


def first_call_due(lead: Lead, sla: Sla) -> datetime | None:
    """When an assigned lead's first call is due: its assignment plus its temperature's
    speed-to-lead minutes; None once it was called, or when it is not waiting for one."""
    if lead.status != LeadStatus.ASSIGNED or lead.contacted_at or not lead.assigned_at or not lead.score:
        return None
    return lead.assigned_at + timedelta(minutes=sla.minutes(lead.score.temperature))


def summary_of(lead: Lead, sla: Sla | None = None) -> LeadSummary:
    """The lead in a list; with the stack's `sla`, when its first call is due."""
    top = lead.score.top_reasons(1) if lead.score else []
    return LeadSummary(
        lead_id=lead.lead_id, status=lead.status,
        temperature=lead.score.temperature if lead.score else None, points=lead.score.points if lead.score else None,
        manager_id=lead.manager_id, name=lead.contact.name, company=lead.contact.company,
        country=lead.contact.country, channel=lead.source.channel, utm_source=lead.source.utm_source,
        utm_medium=lead.source.utm_medium, utm_campaign=lead.source.utm_campaign, form_id=lead.source.form_id,
        latest_interest=lead.latest_interest, submission_count=lead.submission_count, created_at=lead.created_at,
        last_seen_at=lead.last_seen_at, assigned_at=lead.assigned_at, contacted_at=lead.contacted_at,
        status_changed_at=lead.status_changed_at, follow_up_on=lead.follow_up_on,
        rejection_reason=lead.rejection_reason, converted_at=lead.converted_at, contact_id=lead.contact_id,
        top_reason=top[0].reason if top else None,
        first_call_due_at=first_call_due(lead, sla) if sla is not None else None,
    )


class ConsentView(BaseModel):
    """Whether and to what the person agreed (the IP address stays in the table)."""

    given: bool
    version: str | None = None
    at: datetime


class SubmissionView(BaseModel):
    """One form post of the lead, with the score it got."""

    submission_id: str
    received_at: datetime
    form_id: str
    interest: str | None = None
    message: str | None = None
    fields: dict[str, str] = Field(default_factory=dict)
    source: Source
    language: str = "en"
    consent: ConsentView | None = None
    score: Score | None = None
    is_new_lead: bool = True
    entered_by: str | None = Field(default=None, description="a lead entered by hand: who entered it")


def submission_view(item: dict[str, Any]) -> SubmissionView:
    """A stored submission (plain item) as the API shows it."""
    consent = item.get("consent")
    return SubmissionView.model_validate({
        **{k: item[k] for k in SubmissionView.model_fields if k in item and k != "consent"},
        "consent": {k: consent[k] for k in ("given", "version", "at") if k in consent} if consent else None,
    })


class LeadList(BaseModel):
    leads: list[LeadSummary]
    next_cursor: str | None = Field(description="pass as `cursor` for the next page; null: this was the last. "
                                                "A page may hold fewer leads than `limit` (even none) and still "
                                                "have one")


class LeadDetail(BaseModel):
    lead: Lead = Field(description="the lead card: the person (to call them), the source, the score with its "
                                   "reasons, where the lead stands")
    submissions: list[SubmissionView] = Field(description="every form post of the person, newest first")
    history: list[Activity] = Field(description="every change and note, newest first")
    complete: bool = Field(description="false for the rare lead with more items than one read returns: the oldest "
                                       "are left out")
    # What the lead's page offers and warns of, so the console restates no rule of the API.
    next_statuses: list[LeadStatus] = Field(default_factory=list, description="the statuses the lead may move to "
                                            "from where it is (as a 409 `transition_not_allowed` names them)")
    first_call_due_at: datetime | None = Field(default=None, description="while the lead waits for its first call: "
                                               "when that call is due (speed-to-lead)")
