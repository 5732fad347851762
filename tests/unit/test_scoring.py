"""Explainable scoring: rules are data, validated, per profile; thresholds turn points into temperature.

Expected points below are worked out by hand from routing/data/default_rules.json.

B2B (b2b-2026.11), warm >= 30, hot >= 60:
  intent-buy +40   intent-question +20   intent-content -10
  email-corporate +15   email-disposable -40   has-phone +10   has-company +10
  card-complete +5 (name, email, phone, company)
  company-size +15 (51+)   industry-fit +5   senior-role +15   junior-role -20
  budget-large +10 (10,000+)   budget-tiny -10 (under 1,000)   timeline-soon +10   timeline-later -10
  country-core +5 (US CA GB IE AU ES MX AR AE SA EG; the country field, else the phone's)
  source-referral +15   source-outbound +10   source-inbound +5   repeat-visit +10 (back within 30 days)
  has-message +5   job-seeker -30   vendor-pitch -30   fake-name -40

B2C (b2c-2026.11), warm >= 25, hot >= 55:
  intent-buy +40   intent-question +20   intent-content -10   email-disposable -40
  card-reachable +15 (name, email, phone)   budget-set +10 (500+)   budget-tiny -10 (under 50)
  timeline-soon +15   timeline-later -10   source-referral +15   source-inbound +5
  repeat-visit +10 (back within 14 days)   has-message +5   job-seeker -30   fake-name -40
"""

from __future__ import annotations

import copy
import json
import logging
from datetime import datetime, timedelta, timezone
from importlib import resources
from typing import Any

import pytest

from leadflow.routing.facts import LeadHistory, email_domain_kind, first_number, lead_country
from leadflow.routing.rule_sets import RuleSetSource, default_rule_set
from leadflow.routing.rules import InvalidRuleSet, RuleSet, parse_rule_set
from leadflow.routing.scoring import score_submission
from leadflow.shared.models import ChannelKind, ContactCard, Score, ScorePart, Source, Temperature

HOT, WARM, COLD = Temperature.HOT, Temperature.WARM, Temperature.COLD
NOW = datetime(2026, 3, 14, 9, 26, 53, tzinfo=timezone.utc)  # the make_submission fixture's received_at


def shipped() -> dict[str, Any]:
    return json.loads(resources.files("leadflow.routing").joinpath("data/default_rules.json").read_text("utf-8"))


@pytest.fixture
def lead(make_submission):
    """A submission from an unknown channel unless `channel` is given, so each example
    states every source of points."""

    def build(channel: ChannelKind = ChannelKind.UNKNOWN, **fields: Any):
        return make_submission(source=Source(form_id="demo-form", channel=channel), **fields)

    return build


# -- the shipped rule sets -----------------------------------------------------------------------


@pytest.mark.parametrize("profile", ["b2b", "b2c"])
def test_each_shipped_profile_loads_validates_and_explains_itself(profile: str) -> None:
    rules = default_rule_set(profile)

    assert rules.profile == profile and rules.version == f"{profile}-2026.11"
    ids = [r.id for r in rules.rules]
    assert len(ids) == len(set(ids))
    assert all(r.reason.strip() and r.points != 0 for r in rules.rules)
    # the file's text validates to the same thing, and so does the rule set written back out
    assert parse_rule_set(shipped()["profiles"][profile]) == rules
    assert parse_rule_set(json.loads(rules.model_dump_json())) == rules


def test_shipped_thresholds_and_assignment_policy() -> None:
    b2b, b2c = default_rule_set("b2b"), default_rule_set("b2c")

    assert (b2b.thresholds.warm, b2b.thresholds.hot) == (30, 60)
    assert (b2c.thresholds.warm, b2c.thresholds.hot) == (25, 55)
    for rules in (b2b, b2c):
        assert rules.assignment.tiers(HOT) == [1, 2]
        assert rules.assignment.tiers(WARM) == [2, 1, 3]
        assert rules.assignment.tiers(COLD) == [3, 2]


def test_b2b_looks_at_firmographics_and_b2c_does_not() -> None:
    b2b_fields = {getattr(r, "field", None) for r in default_rule_set("b2b").rules}
    b2c_fields = {getattr(r, "field", None) for r in default_rule_set("b2c").rules}

    assert {"company_size", "industry", "job_title", "country"} <= b2b_fields
    assert not {"company_size", "industry", "job_title"} & b2c_fields
    assert {"budget", "timeline"} <= b2c_fields


# -- a table of example leads ---------------------------------------------------------------------

# (case, submission, expected points, temperature, matching rule ids)
B2B_EXAMPLES = [
    ("English name: quote, company email, US phone and company",
     {"name": "Jane Doe", "interest": "quote", "email": "jane@acme.io", "phone": "+12025550173", "company": "Acme"},
     40 + 15 + 10 + 10 + 5 + 5, HOT,
     {"intent-buy", "email-corporate", "has-phone", "has-company", "card-complete", "country-core"}),
    ("ebook from gmail",
     {"interest": "ebook", "email": "jane@gmail.com"},
     -10, COLD, {"intent-content"}),
    ("Spanish name: a question in Spanish from a company email and a Spanish phone",
     {"name": "María García", "interest": "pregunta", "email": "maria@empresa.es", "phone": "+34612345678"},
     20 + 15 + 10 + 5, WARM, {"intent-question", "email-corporate", "has-phone", "country-core"}),
    ("Arabic name: a quote asked in Arabic by a sales director in the Emirates",
     {"name": "محمد العلي", "interest": "عرض سعر", "email": "m@acme.ae", "phone": "+971501234567",
      "company": "أكمي", "job_title": "مدير المبيعات"},
     40 + 15 + 10 + 10 + 5 + 15 + 5, HOT,
     {"intent-buy", "email-corporate", "has-phone", "has-company", "card-complete", "senior-role", "country-core"}),
    ("warm threshold reached exactly (German phone: not a core market)",
     {"interest": "callback", "email": "jane@hotmail.com", "phone": "+4915112345678"},
     20 + 10, WARM, {"intent-question", "has-phone"}),
    ("one step under the warm threshold",
     {"interest": "contact", "email": "jane@yahoo.com", "message": "Call me"},
     20 + 5, COLD, {"intent-question", "has-message"}),
    ("hot threshold reached exactly",
     {"channel": ChannelKind.INBOUND, "interest": "demo", "email": "jane@gmail.com", "company": "Acme",
      "message": "Hi"},
     40 + 10 + 5 + 5, HOT, {"intent-buy", "has-company", "has-message", "source-inbound"}),
    ("just under the hot threshold",
     {"interest": "pricing", "email": "jane@acme.io"},
     40 + 15, WARM, {"intent-buy", "email-corporate"}),
    ("everything a great lead has, through a referral",
     {"channel": ChannelKind.REFERRAL, "interest": "trial", "email": "ceo@acme.io", "phone": "+12025550173",
      "company": "Acme", "job_title": "CEO", "message": "Let's talk",
      "fields": {"company_size": "201-1000", "industry": "SaaS", "budget": "$50,000", "timeline": "this quarter"}},
     40 + 15 + 10 + 10 + 5 + 15 + 5 + 15 + 5 + 10 + 10 + 5 + 15, HOT,
     {"intent-buy", "email-corporate", "has-phone", "has-company", "card-complete", "senior-role", "has-message", "company-size",
      "industry-fit", "budget-large", "timeline-soon", "country-core", "source-referral"}),
    ("a quote from a throwaway address is not a lead to chase",
     {"interest": "quote", "email": "x@mailinator.com"},
     40 - 40, COLD, {"intent-buy", "email-disposable"}),
    ("a subdomain of a disposable service counts as disposable",
     {"interest": "quote", "email": "x@inbox.mailinator.com"},
     40 - 40, COLD, {"intent-buy", "email-disposable"}),
    ("a job application through the sales form",
     {"interest": "question", "email": "ana@acme.io", "message": "I'd like to apply for a job, my CV is attached"},
     20 + 15 + 5 - 30, COLD, {"intent-question", "email-corporate", "has-message", "job-seeker"}),
    ("a vendor pitching us",
     {"email": "sales@agency.io", "message": "We offer SEO services and backlinks"},
     15 + 5 - 30, COLD, {"email-corporate", "has-message", "vendor-pitch"}),
    ("a student asking for a demo",
     {"interest": "demo", "email": "jo@gmail.com", "job_title": "Student"},
     40 - 20, COLD, {"intent-buy", "junior-role"}),
    ("a made-up name",
     {"name": "test", "interest": "quote", "email": "q@acme.io"},
     40 + 15 - 40, COLD, {"intent-buy", "email-corporate", "fake-name"}),
    ("senior role in Spanish",
     {"name": "Lucía Fernández", "interest": "pricing", "email": "lucia@hotmail.es", "job_title": "Directora Comercial"},
     40 + 15, WARM, {"intent-buy", "senior-role"}),
    ("a word that only contains a senior title does not count",
     {"email": "jane@gmail.com", "job_title": "Headhunter"},
     0, COLD, set()),
    ("company of 51 to 200 people, tiny budget, no hurry",
     {"email": "jane@acme.io", "fields": {"company_size": "51-200", "budget": "500", "timeline": "just researching"}},
     15 + 15 - 10 - 10, COLD, {"email-corporate", "company-size", "budget-tiny", "timeline-later"}),
    ("small company does not count",
     {"email": "jane@acme.io", "fields": {"company_size": "11-50"}},
     15, COLD, {"email-corporate"}),
    ("phone only, no email: no email rule applies; the phone gives the country",
     {"phone": "+12025550173"},
     10 + 5, COLD, {"has-phone", "country-core"}),
    ("the country field wins over the phone's",
     {"phone": "+12025550173", "country": "de"},
     10, COLD, {"has-phone"}),
    ("interest compared without case, as whole words",
     {"interest": "Get a QUOTE", "email": "jane@gmail.com"},
     40, WARM, {"intent-buy"}),
    ("unknown interest scores nothing",
     {"interest": "job application", "email": "jane@gmail.com"},
     0, COLD, set()),
    ("outbound answer",
     {"channel": ChannelKind.OUTBOUND, "interest": "call", "email": "bo@acme.io"},
     20 + 15 + 10, WARM, {"intent-question", "email-corporate", "source-outbound"}),
    ("inbound marketing",
     {"channel": ChannelKind.INBOUND, "interest": "webinar", "email": "bo@acme.io"},
     -10 + 15 + 5, COLD, {"intent-content", "email-corporate", "source-inbound"}),
]

B2C_EXAMPLES = [
    ("Spanish name: a booking this week, with a phone",
     {"name": "Lucía Fernández", "interest": "reservar", "email": "lucia@gmail.com", "phone": "+34612345678",
      "fields": {"timeline": "esta semana"}},
     40 + 15 + 15, HOT, {"intent-buy", "card-reachable", "timeline-soon"}),
    ("Arabic name: a question with a phone (free webmail is normal for people)",
     {"name": "أحمد حسن", "interest": "استفسار", "email": "ahmed@gmail.com", "phone": "+201001234567"},
     20 + 15, WARM, {"intent-question", "card-reachable"}),
    ("English name: a coupon",
     {"name": "John Smith", "interest": "coupon", "email": "john@gmail.com"},
     -10, COLD, {"intent-content"}),
    ("a budget written the European way",
     {"interest": "question", "email": "p@gmail.com", "fields": {"budget": "1.500 €"}},
     20 + 10, WARM, {"intent-question", "budget-set"}),
    ("hot threshold reached exactly",
     {"interest": "quote", "email": "q@gmail.com", "phone": "+34612345678"},
     40 + 15, HOT, {"intent-buy", "card-reachable"}),
    ("just under the hot threshold",
     {"channel": ChannelKind.INBOUND, "interest": "quote", "email": "q@gmail.com", "message": "How much?"},
     40 + 5 + 5, WARM, {"intent-buy", "has-message", "source-inbound"}),
    ("a company email earns nothing here",
     {"interest": "question", "email": "ana@acme.io"},
     20, COLD, {"intent-question"}),
]


def _check(score: Score, points: int, temperature: Temperature, rule_ids: set[str]) -> None:
    """`points`: the parts' sum; the score is it on the 0-100 scale, the sum kept when clamped."""
    assert {p.rule_id for p in score.parts} == rule_ids
    assert sum(p.points for p in score.parts) == points
    assert score.points == max(0, min(100, points))
    assert score.raw_points == (None if 0 <= points <= 100 else points)
    assert score.temperature == temperature


@pytest.mark.parametrize(("submission", "points", "temperature", "rule_ids"),
                         [pytest.param(*example, id=case) for case, *example in B2B_EXAMPLES])
def test_b2b_example_leads(lead, submission: dict, points: int, temperature: Temperature, rule_ids: set[str]) -> None:
    score = score_submission(lead(**submission))

    _check(score, points, temperature, rule_ids)
    assert (score.profile, score.rule_set_version) == ("b2b", "b2b-2026.11")


@pytest.mark.parametrize(("submission", "points", "temperature", "rule_ids"),
                         [pytest.param(*example, id=case) for case, *example in B2C_EXAMPLES])
def test_b2c_example_leads(lead, submission: dict, points: int, temperature: Temperature, rule_ids: set[str]) -> None:
    # the form's profile travels on the submission and picks the default rule set
    score = score_submission(lead(scoring_profile="b2c", **submission))

    _check(score, points, temperature, rule_ids)
    assert (score.profile, score.rule_set_version) == ("b2c", "b2c-2026.11")


def test_every_score_stores_its_parts_version_and_thresholds(lead) -> None:
    score = score_submission(lead(interest="quote", email="jane@acme.io", message="Hi"))

    assert sum(p.points for p in score.parts) == score.points
    assert [(p.rule_id, p.points, p.reason) for p in score.parts] == [
        ("intent-buy", 40, "Asked for a quote, demo, pricing or to buy"),
        ("email-corporate", 15, "Uses a company email address"),
        ("has-message", 5, "Wrote a message"),
    ]
    assert score.thresholds is not None and (score.thresholds.warm, score.thresholds.hot) == (30, 60)
    assert score.rule_set_version == "b2b-2026.11"


# -- each kind of rule ----------------------------------------------------------------------------


def one_rule(rule: dict[str, Any], **extra: Any) -> RuleSet:
    return parse_rule_set({"version": "t-1", "profile": "b2b", "thresholds": {"warm": 10, "hot": 20},
                           "rules": [{"id": "r", "points": 7, "reason": "because", **rule}], **extra})


def matched(rule_set: RuleSet, submission: Any, history: LeadHistory | None = None) -> bool:
    return [p.rule_id for p in score_submission(submission, rule_set, history).parts] == ["r"]


@pytest.mark.parametrize(("rule", "fields", "expected"), [
    ({"kind": "equals", "field": "industry", "value": "Retail"}, {"fields": {"industry": " retail "}}, True),
    ({"kind": "equals", "field": "industry", "value": "Retail"}, {"fields": {"industry": "Retail banking"}}, False),
    ({"kind": "in", "field": "country", "values": ["es", "MX"]}, {"country": "ES"}, True),
    ({"kind": "in", "field": "country", "values": ["ES", "MX"]}, {"country": "España"}, True),
    ({"kind": "in", "field": "country", "values": ["ES", "MX"]}, {"country": "AR"}, False),
    ({"kind": "range", "field": "budget", "min": 1000, "max": 5000}, {"fields": {"budget": "5k"}}, True),
    ({"kind": "range", "field": "budget", "min": 1000, "max": 5000}, {"fields": {"budget": "5,001"}}, False),
    ({"kind": "range", "field": "budget", "min": 1000}, {"fields": {"budget": "a lot"}}, False),
    ({"kind": "range", "field": "company_size", "max": 10}, {"fields": {"company_size": "1-10"}}, True),
    ({"kind": "pattern", "field": "job_title", "pattern": "(?i)^vp\\b"}, {"job_title": "VP Sales"}, True),
    ({"kind": "pattern", "field": "job_title", "pattern": "^vp\\b"}, {"job_title": "VP Sales"}, False),
    ({"kind": "present", "field": "company"}, {"company": "Acme"}, True),
    ({"kind": "present", "field": "company"}, {}, False),
    ({"kind": "present", "field": "custom.plan"}, {"fields": {"plan": "pro"}}, True),
    ({"kind": "equals", "field": "custom.plan", "value": "pro"}, {"fields": {"plan": "pro"}}, True),
    ({"kind": "equals", "field": "form_id", "value": "demo-form"}, {}, True),
    ({"kind": "in", "field": "language", "values": ["es"]}, {"language": "es"}, True),
    ({"kind": "email_domain", "domain_kind": "free"}, {"email": "a@gmail.com"}, True),
    ({"kind": "email_domain", "domain_kind": "corporate"}, {"email": "a@gmail.com"}, False),
    ({"kind": "email_domain", "domain_kind": "disposable"}, {"email": "a@yopmail.com"}, True),
    ({"kind": "email_domain", "domain_kind": "corporate"}, {"phone": "+12025550173"}, False),
    ({"kind": "intent", "values": ["demo"]}, {"interest": "book a demo please"}, True),
    ({"kind": "intent", "values": ["demo"]}, {"interest": "demolition"}, False),
    ({"kind": "channel", "values": ["referral", "outbound"]},
     {"source": Source(form_id="demo-form", channel=ChannelKind.OUTBOUND)}, True),
    ({"kind": "channel", "values": ["referral"]}, {"source": Source(form_id="demo-form")}, False),
    ({"kind": "completeness", "fields": ["name", "email", "phone", "company"]},
     {"email": "a@b.io", "phone": "+12025550173", "company": "Acme"}, True),
    ({"kind": "completeness", "fields": ["name", "email", "phone", "company"]}, {"email": "a@b.io"}, False),
    ({"kind": "completeness", "fields": ["email", "phone", "company"], "min_present": 2},
     {"email": "a@b.io", "company": "Acme"}, True),
])
def test_each_kind_of_rule(make_submission, rule: dict, fields: dict, expected: bool) -> None:
    assert matched(one_rule(rule), make_submission(**fields)) is expected


def test_a_form_without_an_interest_field_has_the_intent_the_rule_set_gives_it(make_submission) -> None:
    rules = one_rule({"kind": "intent", "values": ["quote"]}, form_intents={"pricing-page": "quote"})

    assert matched(rules, make_submission(form_id="pricing-page"))
    assert not matched(rules, make_submission(form_id="newsletter-page"))
    # an interest the visitor chose wins over the form's intent
    assert not matched(rules, make_submission(form_id="pricing-page", interest="ebook"))


@pytest.mark.parametrize(("visits_days_ago", "rule", "expected"), [
    ([3], {"within_days": 30}, True),
    ([29.9], {"within_days": 30}, True),
    ([31], {"within_days": 30}, False),
    ([], {"within_days": 30}, False),
    ([1, 40], {"within_days": 30, "min_previous": 2}, False),
    ([1, 2], {"within_days": 30, "min_previous": 2}, True),
])
def test_repeat_submissions_within_n_days(make_submission, visits_days_ago, rule, expected) -> None:
    history = LeadHistory(previous_visits=tuple(NOW - timedelta(days=d) for d in visits_days_ago))

    assert matched(one_rule({"kind": "repeat", **rule}), make_submission(), history) is expected


def test_a_returning_lead_keeps_what_its_card_knows(lead) -> None:
    # GIVEN a lead who gave company and phone last time, and only an email now
    card = ContactCard(name="Ana López", email="ana@acme.io", phone="+34612345678", company="Acme")
    submission = lead(name="Ana López", email="ana@acme.io", interest="quote")
    history = LeadHistory(card=card, previous_visits=(NOW - timedelta(days=2),))

    # WHEN the lead is re-scored
    score = score_submission(submission, default_rule_set("b2b"), history)

    # THEN the card fills the gaps, and the visit two days ago counts
    assert {p.rule_id for p in score.parts} == {
        "intent-buy", "email-corporate", "has-phone", "has-company", "card-complete", "country-core", "repeat-visit"}
    assert score.points == 40 + 15 + 10 + 10 + 5 + 5 + 10


@pytest.mark.parametrize(("text", "number"), [
    ("51-200", 51), ("5000+", 5000), ("$25,000", 25000), ("25.000 €", 25000), ("10 000", 10000),
    ("25k", 25000), ("1,5k", 1500), ("1.5M", 1_500_000), ("2 millones", 2_000_000), ("30 mil", 30000),
    ("about 120 people", 120), ("12.5", 12.5), ("none", None), ("", None),
])
def test_first_number_reads_what_people_write(text: str, number: float | None) -> None:
    assert first_number(text) == number


@pytest.mark.parametrize(("domain", "kind"), [
    ("gmail.com", "free"), ("GMAIL.COM", "free"), ("hotmail.es", "free"), ("mailinator.com", "disposable"),
    ("x.guerrillamail.com", "disposable"), ("acme.io", "corporate"), ("mailinator.com.acme.io", "corporate"),
])
def test_email_domain_kinds(domain: str, kind: str) -> None:
    assert email_domain_kind(domain) == kind


@pytest.mark.parametrize(("country", "phone", "expected"), [
    ("es", None, "ES"), (" Spain ", None, "ES"), ("UK", None, "GB"), ("MX", "+12025550173", "MX"),
    (None, "+34612345678", "ES"), ("Narnia", "+971501234567", "AE"), (None, None, None), ("Narnia", None, None),
])
def test_the_leads_country(country, phone, expected) -> None:
    assert lead_country(ContactCard(name="A", country=country, phone=phone)) == expected


@pytest.mark.parametrize(("points", "expected"), [(-50, COLD), (29, COLD), (30, WARM), (59, WARM), (60, HOT)])
def test_thresholds_turn_points_into_temperature(points: int, expected: Temperature) -> None:
    assert default_rule_set("b2b").temperature(points) == expected


# -- validation: refused with the rule and the field named ------------------------------------------


def rule_set_with(rules: list[dict] | None = None, **changes: Any) -> dict:
    doc = copy.deepcopy(shipped()["profiles"]["b2b"])
    if rules is not None:
        doc["rules"] = rules
    doc.update(changes)
    return doc


def rule(**fields: Any) -> dict:
    return {"id": "x", "kind": "in", "field": "interest", "values": ["a"], "points": 1, "reason": "r", **fields}


@pytest.mark.parametrize(("document", "message"), [
    (rule_set_with([rule(kind="crystal_ball")]),
     "rule 'x' (rules[0]), field 'kind': 'crystal_ball' is not a rule kind; use one of equals, in,"),
    (rule_set_with([{k: v for k, v in rule().items() if k != "kind"}]), "rule 'x' (rules[0]), field 'kind': missing"),
    (rule_set_with([{k: v for k, v in rule().items() if k != "values"}]), "rule 'x' (rules[0]), field 'values': Field required"),
    (rule_set_with([rule(values=[])]), "rule 'x' (rules[0]), field 'values': List should have at least 1 item"),
    (rule_set_with([rule(field="job_tittle")]), "rule 'x' (rules[0]), field 'field': 'job_tittle' is not a lead field"),
    (rule_set_with([rule(valeus=["a"])]), "rule 'x' (rules[0]), field 'valeus': not a setting of this kind of rule"),
    (rule_set_with([rule(points="lots")]), "rule 'x' (rules[0]), field 'points': Input should be a valid integer"),
    (rule_set_with([rule(points=500)]), "rule 'x' (rules[0]), field 'points': Input should be less than or equal to 100"),
    (rule_set_with([rule(reason="")]), "rule 'x' (rules[0]), field 'reason'"),
    (rule_set_with([{k: v for k, v in rule().items() if k != "id"}]), "rule #1 (rules[0], no id), field 'id': Field required"),
    (rule_set_with([{"id": "senior", "kind": "pattern", "field": "job_title", "pattern": "(unclosed", "points": 5,
                     "reason": "r"}]),
     "rule 'senior' (rules[0]), field 'pattern': invalid regular expression: missing ), unterminated subpattern"),
    (rule_set_with([{"id": "rich", "kind": "range", "field": "budget", "points": 5, "reason": "r"}]),
     "rule 'rich' (rules[0]): give min, max or both"),
    (rule_set_with([{"id": "rich", "kind": "range", "field": "budget", "min": 10, "max": 5, "points": 5, "reason": "r"}]),
     "rule 'rich' (rules[0]): min 10 is above max 5"),
    (rule_set_with([{"id": "mail", "kind": "email_domain", "domain_kind": "gmail", "points": 1, "reason": "r"}]),
     "rule 'mail' (rules[0]), field 'domain_kind': Input should be 'corporate', 'free' or 'disposable'"),
    (rule_set_with([{"id": "src", "kind": "channel", "values": ["pigeon"], "points": 1, "reason": "r"}]),
     "rule 'src' (rules[0]), field 'values.0'"),
    (rule_set_with([{"id": "card", "kind": "completeness", "fields": ["email"], "min_present": 2, "points": 1,
                     "reason": "r"}]),
     "rule 'card' (rules[0]): min_present 2 is more than the 1 fields listed"),
    (rule_set_with([{"id": "back", "kind": "repeat", "within_days": 0, "points": 1, "reason": "r"}]),
     "rule 'back' (rules[0]), field 'within_days'"),
    (rule_set_with([rule(id="dup"), rule(id="dup")]), "rule 'dup': field 'id': used by more than one rule"),
    (rule_set_with([]), "field 'rules': List should have at least 1 item"),
    (rule_set_with(thresholds={"warm": 60, "hot": 30}),
     "field 'thresholds': the hot threshold (30) must be above the warm one (60)"),
    (rule_set_with(thresholds={"warm": 60, "hot": 60}), "field 'thresholds': the hot threshold (60) must be above"),
    (rule_set_with(thresholds={"warm": 30}), "field 'thresholds.hot': Field required"),
    (rule_set_with(profile="b2x"), "field 'profile': Input should be 'b2b' or 'b2c'"),
    (rule_set_with(assignment={"hot": [1, 4]}), "field 'assignment.hot.1': Input should be less than or equal to 3"),
    (rule_set_with(assignment={"cold": [3, 3]}), "field 'assignment': cold: a tier is listed twice: [3, 3]"),
    (rule_set_with(assignment={"hot": []}), "field 'assignment.hot': List should have at least 1 item"),
    (rule_set_with(thresholdz={"warm": 1, "hot": 2}), "field 'thresholdz': not a setting of a rule set"),
], ids=lambda v: v if isinstance(v, str) else "")
def test_an_invalid_rule_set_is_refused_naming_the_rule_and_field(document: dict, message: str) -> None:
    with pytest.raises(InvalidRuleSet) as refused:
        parse_rule_set(document)

    assert any(problem.startswith(message) for problem in refused.value.problems), refused.value.problems
    assert isinstance(refused.value, ValueError)


def test_every_problem_is_reported_at_once() -> None:
    doc = rule_set_with([rule(id="a", field="nope"), rule(id="b", kind="crystal_ball")],
                        thresholds={"warm": 5, "hot": 1})

    with pytest.raises(InvalidRuleSet) as refused:
        parse_rule_set(doc)

    assert len(refused.value.problems) == 3
    assert "rule 'a' (rules[0])" in str(refused.value) and "rule 'b' (rules[1])" in str(refused.value)


def test_a_document_that_is_not_an_object_is_refused() -> None:
    with pytest.raises(InvalidRuleSet, match="valid dictionary"):
        parse_rule_set(["not", "a", "rule set"])


# -- overrides: from the table, cached per container ------------------------------------------------


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def override(version: str, profile: str = "b2b", **changes: Any) -> str:
    doc = rule_set_with(version=version, profile=profile, **changes)
    return json.dumps(doc)


def test_an_override_is_read_once_per_ttl_and_picked_up_after_it() -> None:
    # GIVEN a stored override, and a source with a 60 s cache
    stored = {"b2b": override("custom-1")}
    reads: list[str] = []
    clock = FakeClock()
    source = RuleSetSource(lambda p: reads.append(p) or stored.get(p), ttl_seconds=60, clock=clock)

    # WHEN a batch of records asks for it again and again
    versions = [source.get("b2b").version for _ in range(5)]

    # THEN the table is read once
    assert versions == ["custom-1"] * 5 and reads == ["b2b"]

    # WHEN the override changes: still cached for the rest of the minute, then the new one
    stored["b2b"] = override("custom-2")
    clock.now += 59
    assert source.get("b2b").version == "custom-1"
    clock.now += 2
    assert source.get("b2b").version == "custom-2"
    assert reads == ["b2b", "b2b"]

    # AND without an override (deleted), the shipped default applies again after the TTL
    del stored["b2b"]
    clock.now += 61
    assert source.get("b2b") == default_rule_set("b2b")


def test_each_profile_has_its_own_override() -> None:
    source = RuleSetSource({"b2c": override("shop-7", profile="b2c")}.get, clock=FakeClock())

    assert source.get("b2c").version == "shop-7"
    assert source.get("b2b").version == "b2b-2026.11"


@pytest.mark.parametrize("stored", [
    "{not json",
    json.dumps(rule_set_with(thresholds={"warm": 9, "hot": 1})),
    override("for-the-other-profile", profile="b2c"),
])
def test_a_broken_override_falls_back_to_the_default_and_is_logged(stored: str, caplog) -> None:
    source = RuleSetSource(lambda profile: stored, clock=FakeClock())

    with caplog.at_level(logging.ERROR, logger="leadflow.scoring"):
        rules = source.get("b2b")

    assert rules == default_rule_set("b2b")
    assert "override for b2b" in caplog.text


# -- top_reasons --------------------------------------------------------------------------------------


def test_top_reasons_are_the_strongest_parts_first_by_absolute_points() -> None:
    parts = [("message", 5, "Wrote"), ("content", -10, "Content"), ("buy", 40, "Buy"),
             ("corporate", 15, "Corporate"), ("phone", 10, "Phone")]
    score = Score(points=60, temperature=HOT, rule_set_version="t",
                  parts=[ScorePart(rule_id=r, points=p, reason=why) for r, p, why in parts])

    assert [p.rule_id for p in score.top_reasons()] == ["buy", "corporate", "content"]
    assert [p.rule_id for p in score.top_reasons(limit=1)] == ["buy"]
    assert [p.rule_id for p in score.top_reasons(limit=10)] == ["buy", "corporate", "content", "phone", "message"]


def test_top_reasons_keep_rule_order_on_ties_and_handle_no_parts() -> None:
    score = Score(points=30, temperature=WARM, rule_set_version="t", parts=[
        ScorePart(rule_id="a", points=10, reason="A"), ScorePart(rule_id="b", points=-10, reason="B"),
        ScorePart(rule_id="c", points=10, reason="C"),
    ])

    assert [p.rule_id for p in score.top_reasons(2)] == ["a", "b"]
    assert Score(points=0, temperature=COLD, parts=[], rule_set_version="t").top_reasons() == []
