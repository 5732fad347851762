"""Leads that did not come from a web form: a manager or an admin enters one by hand (a
call, a trade fair, a referral over lunch).

Capture is its home because only the door differs: the same validation and
normalization as a form post (a name plus a valid email or phone, `capture.validation`),
the same dedupe (a person already known gets this as a new submission on their lead,
`capture.store.record_submission`), and then the same path as every lead: the table's
stream wakes the scorer, which scores it with the rules and assigns it
(leadflow.routing.service), and `Lead Assigned` emails the manager.

The channel is `outbound` (a salesperson's own work, the "spears"), the form
`manual`. By default the lead goes to the manager who entered it, even when they are full
(their own prospect is not part of the inbound share capacity rations); an admin names a
manager (with room, unless `force`d) or leaves it to the rules. The named manager must be
active and not away, checked here and again, atomically, when the lead is assigned; one
who became unable in between makes the rules choose."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

from leadflow.capture.errors import CaptureError
from leadflow.capture.store import LeadVanished, Recorded
from leadflow.capture.validation import build_submission, validate_form
from leadflow.routing.assignment import can_hold_leads
from leadflow.routing.handover import ManagerCannotTake, ManagerFull, UnknownManager
from leadflow.routing.manager_admin import MANAGER_ID_PATTERN
from leadflow.shared.access import Caller, Forbidden
from leadflow.shared.clock import utc_now
from leadflow.shared.models import ChannelKind, FormConfig, Lead, Manager, Submission
from leadflow.shared.refusal import Invalid

# The form id of every lead entered by hand: reports and the lead's page tell them apart.
MANUAL_FORM_ID = "manual"
OUTBOUND_MEDIUM = "outbound"  # leadflow.capture.sources reads it as the outbound channel

Text = Annotated[str, Field(max_length=200)]


class ManualLead(BaseModel):
    """A lead entered by hand: a name plus an email or a phone (at least one), the rest
    optional. Scored like every lead: `interest` ("quote", "demo"...), the company, the
    job title and the country count as they do on a form."""

    model_config = ConfigDict(extra="forbid", strict=True, json_schema_extra={"examples": [
        {"name": "Jane Doe", "email": "jane@acme-corp.com", "phone": "+14155550134", "company": "Acme Corp",
         "job_title": "VP Sales", "country": "US", "interest": "quote",
         "notes": "Met at the Berlin trade fair; wants a quote for 40 seats."}]})

    name: Text = Field(description="the person's name")
    email: str | None = Field(default=None, max_length=254, description="an email, a phone, or both")
    phone: str | None = Field(default=None, max_length=50, description="E.164 (+14155550134), or national: "
                                                                        "read in `country`'s numbering plan")
    company: Text | None = None
    job_title: Text | None = None
    country: Text | None = Field(default=None, description="an ISO 3166 code (or a country's name)")
    interest: Text | None = Field(default=None, description="what they asked for, as a form's `interest`")
    notes: str | None = Field(default=None, max_length=4000, description="the salesperson's notes (the lead's "
                                                                        "message)")
    language: str = Field(default="en", pattern=r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})?$",
                          description="the person's language")
    scoring_profile: Literal["b2b", "b2c"] = "b2b"
    manager_id: str | None = Field(default=None, pattern=MANAGER_ID_PATTERN, description=(
        "who gets it. A manager: themselves only (the default). An admin: anyone with room (past it with `force`), "
        "or left out: the assignment rules choose"))
    force: bool = Field(default=False, description="admins: give it to `manager_id` even when they are full")


class EnteredLead(BaseModel):
    """A lead entered by hand, stored: scoring and assignment follow within seconds."""

    lead_id: str = Field(description="the lead; the person's existing lead when they were known already")
    submission_id: str
    is_new_lead: bool = Field(description="false: the person was known (by email, then phone): this is a new "
                                          "submission on their lead, which stays with its manager")
    assign_to: str | None = Field(description="the manager it goes to (if they can still take it when it is "
                                              "scored); null: the assignment rules choose")
    channel: ChannelKind


class InvalidLead(Invalid):
    code = "invalid_lead"


class SubmissionStore(Protocol):
    def record_submission(self, submission: Submission, lead: Lead, fingerprint: str | None = None) -> Recorded: ...


class ManagerSource(Protocol):
    def get(self, manager_id: str) -> Manager | None: ...


def who_gets_it(caller: Caller, entry: ManualLead) -> tuple[str | None, bool]:
    """The manager a lead entered by `caller` goes to, and whether past capacity: a
    manager's own (Forbidden to enter one for someone else), an admin's choice."""
    if caller.is_admin:
        return entry.manager_id, entry.force
    if caller.manager_id is None:
        raise Forbidden("no_manager", "this user is not linked to a manager")
    if entry.manager_id not in (None, caller.manager_id):
        raise Forbidden("own_leads_only", "managers enter leads for themselves only")
    if entry.force:
        raise Forbidden("admins_only", "only admins may force a lead on a manager")
    return caller.manager_id, True


def enter_lead(store: SubmissionStore, roster: ManagerSource, entry: ManualLead, caller: Caller, *,
               by: str | None = None, now: datetime | None = None) -> EnteredLead:
    """Store a lead entered by hand, validated and deduplicated as a form post is, for
    the scorer to score and assign. Refused with nothing written: who may not
    (Forbidden), a contact card that is not a reachable person (InvalidLead, naming
    every field), an unknown manager (404), one who cannot take it (409). `by`: who
    the lead says entered it (default: the caller's id; the `leadflow` command's
    operator is their AWS identity)."""
    now = now or utc_now()
    assign_to, beyond_capacity = who_gets_it(caller, entry)
    form = FormConfig(form_id=MANUAL_FORM_ID, name="Entered by hand", language="en",
                      default_country=_numbering_plan(entry.country), scoring_profile=entry.scoring_profile,
                      keep_custom_fields=False)
    fields = {"name": entry.name, "email": entry.email or "", "phone": entry.phone or "",
              "company": entry.company or "", "job_title": entry.job_title or "", "country": entry.country or "",
              "interest": entry.interest or "", "message": entry.notes or "", "utm_medium": OUTBOUND_MEDIUM}
    try:
        valid = validate_form(form, fields)
    except CaptureError as error:
        raise InvalidLead(error.errors, "this is not a lead: a name and a valid email or phone are needed") from None
    if assign_to is not None:
        _check_can_take(roster, assign_to, beyond_capacity, now)
    submission, lead = build_submission(form, valid, now)
    submission = submission.model_copy(update={
        "language": entry.language.lower(), "entered_by": by or caller.actor, "assign_to": assign_to,
        "assign_beyond_capacity": True if assign_to and beyond_capacity else None})
    try:
        recorded = store.record_submission(submission, lead)
    except LeadVanished:  # a lead or identity changed under us (as capture does: once more)
        recorded = store.record_submission(submission, lead)
    return EnteredLead(lead_id=recorded.lead_id, submission_id=recorded.submission_id,
                       is_new_lead=recorded.is_new_lead, assign_to=assign_to, channel=valid.source.channel)


def _check_can_take(roster: ManagerSource, manager_id: str, beyond_capacity: bool, now: datetime) -> None:
    manager = roster.get(manager_id)
    if manager is None:
        raise UnknownManager(manager_id)
    if not can_hold_leads(manager, now.date()):
        raise ManagerCannotTake(manager)
    if not beyond_capacity and manager.open_leads >= manager.capacity:
        raise ManagerFull(manager)


def _numbering_plan(country: str | None) -> str:
    """Where a phone typed without +<country code> is read: the lead's country when it is
    a code, else the US (as a form's default)."""
    code = (country or "").strip().upper()
    return code if len(code) == 2 and code.isalpha() else "US"
