"""Figure 1: cold init per function, against bare boto3 in the same run.

Each sample is a fresh interpreter that times, from inside, the import of one handler
file (what Lambda's init phase does before the first request); interpreter start-up is
left out of every sample alike. The baseline does what each handler does at least once:
import boto3 and create a client, so a handler's ratio says what Powertools, pydantic
and the domain add on top of it."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
from typing import Any

from bench.measure import FUNCTIONS, dummy_resolver, function_env, offline_aws_env
from leadflow_local.template import ROOT, Template

# Run as `python -c`; prints milliseconds. Each sample is a process of its own, as each
# function is alone in its Lambda execution environment.
IMPORT_HANDLER = """\
import importlib.util, os, sys, time
sys.path.insert(0, os.path.dirname(sys.argv[1]))  # the function's folder, as Lambda's task root
start = time.perf_counter()
spec = importlib.util.spec_from_file_location("handler_under_test", sys.argv[1])
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
print((time.perf_counter() - start) * 1000)
"""
IMPORT_BOTO3 = """\
import time
start = time.perf_counter()
import boto3
boto3.client("dynamodb", region_name="us-east-1")
print((time.perf_counter() - start) * 1000)
"""
BASELINE = "baseline"
# The pipeline's functions, then the ones a manager waits on (the leads API, the pages
# behind an email's links) and the rest of the event consumers.
COLD_START_FUNCTIONS = {**FUNCTIONS, "leads api": "LeadsApiFunction", "actions (email links)": "ActionsFunction",
                        "report": "ReportFunction", "remind": "RemindFunction"}


def _layer_env() -> dict[str, str]:
    """A clean environment: the layer on the path (as /opt/python in Lambda), fake
    credentials, nothing inherited from the developer's AWS or Python settings."""
    keep = {k: v for k, v in os.environ.items()
            if k in ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "SYSTEMROOT")}
    return {**keep, **offline_aws_env(), "PYTHONPATH": str(ROOT / "layers" / "leadflow")}


def _time_once(argv: list[str], env: dict[str, str]) -> float:
    done = subprocess.run([sys.executable, "-c", *argv], env=env, cwd=ROOT, capture_output=True, text=True,
                          check=False, timeout=120)
    if done.returncode != 0:
        raise RuntimeError(f"cold start sample failed ({done.returncode}):\n{done.stderr[-2000:]}")
    return float(done.stdout.strip().splitlines()[-1])


def run(runs: int) -> dict[str, Any]:
    """Median import time per function and for the baseline, over `runs` fresh processes."""
    template = Template()
    resolve = dummy_resolver(template)
    base_env = _layer_env()
    cases: dict[str, tuple[list[str], dict[str, str]]] = {BASELINE: ([IMPORT_BOTO3], base_env)}
    for name, logical_id in COLD_START_FUNCTIONS.items():
        spec = template.function(logical_id)
        module_file = spec.handler.rsplit(".", 1)[0]
        env = {**base_env, **function_env(spec, resolve)}
        cases[name] = ([IMPORT_HANDLER, str(spec.code_uri / f"{module_file}.py")], env)

    # One unmeasured run each writes the bytecode caches, as a deployed package ships them.
    for argv, env in cases.values():
        _time_once(argv, env)
    # Interleaved, so a noisy moment on the machine touches every case alike.
    samples: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(runs):
        for name, (argv, env) in cases.items():
            samples[name].append(_time_once(argv, env))

    baseline = statistics.median(samples[BASELINE])
    return {
        "runs": runs,
        "baseline": "import boto3; boto3.client('dynamodb')",
        "cases": {
            name: {"median_ms": round(statistics.median(values), 1), "min_ms": round(min(values), 1),
                   "max_ms": round(max(values), 1), "ratio_to_baseline": round(statistics.median(values) / baseline, 2)}
            for name, values in samples.items()
        },
    }
