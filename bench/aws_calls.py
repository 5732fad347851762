"""Figure 3: AWS API calls per lead across the whole pipeline (capture → score → notify).

The local stack runs on moto in-process; `CallCounter` counts the calls made inside
function invocations (not the pumps' own polling, which Lambda's event source mapping
and EventBridge would do in AWS at no cost to the functions). Calls are what a lead
costs in requests, latency and throttling headroom; a count does not depend on the
machine, so this figure is exact, not sampled."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from datetime import datetime, timedelta, timezone
from typing import Any

from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID
from moto.ses.models import ses_backends

from bench.measure import FUNCTIONS, functions_output_discarded, sample_post
from leadflow_local.stack import SEED_PATH, CallCounter, LocalStack

LEADS = 20
_SHORT_NAMES = {logical_id: name for name, logical_id in FUNCTIONS.items()}


class _Tally:
    """Calls and invocations per function: every invocation is wrapped, so a call is
    credited to the function that made it (invocations here run one at a time)."""

    def __init__(self, stack: LocalStack) -> None:
        self.calls, self.invocations = self._empty()
        invoke = stack.invoke

        def counted(function_id: str, event: dict[str, Any]) -> Any:
            CallCounter.reset()  # calls only happen inside invocations: nothing is lost
            name = _SHORT_NAMES.get(function_id, function_id)  # any other function is counted too
            self.invocations[name] += 1
            try:
                return invoke(function_id, event)
            finally:
                self.calls[name] += CallCounter.reset()

        stack.invoke = counted  # type: ignore[method-assign]

    @staticmethod
    def _empty() -> tuple[dict[str, Counter[str]], Counter[str]]:
        calls: dict[str, Counter[str]] = defaultdict(Counter)
        for name in FUNCTIONS:  # in pipeline order, and listed even if one never ran
            calls[name] = Counter()
        return calls, Counter()

    def take(self) -> tuple[dict[str, Counter[str]], Counter[str]]:
        taken = self.calls, self.invocations
        self.calls, self.invocations = self._empty()
        return taken


def _per_lead(calls: dict[str, Counter[str]], invocations: Counter[str], leads: int) -> dict[str, Any]:
    by_operation: Counter[str] = Counter()
    for counter in calls.values():
        by_operation += counter
    return {
        "total": round(sum(by_operation.values()) / leads, 2),
        "detail": {name: {op: round(n / leads, 2) for op, n in sorted(c.items())} for name, c in calls.items() if c},
        "by_operation": {op: round(n / leads, 2) for op, n in sorted(by_operation.items())},
        "by_function": {name: round(sum(c.values()) / leads, 2) for name, c in calls.items()},
        "invocations": {name: round(invocations[name] / leads, 2) for name in calls},
    }


def _submit_all(stack: LocalStack, posts: list[dict[str, str]], first: int = 0) -> None:
    """Each lead's whole journey before the next: its post, its score, its email.
    Every person posts from an address of their own (capture limits posts per IP)."""
    for n, post in enumerate(posts, start=first):
        response = stack.handle_http("POST", "/forms/demo/submissions",
                                     {"Content-Type": "application/json", "Accept": "application/json"},
                                     json.dumps(post).encode("utf-8"), source_ip=f"198.51.100.{1 + n % 250}")
        assert response.status == 202, (response.status, response.body[:500])
        stack.drain()


def _close_visits_windows(stack: LocalStack) -> None:
    """Fire the visits digests as their windows close. The leads' speed-to-lead clocks,
    due by then too, are stopped first (as if every lead had been called): they are no part of
    what a visit costs, and their emails would count as told twice."""
    ddb, table = stack.client("dynamodb"), stack.table_name()
    running = ddb.query(TableName=table, IndexName="GSI3", KeyConditionExpression="GSI3PK = :clocks",
                        ExpressionAttributeValues={":clocks": {"S": "CLOCKS"}})["Items"]
    for clock in [c for c in running if c["SK"] == {"S": "LEAD"}]:  # the windows' digests stay due
        ddb.update_item(TableName=table, Key={"PK": clock["PK"], "SK": clock["SK"]},
                        UpdateExpression="REMOVE GSI3PK, GSI3SK")
    stack.pump_schedules(now=datetime.now(timezone.utc) + timedelta(minutes=31))
    stack.drain()


def _steady(figure: dict[str, Any]) -> dict[str, Any]:
    """A figure of warm containers, split into what grows with leads and what does not:
    the sweep's Query of the clocks (one a minute, however many leads; costed as a fixed
    monthly sum in figure 8)."""
    sweep = figure["detail"].get("RemindFunction", {}).get("dynamodb.Query", 0)
    return {**figure, "per_sweep_not_per_lead": sweep, "per_lead": round(figure["total"] - sweep, 2)}


def run(leads: int = LEADS) -> dict[str, Any]:
    """Calls per new lead, then per returning lead (the same people posting again): first
    through fresh containers (their first reads of the form, the rules, the roster and the
    keys count among the leads'), then, in the same stack, for as many other people
    (`steady`: the containers warm, as under traffic)."""
    managers = {m["email"] for m in json.loads(SEED_PATH.read_text("utf-8"))["managers"]}
    with functions_output_discarded(), mock_aws():
        stack = LocalStack().deploy()
        stack.seed()
        tally = _Tally(stack)
        sent = ses_backends[DEFAULT_ACCOUNT_ID][stack.region].sent_messages

        def managers_told() -> int:
            """Emails to managers; a lead must cost exactly one, so none was lost or doubled."""
            return sum(1 for m in sent if managers & set(m.destinations.get("ToAddresses", [])))

        figures: dict[str, Any] = {"leads": leads}
        for phase, first in (("", 0), ("steady_", leads)):
            told = managers_told()
            posts = [sample_post(n) for n in range(first, first + leads)]
            _submit_all(stack, posts, first)
            new = _per_lead(*tally.take(), leads)
            assert managers_told() - told == leads, f"{managers_told() - told} manager emails for {leads} new leads"

            # Back again, now asking for a demo: attached to their lead, same manager told, at
            # once on a rise to hot, else when the visits window opened by the first email
            # closes (notification.visits: the sweep tells its digest). Either way, one.
            _submit_all(stack, [{**post, "interest": "demo"} for post in posts], first)
            _close_visits_windows(stack)
            returning = _per_lead(*tally.take(), leads)
            assert managers_told() - told == 2 * leads, \
                f"{managers_told() - told - leads} manager emails for {leads} returning leads"
            figures[f"{phase}new_lead"] = _steady(new) if phase else new
            figures[f"{phase}returning_lead"] = _steady(returning) if phase else returning
        assert not stack.failures, stack.failures
    return figures
