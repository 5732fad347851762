"""The admin API's spam review (admins only): a form's posts kept as spam (honeypots, fill
time, a failed or missing proof of work or Turnstile check), and releasing a false
positive into the normal pipeline. The `leadflow spam` command calls the same service
(leadflow.capture.spam_review)."""

from __future__ import annotations

from typing import Annotated

import api_context
from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path

from leadflow.capture import form_admin, spam_review
from leadflow.capture.spam_review import Released, SpamList
from leadflow.shared.access import require_admin
from leadflow.shared.http import INVALID_REQUEST, error_response

router = Router()
logger = Logger(child=True)

FORM_ID = Path(description="the form's id", pattern=form_admin.FORM_ID_PATTERN, examples=["demo"])
SPAM_ID = Path(description="the spam post's id (`spam_id` in `GET /admin/forms/{form_id}/spam`)",
               pattern=spam_review.SPAM_ID_PATTERN, examples=["ZGVtbwoyMDI2LTAzLTAyVDA5OjMwOjAwKzAwOjAwI2FiYw"])
ADMINS_ONLY = {403: error_response({"admins_only": "anyone but an admin"})}
BAD_PATH = {400: error_response({INVALID_REQUEST: None})}


def _admin() -> None:
    require_admin(api_context.caller(router))


@router.get("/admin/forms/<form_id>/spam", tags=["admin"], summary="A form's posts kept as spam",
            description="Posts kept apart for 30 days (never scored or emailed, answered like a success), newest "
                        "first, with why (`reason`) and their fields as sent, for a person to judge.",
            responses={200: {"description": "the form's spam"}, **BAD_PATH, **ADMINS_ONLY})
def list_spam(form_id: Annotated[str, FORM_ID]) -> SpamList:
    _admin()
    return spam_review.list_spam(api_context.forms, form_id)


@router.post("/admin/spam/<spam_id>/release", tags=["admin"],
             summary="Release a post kept as spam: it becomes a lead",
             description="A false positive goes into the normal pipeline, as the form's submission now: scored, "
                         "assigned, emailed and counted. Releasing it again changes nothing (the same lead, "
                         "`already_released`).",
             responses={200: {"description": "the lead it became"},
                        400: error_response({"not_a_lead": "no name, or no valid email or phone: each field at "
                                                           "fault in `errors`", INVALID_REQUEST: None}),
                        404: error_response({"spam_not_found": "unknown, or older than 30 days",
                                             "form_not_found": None}), **ADMINS_ONLY})
def release_spam(spam_id: Annotated[str, SPAM_ID]) -> Released:
    _admin()
    released = spam_review.release_spam(api_context.forms, api_context.hasher, spam_id)
    logger.info("spam released", extra={"lead_id": released.lead_id,
                                        "already_released": released.already_released})
    return released
