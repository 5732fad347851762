"""The shape of every error Leadflow answers over HTTP: `errors`, each with the `field`
it is about (null: the request as a whole), a stable machine-readable `code` and a
message for people; plus JSON answers in that shape."""

from __future__ import annotations

import json

from aws_lambda_powertools.event_handler import Response
from pydantic import BaseModel, ConfigDict, Field

from leadflow.shared.models import LeadStatus


class FieldError(BaseModel):
    field: str | None
    code: str
    message: str


class ApiError(BaseModel):
    """The body of every error of the leads API (`api_error`), for the OpenAPI document:
    `errors`, each with a machine-readable `code`, and what a client acts on."""

    model_config = ConfigDict(extra="allow")

    errors: list[FieldError] = Field(description="what is wrong: `field` (null: the request as a whole), "
                                                 "a stable `code`, a message for people")
    code: str | None = Field(default=None, description="with several field errors: the request's code")
    status: LeadStatus | None = Field(default=None, description="409 `transition_not_allowed`: the lead's status")
    allowed: list[LeadStatus] | None = Field(
        default=None, description="409 `transition_not_allowed`: the statuses the lead may go to from here")


def json_response(status: int, body: dict, headers: dict[str, str] | None = None) -> Response:
    """A JSON answer; non-ASCII text as it is (names in Arabic stay readable)."""
    return Response(status_code=status, content_type="application/json", body=json.dumps(body, ensure_ascii=False),
                    headers=headers or {})


def api_error(status: int, code: str, message_text: str, /, *, errors: list[dict] | None = None,
              **details: object) -> Response:
    """The APIs' errors, in capture's shape (`errors`: field, code, message), with any
    details a client acts on beside it (e.g. the lead's `status` and the `allowed`
    statuses of a 409: positional-only parameters leave those names free)."""
    body: dict = {"errors": errors or [{"field": None, "code": code, "message": message_text}], **details}
    if errors:
        body["code"] = code
    return json_response(status, body)
