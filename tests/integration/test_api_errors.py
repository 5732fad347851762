"""The leads API refuses what it cannot read with a 400 in its error shape, never a 5xx."""

import base64
import json
from typing import Any

import jsonschema
import pytest

from leadflow_local.stack import LocalStack
from leadflow_local.template import ROOT
from support import api_event, claims_of, post_hot_lead

ADMIN = claims_of(admin=True)
NOT_UTF8 = b'{"text": "caf\xe9", "status": "contacted", "reason": "no_need"}'  # Latin-1, not UTF-8


def with_raw_body(event: dict[str, Any], raw: bytes) -> dict[str, Any]:
    """The event as API Gateway passes a body that is not text: base64."""
    return {**event, "body": base64.b64encode(raw).decode("ascii"), "isBase64Encoded": True}


@pytest.mark.parametrize(("method", "path", "resource"), [
    ("POST", "/leads/{id}/status", "/leads/{lead_id}/status"),
    ("POST", "/leads/{id}/notes", "/leads/{lead_id}/notes"),
    ("POST", "/leads/{id}/convert", "/leads/{lead_id}/convert"),
    ("POST", "/leads/{id}/postpone", "/leads/{lead_id}/postpone"),
    ("POST", "/leads/{id}/reject", "/leads/{lead_id}/reject"),
    ("PUT", "/reports/costs", "/reports/costs"),
    ("POST", "/erasures", "/erasures"),
])
def test_a_body_that_is_not_utf8_is_a_400_in_the_error_shape(stack: LocalStack, method, path, resource):
    lead_id = post_hot_lead(stack)
    event = api_event(method, path.replace("{id}", lead_id), claims=ADMIN, resource=resource,
                      path_params={"lead_id": lead_id} if "{id}" in path else None)

    result = stack.invoke("LeadsApiFunction", with_raw_body(event, NOT_UTF8))

    assert result["statusCode"] == 400, result
    body = json.loads(result["body"])
    assert [e["code"] for e in body["errors"]] == ["invalid_request"]
    assert "caf" not in result["body"]  # the refused body is not echoed back


# -- what schemathesis found (tests/e2e/test_api_contract.py): each answer as openapi.json says


DOCUMENT = json.loads((ROOT / "openapi.json").read_text("utf-8"))


def documented(path: str, method: str, status: int) -> dict[str, Any]:
    """The JSON Schema openapi.json gives this answer's body, its references resolvable."""
    response = DOCUMENT["paths"][path][method.lower()]["responses"][str(status)]
    return {**response["content"]["application/json"]["schema"], "components": DOCUMENT["components"]}


def assert_documented(result: dict[str, Any], path: str, method: str) -> dict[str, Any]:
    """The answer's body, once it is what the document says for its status."""
    body = json.loads(result["body"])
    jsonschema.validate(body, documented(path, method, result["statusCode"]))
    return body


def lead_event(method: str, lead_id: str, action: str, body: Any, **kwargs: Any) -> dict[str, Any]:
    return api_event(method, f"/leads/{lead_id}{action}", claims=ADMIN, body=body, resource=f"/leads/{{lead_id}}{action}",
                     path_params={"lead_id": lead_id}, **kwargs)


def test_api_gateways_own_401_is_the_documented_one(stack: LocalStack):
    # Before: every operation documented its 401 as an ApiError; the authorizer answers
    # {"message": "Unauthorized"} before the function runs.
    response = stack.handle_http("GET", "/leads", {}, b"")

    assert response.status == 401
    jsonschema.validate(json.loads(response.body), documented("/leads", "GET", 401))


@pytest.mark.parametrize("content_type", [
    "multipart/form-data",  # no boundary: Powertools raised ValueError, a 502
    "multipart/form-data; boundary=x",
    "application/x-www-form-urlencoded",  # Powertools parsed it as a form
    "text/plain",  # Powertools' own 415 body, not the error shape
])
@pytest.mark.parametrize(("method", "path", "resource"), [
    ("POST", "/leads/{id}/notes", "/leads/{lead_id}/notes"),
    ("PUT", "/reports/costs", "/reports/costs"),
    ("POST", "/erasures", "/erasures"),
])
def test_a_body_that_is_not_json_is_a_documented_415(stack: LocalStack, content_type, method, path, resource):
    event = api_event(method, path.replace("{id}", "lead-1"), claims=ADMIN, resource=resource,
                      body="text=hello", path_params={"lead_id": "lead-1"} if "{id}" in path else None)
    event["headers"] = {"Content-Type": content_type}

    result = stack.invoke("LeadsApiFunction", event)

    assert result["statusCode"] == 415, result
    assert assert_documented(result, resource, method)["code"] == "unsupported_media_type"


@pytest.mark.parametrize(("method", "action", "body"), [
    ("POST", "/convert", [None, None]),  # Powertools took an array's first item: 201
    ("POST", "/status", [{"status": "contacted"}, "anything"]),
    ("POST", "/notes", "a note"),
])
def test_a_body_that_is_not_a_json_object_is_a_400(stack: LocalStack, method, action, body):
    lead_id = post_hot_lead(stack)

    result = stack.invoke("LeadsApiFunction", lead_event(method, lead_id, action, body))

    assert result["statusCode"] == 400, result
    assert assert_documented(result, f"/leads/{{lead_id}}{action}", method)["code"] == "invalid_request"


@pytest.mark.parametrize("query", [{"to": "0"}, {"from": "0"}, {"to": "2026-01-01T00:00:00"}, {"from": "20260101"}])
def test_a_day_in_a_query_is_yyyy_mm_dd_only(stack: LocalStack, query):
    # Before: `to=0` listed the leads to 1970-01-01 (pydantic read it as a Unix time).
    for path in ("/leads", "/exports/leads"):
        result = stack.invoke("LeadsApiFunction", api_event("GET", path, claims=ADMIN, query=query))

        assert result["statusCode"] == 400, (path, result)
        body = assert_documented(result, path, "GET")
        assert [e["field"] for e in body["errors"]] == list(query), body


def test_a_day_in_a_body_is_yyyy_mm_dd_only(stack: LocalStack):
    lead_id = post_hot_lead(stack)
    midnight_2100 = 4102444800  # pydantic took it for 2100-01-01: the lead was postponed

    result = stack.invoke("LeadsApiFunction", lead_event("POST", lead_id, "/postpone", {"follow_up_on": midnight_2100}))

    assert result["statusCode"] == 400, result
    assert assert_documented(result, "/leads/{lead_id}/postpone", "POST")["code"] == "invalid_request"


@pytest.mark.parametrize("farewell", [0, 1, "yes", "true"])
def test_farewell_is_a_boolean_only(stack: LocalStack, farewell):
    # Before: 0 (and "yes") were read as booleans and the lead rejected.
    lead_id = post_hot_lead(stack)

    result = stack.invoke("LeadsApiFunction", lead_event("POST", lead_id, "/reject",
                                                         {"reason": "no_budget", "farewell": farewell}))

    assert result["statusCode"] == 400, result
    assert assert_documented(result, "/leads/{lead_id}/reject", "POST")["code"] == "invalid_request"


@pytest.mark.parametrize("amount", [1234.5, 1e308, "12.5x", "+5", "1.234", "1e3", "1" * 13])
def test_a_channel_cost_is_a_decimal_string_as_documented(stack: LocalStack, amount):
    # Before: the document's pattern for `amount` (pydantic's) let "12.5x" through and
    # numbers had no bound, so requests valid by the document were refused as invalid.
    cost = {"month": "2026-03", "channel": "google", "amount": amount, "currency": "EUR"}
    schema = DOCUMENT["components"]["schemas"]["ChannelCostInput"]

    result = stack.invoke("LeadsApiFunction", api_event("PUT", "/reports/costs", claims=ADMIN, body=cost))

    assert result["statusCode"] == 400, result
    assert assert_documented(result, "/reports/costs", "PUT")["code"] == "invalid_request"
    assert not jsonschema.Draft202012Validator(schema).is_valid(cost)


def test_a_lead_id_with_characters_no_id_has_is_a_400(stack: LocalStack):
    # Before: the resolver could not route `/leads/%C2%84` and answered 404 `not_found`,
    # a code the document did not give these routes.
    odd = "\x84"
    for method, action, body in (("GET", "", None), ("POST", "/notes", {"text": "x"}),
                                 ("POST", "/status", {"status": "contacted"})):
        result = stack.invoke("LeadsApiFunction", lead_event(method, odd, action, body))

        assert result["statusCode"] == 400, (action, result)
        answer = assert_documented(result, f"/leads/{{lead_id}}{action}", method)
        assert (answer["code"], [e["field"] for e in answer["errors"]]) == ("invalid_request", ["lead_id"])
