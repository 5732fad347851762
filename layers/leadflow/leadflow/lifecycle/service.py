"""A lead's life after assignment: status changes with who moved it and why, notes on
the way, and conversion into a contact (the rules are in `transitions`).

Every change is written conditionally on the status it was read in, with its history
entry, in one transaction: of two managers changing a lead at once one wins and the
other is told the lead's status now (TransitionNotAllowed), never overwrites it.
"""

from __future__ import annotations

import logging
import uuid
from datetime import date, datetime
from typing import Protocol

from botocore.exceptions import ClientError

from leadflow.lifecycle.schedules import FollowUpDue, Reminders, follow_up_schedule_name
from leadflow.lifecycle.transitions import (
    InvalidChange,
    LeadNotFound,
    check_change,
    check_note,
)
from leadflow.shared.bus import EventPublisher
from leadflow.shared.clock import utc_now
from leadflow.shared.events import LEAD_CONVERTED, LEAD_STATUS_CHANGED, LeadConverted, LeadStatusChanged
from leadflow.shared.models import CLOSED_STATUSES, Activity, Contact, Lead, LeadStatus, Manager, RejectionReason
from leadflow.storage.transactions import LeadChanged

logger = logging.getLogger(__name__)

S = LeadStatus
# A write that lost to another one on the same lead is read and decided again this often.
MAX_ATTEMPTS = 3


class LeadChanges(Protocol):
    """What changing a lead reads and writes (leadflow.lifecycle.store.LifecycleStore)."""

    def get_lead(self, lead_id: str) -> Lead | None: ...

    def get_manager(self, manager_id: str) -> Manager | None: ...

    def mark_contacted(self, lead_id: str, at: datetime, by: str | None = None, note: str | None = None) -> bool: ...

    def change_lead_status(self, lead_id: str, from_status: LeadStatus, to_status: LeadStatus,
                           activity: Activity, *, rejection_reason: str | None = None,
                           follow_up_on: date | None = None, release_manager_id: str | None = None) -> None: ...

    def return_postponed_lead(self, lead_id: str, activity: Activity, *, follow_up_on: date | None = None) -> None: ...

    def convert_lead(self, from_status: LeadStatus, contact: Contact, activity: Activity, *,
                     release_manager_id: str | None = None) -> None: ...

    def add_lead_activity(self, activity: Activity) -> bool: ...


def change_status(store: LeadChanges, publisher: EventPublisher, lead_id: str, to_status: LeadStatus | str,
                  *, by: str, reason: str | None = None, note: str | None = None, follow_up_on: date | None = None,
                  now: datetime | None = None, reminders: Reminders | None = None,
                  farewell: bool = False) -> LeadStatusChanged:
    """Move a lead to `to_status` on behalf of `by` (a manager or admin id), with a
    history entry, and publish `Lead Status Changed`; returns that event.

    `rejected` needs a `reason` (a RejectionReason; `note` holds any free text) and may
    say goodbye (`farewell`: notify emails the lead, who must have an email address);
    `postponed` needs a `follow_up_on` day after today, when a schedule brings the lead
    back to its manager (given `reminders`). `converted` goes through `convert`, which
    creates the contact. `assigned` only gives a postponed lead back to the manager it
    has, early: choosing a manager for an unassigned lead is assignment's job.

    A rejected or converted lead no longer counts in its manager's load, in the same
    transaction. With `reminders`, whatever the lead was waiting for (a speed-to-lead
    reminder, a follow-up) is cancelled once it has moved."""
    to_status = LeadStatus(to_status)
    now = now or utc_now()
    for _ in range(MAX_ATTEMPTS):
        lead = _get_lead(store, lead_id)
        code = check_change(lead.status, to_status, reason=reason, follow_up_on=follow_up_on, note=note,
                            today=now.date(), lead_id=lead_id, farewell=farewell)
        if farewell and not lead.contact.email:
            raise InvalidChange("farewell_needs_email", "this lead has no email address to send a farewell to")
        if to_status == S.CONVERTED:
            convert(store, publisher, lead_id, by, note=note, now=now, reminders=reminders)
            return LeadStatusChanged(lead_id=lead_id, from_status=lead.status, to_status=S.CONVERTED, by=by, at=now,
                                     partner_id=lead.source.partner_id)
        if to_status == S.ASSIGNED and not lead.manager_id:
            raise InvalidChange("manager_required", "this lead has no manager: assign one instead")
        written, keep = _write_change(store, lead, to_status, by=by, reason=code, note=note,
                                      follow_up_on=follow_up_on, now=now, reminders=reminders, farewell=farewell)
        if written:
            event = LeadStatusChanged(lead_id=lead_id, from_status=lead.status, to_status=to_status, by=by,
                                      reason=code, at=now, farewell=farewell, partner_id=lead.source.partner_id)
            publisher.publish(LEAD_STATUS_CHANGED, event)
            _cancel_pending(reminders, lead_id, keep=keep)
            return event
    raise LeadChanged(lead_id)  # kept losing to other writes on the lead: the caller may retry


def _write_change(store: LeadChanges, lead: Lead, to_status: LeadStatus, *, by: str,
                  reason: RejectionReason | None, note: str | None, follow_up_on: date | None, now: datetime,
                  reminders: Reminders | None, farewell: bool) -> tuple[bool, str | None]:
    """The conditional write: (False, _) when the lead changed since it was read; else
    (True, the name of the follow-up schedule a postponement created, if any)."""
    if to_status == S.CONTACTED:
        return store.mark_contacted(lead.lead_id, now, by=by, note=note), None
    detail = {"from": lead.status.value, "by": by, "reason": reason.value if reason else None, "note": note,
              "follow_up_on": follow_up_on.isoformat() if follow_up_on else None,
              "farewell": "yes" if farewell else None}
    activity = Activity(activity_id=uuid.uuid4().hex, lead_id=lead.lead_id, at=now, kind=to_status.value,
                        detail={k: v for k, v in detail.items() if v})
    follow_up_schedule: str | None = None
    try:
        if to_status == S.ASSIGNED and lead.status == S.POSTPONED:
            store.return_postponed_lead(lead.lead_id, activity)  # picked up before its day
        else:
            if to_status == S.POSTPONED and follow_up_on is not None and reminders is not None:
                # Scheduled before the write: a postponed lead must never be left without
                # its way back. Should the write lose, the schedule finds the lead not
                # postponed to that day when it fires, and does nothing.
                follow_up_schedule = schedule_return(reminders, lead, follow_up_on)
            store.change_lead_status(lead.lead_id, lead.status, to_status, activity,
                                     rejection_reason=reason.value if reason else None,
                                     follow_up_on=follow_up_on,
                                     release_manager_id=_manager_to_release(store, lead, to_status))
    except LeadChanged:
        return False, None
    return True, follow_up_schedule


def schedule_return(reminders: Reminders, lead: Lead, follow_up_on: date) -> str:
    """The one-time schedule that gives a postponed lead back to its manager on
    `follow_up_on` (schedules.FOLLOW_UP_TIME); returns its name."""
    reminders.schedule_follow_up(FollowUpDue(lead_id=lead.lead_id, manager_id=lead.manager_id or "",
                                             follow_up_on=follow_up_on))
    return follow_up_schedule_name(lead.lead_id, follow_up_on)


def _manager_to_release(store: LeadChanges, lead: Lead, to_status: LeadStatus) -> str | None:
    """The manager whose load drops with this change. A rejected or converted lead is
    closed: not theirs to work any more. A postponed one stays counted, since it comes
    back to them without asking for room. None when their count is 0 already (never
    below zero: should it drop to 0 between this read and the write, the write fails,
    the lead is read again and the change is made without the release)."""
    if to_status not in CLOSED_STATUSES or not lead.manager_id:
        return None
    manager = store.get_manager(lead.manager_id)
    return manager.manager_id if manager is not None and manager.open_leads > 0 else None


def _cancel_pending(reminders: Reminders | None, lead_id: str, keep: str | None = None) -> None:
    """Delete the schedules the lead was waiting on in its old status. Best effort: a
    schedule left behind finds the lead moved on when it fires and does nothing, so a
    failure here must not turn a change that is written and announced into an error."""
    if reminders is None:
        return
    try:
        reminders.cancel(lead_id, keep=keep)
    except ClientError as exc:
        logger.warning("pending schedules not cancelled", extra={"lead_id": lead_id,
                                                                 "error": exc.response["Error"]["Code"]})


def convert(store: LeadChanges, publisher: EventPublisher, lead_id: str, by: str, *,
            note: str | None = None, now: datetime | None = None, reminders: Reminders | None = None) -> Contact:
    """Turn a qualified lead into a contact (a CONTACT item with the lead's contact card
    and `lead_id`) and mark the lead converted, with a history entry, all or nothing;
    its manager's load drops by one in the same transaction. Publishes `Lead Status
    Changed` and `Lead Converted`. The lead keeps its history."""
    now = now or utc_now()
    check_note(note)
    for _ in range(MAX_ATTEMPTS):
        lead = _get_lead(store, lead_id)
        check_change(lead.status, S.CONVERTED, today=now.date(), lead_id=lead_id)
        contact = Contact(contact_id=uuid.uuid4().hex, lead_id=lead_id, contact=lead.contact,
                          manager_id=lead.manager_id, created_at=now, created_by=by)
        detail = {"from": lead.status.value, "by": by, "contact_id": contact.contact_id, "note": note}
        activity = Activity(activity_id=uuid.uuid4().hex, lead_id=lead_id, at=now, kind=S.CONVERTED.value,
                            detail={k: v for k, v in detail.items() if v})
        try:
            store.convert_lead(lead.status, contact, activity,
                               release_manager_id=_manager_to_release(store, lead, S.CONVERTED))
        except LeadChanged:
            continue
        publisher.publish_all([
            # The referring partner (the lead's first touch's) rides along, so a CRM and the
            # partner reports credit them without reading the lead.
            (LEAD_STATUS_CHANGED, LeadStatusChanged(lead_id=lead_id, from_status=lead.status,
                                                    to_status=S.CONVERTED, by=by, at=now,
                                                    partner_id=lead.source.partner_id)),
            (LEAD_CONVERTED, LeadConverted(lead_id=lead_id, contact_id=contact.contact_id, at=now,
                                           partner_id=lead.source.partner_id)),
        ])
        _cancel_pending(reminders, lead_id)
        return contact
    raise LeadChanged(lead_id)


def add_note(store: LeadChanges, lead_id: str, text: str, by: str, *,
             now: datetime | None = None) -> Activity:
    """A manager's note in the lead's history (a `note` activity); the status is untouched."""
    text = text.strip()
    if not text:
        raise InvalidChange("note_empty", "a note needs some text")
    check_note(text)
    activity = Activity(activity_id=uuid.uuid4().hex, lead_id=lead_id, at=now or utc_now(), kind="note",
                        detail={"by": by, "note": text})
    if not store.add_lead_activity(activity):
        raise LeadNotFound(lead_id)
    return activity


def _get_lead(store: LeadChanges, lead_id: str) -> Lead:
    lead = store.get_lead(lead_id)
    if lead is None:
        raise LeadNotFound(lead_id)
    return lead
