"""Referrals given back: a manager (or an admin) records that we sent one of our
customers to a partner, so the balance of given and received shows in the partner
report, as referral groups keep it. The same service behind `POST /partners/{id}/given`
and `leadflow referrals give`."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Protocol

from pydantic import BaseModel, ConfigDict, Field, field_validator

from leadflow.referrals.records import ReferralGiven
from leadflow.shared.models import Partner
from leadflow.shared.refusal import NotFound

MAX_NOTE = 1000
# A partner's code, as in its referral link (the partners' admin checks new ones).
PARTNER_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]{1,39}$"


class PartnerNotFound(NotFound):
    code = "partner_not_found"


class GiveReferral(BaseModel):
    """`POST /partners/{partner_id}/given`: who we sent them, in a few words. The note is
    the manager's own words (say, "Acme's office move, to Maria's firm"); keep personal
    details out of it beyond what the partner needs."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"note": "Acme Corp needs an office move: introduced to Maria by email"}]})

    note: str = Field(min_length=1, max_length=MAX_NOTE, description="what was given, to whom, in a few words")

    @field_validator("note")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("a note needs some text")
        return value.strip()


class GivenList(BaseModel):
    partner_id: str
    given: list[ReferralGiven]


class PartnerName(BaseModel):
    """A partner as the team sees it to give a referral back: the code and the name, never
    the partner's email (managers need no more, and admins have the partners' admin)."""

    partner_id: str
    name: str
    kind: str
    group_id: str | None = None


class PartnerNames(BaseModel):
    partners: list[PartnerName]


def partners_to_give_to(partners: list[Partner]) -> PartnerNames:
    """The active partners, by name: whom a manager may give a referral back."""
    return PartnerNames(partners=[PartnerName(partner_id=p.partner_id, name=p.name, kind=p.kind.value,
                                              group_id=p.group_id)
                                  for p in sorted(partners, key=lambda p: p.name.casefold()) if p.active])


class GivenRecords(Protocol):
    def add_given(self, given: ReferralGiven) -> None: ...

    def given_to(self, partner_id: str, limit: int = 100) -> list[ReferralGiven]: ...


class PartnerReads(Protocol):
    def get(self, partner_id: str, *, consistent: bool = True) -> Partner | None: ...


def _partner(partners: PartnerReads, partner_id: str) -> Partner:
    partner = partners.get(partner_id.strip().lower())
    if partner is None:
        raise PartnerNotFound(f"no partner has the code {partner_id}")
    return partner


def give_referral(records: GivenRecords, partners: PartnerReads, partner_id: str, request: GiveReferral, *,
                  by: str, now: datetime) -> ReferralGiven:
    """Record a referral given to an existing partner (an inactive one too: the balance
    of an old member still counts); NotFound when no partner has the code."""
    partner = _partner(partners, partner_id)
    given = ReferralGiven(given_id=uuid.uuid4().hex, partner_id=partner.partner_id, given_at=now,
                          note=request.note, by=by)
    records.add_given(given)
    return given


def list_given(records: GivenRecords, partners: PartnerReads, partner_id: str) -> GivenList:
    """The referrals given to a partner, newest first (the latest 100)."""
    partner = _partner(partners, partner_id)
    return GivenList(partner_id=partner.partner_id, given=records.given_to(partner.partner_id))
