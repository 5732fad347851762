"""The roster: the managers who receive leads (`ROSTER` / `MANAGER#<id>`), and the one
place the rule of a manager's load is written for DynamoDB.

A manager's `open_leads` goes up only inside the transaction that gives them a lead, on
condition that they can take it (active, not on leave, below capacity), and down when a
lead leaves them: every part that moves a lead between managers builds its transaction
with `take_lead` and `release_lead`."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from leadflow.shared.clock import json_time
from leadflow.shared.models import Manager
from leadflow.storage import keys
from leadflow.storage.codec import from_item, to_item, wire
from leadflow.storage.table import Table
from leadflow.storage.transactions import condition_failed

# Active and not away (leadflow.routing.assignment.can_hold_leads), as DynamoDB checks it.
_CAN_HOLD_LEADS = ("active = :true AND (attribute_not_exists(on_leave_until)"
                   " OR attribute_type(on_leave_until, :null) OR on_leave_until < :today)")


def take_lead(table: Table, manager_id: str, now: str, today_iso: str, *,
              within_capacity: bool = True) -> dict[str, Any]:
    """The Update that counts one more open lead for a manager, only while they can take
    it: active, not on leave, below capacity. `within_capacity=False`: an admin's forced
    hand-out (or a manager's own lead entered by hand) may go past capacity, never to
    someone inactive or away."""
    condition = _CAN_HOLD_LEADS
    if within_capacity:
        return table.update_op(
            keys.manager_key(manager_id), "SET last_assigned_at = :now ADD open_leads :one",
            condition=condition + " AND open_leads < #capacity", names={"#capacity": "capacity"},
            values={":now": now, ":one": 1, ":true": True, ":null": "NULL", ":today": today_iso},
        )
    return table.update_op(
        keys.manager_key(manager_id), "SET last_assigned_at = :now ADD open_leads :one", condition=condition,
        values={":now": now, ":one": 1, ":true": True, ":null": "NULL", ":today": today_iso},
    )


def still_holds_leads(table: Table, manager_id: str, today_iso: str) -> dict[str, Any]:
    """The ConditionCheck that a manager may keep a returning lead: active, not on leave
    (as `take_lead`, without the capacity: the lead is in their load already)."""
    return {"ConditionCheck": {
        "TableName": table.name, "Key": wire(keys.manager_key(manager_id)),
        "ConditionExpression": _CAN_HOLD_LEADS,
        "ExpressionAttributeValues": wire({":true": True, ":null": "NULL", ":today": today_iso})}}


def release_lead(table: Table, manager_id: str) -> dict[str, Any]:
    """The Update that counts one open lead less for a manager, never below zero."""
    return table.update_op(keys.manager_key(manager_id), "ADD open_leads :minus_one",
                           condition="open_leads > :zero", values={":minus_one": -1, ":zero": 0})


class RecentRoster:
    """The roster as one container last read it, for `ttl_seconds`, with this container's
    own assignments applied to it (so its leads still take turns between managers).

    Safe to choose from because the write that gives a lead to a manager re-checks them
    (`take_lead`): a manager who left, went away or filled up since the read refuses,
    the snapshot is forgotten and the roster read again. What a snapshot can miss for
    `ttl_seconds` is a manager who became able to take leads (added, back, more room):
    they get new leads that much later."""

    def __init__(self, read: Callable[[], list[Manager]], ttl_seconds: float,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.read = read
        self.ttl_seconds = ttl_seconds
        self.clock = clock
        self._managers: list[Manager] | None = None
        self._read_at = 0.0

    def fresh(self) -> list[Manager]:
        """Read the roster now, and keep it."""
        self._managers = self.read()
        self._read_at = self.clock()
        return list(self._managers)

    def snapshot(self) -> list[Manager] | None:
        """The roster kept, if read less than `ttl_seconds` ago; else None."""
        if self._managers is None or self.clock() - self._read_at >= self.ttl_seconds:
            return None
        return list(self._managers)

    def forget(self) -> None:
        self._managers = None

    def took(self, manager_id: str, now: str) -> None:
        """This container gave the manager a lead (their count went up in the table)."""
        self._apply(manager_id, lambda m: m.model_copy(update={
            "open_leads": m.open_leads + 1, "last_assigned_at": datetime.fromisoformat(now)}))

    def released(self, manager_id: str) -> None:
        self._apply(manager_id, lambda m: m.model_copy(update={"open_leads": max(0, m.open_leads - 1)}))

    def _apply(self, manager_id: str, change: Callable[[Manager], Manager]) -> None:
        if self._managers is not None:
            self._managers = [change(m) if m.manager_id == manager_id else m for m in self._managers]


class Roster:
    def __init__(self, table: Table) -> None:
        self.table = table

    def managers(self) -> list[Manager]:
        """Every manager, strongly consistent: one Query of the roster's partition."""
        return [Manager.model_validate(from_item(i)) for i in self.table.partition(keys.ROSTER)]

    def get(self, manager_id: str) -> Manager | None:
        return self.table.get_model(keys.manager_key(manager_id), Manager)

    def put(self, manager: Manager) -> None:
        self.table.put(to_item(keys.manager_key(manager.manager_id), "manager", manager))

    def create(self, manager: Manager) -> bool:
        """Add a manager to the roster; False (nothing written) when the id is taken."""
        try:
            self.table.put(to_item(keys.manager_key(manager.manager_id), "manager", manager),
                           "attribute_not_exists(PK)")
        except ClientError as exc:
            if condition_failed(exc):
                return False
            raise
        return True

    def update(self, manager_id: str, fields: dict[str, Any], remove: list[str]) -> Manager | None:
        """Change only these attributes of a manager (SET `fields`, plain JSON values;
        REMOVE `remove`): never `open_leads` or `last_assigned_at`, which assignments
        change meanwhile. None when there is no such manager."""
        try:
            item = self.table.set_fields(keys.manager_key(manager_id), fields, remove=remove,
                                         condition="attribute_exists(PK)")
        except ClientError as exc:
            if condition_failed(exc):
                return None
            raise
        return Manager.model_validate(from_item(item))

    def set_email_status(self, manager_id: str, status: str, at: datetime) -> bool:
        """Record that a manager's address cannot receive email (e.g. "suppressed");
        False when it was already recorded (so the admins are told once)."""
        try:
            self.table.update(
                keys.manager_key(manager_id), "SET email_status = :status, email_status_at = :at",
                condition="attribute_exists(PK) AND (attribute_not_exists(email_status) OR email_status <> :status)",
                values={":status": status, ":at": json_time(at)},
            )
        except ClientError as exc:
            if condition_failed(exc):
                return False
            raise
        return True

