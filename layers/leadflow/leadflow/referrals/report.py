"""What each partner brings (`GET /reports/partners`, `leadflow referrals report`): per
partner and per group, over a period, the referrals received and how far they got, the
exact median time to a first contact, what a converted referral cost where the group's
monthly cost is entered, the referrals given back, and a flag on partners whose
referrals rarely get anywhere (junk passed to fill a quota). Admins also see the codes
no partner has.

Cohorts, as in the channel reports: a referral counts in the period it was RECEIVED, and
so does everything that became of it since (its contact, qualification, conversion).
Read from the referral tallies (leadflow.referrals.tally), one Query for the period;
referrals are few, so medians are exact, not buckets."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal
from statistics import median
from typing import Protocol

from pydantic import BaseModel, Field

from leadflow.referrals.records import PartnerCost, ReferralGiven, ReferralTally
from leadflow.reporting.costs import Money, per_unit
from leadflow.reporting.periods import ReportPeriod, parse_period
from leadflow.shared.models import Partner

# The flag rule: a partner with at least FLAG_MIN_REFERRALS referrals in the period, of
# which fewer than FLAG_MAX_QUALIFIED_RATE reached qualified (or beyond), is flagged:
# enough referrals to judge, and too few real opportunities among them. "Reached
# contacted" is not the test: a bad lead is contacted too, and then rejected.
FLAG_MIN_REFERRALS = 5
FLAG_MAX_QUALIFIED_RATE = 0.2
FLAG_RULE = (f"at least {FLAG_MIN_REFERRALS} referrals in the period and under "
             f"{int(FLAG_MAX_QUALIFIED_RATE * 100)}% of them qualified or converted")


class PartnerReportReads(Protocol):
    """What the report reads (leadflow.referrals.records.ReferralRecords)."""

    def tallies(self, first_day: date, last_day: date) -> list[ReferralTally]: ...

    def given(self, first_day: date, last_day: date) -> list[ReferralGiven]: ...

    def partners(self) -> list[Partner]: ...

    def partner_costs(self, month: str) -> list[PartnerCost]: ...


class ReferralCounts(BaseModel):
    """How a set of referrals (one partner's, or a group's and its members') did."""

    received: int = 0
    introduced: int = Field(0, description="of them, warm introductions through a referral form")
    contacted: int = 0
    qualified: int = Field(0, description="reached qualified (converted ones included)")
    converted: int = 0
    rejected: int = 0
    conversion_rate: float | None = Field(None, description="converted / received")
    median_minutes_to_first_contact: float | None = Field(
        None, description="exact median, received → first contact, over the contacted ones")
    given: int = Field(0, description="referrals we gave back to them in the period")
    cost: Money | None = Field(None, description="their entered cost over the period (whole months only)")
    cost_per_converted: Money | None = None


class PartnerRow(ReferralCounts):
    partner_id: str
    name: str
    kind: str
    group_id: str | None = None
    active: bool = True
    flagged: bool = Field(False, description="their referrals rarely get anywhere (see `flag_rule`)")


class GroupRow(ReferralCounts):
    """A lead group with its members: the group's own referrals and every member's."""

    group_id: str
    name: str
    members: list[str] = Field(default_factory=list)


class UnknownCode(BaseModel):
    ref: str
    received: int


class PartnerReport(BaseModel):
    period: str
    first_day: date
    last_day: date
    partners: list[PartnerRow]
    groups: list[GroupRow]
    unknown_codes: list[UnknownCode] = Field(description="codes no partner has, with the referrals that carried them")
    flag_rule: str = FLAG_RULE


def _minutes(start: datetime, end: datetime) -> float:
    return round((end - start).total_seconds() / 60, 1)


def count_referrals(tallies: Iterable[ReferralTally], given: int = 0, cost: Money | None = None) -> ReferralCounts:
    """The counts of these referrals; with their `cost`, what a converted one cost."""
    tallies = list(tallies)
    received = len(tallies)
    converted = sum(1 for t in tallies if t.converted_at)
    waits = [_minutes(t.received_at, t.contacted_at) for t in tallies if t.received_at and t.contacted_at]
    return ReferralCounts(
        received=received, introduced=sum(1 for t in tallies if t.introduced),
        contacted=sum(1 for t in tallies if t.contacted_at or t.qualified_at or t.converted_at),
        qualified=sum(1 for t in tallies if t.qualified_at or t.converted_at), converted=converted,
        rejected=sum(1 for t in tallies if t.rejected_at),
        conversion_rate=round(converted / received, 4) if received else None,
        median_minutes_to_first_contact=median(waits) if waits else None, given=given, cost=cost,
        cost_per_converted=per_unit(cost.amount, converted, cost.currency) if cost else None)


def flagged(counts: ReferralCounts) -> bool:
    """FLAG_RULE."""
    return counts.received >= FLAG_MIN_REFERRALS and counts.qualified / counts.received < FLAG_MAX_QUALIFIED_RATE


def partner_costs_for(period: ReportPeriod, costs: Mapping[str, list[PartnerCost]]) -> dict[str, Money]:
    """Each partner's cost over the period, as channel costs are: only for whole months,
    and only for partners with a cost entered for every month, in one currency."""
    if not period.months:
        return {}
    by_month = [{c.partner_id: c for c in costs.get(month, [])} for month in period.months]
    out: dict[str, Money] = {}
    for partner_id in sorted(set.intersection(*(set(m) for m in by_month))):
        entries = [m[partner_id] for m in by_month]
        if len({e.currency for e in entries}) == 1:
            out[partner_id] = Money(amount=sum((e.amount for e in entries), Decimal(0)), currency=entries[0].currency)
    return out


def build_partner_report(period: ReportPeriod, partners: list[Partner], tallies: list[ReferralTally],
                         given: list[ReferralGiven], costs: Mapping[str, Money]) -> PartnerReport:
    """The report from what was read: a row per partner (every partner, even with nothing
    in the period: a silent member is news too), a row per group, the unknown codes."""
    by_partner: dict[str, list[ReferralTally]] = {}
    unknown: Counter[str] = Counter()
    for tally in tallies:
        if tally.partner_id:
            by_partner.setdefault(tally.partner_id, []).append(tally)
        else:
            unknown[tally.ref or ""] += 1
    given_to = Counter(g.partner_id for g in given)
    rows = []
    for partner in sorted(partners, key=lambda p: p.partner_id):
        counts = count_referrals(by_partner.get(partner.partner_id, []), given_to[partner.partner_id],
                                 costs.get(partner.partner_id))
        rows.append(PartnerRow(partner_id=partner.partner_id, name=partner.name, kind=partner.kind.value,
                               group_id=partner.group_id, active=partner.active, flagged=flagged(counts),
                               **counts.model_dump()))
    groups = []
    for group in (p for p in sorted(partners, key=lambda p: p.partner_id) if p.kind.value == "group"):
        members = sorted(p.partner_id for p in partners if p.group_id == group.partner_id)
        # A member's referral counts for the group it belonged to when it came
        # (`group_id` on the tally), and the group's own referrals too.
        group_tallies = [t for t in tallies if t.partner_id and group.partner_id in (t.partner_id, t.group_id)]
        given_count = sum(given_to[pid] for pid in (group.partner_id, *members))
        counts = count_referrals(group_tallies, given_count, costs.get(group.partner_id))
        groups.append(GroupRow(group_id=group.partner_id, name=group.name, members=members, **counts.model_dump()))
    return PartnerReport(period=period.label, first_day=period.first_day, last_day=period.last_day, partners=rows,
                         groups=groups, unknown_codes=[UnknownCode(ref=ref, received=n)
                                                       for ref, n in sorted(unknown.items())])


def read_partner_report(reads: PartnerReportReads, period_text: str | None, today: date) -> PartnerReport:
    """The partner report for a period (as `GET /reports` takes it: a month, a day, a
    range): one Query for the referrals, one for the given ones, one for the partners,
    one per month for the costs."""
    period = parse_period(period_text, today)
    costs = {month: reads.partner_costs(month) for month in period.months or []}
    return build_partner_report(period, reads.partners(), reads.tallies(period.first_day, period.last_day),
                                reads.given(period.first_day, period.last_day), partner_costs_for(period, costs))
