"""The shape of every error Leadflow answers over HTTP: `errors`, each with the `field`
it is about (null: the request as a whole), a stable machine-readable `code` and a
message for people; plus JSON answers in that shape, how the leads API's document
declares them, and what the leads API reads (JSON bodies, days as YYYY-MM-DD)."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import date
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from leadflow.shared.models import LeadStatus

if TYPE_CHECKING:
    from aws_lambda_powertools.event_handler import Response

# Powertools' event handler is imported where an answer is made, not with this module:
# capture reads FieldError from here on every cold start, answers with its own small
# Response (leadflow.capture.http) and never loads the event handler's ~40 ms.

# A request the API cannot read: not JSON, not UTF-8, or not what the schema says.
INVALID_REQUEST = "invalid_request"
UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type"
JSON_MEDIA_TYPE = "application/json"
# Methods whose requests carry a body in the leads API.
BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
ERRORS_DESCRIPTION = "errors, each with a machine-readable `code`"


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
    code: str = Field(description="the error's code, what a client acts on; `invalid_request` with field "
                                  "errors (pydantic's types as their codes)")
    status: LeadStatus | None = Field(default=None, description="409 `transition_not_allowed`: the lead's status")
    allowed: list[LeadStatus] | None = Field(
        default=None, description="409 `transition_not_allowed`: the statuses the lead may go to from here")


class GatewayError(BaseModel):
    """What API Gateway itself answers before the function runs: its Cognito authorizer's
    401 is `{"message": "Unauthorized"}` (or "The incoming token has expired")."""

    message: str


def json_response(status: int, body: dict, headers: dict[str, str] | None = None) -> Response:
    """A JSON answer; non-ASCII text as it is (names in Arabic stay readable)."""
    from aws_lambda_powertools.event_handler import Response

    return Response(status_code=status, content_type="application/json", body=json.dumps(body, ensure_ascii=False),
                    headers=headers or {})


def api_error(status: int, code: str, message_text: str, /, *, errors: list[dict] | None = None,
              **details: object) -> Response:
    """The APIs' errors, in capture's shape (`errors`: field, code, message), with the
    request's `code` beside them (one place for a client to look, whatever the error)
    and any details a client acts on (e.g. the lead's `status` and the `allowed`
    statuses of a 409: positional-only parameters leave those names free)."""
    body: dict = {"errors": errors or [{"field": None, "code": code, "message": message_text}], "code": code,
                  **details}
    return json_response(status, body)


def error_response(codes: Mapping[str, str | None]) -> dict[str, Any]:
    """An error answer as the leads API's OpenAPI document declares it (a route's
    `responses=`): the codes it may carry, each with an optional note, in words and as
    the enum of the body's `code`, so a client (and the contract test) knows them all."""
    listed = ", ".join(f"`{code}`" + (f" ({note})" if note else "") for code, note in codes.items())
    return {"description": f"{ERRORS_DESCRIPTION}: {listed}",
            "content": {JSON_MEDIA_TYPE: {"schema": {"allOf": [
                {"$ref": "#/components/schemas/ApiError"},
                {"type": "object", "required": ["code"], "properties": {"code": {"enum": list(codes)}}}]}}}}


def _header(headers: Mapping[str, Any] | None, name: str) -> str | None:
    lowered = name.lower()
    return next((str(v) for k, v in (headers or {}).items() if k.lower() == lowered and v is not None), None)


def unsupported_media_type(event: Mapping[str, Any]) -> dict[str, Any] | None:
    """The leads API's answer (an API Gateway proxy result) to a request that declares a
    body it does not read: anything but JSON is 415, before Powertools parses it (it
    would read a form or a multipart body too, and fail on a multipart without its
    boundary). None: the request may go on (no Content-Type is read as JSON; with no
    body at all, as a switch like `POST /admin/forms/{id}/disable` is sent, there is
    nothing to misread)."""
    if str(event.get("httpMethod", "")).upper() not in BODY_METHODS or not event.get("body"):
        return None
    content_type = _header(event.get("headers"), "content-type")
    if content_type is None or content_type.split(";", 1)[0].strip().lower() == JSON_MEDIA_TYPE:
        return None
    refused = api_error(415, UNSUPPORTED_MEDIA_TYPE, "send the body as JSON (Content-Type: application/json)")
    return {"statusCode": refused.status_code, "headers": {"Content-Type": JSON_MEDIA_TYPE},
            "multiValueHeaders": {}, "body": refused.body, "isBase64Encoded": False}


def json_object_body(text: str) -> dict[str, Any] | None:
    """A request body as the leads API reads it (the resolver's JSON deserializer): a
    JSON object, or null where a body is optional. Powertools would take an array's
    first item for the object (`[{...}, "anything"]`), which no document describes."""
    value = json.loads(text)
    if value is not None and not isinstance(value, dict):
        from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError

        raise RequestValidationError([{"type": "model_attributes_type", "loc": ("body",),
                                       "msg": "the body must be a JSON object"}])
    return value


_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def _iso_day(value: object) -> object:
    # pydantic alone would also take 0 or "0" (a Unix time) or a date-time for a day.
    if isinstance(value, date) or (isinstance(value, str) and _DAY.fullmatch(value)):
        return value
    raise ValueError("a day is written YYYY-MM-DD")


# A day as the leads API takes it, in a query or a body: `YYYY-MM-DD` and nothing else,
# as the document's `format: date` says.
IsoDay = Annotated[date, BeforeValidator(_iso_day)]


def _integral(value: object) -> object:
    # JSON has numbers, not integers: 30.0 is the integer 30 (as JSON Schema says), which
    # a strict model would refuse; a string or a boolean stays refused.
    return int(value) if isinstance(value, float) and value.is_integer() else value


# An integer as the admin API's strict bodies take it: 30 or 30.0, never "30" or true.
# After the field's bounds in `Annotated[int, Field(ge=..), WHOLE_NUMBER]`, so that the
# document still says them.
WHOLE_NUMBER = BeforeValidator(_integral)


def _no_default(schema: dict[str, Any]) -> None:
    schema.pop("default", None)


# A field of a partial change (PATCH) that was not sent: None, which the model's
# `model_fields_set` tells from a null that was. Its document shows no default, so a
# client never reads "null" as a value to send.
NOT_SENT: Any = Field(default=None, json_schema_extra=_no_default)
