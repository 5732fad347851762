"""Each function runs as Lambda runs it (leadflow_local/functions.py): imported and
invoked with the process's environment plus its own template variables, nothing from
another function; with its own sibling modules; and anew after its container retires."""

import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from moto import mock_aws

from leadflow_local.stack import LocalStack
from leadflow_local.template import Template

# Each function reports what it saw when imported and when invoked.
REPORTING_HANDLER = '''
import os

import helper

AT_IMPORT = dict(os.environ)


def handler(event, context):
    helper.calls.append(event)
    return {"import": AT_IMPORT, "invoke": dict(os.environ), "helper": helper.NAME, "calls": len(helper.calls),
            "helper_id": id(helper)}
'''
HELPER = 'NAME = "{name}"\ncalls = []\n'


def function(code_uri: str, variables: dict[str, Any]) -> dict[str, Any]:
    return {"Type": "AWS::Serverless::Function", "Properties": {
        "CodeUri": code_uri, "Handler": "app.handler", "Environment": {"Variables": variables}}}


@pytest.fixture
def tiny_template(tmp_path: Path) -> Template:
    """Two functions in folders of their own, each with a sibling module named alike;
    only One's template environment has ONLY_ONE, and both set SHARED differently."""
    for folder in ("one", "two"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "app.py").write_text(REPORTING_HANDLER)
        (tmp_path / folder / "helper.py").write_text(HELPER.format(name=folder))
    doc = {
        "Globals": {"Function": {"Environment": {"Variables": {"FROM_GLOBALS": "g"}}}},
        "Resources": {
            "Queue": {"Type": "AWS::SQS::Queue"},
            "One": function("one/", {"ONLY_ONE": "1", "SHARED": "one", "QUEUE_URL": {"Ref": "Queue"}}),
            "Two": function("two/", {"SHARED": "two"}),
        },
    }
    return Template(doc=doc, root=tmp_path)


@pytest.fixture
def stack(tiny_template: Template, monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalStack]:
    monkeypatch.setenv("FROM_THE_PROCESS", "p")
    with mock_aws():
        yield LocalStack(tiny_template).deploy(start_functions=False)


def test_a_function_sees_only_its_own_variables_at_import_and_at_invocation(stack):
    one = stack.invoke("One", {})
    two = stack.invoke("Two", {})

    for seen in ("import", "invoke"):
        assert one[seen]["ONLY_ONE"] == "1" and one[seen]["SHARED"] == "one"
        assert one[seen]["QUEUE_URL"].endswith("/leadflow-local-Queue")
        assert "ONLY_ONE" not in two[seen] and "QUEUE_URL" not in two[seen], seen
        assert two[seen]["SHARED"] == "two"
        for env in (one[seen], two[seen]):
            assert env["FROM_GLOBALS"] == "g" and env["FROM_THE_PROCESS"] == "p"
            assert env["AWS_DEFAULT_REGION"] == stack.region
    assert "ONLY_ONE" not in stack.environments["Two"]


def test_the_process_environment_is_put_back_after_each_function(stack):
    before = dict(os.environ)

    stack.invoke("One", {})
    after_one = dict(os.environ)
    stack.invoke("Two", {})

    assert after_one == before and dict(os.environ) == before
    assert "ONLY_ONE" not in os.environ and "SHARED" not in os.environ


def test_a_handler_that_needs_a_variable_its_template_lacks_fails_as_in_lambda(stack, tiny_template):
    (tiny_template.root / "two" / "app.py").write_text('import os\n\nTABLE = os.environ["ONLY_ONE"]\n\n\n'
                                                       "def handler(event, context):\n    return TABLE\n")
    assert stack.invoke("One", {})["invoke"]["ONLY_ONE"] == "1"  # another function has it

    with pytest.raises(KeyError, match="ONLY_ONE"):
        stack.invoke("Two", {})


def test_each_function_imports_its_own_sibling_modules_and_leaves_none_behind(stack):
    one, two = stack.invoke("One", {}), stack.invoke("Two", {})

    assert (one["helper"], two["helper"]) == ("one", "two")
    assert "helper" not in sys.modules and "leadflow_fn_One" not in sys.modules
    assert str(stack.containers["One"].code_dir) not in sys.path


def test_a_warm_container_keeps_its_modules_and_a_new_one_imports_them_anew(stack):
    first = stack.invoke("One", {})
    warm = stack.invoke("One", {})
    module = stack.module("One")

    stack.containers["One"].retire()
    fresh = stack.invoke("One", {})

    assert (first["calls"], warm["calls"]) == (1, 2) and warm["helper_id"] == first["helper_id"]
    assert fresh["calls"] == 1 and fresh["helper_id"] != first["helper_id"]
    assert stack.module("One") is not module
    assert stack.containers["One"].cold_starts == 2


def test_a_module_imported_under_a_sibling_name_elsewhere_is_not_used_and_is_put_back(stack, monkeypatch):
    stranger = type(sys)("helper")
    stranger.NAME, stranger.calls = "stranger", []
    monkeypatch.setitem(sys.modules, "helper", stranger)

    seen = stack.invoke("One", {})

    assert seen["helper"] == "one" and sys.modules["helper"] is stranger
