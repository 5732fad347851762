"""remind: a speed-to-lead schedule fired (EventBridge Scheduler) → remind the manager,
or on a second miss tell the admins and reassign the lead."""

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.typing import LambdaContext

from leadflow.events import EventPublisher
from leadflow.follow_up import ReminderPolicy, handle_reminder
from leadflow.mailer import Mailer
from leadflow.models import ReminderDue
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
                        admin_email=settings.admin_email, console_url=settings.console_url)
persistence = DynamoDBPersistenceLayer(
    table_name=settings.table_name, key_attr="PK", sort_key_attr="SK",
    static_pk_value="IDEMPOTENCY#remind", expiry_attr="expires_at",
)
# Scheduler delivers at least once: one reminder per lead, manager and attempt.
idempotency = IdempotencyConfig(event_key_jmespath="[lead_id, manager_id, attempt]",
                                expires_after_seconds=7 * 86400)


@idempotent_function(data_keyword_argument="due", persistence_store=persistence, config=idempotency)
@tracer.capture_method
def follow_up(due: ReminderDue, function_arn: str) -> dict:
    # The next reminder targets this very function: its ARN comes from the context, so
    # the template needs no self-reference.
    reminders = Reminders(ReminderTarget(function_arn, settings.scheduler_role_arn, settings.reminder_dead_letter_arn))
    outcome = handle_reminder(due, repository, mailer, reminders, publisher, policy, rule_sets)
    logger.info("speed-to-lead", extra={"lead_id": due.lead_id, "manager_id": due.manager_id,
                                        "attempt": due.attempt, "outcome": outcome})
    metrics.add_metric(name=f"Reminder{outcome.title().replace('_', '')}", unit=MetricUnit.Count, value=1)
    return {"outcome": outcome}


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    idempotency.register_lambda_context(context)
    return follow_up(due=ReminderDue.model_validate(event), function_arn=context.invoked_function_arn)
