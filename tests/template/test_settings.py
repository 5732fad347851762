"""Each function's settings come from its own template Environment, and from nothing
else: a variable a function needs but the template does not give it fails here, as it
would fail the deployed function at init."""

from collections import defaultdict
from typing import Any

import pytest
from pydantic import ValidationError

from leadflow.shared import settings
from leadflow_local.template import Resolver, Template

SETTINGS = {
    "CaptureFunction": settings.CaptureSettings, "StoreFallbackFunction": settings.StoreFallbackSettings,
    "ScoreFunction": settings.ScoreSettings, "NotifyFunction": settings.NotifySettings,
    "RemindFunction": settings.RemindSettings, "LeadsApiFunction": settings.ApiSettings,
    "ActionsFunction": settings.ActionsSettings, "ReportFunction": settings.ReportSettings,
    "ImportFunction": settings.ImportSettings, "ConsoleFunction": settings.ConsoleSettings,
    "ChatFunction": settings.ChatSettings,
}


class _Anything(defaultdict):
    """What a Ref or GetAtt resolves to here: a plausible value for any name."""

    def __missing__(self, key: str) -> str:
        return f"arn:aws:test:us-east-1:123456789012:{key}"


def own_environment(logical_id: str) -> dict[str, str]:
    """The function's template variables (Globals included), resolved, and nothing else."""
    template = Template()
    spec = template.function(logical_id)
    refs = _Anything(None, {"AWS::StackName": "leadflow", "AWS::Region": "us-east-1", "AWS::AccountId": "123456789012",
                            "AWS::Partition": "aws", "AWS::URLSuffix": "amazonaws.com",
                            **template.parameter_defaults()})
    resolve = Resolver(refs, _Anything(), template.doc.get("Conditions", {}))
    return {name: str(resolve(value)) for name, value in spec.environment.items()}


def test_every_function_has_its_settings():
    assert set(SETTINGS) == {spec.logical_id for spec in Template().functions()}


@pytest.mark.parametrize("logical_id", sorted(SETTINGS))
def test_each_functions_settings_read_from_its_own_environment_only(logical_id):
    env = own_environment(logical_id)
    SETTINGS[logical_id].model_validate(env)
    required = {f.alias for f in SETTINGS[logical_id].model_fields.values() if f.is_required()}
    assert required <= set(env), required - set(env)


@pytest.mark.parametrize(("logical_id", "variable"), [
    ("RemindFunction", "SENDER_EMAIL"), ("ActionsFunction", "ACTION_LINK_SECRET_ARN"),
    ("CaptureFunction", "HASH_KEY_SECRET_ARN"), ("NotifyFunction", "SENDER_EMAIL"),
])
def test_a_required_variable_left_out_of_a_functions_template_fails(logical_id, variable):
    env: dict[str, Any] = own_environment(logical_id)
    del env[variable]
    with pytest.raises(ValidationError):
        SETTINGS[logical_id].model_validate(env)
