"""capture's own routing (no Powertools resolver): what reaches the function through API
Gateway other than its two routes is answered as the resolver answered it, in the
proxy result's shape (every header in multiValueHeaders)."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from support import load_event

PAGE = "https://www.example.com"
POST = json.dumps({"name": "Ana", "email": "ana@acme-corp.com"})


def invoke(stack, method: str = "POST", path: str = "/forms/demo/submissions", *, headers: Any = "json",
           body: str | None = POST) -> dict[str, Any]:
    event = copy.deepcopy(load_event("capture-json"))
    event.update(httpMethod=method, path=path, body=body)
    if headers != "json":
        event["headers"] = headers
    return stack.invoke("CaptureFunction", event)


def codes(answer: dict[str, Any]) -> list[str]:
    return [e["code"] for e in json.loads(answer["body"])["errors"]]


def test_a_post_is_a_proxy_result_with_multi_value_headers(stack):
    answer = invoke(stack)

    assert answer["statusCode"] == 202 and answer["isBase64Encoded"] is False
    assert answer["multiValueHeaders"] == {"Content-Type": ["application/json"],
                                           "Access-Control-Allow-Origin": [PAGE], "Vary": ["Origin"]}
    assert json.loads(answer["body"])["status"] == "accepted"


@pytest.mark.parametrize(("method", "path"), [
    ("post", "/forms/demo/submissions"),     # the method in any case
    ("POST", "/forms/demo/submissions/"),    # trailing slashes
    ("POST", "/forms/demo/submissions//"),
])
def test_the_route_is_read_as_the_resolver_read_it(stack, method, path):
    assert invoke(stack, method, path)["statusCode"] == 202


@pytest.mark.parametrize(("method", "path"), [
    ("GET", "/forms/demo/submissions"),
    ("PUT", "/forms/demo/submissions"),
    ("POST", "/forms/demo/submissions/x"),
    ("POST", "/forms//submissions"),
    ("POST", '/forms/de"mo/submissions'),
    ("POST", "/"),
])
def test_anything_else_is_the_same_404(stack, method, path):
    answer = invoke(stack, method, path)

    assert answer["statusCode"] == 404 and codes(answer) == ["not_found"]
    assert answer["multiValueHeaders"] == {"Content-Type": ["application/json"]}


def test_headers_are_read_whatever_their_case_the_last_spelling_winning(stack):
    answer = invoke(stack, headers={"content-type": "text/plain", "Content-Type": "application/json",
                                    "ORIGIN": PAGE})

    assert answer["statusCode"] == 202
    assert answer["multiValueHeaders"]["Access-Control-Allow-Origin"] == [PAGE]


def test_a_refusal_from_the_preflight_is_the_exception_handlers(stack):
    answer = invoke(stack, "OPTIONS", "/forms/nope/submissions", headers={"Origin": PAGE}, body=None)

    assert answer["statusCode"] == 404 and codes(answer) == ["form_not_found"]
