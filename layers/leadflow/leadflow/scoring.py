"""Explainable lead scoring: a rule set is data, every point carries its reason.

A rule set (rules/default.json holds one per profile, B2B and B2C) is validated by the
pydantic models below; a deployment can override a profile's rule set in the table
(`python -m leadflow.rules_admin put`), and `RuleSetSource` picks the override up within
a minute, without a redeploy. `score_submission` is a pure function: the submission, the
lead's history and a rule set in, a `Score` with its parts out."""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from importlib import resources
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, field_validator, model_validator

from leadflow.assignment import AssignmentPolicy
from leadflow.models import ChannelKind, ContactCard, Score, ScorePart, ScoreThresholds, Submission, Temperature

log = logging.getLogger(__name__)

Profile = Literal["b2b", "b2c"]
PROFILES: tuple[str, ...] = ("b2b", "b2c")

# What a rule can look at. The form's own fields (beyond the well-known ones) are
# `custom.<name>`; a typo in a field name is refused instead of silently never matching.
CONTACT_FACTS = ("name", "email", "phone", "company", "job_title", "country")
PROFILE_FACTS = ("company_size", "industry", "budget", "timeline")
KNOWN_FACTS = frozenset((
    *CONTACT_FACTS, *PROFILE_FACTS, "email_domain", "interest", "message", "channel", "language", "form_id",
    "utm_source", "utm_medium", "utm_campaign", "referrer", "landing_page",
))
CUSTOM_PREFIX = "custom."

# -- rules ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class LeadHistory:
    """What is known about the lead beyond this submission: its card (gaps in this
    submission's contact data are filled from it) and when it posted before."""

    card: ContactCard | None = None
    previous_visits: tuple[datetime, ...] = ()


@dataclass(frozen=True)
class Facts:
    """One submission as rules see it: text facts by name, plus what needs more than text."""

    values: dict[str, str]
    intent: str  # the interest field, else the form's intent from the rule set; lowercase
    received_at: datetime
    previous_visits: tuple[datetime, ...] = ()

    def get(self, name: str) -> str:
        return self.values.get(name, "")


class _Rule(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
    # Zero is allowed: an observe-only rule is recorded on every score it matches, so
    # calibration can show whether it predicts conversion before it is given weight.
    points: int = Field(ge=-100, le=100)
    reason: str = Field(min_length=1, max_length=200)

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


class InvalidRuleSet(ValueError):
    """A rule set that cannot be used, with one line per problem naming the rule and field."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("invalid rule set:\n  " + "\n  ".join(problems))


def parse_rule_set(document: Any) -> RuleSet:
    """Validate a rule set document (parsed JSON); InvalidRuleSet says what is wrong where."""
    try:
        return RuleSet.model_validate(document)
    except ValidationError as exc:
        raise InvalidRuleSet([_describe(error, document) for error in exc.errors()]) from None


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


# -- defaults and overrides ----------------------------------------------------------------


@cache
def default_rule_sets() -> dict[str, RuleSet]:
    """The rule sets shipped in the layer (rules/default.json), by profile."""
    text = resources.files("leadflow").joinpath("rules/default.json").read_text("utf-8")
    profiles = json.loads(text)["profiles"]
    rule_sets = {name: parse_rule_set(doc) for name, doc in profiles.items()}
    assert set(rule_sets) == set(PROFILES) and all(name == rs.profile for name, rs in rule_sets.items())
    return rule_sets


def default_rule_set(profile: str = "b2b") -> RuleSet:
    return default_rule_sets()[profile]


class RuleSetSource:
    """The rule set for a profile: the deployment's override stored in the table, else
    the shipped default. Each container keeps what it read for `ttl_seconds`, so an
    upload takes effect within that time and a batch costs no extra read.

    A stored override that no longer validates (written around `rules_admin`, or by an
    older version) is logged and the default used: leads keep flowing."""

    def __init__(self, load_override: Callable[[str], str | None], ttl_seconds: float = 60.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._load_override = load_override
        self._ttl = ttl_seconds
        self._clock = clock
        self._cached: dict[str, tuple[float, RuleSet]] = {}

    def get(self, profile: str) -> RuleSet:
        now = self._clock()
        cached = self._cached.get(profile)
        if cached and cached[0] > now:
            return cached[1]
        rule_set = self._load(profile)
        self._cached[profile] = (now + self._ttl, rule_set)
        return rule_set

    def _load(self, profile: str) -> RuleSet:
        text = self._load_override(profile)
        if text is None:
            return default_rule_set(profile)
        try:
            rule_set = parse_rule_set(json.loads(text))
        except ValueError as exc:  # JSONDecodeError and InvalidRuleSet both are
            log.error("stored rule set override for %s is invalid, using the default: %s", profile, exc)
            return default_rule_set(profile)
        if rule_set.profile != profile:
            log.error("stored rule set override for %s is for profile %s, using the default", profile,
                      rule_set.profile)
            return default_rule_set(profile)
        return rule_set


# -- facts ---------------------------------------------------------------------------------


@cache
def _domain_list(name: str) -> frozenset[str]:
    text = resources.files("leadflow").joinpath(f"data/{name}").read_text("utf-8")
    return frozenset(line.strip().lower() for line in text.splitlines() if line.strip() and not line.startswith("#"))


def free_email_domains() -> frozenset[str]:
    return _domain_list("free_email_domains.txt")


def disposable_email_domains() -> frozenset[str]:
    return _domain_list("disposable_email_domains.txt")


def email_domain_kind(domain: str) -> Literal["corporate", "free", "disposable"]:
    """Disposable (a listed domain or any subdomain of one), free webmail, or corporate."""
    domain = domain.strip().lower().rstrip(".")
    labels = domain.split(".")
    disposable = disposable_email_domains()
    if any(".".join(labels[i:]) in disposable for i in range(len(labels) - 1)):
        return "disposable"
    if domain in free_email_domains():
        return "free"
    return "corporate"


# Thousands grouped by , . ' or a space (25,000 / 25.000 / 10 000), else a plain or
# decimal number; then an optional multiplier (k, m, Spanish "mil", "millones").
_NUMBER = re.compile(
    r"(?<![\w.,])(\d{1,3}(?:[,.' ]\d{3})+(?![\d])|\d+(?:[.,]\d+)?)\s*(k|m|mn|mil|million|millones)?(?!\w)",
    re.IGNORECASE,
)
_MULTIPLIERS = {"k": 1e3, "mil": 1e3, "m": 1e6, "mn": 1e6, "million": 1e6, "millones": 1e6}


def first_number(text: str) -> float | None:
    """The first number in a free-text answer: `51-200` → 51, `$25,000` → 25000,
    `25.000 €` → 25000, `1,5k` → 1500, `5000+` → 5000; None when there is none."""
    match = _NUMBER.search(text or "")
    if match is None:
        return None
    digits, multiplier = match.group(1), (match.group(2) or "").lower()
    if re.fullmatch(r"\d{1,3}(?:[,.' ]\d{3})+", digits):
        value = float(re.sub(r"[,.' ]", "", digits))
    else:
        value = float(digits.replace(",", "."))
    return value * _MULTIPLIERS.get(multiplier, 1.0)


# Written out by people as often as in codes.
_COUNTRY_ALIASES = {
    "UK": "GB", "USA": "US", "U.S.": "US", "U.S.A.": "US", "UNITED STATES": "US", "UNITED KINGDOM": "GB",
    "SPAIN": "ES", "ESPAÑA": "ES", "MEXICO": "MX", "MÉXICO": "MX", "UAE": "AE", "UNITED ARAB EMIRATES": "AE",
    "SAUDI ARABIA": "SA", "EGYPT": "EG", "ARGENTINA": "AR", "CANADA": "CA", "GERMANY": "DE", "FRANCE": "FR",
}


def lead_country(contact: ContactCard) -> str | None:
    """The lead's country as an ISO 3166 alpha-2 code: the form's `country` field when it
    is a code (or a common name), else the country of the phone number, else None."""
    raw = " ".join((contact.country or "").split()).upper()
    code = _COUNTRY_ALIASES.get(raw, raw)
    if re.fullmatch(r"[A-Z]{2}", code):
        return code
    if contact.phone:
        import phonenumbers  # only when the form asked no country: keeps cold starts lean

        try:
            region = phonenumbers.region_code_for_number(phonenumbers.parse(contact.phone))
        except phonenumbers.NumberParseException:
            return None
        return region if region and region != "ZZ" else None
    return None


def merged_contact(submission: Submission, card: ContactCard | None) -> ContactCard:
    """This submission's contact data, with its gaps filled from the lead card: a person
    who named their company last time still has one when they leave it out."""
    if card is None:
        return submission.contact
    mine = submission.contact.model_dump(exclude_none=True)
    known = {k: v for k, v in card.model_dump(exclude_none=True).items() if v}
    return ContactCard.model_validate({**known, **{k: v for k, v in mine.items() if v}})


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


# -- scoring -------------------------------------------------------------------------------


def score_facts(facts: Facts, rule_set: RuleSet) -> Score:
    """The sum of the matching rules' points, each part with its reason, and the
    temperature the rule set's thresholds give it."""
    parts = [ScorePart(rule_id=rule.id, points=rule.points, reason=rule.reason)
             for rule in rule_set.rules if rule.matches(facts)]
    points = sum(p.points for p in parts)
    return Score(
        points=points, temperature=rule_set.temperature(points), parts=parts, rule_set_version=rule_set.version,
        profile=rule_set.profile,
        thresholds=ScoreThresholds(warm=rule_set.thresholds.warm, hot=rule_set.thresholds.hot),
    )


def score_submission(submission: Submission, rule_set: RuleSet | None = None,
                     history: LeadHistory | None = None) -> Score:
    """Score a lead as of this submission: its rules are the form's profile default
    unless a rule set is given; `history` adds what the lead card knows and its visits."""
    rules = rule_set or default_rule_set(submission.scoring_profile)
    return score_facts(scoring_facts(submission, rules, history), rules)
