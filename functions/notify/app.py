"""notify: `Lead Assigned` on the bus → one email to the assigned manager."""

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.typing import LambdaContext

from leadflow.mailer import Mailer
from leadflow.models import LeadAssigned
from leadflow.notification import notify_manager
from leadflow.repository import LeadRepository
from leadflow.settings import NotifySettings

settings = NotifySettings.from_env()
logger = Logger()
tracer = Tracer()
metrics = Metrics()
repository = LeadRepository(settings.table_name)
mailer = Mailer(settings.sender_email)
# Idempotency records live in the same table, under one partition, removed by its TTL.
persistence = DynamoDBPersistenceLayer(
    table_name=settings.table_name, key_attr="PK", sort_key_attr="SK",
    static_pk_value="IDEMPOTENCY#notify", expiry_attr="expires_at",
)
# One email per submission and manager: a redelivered event sends nothing.
idempotency = IdempotencyConfig(event_key_jmespath="[submission_id, manager_id]", expires_after_seconds=7 * 86400)


@idempotent_function(data_keyword_argument="assignment", persistence_store=persistence, config=idempotency)
@tracer.capture_method
def send_assignment_email(assignment: LeadAssigned) -> dict:
    message_id = notify_manager(assignment, repository, mailer, settings.console_url)
    logger.info("manager notified", extra={
        "lead_id": assignment.lead_id, "manager_id": assignment.manager_id, "message_id": message_id,
    })
    metrics.add_metric(name="ManagerNotified", unit=MetricUnit.Count, value=1)
    return {"message_id": message_id}


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    idempotency.register_lambda_context(context)
    return send_assignment_email(assignment=LeadAssigned.model_validate(event["detail"]))
