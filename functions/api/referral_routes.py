"""Referral partners' side of the leads API: the referrals given back to a partner
(managers and admins: `GET /partners`, whom to give to, and `POST`/`GET
/partners/{partner_id}/given`) and what each partner
brings (admins: `GET /reports/partners`). The `leadflow referrals` command calls the same
services (leadflow.referrals.given, leadflow.referrals.report)."""

from __future__ import annotations

from typing import Annotated

from api_context import caller, table
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path, Query

from leadflow.referrals.given import (
    PARTNER_ID_PATTERN,
    GivenList,
    GiveReferral,
    PartnerNames,
    give_referral,
    list_given,
    partners_to_give_to,
)
from leadflow.referrals.records import ReferralGiven, ReferralRecords
from leadflow.referrals.report import PartnerReport, read_partner_report
from leadflow.referrals.store import PartnerStore
from leadflow.shared.access import Caller, Forbidden, require_admin
from leadflow.shared.clock import utc_now
from leadflow.shared.http import INVALID_REQUEST, error_response

router = Router()
records = ReferralRecords(table)
partners = PartnerStore(table)

PARTNER_ID = Path(description="the partner's code (as in its referral link)", pattern=PARTNER_ID_PATTERN,
                  examples=["maria-lopez"])
TEAM_ONLY = {403: error_response({"no_manager": "a user who is neither a manager nor an admin"})}
NO_PARTNER = {404: error_response({"partner_not_found": None})}


def _team_member() -> Caller:
    """Managers and admins: whoever works our customers may give a referral back."""
    who = caller(router)
    if not who.is_admin and who.manager_id is None:
        raise Forbidden("no_manager", "this user is not linked to a manager")
    return who


@router.get("/partners", summary="The active referral partners by name (codes, never emails): whom a manager may "
                                  "give a referral back", responses={200: {"description": "by name"}, **TEAM_ONLY})
def partners_by_name() -> PartnerNames:
    _team_member()
    return partners_to_give_to(partners.list())


@router.post("/partners/<partner_id>/given", summary="Record a referral given to a partner (one of our customers "
                                                      "sent to them)",
             responses={201: {"description": "the referral given, as recorded"},
                        400: error_response({INVALID_REQUEST: None}), **TEAM_ONLY, **NO_PARTNER})
def give(partner_id: Annotated[str, PARTNER_ID], request: GiveReferral) -> Response[ReferralGiven]:
    who = _team_member()
    given = give_referral(records, partners, partner_id, request, by=who.actor, now=utc_now())
    return Response(status_code=201, content_type="application/json", body=given.model_dump(mode="json"))


@router.get("/partners/<partner_id>/given", summary="The referrals given to a partner, newest first",
            responses={200: {"description": "the latest 100"}, 400: error_response({INVALID_REQUEST: None}),
                       **TEAM_ONLY, **NO_PARTNER})
def given_to(partner_id: Annotated[str, PARTNER_ID]) -> GivenList:
    _team_member()
    return list_given(records, partners, partner_id)


@router.get("/reports/partners", summary="What each referral partner and lead group brings over a period: "
                                         "referrals received, contacted, qualified, converted, median time to a "
                                         "first contact, cost per converted referral, referrals given back, "
                                         "flagged partners, and codes no partner has",
            responses={200: {"description": "the partner report"},
                       400: error_response({"invalid_period": None, "period_too_long": "more than 31 days or 12 "
                                            "months", INVALID_REQUEST: None}),
                       403: error_response({"admins_only": "a manager"})})
def partner_report(
    period: Annotated[str | None, Query(description="2026-11 (a month, the default: this one), 2026-11-25 (a day), "
                                                    "2026-11-01..2026-11-15 (up to 31 days), 2026-09..2026-11 "
                                                    "(up to 12 months); UTC. Referrals count in the period they "
                                                    "came")] = None,
) -> PartnerReport:
    require_admin(caller(router))
    return read_partner_report(records, period, today=utc_now().date())
