"""What the template tests share: template.yaml as CloudFormation sees it, after
aws-sam-translator (SAM adds and drops things: what is deployed is what is checked)."""

import os
from typing import Any

import pytest

from leadflow_local.template import ROOT


def translate(text: str) -> dict[str, Any]:
    """A SAM template's text, translated to plain CloudFormation."""
    from samtranslator.translator.transform import transform
    from samtranslator.yaml_helper import yaml_parse

    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    doc = yaml_parse(text)
    # The translator wants S3 locations where `sam build` would put the code.
    for resource in doc["Resources"].values():
        props = resource.get("Properties", {})
        for uri in ("CodeUri", "ContentUri"):
            if uri in props:
                props[uri] = f"s3://leadflow-artifacts/{uri}.zip"

    class NoManagedPolicies:
        def load(self) -> dict[str, str]:
            return {}

    return transform(doc, {}, NoManagedPolicies())


@pytest.fixture(scope="session")
def translated() -> dict[str, Any]:
    """template.yaml as CloudFormation sees it, after aws-sam-translator expanded SAM."""
    return translate((ROOT / "template.yaml").read_text("utf-8"))
