"""imports: a CSV import's chunks from the import queue → each row through capture's
store (leadflow.capture.importing); `Lead Assigned` / `Lead Unassigned` of an imported
submission → counted, and once the whole import is routed, one summary email per
manager."""
# ruff: noqa: E402 (the imports follow the collector's pause)

from leadflow.referrals.attribution import PartnerCatalog
from leadflow.referrals.store import PartnerStore
from leadflow.shared import coldstart

PAUSED = coldstart.paused_for_init()  # no garbage collection until init is done (its end, below)

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from leadflow.capture.importing.service import ChunkMessage, Importer
from leadflow.capture.importing.store import ImportStore
from leadflow.capture.store import CaptureStore
from leadflow.notification.import_summary import ImportSummaries
from leadflow.notification.mailer import Mailer
from leadflow.routing.roster import Roster
from leadflow.shared import tracing
from leadflow.shared.events import LEAD_ASSIGNED, LeadAssigned, LeadUnassigned
from leadflow.shared.hashing import PersonalDataHasher
from leadflow.shared.secrets import SecretKeys
from leadflow.shared.settings import ImportSettings
from leadflow.storage.table import Table

settings = ImportSettings.from_env()
logger = Logger()
tracer = tracing.tracer()  # Powertools' Tracer only with detailed tracing on
metrics = Metrics()
processor = BatchProcessor(event_type=EventType.SQS)
table = Table(settings.table_name)
hasher = PersonalDataHasher(SecretKeys(settings.hash_key_secret_arn))
importer = Importer(ImportStore(table), CaptureStore(table), hasher,
                    partners=PartnerCatalog(PartnerStore(table)))
summaries = ImportSummaries(Roster(table), Mailer(settings.sender_email, settings.mail_configuration_set),
                            settings.console_url)


@tracer.capture_method
def store_chunk(record: SQSRecord) -> None:
    message = ChunkMessage.model_validate_json(record.body)
    if message.finish:  # an admin resumed an import whose routing stalled
        finish(message.import_id, force=True)
        return
    counts = importer.store_chunk(message)
    # Ids and counts only: never a row's content.
    logger.info("import chunk", extra={"import_id": message.import_id, "chunk": message.chunk, "counts": counts})
    for name, value in (counts or {}).items():
        metrics.add_metric(name=f"Import{name.title().replace('_', '')}", unit=MetricUnit.Count, value=value)
    finish(message.import_id)  # also on a redelivery: the first may have failed before it


@tracer.capture_method
def finish(import_id: str, *, force: bool = False) -> None:
    if importer.finish(import_id, summaries, force=force):
        logger.info("import completed", extra={"import_id": import_id})
        metrics.add_metric(name="ImportCompleted", unit=MetricUnit.Count, value=1)


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    if "Records" in event:  # the import queue
        return process_partial_response(event=event, record_handler=store_chunk, processor=processor, context=context)
    model = LeadAssigned if event.get("detail-type") == LEAD_ASSIGNED else LeadUnassigned
    routed = model.model_validate(event["detail"])
    if routed.import_id:
        importer.note_routed(routed)
        finish(routed.import_id)  # also on a redelivery: the first may have failed before it
    return {"import_id": routed.import_id}


coldstart.init_done(PAUSED)  # the module is loaded: init is done
