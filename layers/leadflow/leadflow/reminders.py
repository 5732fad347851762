"""Speed-to-lead: one-time EventBridge Scheduler schedules that wake `remind` when a
lead's first-contact SLA runs out.

Schedules are named from the lead, the manager and the attempt, so a redelivered event
cannot create two (CreateSchedule answers ConflictException: it is already there), and
`cancel` finds a lead's pending schedules by name prefix. Schedules delete themselves
after firing (ActionAfterCompletion DELETE)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

import boto3
from botocore.exceptions import ClientError

from leadflow.models import ReminderDue, Temperature

GROUP = "default"


@dataclass(frozen=True)
class Sla:
    """Minutes until a lead of each temperature must have been called."""

    hot: int = 15
    warm: int = 240
    cold: int = 2880

    def minutes(self, temperature: Temperature) -> int:
        return int(getattr(self, temperature.value))


@dataclass(frozen=True)
class ReminderTarget:
    """Where schedules deliver: the remind function, the role Scheduler assumes, and the
    dead-letter queue for reminders Scheduler could not deliver (all from the template)."""

    function_arn: str
    role_arn: str
    dead_letter_arn: str = ""


def schedule_prefix(lead_id: str) -> str:
    return f"lead-{lead_id}-"[:50]


def schedule_name(lead_id: str, manager_id: str, attempt: int) -> str:
    """`lead-<lead id>-<manager hash>-<attempt>`: at most 64 characters of [0-9a-zA-Z-_]."""
    manager = hashlib.sha256(manager_id.encode("utf-8")).hexdigest()[:8]
    return f"{schedule_prefix(lead_id)}{manager}-{attempt}"


def at_expression(moment: datetime) -> str:
    """Scheduler's one-time expression, in UTC (ScheduleExpressionTimezone UTC)."""
    return f"at({moment.astimezone(timezone.utc).replace(tzinfo=None).isoformat(timespec='seconds')})"


class Reminders:
    def __init__(self, target: ReminderTarget, client: Any | None = None) -> None:
        self.target = target
        self.client = client or boto3.client("scheduler")

    def schedule(self, due: ReminderDue, at: datetime) -> bool:
        """Create the one-time schedule for `due` at `at`; False when it already exists."""
        target: dict[str, Any] = {
            "Arn": self.target.function_arn, "RoleArn": self.target.role_arn,
            "Input": due.model_dump_json(),
            "RetryPolicy": {"MaximumRetryAttempts": 3, "MaximumEventAgeInSeconds": 3600},
        }
        if self.target.dead_letter_arn:
            target["DeadLetterConfig"] = {"Arn": self.target.dead_letter_arn}
        try:
            self.client.create_schedule(
                Name=schedule_name(due.lead_id, due.manager_id, due.attempt), GroupName=GROUP,
                ScheduleExpression=at_expression(at), ScheduleExpressionTimezone="UTC",
                FlexibleTimeWindow={"Mode": "OFF"}, ActionAfterCompletion="DELETE", Target=target,
                Description=json.dumps({"lead_id": due.lead_id, "attempt": due.attempt}),
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ConflictException":
                return False
            raise
        return True

    def cancel(self, lead_id: str) -> int:
        """Delete every pending schedule of a lead; returns how many were deleted."""
        prefix = schedule_prefix(lead_id)
        names: list[str] = []
        kwargs: dict[str, Any] = {"GroupName": GROUP, "NamePrefix": prefix}
        while True:
            page = self.client.list_schedules(**kwargs)
            # Filtered here too: some implementations (moto) ignore NamePrefix.
            names += [s["Name"] for s in page.get("Schedules", []) if s["Name"].startswith(prefix)]
            if not page.get("NextToken"):
                break
            kwargs["NextToken"] = page["NextToken"]
        deleted = 0
        for name in names:
            try:
                self.client.delete_schedule(Name=name, GroupName=GROUP)
                deleted += 1
            except ClientError as exc:
                if exc.response["Error"]["Code"] != "ResourceNotFoundException":
                    raise
        return deleted


def due_at(start: datetime, sla: Sla, temperature: Temperature) -> datetime:
    return start + timedelta(minutes=sla.minutes(temperature))
