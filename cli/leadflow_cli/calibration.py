"""`leadflow rules calibrate leads.jsonl [--band-width 20] [--json]`: do the scoring
rules predict who buys? Conversion per temperature, per score band and per rule
(leadflow.routing.calibration), from a JSON-lines file of leads with their outcome.

One lead per line: the lead's stored `score` (or its `points`, `temperature` and
`parts` / `rule_ids` at the top level) and its outcome, `converted` (true/false) or the
lead's `status` (`converted` counts as converted, anything else does not):

    {"lead_id": "l1", "score": {"points": 75, "temperature": "hot", "parts": [{"rule_id": "intent-buy", ...}]},
     "status": "converted"}
    {"points": 10, "temperature": "cold", "rule_ids": ["intent-content"], "converted": false}

Reading the report: a rule whose matched leads convert no better than the rest (lift
near 1) earns its points for nothing; a temperature whose conversion is not above the
one below it means the thresholds are off."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from pydantic import ValidationError

from leadflow.routing.calibration import CalibrationLead, CalibrationReport, Conversion
from leadflow_cli.output import percent, table


class InvalidLine(ValueError):
    """A line of the leads file that is not a lead with its outcome."""

    def __init__(self, number: int, message: str) -> None:
        super().__init__(f"line {number}: {message}")
        self.number = number
        self.message = message


def read_jsonl(lines: Iterable[bytes | str]) -> list[CalibrationLead]:
    """Leads from JSON lines (a file opened in binary, so a line that is not UTF-8 is
    named by its number); blank lines are skipped, a bad line stops with its number."""
    leads = []
    for number, raw in enumerate(lines, start=1):
        try:
            line = raw.decode("utf-8") if isinstance(raw, bytes) else raw
        except UnicodeDecodeError:
            raise InvalidLine(number, "not UTF-8 text") from None
        if not line.strip():
            continue
        try:
            leads.append(CalibrationLead.model_validate(json.loads(line)))
        except json.JSONDecodeError as exc:
            raise InvalidLine(number, f"not JSON: {exc}") from None
        except ValidationError as exc:
            raise InvalidLine(number, "; ".join(
                f"{'.'.join(map(str, e['loc'])) or 'lead'}: {e['msg']}" for e in exc.errors())) from None
    return leads


def render_report(report: CalibrationReport) -> str:
    """The report as plain-text tables."""
    overall = report.overall.rate
    parts = [f"{report.overall.leads} leads, {report.overall.converted} converted ({percent(overall)})", ""]
    head = ("", "leads", "converted", "rate")
    parts += ["By temperature", table(head, [(c.label, str(c.leads), str(c.converted), percent(c.rate))
                                             for c in report.by_temperature]), ""]
    parts += [f"By score band ({report.band_width} points)",
              table(("points", "leads", "converted", "rate"),
                    [(c.label, str(c.leads), str(c.converted), percent(c.rate)) for c in report.by_band]), ""]
    lift = [(r, r.lift(overall)) for r in report.by_rule]
    parts += ["By rule (converted share of the leads it matched, and of those it did not)",
              table(("rule", "matched", "converted", "rate", "rate without", "lift"),
                    [(r.label, str(r.leads), str(r.converted), percent(r.rate), percent(r.rate_without),
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
