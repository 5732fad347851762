"""EventBridge Scheduler's one-time schedules fired when due (moto stores, never fires).

A schedule whose target is one of the template's functions and whose `at(...)` time has
come is deleted (ActionAfterCompletion DELETE) and its target invoked asynchronously
with the target's Input (retries, then the function's dead-letter queue)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any
from zoneinfo import ZoneInfo

from leadflow_local.aws import AwsClients
from leadflow_local.functions import AsyncInvocation, Invoke, invoke_async


class SchedulePump:
    """Fires due schedules targeting one stack's functions."""

    def __init__(self, function_arns: dict[str, str], invocation_of: Callable[[str], AsyncInvocation],
                 clients: AwsClients, invoke: Invoke, failures: list[str]) -> None:
        self.function_arns = function_arns  # Lambda ARN -> logical id
        self._invocation_of = invocation_of
        self.client = clients
        self._invoke = invoke
        self.failures = failures
        # Each schedule's details by (ARN, created, last modified), so a poll reads only
        # the schedules it has not seen as they are, not every pending one.
        self.seen: dict[tuple[str, Any, Any], dict[str, Any]] = {}

    def pump(self, now: datetime | None = None) -> int:
        """Fire the schedules due by `now` (default: now; tests pass a later time
        instead of waiting); returns how many fired."""
        scheduler = self.client("scheduler")
        now = now or datetime.now(timezone.utc)
        fired = 0
        # Every page: moto, like Scheduler, lists 50 at a time, newest first, so the first
        # page alone would leave the oldest, earliest-due schedules unfired.
        summaries = [summary for page in scheduler.get_paginator("list_schedules").paginate()
                     for summary in page.get("Schedules", [])]
        listed = {(s["Arn"], s.get("CreationDate"), s.get("LastModificationDate")): s for s in summaries}
        # Forget what was deleted or changed since the last poll.
        self.seen = {key: seen for key, seen in self.seen.items() if key in listed}
        for key, summary in listed.items():
            group = summary.get("GroupName") or "default"
            schedule = self.seen.get(key)
            if schedule is None:
                schedule = self.seen[key] = scheduler.get_schedule(Name=summary["Name"], GroupName=group)
            function_id = self.function_arns.get(schedule["Target"]["Arn"].split(":$")[0])
            match = re.fullmatch(r"at\((.+)\)", schedule.get("ScheduleExpression", ""))
            if function_id is None or match is None or schedule.get("State") == "DISABLED":
                continue
            zone = ZoneInfo(schedule.get("ScheduleExpressionTimezone") or "UTC")
            if datetime.fromisoformat(match.group(1)).replace(tzinfo=zone) > now:
                continue
            if schedule.get("ActionAfterCompletion") == "DELETE":
                scheduler.delete_schedule(Name=summary["Name"], GroupName=group)
            invoke_async(self._invoke, function_id, self._invocation_of(function_id),
                         json.loads(schedule["Target"].get("Input") or "{}"), self.failures, self.client("sqs"))
            fired += 1
        return fired
