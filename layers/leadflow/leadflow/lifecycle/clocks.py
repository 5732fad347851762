"""Clocks: a due time on an item, in a sparse index (GSI3), swept once a minute by the
remind function, instead of one EventBridge Scheduler schedule each. A lead card's
speed-to-lead clock; a visits window's digest (leadflow.notification.windows: the first
visit noted in a window puts it in the index, due at its end).

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
from typing import Annotated, Any

from botocore.exceptions import ClientError
from pydantic import Field, TypeAdapter

from leadflow.lifecycle.schedules import ReminderDue, VisitsDigestDue
from leadflow.shared.models import LeadStatus
from leadflow.storage import keys
from leadflow.storage.codec import plain
from leadflow.storage.table import Table
from leadflow.storage.transactions import condition_failed

logger = logging.getLogger(__name__)

INDEX = "GSI3"
# A clock whose run failed this many sweeps in a row leaves the index; remind parks it in
# its dead-letter queue (alarmed), from which a redrive runs it.
MAX_FAILURES = 5
FINISHED = 3  # `reminder_attempt` of a clock whose last reminder was dealt with
SWEEP_LIMIT = 200  # clocks per sweep; the rest are due in the next, a minute later
# Outcomes whose own write moved the clock on (the next attempt, another manager's clock,
# the next window): nothing is left for the sweep to finish. Any other is finished.
MOVED_ON = frozenset({"reminded", "reassigned", "told"})


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


# What a clock is due for: a lead's speed-to-lead reminder, or a visits window's digest.
Due = Annotated[ReminderDue | VisitsDigestDue, Field(discriminator="kind")]
_due: TypeAdapter[ReminderDue | VisitsDigestDue] = TypeAdapter(Due)


@dataclass(frozen=True)
class Clock:
    """A clock the sweep found due: what for, the item it is on, its place in the index."""

    due: ReminderDue | VisitsDigestDue
    key: keys.Key
    position: str


@dataclass
class Swept:
    """What a sweep did: how many runs had each outcome, which failed."""

    outcomes: dict[str, int] = field(default_factory=dict)
    failed: list[str] = field(default_factory=list)  # lead ids whose run failed (retried next sweep)
    # Taken out of the index after MAX_FAILURES: to park where an operator redrives them.
    given_up: list[ReminderDue | VisitsDigestDue] = field(default_factory=list)


class ReminderClocks:
    """The clocks: lead cards' speed-to-lead reminders (started here) and visits windows'
    digests (started by the window's first noted visit, leadflow.notification.store)."""

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

    def due(self, now: datetime, limit: int = SWEEP_LIMIT) -> list[Clock]:
        """The clocks due by `now`, oldest first."""
        found: list[Clock] = []
        bound = keys.clock_position(now, "~")  # every lead id sorts before "~"
        for item in self.table.query(IndexName=INDEX, KeyConditionExpression="GSI3PK = :clocks AND GSI3SK <= :bound",
                                     ExpressionAttributeValues={":clocks": {"S": keys.CLOCKS},
                                                                ":bound": {"S": bound}},
                                     Limit=limit):
            clock = plain(item)
            found.append(Clock(_due.validate_python(clock["reminder_due"]), {"PK": clock["PK"], "SK": clock["SK"]},
                               clock["GSI3SK"]))
            if len(found) >= limit:
                break
        return found

    def finish(self, clock: Clock) -> None:
        """The clock was dealt with: out of the index, unless it moved meanwhile (a
        reminder started the next attempt, or another clock; a digest opened the next
        window)."""
        condition, values = _still(clock)
        update = f"REMOVE {STOP_CLOCK}"
        if isinstance(clock.due, ReminderDue):
            update = f"SET reminder_attempt = :finished {update}"
            values[":finished"] = FINISHED
        try:
            self.table.update(clock.key, update, condition=condition, values=values)
        except ClientError as exc:
            if not condition_failed(exc):
                raise

    def failed(self, clock: Clock) -> bool:
        """Count a failed run; True when the clock was given up on (taken out)."""
        condition, values = _still(clock)
        try:
            failures = self.table.update(clock.key, "ADD reminder_failures :one", condition=condition,
                                         values={":one": 1, **values}, returning="UPDATED_NEW")
        except ClientError as exc:
            if condition_failed(exc):
                return False
            raise
        if int(failures["reminder_failures"]["N"]) < MAX_FAILURES:
            return False
        self.finish(clock)
        return True


def _still(clock: Clock) -> tuple[str, dict[str, Any]]:
    """The condition that the clock is still where the sweep read it: in the same place,
    and for a reminder the same clock at the same attempt."""
    if isinstance(clock.due, ReminderDue):
        return ("GSI3SK = :position AND reminder_clock = :clock AND reminder_attempt = :attempt",
                {":position": clock.position, ":clock": clock_id(clock.due), ":attempt": clock.due.attempt})
    return "GSI3SK = :position", {":position": clock.position}


def sweep(clocks: ReminderClocks, now: datetime, run: Callable[[ReminderDue | VisitsDigestDue], str]) -> Swept:
    """Deal with every clock due by `now`: `run` (idempotent) sends the reminder or
    escalates, or tells a window's visits, and says what it did. One failing does not
    hold up the others: it stays due and the next sweep tries again."""
    swept = Swept()
    for clock in clocks.due(now):
        try:
            outcome = run(clock.due)
        except Exception:  # noqa: BLE001 - one lead's failure must not stop the others'
            logger.exception("clock failed", extra={"lead_id": clock.due.lead_id, "kind": clock.due.kind})
            swept.failed.append(clock.due.lead_id)
            if clocks.failed(clock):
                swept.given_up.append(clock.due)
            continue
        swept.outcomes[outcome] = swept.outcomes.get(outcome, 0) + 1
        if outcome not in MOVED_ON:
            clocks.finish(clock)
    return swept
