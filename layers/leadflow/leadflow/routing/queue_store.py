"""What moving leads that are already stored reads and writes: the unassigned queue and a
manager's open leads (GSI1, oldest first, a page at a time), the roster, and one lead
moved to a manager or to the unassigned queue with both managers' loads and a history
entry, all or nothing (leadflow.routing.handover decides where it goes)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from leadflow.routing.roster import Roster, release_lead, take_lead
from leadflow.routing.store import ManagerUnavailable
from leadflow.shared.clock import json_time
from leadflow.shared.models import Activity, Lead, LeadStatus, Manager
from leadflow.storage import keys
from leadflow.storage.codec import from_item, wire
from leadflow.storage.leads import LeadReads
from leadflow.storage.table import Table
from leadflow.storage.transactions import Cancelled, LeadChanged

S = LeadStatus
_STATUS = {"#status": "status"}
# The positions in a move's transaction: the lead, then the new manager's counter.
_LEAD, _TAKE = 0, 1
INDEX_KEY_NAMES = ("PK", "SK", "GSI1PK", "GSI1SK")


@dataclass(frozen=True)
class QueuedLead:
    """A lead card read from a queue, with its index key (where a page may go on from)."""

    lead: Lead
    key: dict[str, str]


@dataclass(frozen=True)
class QueuePage:
    leads: list[QueuedLead]
    last_key: dict[str, str] | None  # None: this status of the queue is read to its end


class QueueStore(LeadReads):
    def __init__(self, table: Table) -> None:
        self.table = table
        self.roster = Roster(table)

    # -- the roster --------------------------------------------------------------------------

    def list_managers(self) -> list[Manager]:
        return self.roster.managers()

    def get_manager(self, manager_id: str) -> Manager | None:
        return self.roster.get(manager_id)

    def deactivate_manager(self, manager_id: str) -> Manager | None:
        """Mark a manager inactive (nothing else of theirs changes); None when unknown."""
        return self.roster.update(manager_id, {"active": False}, [])

    # -- the queues --------------------------------------------------------------------------

    def queue_page(self, partition: str, status: LeadStatus, *, limit: int,
                   start_key: dict[str, str] | None = None) -> QueuePage:
        """One Query of GSI1: the leads of one status in one queue (`UNASSIGNED` or
        `MANAGER#<id>`), oldest first, at most `limit`. An index read: a lead moved a
        moment ago may still show here; the move's condition finds it moved."""
        request: dict[str, Any] = {
            "TableName": self.table.name, "IndexName": "GSI1", "Limit": limit,
            "KeyConditionExpression": "GSI1PK = :pk AND begins_with(GSI1SK, :status)",
            "ExpressionAttributeValues": wire({":pk": partition, ":status": f"{status.value}#"}),
        }
        if start_key:
            request["ExclusiveStartKey"] = wire(start_key)
        page = self.table.client.query(**request)
        found = [QueuedLead(lead=Lead.model_validate(from_item(i)),
                            key={k: i[k]["S"] for k in INDEX_KEY_NAMES})
                 for i in page.get("Items", []) if i.get("SK", {}).get("S") == keys.LEAD_CARD]
        last = page.get("LastEvaluatedKey")
        return QueuePage(leads=found, last_key={k: v["S"] for k, v in last.items()} if last else None)

    # -- a move --------------------------------------------------------------------------------

    def move_lead(self, lead: Lead, to_manager: Manager | None, activity: Activity, *,
                  release: Manager | None = None, within_capacity: bool = True, today: date | None = None) -> None:
        """Give `lead` to `to_manager`, or put it in the unassigned queue (None), with its
        history entry, all or nothing; only while it is still where it was read (its
        status and manager): else LeadChanged.

        - From the queue, or while not yet contacted, it is a fresh assignment: status
          `assigned`, `assigned_at` now (the new manager's speed-to-lead clock). A lead
          they are working (contacted, qualified, postponed) keeps its status and its
          place in the status; only its manager changes.
        - Into the queue it becomes `unassigned`, without a manager (its history keeps
          where it stood).
        - The new manager's count goes up only while they can take it (leadflow.routing.
          roster.take_lead; past capacity when not `within_capacity`): else
          ManagerUnavailable. `release`: the manager it leaves, whose count goes down."""
        at = activity.at
        now = json_time(at)
        names = dict(_STATUS)
        values: dict[str, Any] = {":was": lead.status.value}
        condition = "#status = :was AND "
        if lead.manager_id:
            condition += "manager_id = :from"
            values[":from"] = lead.manager_id
        else:
            condition += "attribute_not_exists(manager_id)"
        removes: list[str] = []
        if to_manager is None:
            sets = ["#status = :unassigned", "status_changed_at = :now", "GSI1PK = :gpk", "GSI1SK = :gsk"]
            removes += ["manager_id", "assigned_at", "follow_up_on"]
            values.update({":unassigned": S.UNASSIGNED.value, ":now": now, ":gpk": keys.UNASSIGNED_QUEUE,
                           ":gsk": keys.queue_position(S.UNASSIGNED.value, now)})
        elif lead.status in (S.UNASSIGNED, S.ASSIGNED, S.NEW):
            sets = ["#status = :assigned", "manager_id = :to", "assigned_at = :now", "GSI1PK = :gpk",
                    "GSI1SK = :gsk"]
            values.update({":assigned": S.ASSIGNED.value, ":to": to_manager.manager_id, ":now": now,
                           ":gpk": keys.manager_queue(to_manager.manager_id),
                           ":gsk": keys.queue_position(S.ASSIGNED.value, now)})
        else:  # worked already: same status, same place in it, another manager
            sets = ["manager_id = :to", "GSI1PK = :gpk"]
            values.update({":to": to_manager.manager_id, ":gpk": keys.manager_queue(to_manager.manager_id)})
        update = "SET " + ", ".join(sets) + (" REMOVE " + ", ".join(removes) if removes else "")
        items: list[dict[str, Any]] = [
            self.table.update_op(keys.lead_key(lead.lead_id), update, condition=condition, names=names,
                                 values=values),
        ]
        if to_manager is not None:
            items.append(take_lead(self.table, to_manager.manager_id, now, (today or at.date()).isoformat(),
                                   within_capacity=within_capacity))
        items.append(self.table.activity_op(activity))
        if release is not None and release.open_leads > 0:
            items.append(release_lead(self.table, release.manager_id))
        try:
            self.table.transact(items)
        except Cancelled as cancelled:
            if to_manager is not None and cancelled.failed(_TAKE) and not cancelled.failed(_LEAD):
                raise ManagerUnavailable(to_manager.manager_id) from cancelled.error
            # Moved meanwhile, the released manager's count is 0 already, or a conflict.
            raise LeadChanged(lead.lead_id) from cancelled.error
