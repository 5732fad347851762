"""Explainable lead scoring: `score_submission` is a pure function, the submission, the
lead's history and a rule set in, a `Score` with its parts (each with its reason) out."""

from __future__ import annotations

from leadflow.routing.facts import (
    CUSTOM_PREFIX,
    PROFILE_FACTS,
    Facts,
    LeadHistory,
    lead_country,
    merged_contact,
)
from leadflow.routing.rule_sets import default_rule_set
from leadflow.routing.rules import RuleSet
from leadflow.shared.models import Score, ScorePart, ScoreThresholds, Submission, on_the_scale


def scoring_facts(submission: Submission, rule_set: RuleSet, history: LeadHistory | None = None) -> Facts:
    """The facts rules look at: the contact card, the profile fields, the source and
    the form's own fields (as `custom.<name>`)."""
    history = history or LeadHistory()
    contact = merged_contact(submission, history.card)
    values: dict[str, str] = {}
    for key, value in submission.fields.items():
        values[key if key in PROFILE_FACTS else f"{CUSTOM_PREFIX}{key}"] = value
    source = submission.source
    values.update({
        "name": contact.name, "email": contact.email or "", "phone": contact.phone or "",
        "company": contact.company or "", "job_title": contact.job_title or "",
        "country": lead_country(contact) or "",
        "email_domain": contact.email.rsplit("@", 1)[-1] if contact.email and "@" in contact.email else "",
        "interest": submission.interest or "", "message": submission.message or "",
        "channel": source.channel.value, "language": submission.language, "form_id": submission.form_id,
        "utm_source": source.utm_source or "", "utm_medium": source.utm_medium or "",
        "utm_campaign": source.utm_campaign or "", "referrer": source.referrer or "",
        "landing_page": source.landing_page or "",
    })
    intent = submission.interest or rule_set.form_intents.get(submission.form_id, "")
    return Facts(
        values={k: v for k, v in values.items() if v}, intent=" ".join(intent.casefold().split()),
        received_at=submission.received_at, previous_visits=history.previous_visits,
    )


def score_facts(facts: Facts, rule_set: RuleSet) -> Score:
    """The sum of the matching rules' points on the 0-100 scale (clamped; the sum kept
    as `raw_points` when it was), each part with its reason, and the temperature the
    rule set's thresholds give it."""
    parts = [ScorePart(rule_id=rule.id, points=rule.points, reason=rule.reason, reasons=rule.reasons or None)
             for rule in rule_set.rules if rule.matches(facts)]
    raw = sum(p.points for p in parts)
    points = on_the_scale(raw)
    return Score(
        points=points, raw_points=raw if raw != points else None, temperature=rule_set.temperature(points),
        parts=parts, rule_set_version=rule_set.version, profile=rule_set.profile,
        thresholds=ScoreThresholds(warm=rule_set.thresholds.warm, hot=rule_set.thresholds.hot),
    )


def score_submission(submission: Submission, rule_set: RuleSet | None = None,
                     history: LeadHistory | None = None) -> Score:
    """Score a lead as of this submission: its rules are the form's profile default
    unless a rule set is given; `history` adds what the lead card knows and its visits."""
    rules = rule_set or default_rule_set(submission.scoring_profile)
    return score_facts(scoring_facts(submission, rules, history), rules)
