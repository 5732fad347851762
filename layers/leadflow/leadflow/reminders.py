"""One-time EventBridge Scheduler schedules that wake `remind`: speed-to-lead (a
lead's first-contact SLA runs out) and follow-up (a postponed lead's day has come).

Schedules are named from the lead and what they are for (the manager and attempt, or
the follow-up day), so a redelivered event cannot create two (CreateSchedule answers
ConflictException: it is already there), and `cancel` finds all of a lead's pending
schedules by name prefix. Schedules delete themselves after firing
(ActionAfterCompletion DELETE)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

import boto3
from botocore.exceptions import ClientError

from leadflow.models import FollowUpDue, ReminderDue, Temperature

GROUP = "default"
# A postponed lead is back at the start of its follow-up day. Managers have no time zone
# yet: 08:00 UTC is morning in Europe and Africa, and before dawn of the same day in the
# Americas, so everyone finds it waiting when their day starts.
FOLLOW_UP_TIME = time(8, 0, tzinfo=timezone.utc)


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


def schedule_name(lead_id: str, manager_id: str, attempt: int, returned_on: date | None = None) -> str:
    """`lead-<lead id>-<clock hash>-<attempt>`: at most 64 characters of [0-9a-zA-Z-_].
    The clock is the manager, and the day the lead came back from a postponement: the
    new clock must not collide with the first one's schedules."""
    clock = manager_id + (f"#{returned_on.isoformat()}" if returned_on else "")
    return f"{schedule_prefix(lead_id)}{hashlib.sha256(clock.encode('utf-8')).hexdigest()[:8]}-{attempt}"


def follow_up_schedule_name(lead_id: str, follow_up_on: date) -> str:
    """`lead-<lead id>-back-<yyyymmdd>`: under the lead's prefix, so `cancel` finds it."""
    return f"{schedule_prefix(lead_id)}back-{follow_up_on.strftime('%Y%m%d')}"


def follow_up_at(follow_up_on: date) -> datetime:
    return datetime.combine(follow_up_on, FOLLOW_UP_TIME)


def at_expression(moment: datetime) -> str:
    """Scheduler's one-time expression, in UTC (ScheduleExpressionTimezone UTC)."""
    return f"at({moment.astimezone(timezone.utc).replace(tzinfo=None).isoformat(timespec='seconds')})"


class Reminders:
    def __init__(self, target: ReminderTarget, client: Any | None = None) -> None:
        self.target = target
        self.client = client or boto3.client("scheduler")

    def schedule(self, due: ReminderDue, at: datetime) -> bool:
        """Create the one-time schedule for `due` at `at`; False when it already exists."""
        return self._create(schedule_name(due.lead_id, due.manager_id, due.attempt, due.returned_on), due, at,
                            {"lead_id": due.lead_id, "attempt": due.attempt})

    def schedule_follow_up(self, due: FollowUpDue) -> bool:
        """Create the schedule that brings a postponed lead back on its follow-up day
        (at FOLLOW_UP_TIME); False when it already exists."""
        return self._create(follow_up_schedule_name(due.lead_id, due.follow_up_on), due,
                            follow_up_at(due.follow_up_on), {"lead_id": due.lead_id, "kind": due.kind})

    def _create(self, name: str, due: ReminderDue | FollowUpDue, at: datetime, description: dict[str, Any]) -> bool:
        target: dict[str, Any] = {
            "Arn": self.target.function_arn, "RoleArn": self.target.role_arn,
            "Input": due.model_dump_json(),
            "RetryPolicy": {"MaximumRetryAttempts": 3, "MaximumEventAgeInSeconds": 3600},
        }
        if self.target.dead_letter_arn:
            target["DeadLetterConfig"] = {"Arn": self.target.dead_letter_arn}
        try:
            self.client.create_schedule(
                Name=name, GroupName=GROUP,
                ScheduleExpression=at_expression(at), ScheduleExpressionTimezone="UTC",
                FlexibleTimeWindow={"Mode": "OFF"}, ActionAfterCompletion="DELETE", Target=target,
                Description=json.dumps(description),
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ConflictException":
                return False
            raise
        return True

    def cancel(self, lead_id: str, *, keep: str | None = None) -> int:
        """Delete every pending schedule of a lead but the one named `keep` (a follow-up
        just created for it); returns how many were deleted."""
        prefix = schedule_prefix(lead_id)
        names: list[str] = []
        kwargs: dict[str, Any] = {"GroupName": GROUP, "NamePrefix": prefix}
        while True:
            page = self.client.list_schedules(**kwargs)
            # Filtered here too: some implementations (moto) ignore NamePrefix.
            names += [s["Name"] for s in page.get("Schedules", [])
                      if s["Name"].startswith(prefix) and s["Name"] != keep]
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
