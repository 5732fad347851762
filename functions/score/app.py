"""score: new submissions from the table's stream → score, manager, `Lead Scored` and
`Lead Assigned` / `Lead Unassigned`."""

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from leadflow.events import EventPublisher
from leadflow.models import LeadAssigned, Submission
from leadflow.repository import LeadRepository, from_item
from leadflow.routing import score_and_assign
from leadflow.scoring import RuleSetSource
from leadflow.settings import ScoreSettings

settings = ScoreSettings.from_env()
logger = Logger()
tracer = Tracer()
metrics = Metrics()
processor = BatchProcessor(event_type=EventType.DynamoDBStreams)
repository = LeadRepository(settings.table_name)
publisher = EventPublisher(settings.event_bus_name)
# Per container: an uploaded override takes effect within a minute, with no redeploy.
rule_sets = RuleSetSource(repository.get_rule_set_json, ttl_seconds=60)


@tracer.capture_method
def record_handler(record: DynamoDBRecord) -> None:
    image = record.raw_event["dynamodb"]["NewImage"]
    submission = Submission.model_validate(from_item(image))
    routed = score_and_assign(submission, repository, publisher, rule_sets)
    ids = {"lead_id": submission.lead_id, "submission_id": submission.submission_id}
    if routed is None:
        logger.warning("submission not stored, nothing to score", extra=ids)
        metrics.add_metric(name="SubmissionNotStored", unit=MetricUnit.Count, value=1)
        return
    if routed.scored is None or routed.assignment is None:
        logger.info("older than the lead's current score: kept, not announced", extra=ids)
        metrics.add_metric(name="ScoreSuperseded", unit=MetricUnit.Count, value=1)
        return
    assigned = isinstance(routed.assignment, LeadAssigned)
    # Ids and scores only: never a name, email or phone in the logs.
    logger.info("lead scored", extra={
        **ids, "points": routed.scored.points, "temperature": routed.scored.temperature.value,
        "change": routed.scored.change.value, "rule_set_version": routed.scored.rule_set_version,
        "manager_id": getattr(routed.assignment, "manager_id", None), "replayed": routed.replayed,
        "attempts": routed.attempts,
    })
    if routed.replayed:  # a redelivery: announced again, counted nowhere
        metrics.add_metric(name="ScoreReplayed", unit=MetricUnit.Count, value=1)
        return
    metrics.add_metric(name="LeadAssigned" if assigned else "LeadUnassigned", unit=MetricUnit.Count, value=1)
    metrics.add_metric(name=f"Lead{routed.scored.temperature.value.capitalize()}", unit=MetricUnit.Count, value=1)
    if routed.attempts > 1:  # a manager filled up or left between our read and our write
        metrics.add_metric(name="AssignmentRetries", unit=MetricUnit.Count, value=routed.attempts - 1)


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
