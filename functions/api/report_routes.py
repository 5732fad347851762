"""Reports and channel costs (admins only): `GET /reports` reads the counters the report
function keeps (one Query per day or month covered, never a read per lead), with each
temperature's first calls against the stack's speed-to-lead SLA;
`PUT /reports/costs` enters what a channel cost in a month."""

from __future__ import annotations

from typing import Annotated

from api_context import caller, reports, settings, table
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Query

from leadflow.referrals.store import PartnerStore
from leadflow.reporting.costs import ChannelCost, ChannelCostInput, enter_channel_cost
from leadflow.reporting.periods import InvalidReportQuery
from leadflow.reporting.reports import Report, read_report
from leadflow.shared.access import require_admin
from leadflow.shared.clock import utc_now
from leadflow.shared.http import INVALID_REQUEST, api_error, error_response

router = Router()
ADMINS_ONLY = {403: error_response({"admins_only": "a manager"})}


@router.exception_handler(InvalidReportQuery)
def invalid_report_query(error: InvalidReportQuery) -> Response:
    return api_error(400, error.code, str(error))


@router.get("/reports", summary="Leads, contacts, conversions and costs per channel, campaign, temperature, "
                                "manager, score band and scoring rule for the leads created in a period, and "
                                "each temperature's first calls against its SLA",
            responses={200: {"description": "the report"},
                       400: error_response({"invalid_period": None, "period_too_long": "more than 31 days or 12 "
                                            "months", "invalid_dimension": None, INVALID_REQUEST: None}),
                       **ADMINS_ONLY})
def get_report(
    period: Annotated[str | None, Query(description="2026-11 (a month, the default: this one), 2026-11-25 (a day), "
                                                    "2026-11-01..2026-11-15 (up to 31 days), 2026-09..2026-11 "
                                                    "(up to 12 months); UTC")] = None,
    by: Annotated[str | None, Query(description="dimensions, comma-separated: channel, campaign, temperature, "
                                                "manager, band, rule (default: all); the `all` row always "
                                                "comes")] = None,
) -> Report:
    require_admin(caller(router))
    return read_report(reports, period, by, today=utc_now().date(), sla=settings.sla())


@router.put("/reports/costs", summary="Enter (or replace) a channel's, or a referral partner's, cost for a month",
            responses={200: {"description": "the cost as stored"},
                       400: error_response({"invalid_period": None, "invalid_channel": "a name that is empty once "
                                            "cleaned", "unknown_partner": "no partner has the code",
                                            "channel_or_partner": "neither or both named",
                                            INVALID_REQUEST: None}),
                       **ADMINS_ONLY})
def put_channel_cost(cost: ChannelCostInput) -> ChannelCost:
    who = caller(router)
    require_admin(who)
    return enter_channel_cost(reports, cost, by=who.actor, now=utc_now(),
                              partner_exists=lambda code: PartnerStore(table).get(code) is not None)
