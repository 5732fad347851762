"""EventBridge Scheduler's one-time schedules fired when due (moto stores, never fires).

A schedule whose target is one of the template's functions and whose `at(...)` time has
come is deleted (ActionAfterCompletion DELETE) and its target invoked asynchronously
with the target's Input (retries, then the function's dead-letter queue)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from leadflow_local.aws import AwsClients
from leadflow_local.functions import AsyncInvocation, Invoke, invoke_async


def create_recurring_schedule(scheduler: Any, function_arn: str, props: dict[str, Any]) -> None:
    """A function's (resolved) `ScheduleV2` event, as SAM makes it: a schedule in moto
    that `SchedulePump` fires (moto stores schedules, never fires them)."""
    target: dict[str, Any] = {"Arn": function_arn, "RoleArn": function_arn.replace(":lambda:", ":iam:")}
    for name in ("Input", "RetryPolicy", "DeadLetterConfig"):
        if name in props:
            target[name] = props[name]
    scheduler.create_schedule(Name=props["Name"], GroupName=props.get("GroupName", "default"),
                              ScheduleExpression=props["ScheduleExpression"], FlexibleTimeWindow={"Mode": "OFF"},
                              Target=target)


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
        # When each recurring `rate(...)` schedule fires next.
        self.next_runs: dict[tuple[str, Any, Any], datetime] = {}
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
        told = now is not None  # a test's time: recurring schedules run at it, whenever they ran last
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
            if key not in self.seen:
                self.seen[key] = scheduler.get_schedule(Name=summary["Name"],
                                                        GroupName=summary.get("GroupName") or "default")
        active = [(key, summary, self.seen[key], function_id) for key, summary in listed.items()
                  if (function_id := self.function_arns.get(self.seen[key]["Target"]["Arn"].split(":$")[0]))
                  and self.seen[key].get("State") != "DISABLED"]
        # Recurring schedules first: a run at `now` sees what was due before the one-time
        # schedules of the same moment changed anything (a test jumping ahead in time
        # would otherwise have the sweep find a clock the return just started).
        for key, _summary, schedule, function_id in active:
            if rate := re.fullmatch(r"rate\((\d+) minutes?\)", schedule.get("ScheduleExpression", "")):
                fired += self._fire_rate(key, schedule, function_id, timedelta(minutes=int(rate.group(1))), now,
                                         told=told)
                due_times.append(self.next_runs[key])  # the background poll must list again by then
        for _key, summary, schedule, function_id in active:
            group = summary.get("GroupName") or "default"
            match = re.fullmatch(r"at\((.+)\)", schedule.get("ScheduleExpression", ""))
            if match is None:
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

    def _fire_rate(self, key: tuple[str, Any, Any], schedule: dict[str, Any], function_id: str, every: timedelta,
                   now: datetime, *, told: bool) -> int:
        """A recurring schedule: fired once when its time has come (a pump called an hour
        later fires it once, at `now`, as if the runs missed meanwhile had found nothing),
        or at once at a time a test `told` the pump (tests move back and forth in time),
        with Scheduler's `<aws.scheduler.scheduled-time>` in its input. Counted as fired
        only when its run reported work done (`swept` > 0 in its answer): a sweep that
        found nothing due leaves the stack quiet."""
        created = schedule.get("CreationDate") or now
        due = self.next_runs.setdefault(key, created + every)
        if due > now and not told:
            return 0
        self.next_runs[key] = now + every
        text = (schedule["Target"].get("Input") or "{}").replace(
            "<aws.scheduler.scheduled-time>", now.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"))
        answers: list[Any] = []

        def invoke(function: str, event: dict[str, Any]) -> Any:
            answers.append(answer := self._invoke(function, event))
            return answer

        invoke_async(invoke, function_id, self._invocation_of(function_id), json.loads(text), self.failures,
                     self.client("sqs"))
        answer = answers[-1] if answers else None
        return int(answer.get("swept", 1)) if isinstance(answer, dict) else 1

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
