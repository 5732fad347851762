"""Calibration: conversion per temperature, per score band and per rule, checked against
numbers worked out by hand."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from leadflow.routing.calibration import CalibrationLead, calibrate, score_band
from leadflow_cli.main import main as leadflow

ROOT = Path(__file__).resolve().parents[2]

# Ten leads with known outcomes. By hand:
#   overall 4 of 10 converted (l1, l2, l4, l10)                         = 40 %
#   cold  l7 l8 l9 l10 → 1 of 4 = 25 %;  warm l4 l5 l6 → 1 of 3;  hot l1 l2 l3 → 2 of 3
#   bands of 20: -20..-1 {l9} 0/1;  0..19 {l8 l10} 1/2;  20..39 {l5 l6 l7} 0/3;  40..59 {l4} 1/1;  60..79 {l1 l2 l3} 2/3
#   intent-buy      l1 l2 l3        → 2/3, the other 7 → 2/7 (l4 l10); lift (2/3)/0.4 = 1.667
#   email-corporate l1 l2 l4 l5 l8  → 3/5, the other 5 → 1/5;          lift 0.6/0.4 = 1.5
#   has-phone       l1 l3 l4 l6     → 2/4, the other 6 → 2/6;          lift 0.5/0.4 = 1.25
#   intent-question l4 l5 l6 l7     → 1/4, the other 6 → 3/6;          lift 0.25/0.4 = 0.625
#   intent-content  l9              → 0/1, the other 9 → 4/9;          lift 0
LEADS = [
    {"lead_id": "l1", "points": 75, "temperature": "hot", "rule_ids": ["intent-buy", "email-corporate", "has-phone"],
     "converted": True},
    {"lead_id": "l2", "points": 65, "temperature": "hot", "rule_ids": ["intent-buy", "email-corporate"],
     "converted": True},
    {"lead_id": "l3", "points": 60, "temperature": "hot", "rule_ids": ["intent-buy", "has-phone"], "converted": False},
    {"lead_id": "l4", "points": 45, "temperature": "warm", "rule_ids": ["intent-question", "email-corporate", "has-phone"],
     "converted": True},
    {"lead_id": "l5", "points": 35, "temperature": "warm", "rule_ids": ["intent-question", "email-corporate"],
     "converted": False},
    {"lead_id": "l6", "points": 30, "temperature": "warm", "rule_ids": ["intent-question", "has-phone"],
     "converted": False},
    {"lead_id": "l7", "points": 20, "temperature": "cold", "rule_ids": ["intent-question"], "converted": False},
    {"lead_id": "l8", "points": 15, "temperature": "cold", "rule_ids": ["email-corporate"], "converted": False},
    {"lead_id": "l9", "points": -10, "temperature": "cold", "rule_ids": ["intent-content"], "converted": False},
    {"lead_id": "l10", "points": 0, "temperature": "cold", "rule_ids": [], "converted": True},
]


def test_overall_and_per_temperature() -> None:
    report = calibrate(LEADS)

    assert (report.overall.leads, report.overall.converted, report.overall.rate) == (10, 4, 0.4)
    assert [(c.label, c.leads, c.converted) for c in report.by_temperature] == [
        ("cold", 4, 1), ("warm", 3, 1), ("hot", 3, 2)]
    assert [c.rate for c in report.by_temperature] == pytest.approx([0.25, 1 / 3, 2 / 3])


def test_per_score_band() -> None:
    report = calibrate(LEADS, band_width=20)

    # (the lead stored at -5, before the 0-100 scale, reads as 0)
    assert [(c.label, c.leads, c.converted) for c in report.by_band] == [
        ("0 to 19", 3, 1), ("20 to 39", 3, 0), ("40 to 59", 1, 1), ("60 to 79", 3, 2)]


def test_per_score_band_of_another_width() -> None:
    report = calibrate(LEADS, band_width=50)

    assert [(c.label, c.leads, c.converted) for c in report.by_band] == [
        ("0 to 49", 7, 2), ("50 to 100", 3, 2)]


def test_per_rule_the_converted_share_of_the_leads_it_matched() -> None:
    report = calibrate(LEADS)

    rows = {r.label: r for r in report.by_rule}
    assert [r.label for r in report.by_rule] == [
        "intent-buy", "email-corporate", "has-phone", "intent-question", "intent-content"]
    expected = {  # matched, converted, without, converted without, lift
        "intent-buy": (3, 2, 7, 2, 2 / 3 / 0.4), "email-corporate": (5, 3, 5, 1, 1.5),
        "has-phone": (4, 2, 6, 2, 1.25), "intent-question": (4, 1, 6, 3, 0.625), "intent-content": (1, 0, 9, 4, 0.0),
    }
    for rule_id, (matched, converted, without, converted_without, lift) in expected.items():
        row = rows[rule_id]
        assert (row.leads, row.converted, row.leads_without, row.converted_without) == (
            matched, converted, without, converted_without), rule_id
        assert row.lift(report.overall.rate) == pytest.approx(lift), rule_id
    assert rows["intent-buy"].rate == pytest.approx(2 / 3)
    assert rows["intent-buy"].rate_without == pytest.approx(2 / 7)


def test_rules_that_never_matched_are_listed_when_asked() -> None:
    report = calibrate(LEADS, rule_ids=["source-referral", "has-phone"])

    assert [r.label for r in report.by_rule][:3] == ["source-referral", "has-phone", "intent-buy"]
    never = report.by_rule[0]
    assert (never.leads, never.converted, never.rate, never.lift(0.4)) == (0, 0, None, None)
    assert never.rate_without == pytest.approx(0.4)


def test_no_leads_gives_empty_rates_not_errors() -> None:
    report = calibrate([])

    assert report.overall.rate is None
    assert [c.leads for c in report.by_temperature] == [0, 0, 0]
    assert report.by_band == [] and report.by_rule == []


def test_leads_as_stored_are_accepted() -> None:
    # A lead item as the table holds it: the score nested, the outcome as a status.
    stored = {"lead_id": "l1", "status": "converted", "score": {
        "points": 75, "temperature": "hot", "rule_set_version": "b2b-2026.11",
        "parts": [{"rule_id": "intent-buy", "points": 40, "reason": "Asked"}]}}

    lead = CalibrationLead.model_validate(stored)

    assert (lead.points, lead.temperature.value, lead.rule_ids, lead.converted) == (75, "hot", ["intent-buy"], True)
    assert CalibrationLead.model_validate({**stored, "status": "rejected"}).converted is False


@pytest.mark.parametrize(("points", "width", "band"), [(0, 20, (0, 19)), (19, 20, (0, 19)), (20, 20, (20, 39)),
                                                       (-1, 20, (0, 19)), (100, 20, (80, 100)), (95, 30, (90, 100)),
                                                       (7, 5, (5, 9))])
def test_score_band_edges(points: int, width: int, band: tuple[int, int]) -> None:
    assert score_band(points, width) == band


def test_a_band_width_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="band_width"):
        calibrate(LEADS, band_width=0)


# -- the command: leadflow rules calibrate ------------------------------------------------------------------------------


@pytest.fixture
def leads_file(tmp_path: Path) -> Path:
    path = tmp_path / "leads.jsonl"
    path.write_text("\n".join(json.dumps(lead) for lead in LEADS) + "\n\n", encoding="utf-8")
    return path


def test_the_command_prints_the_tables(leads_file: Path) -> None:
    out = io.StringIO()

    assert leadflow(["rules", "calibrate", str(leads_file)], out=out) == 0

    text = out.getvalue()
    assert text.startswith("10 leads, 4 converted (40.0%)")
    lines = [line.split() for line in text.splitlines()]
    assert ["hot", "3", "2", "66.7%"] in lines
    assert ["cold", "4", "1", "25.0%"] in lines
    assert ["60", "to", "79", "3", "2", "66.7%"] in lines
    assert ["intent-buy", "3", "2", "66.7%", "28.6%", "1.67"] in lines
    assert ["intent-content", "1", "0", "0.0%", "44.4%", "0.00"] in lines


def test_the_command_prints_json(leads_file: Path) -> None:
    out = io.StringIO()

    assert leadflow(["rules", "calibrate", str(leads_file), "--json", "--band-width", "50"], out=out) == 0

    report = json.loads(out.getvalue())
    assert report["overall"] == {"label": "all", "leads": 10, "converted": 4, "rate": 0.4}
    assert [b["label"] for b in report["by_band"]] == ["0 to 49", "50 to 100"]
    [buy] = [r for r in report["by_rule"] if r["label"] == "intent-buy"]
    assert buy["lift"] == pytest.approx(5 / 3) and buy["rate_without"] == pytest.approx(2 / 7)


def test_the_command_refuses_the_file_naming_the_bad_line(tmp_path: Path) -> None:
    path = tmp_path / "leads.jsonl"
    path.write_text(json.dumps(LEADS[0]) + "\n" + json.dumps({"points": 5}) + "\n", encoding="utf-8")
    err = io.StringIO()

    assert leadflow(["rules", "calibrate", str(path)], out=io.StringIO(), err=err) == 1

    assert err.getvalue().startswith("leadflow rules calibrate: line 2: ")


def test_a_file_that_is_not_text_is_refused_not_a_crash(tmp_path: Path) -> None:
    path = tmp_path / "leads.jsonl"
    path.write_bytes(json.dumps(LEADS[0]).encode() + b"\n\xff\xfe\n")
    out = io.StringIO()

    assert leadflow(["--json", "rules", "calibrate", str(path)], out=out) == 1

    assert json.loads(out.getvalue())["errors"] == [
        {"field": "line 2", "code": "invalid_lead", "message": "not UTF-8 text"}]


def test_a_missing_file_is_a_usage_error(tmp_path: Path) -> None:
    err = io.StringIO()

    assert leadflow(["rules", "calibrate", str(tmp_path / "nope.jsonl")], out=io.StringIO(), err=err) == 2

    assert "cannot read" in err.getvalue() and "nope.jsonl" in err.getvalue()


def test_python_dash_m_leadflow_cli_runs_it(leads_file: Path) -> None:
    # The same command where the `leadflow` script is not on PATH (the e2e tests run the script).
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "layers" / "leadflow"), str(ROOT / "cli")])}
    done = subprocess.run([sys.executable, "-m", "leadflow_cli", "rules", "calibrate", str(leads_file)], env=env,
                          capture_output=True, text=True, timeout=60, check=False)

    assert done.returncode == 0, done.stderr
    assert "By rule" in done.stdout and "intent-buy" in done.stdout
