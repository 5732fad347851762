"""`leadflow referrals give|given|report|cost`: what each referral partner brings and
what we give back, through the services the leads API calls (leadflow.referrals.given,
leadflow.referrals.report; a partner's monthly cost as `PUT /reports/costs` enters it).
The partners themselves are `leadflow partners`."""

from __future__ import annotations

from typing import Any

from leadflow_cli.commands.parsing import add_command, add_group
from leadflow_cli.context import Context
from leadflow_cli.output import Refused, percent, table

# The option each report refusal is about (leadflow.reporting.periods.InvalidReportQuery).
FIELD_OF_CODE = {"invalid_period": "period", "period_too_long": "period", "unknown_partner": "partner_id"}


def register(groups: Any, common: Any) -> None:
    referrals = add_group(groups, "referrals", help="what each referral partner brings, and the referrals we give back")
    give = add_command(referrals, common, "give", full_name="referrals give", run=give_referral,
                       help="record a referral given to a partner (one of our customers sent to them)")
    give.add_argument("partner_id", help="the partner's code")
    give.add_argument("--note", required=True, help="what was given, to whom, in a few words")
    given = add_command(referrals, common, "given", full_name="referrals given", run=list_given,
                        help="the referrals given to a partner, newest first")
    given.add_argument("partner_id")
    report = add_command(referrals, common, "report", full_name="referrals report", run=show_report,
                         help="per partner and per group: referrals received, contacted, qualified, converted, "
                              "median time to a first contact, cost per converted referral, given back, flags; "
                              "and codes no partner has")
    report.add_argument("--period", help="2026-11 (a month; default: this one), 2026-11-25 (a day), "
                                         "2026-11-01..2026-11-15, 2026-09..2026-11; UTC")
    cost = add_command(referrals, common, "cost", full_name="referrals cost", run=enter_cost,
                       help="what a partner (a lead group: membership, meals) cost in a month")
    cost.add_argument("partner_id")
    cost.add_argument("--month", required=True, help="YYYY-MM")
    cost.add_argument("--amount", required=True, help="e.g. 150.00")
    cost.add_argument("--currency", required=True, help="ISO 4217, e.g. EUR")


def _records(context: Context) -> tuple[Any, Any]:
    from leadflow.referrals.records import ReferralRecords
    from leadflow.referrals.store import PartnerStore
    from leadflow.storage.table import Table

    table = Table(context.target.table_name, context.target.client("dynamodb"))
    return ReferralRecords(table), PartnerStore(table)


def give_referral(context: Context) -> None:
    from leadflow.referrals import given
    from leadflow.shared.clock import utc_now
    from leadflow.shared.refusal import Invalid, parsed
    from leadflow_cli.commands.erase import operator

    request = parsed(given.GiveReferral, {"note": context.args.note}, Invalid)
    records, partners = _records(context)
    done = given.give_referral(records, partners, context.args.partner_id, request, by=operator(context.target),
                               now=utc_now()).model_dump(mode="json")
    context.printer.answer(done, f"given to {done['partner_id']} ({done['given_at']}): {done['note']}")


def list_given(context: Context) -> None:
    from leadflow.referrals import given

    records, partners = _records(context)
    answer = given.list_given(records, partners, context.args.partner_id).model_dump(mode="json")
    context.printer.answer(answer, lambda: table(["given at", "by", "note"],
                                                 [[g["given_at"], g["by"], g["note"]] for g in answer["given"]]))


def show_report(context: Context) -> None:
    from leadflow.referrals.report import read_partner_report
    from leadflow.reporting.periods import InvalidReportQuery
    from leadflow.shared.clock import utc_now

    records, _ = _records(context)
    try:
        report = read_partner_report(records, context.args.period, today=utc_now().date())
    except InvalidReportQuery as error:
        raise Refused.one(str(error), field=FIELD_OF_CODE.get(error.code), code=error.code) from None
    data = report.model_dump(mode="json")
    context.printer.answer(data, lambda: render_partner_report(data))


def enter_cost(context: Context) -> None:
    from leadflow.reporting.costs import ChannelCostInput, enter_channel_cost
    from leadflow.reporting.periods import InvalidReportQuery
    from leadflow.reporting.store import ReportingStore
    from leadflow.shared.clock import utc_now
    from leadflow.shared.refusal import Invalid, parsed
    from leadflow_cli.commands.erase import operator

    args = context.args
    entry = parsed(ChannelCostInput, {"month": args.month, "partner": args.partner_id, "amount": args.amount,
                                      "currency": args.currency}, Invalid)
    records, partners = _records(context)
    try:
        cost = enter_channel_cost(ReportingStore(records.table), entry, by=operator(context.target), now=utc_now(),
                                  partner_exists=lambda code: partners.get(code) is not None)
    except InvalidReportQuery as error:
        raise Refused.one(str(error), field=FIELD_OF_CODE.get(error.code), code=error.code) from None
    data = cost.model_dump(mode="json")
    context.printer.answer(data, f"{data['partner']} cost {data['amount']} {data['currency']} in {data['month']}")


def _money(value: dict[str, Any] | None) -> str:
    return "-" if not value else f"{value['amount']} {value['currency']}"


def _minutes(value: float | None) -> str:
    return "-" if value is None else f"{value:g} min"


COLUMNS = ["received", "contacted", "qualified", "converted", "rate", "median to contact", "cost/converted", "given"]


def _counts(row: dict[str, Any]) -> list[Any]:
    return [row["received"], row["contacted"], row["qualified"], row["converted"], percent(row["conversion_rate"]),
            _minutes(row["median_minutes_to_first_contact"]), _money(row["cost_per_converted"]), row["given"]]


def render_partner_report(report: dict[str, Any]) -> str:
    """The partner report (as the API answers it): partners, groups, unknown codes."""
    parts = [f"Referral partners, {report['period']} ({report['first_day']} to {report['last_day']})", "",
             table(["partner", "group", *COLUMNS, "flag"],
                   [[p["partner_id"], p["group_id"] or "", *_counts(p), "FLAGGED" if p["flagged"] else ""]
                    for p in report["partners"]])]
    if report["groups"]:
        parts += ["", "Groups (with their members)", "",
                  table(["group", "members", *COLUMNS, "cost"],
                        [[g["group_id"], len(g["members"]), *_counts(g), _money(g["cost"])] for g in report["groups"]])]
    if report["unknown_codes"]:
        parts += ["", "Codes no partner has", "",
                  table(["ref", "received"], [[u["ref"], u["received"]] for u in report["unknown_codes"]])]
    parts += ["", f"Flagged: {report['flag_rule']}."]
    return "\n".join(parts)
