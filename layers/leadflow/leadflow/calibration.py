"""Calibration: do the scoring rules predict who buys? Conversion per temperature, per
score band and per rule, from leads whose outcome is known.

From Python: `calibrate(leads)` with `CalibrationLead`s (or dicts of the same shape).
From a shell:

    python -m leadflow.calibration leads.jsonl [--band-width 20] [--json]

One lead per line, as JSON: the lead's stored `score` (or its `points`, `temperature`
and `parts` / `rule_ids` at the top level) and its outcome, `converted` (true/false)
or the lead's `status` (`converted` counts as converted, anything else does not):

    {"lead_id": "l1", "score": {"points": 75, "temperature": "hot", "parts": [{"rule_id": "intent-buy", ...}]},
     "status": "converted"}
    {"points": 10, "temperature": "cold", "rule_ids": ["intent-content"], "converted": false}

Reading the report: a rule whose matched leads convert no better than the rest (lift
near 1) earns its points for nothing; a temperature whose conversion is not above the
one below it means the thresholds are off."""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, TextIO

from pydantic import BaseModel, Field, ValidationError, model_validator

from leadflow.models import Temperature

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
    """The band holding these points: [low, high], both included, `width` points wide
    (floored, so -5 is in -20..-1 with width 20)."""
    low = math.floor(points / width) * width
    return low, low + width - 1


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


# -- the command ---------------------------------------------------------------------------


def read_jsonl(stream: TextIO) -> list[CalibrationLead]:
    """Leads from JSON lines; blank lines are skipped, a bad line stops with its number."""
    leads = []
    for number, line in enumerate(stream, start=1):
        if not line.strip():
            continue
        try:
            leads.append(CalibrationLead.model_validate(json.loads(line)))
        except (json.JSONDecodeError, ValidationError) as exc:
            raise ValueError(f"line {number}: {exc}") from None
    return leads


def _percent(rate: float | None) -> str:
    return "-" if rate is None else f"{rate:.1%}"


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(str(cell)) for cell in column) for column in zip(headers, *rows, strict=False)]
    lines = ["  ".join(h.ljust(w) if i == 0 else h.rjust(w) for i, (h, w) in enumerate(zip(headers, widths,
                                                                                              strict=True)))]
    lines += ["  ".join(str(c).ljust(w) if i == 0 else str(c).rjust(w)
                        for i, (c, w) in enumerate(zip(row, widths, strict=True))) for row in rows]
    return "\n".join(lines)


def render_report(report: CalibrationReport) -> str:
    """The report as plain-text tables."""
    overall = report.overall.rate
    parts = [f"{report.overall.leads} leads, {report.overall.converted} converted ({_percent(overall)})", ""]
    head = ("", "leads", "converted", "rate")
    parts += ["By temperature", _table(head, [(c.label, str(c.leads), str(c.converted), _percent(c.rate))
                                              for c in report.by_temperature]), ""]
    parts += [f"By score band ({report.band_width} points)",
              _table(("points", "leads", "converted", "rate"),
                     [(c.label, str(c.leads), str(c.converted), _percent(c.rate)) for c in report.by_band]), ""]
    lift = [(r, r.lift(overall)) for r in report.by_rule]
    parts += ["By rule (converted share of the leads it matched, and of those it did not)",
              _table(("rule", "matched", "converted", "rate", "rate without", "lift"),
                     [(r.label, str(r.leads), str(r.converted), _percent(r.rate), _percent(r.rate_without),
                       "-" if x is None else f"{x:.2f}") for r, x in lift])]
    return "\n".join(parts)


def report_json(report: CalibrationReport) -> dict[str, Any]:
    """The report as plain data, rates included (for a spreadsheet or a dashboard)."""
    overall = report.overall.rate

    def plain(c: Conversion) -> dict[str, Any]:
        return {"label": c.label, "leads": c.leads, "converted": c.converted, "rate": c.rate}

    return {
        "overall": plain(report.overall), "band_width": report.band_width,
        "by_temperature": [plain(c) for c in report.by_temperature],
        "by_band": [plain(c) for c in report.by_band],
        "by_rule": [{**plain(r), "leads_without": r.leads_without, "converted_without": r.converted_without,
                     "rate_without": r.rate_without, "lift": r.lift(overall)} for r in report.by_rule],
    }


def main(argv: Sequence[str] | None = None, out: TextIO = sys.stdout) -> int:
    parser = argparse.ArgumentParser(prog="python -m leadflow.calibration",
                                     description="Conversion per temperature, score band and rule.")
    parser.add_argument("leads", help="JSON lines file of leads with outcomes ('-' for stdin)")
    parser.add_argument("--band-width", type=int, default=20, help="points per score band (default 20)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of tables")
    args = parser.parse_args(argv)
    try:
        if args.leads == "-":
            leads = read_jsonl(sys.stdin)
        else:
            with open(args.leads, encoding="utf-8") as stream:
                leads = read_jsonl(stream)
        report = calibrate(leads, band_width=args.band_width)
    except (OSError, ValueError) as exc:
        print(f"calibration: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(report_json(report), indent=2) if args.json else render_report(report), file=out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
