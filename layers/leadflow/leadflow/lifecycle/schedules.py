"""What wakes `remind`: clocks swept once a minute (leadflow.lifecycle.clocks: a lead's
first-contact SLA runs out; a returning lead's visits window closes), and one-time
EventBridge Scheduler schedules for the rarer follow-up (a postponed lead's day has come).

Schedules are named from the lead and the follow-up day, so a redelivered event cannot
create two (CreateSchedule answers ConflictException: it is already there), and
`cancel` finds all of a lead's pending schedules by name prefix (speed-to-lead schedules
made before the clocks included). Schedules delete themselves after firing
(ActionAfterCompletion DELETE)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import TYPE_CHECKING, Annotated, Any, Literal

from botocore.exceptions import ClientError
from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag

from leadflow.shared import aws
from leadflow.shared.models import Temperature
from leadflow.shared.settings import ScheduleSettings, Sla

if TYPE_CHECKING:
    from leadflow.lifecycle.clocks import ReminderClocks
    from leadflow.storage.table import Table

# A postponed lead is back at the start of its follow-up day. Managers have no time zone
# yet: 08:00 UTC is morning in Europe and Africa, and before dawn of the same day in the
# Americas, so everyone finds it waiting when their day starts.
FOLLOW_UP_TIME = time(8, 0, tzinfo=timezone.utc)


class ReminderDue(BaseModel):
    """Input of a speed-to-lead schedule (EventBridge Scheduler → remind): ids only.
    `attempt` 1 reminds the manager; 2 escalates to the admins (and may reassign)."""

    model_config = ConfigDict(extra="ignore")

    schema_version: Literal["1"] = "1"
    # Optional, so the inputs of schedules made before FollowUpDue existed still read.
    kind: Literal["reminder"] = "reminder"
    lead_id: str
    manager_id: str
    attempt: int = Field(ge=1, le=2)
    temperature: Temperature
    submission_id: str  # the submission that assigned the lead, with received_at its key
    received_at: datetime
    # Set on the clock started when a postponed lead came back on that day: a lead can
    # have several clocks with one manager, and each needs its own schedule name and
    # idempotency record.
    returned_on: date | None = None


class FollowUpDue(BaseModel):
    """Input of a follow-up schedule (EventBridge Scheduler → remind): the postponed lead
    goes back to its manager on `follow_up_on`, unless it was picked up or closed before."""

    model_config = ConfigDict(extra="ignore")

    schema_version: Literal["1"] = "1"
    kind: Literal["follow_up"] = "follow_up"
    lead_id: str
    manager_id: str  # who postponed it (the lead returns to whoever holds it then)
    follow_up_on: date


class VisitsDigestDue(BaseModel):
    """A visits digest due (a window's clock, or the input of a schedule made before
    windows had clocks): a person kept coming back while their manager's window was
    open; at `window_until` the manager is told how many visits there were and what
    changed (leadflow.notification.visits)."""

    model_config = ConfigDict(extra="ignore")

    schema_version: Literal["1"] = "1"
    kind: Literal["visits_digest"] = "visits_digest"
    lead_id: str
    manager_id: str
    window_until: datetime


class SweepDue(BaseModel):
    """Input of the recurring speed-to-lead sweep (template: RemindFunction's `Sweep`):
    deal with every clock due by `due_by`, Scheduler's time for this run."""

    model_config = ConfigDict(extra="ignore")

    kind: Literal["sweep"] = "sweep"
    due_by: datetime


def _scheduled_kind(value: object) -> str:
    kind = value.get("kind") if isinstance(value, dict) else getattr(value, "kind", None)
    return kind or "reminder"


# What a Leadflow schedule hands the remind function: told apart by `kind`, which
# speed-to-lead inputs written before it existed do not carry.
ScheduledDue = Annotated[
    Annotated[ReminderDue, Tag("reminder")] | Annotated[FollowUpDue, Tag("follow_up")]
    | Annotated[VisitsDigestDue, Tag("visits_digest")] | Annotated[SweepDue, Tag("sweep")],
    Discriminator(_scheduled_kind),
]


@dataclass(frozen=True)
class ReminderTarget:
    """Where schedules live and deliver: the stack's schedule group, the remind function,
    the role Scheduler assumes, and the dead-letter queue for reminders Scheduler could
    not deliver (all from the template)."""

    group: str
    function_arn: str
    role_arn: str
    dead_letter_arn: str = ""


def schedule_prefix(lead_id: str) -> str:
    return f"lead-{lead_id}-"[:50]


def follow_up_schedule_name(lead_id: str, follow_up_on: date) -> str:
    """`lead-<lead id>-back-<yyyymmdd>`: under the lead's prefix, so `cancel` finds it."""
    return f"{schedule_prefix(lead_id)}back-{follow_up_on.strftime('%Y%m%d')}"


def follow_up_at(follow_up_on: date) -> datetime:
    return datetime.combine(follow_up_on, FOLLOW_UP_TIME)


def at_expression(moment: datetime) -> str:
    """Scheduler's one-time expression, in UTC (ScheduleExpressionTimezone UTC)."""
    return f"at({moment.astimezone(timezone.utc).replace(tzinfo=None).isoformat(timespec='seconds')})"


class Reminders:
    def __init__(self, target: ReminderTarget, clocks: ReminderClocks, client: Any | None = None) -> None:
        self.target = target
        self.clocks = clocks
        self.client = client or aws.lazy_client("scheduler")

    def schedule(self, due: ReminderDue, at: datetime) -> bool:
        """Start the speed-to-lead clock `due` at `at` on the lead card; False when it
        runs already (or the lead is no longer its manager's to call)."""
        return self.clocks.start(due, at)

    def schedule_follow_up(self, due: FollowUpDue) -> bool:
        """Create the schedule that brings a postponed lead back on its follow-up day
        (at FOLLOW_UP_TIME); False when it already exists."""
        return self._create(follow_up_schedule_name(due.lead_id, due.follow_up_on), due,
                            follow_up_at(due.follow_up_on), {"lead_id": due.lead_id, "kind": due.kind})

    def _create(self, name: str, due: FollowUpDue, at: datetime,
                description: dict[str, Any]) -> bool:
        target: dict[str, Any] = {
            "Arn": self.target.function_arn, "RoleArn": self.target.role_arn,
            "Input": due.model_dump_json(),
            "RetryPolicy": {"MaximumRetryAttempts": 3, "MaximumEventAgeInSeconds": 3600},
        }
        if self.target.dead_letter_arn:
            target["DeadLetterConfig"] = {"Arn": self.target.dead_letter_arn}
        try:
            self.client.create_schedule(
                Name=name, GroupName=self.target.group,
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
        kwargs: dict[str, Any] = {"GroupName": self.target.group, "NamePrefix": prefix}
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
                self.client.delete_schedule(Name=name, GroupName=self.target.group)
                deleted += 1
            except ClientError as exc:
                if exc.response["Error"]["Code"] != "ResourceNotFoundException":
                    raise
        return deleted


def reminders_for(settings: ScheduleSettings, table: Table) -> Reminders | None:
    """The reminders of a function whose template gives it a Scheduler target; None
    without a remind function: no reminders."""
    return reminders_to(settings.remind_function_arn, settings, table) if settings.remind_function_arn else None


def reminders_to(function_arn: str, settings: ScheduleSettings, table: Table) -> Reminders:
    """Schedules that invoke `function_arn` (remind schedules itself, by its context's ARN),
    and the clocks on the lead cards of `table`."""
    from leadflow.lifecycle.clocks import ReminderClocks  # noqa: PLC0415 - it reads ReminderDue from here

    return Reminders(ReminderTarget(settings.schedule_group, function_arn, settings.scheduler_role_arn,
                                    settings.reminder_dead_letter_arn), ReminderClocks(table))


def due_at(start: datetime, sla: Sla, temperature: Temperature) -> datetime:
    return start + timedelta(minutes=sla.minutes(temperature))
