"""notify: `Lead Assigned` on the bus → one email to the assigned manager, with the
signed action links (and the speed-to-lead reminder, and the hot-lead topic);
`Lead Scored` → the visitor's thank-you when their form has the autoresponder on;
`Lead Status Changed` with `farewell` → the rejected lead's goodbye and questionnaire;
SES's `Email Bounced` / `Email Complaint Received` for a manager → their address marked;
`Referral Received`, the first `Lead Status Changed` to contacted and `Lead Converted`
of a referred lead → the partner hears of it (leadflow.referrals.loop)."""
# ruff: noqa: E402 (the imports follow the collector's pause)

from leadflow.shared import coldstart

PAUSED = coldstart.paused_for_init()  # no garbage collection until init is done (its end, below)

import json
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.data_classes import EventBridgeEvent, event_source
from aws_lambda_powertools.utilities.idempotency import idempotent_function
from aws_lambda_powertools.utilities.typing import LambdaContext

from leadflow.lifecycle.links.signing import action_links
from leadflow.lifecycle.schedules import reminders_for
from leadflow.notification.autoresponder import send_autoresponse
from leadflow.notification.bounces import EMAIL_BOUNCED, EMAIL_COMPLAINT, MailFeedback, mark_unreachable
from leadflow.notification.farewell import send_farewell
from leadflow.notification.hot_leads import HotLeadAlerts
from leadflow.notification.mailer import Mailer, MailRejected
from leadflow.notification.manager_email import FollowUp, notify_manager
from leadflow.notification.store import EmailDone, NotificationStore
from leadflow.referrals import loop
from leadflow.referrals.store import PartnerStore
from leadflow.shared import aws, tracing
from leadflow.shared.events import (
    LEAD_ASSIGNED,
    LEAD_CONVERTED,
    LEAD_SCORED,
    LEAD_STATUS_CHANGED,
    REFERRAL_RECEIVED,
    LeadAssigned,
    LeadConverted,
    LeadScored,
    LeadStatusChanged,
    ReferralReceived,
)
from leadflow.shared.hashing import PersonalDataHasher
from leadflow.shared.idempotency import once_per, records
from leadflow.shared.secrets import SecretKeys
from leadflow.shared.settings import NotifySettings
from leadflow.storage.table import Table

settings = NotifySettings.from_env()
logger = Logger()
tracer = tracing.tracer()  # Powertools' Tracer only with detailed tracing on
metrics = Metrics()
table = Table(settings.table_name)
store = NotificationStore(table)
mailer = Mailer(settings.sender_email, settings.mail_configuration_set)
# The signed links in emails, when the deployment has a public URL and a key for them.
links = action_links(settings)
hasher = PersonalDataHasher(SecretKeys(settings.hash_key_secret_arn))
follow_up = FollowUp(
    reminders=reminders_for(settings, table), sla=settings.sla(), admin_email=settings.admin_email,
    hot_alerts=HotLeadAlerts(settings.hot_lead_topic_arn) if settings.hot_lead_topic_arn else None, links=links,
    partners=PartnerStore(table),
)
# One email per submission and manager: claimed on the submission, in the call that reads
# what it needs (leadflow.notification.manager_email). One thank-you per submission, and
# one farewell per lead (a rejected lead stays rejected; kept longer than any redrive).
per_submission = once_per("submission_id", days=7)
per_lead = once_per("lead_id", days=30)
partner_news = loop.PartnerNews(table)


@tracer.capture_method
def send_assignment_email(assignment: LeadAssigned) -> dict:
    """Once per submission and manager: a duplicate delivery does nothing."""
    try:
        result = notify_manager(assignment, store, mailer, settings.console_url, follow_up)
    except EmailDone:
        logger.info("manager already notified", extra={"lead_id": assignment.lead_id,
                                                        "manager_id": assignment.manager_id})
        count("ManagerNotifiedAgainSkipped")
        return {"duplicate": True}
    logger.info("manager notified", extra={
        "lead_id": assignment.lead_id, "manager_id": assignment.manager_id, "message_id": result.message_id,
        "reminder_scheduled": result.reminder_scheduled, "suppressed": result.suppressed,
    })
    count("VisitNoted" if result.coalesced else "ManagerSuppressed" if result.suppressed else "ManagerNotified")
    if result.hot_alert:
        count("HotLeadAlerted")
    return {"message_id": result.message_id, "suppressed": result.suppressed}


@idempotent_function(data_keyword_argument="scored", persistence_store=records(settings.table_name, "autoresponder"),
                     config=per_submission)
@tracer.capture_method
def send_thank_you(scored: LeadScored) -> dict:
    outcome = send_autoresponse(scored, store, mailer, hasher)
    logger.info("autoresponder", extra={"lead_id": scored.lead_id, "form_id": scored.form_id, "outcome": outcome})
    if outcome == "sent":
        count("AutoresponderSent")
    return {"outcome": outcome}


@idempotent_function(data_keyword_argument="changed", persistence_store=records(settings.table_name, "farewell"),
                     config=per_lead)
@tracer.capture_method
def send_farewell_email(changed: LeadStatusChanged) -> dict:
    outcome = send_farewell(changed, store, mailer, links)
    logger.info("farewell", extra={"lead_id": changed.lead_id, "outcome": outcome})
    if outcome == "sent":
        count("FarewellSent")
    return {"outcome": outcome}


def told_partner(moment: str, lead_id: str, outcome: str) -> dict:
    # Ids only: the partner's address and the lead's name stay out of the logs.
    logger.info("partner loop", extra={"lead_id": lead_id, "moment": moment, "outcome": outcome})
    if outcome == "sent":
        count("PartnerLoopSent")
    return {"outcome": outcome}


# Each moment once per lead: a lead is received, first contacted and converted once.
@idempotent_function(data_keyword_argument="received", persistence_store=records(settings.table_name, "loop-received"),
                     config=per_lead)
@tracer.capture_method
def tell_partner_received(received: ReferralReceived) -> dict:
    return told_partner("received", received.lead_id, loop.referral_received(received, partner_news, mailer))


@idempotent_function(data_keyword_argument="changed", persistence_store=records(settings.table_name, "loop-contacted"),
                     config=per_lead)
@tracer.capture_method
def tell_partner_contacted(changed: LeadStatusChanged) -> dict:
    return told_partner("contacted", changed.lead_id, loop.first_contacted(changed, partner_news, mailer))


@idempotent_function(data_keyword_argument="converted",
                     persistence_store=records(settings.table_name, "loop-converted"), config=per_lead)
@tracer.capture_method
def tell_partner_converted(converted: LeadConverted) -> dict:
    return told_partner("converted", converted.lead_id, loop.became_customer(converted, partner_news, mailer))


def status_changed(changed: LeadStatusChanged) -> dict:
    """A farewell (a rejection that says goodbye), or a referred lead's first contact:
    the template's rules deliver only these two."""
    if changed.farewell:
        return send_farewell_email(changed=changed)
    return tell_partner_contacted(changed=changed)


@tracer.capture_method
def mark_manager_unreachable(feedback: MailFeedback) -> dict:
    # Once per manager by itself: a manager already marked is skipped.
    marked = mark_unreachable(feedback, store, mailer, settings.admin_email)
    logger.info("mail feedback", extra={"event_type": feedback.event_type, "marked_manager_ids": marked})
    if marked:
        count("ManagerSuppressed")
    return {"marked": marked}


def park_rejected(event: dict, assignment: LeadAssigned, error: MailRejected) -> dict:
    """SES refused a manager's email for good (in the sandbox: an unverified recipient).
    Retrying cannot help, so the event goes straight to the dead-letter queue, to be
    redriven once the address is verified; the log says what to do and names ids."""
    logger.error(
        f"SES rejected the email ({error.code}). If the account is in the SES sandbox, verify the recipient "
        "(or its domain) in SES, or request production access; then redrive the notify dead-letter queue.",
        extra={"lead_id": assignment.lead_id, "manager_id": assignment.manager_id},
    )
    count("EmailRejected")
    if settings.dead_letter_queue_url:
        aws.client("sqs").send_message(QueueUrl=settings.dead_letter_queue_url, MessageBody=json.dumps(event))
    return {"rejected": error.code}


def visitor_refused(kind: str) -> Callable[[dict, Any, MailRejected], dict]:
    """An address of the visitor's that SES refuses (in the sandbox: any unverified one)
    is not worth a dead letter or an alarm: the lead itself is safe."""

    def warn(_event: dict, detail: Any, error: MailRejected) -> dict:
        ids = {name: getattr(detail, name) for name in ("lead_id", "form_id") if hasattr(detail, name)}
        logger.warning(f"SES rejected the {kind} email ({error.code}); in the SES sandbox only verified "
                       "recipients get it", extra=ids)
        return {"rejected": error.code}

    return warn


def never_refused(_event: dict, _detail: Any, error: MailRejected) -> dict:
    raise error  # mark_unreachable handles a refused admin alert itself


def count(name: str) -> None:
    metrics.add_metric(name=name, unit=MetricUnit.Count, value=1)


# detail-type → (how to read the detail, what to do, what to do when SES refuses it for good)
Route = tuple[Callable[[dict], Any], Callable[[Any], dict], Callable[[dict, Any, MailRejected], dict]]
ROUTES: dict[str, Route] = {
    LEAD_ASSIGNED: (LeadAssigned.model_validate, lambda detail: send_assignment_email(assignment=detail),
                    park_rejected),
    LEAD_SCORED: (LeadScored.model_validate, lambda detail: send_thank_you(scored=detail),
                  visitor_refused("thank-you")),
    LEAD_STATUS_CHANGED: (LeadStatusChanged.model_validate, status_changed, visitor_refused("farewell or partner")),
    # A partner's address SES refuses (the sandbox) is worth a warning, not a dead letter.
    REFERRAL_RECEIVED: (ReferralReceived.model_validate, lambda detail: tell_partner_received(received=detail),
                        visitor_refused("partner")),
    LEAD_CONVERTED: (LeadConverted.model_validate, lambda detail: tell_partner_converted(converted=detail),
                     visitor_refused("partner")),
    EMAIL_BOUNCED: (MailFeedback.model_validate, mark_manager_unreachable, never_refused),
    EMAIL_COMPLAINT: (MailFeedback.model_validate, mark_manager_unreachable, never_refused),
}


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
@event_source(data_class=EventBridgeEvent)
def lambda_handler(event: EventBridgeEvent, context: LambdaContext) -> dict:
    for config in (per_submission, per_lead):
        config.register_lambda_context(context)
    parse, send, refused = ROUTES[event.detail_type]
    detail = parse(event.detail)
    try:
        return send(detail)
    except MailRejected as error:
        return refused(event.raw_event, detail, error)


coldstart.init_done(PAUSED)  # the module is loaded: init is done
