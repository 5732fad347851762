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
        # What moto held at the last listing, and the earliest time one of the pending
        # schedules is due: while both hold, a listing would find nothing to fire.
        self._listed: tuple[frozenset[tuple[str, str, Any]] | None, datetime | None, int] = (None, None, 0)

    @property
    def seen(self) -> dict[tuple[str, Any, Any], dict[str, Any]]:
        return self._seen

    @seen.setter
    def seen(self, value: dict[tuple[str, Any, Any], dict[str, Any]]) -> None:
        self._seen = value
        self._listed = (None, None, 0)  # put back from elsewhere: list again

    def poll(self) -> int:
        """What the background pump runs: `pump()`, unless moto (in this process) holds
        exactly the schedules it held at the last listing and none of them is due yet,
        when a listing could fire nothing (it cost ~16 ms with 200 reminders pending)."""
        listed_held, next_due, seen_id = self._listed
        if listed_held is not None and seen_id == id(self._seen) \
                and (next_due is None or next_due > datetime.now(timezone.utc)) \
                and _moto_schedules(self.client("scheduler").meta.region_name) == listed_held:
            return 0
        return self.pump()

    def pump(self, now: datetime | None = None) -> int:
        """Fire the schedules due by `now` (default: now; tests pass a later time
        instead of waiting); returns how many fired."""
        scheduler = self.client("scheduler")
        now = now or datetime.now(timezone.utc)
        held = _moto_schedules(scheduler.meta.region_name)
        fired = 0
        due_times: list[datetime] = []
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
            due = datetime.fromisoformat(match.group(1)).replace(tzinfo=zone)
            if due > now:
                due_times.append(due)
                continue
            if schedule.get("ActionAfterCompletion") == "DELETE":
                scheduler.delete_schedule(Name=summary["Name"], GroupName=group)
            invoke_async(self._invoke, function_id, self._invocation_of(function_id),
                         json.loads(schedule["Target"].get("Input") or "{}"), self.failures, self.client("sqs"))
            fired += 1
        # Firing deletes or leaves schedules as moto now holds them: the next poll lists
        # again unless moto still holds exactly what it held before this one.
        self._listed = (held if not fired else None, min(due_times, default=None), id(self._seen))
        return fired


def _moto_schedules(region: str) -> frozenset[tuple[str, str, Any]] | None:
    """Every schedule moto holds in this process (group, name, last modified), for any
    account: None when that cannot be told (another endpoint), and the pump lists."""
    try:
        from moto.scheduler.models import scheduler_backends

        return frozenset((group.name, schedule.name, schedule.last_modified_date)
                         for account_id in list(scheduler_backends)
                         for group in scheduler_backends[account_id][region].schedule_groups.values()
                         for schedule in group.schedules.values())
    except Exception:  # noqa: BLE001 - no moto here: just list
        return None
