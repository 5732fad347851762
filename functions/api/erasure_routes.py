"""POST /erasures: an admin erases a person by email or phone (leadflow.privacy)."""

from __future__ import annotations

import api_context
from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router

from leadflow.privacy.erasure import ErasureRecord, ErasureRefused, ErasureRequest
from leadflow.privacy.service import erase_person
from leadflow.shared.access import require_admin
from leadflow.shared.http import INVALID_REQUEST, api_error, error_response

router = Router()
logger = Logger(child=True)


@router.post(
    "/erasures", tags=["erasure"], summary="Erase a person by email or phone",
    description=("Admins only. Deletes the person's submissions, history and identities and anonymizes their "
                 "lead card (and contact), keeping its status, source channel, score and manager so reports "
                 "still add up; records the erasure (with a keyed hash of the identifier, never the identifier) "
                 "and publishes `Lead Erased`. Nothing found still answers 200, with no leads: every request "
                 "that names someone is recorded. Give `email`, or `phone` (E.164, or national with `country`)."),
    responses={200: {"description": "the erasure record (no personal data)"},
               400: error_response({"email_or_phone_required": "give exactly one", "country_required": "a phone "
                                    "without +<country code>", "invalid_email": None, "invalid_phone": None,
                                    INVALID_REQUEST: None}),
               403: error_response({"admins_only": "a manager"}),
               409: error_response({"lead_changed": "a lead kept changing while it was erased: ask again"}),
               503: error_response({"unavailable": "the hash key could not be read: nothing was done, ask again "
                                    "in a minute"})},
)
def erase(request: ErasureRequest) -> ErasureRecord:
    caller = api_context.caller(router)
    require_admin(caller)
    record = erase_person(api_context.erasures, request, by=caller.actor, hasher=api_context.hasher,
                          publisher=api_context.publisher, reminders=api_context.reminders)
    # Ids and counts only: the request's email or phone never reaches the logs.
    logger.info("person erased", extra={
        "erasure_id": record.erasure_id, "by": record.by, "matched_by": record.matched_by,
        "lead_ids": record.lead_ids, "related_lead_ids": record.related_lead_ids,
        "counts": record.counts.model_dump(), "events_published": record.events_published,
    })
    return record


@router.exception_handler(ErasureRefused)
def erasure_refused(error: ErasureRefused) -> Response:
    # The message names the problem, never the value that was sent.
    return api_error(400, error.code, str(error))
