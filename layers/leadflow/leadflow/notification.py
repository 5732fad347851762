"""Telling people about leads: the assigned manager (with a speed-to-lead reminder
scheduled and the signed action links), an optional hot-lead topic, the admins when a
manager cannot be reached, the visitor's thank-you (autoresponder), and a rejected
lead's farewell with its questionnaire."""

from __future__ import annotations

import hashlib
import json
import logging
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import boto3

from leadflow.action_links import ActionLinks, KeyUnavailable, ManagerLinks
from leadflow.emails import (
    lead_url,
    render_admin_alert,
    render_assignment_email,
    render_autoresponder_email,
    render_farewell_email,
)
from leadflow.mailer import Mailer
from leadflow.models import (
    Activity,
    Lead,
    LeadAssigned,
    LeadScored,
    LeadStatus,
    LeadStatusChanged,
    Manager,
    ReminderDue,
    Temperature,
    utc_now,
)
from leadflow.reminders import Reminders, Sla, due_at
from leadflow.repository import LeadRepository

logger = logging.getLogger(__name__)

SUPPRESSED = "suppressed"
AUTOREPLY_WINDOW_SECONDS = 86400
AUTOREPLY_PER_ADDRESS = 3  # thank-you emails per address and day, however many posts


class HotLeadAlerts:
    """An SNS topic that also hears of every hot lead (SMS, chat, ... without code).

    The message carries ids, temperature, score, the manager, the lead's name and company
    and the console link: enough to act on from a phone, but never the lead's email or
    phone number (an SMS or chat channel is not where contact data should travel)."""

    def __init__(self, topic_arn: str, client: Any | None = None) -> None:
        self.topic_arn = topic_arn
        self.client = client or boto3.client("sns")

    def publish(self, lead: Lead, manager: Manager, assignment: LeadAssigned, console_url: str) -> None:
        detail = {
            "lead_id": lead.lead_id, "submission_id": assignment.submission_id,
            "temperature": assignment.temperature.value, "points": assignment.points,
            "manager_id": manager.manager_id, "manager_name": manager.name,
            "name": lead.contact.name, "company": lead.contact.company,
            "lead_url": lead_url(console_url, lead.lead_id),
        }
        text = f"HOT {assignment.points}: {lead.contact.name}"
        if lead.contact.company:
            text += f" ({lead.contact.company})"
        text += f" → {manager.name}"
        self.client.publish(TopicArn=self.topic_arn, Subject=f"Hot lead {assignment.points}"[:100],
                            Message=json.dumps({"default": text, "email": text, "sqs": json.dumps(detail),
                                                "lambda": json.dumps(detail), "http": json.dumps(detail),
                                                "https": json.dumps(detail)}),
                            MessageStructure="json")


@dataclass
class Notified:
    """What telling the manager did, for the handler's log and metrics."""

    message_id: str | None
    reminder_scheduled: bool = False
    suppressed: bool = False
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


def manager_links(links: ActionLinks | None, lead: Lead, manager: Manager,
                  now: datetime | None = None) -> ManagerLinks | None:
    """The manager's "contacted / not interested / call later" links for a lead of
    theirs, or None (not configured, or the key cannot be read: the email matters more
    than its links, so it goes without them and the log says why)."""
    if links is None or lead.manager_id != manager.manager_id:
        return None
    try:
        return links.for_manager(lead.lead_id, manager.manager_id, now)
    except KeyUnavailable as error:
        logger.warning("action links left out of the email: %s", error, extra={"lead_id": lead.lead_id})
        return None


def notify_manager(assignment: LeadAssigned, repository: LeadRepository, mailer: Mailer,
                   console_url: str = "", follow_up: FollowUp | None = None,
                   now: datetime | None = None) -> Notified:
    """Email the assigned manager everything needed to call the lead, and start the
    speed-to-lead clock.

    The reminder is scheduled before the email is sent: a retry after a failed send finds
    it there (ConflictException) and only sends, so nothing is done twice and no reminder
    is lost. An address SES has suppressed gets no email: it is recorded on the manager
    and the admins are told; the reminder still runs, so the lead escalates."""
    follow_up = follow_up or FollowUp()
    now = now or utc_now()
    lead, submission, manager = repository.get_assignment_context(
        assignment.lead_id, assignment.received_at, assignment.submission_id, assignment.manager_id,
    )
    result = Notified(message_id=None)
    if follow_up.reminders and lead.status == LeadStatus.ASSIGNED and lead.manager_id == manager.manager_id:
        start = lead.assigned_at or now
        at = max(due_at(start, follow_up.sla, assignment.temperature), now + timedelta(minutes=1))
        due = ReminderDue(lead_id=lead.lead_id, manager_id=manager.manager_id, attempt=1,
                          temperature=assignment.temperature, submission_id=assignment.submission_id,
                          received_at=assignment.received_at)
        result.reminder_scheduled = follow_up.reminders.schedule(due, at)
    if mailer.is_suppressed(manager.email):
        result.suppressed = True
        if repository.set_manager_email_status(manager.manager_id, SUPPRESSED, now) and follow_up.admin_email:
            mailer.send(render_admin_alert(
                follow_up.admin_email, f"Manager {manager.name} cannot receive email",
                [f"SES suppresses the address of manager {manager.manager_id} ({manager.name}): it bounced or "
                 "complained. Their leads are not emailed to them; fix the address in the roster, or remove it "
                 "from the SES suppression list once it works again.",
                 f"Lead {lead.lead_id} ({assignment.temperature.value}, {assignment.points}) waits for them; "
                 "it escalates when its speed-to-lead reminder finds it uncontacted."],
                console_url, lead.lead_id))
    else:
        actions = manager_links(follow_up.links, lead, manager, now)
        result.message_id = mailer.send(render_assignment_email(lead, submission, manager, assignment, console_url,
                                                                actions))
    if follow_up.hot_alerts and assignment.temperature == Temperature.HOT:
        follow_up.hot_alerts.publish(lead, manager, assignment, console_url)
        result.hot_alert = True
    return result


def address_key(address: str, salt: str) -> str:
    """A rate-limit key for an email address that does not reveal it."""
    return hashlib.sha256(f"{salt}:{address.strip().lower()}".encode()).hexdigest()[:32]


def send_autoresponse(scored: LeadScored, repository: LeadRepository, mailer: Mailer,
                      now: datetime | None = None, per_address: int = AUTOREPLY_PER_ADDRESS) -> str:
    """Thank the visitor by email when their form asks for it; returns what happened:
    `off`, `no_email`, `rate_limited` or `sent`.

    No open relay: sender, subject and body come from the deployment and the form; the
    visitor chooses only the recipient, and one address gets at most `per_address` a day."""
    form = repository.get_form(scored.form_id)
    if form is None or not form.autoresponder:
        return "off"
    stored = repository.get_submission(scored.lead_id, scored.received_at, scored.submission_id)
    address = ((stored or {}).get("contact") or {}).get("email")
    if not address:
        return "no_email"
    now = now or utc_now()
    window = int(now.timestamp()) // AUTOREPLY_WINDOW_SECONDS * AUTOREPLY_WINDOW_SECONDS
    if not repository.count_autoreply(address_key(address, repository.table_name), window,
                                      AUTOREPLY_WINDOW_SECONDS, per_address):
        return "rate_limited"
    mailer.send(render_autoresponder_email(form, address))
    return "sent"


def send_farewell(changed: LeadStatusChanged, repository: LeadRepository, mailer: Mailer,
                  links: ActionLinks | None = None, now: datetime | None = None) -> str:
    """Say goodbye to a rejected lead whose manager chose to, in the lead's language,
    with the questionnaire link; returns what happened: `not_rejected` (the lead is not,
    or no longer exists), `no_email`, `suppressed` or `sent`.

    The recipient is the lead's own address and nothing they typed is in the email; SES's
    suppression list is honoured (an address that bounced or complained gets nothing)."""
    now = now or utc_now()
    lead = repository.get_lead(changed.lead_id)
    if not changed.farewell or lead is None or lead.status != LeadStatus.REJECTED:
        return "not_rejected"
    if not lead.contact.email:
        return "no_email"
    if mailer.is_suppressed(lead.contact.email):
        return "suppressed"
    latest = repository.latest_submission(lead.lead_id)
    form = repository.get_form(lead.source.form_id)
    # The person's language: that of the form they last posted (their lead's first, else).
    language = latest.language if latest else (form.language if form else "en")
    manager = repository.get_manager(lead.manager_id) if lead.manager_id else None
    feedback_url = ""
    if links is not None:
        try:
            feedback_url = links.feedback(lead.lead_id, now)
        except KeyUnavailable as error:
            logger.warning("questionnaire link left out of the farewell: %s", error, extra={"lead_id": lead.lead_id})
    mailer.send(render_farewell_email(lead.contact.email, language, feedback_url, form, manager))
    # In the lead's history, for the manager. Best effort: failing here after the email
    # went would make the retry send it twice.
    try:
        repository.add_lead_activity(Activity(activity_id=uuid.uuid4().hex, lead_id=lead.lead_id, at=now,
                                              kind="farewell_sent", detail={"by": changed.by, "language": language}))
    except Exception:  # noqa: BLE001 - see above
        logger.warning("farewell sent, not recorded in the lead's history", extra={"lead_id": lead.lead_id})
    return "sent"
