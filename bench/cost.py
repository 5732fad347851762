"""Figure 8: what a lead costs in AWS, from the counted calls (figure 3) and a dated price table.

Nothing here is measured on AWS: the calls and invocations per new lead are figure 3's
exact counts on moto; each invocation's duration is its handler time with AWS stubbed
(figure 2, where a case runs that function) plus an assumed round trip per AWS call it
makes; memory sizes are template.yaml's. Prices are AWS's public on-demand prices for
the template's region, without any free tier, from the table below. What is assumed is
said next to it, and the figure prints its assumptions with the numbers.

Prices (us-east-1, on demand, as listed on these pages on PRICES_AS_OF; transcribed by
hand, not fetched by the bench: check the pages before quoting a figure):
  Lambda          https://aws.amazon.com/lambda/pricing/            (Arm: GB-s, requests)
  DynamoDB        https://aws.amazon.com/dynamodb/pricing/on-demand/
  EventBridge     https://aws.amazon.com/eventbridge/pricing/       (custom events; Scheduler)
  SES             https://aws.amazon.com/ses/pricing/               (outbound email)
  Secrets Manager https://aws.amazon.com/secrets-manager/pricing/
  API Gateway     https://aws.amazon.com/api-gateway/pricing/       (REST APIs, first tier)
  Cognito         https://aws.amazon.com/cognito/pricing/           (Essentials, the default plan)
  CloudWatch      https://aws.amazon.com/cloudwatch/pricing/        (logs; not counted, see NOTES)
  X-Ray           https://aws.amazon.com/xray/pricing/              (traces; not counted, see NOTES)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bench.measure import FUNCTIONS

REGION = "us-east-1"
PRICES_AS_OF = "2026-12-07"
# US dollars, per unit named in the key.
PRICES: dict[str, float] = {
    "lambda_request": 0.20 / 1e6,
    "lambda_arm_gb_second": 0.0000133334,
    "dynamodb_write_request_unit": 0.625 / 1e6,
    "dynamodb_read_request_unit": 0.125 / 1e6,
    "eventbridge_event": 1.00 / 1e6,  # custom events, per 64 KB chunk
    "scheduler_invocation": 1.00 / 1e6,
    "ses_email": 0.10 / 1000,
    "secrets_manager_call": 0.05 / 10_000,
    "secrets_manager_secret_month": 0.40,
    "api_gateway_rest_request": 3.50 / 1e6,
    "cognito_essentials_mau": 0.015,
    "dynamodb_storage_gb_month": 0.25,
}

# Assumed, not measured (printed with the figure):
AWS_CALL_MS = 10.0  # an in-region AWS API round trip, added to the handler time per call
DEFAULT_HANDLER_MS = 20.0  # a function figure 2 does not time
# DynamoDB request units per call. Items are under 1 KB (writes) and reads under 4 KB,
# so one unit per item, strongly consistent reads; a transaction bills 2 units per
# item. Items per call, measured once on figure 3's run (Dec 2026): a TransactWriteItems
# names 6.5 items on average, a BatchGetItem 2.5 keys. Index (GSI) writes not added.
WRITE_UNITS = {"PutItem": 1.0, "UpdateItem": 1.0, "DeleteItem": 1.0, "TransactWriteItems": 2 * 6.5,
               "BatchWriteItem": 1.0}
READ_UNITS = {"GetItem": 1.0, "Query": 1.0, "BatchGetItem": 2.5, "TransactGetItems": 2.0, "Scan": 1.0}
MONTH_LEADS = 20_000
MONTH_MANAGERS = 5
LEAD_STORAGE_KB = 5.0  # a lead's items (card, submissions, history, counters), assumed
NOTES = [
    "no free tier subtracted; us-east-1 on-demand prices of " + PRICES_AS_OF,
    f"Lambda duration = handler time with AWS stubbed (figure 2) + {AWS_CALL_MS:g} ms per AWS call, assumed",
    "DynamoDB: 1 unit per item (items < 1 KB, reads < 4 KB), 2 per transactional item; GSI writes not added",
    "EventBridge: one event per PutEvents call; Scheduler: every schedule created assumed to fire once",
    "recurring schedules (the speed-to-lead sweep, once a minute) in the month's fixed part: each run "
    "one invocation and one Query, finding nothing due (a due reminder is the lead's own cost)",
    "API Gateway: one REST request per capture invocation (the form post)",
    "not counted: CloudWatch Logs ($0.50/GB ingested, depends on LOG_LEVEL), X-Ray traces, alarms, DLQs at rest",
]


@dataclass(frozen=True)
class FunctionUse:
    """One function's invocations and AWS calls per lead, its memory and handler time."""

    invocations: float
    calls: float
    memory_mb: int
    handler_ms: float

    @property
    def gb_seconds(self) -> float:
        """Billed GB-s per lead (Lambda bills by the millisecond)."""
        if not self.invocations:
            return 0.0
        duration_ms = self.handler_ms + AWS_CALL_MS * self.calls / self.invocations
        return self.invocations * (duration_ms / 1000) * (self.memory_mb / 1024)


def cost_per_lead(by_operation: dict[str, float], functions: dict[str, FunctionUse],
                  api_requests: float, prices: dict[str, float] = PRICES) -> dict[str, float]:
    """US dollars per lead by service, from calls per lead (`service.Operation`)."""

    def calls(service: str, operations: dict[str, float] | None = None) -> float:
        found = {op.split(".", 1)[1]: n for op, n in by_operation.items() if op.split(".", 1)[0] == service}
        if operations is None:
            return sum(found.values())
        return sum(n * operations.get(op, 0.0) for op, n in found.items())

    invocations = sum(f.invocations for f in functions.values())
    return {
        "Lambda": invocations * prices["lambda_request"]
        + sum(f.gb_seconds for f in functions.values()) * prices["lambda_arm_gb_second"],
        "DynamoDB": calls("dynamodb", WRITE_UNITS) * prices["dynamodb_write_request_unit"]
        + calls("dynamodb", READ_UNITS) * prices["dynamodb_read_request_unit"],
        "EventBridge": calls("events", {"PutEvents": 1.0}) * prices["eventbridge_event"],
        "Scheduler": calls("scheduler", {"CreateSchedule": 1.0}) * prices["scheduler_invocation"],
        "SES": calls("sesv2", {"SendEmail": 1.0}) * prices["ses_email"],
        "Secrets Manager": calls("secretsmanager") * prices["secrets_manager_call"],
        "API Gateway": api_requests * prices["api_gateway_rest_request"],
    }


def month_fixed(secrets: int, recurring: list[tuple[int, float]], managers: int = MONTH_MANAGERS,
                leads: int = MONTH_LEADS, prices: dict[str, float] = PRICES) -> dict[str, float]:
    """What a month costs besides the leads themselves: the secrets, the managers'
    sign-ins (monthly active users), the leads' storage at the month's end, and the
    recurring schedules' runs (`recurring`: per schedule, its target's memory in MB and
    its runs in a month), each an idle invocation with one Query."""
    runs = sum(n for _, n in recurring)
    gb_seconds = sum(n * FunctionUse(invocations=1.0, calls=1.0, memory_mb=memory, handler_ms=DEFAULT_HANDLER_MS)
                     .gb_seconds for memory, n in recurring)
    return {"Secrets Manager": secrets * prices["secrets_manager_secret_month"],
            "Cognito": managers * prices["cognito_essentials_mau"],
            "DynamoDB": leads * LEAD_STORAGE_KB / 1024 / 1024 * prices["dynamodb_storage_gb_month"]
            + runs * READ_UNITS["Query"] * prices["dynamodb_read_request_unit"],
            "Lambda": runs * prices["lambda_request"] + gb_seconds * prices["lambda_arm_gb_second"],
            "Scheduler": runs * prices["scheduler_invocation"]}


def recurring_read_usd(recurring: list[tuple[int, float]], prices: dict[str, float] = PRICES) -> float:
    return sum(n for _, n in recurring) * READ_UNITS["Query"] * prices["dynamodb_read_request_unit"]


def recurring_schedules() -> list[tuple[int, float]]:
    """The template's recurring schedules (`ScheduleV2` events, `rate(N minutes)`): per
    schedule, its function's memory in MB and its runs in a 30-day month."""
    import re

    from leadflow_local.template import Template

    found: list[tuple[int, float]] = []
    for spec in Template().functions():
        for event in spec.events:
            rate = re.fullmatch(r"rate\((\d+) minutes?\)", str(event.properties.get("ScheduleExpression", "")))
            if event.type == "ScheduleV2" and rate:
                found.append((int(spec.properties.get("MemorySize", 128)), 30 * 24 * 60 / int(rate.group(1))))
    return found


def _function_uses(aws_calls: dict[str, Any], handler_time: dict[str, Any] | None) -> dict[str, FunctionUse]:
    from leadflow_local.template import Template

    memory = {spec.logical_id: int(spec.properties.get("MemorySize", 128)) for spec in Template().functions()}
    timed: dict[str, float] = {}
    for label, case in ((handler_time or {}).get("cases") or {}).items():
        timed.setdefault(label.split(" ")[0], float(case["p50_ms"]))  # "capture (JSON)" -> capture
    new = aws_calls["new_lead"]
    return {name: FunctionUse(invocations=float(new["invocations"].get(name, 0)), calls=float(calls),
                              memory_mb=memory.get(FUNCTIONS.get(name, name), 128),
                              handler_ms=timed.get(name, DEFAULT_HANDLER_MS))
            for name, calls in new["by_function"].items()}


def run(aws_calls: dict[str, Any], handler_time: dict[str, Any] | None = None) -> dict[str, Any]:
    """The cost per 1,000 new leads by service, and a month of MONTH_LEADS leads."""
    if "error" in aws_calls:
        raise RuntimeError("figure 3 (AWS calls) failed: there is nothing to price")
    from leadflow_local.template import Template

    functions = _function_uses(aws_calls, handler_time)
    per_lead = cost_per_lead(aws_calls["new_lead"]["by_operation"], functions,
                             api_requests=functions["capture"].invocations if "capture" in functions else 1.0)
    per_1000 = {service: round(usd * 1000, 4) for service, usd in per_lead.items()}
    recurring = recurring_schedules()
    fixed = month_fixed(secrets=len(Template().of_type("AWS::SecretsManager::Secret")), recurring=recurring)
    month = {service: round(usd * MONTH_LEADS, 2) for service, usd in per_lead.items()}
    for service, usd in fixed.items():
        month[service] = round(month.get(service, 0.0) + usd, 2)
    return {
        "region": REGION, "prices_as_of": PRICES_AS_OF, "prices": PRICES, "notes": NOTES,
        "per_1000_new_leads_usd": per_1000, "per_1000_new_leads_total_usd": round(sum(per_1000.values()), 4),
        "month": {"leads": MONTH_LEADS, "managers": MONTH_MANAGERS, "by_service_usd": month,
                  "total_usd": round(sum(month.values()), 2),
                  "recurring_runs": round(sum(n for _, n in recurring)),
                  "recurring_usd": round(sum(v for k, v in fixed.items() if k in ("Lambda", "Scheduler"))
                                         + recurring_read_usd(recurring), 2)},
        "lambda_gb_seconds_per_lead": round(sum(f.gb_seconds for f in functions.values()), 5),
        "functions": {name: {"invocations": f.invocations, "memory_mb": f.memory_mb, "handler_ms": f.handler_ms}
                      for name, f in functions.items()},
    }
