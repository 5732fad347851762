"""What a lead's lifecycle reads and writes: status changes with their history entry and
the manager's load, conversion into a contact, a postponed lead's return, a
reassignment after a missed SLA, and the farewell questionnaire's answer.

Every change is conditional on the status it was read in (LeadChanged otherwise), so
of two concurrent changes one wins and nothing is overwritten."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from botocore.exceptions import ClientError

from leadflow.lifecycle.clocks import STOP_CLOCK
from leadflow.routing.roster import Roster, release_lead, take_lead
from leadflow.routing.store import ManagerUnavailable
from leadflow.shared.clock import json_time
from leadflow.shared.models import Activity, Contact, LeadStatus, Manager
from leadflow.storage import keys
from leadflow.storage.codec import to_item
from leadflow.storage.leads import LeadReads
from leadflow.storage.table import Table
from leadflow.storage.transactions import Cancelled, LeadChanged, condition_failed

S = LeadStatus
_STATUS = {"#status": "status"}


class LifecycleStore(LeadReads):
    def __init__(self, table: Table) -> None:
        self.table = table
        self.roster = Roster(table)

    # -- reads -------------------------------------------------------------------------------

    def get_manager(self, manager_id: str) -> Manager | None:
        return self.roster.get(manager_id)

    def list_managers(self) -> list[Manager]:
        return self.roster.managers()

    def get_contact(self, contact_id: str) -> Contact | None:
        return self.table.get_model(keys.contact_key(contact_id), Contact)

    # -- status changes ----------------------------------------------------------------------

    def mark_contacted(self, lead_id: str, at: datetime, by: str | None = None, note: str | None = None) -> bool:
        """Move an assigned lead to contacted and keep the change in its history, in one
        transaction; False when the lead is not assigned (already contacted, say)."""
        activity = Activity(activity_id=uuid.uuid4().hex, lead_id=lead_id, at=at, kind="contacted",
                            detail={k: v for k, v in (("by", by), ("note", note)) if v})
        try:
            self.table.transact([
                # A lead back from a postponement keeps the time of its first contact.
                self.table.update_op(
                    keys.lead_key(lead_id),
                    "SET #status = :contacted, contacted_at = if_not_exists(contacted_at, :at), GSI1SK = :gsk"
                    f" REMOVE {STOP_CLOCK}",
                    condition="#status = :assigned", names=_STATUS,
                    values={":contacted": S.CONTACTED.value, ":assigned": S.ASSIGNED.value, ":at": json_time(at),
                            ":gsk": keys.queue_position(S.CONTACTED.value, json_time(at))}),
                self.table.activity_op(activity),
            ])
        except Cancelled as cancelled:
            if cancelled.conflict:
                raise cancelled.error from None
            return False
        return True

    def change_lead_status(self, lead_id: str, from_status: LeadStatus, to_status: LeadStatus,
                           activity: Activity, *, rejection_reason: str | None = None,
                           follow_up_on: date | None = None, release_manager_id: str | None = None) -> None:
        """Move a lead from `from_status` to `to_status` with its history entry, in one
        transaction. The write is conditional on `from_status`, so of two concurrent
        changes one wins and the other gets LeadChanged; nothing is overwritten.
        `release_manager_id`: the manager whose load drops by one with it (a closed lead
        is no longer theirs to work); LeadChanged too if their count is 0 by now."""
        at = json_time(activity.at)
        sets = ["#status = :to", "status_changed_at = :at", "GSI1SK = :gsk"]
        removes: list[str] = [STOP_CLOCK]  # only an assigned lead waits for its first call
        values: dict[str, Any] = {":to": to_status.value, ":from": from_status.value, ":at": at,
                                  ":gsk": keys.queue_position(to_status.value, at)}
        if rejection_reason:
            sets.append("rejection_reason = :reason")
            values[":reason"] = rejection_reason
        if follow_up_on:
            # The manager's list (GSI1) sorts postponed leads by the day they come back.
            sets.append("follow_up_on = :follow_up_on")
            values.update({":follow_up_on": follow_up_on.isoformat(),
                           ":gsk": keys.queue_position(to_status.value, follow_up_on.isoformat())})
        else:
            removes.append("follow_up_on")
        update = "SET " + ", ".join(sets) + (" REMOVE " + ", ".join(removes) if removes else "")
        items = [
            self.table.update_op(keys.lead_key(lead_id), update, condition="#status = :from", names=_STATUS,
                                 values=values),
            self.table.activity_op(activity),
        ]
        if release_manager_id:
            items.append(release_lead(self.table, release_manager_id))
        self.table.transact_on_lead(lead_id, items)

    def convert_lead(self, from_status: LeadStatus, contact: Contact, activity: Activity, *,
                     release_manager_id: str | None = None) -> None:
        """Create the contact and mark its lead converted, with the history entry, all or
        nothing; LeadChanged when the lead left `from_status` (or was converted) meanwhile.
        The lead and its submissions and activities stay: the contact points back at it.
        `release_manager_id`: as in `change_lead_status`."""
        at = json_time(activity.at)
        items = [
            self.table.update_op(
                keys.lead_key(contact.lead_id),
                "SET #status = :to, status_changed_at = :at, converted_at = :at, contact_id = :contact, GSI1SK = :gsk"
                f" REMOVE follow_up_on, {STOP_CLOCK}",
                condition="#status = :from AND attribute_not_exists(contact_id)", names=_STATUS,
                values={":to": S.CONVERTED.value, ":from": from_status.value, ":at": at,
                        ":contact": contact.contact_id, ":gsk": keys.queue_position(S.CONVERTED.value, at)}),
            self.table.put_op(to_item(keys.contact_key(contact.contact_id), "contact", contact),
                              "attribute_not_exists(PK)"),
            self.table.activity_op(activity),
        ]
        if release_manager_id:
            items.append(release_lead(self.table, release_manager_id))
        self.table.transact_on_lead(contact.lead_id, items)

    # -- back from a postponement --------------------------------------------------------------

    def return_postponed_lead(self, lead_id: str, activity: Activity, *, follow_up_on: date | None = None) -> None:
        """Give a postponed lead back to the manager it has, as a fresh assignment
        (`assigned_at` and the manager's queue position are now), with its history entry,
        in one transaction. Its manager's load is untouched: a postponed lead stays counted.

        `follow_up_on`: the return made by the follow-up schedule of that day. It happens
        only while the lead is still postponed to that day, and leaves `return_pending`
        set until `return_announced`, so a retry after a failure finishes the return's
        event and email instead of finding nothing to do. LeadChanged when the lead moved
        (picked up, postponed to another day) meanwhile."""
        at = json_time(activity.at)
        sets = ["#status = :assigned", "assigned_at = :at", "status_changed_at = :at", "GSI1SK = :gsk"]
        condition = "#status = :postponed AND attribute_exists(manager_id)"
        values: dict[str, Any] = {":assigned": S.ASSIGNED.value, ":postponed": S.POSTPONED.value,
                                  ":at": at, ":gsk": keys.queue_position(S.ASSIGNED.value, at)}
        if follow_up_on:
            sets.append("return_pending = :day")
            condition += " AND follow_up_on = :day"
            values[":day"] = follow_up_on.isoformat()
        self.table.transact_on_lead(lead_id, [
            self.table.update_op(keys.lead_key(lead_id), "SET " + ", ".join(sets) + " REMOVE follow_up_on",
                                 condition=condition, names=_STATUS, values=values),
            self.table.activity_op(activity),
        ])

    def return_announced(self, lead_id: str, follow_up_on: date) -> None:
        """The return of `follow_up_on` is announced and its manager emailed: forget it."""
        try:
            self.table.update(keys.lead_key(lead_id), "REMOVE return_pending", condition="return_pending = :day",
                              values={":day": follow_up_on.isoformat()})
        except ClientError as exc:
            if not condition_failed(exc):
                raise

    # -- a missed SLA ------------------------------------------------------------------------

    def reassign_lead(self, lead_id: str, from_manager: Manager, to_manager: Manager, at: datetime,
                      reason: str, today: date | None = None) -> None:
        """Move an assigned, not yet contacted lead from one manager to another, with both
        loads and a history entry, all or nothing. The new manager's counter goes up only
        while they can take it (as in the routing store's `record_assignment`): else
        ManagerUnavailable; a lead that moved or was contacted meanwhile: LeadChanged."""
        now = json_time(at)
        today_iso = (today or at.date()).isoformat()
        activity = Activity(activity_id=uuid.uuid4().hex, lead_id=lead_id, at=at, kind="reassigned",
                            detail={"from": from_manager.manager_id, "to": to_manager.manager_id, "reason": reason})
        items = [
            self.table.update_op(
                keys.lead_key(lead_id),
                # The old manager's clock stops; the new one's starts with their email.
                "SET manager_id = :to, assigned_at = :now, reassigned_from = :from, GSI1PK = :gpk, GSI1SK = :gsk"
                f" REMOVE {STOP_CLOCK}",
                condition="#status = :assigned AND manager_id = :from", names=_STATUS,
                values={":to": to_manager.manager_id, ":from": from_manager.manager_id, ":now": now,
                        ":assigned": S.ASSIGNED.value, ":gpk": keys.manager_queue(to_manager.manager_id),
                        ":gsk": keys.queue_position(S.ASSIGNED.value, now)}),
            take_lead(self.table, to_manager.manager_id, now, today_iso),
            self.table.activity_op(activity),
        ]
        if from_manager.open_leads > 0:
            items.append(release_lead(self.table, from_manager.manager_id))
        try:
            self.table.transact(items)
        except Cancelled as cancelled:
            if cancelled.failed(1):
                raise ManagerUnavailable(to_manager.manager_id) from cancelled.error
            raise LeadChanged(lead_id) from cancelled.error

    # -- the farewell's questionnaire --------------------------------------------------------

    def has_feedback(self, lead_id: str) -> bool:
        """Whether the lead already answered its farewell questionnaire."""
        return self.table.get(keys.feedback_key(lead_id), projection="PK") is not None

    def record_feedback(self, activity: Activity) -> str:
        """Keep a lead's questionnaire answer (a `feedback` history entry) once: the entry
        and a marker written only if absent, in one transaction with a check that the
        lead exists. Returns `recorded`, `already` (answered before) or `no_lead`."""
        marker = to_item(keys.feedback_key(activity.lead_id), "feedback_marker",
                         answered_at=json_time(activity.at), activity_id=activity.activity_id)
        try:
            self.table.transact([
                self.table.lead_exists_op(activity.lead_id),
                self.table.put_op(marker, "attribute_not_exists(PK)"),
                self.table.activity_op(activity),
            ])
        except Cancelled as cancelled:
            if cancelled.conflict:
                raise cancelled.error from None
            return "no_lead" if cancelled.failed(0) else "already"
        return "recorded"
