"""openapi.json: the leads API's OpenAPI document, generated from the code by Powertools
(`make openapi`), checked in, and describing exactly the routes template.yaml gives
LeadsApiFunction, behind the template's Cognito authorizer."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from leadflow_local.template import ROOT, Template

CHECKED_IN = ROOT / "openapi.json"
API_FUNCTION = "LeadsApiFunction"


def generate(target: Path) -> dict[str, Any]:
    """The document as the code makes it now: the same command as `make openapi`, in a
    process of its own (importing the handler reads its settings from the environment)."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "layers" / "leadflow"), str(ROOT / "cli")])}
    subprocess.run([sys.executable, "-m", "leadflow_cli.openapi", str(target)], env=env, check=True,
                   cwd=ROOT, capture_output=True, timeout=120)
    return json.loads(target.read_text("utf-8"))


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> dict[str, Any]:
    return generate(tmp_path_factory.mktemp("openapi") / "openapi.json")


def operations(document: dict[str, Any]) -> set[tuple[str, str]]:
    return {(path, method.upper()) for path, methods in document["paths"].items() for method in methods}


def template_routes(function_id: str) -> set[tuple[str, str]]:
    [spec] = [s for s in Template().functions() if s.logical_id == function_id]
    return {(e.properties["Path"], e.properties["Method"].upper()) for e in spec.events if e.type == "Api"}


def test_the_checked_in_document_is_what_the_code_generates(generated):
    checked_in = json.loads(CHECKED_IN.read_text("utf-8"))
    assert checked_in == generated, "openapi.json is stale: run `make openapi` and commit it"


def test_the_document_has_exactly_the_routes_of_the_leads_api_function_in_the_template(generated):
    # Capture and the signed-link pages are other functions with their own resolvers:
    # this document describes the authenticated leads API only.
    assert operations(generated) == template_routes(API_FUNCTION)


def test_the_route_check_can_fail():
    # A route the template lacks, or one the code lacks, is a difference.
    routes = template_routes(API_FUNCTION)
    document: dict[str, Any] = {"paths": {}}
    for path, method in routes:  # a path may have several methods
        document["paths"].setdefault(path, {})[method.lower()] = {}
    assert operations(document) == routes
    document["paths"]["/leads/{lead_id}/archive"] = {"post": {}}
    assert operations(document) != routes


def test_every_operation_needs_the_cognito_token_the_template_asks_for(generated):
    template = Template()
    auth = template.resources["LeadsApi"]["Properties"]["Auth"]
    [scheme] = generated["components"]["securitySchemes"]
    assert scheme == auth["DefaultAuthorizer"] and set(auth["Authorizers"]) == {scheme}
    assert generated["security"] == [{scheme: []}]
    assert generated["components"]["securitySchemes"][scheme]["x-amazon-apigateway-authtype"] == "cognito_user_pools"
    assert not any("security" in op for methods in generated["paths"].values() for op in methods.values())
    stage = template.resources["LeadsApi"]["Properties"]["StageName"]
    assert [s["url"] for s in generated["servers"]] == [f"/{stage}"]
    assert generated["info"]["title"] == "Leadflow"


API_ERROR = {"$ref": "#/components/schemas/ApiError"}
ADMIN_ONLY = {("/reports", "get"), ("/reports/costs", "put"), ("/erasures", "post")}


def admin_api_operations(document: dict[str, Any]) -> set[tuple[str, str]]:
    """The admin API's operations: every path under /admin."""
    return {(path, method) for path, methods in document["paths"].items() if path.startswith("/admin/")
            for method in methods}


def error_codes(response: dict[str, Any]) -> list[str]:
    """The codes an error answer of the document may carry: the enum of its body's `code`."""
    schema = response["content"]["application/json"]["schema"]
    base, codes = schema["allOf"]
    assert base == API_ERROR and codes["required"] == ["code"], schema
    return list(codes["properties"]["code"]["enum"])


def test_errors_are_documented_as_this_api_answers_them(generated):
    # Invalid requests are 400 here, never Powertools' default 422; every error is an
    # ApiError naming the codes it may carry, but API Gateway's own 401.
    for path, methods in generated["paths"].items():
        for method, operation in methods.items():
            responses = operation["responses"]
            assert "422" not in responses and {"400", "401"} <= set(responses), (path, method)
            assert ("415" in responses) == ("requestBody" in operation), (path, method)
            assert "invalid_request" in error_codes(responses["400"]), (path, method)
            for code, response in responses.items():
                if code[0] in "45" and code != "401":
                    assert error_codes(response), (path, method, code)
            gateway, api = responses["401"]["content"]["application/json"]["schema"]["anyOf"]
            assert gateway == {"$ref": "#/components/schemas/GatewayError"}
            assert error_codes({"content": {"application/json": {"schema": api}}}) == ["not_authenticated"]
    export = generated["paths"]["/exports/leads"]["get"]["responses"]["200"]
    assert list(export["content"]) == ["text/csv"] and {"Link", "X-Next-Cursor"} <= set(export["headers"])


def test_the_admins_routes_document_their_403(generated):
    # forms 6, managers 5, users 4, rules 4, queue 3, imports 4, spam 2, partners 7
    assert len(admin_api_operations(generated)) == 35
    for path, method in ADMIN_ONLY | admin_api_operations(generated):
        assert error_codes(generated["paths"][path][method]["responses"]["403"]) == ["admins_only"], (path, method)
    for path in ("/leads", "/exports/leads"):  # a manager asking for the unassigned queue
        assert "admins_only" in error_codes(generated["paths"][path]["get"]["responses"]["403"])


def test_the_error_bodies_are_schemas_of_the_document(generated):
    schemas = generated["components"]["schemas"]
    assert {"ApiError", "FieldError", "GatewayError"} <= set(schemas)
    assert schemas["ApiError"]["required"] == ["errors", "code"]
    assert schemas["GatewayError"]["required"] == ["message"]
    # Powertools' 422 and response-validation shapes: this API answers neither.
    assert not {"HTTPValidationError", "ValidationError", "ResponseValidationError"} & set(schemas)


def test_the_document_is_valid_openapi(generated):
    from openapi_spec_validator import validate

    validate(generated)
