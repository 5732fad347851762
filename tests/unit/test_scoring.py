"""Explainable scoring: rules are data, thresholds turn points into temperature.

Expected points below are worked out by hand from rules/default.json (version default-2026.11):
  intent-buy +40 (quote, demo, pricing, buy, trial)   intent-question +20 (question, contact, call, callback)
  intent-content -10 (newsletter, ebook, webinar, event, whitepaper)
  email-corporate +15   has-phone +10   has-company +10   company-size +15 (51+ people)
  senior-role +15 (job title pattern)   has-message +5
  thresholds: warm >= 30, hot >= 60
"""

from __future__ import annotations

import copy
import json
from importlib import resources

import pytest
from pydantic import ValidationError

from leadflow.models import Score, ScorePart, Temperature
from leadflow.scoring import RuleSet, default_rule_set, score_submission

HOT, WARM, COLD = Temperature.HOT, Temperature.WARM, Temperature.COLD


def default_rules_json() -> dict:
    return json.loads(resources.files("leadflow").joinpath("rules/default.json").read_text("utf-8"))


def test_default_rule_set_loads_and_validates() -> None:
    rules = default_rule_set()

    assert rules.version == "default-2026.11"
    assert (rules.thresholds.warm, rules.thresholds.hot) == (30, 60)
    ids = [r.id for r in rules.rules]
    assert len(ids) == len(set(ids)), "rule ids must be unique: the reasons are keyed by them"
    assert all(r.reason.strip() for r in rules.rules)
    # validating the file's text again gives the same rule set
    assert RuleSet.model_validate(default_rules_json()) == rules


# (case, submission, expected points, expected temperature, matching rule ids)
EXAMPLES = [
    ("quote from a corporate email with phone and company",
     {"interest": "quote", "email": "jane@acme.io", "phone": "+12025550173", "company": "Acme"},
     40 + 15 + 10 + 10, HOT, {"intent-buy", "email-corporate", "has-phone", "has-company"}),
    ("ebook from gmail",
     {"interest": "ebook", "email": "jane@gmail.com"},
     -10, COLD, {"intent-content"}),
    ("question from a corporate email with phone",
     {"interest": "question", "email": "jane@acme.io", "phone": "+34612345678"},
     20 + 15 + 10, WARM, {"intent-question", "email-corporate", "has-phone"}),
    ("warm threshold reached exactly",
     {"interest": "callback", "email": "jane@hotmail.com", "phone": "+971501234567"},
     20 + 10, WARM, {"intent-question", "has-phone"}),
    ("one step under the warm threshold",
     {"interest": "contact", "email": "jane@yahoo.com", "message": "Call me"},
     20 + 5, COLD, {"intent-question", "has-message"}),
    ("hot threshold reached exactly",
     {"interest": "demo", "email": "jane@gmail.com", "phone": "+12025550173", "company": "Acme"},
     40 + 10 + 10, HOT, {"intent-buy", "has-phone", "has-company"}),
    ("just under the hot threshold",
     {"interest": "pricing", "email": "jane@acme.io"},
     40 + 15, WARM, {"intent-buy", "email-corporate"}),
    ("everything a great lead has",
     {"interest": "trial", "email": "ceo@acme.io", "phone": "+12025550173", "company": "Acme",
      "job_title": "CEO", "message": "Let's talk", "fields": {"company_size": "201-1000"}},
     40 + 15 + 10 + 10 + 15 + 15 + 5, HOT,
     {"intent-buy", "email-corporate", "has-phone", "has-company", "senior-role", "company-size", "has-message"}),
    ("senior role in Spanish",
     {"interest": "pricing", "email": "lucia@hotmail.es", "job_title": "Directora Comercial"},
     40 + 15, WARM, {"intent-buy", "senior-role"}),
    ("senior role in Arabic",
     {"interest": "call", "email": "m@acme.ae", "phone": "+971501234567", "job_title": "مدير المبيعات"},
     20 + 15 + 10 + 15, HOT, {"intent-question", "email-corporate", "has-phone", "senior-role"}),
    ("a word that only contains a senior title does not count",
     {"email": "jane@gmail.com", "job_title": "Headhunter"},
     0, COLD, set()),
    ("small company does not count",
     {"email": "jane@acme.io", "fields": {"company_size": "11-50"}},
     15, COLD, {"email-corporate"}),
    ("phone only, no email: neither the corporate nor the free email rule applies",
     {"phone": "+12025550173"},
     10, COLD, {"has-phone"}),
    ("interest compared without case",
     {"interest": "QUOTE", "email": "jane@gmail.com"},
     40, WARM, {"intent-buy"}),
    ("unknown interest scores nothing",
     {"interest": "job application", "email": "jane@gmail.com"},
     0, COLD, set()),
]


@pytest.mark.parametrize(
    ("submission", "points", "temperature", "rule_ids"),
    [pytest.param(*expected, id=case) for case, *expected in EXAMPLES],
)
def test_default_rules_score_example_submissions(
    make_submission, submission: dict, points: int, temperature: Temperature, rule_ids: set[str],
) -> None:
    score = score_submission(make_submission(**submission))

    assert score.points == points
    assert score.temperature == temperature
    assert {p.rule_id for p in score.parts} == rule_ids
    assert score.rule_set_version == "default-2026.11"


@pytest.mark.parametrize(
    "submission",
    [
        {"interest": "quote", "email": "jane@acme.io", "phone": "+12025550173", "company": "Acme"},
        {"interest": "ebook", "email": "jane@gmail.com"},
        {"interest": "question", "email": "jane@acme.io", "phone": "+34612345678", "message": "Hi"},
        {"email": "jane@gmail.com"},
    ],
)
def test_every_score_explains_itself(make_submission, submission: dict) -> None:
    score = score_submission(make_submission(**submission))

    assert sum(p.points for p in score.parts) == score.points
    assert all(p.reason.strip() for p in score.parts)
    assert all(p.points != 0 for p in score.parts)
    assert len({p.rule_id for p in score.parts}) == len(score.parts)


def test_a_custom_rule_set_is_used_when_given(make_submission) -> None:
    # GIVEN a rule set where Spain is worth a lot and the thresholds are low
    rules = RuleSet.model_validate({
        "version": "test-1",
        "thresholds": {"warm": 10, "hot": 20},
        "rules": [
            {"id": "spain", "kind": "field_in", "field": "country", "values": ["ES"], "points": 25,
             "reason": "In Spain"},
            {"id": "free-email", "kind": "email_domain", "domain_kind": "free", "points": -5,
             "reason": "Free email"},
            {"id": "retail", "kind": "pattern", "field": "industry", "pattern": "(?i)retail", "points": 3,
             "reason": "Retail"},
        ],
    })

    # WHEN a Spanish visitor with a gmail address from retail is scored
    score = score_submission(
        make_submission(country="es", email="ana@gmail.com", fields={"industry": "Retail banking"}), rules)

    # THEN the custom rules apply: 25 - 5 + 3 = 23 is hot
    assert score.points == 23
    assert score.temperature == HOT
    assert [p.rule_id for p in score.parts] == ["spain", "free-email", "retail"]
    assert score.rule_set_version == "test-1"


@pytest.mark.parametrize(
    ("points", "expected"), [(-50, COLD), (29, COLD), (30, WARM), (59, WARM), (60, HOT), (500, HOT)],
)
def test_thresholds_turn_points_into_temperature(points: int, expected: Temperature) -> None:
    assert default_rule_set().temperature(points) == expected


# -- RuleSet validation -------------------------------------------------------------------------


def rule_set_with(**changes) -> dict:
    doc = copy.deepcopy(default_rules_json())
    doc.update(changes)
    return doc


@pytest.mark.parametrize("thresholds", [{"warm": 60, "hot": 60}, {"warm": 60, "hot": 30}, {"warm": 0, "hot": -1}])
def test_rule_set_refuses_hot_threshold_not_above_warm(thresholds: dict) -> None:
    with pytest.raises(ValidationError, match="hot threshold"):
        RuleSet.model_validate(rule_set_with(thresholds=thresholds))


def test_rule_set_refuses_unknown_rule_kind() -> None:
    doc = rule_set_with(rules=[{"id": "x", "kind": "crystal_ball", "field": "name", "points": 99, "reason": "?"}])

    with pytest.raises(ValidationError):
        RuleSet.model_validate(doc)


@pytest.mark.parametrize(
    "rule",
    [
        {"id": "x", "kind": "field_in", "field": "interest", "points": 1, "reason": "r"},          # values missing
        {"id": "x", "kind": "present", "points": 1, "reason": "r"},                                 # field missing
        {"id": "x", "kind": "email_domain", "domain_kind": "gmail", "points": 1, "reason": "r"},    # bad kind
        {"id": "x", "kind": "present", "field": "phone", "points": "lots", "reason": "r"},          # not an int
        {"kind": "present", "field": "phone", "points": 1, "reason": "r"},                          # no id
    ],
)
def test_rule_set_refuses_incomplete_rules(rule: dict) -> None:
    with pytest.raises(ValidationError):
        RuleSet.model_validate(rule_set_with(rules=[rule]))


@pytest.mark.parametrize("pattern", ["(unclosed", "*starts-with-star"])
def test_rule_set_refuses_a_pattern_that_does_not_compile(pattern: str) -> None:
    # GIVEN a rule set file with a broken regular expression
    doc = rule_set_with(rules=[{"id": "bad", "kind": "pattern", "field": "job_title", "pattern": pattern,
                                "points": 5, "reason": "broken"}])

    # WHEN / THEN it is refused like every other invalid rule set: a pydantic ValidationError
    # (so whoever loads rule sets handles one kind of error), naming the pattern
    with pytest.raises(ValidationError, match="pattern"):
        RuleSet.model_validate(doc)


# -- top_reasons --------------------------------------------------------------------------------


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
