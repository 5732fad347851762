"""store_fallback: submissions queued while the table was unavailable → the table."""
# ruff: noqa: E402 (the imports follow the collector's pause)

from leadflow.shared import coldstart

PAUSED = coldstart.paused_for_init()  # no garbage collection until init is done (its end, below)

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from leadflow.capture.fallback import QueuedSubmission
from leadflow.capture.service import record_queued
from leadflow.capture.store import CaptureStore
from leadflow.shared import tracing
from leadflow.shared.settings import StoreFallbackSettings
from leadflow.storage.table import Table

settings = StoreFallbackSettings.from_env()
logger = Logger()
tracer = tracing.tracer()  # Powertools' Tracer only with detailed tracing on
metrics = Metrics()
processor = BatchProcessor(event_type=EventType.SQS)
store = CaptureStore(Table(settings.table_name))


@tracer.capture_method
def record_handler(record: SQSRecord) -> None:
    queued = QueuedSubmission.model_validate_json(record.body)
    record_queued(store, queued)
    logger.info("queued submission stored", extra={"submission_id": queued.submission.submission_id})
    metrics.add_metric(name="QueuedSubmissionStored", unit=MetricUnit.Count, value=1)


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)


coldstart.init_done(PAUSED)  # the module is loaded: init is done
