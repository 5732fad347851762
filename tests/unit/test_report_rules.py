"""Reports without AWS: dimension values, score bands, duration buckets and medians,
periods, what one event adds to which counters (with an in-memory repository that keeps
DynamoDB's conditional-write semantics), and the report's arithmetic, costs included."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError

from leadflow.reporting.cells import (
    BUCKETS,
    DIMENSIONS,
    MAX_RULE_CELLS,
    DurationRange,
    bucket_range,
    campaign_value,
    channel_value,
    dimension_value,
    duration_bucket,
    manager_value,
    median_bucket,
    periods_of,
    rule_values,
    score_band,
)
from leadflow.reporting.costs import ChannelCost, ChannelCostInput, channel_cost, costs_for
from leadflow.reporting.counters import ReportContention, ReportMark, count_event, plan_count
from leadflow.reporting.periods import InvalidReportQuery, parse_dimensions, parse_period
from leadflow.reporting.reports import Cell, build_report, read_report, speed_to_lead, sum_cells
from leadflow.shared.events import (
    DETAIL_MODELS,
    LEAD_CONVERTED,
    LEAD_SCORED,
    LEAD_STATUS_CHANGED,
    REFERRAL_RECEIVED,
    LeadScored,
)
from leadflow.shared.models import ChannelKind, Lead, ScorePart, Source, Temperature
from leadflow.shared.settings import Sla
from support import load_event

CREATED = datetime(2026, 11, 25, 10, 0, tzinfo=timezone.utc)
NOW = datetime(2026, 11, 25, 10, 0, 5, tzinfo=timezone.utc)


# -- dimension values ---------------------------------------------------------------------


@pytest.mark.parametrize(("points", "band"), [
    (None, "(none)"), (-35, "<0"), (-1, "<0"), (0, "0-19"), (19, "0-19"), (20, "20-39"), (59, "40-59"),
    (60, "60-79"), (79, "60-79"), (80, "80+"), (250, "80+"),
])
def test_score_bands_are_20_points_wide_and_capped_at_both_ends(points, band):
    assert score_band(points) == band


@pytest.mark.parametrize(("source", "channel"), [
    (Source(form_id="f", utm_source="  LinkedIn ", utm_medium="paid-social"), "linkedin"),
    (Source(form_id="f", utm_source="GOOGLE", utm_medium="cpc", gclid="x"), "google"),
    (Source(form_id="f", utm_medium="partner"), "(referral)"),
    (Source(form_id="f", referrer="https://news.example.org/a"), "(inbound)"),
    (Source(form_id="f", utm_medium="sdr"), "(outbound)"),
    (Source(form_id="f"), "(unknown)"),
    (Source(form_id="f", utm_source="   "), "(unknown)"),
])
def test_the_channel_is_the_utm_source_else_the_channel_kind_in_parentheses(source, channel):
    assert channel_value(source) == channel


def test_campaigns_are_grouped_whatever_their_case_and_a_missing_one_is_none():
    assert campaign_value(Source(form_id="f", utm_campaign="Spring Sale")) == "spring sale"
    assert campaign_value(Source(form_id="f", utm_campaign="spring  sale\t")) == "spring sale"
    assert campaign_value(Source(form_id="f")) == "(none)"


def test_values_are_safe_in_a_sort_key_and_short():
    assert dimension_value("a\x00b\nc\u200bd") == "a b c d"
    assert dimension_value("ｇｏｏｇｌｅ") == "google"  # NFKC: full-width letters
    assert len(dimension_value("x" * 500)) == 64
    assert dimension_value("\x00\x01", "(none)") == "(none)"


def test_managers_keep_their_id_as_is_and_nobody_is_unassigned():
    assert manager_value("m-Olivia") == "m-Olivia"
    assert manager_value(None) == "unassigned"


def test_a_lead_counts_in_the_utc_day_and_month_it_was_created():
    late_evening_in_new_york = datetime(2026, 11, 30, 19, 30, tzinfo=timezone(timedelta(hours=-5)))
    assert periods_of(late_evening_in_new_york) == ("2026-12-01", "2026-12")
    assert periods_of(CREATED) == ("2026-11-25", "2026-11")


# -- durations ------------------------------------------------------------------------------


@pytest.mark.parametrize(("minutes", "bucket"), [
    (0, 0), (5, 0), (5.01, 1), (15, 1), (59.9, 3), (60, 3), (61, 4), (1440, 7), (43200, 10), (43201, 11),
    (10**7, 11),
])
def test_a_duration_falls_in_the_first_bucket_whose_upper_edge_holds_it(minutes, bucket):
    assert duration_bucket(minutes) == bucket


def test_buckets_say_their_range_and_the_last_has_no_upper_edge():
    assert bucket_range(0) == DurationRange(over_minutes=0, at_most_minutes=5)
    assert bucket_range(3) == DurationRange(over_minutes=30, at_most_minutes=60)
    assert bucket_range(BUCKETS - 1) == DurationRange(over_minutes=43200, at_most_minutes=None)


def counts(*buckets: int) -> list[int]:
    out = [0] * BUCKETS
    for b in buckets:
        out[b] += 1
    return out


def test_the_median_is_the_bucket_holding_the_middle_value():
    assert median_bucket([0] * BUCKETS) is None
    assert median_bucket(counts(4)) == bucket_range(4)
    assert median_bucket(counts(0, 2, 9)) == bucket_range(2)  # odd: the middle one
    assert median_bucket(counts(0, 2, 9, 9)) == bucket_range(2)  # even: the lower middle one
    assert median_bucket(counts(1, 1, 1, 11, 11)) == bucket_range(1)


# -- periods and dimensions asked for -----------------------------------------------------


def test_periods_a_month_a_day_and_ranges_of_either():
    month = parse_period("2026-02", date(2026, 11, 25))
    assert (month.keys, month.months, month.first_day, month.last_day) == (
        ["2026-02"], ["2026-02"], date(2026, 2, 1), date(2026, 2, 28))
    day = parse_period("2026-11-25", date(2026, 11, 25))
    assert (day.keys, day.months) == (["2026-11-25"], None)
    days = parse_period("2026-11-29..2026-12-02", date(2026, 11, 25))
    assert days.keys == ["2026-11-29", "2026-11-30", "2026-12-01", "2026-12-02"] and days.months is None
    months = parse_period("2026-11..2027-02", date(2026, 11, 25))
    assert months.keys == months.months == ["2026-11", "2026-12", "2027-01", "2027-02"]
    assert months.last_day == date(2027, 2, 28)
    assert parse_period(None, date(2026, 11, 25)).keys == ["2026-11"]


@pytest.mark.parametrize(("text", "code"), [
    ("2026-13", "invalid_period"), ("2026-02-30", "invalid_period"), ("nov", "invalid_period"),
    ("2026-1", "invalid_period"), ("2026-11-01..2026-12", "invalid_period"), ("2026-11..2026-10", "invalid_period"),
    ("2026-11-01..", "invalid_period"), ("2026-01-01..2026-02-01", "period_too_long"),
    ("2026-01..2027-01", "period_too_long"), ("2026-11-25T10:00", "invalid_period"),
])
def test_a_bad_period_is_refused_with_a_code(text, code):
    with pytest.raises(InvalidReportQuery) as refused:
        parse_period(text, date(2026, 11, 25))
    assert refused.value.code == code


def test_dimensions_asked_for_come_with_the_total_row_in_a_fixed_order():
    assert parse_dimensions(None) == DIMENSIONS
    assert parse_dimensions("band, Channel") == ("all", "channel", "band")
    with pytest.raises(InvalidReportQuery) as refused:
        parse_dimensions("channel,country")
    assert refused.value.code == "invalid_dimension"


# -- what one event adds --------------------------------------------------------------------


@pytest.fixture
def lead() -> Lead:
    from leadflow.shared.models import ContactCard, Score

    return Lead(lead_id="lead-1", contact=ContactCard(name="Jane Doe", email="jane@acme.com"),
                source=Source(form_id="demo", channel=ChannelKind.INBOUND, utm_source="Google", utm_medium="cpc",
                              utm_campaign="Spring"),
                created_at=CREATED, last_seen_at=CREATED, manager_id="m-olivia",
                score=Score(points=42, temperature=Temperature.WARM, parts=[], rule_set_version="t"))


def scored_event(lead_id: str = "lead-1", points: int = 75, temperature: str = "hot",
                 is_new_lead: bool = True) -> dict[str, Any]:
    return {"schema_version": "1", "lead_id": lead_id, "submission_id": "s-1", "received_at": CREATED.isoformat(),
            "form_id": "demo", "is_new_lead": is_new_lead, "profile": "b2b", "rule_set_version": "t",
            "points": points, "temperature": temperature, "parts": [], "change": "first"}


def changed_event(to_status: str, at: datetime, lead_id: str = "lead-1", reason: str | None = None) -> dict[str, Any]:
    return {"schema_version": "1", "lead_id": lead_id, "from_status": "assigned", "to_status": to_status,
            "by": "m-olivia", "reason": reason, "at": at.isoformat()}


CELLS = ["all#all", "channel#google", "campaign#spring", "temperature#hot", "manager#m-olivia", "band#60-79"]


def test_a_new_lead_adds_one_lead_to_its_six_cells_in_its_day_and_month(lead):
    plan = plan_count(None, lead, None, None, LeadScored.model_validate(scored_event()), NOW)
    assert plan.expected_version is None and plan.mark.version == 1
    # The event's score, not the card's (a later submission may have changed the card).
    assert plan.mark.dimensions.temperature == "hot" and plan.mark.dimensions.band == "60-79"
    assert plan.nonzero() == {(p, c): {"leads": 1} for p in ("2026-11-25", "2026-11") for c in CELLS}


def test_a_first_contact_adds_to_the_same_cells_with_its_duration_bucket(lead):
    counted = plan_count(None, lead, None, None, LeadScored.model_validate(scored_event()), NOW).mark
    moved = lead.model_copy(update={"manager_id": "m-diego", "score": None})  # changes after counting don't matter
    plan = plan_count(counted, moved, "contacted", CREATED + timedelta(minutes=12))
    assert plan.expected_version == 1 and plan.mark.version == 2
    assert plan.nonzero() == {(p, c): {"contacted": 1, "contact_b1": 1} for p in ("2026-11-25", "2026-11")
                              for c in CELLS}


def test_a_fact_for_a_lead_not_yet_counted_counts_the_lead_first_with_its_cards_score(lead):
    plan = plan_count(None, lead, "converted", CREATED + timedelta(days=3))
    assert plan.mark.dimensions.temperature == "warm" and plan.mark.dimensions.band == "40-59"
    cells = ["all#all", "channel#google", "campaign#spring", "temperature#warm", "manager#m-olivia", "band#40-59"]
    assert plan.nonzero() == {(p, c): {"leads": 1, "converted": 1, "convert_b9": 1}
                              for p in ("2026-11-25", "2026-11") for c in cells}


def test_a_lead_counts_once_in_each_rule_its_first_score_matched(lead):
    # GIVEN a score that matched two rules (one of them observe-only, 0 points) and one twice
    event = scored_event()
    event["parts"] = [{"rule_id": "intent-buy", "points": 40, "reason": "wants a quote"},
                      {"rule_id": "observe-tiktok", "points": 0, "reason": "came from TikTok"},
                      {"rule_id": "intent-buy", "points": 40, "reason": "again"}]
    # WHEN the lead is counted, then contacted
    counted = plan_count(None, lead, None, None, LeadScored.model_validate(event), NOW)
    contacted = plan_count(counted.mark, None, "contacted", CREATED + timedelta(minutes=3))
    # THEN each rule is a cell of its own, as is the total, and later facts land there too
    assert counted.mark.dimensions.rules == ["intent-buy", "observe-tiktok"]
    for period in ("2026-11-25", "2026-11"):
        assert counted.nonzero()[(period, "rule#intent-buy")] == {"leads": 1}
        assert counted.nonzero()[(period, "rule#observe-tiktok")] == {"leads": 1}
        assert contacted.nonzero()[(period, "rule#observe-tiktok")] == {"contacted": 1, "contact_b0": 1}


def test_a_lead_counted_from_its_card_takes_the_cards_rules(lead):
    scored = lead.model_copy(update={"score": lead.score.model_copy(update={"parts": [
        ScorePart(rule_id="has-phone", points=10, reason="phone")]})})
    plan = plan_count(None, scored, "contacted", CREATED + timedelta(minutes=3))
    assert ("2026-11", "rule#has-phone") in plan.nonzero()


def test_rules_in_cells_are_capped_so_one_transaction_holds_them():
    many = [f"rule-{i}" for i in range(100)]
    assert rule_values(many) == many[:MAX_RULE_CELLS]
    # the mark, six cells and a manager's move (two more cells), each cell in a day and a month
    assert 1 + 2 * (6 + 1 + MAX_RULE_CELLS) <= 100
    assert rule_values(["Intent-Buy", "", "Intent-Buy"]) == ["Intent-Buy"]  # rule ids keep their case


def test_marks_written_before_rules_were_counted_still_read(lead):
    mark = plan_count(None, lead, None, None, LeadScored.model_validate(scored_event()), NOW).mark
    stored = mark.model_dump(mode="json")
    del stored["dimensions"]["rules"]
    assert ReportMark.model_validate(stored).dimensions.rules == []


def test_a_lead_counted_unassigned_moves_with_its_counts_to_the_first_manager_seen(lead):
    nobody = lead.model_copy(update={"manager_id": None})
    counted = plan_count(None, nobody, "rejected", CREATED + timedelta(hours=1)).mark
    assert counted.dimensions.manager == "unassigned"
    plan = plan_count(counted, lead, "contacted", CREATED + timedelta(minutes=3))
    increments = plan.nonzero()
    for period in ("2026-11-25", "2026-11"):
        assert increments[(period, "manager#unassigned")] == {"leads": -1, "rejected": -1}
        assert increments[(period, "manager#m-olivia")] == {"leads": 1, "rejected": 1, "contacted": 1, "contact_b0": 1}
        assert increments[(period, "all#all")] == {"contacted": 1, "contact_b0": 1}
    assert plan.mark.dimensions.manager == "m-olivia"


class MemoryRepository:
    """The repository's report methods in memory, with its conditional semantics: a
    mark is written only at the version read; `lose` makes the next writes lose."""

    def __init__(self, *leads: Lead) -> None:
        self.leads = {lead.lead_id: lead for lead in leads}
        self.marks: dict[str, dict[str, Any]] = {}
        self.counters: dict[tuple[str, str], Counter[str]] = {}
        self.costs: dict[tuple[str, str], dict[str, Any]] = {}
        self.lose = 0
        self.writes = 0

    def get_lead(self, lead_id: str) -> Lead | None:
        return self.leads.get(lead_id)

    def get_report_mark(self, lead_id: str) -> dict[str, Any] | None:
        return dict(self.marks[lead_id]) if lead_id in self.marks else None

    def save_report_mark(self, mark: dict[str, Any], expected_version: int | None,
                         increments: dict[tuple[str, str], dict[str, int]]) -> bool:
        self.writes += 1
        current = self.marks.get(mark["lead_id"])
        if self.lose:
            self.lose -= 1
            return False
        if (current or {}).get("version") != expected_version:
            return False
        self.marks[mark["lead_id"]] = mark
        for key, counters in increments.items():
            self.counters.setdefault(key, Counter()).update(counters)
        return True

    def report_items(self, period: str) -> list[tuple[str, dict[str, Any]]]:
        items = [(cell, dict(c)) for (p, cell), c in self.counters.items() if p == period]
        return items + [(f"cost#{ch}", cost) for (month, ch), cost in self.costs.items() if month == period]

    def put_channel_cost(self, month: str, channel: str, cost: dict[str, Any]) -> None:
        self.costs[(month, channel)] = cost

    def cell(self, period: str, cell: str) -> dict[str, int]:
        return {k: v for k, v in self.counters.get((period, cell), Counter()).items() if v}


def test_events_count_once_however_often_they_come(lead):
    repository = MemoryRepository(lead)
    contacted = changed_event("contacted", CREATED + timedelta(minutes=50))
    outcomes = [count_event(LEAD_SCORED, scored_event(), repository, NOW).outcome,
                count_event(LEAD_SCORED, scored_event(), repository, NOW).outcome,
                count_event(LEAD_STATUS_CHANGED, contacted, repository).outcome,
                count_event(LEAD_STATUS_CHANGED, contacted, repository).outcome]
    assert outcomes == ["counted", "already_counted", "counted", "already_counted"]
    # A second contact (after a postponement, say) is not a first contact.
    later = changed_event("contacted", CREATED + timedelta(days=20))
    assert count_event(LEAD_STATUS_CHANGED, later, repository).outcome == "already_counted"
    assert repository.cell("2026-11", "all#all") == {"leads": 1, "contacted": 1, "contact_b3": 1}


def test_converted_counts_from_lead_converted_only_and_rejected_from_the_status_change(lead):
    repository = MemoryRepository(lead)
    at = CREATED + timedelta(days=2)
    assert count_event(LEAD_STATUS_CHANGED, changed_event("converted", at), repository).outcome == "ignored"
    assert count_event(LEAD_STATUS_CHANGED, changed_event("qualified", at), repository).outcome == "ignored"
    assert count_event(LEAD_SCORED, scored_event(is_new_lead=False), repository).outcome == "ignored"
    assert count_event("Lead Assigned", {"lead_id": "lead-1"}, repository).outcome == "ignored"
    assert repository.counters == {}
    converted = {"schema_version": "1", "lead_id": "lead-1", "contact_id": "c-1", "at": at.isoformat()}
    assert count_event(LEAD_CONVERTED, converted, repository).outcome == "counted"
    assert count_event(LEAD_STATUS_CHANGED, changed_event("rejected", at, reason="no_budget"),
                       repository).outcome == "counted"
    assert repository.cell("2026-11-25", "manager#m-olivia") == {
        "leads": 1, "converted": 1, "convert_b8": 1, "rejected": 1}  # 2 days: (1 day, 2 days]


def test_a_lead_without_a_card_is_not_counted(lead):
    repository = MemoryRepository()
    assert count_event(LEAD_SCORED, scored_event(), repository).outcome == "lead_missing"
    assert repository.counters == {} and repository.marks == {}


def test_a_write_that_lost_to_another_is_decided_again_and_a_lasting_race_is_retried_later(lead):
    repository = MemoryRepository(lead)
    repository.lose = 2
    assert count_event(LEAD_SCORED, scored_event(), repository, NOW).outcome == "counted"
    assert repository.writes == 3 and repository.cell("2026-11", "all#all") == {"leads": 1}
    repository.lose = 10
    with pytest.raises(ReportContention):
        count_event(LEAD_STATUS_CHANGED, changed_event("contacted", NOW), repository)
    assert repository.cell("2026-11", "all#all") == {"leads": 1}


def test_the_sample_events_are_counted_as_their_names_say(lead):
    repository = MemoryRepository(lead.model_copy(update={"lead_id": "0f5e1a2b3c4d4e5f8a9b0c1d2e3f4a5b"}))
    for name in ("report_lead_scored", "report_lead_contacted", "report_lead_rejected", "report_lead_converted"):
        event = load_event(name)
        assert count_event(event["detail-type"], event["detail"], repository).outcome == "counted", name
    assert repository.cell("2026-11", "temperature#hot") == {
        "leads": 1, "contacted": 1, "contact_b1": 1, "rejected": 1, "converted": 1, "convert_b9": 1}


def test_the_detail_types_are_the_ones_the_domain_publishes():
    # The report function's rules in the template ask for exactly the detail-types it
    # counts, and each is one the domain publishes: a renamed event cannot silently stop it.
    from leadflow_local.template import Template

    [report] = [s for s in Template().functions() if s.logical_id == "ReportFunction"]
    subscribed = {t for e in report.events if e.type == "EventBridgeRule" for t in e.properties["Pattern"]["detail-type"]}
    # (`Referral Received`: the referred lead's tally for the partner report, leadflow.referrals.tally)
    assert subscribed == {LEAD_SCORED, LEAD_STATUS_CHANGED, LEAD_CONVERTED, REFERRAL_RECEIVED}
    assert subscribed <= set(DETAIL_MODELS)


def test_a_report_mark_holds_no_contact_data(lead):
    mark = plan_count(None, lead, None, None, LeadScored.model_validate(scored_event()), NOW).mark
    text = mark.model_dump_json()
    assert "jane" not in text.lower() and "acme" not in text.lower()
    assert ReportMark.model_validate(mark.model_dump(mode="json")) == mark


# -- the report's arithmetic --------------------------------------------------------------


def cell(leads: int = 0, contacted: int = 0, converted: int = 0, rejected: int = 0) -> Cell:
    return Cell(leads=leads, contacted=contacted, converted=converted, rejected=rejected)


def cost(channel: str, amount: str, currency: str = "EUR", month: str = "2026-11") -> ChannelCost:
    return ChannelCost(month=month, channel=channel, amount=Decimal(amount), currency=currency, entered_by="admin",
                       entered_at=NOW)


NOVEMBER = parse_period("2026-11", date(2026, 11, 25))


def test_rates_and_medians_come_from_the_summed_counters():
    items = [("all#all", {"leads": 3, "contacted": 2, "converted": 1, "contact_b2": 1, "contact_b5": 1,
                          "convert_b8": 1}),
             ("all#all", {"leads": 1, "contacted": 1, "contact_b2": 1}),  # another day of a range
             ("cost#google", {"amount": "5"}), ("future#thing", {"leads": 9})]
    cells = sum_cells(items)
    assert set(cells) == {("all", "all")}
    report = build_report(NOVEMBER, ("all",), cells, {})
    [row] = report.dimensions["all"]
    assert (row.leads, row.contacted, row.converted, row.conversion_rate) == (4, 3, 1, 0.25)
    assert row.median_minutes_to_first_contact == DurationRange(over_minutes=15, at_most_minutes=30)
    assert row.median_minutes_to_conversion == DurationRange(over_minutes=1440, at_most_minutes=2880)


def test_no_leads_means_no_rate_rather_than_a_division_by_zero():
    report = build_report(NOVEMBER, ("all", "temperature", "band", "channel"), {}, {})
    assert [r.value for r in report.dimensions["temperature"]] == ["cold", "warm", "hot"]
    assert [r.value for r in report.dimensions["band"]] == ["<0", "0-19", "20-39", "40-59", "60-79", "80+"]
    assert report.dimensions["channel"] == []
    [total] = report.dimensions["all"]
    assert total.leads == 0 and total.conversion_rate is None and total.median_minutes_to_first_contact is None


def test_rows_of_open_dimensions_come_most_leads_first():
    cells = {("campaign", "b"): cell(2), ("campaign", "a"): cell(2), ("campaign", "(none)"): cell(7)}
    report = build_report(NOVEMBER, ("campaign",), cells, {})
    assert [r.value for r in report.dimensions["campaign"]] == ["(none)", "a", "b"]


def test_cost_per_lead_and_per_conversion_where_a_cost_was_entered():
    cells = {("all", "all"): cell(9, 4, 2), ("channel", "google"): cell(3, 2, 2), ("channel", "bing"): cell(6, 2, 0)}
    costs = costs_for(NOVEMBER, {"2026-11": {"google": cost("google", "100.00"), "bing": cost("bing", "50"),
                                             "fair": cost("fair", "30.00")}})
    report = build_report(NOVEMBER, ("all", "channel"), cells, costs)
    rows = {r.value: r for r in report.dimensions["channel"]}
    assert rows["google"].cost_per_lead.amount == Decimal("33.33")  # 33.333…
    assert rows["google"].cost_per_conversion.amount == Decimal("50.00")
    assert rows["bing"].cost_per_lead.amount == Decimal("8.33") and rows["bing"].cost_per_conversion is None
    # A channel with a cost and no leads shows its spend, with nothing to divide it by.
    assert rows["fair"].leads == 0 and rows["fair"].cost.amount == Decimal("30.00") and rows["fair"].cost_per_lead is None
    # The total row blends every entered cost over every lead.
    [total] = report.dimensions["all"]
    assert total.cost.amount == Decimal("180.00") and total.cost_per_lead.amount == Decimal("20.00")
    assert total.cost_per_conversion.amount == Decimal("90.00") and total.cost.currency == "EUR"


def test_half_cents_round_up():
    report = build_report(NOVEMBER, ("channel",), {("channel", "x"): cell(8)}, {"x": costs_for(
        NOVEMBER, {"2026-11": {"x": cost("x", "0.20")}})["x"]})
    assert report.dimensions["channel"][0].cost_per_lead.amount == Decimal("0.03")  # 0.025


def test_costs_need_whole_months_each_with_a_cost_in_one_currency():
    by_month = {"2026-10": {"google": cost("google", "10", month="2026-10"), "bing": cost("bing", "5", "USD")},
                "2026-11": {"google": cost("google", "20.50"), "bing": cost("bing", "5")}}
    two_months = parse_period("2026-10..2026-11", date(2026, 11, 25))
    assert costs_for(two_months, by_month) == {"google": costs_for(
        parse_period("2026-11", date(2026, 11, 25)), {"2026-11": {"google": cost("google", "30.50")}})["google"]}
    assert costs_for(parse_period("2026-09..2026-11", date(2026, 11, 25)), by_month) == {}
    assert costs_for(parse_period("2026-11-25", date(2026, 11, 25)), by_month) == {}
    mixed = build_report(NOVEMBER, ("all",), {}, {"a": cost("a", "1"), "b": cost("b", "1", "USD")})
    assert mixed.dimensions["all"][0].cost is None


def test_a_report_reads_each_day_of_a_range_and_sums_them(lead):
    repository = MemoryRepository(lead, lead.model_copy(update={"lead_id": "lead-2",
                                                               "created_at": CREATED + timedelta(days=1)}))
    count_event(LEAD_SCORED, scored_event(), repository, NOW)
    count_event(LEAD_SCORED, scored_event("lead-2", points=10, temperature="cold"), repository, NOW)
    count_event(LEAD_STATUS_CHANGED, changed_event("contacted", CREATED + timedelta(days=1, minutes=2), "lead-2"),
                repository)
    report = read_report(repository, "2026-11-24..2026-11-26", "temperature", date(2026, 11, 25))
    rows = {r.value: (r.leads, r.contacted) for r in report.dimensions["temperature"]}
    assert rows == {"cold": (1, 1), "warm": (0, 0), "hot": (1, 0)}
    assert [r.value for r in report.dimensions["all"]] == ["all"] and set(report.dimensions) == {"all", "temperature"}


def buckets(**counts: int) -> list[int]:
    """Contact buckets from counts by index: `buckets(b0=1, b3=2)`."""
    return [counts.get(f"b{i}", 0) for i in range(BUCKETS)]


def test_speed_to_lead_counts_first_contacts_within_the_sla():
    # 15 minutes is the edge of bucket 1: contacts in buckets 0 and 1 are within it, exactly.
    hot = Cell(leads=6, contacted=5, contact_buckets=buckets(b0=2, b1=1, b2=1, b7=1))
    speed = speed_to_lead("hot", hot, 15)
    assert (speed.sla_minutes, speed.within_minutes, speed.contacted_within_sla, speed.within_sla_rate) == (
        15, 15, 3, 0.6)
    assert speed.median_minutes_to_first_contact == DurationRange(over_minutes=5, at_most_minutes=15)
    # An SLA between edges counts the buckets surely within it, and says to which edge.
    assert (speed_to_lead("hot", hot, 20).within_minutes, speed_to_lead("hot", hot, 20).contacted_within_sla) == (15, 3)
    assert speed_to_lead("hot", hot, 3).contacted_within_sla == 0
    # Nobody called: no rate rather than a division by zero.
    assert speed_to_lead("cold", Cell(leads=2), 2880).within_sla_rate is None


def test_a_report_with_temperatures_has_their_speed_to_lead_against_the_stacks_sla():
    cells = {("temperature", "hot"): Cell(leads=2, contacted=2, contact_buckets=buckets(b0=1, b3=1)),
             ("temperature", "warm"): Cell(leads=1, contacted=1, contact_buckets=buckets(b5=1))}
    report = build_report(NOVEMBER, ("all", "temperature"), cells, {}, Sla(hot=15, warm=240, cold=2880))
    assert [(s.temperature, s.sla_minutes, s.contacted, s.contacted_within_sla) for s in report.speed_to_lead] == [
        ("cold", 2880, 0, 0), ("warm", 240, 1, 1), ("hot", 15, 2, 1)]
    assert build_report(NOVEMBER, ("all", "channel"), cells, {}, Sla()).speed_to_lead == []
    assert build_report(NOVEMBER, ("all", "temperature"), cells, {}).speed_to_lead == []  # no SLA known


# -- entering costs -------------------------------------------------------------------------


def test_a_cost_is_spelled_as_reports_spell_channels():
    entry = ChannelCostInput(period="2026-11", channel="  Google ", amount="1234.5", currency="eur")
    stored = channel_cost(entry, "user:admin", NOW)
    assert (stored.channel, stored.amount, stored.currency) == ("google", Decimal("1234.50"), "EUR")


@pytest.mark.parametrize("body", [
    {"period": "2026-11", "channel": "google", "amount": "-1", "currency": "EUR"},
    {"period": "2026-11", "channel": "google", "amount": "1.005", "currency": "EUR"},
    {"period": "2026-11", "channel": "google", "amount": "NaN", "currency": "EUR"},
    {"period": "2026-11", "channel": "google", "amount": "1", "currency": "EURO"},
    {"period": "2026-11", "channel": "", "amount": "1", "currency": "EUR"},
    {"period": "2026-11", "channel": "google", "amount": "1", "currency": "EUR", "note": "x"},
])
def test_a_cost_body_is_checked(body):
    with pytest.raises(ValidationError):
        ChannelCostInput.model_validate(body)


@pytest.mark.parametrize(("period", "channel", "code"), [
    ("2026-11-25", "google", "invalid_period"), ("2026-13", "google", "invalid_period"),
    ("2026-11", "\x00\x01", "invalid_channel"),
])
def test_a_cost_needs_a_month_and_a_channel(period, channel, code):
    entry = ChannelCostInput(period=period, channel=channel, amount="1", currency="EUR")
    with pytest.raises(InvalidReportQuery) as refused:
        channel_cost(entry, "user:admin", NOW)
    assert refused.value.code == code
