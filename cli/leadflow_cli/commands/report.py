"""`leadflow report [--period P] [--by DIMS]`: the admins' report, as `GET /reports`
gives it (leadflow.reporting.reports.read_report on the same counters: one Query per day
or month of the period, never a read per lead, and the stack's speed-to-lead SLA from its
`SpeedToLeadSla` output); `--json` prints the API's answer."""

from __future__ import annotations

from typing import Any

from leadflow_cli.commands.parsing import add_command
from leadflow_cli.context import Context
from leadflow_cli.output import Refused, percent, table

# The query parameter each refusal is about (leadflow.reporting.periods.InvalidReportQuery).
FIELD_OF_CODE = {"invalid_period": "period", "period_too_long": "period", "invalid_dimension": "by"}
MINUTES_PER_HOUR, MINUTES_PER_DAY = 60, 1440


def register(groups: Any, common: Any) -> None:
    report = add_command(groups, common, "report", run=show_report,
                         help="leads, contacts, conversions and costs per channel, campaign, temperature, manager, "
                              "score band and scoring rule for the leads created in a period")
    report.add_argument("--period", help="2026-11 (a month; default: this one), 2026-11-25 (a day), "
                                         "2026-11-01..2026-11-15 (up to 31 days), 2026-09..2026-11 (up to 12 "
                                         "months); UTC")
    report.add_argument("--by", help="dimensions, comma-separated: channel, campaign, temperature, manager, band, "
                                     "rule (default: all); the `all` row always comes")


def show_report(context: Context) -> None:
    from leadflow.reporting.periods import InvalidReportQuery
    from leadflow.reporting.reports import read_report
    from leadflow.reporting.store import ReportingStore
    from leadflow.shared.clock import utc_now
    from leadflow.storage.table import Table

    target = context.target
    store = ReportingStore(Table(target.table_name, target.client("dynamodb")))
    try:
        report = read_report(store, context.args.period, context.args.by, today=utc_now().date(),
                             sla=stack_sla(target.speed_to_lead_sla))
    except InvalidReportQuery as error:
        raise Refused.one(str(error), field=FIELD_OF_CODE.get(error.code), code=error.code) from None
    data = report.model_dump(mode="json")
    context.printer.answer(data, lambda: render_report(data))


def stack_sla(output: str | None) -> Any:
    """The stack's SLA from its `SpeedToLeadSla` output (`hot=15,warm=240,cold=2880`);
    None for a stack deployed before it had one (the report then has no speed to lead)."""
    from leadflow.shared.settings import Sla

    if not output:
        return None
    minutes = dict(part.split("=", 1) for part in output.split(",") if "=" in part)
    return Sla(**{name: int(value) for name, value in minutes.items() if name in ("hot", "warm", "cold")})


def render_report(report: dict[str, Any]) -> str:
    """The report (as the API answers it) as one table per dimension."""
    parts = [f"Report {report['period']} ({report['first_day']} to {report['last_day']}): {report['cohort']}"]
    for dimension, rows in report["dimensions"].items():
        parts += ["", dimension, table(
            ("value", "leads", "contacted", "converted", "rejected", "conversion", "to first contact",
             "to conversion", "cost/lead", "cost/conversion"),
            [(row["value"], row["leads"], row["contacted"], row["converted"], row["rejected"],
              percent(row["conversion_rate"]), duration(row["median_minutes_to_first_contact"]),
              duration(row["median_minutes_to_conversion"]), money(row["cost_per_lead"]),
              money(row["cost_per_conversion"])) for row in rows])]
    if report.get("speed_to_lead"):
        parts += ["", "speed to lead (first contact within the SLA)", table(
            ("temperature", "SLA", "leads", "contacted", "within SLA", "share", "to first contact"),
            [(row["temperature"], _minutes(row["sla_minutes"]), row["leads"], row["contacted"],
              row["contacted_within_sla"], percent(row["within_sla_rate"]),
              duration(row["median_minutes_to_first_contact"])) for row in report["speed_to_lead"]])]
    return "\n".join(parts)


def duration(bucket: dict[str, Any] | None) -> str:
    """A median's bucket, `{"over_minutes": 30, "at_most_minutes": 60}`, as `30 min-1 h`."""
    if bucket is None:
        return "-"
    if bucket["at_most_minutes"] is None:
        return f"over {_minutes(bucket['over_minutes'])}"
    return f"{_minutes(bucket['over_minutes'])}-{_minutes(bucket['at_most_minutes'])}"


def _minutes(minutes: int) -> str:
    if minutes and minutes % MINUTES_PER_DAY == 0:
        return f"{minutes // MINUTES_PER_DAY} d"
    if minutes and minutes % MINUTES_PER_HOUR == 0:
        return f"{minutes // MINUTES_PER_HOUR} h"
    return f"{minutes} min"


def money(value: dict[str, Any] | None) -> str:
    return "-" if value is None else f"{value['amount']} {value['currency']}"
