"""score: new submissions from the table's stream → score, manager, `Lead Scored` and
`Lead Assigned` / `Lead Unassigned`. The roster is read at most once every few seconds
per container (the assignment's write re-checks the manager), and a batch's events are
put together, ten per PutEvents call, once its records are done."""
# ruff: noqa: E402 (the imports follow the collector's pause)

from leadflow.shared import coldstart

PAUSED = coldstart.paused_for_init()  # no garbage collection until init is done (its end, below)

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from leadflow.routing.rule_sets import RuleSetSource
from leadflow.routing.service import score_and_assign
from leadflow.routing.store import RoutingStore
from leadflow.shared import tracing
from leadflow.shared.bus import EventPublisher, Outbox
from leadflow.shared.models import Submission
from leadflow.shared.settings import ScoreSettings
from leadflow.storage.codec import without_keys
from leadflow.storage.table import Table

settings = ScoreSettings.from_env()
logger = Logger()
tracer = tracing.tracer()  # Powertools' Tracer only with detailed tracing on
metrics = Metrics()
processor = BatchProcessor(event_type=EventType.DynamoDBStreams)
# The roster as read in the last seconds chooses new leads' managers: a stale one costs
# a refused write and a read again, never an overbooked manager (leadflow.routing.roster).
ROSTER_TTL_SECONDS = 5
store = RoutingStore(Table(settings.table_name), roster_ttl_seconds=ROSTER_TTL_SECONDS)
outbox = Outbox(EventPublisher(settings.event_bus_name))
# Per container: an uploaded override takes effect within a minute, with no redeploy.
rule_sets = RuleSetSource(store.get_rule_set_json, ttl_seconds=60)
# A new assignment starts its speed-to-lead clock in the write that makes it.
sla = settings.sla()


@tracer.capture_method
def record_handler(record: DynamoDBRecord) -> None:
    submission = Submission.model_validate(without_keys(record.dynamodb.new_image))
    key = record.dynamodb.sequence_number
    try:
        routed = score_and_assign(submission, store, outbox.sink(key), rule_sets, speed_to_lead=sla)
    except BaseException:
        outbox.discard(key)  # the record is retried, and announces then
        raise
    ids = {"lead_id": submission.lead_id, "submission_id": submission.submission_id}
    if routed is None:
        logger.warning("submission not stored, nothing to score", extra=ids)
        metrics.add_metric(name="SubmissionNotStored", unit=MetricUnit.Count, value=1)
    elif routed.scored is None or routed.assignment is None:
        logger.info("older than the lead's current score: kept, not announced", extra=ids)
        metrics.add_metric(name="ScoreSuperseded", unit=MetricUnit.Count, value=1)
    else:
        # Ids and scores only: never a name, email or phone in the logs.
        logger.info("lead scored", extra={**ids, **routed.log_fields()})
        for name, value in routed.metrics().items():
            metrics.add_metric(name=name, unit=MetricUnit.Count, value=value)


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    try:
        response = process_partial_response(event=event, record_handler=record_handler, processor=processor,
                                            context=context)
    finally:
        # The records that were done: their events, in as few calls as fit. A refused entry
        # fails its record, whose retry finds it scored and announces it again.
        refused = outbox.flush()
    if refused:
        logger.warning("events refused by EventBridge: their records are retried",
                       extra={"sequence_numbers": refused})
        metrics.add_metric(name="PublishRetried", unit=MetricUnit.Count, value=len(refused))
        failures = response.setdefault("batchItemFailures", [])
        failures += [{"itemIdentifier": key} for key in refused
                     if {"itemIdentifier": key} not in failures]
    return response


coldstart.init_done(PAUSED)  # the module is loaded: init is done
