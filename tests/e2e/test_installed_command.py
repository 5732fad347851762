"""The installed `leadflow` script (make install) against the session's running local
stack, as an operator types it: `leadflow --local rules show b2b`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import pytest

from leadflow.routing.rule_sets import default_rule_set

if TYPE_CHECKING:  # fixtures provide them; conftest is not imported at run time
    from conftest import RunningStack

pytestmark = pytest.mark.e2e


def test_the_installed_leadflow_command_reads_the_running_local_stack(local_stack: RunningStack,
                                                                      tmp_path: Path) -> None:
    # GIVEN the console script the venv's installer made, run from outside the checkout
    # with no PYTHONPATH and none of the developer's AWS settings; only the dev port
    script = Path(sys.executable).parent / "leadflow"
    assert script.is_file(), "make install did not install the `leadflow` script into the venv"
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_") and k != "PYTHONPATH"}
    env["PORT"] = str(urlsplit(local_stack.base_url).port)

    # WHEN the operator asks which b2b rules score leads now, as text and as JSON
    shown = subprocess.run([str(script), "--local", "rules", "show", "b2b"], cwd=tmp_path, env=env,
                           capture_output=True, text=True, timeout=60, check=False)
    as_json = subprocess.run([str(script), "rules", "show", "b2b", "--local", "--json"], cwd=tmp_path, env=env,
                             capture_output=True, text=True, timeout=60, check=False)

    # THEN both read the local stack's table (no override there: the shipped default)
    shipped = default_rule_set("b2b")
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.startswith(f"b2b: shipped default, version {shipped.version}\n")
    assert as_json.returncode == 0, as_json.stderr
    [b2b] = json.loads(as_json.stdout)["rule_sets"]
    assert (b2b["in_force"], b2b["rule_set"]["version"]) == ("default", shipped.version)


def test_the_installed_command_sees_the_seed_it_applied_and_lists_the_forms(local_stack: RunningStack,
                                                                          tmp_path: Path) -> None:
    # GIVEN make dev, seeded through `leadflow apply local/seed.json` as it started
    script = Path(sys.executable).parent / "leadflow"
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_") and k != "PYTHONPATH"}
    env["PORT"] = str(urlsplit(local_stack.base_url).port)
    seed = Path(__file__).resolve().parents[2] / "local" / "seed.json"

    # WHEN the operator applies the seed again (a dry run) and lists the forms
    applied = subprocess.run([str(script), "--local", "--json", "apply", str(seed), "--dry-run"], cwd=tmp_path,
                             env=env, capture_output=True, text=True, timeout=60, check=False)
    listed = subprocess.run([str(script), "--local", "forms", "list"], cwd=tmp_path, env=env, capture_output=True,
                            text=True, timeout=60, check=False)

    # THEN nothing would change (the seed's origins are the dev server's own), and the
    # demo forms post to the dev server
    assert applied.returncode == 0, applied.stderr
    assert {c["action"] for c in json.loads(applied.stdout)["changes"]} == {"unchanged"}
    assert listed.returncode == 0, listed.stderr
    assert f"{local_stack.base_url}/forms/demo-es/submissions" in listed.stdout
