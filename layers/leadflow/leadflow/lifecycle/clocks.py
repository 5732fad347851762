"""Speed-to-lead clocks: a due time on the lead card, in a sparse index (GSI3), swept once
a minute by the remind function, instead of one EventBridge Scheduler schedule per lead.

Starting a clock costs nothing on the way in: the assignment that starts it writes it in
the transaction it makes anyway (leadflow.routing.store), and leaving `assigned`
(contacted, rejected, ...) takes the card out of the index in the same update
(leadflow.lifecycle.store). A reminder is at most a minute late; the sweep reads what is
due with one Query.

A clock is (manager, return from postponement); its `attempt` 1 reminds the manager, 2
escalates. A clock never goes back: once attempt 2 is set or done, a late start of
attempt 1 of the same clock is refused, as the schedule's name refused it before. A
finished clock leaves the index but keeps `reminder_clock` and `reminder_attempt`."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from leadflow.lifecycle.schedules import ReminderDue
from leadflow.shared.models import LeadStatus
from leadflow.storage import keys
from leadflow.storage.codec import plain
from leadflow.storage.table import Table
from leadflow.storage.transactions import condition_failed

logger = logging.getLogger(__name__)

INDEX = "GSI3"
# A clock whose reminder failed this many sweeps in a row leaves the index: the sweep
# that gives up fails, so its invocation is retried and then dead-lettered (an alarm).
MAX_FAILURES = 5
FINISHED = 3  # `reminder_attempt` of a clock whose last reminder was dealt with
SWEEP_LIMIT = 200  # clocks per sweep; the rest are due in the next, a minute later


def clock_id(due: ReminderDue) -> str:
    return f"{due.manager_id}#{due.returned_on.isoformat() if due.returned_on else ''}"


def clock_update(due: ReminderDue, at: datetime) -> tuple[list[str], dict[str, Any]]:
    """The SET clauses and values that start `due` at `at` on the lead card, for an
    update that is made anyway (the assignment's)."""
    return (["GSI3PK = :clocks", "GSI3SK = :due_position", "reminder_due = :due", "reminder_clock = :clock",
             "reminder_attempt = :attempt", "reminder_failures = :no_failures"],
            {":clocks": keys.CLOCKS, ":due_position": keys.clock_position(at, due.lead_id),
             ":due": due.model_dump(mode="json", exclude_none=True), ":clock": clock_id(due),
             ":attempt": due.attempt, ":no_failures": 0})


# Leaving `assigned` stops the clock: the REMOVE clause of that update.
STOP_CLOCK = "GSI3PK, GSI3SK"


@dataclass
class Swept:
    """What a sweep did: how many reminders had each outcome, which failed."""

    outcomes: dict[str, int] = field(default_factory=dict)
    failed: list[str] = field(default_factory=list)  # lead ids whose reminder failed (retried next sweep)
    # Taken out of the index after MAX_FAILURES: to park where an operator redrives them.
    given_up: list[ReminderDue] = field(default_factory=list)


class ReminderClocks:
    """The speed-to-lead clocks of the lead cards."""

    def __init__(self, table: Table) -> None:
        self.table = table

    def start(self, due: ReminderDue, at: datetime) -> bool:
        """Start (or move on to) `due` at `at`, while the lead is assigned to its manager;
        False when it is not, or this clock is already at this attempt or beyond."""
        sets, values = clock_update(due, at)
        try:
            self.table.update(
                keys.lead_key(due.lead_id), "SET " + ", ".join(sets),
                condition="#status = :assigned AND manager_id = :manager AND (attribute_not_exists(reminder_clock)"
                          " OR reminder_clock <> :clock OR reminder_attempt < :attempt)",
                names={"#status": "status"},
                values={**values, ":assigned": LeadStatus.ASSIGNED.value, ":manager": due.manager_id})
        except ClientError as exc:
            if condition_failed(exc):
                return False
            raise
        return True

    def due(self, now: datetime, limit: int = SWEEP_LIMIT) -> list[tuple[ReminderDue, str]]:
        """The clocks due by `now`, oldest first, with their index positions."""
        found: list[tuple[ReminderDue, str]] = []
        bound = keys.clock_position(now, "~")  # every lead id sorts before "~"
        for item in self.table.query(IndexName=INDEX, KeyConditionExpression="GSI3PK = :clocks AND GSI3SK <= :bound",
                                     ExpressionAttributeValues={":clocks": {"S": keys.CLOCKS},
                                                                ":bound": {"S": bound}},
                                     Limit=limit):
            clock = plain(item)
            found.append((ReminderDue.model_validate(clock["reminder_due"]), clock["GSI3SK"]))
            if len(found) >= limit:
                break
        return found

    def finish(self, due: ReminderDue, position: str) -> None:
        """The reminder `due` at `position` was dealt with: out of the index, unless the
        clock moved meanwhile (the reminder started the next attempt, or another clock)."""
        try:
            self.table.update(keys.lead_key(due.lead_id), f"SET reminder_attempt = :finished REMOVE {STOP_CLOCK}",
                              condition=_STILL, values={":finished": FINISHED, **_still(due, position)})
        except ClientError as exc:
            if not condition_failed(exc):
                raise

    def failed(self, due: ReminderDue, position: str) -> bool:
        """Count a failed reminder; True when the clock was given up on (taken out)."""
        try:
            failures = self.table.update(keys.lead_key(due.lead_id), "ADD reminder_failures :one", condition=_STILL,
                                         values={":one": 1, **_still(due, position)}, returning="UPDATED_NEW")
        except ClientError as exc:
            if condition_failed(exc):
                return False
            raise
        if int(failures["reminder_failures"]["N"]) < MAX_FAILURES:
            return False
        self.finish(due, position)
        return True


# The clock is still at the reminder the sweep read: same place, same clock, same attempt.
_STILL = "GSI3SK = :position AND reminder_clock = :clock AND reminder_attempt = :attempt"


def _still(due: ReminderDue, position: str) -> dict[str, Any]:
    return {":position": position, ":clock": clock_id(due), ":attempt": due.attempt}


def sweep(clocks: ReminderClocks, now: datetime, remind: Callable[[ReminderDue], str]) -> Swept:
    """Deal with every clock due by `now`: `remind` (idempotent) sends the reminder or
    escalates and says what it did. One failing reminder does not hold up the others: it
    stays due and the next sweep tries again."""
    swept = Swept()
    for due, position in clocks.due(now):
        try:
            outcome = remind(due)
        except Exception:  # noqa: BLE001 - one lead's failure must not stop the others' reminders
            logger.exception("reminder failed", extra={"lead_id": due.lead_id, "attempt": due.attempt})
            swept.failed.append(due.lead_id)
            if clocks.failed(due, position):
                swept.given_up.append(due)
            continue
        swept.outcomes[outcome] = swept.outcomes.get(outcome, 0) + 1
        clocks.finish(due, position)
    return swept
