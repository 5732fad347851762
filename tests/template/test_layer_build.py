"""The layer as `sam build` makes it: wheels for python3.13 on arm64, no SDK of its own."""

import os
import subprocess
from pathlib import Path

import pytest

from leadflow_local.template import ROOT, Template


@pytest.fixture(scope="module")
def layer_site(tmp_path_factory) -> Path:
    """Run the layer's build target exactly as `sam build` does (BuildMethod: makefile)."""
    layer = Template().resources["LeadflowLayer"]
    assert layer["Metadata"] == {"BuildMethod": "makefile", "BuildArchitecture": "arm64"}
    artifacts = tmp_path_factory.mktemp("LeadflowLayer")
    source = ROOT / layer["Properties"]["ContentUri"]
    subprocess.run(["make", "-s", "-C", str(source), "build-LeadflowLayer", f"ARTIFACTS_DIR={artifacts}"],
                   check=True, env={**os.environ, "PIP_CONSTRAINT": ""}, timeout=600)
    return artifacts / "python"


def test_layer_holds_the_domain_package_with_its_data(layer_site):
    package = layer_site / "leadflow"
    assert (package / "routing" / "scoring.py").is_file()
    assert (package / "routing" / "data" / "default_rules.json").is_file()
    assert (package / "notification" / "templates" / "assignment.html").is_file()
    assert not list(package.rglob("__pycache__"))


def test_layer_has_compiled_parts_for_python313_on_arm64(layer_site):
    [core] = list((layer_site / "pydantic_core").glob("_pydantic_core*.so"))
    assert core.name == "_pydantic_core.cpython-313-aarch64-linux-gnu.so"


def test_layer_ships_its_requirements_but_not_the_runtimes_sdk(layer_site):
    shipped = {p.name for p in layer_site.iterdir()}
    for needed in ("aws_lambda_powertools", "aws_xray_sdk", "pydantic", "email_validator", "phonenumbers", "jinja2"):
        assert needed in shipped
    for runtime_sdk in ("boto3", "botocore", "s3transfer", "urllib3"):
        assert runtime_sdk not in shipped
