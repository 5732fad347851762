"""score: new submissions from the table's stream → score, manager, `Lead Assigned`."""

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from leadflow.events import EventPublisher
from leadflow.models import LeadAssigned, Submission
from leadflow.repository import LeadRepository, from_item
from leadflow.routing import score_and_assign
from leadflow.settings import ScoreSettings

settings = ScoreSettings.from_env()
logger = Logger()
tracer = Tracer()
metrics = Metrics()
processor = BatchProcessor(event_type=EventType.DynamoDBStreams)
repository = LeadRepository(settings.table_name)
publisher = EventPublisher(settings.event_bus_name)


@tracer.capture_method
def record_handler(record: DynamoDBRecord) -> None:
    image = record.raw_event["dynamodb"]["NewImage"]
    submission = Submission.model_validate(from_item(image))
    outcome = score_and_assign(submission, repository, publisher)
    if outcome is None:
        logger.warning("submission not stored, nothing to score", extra={"submission_id": submission.submission_id})
        return
    assigned = isinstance(outcome, LeadAssigned)
    logger.info("lead scored", extra={
        "lead_id": outcome.lead_id, "submission_id": outcome.submission_id, "points": outcome.points,
        "temperature": outcome.temperature.value, "manager_id": getattr(outcome, "manager_id", None),
    })
    metrics.add_metric(name="LeadAssigned" if assigned else "LeadUnassigned", unit=MetricUnit.Count, value=1)


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
