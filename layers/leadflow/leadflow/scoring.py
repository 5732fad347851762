"""Explainable lead scoring: a rule set is data, every point carries its reason."""

from __future__ import annotations

import json
import re
from functools import cache
from importlib import resources
from typing import Annotated, Literal

from pydantic import BaseModel, Field, model_validator

from leadflow.models import Score, ScorePart, Submission, Temperature


class _Rule(BaseModel):
    id: str
    points: int
    reason: str


class FieldIn(_Rule):
    kind: Literal["field_in"]
    field: str
    values: list[str]


class Present(_Rule):
    kind: Literal["present"]
    field: str


class Pattern(_Rule):
    kind: Literal["pattern"]
    field: str
    pattern: str

    @model_validator(mode="after")
    def _compiles(self) -> Pattern:
        try:
            re.compile(self.pattern)
        except re.error as exc:  # not a ValueError: pydantic would let it escape
            raise ValueError(f"rule {self.id!r}: field {self.field!r}: invalid pattern: {exc}") from None
        return self


class EmailDomain(_Rule):
    kind: Literal["email_domain"]
    domain_kind: Literal["corporate", "free"]


Rule = Annotated[FieldIn | Present | Pattern | EmailDomain, Field(discriminator="kind")]


class Thresholds(BaseModel):
    warm: int
    hot: int

    @model_validator(mode="after")
    def _ordered(self) -> Thresholds:
        if self.hot <= self.warm:
            raise ValueError("the hot threshold must be above the warm one")
        return self


class RuleSet(BaseModel):
    version: str
    thresholds: Thresholds
    rules: list[Rule]

    def temperature(self, points: int) -> Temperature:
        if points >= self.thresholds.hot:
            return Temperature.HOT
        if points >= self.thresholds.warm:
            return Temperature.WARM
        return Temperature.COLD


@cache
def default_rule_set() -> RuleSet:
    """The rule set shipped in the layer (rules/default.json)."""
    text = resources.files("leadflow").joinpath("rules/default.json").read_text("utf-8")
    return RuleSet.model_validate(json.loads(text))


@cache
def free_email_domains() -> frozenset[str]:
    text = resources.files("leadflow").joinpath("data/free_email_domains.txt").read_text("utf-8")
    return frozenset(line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#"))


def scoring_facts(submission: Submission) -> dict[str, str]:
    """The fields rules look at: the contact card, intent and the form's extra fields."""
    contact = submission.contact
    facts = dict(submission.fields)
    facts.update({
        "name": contact.name, "email": contact.email or "", "phone": contact.phone or "",
        "company": contact.company or "", "job_title": contact.job_title or "",
        "country": contact.country or "", "interest": submission.interest or "",
        "message": submission.message or "", "channel": submission.source.channel.value,
    })
    return {k: v for k, v in facts.items() if v}


def _matches(rule: FieldIn | Present | Pattern | EmailDomain, facts: dict[str, str]) -> bool:
    match rule:
        case FieldIn():
            return facts.get(rule.field, "").strip().lower() in {v.lower() for v in rule.values}
        case Present():
            return rule.field in facts
        case Pattern():
            return bool(re.search(rule.pattern, facts.get(rule.field, "")))
        case EmailDomain():
            email = facts.get("email")
            if not email:
                return False
            is_free = email.rsplit("@", 1)[-1] in free_email_domains()
            return is_free == (rule.domain_kind == "free")
    return False


def score_submission(submission: Submission, rule_set: RuleSet | None = None) -> Score:
    """Score a submission: the sum of the matching rules' points, each with its reason."""
    rules = rule_set or default_rule_set()
    facts = scoring_facts(submission)
    parts = [
        ScorePart(rule_id=rule.id, points=rule.points, reason=rule.reason)
        for rule in rules.rules
        if _matches(rule, facts)
    ]
    points = sum(p.points for p in parts)
    return Score(points=points, temperature=rules.temperature(points), parts=parts, rule_set_version=rules.version)
