"""schemas/events/: the JSON Schema of each event a webhook subscriber receives,
generated from the pydantic models (`make schemas`), checked in, never stale, and
true of the sample events in events/."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from leadflow.shared.events import DETAIL_MODELS
from leadflow_local.template import ROOT

CHECKED_IN = ROOT / "schemas" / "events"
SAMPLES = ["notify-lead-assigned.json", "notify-lead-scored.json", "report_lead_converted.json"]


def generate(folder: Path) -> None:
    """The same command as `make schemas`, in a process of its own."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "layers" / "leadflow"), str(ROOT / "cli")])}
    subprocess.run([sys.executable, "-m", "leadflow_cli.event_schemas", str(folder)], env=env, check=True, cwd=ROOT,
                   capture_output=True, timeout=60)


def test_the_checked_in_schemas_are_what_the_models_make_now(tmp_path):
    generate(tmp_path)
    fresh = {p.name: p.read_text("utf-8") for p in tmp_path.glob("*.json")}
    checked_in = {p.name: p.read_text("utf-8") for p in CHECKED_IN.glob("*.json")}
    assert sorted(fresh) == sorted(checked_in), "run `make schemas`"
    stale = [name for name in fresh if fresh[name] != checked_in[name]]
    assert not stale, f"stale: {stale}; run `make schemas`"
    assert len(fresh) == len(DETAIL_MODELS)


@pytest.mark.parametrize("sample", SAMPLES)
def test_the_sample_events_are_valid_and_a_wrong_detail_type_is_not(sample):
    event = json.loads((ROOT / "events" / sample).read_text("utf-8"))
    name = event["detail-type"].lower().replace(" ", "-") + ".json"
    schema = json.loads((CHECKED_IN / name).read_text("utf-8"))
    Draft202012Validator.check_schema(schema)
    validator = Draft202012Validator(schema)
    assert not list(validator.iter_errors(event))
    assert list(validator.iter_errors({**event, "detail-type": "Something Else"}))
    assert list(validator.iter_errors({**event, "detail": {}}))


def test_no_schema_has_a_field_for_contact_data():
    for path in CHECKED_IN.glob("*.json"):
        text = path.read_text("utf-8").lower()
        for field in ('"email"', '"phone"', '"name"', '"ip"'):
            assert field not in text, (path.name, field)
