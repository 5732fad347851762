"""The assigned manager's email: everything needed to call the lead, the signed action
links, the speed-to-lead clock started, the hot-lead topic told, and the admins told
when SES cannot reach the manager."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from leadflow.lifecycle.links.signing import ActionLinks, manager_links
from leadflow.lifecycle.schedules import ReminderDue, Reminders, VisitsDigestDue, due_at
from leadflow.notification.hot_leads import HotLeadAlerts
from leadflow.notification.mailer import Mailer
from leadflow.notification.render import render_assignment_email
from leadflow.notification.visits import VisitsStore, VisitsWindow, is_news, note_or_tell, window_opened_by
from leadflow.shared.clock import utc_now
from leadflow.shared.events import LeadAssigned
from leadflow.shared.models import EMAIL_SUPPRESSED, Lead, LeadStatus, Manager, Submission, Temperature
from leadflow.shared.settings import Sla

logger = logging.getLogger(__name__)


# How long a claim on an email holds when the caller does not say (its invocation's
# remaining time, in the handler): after it, a claim never done is taken over.
DEFAULT_HOLD_MS = 60_000


class AssignmentStore(VisitsStore, Protocol):
    """What telling a manager reads and records (leadflow.notification.store)."""

    def claim_assignment_email(self, lead_id: str, received_at: datetime, submission_id: str, manager_id: str,
                               now_ms: int, hold_ms: int) -> Submission: ...

    def release_assignment_email(self, lead_id: str, received_at: datetime, submission_id: str,
                                 manager_id: str, claimed_until_ms: int) -> None: ...

    def finish_assignment_email(self, lead_id: str, received_at: datetime, submission_id: str, manager_id: str,
                                outcome: str, window: VisitsWindow | None = None) -> None: ...

    def get_assignment_people(self, lead_id: str, manager_id: str) -> tuple[Lead, Manager]: ...


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


def notify_manager(assignment: LeadAssigned, store: AssignmentStore, mailer: Mailer,
                   console_url: str = "", follow_up: FollowUp | None = None,
                   now: datetime | None = None, hold_ms: int = DEFAULT_HOLD_MS) -> Notified:
    """Email the assigned manager everything needed to call the lead, and start the
    speed-to-lead clock; once per submission and manager.

    Once: the email is claimed on the submission first, in the call that reads it
    (store.EmailDone for a duplicate delivery, store.EmailInProgress while another
    invocation holds the claim), and marked done when dealt with. A failure before the
    email is sent gives the claim back, so the retry sends it; an invocation that dies
    holding it leaves a claim that runs out after `hold_ms`, and the retry takes it over.

    The reminder is scheduled before the email is sent: a retry after a failed send finds
    it there (ConflictException) and only sends, so nothing is done twice and no reminder
    is lost. A manager whose address bounced or complained (marked on them when SES said
    so) gets no email; the reminder still runs, so the lead escalates. A returning
    lead's visit within the window of the last email is only noted (notification.visits):
    the manager hears of it, with any others, when the window closes."""
    follow_up = follow_up or FollowUp()
    now = now or utc_now()
    ids = (assignment.lead_id, assignment.received_at, assignment.submission_id, assignment.manager_id)
    claimed_until = int(now.timestamp() * 1000) + hold_ms
    submission = store.claim_assignment_email(*ids, now_ms=claimed_until - hold_ms, hold_ms=hold_ms)
    sent = False
    try:
        lead, manager = store.get_assignment_people(assignment.lead_id, assignment.manager_id)
        result = Notified(message_id=None)
        if follow_up.reminders and lead.status == LeadStatus.ASSIGNED and lead.manager_id == manager.manager_id:
            start = lead.assigned_at or now
            at = max(due_at(start, follow_up.sla, assignment.temperature), now + timedelta(minutes=1))
            due = ReminderDue(lead_id=lead.lead_id, manager_id=manager.manager_id, attempt=1,
                              temperature=assignment.temperature, submission_id=assignment.submission_id,
                              received_at=assignment.received_at)
            result.reminder_scheduled = follow_up.reminders.schedule(due, at)
        window: VisitsWindow | None = None
        if follow_up.reminders:  # coalescing needs the scheduler that tells the window's visits when it closes
            if is_news(assignment):  # opened with the email, in the call that marks it done
                window = window_opened_by(assignment, now)
            elif (digest_at := note_or_tell(assignment, store, now)) is not None:
                follow_up.reminders.schedule_digest(VisitsDigestDue(
                    lead_id=lead.lead_id, manager_id=manager.manager_id, window_until=digest_at))
                result.coalesced = True
                store.finish_assignment_email(*ids, "coalesced")
                return result
        if follow_up.hot_alerts and assignment.temperature == Temperature.HOT:
            # Before the email: a retry after a failed send may alert again (the topic is
            # at least once), but an email is never sent twice for an alert.
            follow_up.hot_alerts.publish(lead, manager, assignment, console_url)
            result.hot_alert = True
        if manager.email_status == EMAIL_SUPPRESSED:
            # SES bounced or a complaint came back from this address: the admins were told
            # then (notification.bounces); the reminder still runs, so the lead escalates.
            result.suppressed = True
        else:
            actions = manager_links(follow_up.links, lead, manager, now)
            result.message_id = mailer.send(render_assignment_email(lead, submission, manager, assignment,
                                                                    console_url, actions))
            sent = True
        store.finish_assignment_email(*ids, "suppressed" if result.suppressed else "sent", window)
        return result
    except BaseException:
        if not sent:  # nothing went out: the retry claims it again at once
            store.release_assignment_email(*ids, claimed_until)
        raise
