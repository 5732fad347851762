"""notify: `Lead Assigned` on the bus → one email to the assigned manager, with the
signed action links (and the speed-to-lead reminder, and the hot-lead topic);
`Lead Scored` → the visitor's thank-you when their form has the autoresponder on;
`Lead Status Changed` with `farewell` → the rejected lead's goodbye and questionnaire."""

import json

import boto3
from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.typing import LambdaContext

from leadflow.lifecycle import LEAD_STATUS_CHANGED
from leadflow.mailer import Mailer, MailRejected
from leadflow.models import LeadAssigned, LeadScored, LeadStatusChanged
from leadflow.notification import FollowUp, HotLeadAlerts, notify_manager, send_autoresponse, send_farewell
from leadflow.reminders import Reminders, ReminderTarget
from leadflow.repository import LeadRepository
from leadflow.routing import LEAD_SCORED
from leadflow.settings import NotifySettings

settings = NotifySettings.from_env()
logger = Logger()
tracer = Tracer()
metrics = Metrics()
repository = LeadRepository(settings.table_name)
mailer = Mailer(settings.sender_email)
# The signed links in emails, when the deployment has a public URL and a key for them.
links = settings.action_links()
follow_up = FollowUp(
    reminders=Reminders(ReminderTarget(settings.remind_function_arn, settings.scheduler_role_arn,
                                       settings.reminder_dead_letter_arn)) if settings.remind_function_arn else None,
    sla=settings.sla(), admin_email=settings.admin_email,
    hot_alerts=HotLeadAlerts(settings.hot_lead_topic_arn) if settings.hot_lead_topic_arn else None,
    links=links,
)
# Idempotency records live in the same table, under one partition, removed by its TTL.
persistence = DynamoDBPersistenceLayer(
    table_name=settings.table_name, key_attr="PK", sort_key_attr="SK",
    static_pk_value="IDEMPOTENCY#notify", expiry_attr="expires_at",
)
# One email per submission and manager: a redelivered event sends nothing.
idempotency = IdempotencyConfig(event_key_jmespath="[submission_id, manager_id]", expires_after_seconds=7 * 86400)
autoreply_persistence = DynamoDBPersistenceLayer(
    table_name=settings.table_name, key_attr="PK", sort_key_attr="SK",
    static_pk_value="IDEMPOTENCY#autoresponder", expiry_attr="expires_at",
)
autoreply_idempotency = IdempotencyConfig(event_key_jmespath="submission_id", expires_after_seconds=7 * 86400)
farewell_persistence = DynamoDBPersistenceLayer(
    table_name=settings.table_name, key_attr="PK", sort_key_attr="SK",
    static_pk_value="IDEMPOTENCY#farewell", expiry_attr="expires_at",
)
# One farewell per lead: a rejected lead stays rejected, so its id is the key; kept
# longer than any redelivery or dead-letter redrive could come.
farewell_idempotency = IdempotencyConfig(event_key_jmespath="lead_id", expires_after_seconds=30 * 86400)


@idempotent_function(data_keyword_argument="assignment", persistence_store=persistence, config=idempotency)
@tracer.capture_method
def send_assignment_email(assignment: LeadAssigned) -> dict:
    result = notify_manager(assignment, repository, mailer, settings.console_url, follow_up)
    logger.info("manager notified", extra={
        "lead_id": assignment.lead_id, "manager_id": assignment.manager_id, "message_id": result.message_id,
        "reminder_scheduled": result.reminder_scheduled, "suppressed": result.suppressed,
    })
    metrics.add_metric(name="ManagerSuppressed" if result.suppressed else "ManagerNotified",
                       unit=MetricUnit.Count, value=1)
    if result.hot_alert:
        metrics.add_metric(name="HotLeadAlerted", unit=MetricUnit.Count, value=1)
    return {"message_id": result.message_id, "suppressed": result.suppressed}


@idempotent_function(data_keyword_argument="scored", persistence_store=autoreply_persistence,
                     config=autoreply_idempotency)
@tracer.capture_method
def send_thank_you(scored: LeadScored) -> dict:
    outcome = send_autoresponse(scored, repository, mailer)
    logger.info("autoresponder", extra={"lead_id": scored.lead_id, "form_id": scored.form_id, "outcome": outcome})
    if outcome == "sent":
        metrics.add_metric(name="AutoresponderSent", unit=MetricUnit.Count, value=1)
    return {"outcome": outcome}


@idempotent_function(data_keyword_argument="changed", persistence_store=farewell_persistence,
                     config=farewell_idempotency)
@tracer.capture_method
def send_farewell_email(changed: LeadStatusChanged) -> dict:
    outcome = send_farewell(changed, repository, mailer, links)
    logger.info("farewell", extra={"lead_id": changed.lead_id, "outcome": outcome})
    if outcome == "sent":
        metrics.add_metric(name="FarewellSent", unit=MetricUnit.Count, value=1)
    return {"outcome": outcome}


def park_rejected(event: dict, error: MailRejected, who: dict) -> dict:
    """SES refused for good (in the sandbox: an unverified recipient). Retrying cannot
    help, so the event goes straight to the dead-letter queue, to be redriven once the
    address is verified; the log says what to do and names ids, not addresses."""
    logger.error(
        f"SES rejected the email ({error.code}). If the account is in the SES sandbox, verify the recipient "
        "(or its domain) in SES, or request production access; then redrive the notify dead-letter queue.",
        extra=who,
    )
    metrics.add_metric(name="EmailRejected", unit=MetricUnit.Count, value=1)
    if settings.dead_letter_queue_url:
        boto3.client("sqs").send_message(QueueUrl=settings.dead_letter_queue_url, MessageBody=json.dumps(event))
    return {"rejected": error.code}


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    idempotency.register_lambda_context(context)
    autoreply_idempotency.register_lambda_context(context)
    farewell_idempotency.register_lambda_context(context)
    if event.get("detail-type") == LEAD_SCORED:
        scored = LeadScored.model_validate(event["detail"])
        try:
            return send_thank_you(scored=scored)
        except MailRejected as error:
            # A visitor's address SES refuses (in the sandbox: any unverified one) is not
            # worth a dead letter or an alarm: the lead itself is safe.
            logger.warning(f"SES rejected the thank-you email ({error.code}); in the SES sandbox only verified "
                           "recipients get it", extra={"lead_id": scored.lead_id, "form_id": scored.form_id})
            return {"rejected": error.code}
    if event.get("detail-type") == LEAD_STATUS_CHANGED:
        changed = LeadStatusChanged.model_validate(event["detail"])
        try:
            return send_farewell_email(changed=changed)
        except MailRejected as error:
            # As for the thank-you: an address SES refuses is the lead's, not worth an alarm.
            logger.warning(f"SES rejected the farewell email ({error.code}); in the SES sandbox only verified "
                           "recipients get it", extra={"lead_id": changed.lead_id})
            return {"rejected": error.code}
    assignment = LeadAssigned.model_validate(event["detail"])
    try:
        return send_assignment_email(assignment=assignment)
    except MailRejected as error:
        return park_rejected(event, error, {"lead_id": assignment.lead_id, "manager_id": assignment.manager_id})
