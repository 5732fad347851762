"""The leads API behind Cognito, over HTTP on the running local stack, with the token
`make token` prints."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:  # fixtures provide them; conftest is not imported at run time
    from conftest import HttpClient

pytestmark = pytest.mark.e2e

UNAUTHORIZED = {"message": "Unauthorized"}


def test_the_leads_api_answers_401_without_a_token(http: HttpClient) -> None:
    reply = http.request("GET", "/leads")

    assert reply.status == 401
    assert reply.json() == UNAUTHORIZED


def claims_of(token: str) -> dict[str, Any]:
    """A JWT's payload, read without checking it (the server checks)."""
    payload = token.split(".")[1]
    return dict(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))))


def test_a_token_from_make_token_opens_the_leads_api(http: HttpClient, id_token: Callable[..., str]) -> None:
    token = id_token("olivia@sales.example.com")
    claims = claims_of(token)

    reply = http.request("GET", "/leads", headers={"Authorization": token})

    assert claims["custom:manager_id"] == "m-olivia" and claims["token_use"] == "id"
    assert reply.status != 401, reply.text
    assert reply.json() != UNAUTHORIZED


def test_the_default_token_is_the_admins(http: HttpClient, id_token: Callable[..., str]) -> None:
    token = id_token()
    claims = claims_of(token)

    assert claims["cognito:groups"] == ["admins"]
    assert http.request("GET", "/reports", headers={"Authorization": f"Bearer {token}"}).status != 401


def test_a_forged_token_is_refused(http: HttpClient, id_token: Callable[..., str]) -> None:
    header, _claims, signature = id_token("sam@sales.example.com").split(".")
    forged = base64.urlsafe_b64encode(json.dumps({"custom:manager_id": "m-olivia"}).encode()).decode().rstrip("=")

    reply = http.request("GET", "/leads", headers={"Authorization": f"{header}.{forged}.{signature}"})

    assert reply.status == 401
    assert reply.json() == UNAUTHORIZED
