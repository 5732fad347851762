"""The collector at a cold start (leadflow.shared.coldstart): paused for init on Lambda
only, then on again with init's objects frozen; locally, where containers share a
process, never touched."""

import subprocess
import sys
from pathlib import Path

LAYER = Path(__file__).resolve().parents[2] / "layers" / "leadflow"
FUNCTIONS = Path(__file__).resolve().parents[2] / "functions"

CODE = """
import gc
from leadflow.shared import coldstart
paused = coldstart.paused_for_init()
during = gc.isenabled()
garbage = [[] for _ in range(3)]
for g in garbage:
    g.append(g)  # cycles
coldstart.init_done(paused)
print(paused, during, gc.isenabled(), gc.get_freeze_count() > 0)
"""


def run(env: dict[str, str]) -> str:
    done = subprocess.run([sys.executable, "-c", CODE], env={"PYTHONPATH": str(LAYER), **env}, capture_output=True,
                          text=True, check=True)
    return done.stdout.strip()


def test_on_lambda_init_runs_without_collections_and_ends_frozen():
    assert run({"AWS_LAMBDA_FUNCTION_NAME": "leadflow-CaptureFunction"}) == "True False True True"


def test_elsewhere_the_collector_is_left_alone():
    assert run({}) == "False True True False"


def test_every_function_pauses_and_ends_its_init():
    from leadflow_local.template import Template

    handlers = sorted(FUNCTIONS.glob("*/app.py"))
    # every function folder of the template (the console's code is its own package)
    in_template = {spec.code_uri.resolve() for spec in Template().functions() if spec.code_uri.parent == FUNCTIONS}
    assert {handler.parent.resolve() for handler in handlers} == in_template and len(handlers) >= 9
    for handler in handlers:
        source = handler.read_text()
        assert "PAUSED = coldstart.paused_for_init()" in source
        assert source.rstrip().splitlines()[-1].startswith("coldstart.init_done(PAUSED)")
