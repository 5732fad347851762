"""Every event Leadflow puts on its EventBridge bus: the detail-types and the pydantic
model of each detail, in one place (publishers and subscribers import them from here).

Details carry ids and scores, never contact data, and a `schema_version`: fields may be
added within a version (consumers ignore what they do not know, `extra="ignore"`); a
breaking change gets a new version. Field order is the order on the wire."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from leadflow.shared.models import ChannelKind, LeadStatus, RejectionReason, ScorePart, ScoreThresholds, Temperature

SOURCE = "leadflow"  # the `source` of every event this project emits

LEAD_SCORED = "Lead Scored"
LEAD_ASSIGNED = "Lead Assigned"
LEAD_UNASSIGNED = "Lead Unassigned"
LEAD_STATUS_CHANGED = "Lead Status Changed"
LEAD_CONVERTED = "Lead Converted"
LEAD_ERASED = "Lead Erased"
REFERRAL_RECEIVED = "Referral Received"


class _LeadEvent(BaseModel):
    """What every detail starts with."""

    model_config = ConfigDict(extra="ignore")

    schema_version: Literal["1"] = "1"
    lead_id: str


class _SubmissionEvent(_LeadEvent):
    """A detail about one scored submission of a lead."""

    submission_id: str
    received_at: datetime  # with submission_id, the key of the submission item


class LeadAssigned(_SubmissionEvent):
    """Detail of the `Lead Assigned` event: ids and scores, never contact data."""

    manager_id: str
    form_id: str
    points: int
    temperature: Temperature
    is_new_lead: bool
    # The lead's temperature before this submission (returning leads): lets the email
    # say what changed. Optional, so v1 consumers are unaffected.
    previous_temperature: Temperature | None = None
    # Set when the lead was taken from a manager who missed its speed-to-lead SLA twice.
    reassigned_from: str | None = None
    # A CSV import's submission: its manager hears of it in the import's summary email
    # (rules filter on `imported`, always present, so notify sends no email per lead).
    imported: bool = False
    import_id: str | None = None
    # A returning person's visit within the window of the manager's last email about the
    # lead: only noted, the manager hears of it (with any others) in one digest at this
    # time (leadflow.notification.visits), so notify is not woken (its rule filters on it).
    # Left out of the detail when not set: the rule matches its absence, as CloudFormation
    # allows no null in a template (an event pattern cannot name null there).
    noted_until: datetime | None = Field(default=None, exclude_if=lambda until: until is None)


class LeadUnassigned(_SubmissionEvent):
    """Detail of the `Lead Unassigned` event: nobody eligible, the admins must act."""

    form_id: str
    points: int
    temperature: Temperature
    is_new_lead: bool = True
    previous_temperature: Temperature | None = None
    # The inactive or away manager the returning lead was taken from, if any.
    released_manager_id: str | None = None
    imported: bool = False  # as in LeadAssigned
    import_id: str | None = None


class TemperatureChange(StrEnum):
    """How a submission moved its lead's temperature; `first` for a lead's first score."""

    FIRST = "first"
    ROSE = "rose"
    FELL = "fell"
    SAME = "same"


class ReportedAs(BaseModel):
    """What the reports count a new lead by besides its score, so counting it reads no
    lead card: its first touch's channel kind, UTM source and campaign (campaign tags,
    not contact data) and its manager's id (None: unassigned). Its creation time is the
    submission's `received_at`."""

    model_config = ConfigDict(extra="ignore")

    channel: ChannelKind
    utm_source: str | None = None
    utm_campaign: str | None = None
    manager_id: str | None = None


class LeadScored(_SubmissionEvent):
    """Detail of the `Lead Scored` event, sent for every scored submission: the lead's
    new score with its parts, and the one it had before. Ids and scores only."""

    form_id: str
    is_new_lead: bool
    profile: str
    rule_set_version: str
    thresholds: ScoreThresholds | None = None  # None only for scores stored before v1
    points: int
    temperature: Temperature
    parts: list[ScorePart]
    previous_points: int | None = None
    previous_temperature: Temperature | None = None
    change: TemperatureChange
    autoresponder: bool = False  # the rule for the visitor's thank-you filters on it
    # A new lead's cells in the reports (None on returning leads and older events: the
    # reports read the lead card instead).
    reported_as: ReportedAs | None = None


class LeadStatusChanged(_LeadEvent):
    """Detail of the `Lead Status Changed` event, one per lifecycle change: ids only."""

    from_status: LeadStatus
    to_status: LeadStatus
    by: str  # who changed it (a manager or admin id)
    reason: RejectionReason | None = None  # set when rejected
    at: datetime
    # Rejected, and the manager chose to say goodbye: notify sends the farewell email
    # (with the short questionnaire link) to the lead.
    farewell: bool = False
    # The partner who referred the lead (its first touch's), so a CRM and the partner
    # reports credit them; None for every other lead.
    partner_id: str | None = None


class LeadConverted(_LeadEvent):
    """Detail of the `Lead Converted` event: the lead became the contact `contact_id`."""

    contact_id: str
    at: datetime
    partner_id: str | None = None  # as in LeadStatusChanged


class ReferralReceived(_SubmissionEvent):
    """Detail of the `Referral Received` event: a new lead came through a partner's link
    or introduction. Ids only: never the referred person's contact data."""

    form_id: str
    ref: str  # the code as given
    partner_id: str | None = None  # None: no partner has the code (`flag` "unknown")
    group_id: str | None = None
    flag: Literal["unknown", "inactive"] | None = None
    introduced: bool = False  # the partner filled in a referral form (a warm introduction)
    # A CSV import's row (always present, so rules can filter on it): counted in the
    # partner report, but the partner is not thanked for a referral of the past.
    imported: bool = False


class LeadErased(_LeadEvent):
    """Detail of the `Lead Erased` event: ids only, so subscribers that copied the lead
    (a CRM) erase it too."""

    erasure_id: str
    contact_id: str | None = None
    at: datetime


DETAIL_MODELS: dict[str, type[BaseModel]] = {
    LEAD_SCORED: LeadScored,
    LEAD_ASSIGNED: LeadAssigned,
    LEAD_UNASSIGNED: LeadUnassigned,
    LEAD_STATUS_CHANGED: LeadStatusChanged,
    LEAD_CONVERTED: LeadConverted,
    LEAD_ERASED: LeadErased,
    REFERRAL_RECEIVED: ReferralReceived,
}


def parse_detail(detail_type: str, detail: Any) -> BaseModel | None:
    """An event's detail as its model; None for a detail-type Leadflow does not publish."""
    model = DETAIL_MODELS.get(detail_type)
    return model.model_validate(detail) if model else None
