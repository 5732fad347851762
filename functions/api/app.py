"""api: the leads API for managers (their own leads) and admins (every lead, reports,
channel costs, erasure), and the admin API (forms, managers, logins). Cognito
authorizes every route (template.yaml); the routes live in the *_routes modules next to
this file, the rules in the layer; its OpenAPI document is made from this resolver by
`python -m leadflow_cli.openapi`."""
# ruff: noqa: E402 (the imports follow the collector's pause)

from __future__ import annotations

from leadflow.shared import coldstart

PAUSED = coldstart.paused_for_init()  # no garbage collection until init is done (its end, below)

import admin_import_routes
import admin_queue_routes
import admin_routes
import admin_rules_routes
import erasure_routes
import leads_routes
import me_routes
import partner_routes
import referral_routes
import report_routes
import spam_routes
from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from leadflow.lifecycle.transitions import InvalidChange, LeadNotFound, TransitionNotAllowed
from leadflow.reporting.listing import InvalidListing
from leadflow.shared import tracing
from leadflow.shared.access import Forbidden, NotAuthenticated
from leadflow.shared.http import INVALID_REQUEST, api_error, json_object_body, unsupported_media_type
from leadflow.shared.refusal import Conflict, Invalid, NotFound, Refused
from leadflow.shared.secrets import KeyUnavailable
from leadflow.storage.transactions import LeadChanged

logger = Logger()
tracer = tracing.tracer()  # Powertools' Tracer only with detailed tracing on
metrics = Metrics()
# Validation from the type hints, which also makes the OpenAPI document (openapi.json);
# bodies are JSON objects (or null), as the document says.
app = APIGatewayRestResolver(enable_validation=True, json_body_deserializer=json_object_body)
app.include_router(leads_routes.router)
app.include_router(me_routes.router)
app.include_router(report_routes.router)
app.include_router(erasure_routes.router)
app.include_router(admin_routes.router)
app.include_router(admin_rules_routes.router)
app.include_router(admin_queue_routes.router)
app.include_router(admin_import_routes.router)
app.include_router(spam_routes.router)
app.include_router(partner_routes.router)
app.include_router(referral_routes.router)


@app.exception_handler(NotAuthenticated)
def not_authenticated(_error: NotAuthenticated) -> Response:
    return api_error(401, "not_authenticated", "sign in first")


@app.exception_handler(Forbidden)
def forbidden(error: Forbidden) -> Response:
    return api_error(403, error.code, str(error))


@app.exception_handler(LeadNotFound)
def lead_not_found(_error: LeadNotFound) -> Response:
    return api_error(404, "lead_not_found", "there is no such lead")


@app.exception_handler(TransitionNotAllowed)
def transition_not_allowed(error: TransitionNotAllowed) -> Response:
    return api_error(409, "transition_not_allowed", str(error), status=error.current.value,
                     allowed=[s.value for s in error.allowed])


@app.exception_handler(LeadChanged)
def lead_changed(_error: LeadChanged) -> Response:
    return api_error(409, "lead_changed", "the lead changed while you acted on it: read it again")


@app.exception_handler(InvalidChange)
def invalid_change(error: InvalidChange) -> Response:
    return api_error(400, error.code, str(error))


@app.exception_handler(InvalidListing)
def invalid_listing(error: InvalidListing) -> Response:
    return api_error(400, error.code, str(error))


# What the admin services refuse: the kind decides the status, the refusal its code and fields.
REFUSAL_STATUS: dict[type[Refused], int] = {Invalid: 400, NotFound: 404, Conflict: 409}


@app.exception_handler([Invalid, NotFound, Conflict])
def refused(error: Refused) -> Response:
    status = next(code for kind, code in REFUSAL_STATUS.items() if isinstance(error, kind))
    return api_error(status, error.code, str(error), errors=[e.model_dump() for e in error.errors])


@app.exception_handler(KeyUnavailable)
def key_unavailable(_error: KeyUnavailable) -> Response:
    # Secrets Manager could not give the hash key: nothing was done, asking again will work.
    return api_error(503, "unavailable", "a key could not be read: try again in a minute")


@app.exception_handler(UnicodeDecodeError)
def not_utf8(_error: UnicodeDecodeError) -> Response:
    # A body that is not UTF-8 cannot be JSON: the client's mistake, never a 502.
    return api_error(400, INVALID_REQUEST, "the body must be JSON in UTF-8")


@app.exception_handler(RequestValidationError)
def invalid_request(error: RequestValidationError) -> Response:
    # Field paths and pydantic's messages only: never the submitted values.
    fields = [{"field": ".".join(str(p) for p in e.get("loc", ())[1:]) or None, "code": str(e.get("type")),
               "message": str(e.get("msg"))} for e in error.errors()]
    return api_error(400, INVALID_REQUEST, "the request is not valid", errors=fields)


@app.not_found
def unknown_path(_error: Exception) -> Response:
    # API Gateway only sends the routes of the template here: one the resolver cannot
    # match has a path parameter with characters no id has (`/leads/%C2%84`), which is
    # the invalid request the document says, as a too-long id is.
    parameters = app.current_event.path_parameters or {}
    if parameters:
        return api_error(400, INVALID_REQUEST, "the request is not valid", errors=[
            {"field": name, "code": "string_pattern_mismatch", "message": "holds characters no id has"}
            for name in sorted(parameters)])
    return api_error(404, "not_found", "there is nothing at this address")


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    # A body that is not JSON is refused before the resolver's validation parses it.
    return unsupported_media_type(event) or app.resolve(event, context)


coldstart.init_done(PAUSED)  # the module is loaded: init is done
