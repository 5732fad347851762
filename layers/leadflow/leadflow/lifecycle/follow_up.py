"""Follow-up: what happens when a lead's SLA runs out uncontacted (remind the manager;
on a second miss tell the admins and, by policy, reassign), marking a lead contacted,
which stops all of it, and a postponed lead coming back on its follow-up day."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Protocol

from leadflow.lifecycle.links.signing import ActionLinks, manager_links
from leadflow.lifecycle.schedules import FollowUpDue, ReminderDue, Reminders, due_at
from leadflow.notification.mailer import Email, Mailer, MailRejected
from leadflow.notification.render import render_admin_alert, render_follow_up_email, render_reminder_email
from leadflow.routing.assignment import AssignmentPolicy, can_hold_leads, choose_manager
from leadflow.routing.service import RuleSets
from leadflow.routing.store import ManagerUnavailable
from leadflow.shared.bus import EventPublisher
from leadflow.shared.clock import utc_now
from leadflow.shared.events import LEAD_ASSIGNED, LEAD_STATUS_CHANGED, LeadAssigned, LeadStatusChanged
from leadflow.shared.models import EMAIL_SUPPRESSED, Activity, Lead, LeadStatus, Manager, Submission, Temperature
from leadflow.shared.settings import Sla
from leadflow.storage.transactions import LeadChanged

logger = logging.getLogger(__name__)

MAX_REASSIGN_ATTEMPTS = 3
MAX_RETURN_ATTEMPTS = 3
# Who moves a lead when nobody did: the `by` of the change and its history entry.
SYSTEM = "system"


class FollowUpStore(Protocol):
    """What reminders and returns read and write (leadflow.lifecycle.store)."""

    def get_lead(self, lead_id: str) -> Lead | None: ...

    def get_manager(self, manager_id: str) -> Manager | None: ...

    def list_managers(self) -> list[Manager]: ...

    def latest_submission(self, lead_id: str) -> Submission | None: ...

    def mark_contacted(self, lead_id: str, at: datetime, by: str | None = None, note: str | None = None) -> bool: ...

    def reassign_lead(self, lead_id: str, from_manager: Manager, to_manager: Manager, at: datetime,
                      reason: str, today: date | None = None) -> None: ...

    def return_postponed_lead(self, lead_id: str, activity: Activity, *, follow_up_on: date | None = None) -> None: ...

    def return_announced(self, lead_id: str, follow_up_on: date) -> None: ...


def mark_contacted(lead_id: str, store: FollowUpStore, reminders: Reminders | None,
                   by: str | None = None, at: datetime | None = None, note: str | None = None) -> bool:
    """The manager reached the person: the lead becomes `contacted` (with a history
    entry) and its pending reminders are deleted. False when the lead was not assigned
    (already contacted, or unknown). A reminder that fires anyway finds the lead
    contacted and does nothing, so a cancel that comes late is harmless."""
    changed = store.mark_contacted(lead_id, at or utc_now(), by=by, note=note)
    if reminders is not None:
        reminders.cancel(lead_id)
    return changed


@dataclass(frozen=True)
class ReminderPolicy:
    sla: Sla = Sla()
    reassign_on_second_miss: bool = True
    admin_email: str = ""
    console_url: str = ""
    links: ActionLinks | None = None  # the signed links in the emails; None: without them


def handle_reminder(due: ReminderDue, store: FollowUpStore, mailer: Mailer, reminders: Reminders,
                    publisher: EventPublisher, policy: ReminderPolicy, rule_sets: RuleSets | None = None,
                    now: datetime | None = None) -> str:
    """A speed-to-lead schedule fired; returns what was done: `not_due` (contacted,
    reassigned or gone meanwhile), `reminded`, `escalated`, `reassigned` or
    `republished` (a retry after a reassignment whose event was not yet out)."""
    now = now or utc_now()
    lead = store.get_lead(due.lead_id)
    if lead is None or lead.status != LeadStatus.ASSIGNED:
        return "not_due"
    if lead.manager_id != due.manager_id:
        if due.attempt == 2 and lead.reassigned_from == due.manager_id and lead.manager_id:
            # This reminder moved the lead, then failed before announcing it: announce again
            # (notify sends one email per submission and manager).
            _announce(due, lead, lead.manager_id, publisher)
            return "republished"
        return "not_due"
    manager = store.get_manager(due.manager_id)
    minutes = int((now - (lead.assigned_at or now)).total_seconds() // 60)
    if due.attempt == 1:
        # The email first: a failed send leaves the clock at this attempt, so the next
        # sweep tries again (a failure to move the clock after a sent email would remind twice).
        if manager is not None and manager.email_status != EMAIL_SUPPRESSED:
            mailer.send(render_reminder_email(lead, manager, due, minutes, policy.console_url,
                                              actions=manager_links(policy.links, lead, manager, now)))
        reminders.schedule(due.model_copy(update={"attempt": 2}), due_at(now, policy.sla, due.temperature))
        return "reminded"
    # The lead's scoring profile says which tiers may take it (the rule set's assignment policy).
    profile = (lead.score.profile if lead.score else None) or "b2b"
    assignment_policy = rule_sets.get(profile).assignment if rule_sets else None
    return _second_miss(due, lead, manager, minutes, store, mailer, publisher, policy, assignment_policy, now)


def _second_miss(due: ReminderDue, lead: Lead, manager: Manager | None, minutes: int, store: FollowUpStore,
                 mailer: Mailer, publisher: EventPublisher, policy: ReminderPolicy,
                 assignment_policy: AssignmentPolicy | None, now: datetime) -> str:
    """Tell the admins; move the lead to the next eligible manager when the policy says so."""
    who = manager.name if manager else due.manager_id
    lines = [f"A {due.temperature.value} lead ({lead.contact.name}) has waited {minutes} minutes for a first call "
             f"from {who}, who was reminded once."]
    moved_to: Manager | None = None
    if policy.reassign_on_second_miss and manager is not None:
        moved_to = _reassign(lead, manager, due, store, assignment_policy, now)
        lines.append(f"It is now assigned to {moved_to.name}, who has been emailed." if moved_to
                     else "No other eligible manager could take it: it stays with them. Please step in.")
    else:
        lines.append("Reassignment on a second miss is off: please step in.")
    if policy.admin_email:
        subject = f"Not contacted: {due.temperature.value} lead waited {minutes} min"
        mailer.send(render_admin_alert(policy.admin_email, subject, lines, policy.console_url, lead.lead_id))
    else:
        logger.warning("escalation without an admin address (AdminEmail and AlarmEmail are empty)",
                       extra={"lead_id": lead.lead_id})
    if moved_to is not None:
        _announce(due, lead, moved_to.manager_id, publisher)
        return "reassigned"
    return "escalated"


def _reassign(lead: Lead, manager: Manager, due: ReminderDue, store: FollowUpStore,
              assignment_policy: AssignmentPolicy | None, now: datetime) -> Manager | None:
    unavailable = {manager.manager_id}
    for _ in range(MAX_REASSIGN_ATTEMPTS):
        roster = [m for m in store.list_managers() if m.manager_id not in unavailable]
        chosen = choose_manager(roster, due.temperature, assignment_policy, country=lead.contact.country,
                                today=now.date())
        if chosen is None:
            return None
        try:
            store.reassign_lead(lead.lead_id, manager, chosen, now, reason="sla_missed_twice",
                                     today=now.date())
            return chosen
        except ManagerUnavailable:
            unavailable.add(chosen.manager_id)
        except LeadChanged:
            return None  # contacted or moved meanwhile: nothing to do
    return None


def _announce(due: ReminderDue, lead: Lead, manager_id: str, publisher: EventPublisher) -> None:
    """`Lead Assigned` for the new manager: notify emails them and starts their SLA clock."""
    publisher.publish(LEAD_ASSIGNED, LeadAssigned(
        lead_id=due.lead_id, submission_id=due.submission_id, received_at=due.received_at, manager_id=manager_id,
        form_id=lead.source.form_id, points=lead.score.points if lead.score else 0,
        temperature=lead.score.temperature if lead.score else due.temperature, is_new_lead=True,
        reassigned_from=due.manager_id,
    ))


# -- back from a postponement ---------------------------------------------------------


def bring_back(due: FollowUpDue, store: FollowUpStore, mailer: Mailer, reminders: Reminders,
               publisher: EventPublisher, policy: ReminderPolicy, now: datetime | None = None) -> str:
    """A postponed lead's follow-up day has come (its schedule fired): the lead goes back
    to the manager who holds it as a fresh assignment (`assigned`, by `system`, with a
    history entry), `Lead Status Changed` postponed → assigned is published, a new
    speed-to-lead clock starts and the manager is emailed to call back today.

    Returns `returned`; `resumed` when a previous try returned the lead but failed
    before its event and email were out (they go out now); `not_due` when the lead is
    gone, was picked up, closed or postponed to another day meanwhile, or this very
    follow-up was already done (a redelivery changes nothing).

    The manager gets the lead back even when they are inactive or away: the lead is
    still counted in their load, and the clock's second miss escalates to the admins
    and reassigns it (only a manager who can hold leads is emailed)."""
    now = now or utc_now()
    for _ in range(MAX_RETURN_ATTEMPTS):
        lead = store.get_lead(due.lead_id)
        if lead is None:
            return "not_due"
        if lead.return_pending == due.follow_up_on:
            # The return's time is its assigned_at (the lead may have moved on since).
            _announce_return(due, lead, lead.assigned_at or now, store, mailer, reminders, publisher, policy)
            return "resumed"
        if lead.status != LeadStatus.POSTPONED or lead.follow_up_on != due.follow_up_on or not lead.manager_id:
            return "not_due"
        activity = Activity(activity_id=uuid.uuid4().hex, lead_id=lead.lead_id, at=now, kind=LeadStatus.ASSIGNED.value,
                            detail={"from": LeadStatus.POSTPONED.value, "by": SYSTEM,
                                    "follow_up_on": due.follow_up_on.isoformat()})
        try:
            store.return_postponed_lead(lead.lead_id, activity, follow_up_on=due.follow_up_on)
        except LeadChanged:
            continue  # read again: picked up or closed meanwhile, or a conflicting write
        returned = lead.model_copy(update={"status": LeadStatus.ASSIGNED, "assigned_at": now,
                                           "status_changed_at": now, "follow_up_on": None})
        _announce_return(due, returned, now, store, mailer, reminders, publisher, policy)
        return "returned"
    raise LeadChanged(due.lead_id)


def _announce_return(due: FollowUpDue, lead: Lead, at: datetime, store: FollowUpStore, mailer: Mailer,
                     reminders: Reminders, publisher: EventPublisher, policy: ReminderPolicy) -> None:
    """What follows a return, in an order that a retry can repeat: the clock (its
    schedule name makes it once), the event, the email last (a manager is not emailed
    twice), then the lead forgets the return was pending."""
    clock = None
    if lead.status == LeadStatus.ASSIGNED and lead.manager_id:
        clock = _start_clock(due, lead, at, store, reminders, policy)
    publisher.publish(LEAD_STATUS_CHANGED, LeadStatusChanged(
        lead_id=lead.lead_id, from_status=LeadStatus.POSTPONED, to_status=LeadStatus.ASSIGNED, by=SYSTEM, at=at,
        partner_id=lead.source.partner_id))
    manager = store.get_manager(lead.manager_id) if clock and lead.manager_id else None
    if clock and manager and can_hold_leads(manager, at.date()) and manager.email_status != EMAIL_SUPPRESSED:
        try:
            mailer.send(_call_back_email(lead, manager, clock, policy))
        except MailRejected as exc:  # retrying cannot help; the SLA clock still runs
            logger.warning("call-back email refused", extra={"lead_id": lead.lead_id, "code": exc.code})
    store.return_announced(lead.lead_id, due.follow_up_on)


def _start_clock(due: FollowUpDue, lead: Lead, at: datetime, store: FollowUpStore, reminders: Reminders,
                 policy: ReminderPolicy) -> ReminderDue | None:
    """A new speed-to-lead clock for the returned lead: attempt 1 at the SLA of its
    temperature, on the lead's latest submission (the one a reassignment announces)."""
    submission = store.latest_submission(lead.lead_id)
    if submission is None:  # nothing left to call about (erased): no clock
        logger.warning("returned lead without a submission: no SLA clock", extra={"lead_id": lead.lead_id})
        return None
    temperature = lead.score.temperature if lead.score else Temperature.COLD
    clock = ReminderDue(lead_id=lead.lead_id, manager_id=lead.manager_id or due.manager_id, attempt=1,
                        temperature=temperature, submission_id=submission.submission_id,
                        received_at=submission.received_at, returned_on=due.follow_up_on)
    # A retry may come after the SLA of a hot lead: the reminder is then due at once.
    reminders.schedule(clock, max(due_at(at, policy.sla, temperature), utc_now() + timedelta(minutes=1)))
    return clock


def _call_back_email(lead: Lead, manager: Manager, clock: ReminderDue, policy: ReminderPolicy) -> Email:
    """The "call back today" email, with the signed links."""
    return render_follow_up_email(lead, manager, clock, policy.console_url,
                                  actions=manager_links(policy.links, lead, manager))
