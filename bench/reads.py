"""Figure 5: the leads API's reads at scale — a manager's list, the admins' list, a
report and the admin API's lists of forms and managers, with 10,000 and with 100,000
leads in the table.

What must not grow with the table is what DynamoDB does for a request: the items it
reads (ScannedCount of each Query, plus any item fetched) and the number of requests.
Those are counted exactly. Latency is measured too, through the local stack's HTTP
entry (Cognito token check, handler, moto), as a median of repeated requests, and split
in two: time in our code (handler, serialization, botocore) and time inside moto. The
second part grows with the table here for index Queries because moto answers a GSI
Query by walking every item of the table; DynamoDB reads an index partition by key.
The first part is the one this figure compares between the two sizes.

The leads are written straight into the table (lead cards with their index keys, and
the report counters the report function would have added for them, computed by
`leadflow.reporting.counters.plan_count`), so seeding 100,000 leads takes a minute, not hours of
pipeline; the reads are the real API's."""

from __future__ import annotations

import gc
import json
import random
import statistics
import time
import uuid
from collections import Counter, defaultdict
from datetime import datetime, timedelta, timezone
from typing import Any

from boto3.dynamodb.types import TypeSerializer
from botocore.client import BaseClient
from moto import mock_aws

from bench.measure import functions_output_discarded
from leadflow.reporting.counters import CountPlan, plan_count
from leadflow.shared.models import ChannelKind, ContactCard, Lead, LeadStatus, Score, Source, Temperature
from leadflow.storage.codec import to_item
from leadflow.storage.keys import lead_created_keys, lead_key
from leadflow_local.stack import LocalStack

SIZES = (10_000, 100_000)
REPEATS = 21  # the split "without moto" is a difference of two times: more samples steady its median
MANAGERS = 20  # the four demo managers plus synthetic ones; leads are spread evenly
MANAGER_USER = ("olivia@sales.example.com", "m-olivia")
ADMIN_USER = "admin@sales.example.com"
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=timezone.utc)
SOURCES = [("google", "cpc", "black-friday"), ("google", "cpc", "brand"), ("newsletter", "email", "november"),
           ("linkedin", "paid-social", "cfo-ads"), (None, "referral", None), (None, None, None)]
STATUSES = [LeadStatus.ASSIGNED] * 4 + [LeadStatus.CONTACTED] * 3 + [LeadStatus.QUALIFIED, LeadStatus.CONVERTED,
                                                                       LeadStatus.REJECTED, LeadStatus.POSTPONED]
_serializer = TypeSerializer()


class _DynamoReads:
    """Counts what DynamoDB is asked to read during a request, and the time spent in
    the (moto) backend: every DynamoDB call of any client goes through here."""

    def __init__(self) -> None:
        self.requests = 0
        self.items = 0
        self.backend_s = 0.0
        original = BaseClient._make_api_call

        def counting(client: BaseClient, operation: str, params: dict[str, Any]) -> Any:
            if client.meta.service_model.service_name != "dynamodb":
                return original(client, operation, params)
            started = time.perf_counter()
            try:
                response = original(client, operation, params)
            finally:
                self.backend_s += time.perf_counter() - started
            self.requests += 1
            if operation in ("Query", "Scan"):
                self.items += int(response.get("ScannedCount", response.get("Count", 0)))
            elif operation == "GetItem":
                self.items += 1 if response.get("Item") else 0
            elif operation == "BatchGetItem":
                self.items += sum(len(v) for v in response.get("Responses", {}).values())
            return response

        BaseClient._make_api_call = counting  # type: ignore[method-assign]
        self._original = original

    def reset(self) -> None:
        self.requests, self.items, self.backend_s = 0, 0, 0.0

    def uninstall(self) -> None:
        BaseClient._make_api_call = self._original  # type: ignore[method-assign]


def _lead(n: int, rng: random.Random, managers: list[str]) -> tuple[Lead, dict[str, Any]]:
    """The n-th synthetic lead (created over the last year) and its table item."""
    created = NOW - timedelta(minutes=rng.randrange(365 * 24 * 60))
    utm_source, medium, campaign = SOURCES[n % len(SOURCES)]
    points = rng.randrange(0, 100)
    temperature = Temperature.HOT if points >= 70 else Temperature.WARM if points >= 40 else Temperature.COLD
    status = STATUSES[n % len(STATUSES)]
    manager_id = managers[n % len(managers)]
    contacted = created + timedelta(minutes=rng.randrange(5, 3000)) if status != LeadStatus.ASSIGNED else None
    lead = Lead(
        lead_id=uuid.UUID(int=rng.getrandbits(128)).hex, status=status,
        contact=ContactCard(name=f"Bench Lead {n}", email=f"lead{n}@bench.example.com", company="Bench Co"),
        source=Source(form_id="demo", channel=ChannelKind.INBOUND if medium else ChannelKind.UNKNOWN,
                      utm_source=utm_source, utm_medium=medium, utm_campaign=campaign),
        created_at=created, last_seen_at=created,
        score=Score(points=points, temperature=temperature, parts=[], rule_set_version="bench", profile="b2b"),
        manager_id=manager_id, assigned_at=created, contacted_at=contacted,
        follow_up_on=(NOW + timedelta(days=7)).date() if status == LeadStatus.POSTPONED else None,
    )
    # The manager's queue sorts by the time the lead entered its status (a postponed
    # lead by its follow-up day), as the lifecycle writes it.
    since = lead.follow_up_on.isoformat() if lead.follow_up_on else (contacted or created).isoformat()
    item = to_item(lead_key(lead.lead_id), "lead", lead, GSI1PK=f"MANAGER#{manager_id}",
                   GSI1SK=f"{status.value}#{since}", **lead_created_keys(lead.lead_id, created))
    return lead, item


def _count(lead: Lead, totals: dict[tuple[str, str], Counter[str]]) -> None:
    """What the report function would have added to the counters for this lead."""
    plan: CountPlan = plan_count(None, lead, None, None, now=lead.created_at)
    facts = []
    if lead.contacted_at:
        facts.append(("contacted", lead.contacted_at))
    if lead.status == LeadStatus.CONVERTED:
        facts.append(("converted", lead.contacted_at + timedelta(days=3)))  # type: ignore[operator]
    if lead.status == LeadStatus.REJECTED:
        facts.append(("rejected", lead.contacted_at))
    for key, counters in plan.nonzero().items():
        totals[key].update(counters)
    mark = plan.mark
    for fact, at in facts:
        step = plan_count(mark, None, fact, at)  # type: ignore[arg-type]
        mark = step.mark
        for key, counters in step.nonzero().items():
            totals[key].update(counters)


def _write(stack: LocalStack, items: list[dict[str, Any]]) -> None:
    """Items in wire format, 25 per BatchWriteItem."""
    client, table = stack.client("dynamodb"), stack.table_name()
    for start in range(0, len(items), 25):
        request = {table: [{"PutRequest": {"Item": item}} for item in items[start:start + 25]]}
        while request:
            request = client.batch_write_item(RequestItems=request).get("UnprocessedItems") or {}


def _seed(stack: LocalStack, count: int, rng: random.Random, managers: list[str], start: int,
          totals: dict[tuple[str, str], Counter[str]]) -> None:
    items = []
    for n in range(start, start + count):
        lead, item = _lead(n, rng, managers)
        items.append(item)
        _count(lead, totals)
    _write(stack, items)


def _write_counters(stack: LocalStack, totals: dict[tuple[str, str], Counter[str]]) -> int:
    """The counter items as they stand (written whole: the same numbers ADD would reach)."""
    items = [{k: _serializer.serialize(v) for k, v in
              {"PK": f"STAT#{period}", "SK": cell, "item_type": "report_counter", **dict(counters)}.items()}
             for (period, cell), counters in totals.items()]
    _write(stack, items)
    return len(items)


def _requests(stack: LocalStack) -> dict[str, tuple[str, str, str]]:
    """Each measured request: (user, path, query). The second page's cursor is taken
    from a first page, so it is a real one."""
    month = NOW.strftime("%Y-%m")
    manager_token = stack.id_token(MANAGER_USER[0])
    first = stack.handle_http("GET", "/leads", {"Authorization": manager_token}, b"", "limit=25")
    cursor = json.loads(first.body)["next_cursor"]
    return {
        "manager: my leads, first page (25)": (MANAGER_USER[0], "/leads", "limit=25"),
        "manager: my leads, next page": (MANAGER_USER[0], "/leads", f"limit=25&cursor={cursor}"),
        "manager: my contacted leads": (MANAGER_USER[0], "/leads", "status=contacted&limit=25"),
        "admin: every lead, first page (25)": (ADMIN_USER, "/leads", "limit=25"),
        "admin: hot leads (filtered)": (ADMIN_USER, "/leads", "temperature=hot&limit=25"),
        "admin: report, one month, every dimension": (ADMIN_USER, "/reports", f"period={month}"),
        "admin: report, 3 months by channel": (ADMIN_USER, "/reports", "period=2026-09..2026-11&by=channel"),
        # The admin API's lists: the forms (GSI1 `FORMS`) and the roster's partition,
        # whatever the number of leads.
        "admin API: every form": (ADMIN_USER, "/admin/forms", ""),
        "admin API: every manager, with load": (ADMIN_USER, "/admin/managers", ""),
    }


def _measure(stack: LocalStack, reads: _DynamoReads, tokens: dict[str, str],
             requests: dict[str, tuple[str, str, str]]) -> dict[str, Any]:
    cases: dict[str, Any] = {}
    for label, (user, path, query) in requests.items():
        totals, ours, items, calls = [], [], set(), set()
        for _ in range(REPEATS):
            reads.reset()
            started = time.perf_counter()
            response = stack.handle_http("GET", path, {"Authorization": tokens[user]}, b"", query)
            elapsed = time.perf_counter() - started
            if response.status != 200:
                raise RuntimeError(f"{label}: {response.status} {response.body[:300]!r}")
            totals.append(elapsed * 1000)
            ours.append((elapsed - reads.backend_s) * 1000)
            items.add(reads.items)
            calls.add(reads.requests)
        cases[label] = {
            "p50_ms": round(statistics.median(totals), 2),
            "p50_ms_without_moto": round(statistics.median(ours), 2),
            "items_read": max(items), "dynamodb_requests": max(calls),
        }
    return cases


def run() -> dict[str, Any]:
    rng = random.Random(7)  # noqa: S311 - a reproducible dataset, not secrecy
    with mock_aws(), functions_output_discarded():
        stack = LocalStack().deploy()
        stack.seed()
        managers = ["m-olivia", "m-layla", "m-diego", "m-sam"] + [f"m-bench-{i}" for i in range(MANAGERS - 4)]
        tokens = {user: stack.id_token(user) for user in (MANAGER_USER[0], ADMIN_USER)}
        totals: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
        sizes: dict[str, Any] = {}
        seeded = 0
        reads = _DynamoReads()
        try:
            for size in SIZES:
                begun = time.perf_counter()
                _seed(stack, size - seeded, rng, managers, seeded, totals)
                counter_items = _write_counters(stack, totals)
                seeded = size
                seed_s = time.perf_counter() - begun
                # The seeded table lives in this process (moto), not in a Lambda's: keep the
                # collector from walking it during the requests, or every request would pay
                # for a heap that grows with the table.
                gc.collect()
                gc.freeze()
                sizes[str(size)] = {"seed_s": round(seed_s, 1), "counter_items": counter_items,
                                    "cases": _measure(stack, reads, tokens, _requests(stack))}
        finally:
            reads.uninstall()
            gc.unfreeze()
    small, large = (sizes[str(s)]["cases"] for s in SIZES)
    ratios = {label: {
        "items_read": round(large[label]["items_read"] / max(small[label]["items_read"], 1), 2),
        "p50_without_moto": round(large[label]["p50_ms_without_moto"] / small[label]["p50_ms_without_moto"], 2),
        "p50_total": round(large[label]["p50_ms"] / small[label]["p50_ms"], 2),
    } for label in small}
    return {"sizes": sizes, "ratio_large_to_small": ratios, "repeats": REPEATS, "leads": list(SIZES)}
