"""Detailed tracing: Powertools' Tracer (and the X-Ray SDK) only when switched on."""

import subprocess
import sys
from pathlib import Path

import pytest

from leadflow.shared import tracing

LAYER = Path(__file__).resolve().parents[2] / "layers" / "leadflow"


def test_without_detailed_tracing_the_decorators_leave_the_functions_as_they_are(monkeypatch):
    monkeypatch.delenv(tracing.DETAILED_TRACING_ENV, raising=False)
    tracer = tracing.tracer()

    def handler(event, context):
        return {"event": event}

    assert tracer.capture_lambda_handler(handler) is handler
    assert tracer.capture_method(handler) is handler
    assert tracer.capture_method(capture_response=False)(handler) is handler
    assert tracer.capture_lambda_handler(capture_response=False)(handler) is handler
    tracer.put_annotation("lead_id", "x")
    tracer.put_metadata("k", {"v": 1})


@pytest.mark.parametrize(("value", "on"), [("true", True), ("TRUE", True), ("false", False), ("", False)])
def test_the_switch(monkeypatch, value, on):
    monkeypatch.setenv(tracing.DETAILED_TRACING_ENV, value)
    assert tracing.detailed_tracing() is on


def test_detailed_tracing_is_powertools_tracer(monkeypatch):
    from aws_lambda_powertools import Tracer

    monkeypatch.setenv(tracing.DETAILED_TRACING_ENV, "true")
    assert isinstance(tracing.tracer(), Tracer)


def test_off_the_x_ray_sdk_is_never_imported():
    # A fresh interpreter: importing and using the stand-in loads no aws_xray_sdk.
    code = ("import sys, os; os.environ.pop('DETAILED_TRACING', None); from leadflow.shared import tracing; "
            "import aws_lambda_powertools; tracing.tracer().capture_method(print); "
            "print('aws_xray_sdk.core' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], env={"PYTHONPATH": str(LAYER)}, capture_output=True,
                          text=True, check=True)
    assert done.stdout.strip() == "False"
