"""Rule sets as admins keep them: which one scores a profile now (the stored override or
the shipped default), store a validated override, remove it. The admin API
(`/admin/rules/{profile}`) and `leadflow rules` are two doors to these functions; trying a
rule set on past leads before storing it is `leadflow.routing.trial`.

A stored override reaches every scorer within a minute (leadflow.routing.rule_sets keeps
what it read for 60 s)."""

from __future__ import annotations

import json
from typing import Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

from leadflow.routing.rule_sets import default_rule_set
from leadflow.routing.rules import InvalidRuleSet, Profile, RuleSet, parse_rule_set
from leadflow.shared.http import FieldError
from leadflow.shared.refusal import Invalid

# Each problem's code; the refusal as a whole is `invalid_rules` (InvalidRules.code).
RULE_SET_PROBLEM = "invalid_rule_set"


class RuleSetOverrides(Protocol):
    """Where overrides are kept (leadflow.routing.store.RoutingStore)."""

    def get_rule_set_json(self, profile: str) -> str | None: ...

    def put_rule_set_json(self, profile: str, text: str, version: str) -> None: ...

    def delete_rule_set(self, profile: str) -> bool: ...


class InvalidRules(Invalid):
    """A rule set that cannot be stored or tried: one error per problem, each naming the
    rule and the field (`rule 'senior-role' (rules[10]), field 'pattern': ...`)."""

    code = "invalid_rules"


class RuleSetInForce(BaseModel):
    """What scores a profile's leads now."""

    profile: Profile
    in_force: Literal["override", "default"] = Field(
        description="`override`: the rule set stored in the table; `default`: the one shipped in the layer")
    override_problems: list[str] = Field(
        default_factory=list, description="a stored override the scorer cannot use (written around this API, or by "
                                          "an older version) is ignored, the default used: why, one line a problem")
    rule_set: RuleSet


class OverrideRemoved(RuleSetInForce):
    """What a removal left: the shipped default, in force again."""

    removed: bool = Field(description="false: there was no override")


def checked_rule_set(document: Any, profile: str | None = None) -> RuleSet:
    """The rule set a document (parsed JSON) is, for `profile` when one is named (the
    admin API's path); InvalidRules lists every problem at once."""
    problems: list[str] = []
    fields: list[str | None] = []
    rule_set: RuleSet | None = None
    try:
        rule_set = parse_rule_set(document)
    except InvalidRuleSet as invalid:
        problems, fields = list(invalid.problems), list(invalid.fields)
    written = document.get("profile") if isinstance(document, dict) else None
    if profile is not None and isinstance(written, str) and written != profile:
        problems.append(f"field 'profile': this rule set is for {written!r}, the address is for {profile!r}")
        fields.append("profile")
    if problems or rule_set is None:
        raise InvalidRules([FieldError(field=field, code=RULE_SET_PROBLEM, message=problem)
                            for field, problem in zip(fields, problems, strict=True)],
                           "the rule set is not valid: every problem in `errors`")
    return rule_set


def in_force(profile: str, stored: str | None) -> RuleSetInForce:
    """What scores a profile's leads, from its stored override (JSON text, or None): an
    override that no longer validates is skipped by the scorer (it logs it and scores
    with the default), so it is shown as such, with its problems."""
    problems: list[str] = []
    if stored is not None:
        try:
            rule_set = parse_rule_set(json.loads(stored))
            if rule_set.profile == profile:
                return RuleSetInForce(profile=profile, in_force="override", rule_set=rule_set)
            problems = [f"field 'profile': stored for {profile} but written for {rule_set.profile}"]
        except json.JSONDecodeError as error:
            problems = [f"not valid JSON: {error}"]
        except InvalidRuleSet as invalid:
            problems = invalid.problems
    return RuleSetInForce(profile=profile, in_force="default", override_problems=problems,
                          rule_set=default_rule_set(profile))


def rule_set_in_force(store: RuleSetOverrides, profile: str) -> RuleSetInForce:
    """The rule set scoring a profile's leads now (one GetItem)."""
    return in_force(profile, store.get_rule_set_json(profile))


def store_override(store: RuleSetOverrides, profile: str, document: Any) -> RuleSetInForce:
    """Validate a rule set document and store it as the profile's override, as written
    (it replaces the previous one); InvalidRules, nothing stored, when it is not valid."""
    rule_set = checked_rule_set(document, profile)
    store.put_rule_set_json(profile, json.dumps(document, ensure_ascii=False), rule_set.version)
    return RuleSetInForce(profile=profile, in_force="override", rule_set=rule_set)


def remove_override(store: RuleSetOverrides, profile: str) -> OverrideRemoved:
    """Remove a profile's override: the shipped default scores its leads again."""
    removed = store.delete_rule_set(profile)
    return OverrideRemoved(profile=profile, in_force="default", rule_set=default_rule_set(profile), removed=removed)


# A small rule set for the document's examples (the shipped ones have dozens of rules).
EXAMPLE_RULE_SET: dict[str, Any] = {
    "version": "acme-b2b-2", "profile": "b2b", "description": "Intent first, then a company email and a phone.",
    "thresholds": {"warm": 30, "hot": 60},
    "rules": [
        {"id": "intent-buy", "kind": "intent", "points": 50, "reason": "Asked for a quote, a demo or pricing",
         "values": ["quote", "demo", "pricing"]},
        {"id": "intent-content", "kind": "intent", "points": -10, "reason": "Came for content, not a purchase",
         "values": ["ebook", "webinar"]},
        {"id": "email-corporate", "kind": "email_domain", "domain_kind": "corporate", "points": 15,
         "reason": "Uses a company email address"},
        {"id": "has-phone", "kind": "present", "field": "phone", "points": 10, "reason": "Left a phone number"},
        {"id": "company-size", "kind": "range", "field": "company_size", "min": 51, "points": 15,
         "reason": "Company of 51 or more people"},
    ],
}


class RuleSetDocument(BaseModel):
    """A rule set as a request body: any JSON object here, validated by
    `checked_rule_set` so that every problem is named at once, as `invalid_rules`
    (`leadflow rules default b2b` prints a valid one to start from)."""

    model_config = ConfigDict(extra="allow", json_schema_extra={"examples": [EXAMPLE_RULE_SET]})
