"""`python -m leadflow_cli.calibration leads.jsonl [--band-width 20] [--json]`: do the
scoring rules predict who buys? Conversion per temperature, per score band and per rule
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

import argparse
import json
import sys
from collections.abc import Sequence
from typing import Any, TextIO

from pydantic import ValidationError

from leadflow.routing.calibration import CalibrationLead, CalibrationReport, Conversion, calibrate


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
    parser = argparse.ArgumentParser(prog="python -m leadflow_cli.calibration",
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
