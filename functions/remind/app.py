"""remind: a Leadflow schedule fired (EventBridge Scheduler). Speed-to-lead
(ReminderDue): remind the manager, or on a second miss tell the admins and reassign the
lead. Follow-up (FollowUpDue): a postponed lead's day has come, it goes back to its
manager with a new speed-to-lead clock."""

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import TypeAdapter

from leadflow.events import EventPublisher
from leadflow.follow_up import ReminderPolicy, bring_back, handle_reminder
from leadflow.mailer import Mailer
from leadflow.models import FollowUpDue, ReminderDue, ScheduledDue
from leadflow.reminders import Reminders, ReminderTarget
from leadflow.repository import LeadRepository
from leadflow.scoring import RuleSetSource
from leadflow.settings import RemindSettings

settings = RemindSettings.from_env()
logger = Logger()
tracer = Tracer()
metrics = Metrics()
repository = LeadRepository(settings.table_name)
mailer = Mailer(settings.sender_email)
publisher = EventPublisher(settings.event_bus_name)
rule_sets = RuleSetSource(repository.get_rule_set_json, ttl_seconds=60)
policy = ReminderPolicy(sla=settings.sla(), reassign_on_second_miss=settings.reassign_on_second_miss,
                        admin_email=settings.admin_email, console_url=settings.console_url,
                        links=settings.action_links())
scheduled_due = TypeAdapter(ScheduledDue)


def _persistence() -> DynamoDBPersistenceLayer:
    # One per idempotent function: a persistence layer keeps the first config it is given.
    return DynamoDBPersistenceLayer(
        table_name=settings.table_name, key_attr="PK", sort_key_attr="SK",
        static_pk_value="IDEMPOTENCY#remind", expiry_attr="expires_at",
    )


# Scheduler delivers at least once: one reminder per lead, manager, attempt and clock
# (`returned_on`: a lead back from a postponement starts a new clock with its manager).
idempotency = IdempotencyConfig(event_key_jmespath="[lead_id, manager_id, attempt, returned_on]",
                                expires_after_seconds=7 * 86400)
# One return per lead and follow-up day.
return_idempotency = IdempotencyConfig(event_key_jmespath="[lead_id, follow_up_on]",
                                       expires_after_seconds=7 * 86400)


def _reminders(function_arn: str) -> Reminders:
    # The next schedule targets this very function: its ARN comes from the context, so
    # the template needs no self-reference.
    return Reminders(ReminderTarget(function_arn, settings.scheduler_role_arn, settings.reminder_dead_letter_arn))


@idempotent_function(data_keyword_argument="due", persistence_store=_persistence(), config=idempotency)
@tracer.capture_method
def follow_up(due: ReminderDue, function_arn: str) -> dict:
    outcome = handle_reminder(due, repository, mailer, _reminders(function_arn), publisher, policy, rule_sets)
    logger.info("speed-to-lead", extra={"lead_id": due.lead_id, "manager_id": due.manager_id,
                                        "attempt": due.attempt, "outcome": outcome})
    metrics.add_metric(name=f"Reminder{outcome.title().replace('_', '')}", unit=MetricUnit.Count, value=1)
    return {"outcome": outcome}


@idempotent_function(data_keyword_argument="due", persistence_store=_persistence(), config=return_idempotency)
@tracer.capture_method
def come_back(due: FollowUpDue, function_arn: str) -> dict:
    outcome = bring_back(due, repository, mailer, _reminders(function_arn), publisher, policy)
    logger.info("follow-up", extra={"lead_id": due.lead_id, "follow_up_on": due.follow_up_on.isoformat(),
                                    "outcome": outcome})
    metrics.add_metric(name=f"FollowUp{outcome.title().replace('_', '')}", unit=MetricUnit.Count, value=1)
    return {"outcome": outcome}


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    idempotency.register_lambda_context(context)
    return_idempotency.register_lambda_context(context)
    due = scheduled_due.validate_python(event)
    if isinstance(due, FollowUpDue):
        return come_back(due=due, function_arn=context.invoked_function_arn)
    return follow_up(due=due, function_arn=context.invoked_function_arn)
