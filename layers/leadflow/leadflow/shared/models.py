"""The sales domain's nouns, as pydantic models used at every boundary.

Events on the bus are in `leadflow.shared.events`; the inputs of schedules in
`leadflow.lifecycle.schedules`."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, Field, model_validator


class Temperature(StrEnum):
    COLD = "cold"
    WARM = "warm"
    HOT = "hot"


class LeadStatus(StrEnum):
    NEW = "new"
    ASSIGNED = "assigned"
    UNASSIGNED = "unassigned"  # no eligible manager: waits in the admins' queue
    CONTACTED = "contacted"  # the manager reached the person: no more speed-to-lead reminders
    QUALIFIED = "qualified"  # a real opportunity: need, budget and timing confirmed
    CONVERTED = "converted"  # became a customer: a CONTACT item holds the person from now on
    REJECTED = "rejected"  # closed, with a RejectionReason
    POSTPONED = "postponed"  # not now: back to its manager on `follow_up_on`


# Closed for good: no longer in its manager's load (Manager.open_leads).
CLOSED_STATUSES = frozenset({LeadStatus.CONVERTED, LeadStatus.REJECTED})


class RejectionReason(StrEnum):
    """Why a lead was closed without a sale: a fixed list, so reports can count them."""

    NO_BUDGET = "no_budget"
    NO_NEED = "no_need"
    COMPETITOR = "competitor"
    NO_RESPONSE = "no_response"
    NOT_A_FIT = "not_a_fit"
    SPAM = "spam"
    OTHER = "other"


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
    gclid: str | None = None  # Google Ads click id
    fbclid: str | None = None  # Meta click id
    ad_lead_id: str | None = None  # the ad platform's id of this lead (Google Ads lead forms' lead_id)
    referrer: str | None = None
    landing_page: str | None = None
    # Referrals (leadflow.referrals): the `ref` code the visit carried, as given (kept
    # even when no partner has it, so admins see unknown codes); the partner it names and
    # that partner's group when the post was captured; and why the attribution needs a
    # look: "unknown" (no partner has the code) or "inactive" (the partner was switched off).
    ref: str | None = None
    partner_id: str | None = None
    partner_group: str | None = None
    partner_flag: Literal["unknown", "inactive"] | None = None


class ContactCard(BaseModel):
    """A real person: a name plus a normalized email and/or E.164 phone."""

    name: str
    email: str | None = None  # normalized for matching (NFKC, lowercase)
    phone: str | None = None  # E.164
    company: str | None = None
    job_title: str | None = None
    country: str | None = None
    # "phone": the form asked no country, it is the phone number's (an ISO code).
    country_from: Literal["phone"] | None = None


class FormConfig(BaseModel):
    """How one landing-page form behaves (a FORM item)."""

    form_id: str
    name: str
    enabled: bool = True
    language: str = "en"  # of the page: error messages, the lead's language
    default_country: str = "US"  # for phone numbers typed without +<country code>
    thank_you_url: str | None = None
    error_url: str | None = None  # else the page the post came from, else an HTML page
    # Origins (scheme://host[:port]) whose pages may post this form from a browser and
    # be redirected to with `_next`. Empty: any origin may post, `_next` is ignored.
    allowed_origins: list[str] = Field(default_factory=list)
    required_fields: list[str] = Field(default_factory=list)  # beyond name + email or phone
    scoring_profile: Literal["b2b", "b2c"] = "b2b"
    honeypot_field: str = "_gotcha"
    min_fill_seconds: float = Field(default=2.0, ge=0)  # measured with leadflow.js's `_shown_at`
    rate_limit_per_minute: int = Field(default=5, ge=1)  # per client IP
    keep_custom_fields: bool = True
    consent_text: str | None = None  # the exact wording shown next to the checkbox
    consent_version: str | None = None
    # A thank-you email to the visitor, in the form's language, from the fixed sender.
    # Off by default: it mails whatever address a visitor typed (rate-limited per address).
    autoresponder: bool = False
    autoresponder_subject: str | None = None  # else the catalog's, in the form's language
    # A form tool's field names we cannot guess → our field (`{"input_7": "company"}`):
    # leadflow.capture.form_tools applies it before reading the tool's shape.
    field_map: dict[str, str] = Field(default_factory=dict)
    # The key Google Ads sends with each lead form webhook (`google_key`); None: the
    # form takes no Google Ads leads (leadflow.capture.google_ads).
    google_ads_key: str | None = None
    # Bots (leadflow.capture.captcha): "altcha" asks every post for a proof of work signed
    # by our own challenge route; "turnstile" for Cloudflare's widget, verified server-side
    # with the secret `turnstile_secret` names in Secrets Manager (never the secret here).
    captcha: Literal["none", "altcha", "turnstile"] = "none"
    turnstile_site_key: str | None = None
    turnstile_secret: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_-]{1,64}$")
    turnstile_action: str | None = None  # checked when set (the widget's data-action)
    # Posts from all IPs together in a window (None: no cap). Over it, a post is refused
    # (429 `form_busy`) or, with `proof_when_capped`, needs a proof of work like "altcha".
    post_cap_per_window: int | None = Field(default=None, ge=1)
    post_cap_window_seconds: int = Field(default=60, ge=10, le=3600)
    proof_when_capped: bool = False
    # A referral form (leadflow.referrals.introduction): a partner fills it in for someone
    # they refer, giving their own code or email, a note and how the person agreed to be
    # contacted; the lead records the introduction and its channel is `referral`.
    referral_form: bool = False


class PartnerKind(StrEnum):
    """Who sends referrals: a lead group (a BNI-style chapter, a chamber of commerce), one
    of its members, an agency, a happy customer, anyone else."""

    GROUP = "group"
    MEMBER = "member"
    AGENCY = "agency"
    CUSTOMER = "customer"
    OTHER = "other"


class Partner(BaseModel):
    """A person or organisation that sends us leads (a PARTNER item). `partner_id` is the
    code in their referral link (`?ref=<partner_id>`), lower-case."""

    partner_id: str
    name: str
    email: str | None = None
    language: str = "en"  # of the emails that close the loop
    kind: PartnerKind = PartnerKind.OTHER
    group_id: str | None = None  # the partner (kind `group`) this one belongs to
    active: bool = True
    # Closing the loop: emails to the partner when their referral is received, first
    # contacted, and becomes a customer (with the referred person's first name only).
    loop_emails: bool = True
    created_at: datetime | None = None


# A manager's `email_status` when SES will not deliver to their address (bounces,
# complaints): they get no email, the admins are told once, their leads escalate.
EMAIL_SUPPRESSED = "suppressed"


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
    # Away through this day (UTC), included: gets no new leads, and their returning
    # leads go to someone who is in.
    on_leave_until: date | None = None
    open_leads: int = 0
    last_assigned_at: datetime | None = None
    # "suppressed": SES will not deliver to `email` (bounces, complaints); set by notify.
    email_status: str | None = None
    email_status_at: datetime | None = None


class ScorePart(BaseModel):
    """One rule's contribution to a score, with the reason a manager reads (in English,
    and in the other languages its rule gives)."""

    rule_id: str
    points: int
    reason: str
    reasons: dict[str, str] | None = None  # language → the reason in it; English is `reason`

    def reason_in(self, language: str) -> str:
        return (self.reasons or {}).get(language) or self.reason


class ScoreThresholds(BaseModel):
    """Points from which a lead is warm, and hot; below `warm` it is cold."""

    warm: int
    hot: int


# One scale a sales team reads at a glance: 0 (nothing known) to 100 (everything a buyer
# can show). The parts may add up to more, or less: the sum is clamped, and kept as
# `raw_points` when it was (the parts still explain it). Thresholds lie on the same scale.
SCORE_MIN, SCORE_MAX = 0, 100


def on_the_scale(points: int) -> int:
    return max(SCORE_MIN, min(SCORE_MAX, points))


class Score(BaseModel):
    """A score with everything needed to explain it later: the parts, the rule set's
    profile and version, and the thresholds that turned the points into a temperature."""

    points: int = Field(ge=SCORE_MIN, le=SCORE_MAX)
    # The parts' sum, when it lay outside 0-100 and `points` is it clamped.
    raw_points: int | None = None
    temperature: Temperature
    parts: list[ScorePart]
    rule_set_version: str
    profile: str | None = None  # "b2b" / "b2c"; None on scores stored before profiles
    thresholds: ScoreThresholds | None = None

    @model_validator(mode="before")
    @classmethod
    def _read_on_the_scale(cls, data: object) -> object:
        """A score stored before the scale (110, say) reads as 100 with its raw sum kept;
        its temperature is the one it was given."""
        if isinstance(data, dict) and isinstance(data.get("points"), int | float | str):
            points = int(data["points"])
            if on_the_scale(points) != points:
                return {**data, "points": on_the_scale(points), "raw_points": data.get("raw_points", points)}
        return data

    def top_reasons(self, limit: int = 3) -> list[ScorePart]:
        """The parts that moved the score most, strongest first."""
        return sorted(self.parts, key=lambda p: abs(p.points), reverse=True)[:limit]


class Consent(BaseModel):
    """Evidence of what a person agreed to: kept with the submission that gave it."""

    given: bool
    text: str | None = None
    version: str | None = None
    at: datetime
    ip: str | None = None


# How a referred person agreed to be contacted, as the partner who introduced them says
# (a referral form's `consent_method`): a fixed list reports can count, plus free text.
ConsentMethod = Literal["asked_in_person", "asked_in_writing", "asked_by_phone", "person_asked_us", "other"]


class Introduction(BaseModel):
    """A warm introduction: a partner referred this person through a referral form.
    `referred_by` is what the partner typed (their code, or their email: personal data,
    kept on the lead like its contact, never in logs or events); `partner_id` the
    partner it names, None when no partner has it (the source's `partner_flag` says so)."""

    referred_by: str
    partner_id: str | None = None
    note: str | None = None  # the introduction, in the partner's words
    consent_method: ConsentMethod
    consent_note: str | None = None


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
    source: Source  # last touch: where this visit came from
    language: str = "en"
    consent: Consent | None = None
    scoring_profile: Literal["b2b", "b2c"] = "b2b"  # the form's: which default rules score it
    # The form thanks visitors by email and this one gave an address: decided at capture,
    # where the form is known, so the bus only wakes the autoresponder when it will write.
    autoresponder: bool = False
    is_new_lead: bool = True
    # A lead entered by hand (leadflow.capture.manual): who entered it, and the manager it
    # goes to when they can hold leads (else the rules choose); `assign_beyond_capacity`:
    # even when that manager is full (their own prospect, or an admin forcing it). None
    # on a form's submissions: left out of their items.
    entered_by: str | None = None
    assign_to: str | None = None
    assign_beyond_capacity: bool | None = None
    # Set when the submission came from a CSV import (leadflow.capture.importing): the
    # manager hears of it in the import's summary email, not in one email per lead.
    import_id: str | None = None
    # The form's bot check could not be made (Turnstile unreachable): kept as a lead,
    # flagged for a person to look at. None on every other submission.
    unverified: bool | None = None
    # A referral form's introduction (leadflow.referrals.introduction); None otherwise.
    introduction: Introduction | None = None


class Lead(BaseModel):
    """The lead card: the person, their first-touch source and where they stand."""

    lead_id: str
    status: LeadStatus = LeadStatus.NEW
    contact: ContactCard
    source: Source  # first touch
    created_at: datetime
    last_seen_at: datetime
    # The visit before `last_seen_at` (capture moves it along): a repeat rule asking for
    # one earlier visit reads it here instead of the submissions (leadflow.routing.service).
    previous_seen_at: datetime | None = None
    submission_count: int = 1
    latest_interest: str | None = None
    score: Score | None = None
    manager_id: str | None = None
    assigned_at: datetime | None = None
    contacted_at: datetime | None = None
    reassigned_from: str | None = None  # the manager who missed the speed-to-lead SLA
    status_changed_at: datetime | None = None  # the last lifecycle change (leadflow.lifecycle.service)
    rejection_reason: RejectionReason | None = None
    follow_up_on: date | None = None  # while postponed: the day it goes back to its manager
    # The follow-up day of a return from postponement whose event and email are not out
    # yet: a retried follow-up finishes them (leadflow.lifecycle.follow_up.bring_back).
    return_pending: date | None = None
    contact_id: str | None = None  # once converted: the CONTACT item
    converted_at: datetime | None = None
    erased_at: datetime | None = None  # the person was erased (leadflow.privacy): the card is anonymous
    # Who introduced the person, when their first touch was a referral form.
    introduction: Introduction | None = None

    @classmethod
    def first_seen_in(cls, submission: Submission) -> Lead:
        """The card a new lead gets from its first submission (capture stores it so; the
        scorer takes it so without reading it)."""
        return cls(lead_id=submission.lead_id, contact=submission.contact, source=submission.source,
                   created_at=submission.received_at, last_seen_at=submission.received_at,
                   latest_interest=submission.interest, introduction=submission.introduction)


class AssignmentNotice(BaseModel):
    """What the manager's email about an assignment needs besides the submission: the
    lead card and the manager as the assignment wrote them. Put on the submission by the
    assignment (leadflow.routing.store) and taken off by the notifier's claim, which
    returns it (leadflow.notification.store): the email needs no read, and the copy of
    the contact data lives seconds."""

    lead: Lead
    manager: Manager


class Contact(BaseModel):
    """A customer (a CONTACT item), made from a converted lead; the lead keeps its history."""

    contact_id: str
    lead_id: str
    contact: ContactCard
    manager_id: str | None = None
    created_at: datetime
    created_by: str


class Activity(BaseModel):
    """One entry of a lead's history (ACT# items)."""

    activity_id: str
    lead_id: str
    at: datetime
    kind: str  # e.g. possible_duplicate
    detail: dict[str, str] = Field(default_factory=dict)
