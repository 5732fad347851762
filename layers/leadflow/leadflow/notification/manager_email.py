"""The assigned manager's email: everything needed to call the lead, the signed action
links, the speed-to-lead clock started, the hot-lead topic told, and the admins told
when SES cannot reach the manager."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from leadflow.lifecycle.links.signing import ActionLinks, manager_links
from leadflow.lifecycle.schedules import ReminderDue, Reminders, due_at
from leadflow.notification.hot_leads import HotLeadAlerts
from leadflow.notification.mailer import Mailer, not_taken
from leadflow.notification.render import render_assignment_email
from leadflow.notification.windows import VisitsWindow, window_opened_by
from leadflow.shared.clock import utc_now
from leadflow.shared.events import LeadAssigned
from leadflow.shared.models import (
    EMAIL_SUPPRESSED,
    AssignmentNotice,
    Lead,
    LeadStatus,
    Manager,
    Submission,
    Temperature,
)
from leadflow.shared.settings import Sla

logger = logging.getLogger(__name__)


class AssignmentStore(Protocol):
    """What telling a manager reads and records (leadflow.notification.store)."""

    def claim_assignment_email(self, lead_id: str, received_at: datetime, submission_id: str, manager_id: str,
                               now_ms: int) -> tuple[Submission, AssignmentNotice | None]: ...

    def release_assignment_email(self, lead_id: str, received_at: datetime, submission_id: str,
                                 manager_id: str, claimed_at_ms: int) -> None: ...

    def get_assignment_people(self, lead_id: str, manager_id: str) -> tuple[Lead, Manager]: ...

    def open_visits_window(self, window: VisitsWindow) -> None: ...


@dataclass
class Notified:
    """What telling the manager did, for the handler's log and metrics."""

    message_id: str | None
    reminder_scheduled: bool = False
    suppressed: bool = False
    coalesced: bool = False  # a visit noted in an open window: told when it closes
    hot_alert: bool = False
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class FollowUp:
    """Who and what, besides the manager: the SLA, the reminders, the admins, the topic."""

    reminders: Reminders | None = None
    sla: Sla = Sla()
    admin_email: str = ""
    hot_alerts: HotLeadAlerts | None = None
    links: ActionLinks | None = None  # the signed links in emails; None: emails without them
    # Who referred a lead, by name (leadflow.referrals.store.PartnerStore): read only for a
    # referred lead's email, so every other email costs no call for it.
    partners: PartnerNames | None = None


class PartnerNames(Protocol):
    def names(self, partner_ids: list[str]) -> dict[str, str]: ...


def referrer_of(lead: Lead, partners: PartnerNames | None) -> str | None:
    """"Tom Baker (BNI Downtown)": the partner who referred the lead, and their group, by
    name where known (by code where not); None for a lead no partner sent."""
    source = lead.source
    if not source.partner_id:
        return None
    ids = [i for i in (source.partner_id, source.partner_group) if i]
    names = partners.names(ids) if partners else {}
    partner = names.get(source.partner_id, source.partner_id)
    return f"{partner} ({names.get(source.partner_group, source.partner_group)})" if source.partner_group else partner


def notify_manager(assignment: LeadAssigned, store: AssignmentStore, mailer: Mailer,
                   console_url: str = "", follow_up: FollowUp | None = None,
                   now: datetime | None = None) -> Notified:
    """Email the assigned manager everything needed to call the lead; once per
    submission and manager.

    Once: the email is claimed for good on the submission first, in the call that reads
    what the email needs (the notice the assignment left there): store.EmailDone for a
    duplicate delivery. A failure before SES took the email gives the claim back, so
    the retry sends it. An invocation that dies between the claim and SES's answer (a
    timeout, say) sends nothing more: the lead's speed-to-lead clock, started with the
    assignment, still reminds the manager at the SLA. Never two emails for one.

    An assignment that left a notice started the clock and opened the visits window in
    its own write; one that left none (an admin's handover, a reassignment) has both
    done here. A manager whose address bounced or complained (marked on them when SES
    said so) gets no email; the clock still runs, so the lead escalates. A returning
    lead's visit within the window of the last email was only noted by the assignment
    (`noted_until`; notification.visits): the manager hears of it, with any others, when
    the window closes, and nothing is done here (notify's rule does not even wake it)."""
    follow_up = follow_up or FollowUp()
    now = now or utc_now()
    if assignment.noted_until is not None:  # only noted in the open window: its digest tells it
        return Notified(message_id=None, coalesced=True)
    ids = (assignment.lead_id, assignment.received_at, assignment.submission_id, assignment.manager_id)
    claimed_at = int(now.timestamp() * 1000)
    submission, notice = store.claim_assignment_email(*ids, now_ms=claimed_at)
    handed_over = False
    try:
        if notice is not None:
            lead, manager = notice.lead, notice.manager
        else:
            lead, manager = store.get_assignment_people(assignment.lead_id, assignment.manager_id)
        result = Notified(message_id=None)
        if notice is None and follow_up.reminders and lead.status == LeadStatus.ASSIGNED \
                and lead.manager_id == manager.manager_id:
            start = lead.assigned_at or now
            at = max(due_at(start, follow_up.sla, assignment.temperature), now + timedelta(minutes=1))
            due = ReminderDue(lead_id=lead.lead_id, manager_id=manager.manager_id, attempt=1,
                              temperature=assignment.temperature, submission_id=assignment.submission_id,
                              received_at=assignment.received_at)
            result.reminder_scheduled = follow_up.reminders.schedule(due, at)
        if notice is None and follow_up.reminders:  # the assignment left no window open: this email opens one
            store.open_visits_window(window_opened_by(assignment, now))
        if follow_up.hot_alerts and assignment.temperature == Temperature.HOT:
            # Before the email: a retry after a failed send may alert again (the topic is
            # at least once), but an email is never sent twice for an alert.
            follow_up.hot_alerts.publish(lead, manager, assignment, console_url)
            result.hot_alert = True
        if manager.email_status == EMAIL_SUPPRESSED:
            # SES bounced or a complaint came back from this address: the admins were told
            # then (notification.bounces); the clock still runs, so the lead escalates.
            result.suppressed = True
            return result
        actions = manager_links(follow_up.links, lead, manager, now)
        referrer = referrer_of(lead, follow_up.partners)
        email = render_assignment_email(lead, submission, manager, assignment, console_url, actions, referrer=referrer)
        handed_over = True  # from here SES may have it: never given back, so never sent twice
        result.message_id = mailer.send(email)
        return result
    except BaseException as error:
        if not handed_over or not_taken(error):  # nothing went out: the retry claims it again at once
            store.release_assignment_email(*ids, claimed_at)
        raise
