"""Closing the loop, as referral groups expect: the partner who sent a lead hears when it
was received, when we first spoke with the person, and when they became a customer; in
the partner's language, naming the referred person by their FIRST name only (never the
full name, email or phone: the partner knows who they sent, and nobody else need learn
more from an email).

The events carry ids only (`partner_id` among them); this reads the lead and the
partner. Each moment is sent at most once per lead: notify wraps each in Powertools
idempotency (per lead), and the first contact is told only for the change that WAS the
first contact (a lead contacted again after a postponement says nothing new)."""

from __future__ import annotations

from typing import Literal, Protocol

from leadflow.notification.mailer import Mailer
from leadflow.notification.render import render_partner_email
from leadflow.referrals.store import PartnerStore
from leadflow.shared.events import LeadConverted, LeadStatusChanged, ReferralReceived
from leadflow.shared.models import Lead, LeadStatus, Partner
from leadflow.storage.leads import LeadReads
from leadflow.storage.table import Table

Moment = Literal["received", "contacted", "converted"]
Outcome = Literal["sent", "no_partner", "partner_inactive", "loop_off", "no_email", "no_lead", "not_first_contact",
                  "erased"]
MAX_FIRST_NAME = 40


class LoopReads(Protocol):
    """What closing the loop reads (PartnerNews below)."""

    def get_lead(self, lead_id: str) -> Lead | None: ...

    def get_partner(self, partner_id: str) -> Partner | None: ...


class PartnerNews(LeadReads):
    """The lead and its partner, over the one table."""

    def __init__(self, table: Table) -> None:
        self.table = table
        self.partners = PartnerStore(table)

    def get_partner(self, partner_id: str) -> Partner | None:
        return self.partners.get(partner_id, consistent=False)


def first_name(full_name: str) -> str:
    """The first name in a name as people type it: `Jane Doe` → `Jane`, `Doe, Jane` →
    `Jane`; bounded, so a name typed as a sentence stays short."""
    name = full_name.split(",", 1)[1] if "," in full_name else full_name
    words = name.split()
    return words[0][:MAX_FIRST_NAME] if words else ""


def _unwanted(partner: Partner | None) -> Outcome | None:
    """Why this partner gets no email, if they get none."""
    if partner is None:
        return "no_partner"
    if not partner.active:
        return "partner_inactive"
    if not partner.loop_emails:
        return "loop_off"
    return None if partner.email else "no_email"


def tell_partner(moment: Moment, lead_id: str, partner_id: str | None, reads: LoopReads, mailer: Mailer,
                 lead: Lead | None = None) -> Outcome:
    """Email the lead's partner about `moment`, when they want it: the partner exists,
    is active, has an address and keeps `loop_emails` on. Returns what happened. `lead`:
    the card when the caller has read it already (else it is read here, once wanted)."""
    partner = reads.get_partner(partner_id) if partner_id else None
    unwanted = _unwanted(partner)
    if unwanted or partner is None or partner.email is None:
        return unwanted or "no_partner"
    lead = lead or reads.get_lead(lead_id)
    if lead is None:
        return "no_lead"
    if lead.erased_at is not None:
        return "erased"  # the person asked to be forgotten: nobody hears of them again
    mailer.send(render_partner_email(partner.email, partner.language, moment, partner.name,
                                     first_name(lead.contact.name)))
    return "sent"


def referral_received(event: ReferralReceived, reads: LoopReads, mailer: Mailer) -> Outcome:
    """`Referral Received` with a partner: thank them."""
    return tell_partner("received", event.lead_id, event.partner_id, reads, mailer)


def first_contacted(event: LeadStatusChanged, reads: LoopReads, mailer: Mailer) -> Outcome:
    """`Lead Status Changed` to contacted: the partner hears only of the FIRST contact
    (the lead keeps its first contact's time; a later contact has another)."""
    if event.to_status != LeadStatus.CONTACTED:
        return "not_first_contact"
    lead = reads.get_lead(event.lead_id)
    if lead is None:
        return "no_lead"
    if lead.contacted_at is not None and lead.contacted_at != event.at:
        return "not_first_contact"
    return tell_partner("contacted", event.lead_id, event.partner_id, reads, mailer, lead=lead)


def became_customer(event: LeadConverted, reads: LoopReads, mailer: Mailer) -> Outcome:
    """`Lead Converted` with a partner: the good news."""
    return tell_partner("converted", event.lead_id, event.partner_id, reads, mailer)
