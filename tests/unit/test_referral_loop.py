"""Referral partners, part B, without AWS: the first name a partner reads, when the loop
stays quiet, the partner report's arithmetic and flag rule, a partner's monthly cost."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest

from leadflow.notification.render import render_partner_email
from leadflow.referrals import loop
from leadflow.referrals.records import PartnerCost, ReferralTally
from leadflow.referrals.report import count_referrals, flagged, partner_costs_for
from leadflow.reporting.costs import ChannelCostInput, Money, enter_channel_cost
from leadflow.reporting.periods import InvalidReportQuery, parse_period
from leadflow.shared.events import LeadStatusChanged
from leadflow.shared.models import ContactCard, Lead, LeadStatus, Partner, Source

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize(("name", "first"), [
    ("Jane Doe", "Jane"), ("Doe, Jane", "Jane"), ("  María José  García ", "María"), ("Madonna", "Madonna"),
    ("", ""), ("x" * 80, "x" * loop.MAX_FIRST_NAME),
])
def test_a_partner_reads_the_first_name_only(name, first):
    assert loop.first_name(name) == first


class FakeReads:
    def __init__(self, lead: Lead | None, partner: Partner | None) -> None:
        self.lead, self.partner = lead, partner
        self.lead_reads = 0

    def get_lead(self, lead_id: str) -> Lead | None:
        self.lead_reads += 1
        return self.lead

    def get_partner(self, partner_id: str) -> Partner | None:
        return self.partner


class FakeMailer:
    def __init__(self) -> None:
        self.sent: list[Any] = []

    def send(self, email: Any) -> str:
        self.sent.append(email)
        return "m-1"


def lead(**fields: Any) -> Lead:
    return Lead(lead_id="l-1", contact=ContactCard(name="Jane Doe", email="jane@acme.example", phone="+14155550134"),
                source=Source(form_id="demo", partner_id="maria"), created_at=T0, last_seen_at=T0, **fields)


MARIA = Partner(partner_id="maria", name="Maria", email="maria@partners.example")


def contacted(at: datetime) -> LeadStatusChanged:
    return LeadStatusChanged(lead_id="l-1", from_status=LeadStatus.ASSIGNED, to_status=LeadStatus.CONTACTED, by="m-1",
                             at=at, partner_id="maria")


def test_only_the_first_contact_is_told():
    mailer = FakeMailer()
    first = lead(status=LeadStatus.CONTACTED, contacted_at=T0)

    assert loop.first_contacted(contacted(T0 + timedelta(days=5)), FakeReads(first, MARIA), mailer) == \
        "not_first_contact"
    reads = FakeReads(first, MARIA)
    assert loop.first_contacted(contacted(T0), reads, mailer) == "sent"
    assert reads.lead_reads == 1  # the card read to tell the first contact is the one the email uses
    [email] = mailer.sent
    assert email.audience == "partner" and email.to == "maria@partners.example"
    assert "Jane" in email.text and "Doe" not in email.text + email.html and "acme" not in email.html


def test_an_erased_person_is_never_mentioned_again():
    mailer = FakeMailer()
    outcome = loop.tell_partner("converted", "l-1", "maria", FakeReads(lead(erased_at=T0), MARIA), mailer)
    assert outcome == "erased" and mailer.sent == []


@pytest.mark.parametrize("language", ["en", "es", "ar"])
def test_every_moment_has_its_words_in_every_language(language):
    for moment in ("received", "contacted", "converted"):
        email = render_partner_email("p@x.example", language, moment, "Maria", "Jane")
        assert "Jane" in email.subject and "{" not in email.subject + email.text
        assert "Maria" in email.text


def tally(n: int, *, contacted_after: int | None = None, qualified: bool = False, converted: bool = False,
          rejected: bool = False) -> ReferralTally:
    received = T0 + timedelta(hours=n)
    return ReferralTally(
        lead_id=f"l-{n}", partner_id="p", received_at=received,
        contacted_at=received + timedelta(minutes=contacted_after) if contacted_after is not None else None,
        qualified_at=received + timedelta(days=1) if qualified else None,
        converted_at=received + timedelta(days=2) if converted else None,
        rejected_at=received + timedelta(days=1) if rejected else None)


def test_the_median_time_to_first_contact_is_exact():
    counts = count_referrals([tally(0, contacted_after=10), tally(1, contacted_after=20), tally(2, contacted_after=90),
                              tally(3)])
    assert counts.median_minutes_to_first_contact == 20
    assert count_referrals([tally(0, contacted_after=10), tally(1, contacted_after=25)]) \
        .median_minutes_to_first_contact == 17.5


def test_a_converted_referral_counts_as_contacted_and_qualified_even_if_those_moves_were_skipped():
    counts = count_referrals([tally(0, converted=True)], cost=Money(amount=Decimal("300"), currency="EUR"))
    assert (counts.contacted, counts.qualified, counts.converted, counts.conversion_rate) == (1, 1, 1, 1.0)
    assert counts.cost_per_converted == Money(amount=Decimal("300.00"), currency="EUR")
    assert count_referrals([tally(0)], cost=Money(amount=Decimal("300"), currency="EUR")).cost_per_converted is None


@pytest.mark.parametrize(("tallies", "expected"), [
    ([tally(n) for n in range(5)], True),  # five, none qualified
    ([tally(n) for n in range(4)], False),  # too few to judge
    ([tally(0, qualified=True), *[tally(n) for n in range(1, 5)]], False),  # one in five: 20%, not under
    ([tally(0, qualified=True), *[tally(n) for n in range(1, 6)]], True),  # one in six
], ids=["five-none", "four-none", "one-in-five", "one-in-six"])
def test_the_flag_rule(tallies, expected):
    assert flagged(count_referrals(tallies)) is expected


def cost(month: str, partner_id: str, amount: str, currency: str = "EUR") -> PartnerCost:
    return PartnerCost(month=month, partner_id=partner_id, amount=Decimal(amount), currency=currency,
                       entered_by="admin", entered_at=T0)


def test_a_partner_cost_counts_only_over_whole_months_it_was_entered_for():
    costs = {"2026-10": [cost("2026-10", "bni", "100"), cost("2026-10", "agency", "50")],
             "2026-11": [cost("2026-11", "bni", "120"), cost("2026-11", "mixed", "5", "USD")],
             }
    two_months = parse_period("2026-10..2026-11", date(2026, 12, 1))
    assert partner_costs_for(two_months, costs) == {"bni": Money(amount=Decimal("220"), currency="EUR")}
    assert partner_costs_for(parse_period("2026-11-05", date(2026, 12, 1)), costs) == {}


def test_a_cost_names_a_channel_or_a_partner():
    entry = ChannelCostInput.model_validate({"month": "2026-11", "partner": " BNI-Downtown ", "amount": "150.00",
                                             "currency": "eur"})
    assert entry.partner == "bni-downtown" and entry.channel is None and entry.currency == "EUR"
    for wrong in ({}, {"channel": "google", "partner": "bni"}):
        entry = ChannelCostInput.model_validate({"month": "2026-11", "amount": "1.00", "currency": "EUR", **wrong})
        with pytest.raises(InvalidReportQuery) as refused:
            enter_channel_cost(None, entry, by="admin", now=T0)  # type: ignore[arg-type] - refused before any write
        assert refused.value.code == "channel_or_partner"
