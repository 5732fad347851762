"""Which rule set scores a submission: the deployment's override stored in the table,
else the rule set shipped in the layer (`data/default_rules.json`)."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from functools import cache
from importlib import resources

from leadflow.routing.rules import PROFILES, RuleSet, parse_rule_set

log = logging.getLogger(__name__)


@cache
def default_rule_sets() -> dict[str, RuleSet]:
    """The rule sets shipped in the layer (data/default_rules.json), by profile."""
    text = resources.files("leadflow.routing").joinpath("data/default_rules.json").read_text("utf-8")
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

    A stored override that no longer validates (written around `leadflow_cli.rules`, or by
    an older version) is logged and the default used: leads keep flowing."""

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
