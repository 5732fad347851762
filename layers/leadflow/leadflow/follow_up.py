"""Speed-to-lead follow-up: what happens when a lead's SLA runs out uncontacted
(remind the manager; on a second miss tell the admins and, by policy, reassign), and
marking a lead contacted, which stops all of it."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from leadflow.assignment import AssignmentPolicy, choose_manager
from leadflow.emails import render_admin_alert, render_reminder_email
from leadflow.events import EventPublisher
from leadflow.mailer import Mailer
from leadflow.models import Lead, LeadAssigned, LeadStatus, Manager, ReminderDue, utc_now
from leadflow.notification import SUPPRESSED
from leadflow.reminders import Reminders, Sla, due_at
from leadflow.repository import LeadChanged, LeadRepository, ManagerUnavailable
from leadflow.routing import LEAD_ASSIGNED, RuleSets

logger = logging.getLogger(__name__)

MAX_REASSIGN_ATTEMPTS = 3


def mark_contacted(lead_id: str, repository: LeadRepository, reminders: Reminders | None,
                   by: str | None = None, at: datetime | None = None, note: str | None = None) -> bool:
    """The manager reached the person: the lead becomes `contacted` (with a history
    entry) and its pending reminders are deleted. False when the lead was not assigned
    (already contacted, or unknown). A reminder that fires anyway finds the lead
    contacted and does nothing, so a cancel that comes late is harmless."""
    changed = repository.mark_contacted(lead_id, at or utc_now(), by=by, note=note)
    if reminders is not None:
        reminders.cancel(lead_id)
    return changed


@dataclass(frozen=True)
class ReminderPolicy:
    sla: Sla = Sla()
    reassign_on_second_miss: bool = True
    admin_email: str = ""
    console_url: str = ""


def handle_reminder(due: ReminderDue, repository: LeadRepository, mailer: Mailer, reminders: Reminders,
                    publisher: EventPublisher, policy: ReminderPolicy, rule_sets: RuleSets | None = None,
                    now: datetime | None = None) -> str:
    """A speed-to-lead schedule fired; returns what was done: `not_due` (contacted,
    reassigned or gone meanwhile), `reminded`, `escalated`, `reassigned` or
    `republished` (a retry after a reassignment whose event was not yet out)."""
    now = now or utc_now()
    lead = repository.get_lead(due.lead_id)
    if lead is None or lead.status != LeadStatus.ASSIGNED:
        return "not_due"
    if lead.manager_id != due.manager_id:
        if due.attempt == 2 and lead.reassigned_from == due.manager_id and lead.manager_id:
            # This reminder moved the lead, then failed before announcing it: announce again
            # (notify sends one email per submission and manager).
            _announce(due, lead, lead.manager_id, publisher)
            return "republished"
        return "not_due"
    manager = repository.get_manager(due.manager_id)
    minutes = int((now - (lead.assigned_at or now)).total_seconds() // 60)
    if due.attempt == 1:
        reminders.schedule(due.model_copy(update={"attempt": 2}), due_at(now, policy.sla, due.temperature))
        if manager is not None and manager.email_status != SUPPRESSED:
            mailer.send(render_reminder_email(lead, manager, due, minutes, policy.console_url))
        return "reminded"
    # The lead's scoring profile says which tiers may take it (the rule set's assignment policy).
    profile = (lead.score.profile if lead.score else None) or "b2b"
    assignment_policy = rule_sets.get(profile).assignment if rule_sets else None
    return _second_miss(due, lead, manager, minutes, repository, mailer, publisher, policy, assignment_policy, now)


def _second_miss(due: ReminderDue, lead: Lead, manager: Manager | None, minutes: int, repository: LeadRepository,
                 mailer: Mailer, publisher: EventPublisher, policy: ReminderPolicy,
                 assignment_policy: AssignmentPolicy | None, now: datetime) -> str:
    """Tell the admins; move the lead to the next eligible manager when the policy says so."""
    who = manager.name if manager else due.manager_id
    lines = [f"A {due.temperature.value} lead ({lead.contact.name}) has waited {minutes} minutes for a first call "
             f"from {who}, who was reminded once."]
    moved_to: Manager | None = None
    if policy.reassign_on_second_miss and manager is not None:
        moved_to = _reassign(lead, manager, due, repository, assignment_policy, now)
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


def _reassign(lead: Lead, manager: Manager, due: ReminderDue, repository: LeadRepository,
              assignment_policy: AssignmentPolicy | None, now: datetime) -> Manager | None:
    unavailable = {manager.manager_id}
    for _ in range(MAX_REASSIGN_ATTEMPTS):
        roster = [m for m in repository.list_managers() if m.manager_id not in unavailable]
        chosen = choose_manager(roster, due.temperature, assignment_policy, country=lead.contact.country,
                                today=now.date())
        if chosen is None:
            return None
        try:
            repository.reassign_lead(lead.lead_id, manager, chosen, now, reason="sla_missed_twice",
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
