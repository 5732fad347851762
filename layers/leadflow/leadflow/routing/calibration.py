"""Calibration: do the scoring rules predict who buys? Conversion per temperature, per
score band and per rule, from leads whose outcome is known.

From Python: `calibrate(leads)` with `CalibrationLead`s (or dicts of the same shape).
From a shell, `python -m leadflow_cli.calibration leads.jsonl` (cli/), one lead per
line, as JSON: the lead's stored `score` (or its `points`, `temperature`
and `parts` / `rule_ids` at the top level) and its outcome, `converted` (true/false)
or the lead's `status` (`converted` counts as converted, anything else does not):

    {"lead_id": "l1", "score": {"points": 75, "temperature": "hot", "parts": [{"rule_id": "intent-buy", ...}]},
     "status": "converted"}
    {"points": 10, "temperature": "cold", "rule_ids": ["intent-content"], "converted": false}

Reading the report: a rule whose matched leads convert no better than the rest (lift
near 1) earns its points for nothing; a temperature whose conversion is not above the
one below it means the thresholds are off."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pydantic import BaseModel, Field, model_validator

from leadflow.shared.models import SCORE_MAX, Temperature, on_the_scale

_TEMPERATURES = (Temperature.COLD, Temperature.WARM, Temperature.HOT)


class CalibrationLead(BaseModel):
    """One lead with its score and whether it converted."""

    lead_id: str | None = None
    points: int
    temperature: Temperature
    rule_ids: list[str] = Field(default_factory=list)
    converted: bool

    @model_validator(mode="before")
    @classmethod
    def _from_stored_lead(cls, data: Any) -> Any:
        """Accept a lead as stored (`score` nested, `parts`, `status`) as well as the flat shape."""
        if not isinstance(data, Mapping):
            return data
        flat = dict(data)
        score = flat.pop("score", None)
        if isinstance(score, Mapping):
            flat = {**score, **flat}
        if "rule_ids" not in flat and isinstance(flat.get("parts"), list):
            flat["rule_ids"] = [p["rule_id"] if isinstance(p, Mapping) else p for p in flat["parts"]]
        if "converted" not in flat and "status" in flat:
            flat["converted"] = flat["status"] == "converted"
        return {k: v for k, v in flat.items() if k in cls.model_fields}


class Conversion(BaseModel):
    """Leads in a group, how many converted, and the converted share (None when empty)."""

    label: str
    leads: int
    converted: int

    @property
    def rate(self) -> float | None:
        return self.converted / self.leads if self.leads else None


class RuleConversion(Conversion):
    """A rule's matched leads against the leads it did not match."""

    leads_without: int
    converted_without: int

    @property
    def rate_without(self) -> float | None:
        return self.converted_without / self.leads_without if self.leads_without else None

    def lift(self, overall: float | None) -> float | None:
        """Conversion of the matched leads over the overall conversion (1 = no signal)."""
        rate = self.rate
        return rate / overall if rate is not None and overall else None


class CalibrationReport(BaseModel):
    overall: Conversion
    by_temperature: list[Conversion]
    by_band: list[Conversion]
    by_rule: list[RuleConversion]
    band_width: int


def score_band(points: int, width: int) -> tuple[int, int]:
    """The band holding these points: [low, high], both included, `width` points wide on
    the 0-100 scale (a score stored before it reads clamped, as everywhere); the top of
    the scale is in the last band (100 in 80..100 with width 20)."""
    low = math.floor(min(on_the_scale(points), SCORE_MAX - 1) / width) * width
    high = low + width - 1
    return low, SCORE_MAX if high >= SCORE_MAX - 1 else high


def calibrate(leads: Iterable[CalibrationLead | Mapping[str, Any]], band_width: int = 20,
              rule_ids: Sequence[str] = ()) -> CalibrationReport:
    """Conversion overall, per temperature (cold, warm, hot), per score band and per
    rule: the converted share of the leads each rule matched, beside the share of the
    leads it did not match. `rule_ids` lists rules to report even if nothing matched
    them (say, every rule of the rule set), in that order before any others seen."""
    if band_width < 1:
        raise ValueError("band_width must be at least 1")
    rows = [lead if isinstance(lead, CalibrationLead) else CalibrationLead.model_validate(lead) for lead in leads]
    total = len(rows)
    total_converted = sum(lead.converted for lead in rows)

    by_temperature = [
        Conversion(label=t.value, leads=sum(1 for r in rows if r.temperature == t),
                   converted=sum(1 for r in rows if r.temperature == t and r.converted))
        for t in _TEMPERATURES
    ]

    bands: dict[tuple[int, int], list[CalibrationLead]] = {}
    for row in rows:
        bands.setdefault(score_band(row.points, band_width), []).append(row)
    by_band = [
        Conversion(label=f"{low} to {high}", leads=len(members), converted=sum(m.converted for m in members))
        for (low, high), members in sorted(bands.items())
    ]

    order = list(dict.fromkeys([*rule_ids, *(rid for r in rows for rid in r.rule_ids)]))
    by_rule = []
    for rule_id in order:
        matched = [r for r in rows if rule_id in r.rule_ids]
        matched_converted = sum(r.converted for r in matched)
        by_rule.append(RuleConversion(
            label=rule_id, leads=len(matched), converted=matched_converted,
            leads_without=total - len(matched), converted_without=total_converted - matched_converted,
        ))
    return CalibrationReport(
        overall=Conversion(label="all", leads=total, converted=total_converted),
        by_temperature=by_temperature, by_band=by_band, by_rule=by_rule, band_width=band_width,
    )
