"""What the template tests share: template.yaml as CloudFormation sees it, after
aws-sam-translator (SAM adds and drops things: what is deployed is what is checked)."""

from typing import Any

import pytest

from leadflow_local.template import translated_template


@pytest.fixture(scope="session")
def translated() -> dict[str, Any]:
    """template.yaml as CloudFormation sees it, after aws-sam-translator expanded SAM (the
    same translation the local stack reads its functions' roles from)."""
    return translated_template()
