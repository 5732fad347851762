"""The admin API's referral partners (the `admins` group only; anyone else is 403
`admins_only`): list, read with its referral link, add, change, deactivate, reactivate,
and the link's QR code (leadflow.referrals.partner_admin). The `leadflow partners`
command calls the same services; refusals become 4xx in app.py."""

from __future__ import annotations

from typing import Annotated

import api_context
from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path, Query

from leadflow.referrals import partner_admin
from leadflow.referrals.partner_admin import AdminPartner, NewPartner, PartnerChanges, PartnerList
from leadflow.referrals.store import PartnerStore
from leadflow.shared.access import require_admin
from leadflow.shared.clock import utc_now
from leadflow.shared.http import INVALID_REQUEST, error_response

router = Router()
logger = Logger(child=True)
partners = PartnerStore(api_context.table)

PARTNER_ID = Path(description="the partner's code (any case)", pattern=partner_admin.CODE_INPUT_PATTERN,
                  examples=["bni-downtown"])
PageParam = Annotated[str | None, Query(
    max_length=2000, pattern=partner_admin.PAGE_PATTERN, examples=["https://www.example.com/offer"],
    description="the landing page to link to (an absolute http(s) URL); else the first allowed origin of a form")]

ADMINS_ONLY = {403: error_response({"admins_only": "anyone but an admin"})}
BAD_PATH = {400: error_response({INVALID_REQUEST: None})}
NO_PARTNER = {404: error_response({"partner_not_found": None})}
BAD_PARTNER = {400: error_response({"invalid_partner": "each field at fault in `errors`: pydantic's type, or "
                                    "`name_required`, `invalid_email`, `unknown_group`, `group_in_group`, "
                                    "`group_has_members`", INVALID_REQUEST: None})}
BAD_PAGE = {400: error_response({"invalid_page": "`page` is not an absolute http(s) URL", INVALID_REQUEST: None})}
PARTNER_ANSWER = "the partner"


def _admin() -> None:
    require_admin(api_context.caller(router))


@router.get("/admin/partners", tags=["partners"], summary="Every referral partner",
            description="Lead groups, their members, agencies, customers: by code.",
            responses={200: {"description": "the partners"}, **ADMINS_ONLY})
def list_partners() -> PartnerList:
    _admin()
    return partner_admin.list_partners(partners)


@router.post("/admin/partners", tags=["partners"], status_code=201, summary="Add a referral partner",
             description="The code is the `ref` of the partner's links, kept lower-case. A `group_id` names an "
                         "existing partner of kind `group`.",
             responses={201: {"description": PARTNER_ANSWER}, **BAD_PARTNER, **ADMINS_ONLY,
                        409: error_response({"partner_exists": "the code is taken"})})
def create_partner(new: NewPartner) -> Response[AdminPartner]:
    _admin()
    partner = partner_admin.create_partner(partners, new, utc_now())
    logger.info("partner created", extra={"partner_id": partner.partner_id})  # never its email
    return Response(status_code=201, content_type="application/json", body=partner)


@router.get("/admin/partners/<partner_id>", tags=["partners"], summary="One partner, with its referral link",
            description="`referral_link` is `<page>?ref=<code>` for `page`, else for the first allowed origin of "
                        "a form; with neither, `link_note` says how to get one.",
            responses={200: {"description": PARTNER_ANSWER}, **BAD_PAGE, **NO_PARTNER, **ADMINS_ONLY})
def get_partner(partner_id: Annotated[str, PARTNER_ID], page: PageParam = None) -> AdminPartner:
    _admin()
    return partner_admin.get_partner(partners, partner_id, api_context.forms, page)


@router.patch("/admin/partners/<partner_id>", tags=["partners"], summary="Change some of a partner's settings",
              description="Only what is sent changes; null clears `email` and `group_id`. Capture sees the change "
                          "within a minute.",
              responses={200: {"description": PARTNER_ANSWER}, **BAD_PARTNER, **NO_PARTNER, **ADMINS_ONLY})
def update_partner(partner_id: Annotated[str, PARTNER_ID], changes: PartnerChanges) -> AdminPartner:
    _admin()
    partner = partner_admin.update_partner(partners, partner_id, changes)
    logger.info("partner changed", extra={"partner_id": partner.partner_id,
                                          "settings": sorted(changes.model_fields_set)})
    return partner


@router.post("/admin/partners/<partner_id>/deactivate", tags=["partners"], summary="Deactivate a partner",
             description="Its code still attributes leads, flagged `inactive`; it gets no more emails. Nothing is "
                         "deleted.",
             responses={200: {"description": PARTNER_ANSWER}, **BAD_PATH, **NO_PARTNER, **ADMINS_ONLY})
def deactivate_partner(partner_id: Annotated[str, PARTNER_ID]) -> AdminPartner:
    return _switch(partner_id, active=False)


@router.post("/admin/partners/<partner_id>/activate", tags=["partners"], summary="Reactivate a partner",
             responses={200: {"description": PARTNER_ANSWER}, **BAD_PATH, **NO_PARTNER, **ADMINS_ONLY})
def activate_partner(partner_id: Annotated[str, PARTNER_ID]) -> AdminPartner:
    return _switch(partner_id, active=True)


def _switch(partner_id: str, *, active: bool) -> AdminPartner:
    _admin()
    partner = partner_admin.set_partner_active(partners, partner_id, active)
    logger.info("partner switched", extra={"partner_id": partner.partner_id, "active": active})
    return partner


@router.get("/admin/partners/<partner_id>/qr", tags=["partners"], summary="The QR code of a partner's link (SVG)",
            description="An SVG of `referral_link` (as `GET /admin/partners/{partner_id}` answers it, for `page`), "
                        "for a business card or a meeting slide. A PNG: `leadflow partners qr CODE --output card.png`.",
            responses={200: {"description": "the QR code",
                             "content": {"image/svg+xml": {"schema": {"type": "string"}}}},
                       **BAD_PAGE, **NO_PARTNER, **ADMINS_ONLY,
                       409: error_response({"no_link": "no page was given and no form names an allowed origin"})})
def partner_qr(partner_id: Annotated[str, PARTNER_ID], page: PageParam = None) -> Response[str]:
    _admin()
    partner = partner_admin.get_partner(partners, partner_id, api_context.forms, page)
    if partner.referral_link is None:
        raise partner_admin.NoLink()
    svg = partner_admin.qr_code(partner.referral_link, "svg").decode("utf-8")
    return Response(status_code=200, content_type="image/svg+xml", body=svg,
                    headers={"Content-Disposition": f'inline; filename="{partner.partner_id}.svg"'})
