"""Scoring rules are data: a rule set (one per profile, B2B and B2C) is validated by the
pydantic models below, and every rule carries the reason a manager reads.

The shipped rule sets are `data/default_rules.json` (leadflow.routing.rule_sets); a
deployment can override a profile's rule set in the table without a redeploy."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    StringConstraints,
    ValidationError,
    field_validator,
    model_validator,
)

from leadflow.routing.assignment import AssignmentPolicy
from leadflow.routing.facts import CUSTOM_PREFIX, KNOWN_FACTS, Facts, email_domain_kind, first_number
from leadflow.shared.models import SCORE_MAX, SCORE_MIN, ChannelKind, ScoreThresholds, Temperature

Profile = Literal["b2b", "b2c"]
PROFILES: tuple[str, ...] = ("b2b", "b2c")


class _Rule(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
    # Zero is allowed: an observe-only rule is recorded on every score it matches, so
    # calibration can show whether it predicts conversion before it is given weight.
    points: int = Field(ge=-100, le=100)
    reason: str = Field(min_length=1, max_length=200)
    # The reason in other languages (`{"es": ..., "ar": ...}`): a manager reads it in theirs,
    # English when it has none here.
    reasons: dict[Annotated[str, StringConstraints(pattern=r"^[a-z]{2}$")],
                  Annotated[str, StringConstraints(min_length=1, max_length=200)]] = Field(default_factory=dict)

    def matches(self, facts: Facts) -> bool:  # pragma: no cover - every kind overrides it
        raise NotImplementedError


class _FieldRule(_Rule):
    field: str

    @field_validator("field")
    @classmethod
    def _known_field(cls, name: str) -> str:
        if name in KNOWN_FACTS or (name.startswith(CUSTOM_PREFIX) and len(name) > len(CUSTOM_PREFIX)):
            return name
        raise ValueError(f"{name!r} is not a lead field; use one of {', '.join(sorted(KNOWN_FACTS))}, "
                         f"or {CUSTOM_PREFIX}<name> for a form's own field")


class Equals(_FieldRule):
    """The field's value is this one (case and surrounding spaces ignored)."""

    kind: Literal["equals"]
    value: str = Field(min_length=1)

    def matches(self, facts: Facts) -> bool:
        return facts.get(self.field).strip().casefold() == self.value.strip().casefold()


class In(_FieldRule):
    """The field's value is one of these (case and surrounding spaces ignored)."""

    kind: Literal["in"]
    values: list[str] = Field(min_length=1)
    _folded: frozenset[str] = PrivateAttr(default=frozenset())

    def model_post_init(self, context: Any, /) -> None:
        self._folded = frozenset(v.strip().casefold() for v in self.values)

    def matches(self, facts: Facts) -> bool:
        return facts.get(self.field).strip().casefold() in self._folded


class Range(_FieldRule):
    """The first number in the field (`51-200` → 51, `$25k` → 25000) is within
    [min, max], bounds included; a field without a number never matches."""

    kind: Literal["range"]
    min: float | None = None
    max: float | None = None

    @model_validator(mode="after")
    def _bounded(self) -> Range:
        if self.min is None and self.max is None:
            raise ValueError("give min, max or both")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min {self.min:g} is above max {self.max:g}")
        return self

    def matches(self, facts: Facts) -> bool:
        number = first_number(facts.get(self.field))
        if number is None:
            return False
        return (self.min is None or number >= self.min) and (self.max is None or number <= self.max)


class Pattern(_FieldRule):
    """A regular expression found anywhere in the field (`(?i)` for any case)."""

    kind: Literal["pattern"]
    pattern: str = Field(min_length=1)
    _compiled: re.Pattern[str] | None = PrivateAttr(default=None)

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, pattern: str) -> str:
        try:
            re.compile(pattern)
        except re.error as exc:  # not a ValueError: pydantic would let it escape
            raise ValueError(f"invalid regular expression: {exc}") from None
        return pattern

    def model_post_init(self, context: Any, /) -> None:
        self._compiled = re.compile(self.pattern)

    def matches(self, facts: Facts) -> bool:
        assert self._compiled is not None
        return bool(self._compiled.search(facts.get(self.field)))


class Present(_FieldRule):
    """The field is filled in."""

    kind: Literal["present"]

    def matches(self, facts: Facts) -> bool:
        return bool(facts.get(self.field).strip())


class EmailDomain(_Rule):
    """The email's domain is free webmail, disposable (bundled lists, subdomains
    included) or corporate (any other). No email: no match."""

    kind: Literal["email_domain"]
    domain_kind: Literal["corporate", "free", "disposable"]

    def matches(self, facts: Facts) -> bool:
        domain = facts.get("email_domain")
        return bool(domain) and email_domain_kind(domain) == self.domain_kind


class Intent(_Rule):
    """What the person asked for: the `interest` field, else the intent the rule set
    gives the form (`form_intents`). A value matches as whole words, any case:
    `quote` matches `Get a quote`, not `quoted`."""

    kind: Literal["intent"]
    values: list[str] = Field(min_length=1)
    _compiled: re.Pattern[str] | None = PrivateAttr(default=None)

    def model_post_init(self, context: Any, /) -> None:
        words = "|".join(re.escape(v.strip().casefold()) for v in self.values if v.strip())
        self._compiled = re.compile(rf"(?<!\w)(?:{words})(?!\w)") if words else None

    def matches(self, facts: Facts) -> bool:
        return bool(self._compiled and facts.intent and self._compiled.search(facts.intent))


class Channel(_Rule):
    """The source channel of this visit: referral (seeds), inbound (nets), outbound
    (spears) or unknown."""

    kind: Literal["channel"]
    values: list[ChannelKind] = Field(min_length=1)

    def matches(self, facts: Facts) -> bool:
        return facts.get("channel") in {v.value for v in self.values}


class Completeness(_Rule):
    """At least `min_present` of these contact-card fields are filled (all by default)."""

    kind: Literal["completeness"]
    fields: list[Literal["name", "email", "phone", "company", "job_title", "country"]] = Field(min_length=1)
    min_present: int | None = Field(default=None, ge=1)

    @model_validator(mode="after")
    def _reachable(self) -> Completeness:
        if self.min_present is not None and self.min_present > len(self.fields):
            raise ValueError(f"min_present {self.min_present} is more than the {len(self.fields)} fields listed")
        return self

    def matches(self, facts: Facts) -> bool:
        filled = sum(1 for name in self.fields if facts.get(name).strip())
        return filled >= (self.min_present or len(self.fields))


class Repeat(_Rule):
    """The lead posted at least `min_previous` times before this submission, within
    `within_days` days of it."""

    kind: Literal["repeat"]
    within_days: int = Field(ge=1, le=365)
    min_previous: int = Field(default=1, ge=1)

    def matches(self, facts: Facts) -> bool:
        since = facts.received_at - timedelta(days=self.within_days)
        return sum(1 for at in facts.previous_visits if since <= at < facts.received_at) >= self.min_previous


Rule = Annotated[
    Equals | In | Range | Pattern | Present | EmailDomain | Intent | Channel | Completeness | Repeat,
    Field(discriminator="kind"),
]
RULE_KINDS = ("equals", "in", "range", "pattern", "present", "email_domain", "intent", "channel", "completeness",
              "repeat")


class Thresholds(ScoreThresholds):
    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="after")
    def _ordered(self) -> Thresholds:
        if self.hot <= self.warm:
            raise ValueError(f"the hot threshold ({self.hot}) must be above the warm one ({self.warm})")
        if self.warm < SCORE_MIN + 1 or self.hot > SCORE_MAX:  # scores lie on 0-100 (shared.models)
            raise ValueError(f"thresholds lie on the score's scale: warm at least {SCORE_MIN + 1}, hot at most "
                             f"{SCORE_MAX} (got {self.warm} and {self.hot})")
        return self


class RuleSet(BaseModel):
    """Everything a deployment tunes about scoring and routing, for one profile."""

    model_config = ConfigDict(extra="forbid")

    version: str = Field(min_length=1, max_length=64)
    profile: Profile
    description: str = ""
    thresholds: Thresholds
    # A form with no `interest` field still says what it is for: {"pricing-page": "quote"}.
    form_intents: dict[str, str] = Field(default_factory=dict)
    assignment: AssignmentPolicy = Field(default_factory=AssignmentPolicy)
    rules: list[Rule] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_ids(self) -> RuleSet:
        seen: set[str] = set()
        for rule in self.rules:
            if rule.id in seen:
                raise ValueError(f"rule {rule.id!r}: field 'id': used by more than one rule "
                                 "(scores and calibration are keyed by it)")
            seen.add(rule.id)
        return self

    def temperature(self, points: int) -> Temperature:
        if points >= self.thresholds.hot:
            return Temperature.HOT
        if points >= self.thresholds.warm:
            return Temperature.WARM
        return Temperature.COLD

    def history_days(self) -> int | None:
        """How far back repeat rules look; None when no rule needs the lead's history."""
        days = [rule.within_days for rule in self.rules if isinstance(rule, Repeat)]
        return max(days) if days else None

    def previous_visits_needed(self) -> int:
        """How many earlier visits the most demanding repeat rule asks for (0: none)."""
        return max((rule.min_previous for rule in self.rules if isinstance(rule, Repeat)), default=0)


class InvalidRuleSet(ValueError):
    """A rule set that cannot be used, with one line per problem naming the rule and field;
    `fields` holds, for each problem, the path of the field at fault (`rules.7.pattern`,
    None for the document as a whole), for the admin API's field errors."""

    def __init__(self, problems: list[str], fields: list[str | None] | None = None) -> None:
        self.problems = problems
        self.fields = fields if fields is not None else [None] * len(problems)
        super().__init__("invalid rule set:\n  " + "\n  ".join(problems))


def parse_rule_set(document: Any) -> RuleSet:
    """Validate a rule set document (parsed JSON); InvalidRuleSet says what is wrong where."""
    try:
        return RuleSet.model_validate(document)
    except ValidationError as exc:
        errors = exc.errors()
        raise InvalidRuleSet([_describe(error, document) for error in errors],
                             [_field_path(error) for error in errors]) from None


def _field_path(error: Any) -> str | None:
    """`rules.7.pattern` for a pydantic error (the discriminator's tag left out)."""
    loc = [str(p) for p in error["loc"]]
    if len(loc) >= 3 and loc[0] == "rules" and loc[2] in RULE_KINDS:
        loc = loc[:2] + loc[3:]
    if error["type"] in ("union_tag_invalid", "union_tag_not_found"):
        loc = [*loc, "kind"]
    return ".".join(loc) or None


def _describe(error: Any, document: Any) -> str:
    """A pydantic error as `rule 'senior-role' (rules[7]), field 'pattern': ...`."""
    loc = list(error["loc"])
    message = str(error["msg"]).removeprefix("Value error, ")
    if len(loc) >= 2 and loc[0] == "rules" and isinstance(loc[1], int):
        index = loc[1]
        raw = document.get("rules", [])[index] if isinstance(document, dict) else None
        rule_id = raw.get("id") if isinstance(raw, dict) else None
        where = f"rule {rule_id!r} (rules[{index}])" if rule_id else f"rule #{index + 1} (rules[{index}], no id)"
        rest = loc[2:]
        if rest and rest[0] in RULE_KINDS:  # the discriminator's tag, not a field
            rest = rest[1:]
        if error["type"] == "union_tag_invalid":
            return f"{where}, field 'kind': {raw.get('kind')!r} is not a rule kind; use one of {', '.join(RULE_KINDS)}"
        if error["type"] == "union_tag_not_found":
            return f"{where}, field 'kind': missing; use one of {', '.join(RULE_KINDS)}"
        if error["type"] == "extra_forbidden":
            message = "not a setting of this kind of rule"
        if rest:
            return f"{where}, field {'.'.join(str(p) for p in rest)!r}: {message}"
        return f"{where}: {message}"
    if error["type"] == "extra_forbidden":
        message = "not a setting of a rule set"
    path = ".".join(str(p) for p in loc)
    return f"field {path!r}: {message}" if path else message
