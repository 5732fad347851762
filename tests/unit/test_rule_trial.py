"""Trying a rule set on past leads (leadflow.routing.trial) and checking one as admins
store it (leadflow.routing.rule_admin), over in-memory reads: what moves in the
matrix, which rules fire, conversion per temperature, what is skipped and read."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import Any

import pytest

from leadflow.reporting.listing import LeadIndexPage
from leadflow.routing import rule_admin
from leadflow.routing.rule_admin import EXAMPLE_RULE_SET, InvalidRules, checked_rule_set
from leadflow.routing.rules import RuleSet, parse_rule_set
from leadflow.routing.trial import (
    MAX_PREVIOUS_VISITS,
    InvalidPeriod,
    PeriodTooLong,
    RuleSetTrial,
    add_trials,
    try_rule_set,
)
from leadflow.shared.models import ContactCard, Lead, LeadStatus, Score, Source, Submission, Temperature
from leadflow.storage import keys

TODAY = date(2026, 11, 30)
NOVEMBER = datetime(2026, 11, 10, 9, 0, tzinfo=timezone.utc)


def rule_set(version: str, *rules: dict[str, Any], profile: str = "b2b") -> RuleSet:
    return parse_rule_set({"version": version, "profile": profile, "thresholds": {"warm": 30, "hot": 60},
                           "rules": list(rules)})


BUY = {"id": "intent-buy", "kind": "intent", "points": 40, "reason": "Asked for a quote", "values": ["quote"]}
PHONE = {"id": "has-phone", "kind": "present", "field": "phone", "points": 10, "reason": "Left a phone"}
BIG = {"id": "company-size", "kind": "range", "field": "company_size", "min": 51, "points": 30, "reason": "Big"}
BACK = {"id": "came-back", "kind": "repeat", "within_days": 30, "min_previous": 2, "points": 20, "reason": "Back"}
IN_FORCE = rule_set("now", BUY, PHONE)
# Bigger companies count: a 200-people company asking for a quote with a phone is hot (80), not warm (50).
PROPOSED = rule_set("next", {**BUY, "points": 35}, PHONE, BIG)


class Leads:
    """The two reads a trial makes, in memory: GSI2 pages of lead cards (newest first,
    DynamoDB's LastEvaluatedKey included) and a lead's newest submissions."""

    def __init__(self) -> None:
        self.cards: list[Lead] = []
        self.submissions: dict[str, list[Submission]] = {}
        self.submission_reads: list[tuple[str, int]] = []

    def add(self, lead_id: str, *, status: LeadStatus = LeadStatus.ASSIGNED, at: datetime = NOVEMBER,
            visits: int = 1, profile: str = "b2b", erased: bool = False, stored: Temperature | None = None,
            **fields: str) -> None:
        contact = ContactCard(name="Jane Doe", email=f"{lead_id}@acme-corp.com", phone=fields.pop("phone", None))
        source = Source(form_id="demo")
        subs = [Submission(submission_id=f"{lead_id}-{n}", lead_id=lead_id, form_id="demo", contact=contact,
                           received_at=at + timedelta(days=n), source=source, interest=fields.get("interest"),
                           fields={k: v for k, v in fields.items() if k != "interest"}, scoring_profile=profile)
                for n in range(visits)]
        score = Score(points=0, temperature=stored, parts=[], rule_set_version="old") if stored else None
        self.cards.append(Lead(lead_id=lead_id, status=status, contact=contact, source=source, created_at=at,
                               last_seen_at=subs[-1].received_at, score=score,
                               erased_at=at + timedelta(days=5) if erased else None))
        self.submissions[lead_id] = [] if erased else subs[::-1]

    def query_lead_index(self, index: str, partition: str, low: str, high: str, *, limit: int,
                         start_key: dict[str, str] | None = None, status: str | None = None,
                         temperature: str | None = None) -> LeadIndexPage:
        assert index == "GSI2" and status is None and temperature is None
        rows = sorted(((keys.lead_created_keys(c.lead_id, c.created_at), c) for c in self.cards),
                      key=lambda row: row[0]["GSI2SK"], reverse=True)
        rows = [(k, c) for k, c in rows if k["GSI2PK"] == partition and low <= k["GSI2SK"] <= high]
        if start_key:
            rows = [(k, c) for k, c in rows if k["GSI2SK"] < start_key["GSI2SK"]]
        page = rows[:limit]
        last = None
        if len(rows) > limit:
            last = {**keys.lead_key(page[-1][1].lead_id), **page[-1][0]}
        return LeadIndexPage(leads=[c for _k, c in page], last_key=last, items_read=len(page))

    def newest_submissions(self, lead_id: str, limit: int) -> list[Submission]:
        self.submission_reads.append((lead_id, limit))
        return self.submissions[lead_id][:limit]


def run_trial(leads: Leads, proposed: RuleSet = PROPOSED, current: RuleSet = IN_FORCE, period: str = "2026-11",
              **options: Any) -> RuleSetTrial:
    return try_rule_set(proposed, current, "default", period, index=leads, submissions=leads, today=TODAY, **options)


def matrix(trial: RuleSetTrial) -> dict[tuple[str, str], int]:
    """The matrix's cells that hold leads."""
    return {(row, col): n for row, counts in trial.matrix.model_dump().items() for col, n in counts.items() if n}


# -- the matrix ------------------------------------------------------------------------------


def test_a_proposal_that_makes_a_lead_hot_moves_it_in_the_matrix():
    # GIVEN a warm lead (quote + phone = 50) from a 200-people company, and a cold one
    leads = Leads()
    leads.add("big", interest="quote", phone="+14155550134", company_size="200")
    leads.add("small", interest="ebook", company_size="10")

    # WHEN the proposal, which gives big companies 30 points, is tried
    trial = run_trial(leads)

    # THEN the big company's lead goes from warm to hot, the other stays cold
    assert matrix(trial) == {("warm", "hot"): 1, ("cold", "cold"): 1}
    assert (trial.leads, trial.changed, trial.rose, trial.fell) == (2, 1, 1, 0)
    assert (trial.current_version, trial.proposed_version, trial.period) == ("now", "next", "2026-11")
    assert (trial.first_day, trial.last_day, trial.next_cursor) == (date(2026, 11, 1), date(2026, 11, 30), None)


def test_a_lead_the_proposal_cools_down_is_counted_as_fallen():
    leads = Leads()
    leads.add("quoted", interest="quote", phone="+14155550134")  # 50 now: warm

    trial = run_trial(leads, proposed=rule_set("stingy", PHONE))

    assert matrix(trial) == {("warm", "cold"): 1}
    assert (trial.changed, trial.rose, trial.fell) == (1, 0, 1)


def test_the_baseline_is_the_rule_set_in_force_not_the_stored_score():
    leads = Leads()
    leads.add("old", interest="quote", phone="+14155550134", stored=Temperature.HOT)  # scored by an older rule set

    trial = run_trial(leads, proposed=IN_FORCE)

    assert matrix(trial) == {("warm", "warm"): 1}
    assert (trial.changed, trial.stored_differs) == (0, 1)


# -- rules fired -----------------------------------------------------------------------------


def test_each_rule_is_counted_by_the_leads_it_fires_on_under_each_rule_set():
    leads = Leads()
    leads.add("a", interest="quote", phone="+14155550134", company_size="200")
    leads.add("b", interest="quote", company_size="51-200")
    leads.add("c", phone="+14155550135")

    trial = run_trial(leads)

    assert [r.model_dump() for r in trial.rules] == [
        {"rule_id": "intent-buy", "current_points": 40, "proposed_points": 35, "current_fires": 2,
         "proposed_fires": 2},
        {"rule_id": "has-phone", "current_points": 10, "proposed_points": 10, "current_fires": 2,
         "proposed_fires": 2},
        # Only in the proposal: no points in force, so it fires on none there.
        {"rule_id": "company-size", "current_points": None, "proposed_points": 30, "current_fires": 0,
         "proposed_fires": 2},
    ]


def test_a_rule_the_proposal_drops_still_shows_how_often_it_fired():
    leads = Leads()
    leads.add("a", interest="quote")

    trial = run_trial(leads, proposed=rule_set("no-intent", PHONE))

    assert [(r.rule_id, r.current_points, r.proposed_points, r.current_fires, r.proposed_fires)
            for r in trial.rules] == [("intent-buy", 40, None, 1, 0), ("has-phone", 10, 10, 0, 0)]


# -- conversion ------------------------------------------------------------------------------


def test_conversion_per_temperature_counts_only_the_leads_whose_outcome_is_known():
    leads = Leads()
    hot_under_proposal = {"interest": "quote", "phone": "+14155550134", "company_size": "500"}
    leads.add("won", status=LeadStatus.CONVERTED, **hot_under_proposal)
    leads.add("lost", status=LeadStatus.REJECTED, **hot_under_proposal)
    leads.add("open", status=LeadStatus.CONTACTED, **hot_under_proposal)  # no outcome yet
    leads.add("later", status=LeadStatus.POSTPONED, **hot_under_proposal)  # nor here
    leads.add("cold-lost", status=LeadStatus.REJECTED, interest="ebook")

    trial = run_trial(leads)

    proposed = {c.temperature: c for c in trial.conversion.proposed}
    assert (proposed[Temperature.HOT].leads, proposed[Temperature.HOT].outcome_known,
            proposed[Temperature.HOT].converted, proposed[Temperature.HOT].conversion_rate) == (4, 2, 1, 0.5)
    assert (proposed[Temperature.COLD].leads, proposed[Temperature.COLD].outcome_known,
            proposed[Temperature.COLD].conversion_rate) == (1, 1, 0.0)
    assert (proposed[Temperature.WARM].leads, proposed[Temperature.WARM].conversion_rate) == (0, None)
    current = {c.temperature: c for c in trial.conversion.current}
    assert (current[Temperature.WARM].leads, current[Temperature.WARM].converted) == (4, 1)
    assert [c.temperature for c in trial.conversion.current] == [Temperature.COLD, Temperature.WARM, Temperature.HOT]


# -- what is skipped and what is read --------------------------------------------------------


def test_erased_leads_and_the_other_profiles_are_counted_apart_and_erased_ones_cost_no_read():
    leads = Leads()
    leads.add("kept", interest="quote")
    leads.add("gone", interest="quote", erased=True, status=LeadStatus.CONVERTED)
    leads.add("person", interest="quote", profile="b2c")
    leads.add("bare")
    leads.submissions["bare"] = []  # a card with no submission under it

    trial = run_trial(leads)

    assert trial.leads == 1
    assert trial.skipped.model_dump() == {"erased": 1, "other_profile": 1, "no_submission": 1}
    assert "gone" not in [lead_id for lead_id, _limit in leads.submission_reads]
    assert trial.conversion.current[1].converted == 0  # the erased lead's outcome is not counted


def test_a_lead_is_scored_as_of_its_newest_submission_reading_one_item_without_repeat_rules():
    leads = Leads()
    leads.add("back", visits=3, interest="quote")

    trial = run_trial(leads)

    assert leads.submission_reads == [("back", 1)]
    assert (trial.reads.lead_items, trial.reads.submission_items, trial.reads.submissions_per_lead_at_most) == (
        1, 1, 1)


def test_repeat_rules_read_the_earlier_visits_within_a_bound():
    leads = Leads()
    leads.add("twice", visits=2)
    leads.add("thrice", visits=3, at=NOVEMBER + timedelta(hours=1))

    trial = run_trial(leads, proposed=rule_set("loyal", PHONE, BACK))

    assert sorted(leads.submission_reads) == [("thrice", 1 + MAX_PREVIOUS_VISITS), ("twice", 1 + MAX_PREVIOUS_VISITS)]
    assert [(r.rule_id, r.proposed_fires) for r in trial.rules] == [
        ("intent-buy", 0), ("has-phone", 0), ("came-back", 1)]  # two visits before the newest: only `thrice`
    assert trial.reads.submission_items == 5


def test_leads_outside_the_period_are_not_read():
    leads = Leads()
    leads.add("october", interest="quote", at=datetime(2026, 10, 31, 23, 59, tzinfo=timezone.utc))
    leads.add("november", interest="quote")

    trial = run_trial(leads, period="2026-11-01..2026-11-15")

    assert trial.leads == 1 and [lead_id for lead_id, _ in leads.submission_reads] == ["november"]


def test_a_period_is_read_a_page_at_a_time_and_the_pages_add_up_to_the_whole():
    leads = Leads()
    for n in range(5):
        leads.add(f"l{n}", at=NOVEMBER + timedelta(hours=n), interest="quote",
                  status=LeadStatus.CONVERTED if n % 2 else LeadStatus.REJECTED, company_size=str(40 + 10 * n))
    whole = run_trial(leads)

    first = run_trial(leads, limit=2)
    second = run_trial(leads, limit=2, cursor=first.next_cursor)
    third = run_trial(leads, limit=2, cursor=second.next_cursor)

    assert (first.leads, second.leads, third.leads, third.next_cursor) == (2, 2, 1, None)
    added = add_trials(add_trials(first, second), third)
    assert added == whole.model_copy(update={"reads": added.reads})
    assert added.reads.lead_items == 5


@pytest.mark.parametrize(("period", "refusal", "code"), [
    ("2026-13", InvalidPeriod, "invalid_period"), ("november", InvalidPeriod, "invalid_period"),
    ("2026-01-01..2026-03-01", PeriodTooLong, "period_too_long"),
])
def test_a_period_that_is_not_one_is_refused_naming_it(period, refusal, code):
    leads = Leads()

    with pytest.raises(refusal) as refused:
        run_trial(leads, period=period)

    assert [(e.field, e.code) for e in refused.value.errors] == [("period", code)]
    assert leads.submission_reads == []


# -- checking a rule set as admins store it --------------------------------------------------


def test_every_problem_of_a_rule_set_is_named_with_its_field():
    document = {**EXAMPLE_RULE_SET, "profile": "b2c", "thresholds": {"warm": 50, "hot": 40},
                "rules": [{**EXAMPLE_RULE_SET["rules"][0], "points": 500}, {"id": "x", "kind": "colour"}]}

    with pytest.raises(InvalidRules) as refused:
        checked_rule_set(document, "b2b")

    assert refused.value.code == "invalid_rules"
    assert [(e.field, e.code) for e in refused.value.errors] == [
        ("thresholds", "invalid_rule_set"), ("rules.0.points", "invalid_rule_set"), ("rules.1.kind", "invalid_rule_set"),
        ("profile", "invalid_rule_set")]
    assert refused.value.errors[1].message.startswith("rule 'intent-buy' (rules[0]), field 'points': ")
    assert refused.value.errors[3].message == "field 'profile': this rule set is for 'b2c', the address is for 'b2b'"


def test_the_documents_example_is_a_valid_rule_set():
    assert checked_rule_set(EXAMPLE_RULE_SET, "b2b").version == "acme-b2b-2"


class Overrides:
    def __init__(self, stored: str | None = None) -> None:
        self.stored = stored
        self.puts: list[tuple[str, str]] = []

    def get_rule_set_json(self, profile: str) -> str | None:
        return self.stored

    def put_rule_set_json(self, profile: str, text: str, version: str) -> None:
        self.puts.append((profile, version))
        self.stored = text

    def delete_rule_set(self, profile: str) -> bool:
        removed, self.stored = self.stored is not None, None
        return removed


def test_an_override_stored_for_the_other_profile_is_shown_as_ignored():
    import json

    shown = rule_admin.rule_set_in_force(Overrides(json.dumps({**EXAMPLE_RULE_SET, "profile": "b2c"})), "b2b")

    assert (shown.in_force, shown.rule_set.version) == ("default", "b2b-2026.11")
    assert shown.override_problems == ["field 'profile': stored for b2b but written for b2c"]


def test_an_invalid_rule_set_is_never_stored():
    overrides = Overrides()

    with pytest.raises(InvalidRules):
        rule_admin.store_override(overrides, "b2b", {**EXAMPLE_RULE_SET, "rules": []})

    assert overrides.puts == []
    assert rule_admin.store_override(overrides, "b2b", EXAMPLE_RULE_SET).in_force == "override"
    assert rule_admin.remove_override(overrides, "b2b").removed is True
    assert rule_admin.remove_override(overrides, "b2b").removed is False
