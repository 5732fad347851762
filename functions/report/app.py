"""report: `Lead Scored` (new leads), `Lead Status Changed` and `Lead Converted` on the
bus → the report counters (atomic ADDs, with the lead's report mark in the same
transaction, so a redelivered event counts nothing); `Referral Received` and the moves
of a referred lead → its tally for the partner report (leadflow.referrals.tally). A failure is retried by Lambda,
then the event goes to the dead-letter queue (template.yaml)."""
# ruff: noqa: E402 (the imports follow the collector's pause)

from leadflow.shared import coldstart

PAUSED = coldstart.paused_for_init()  # no garbage collection until init is done (its end, below)

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.data_classes import EventBridgeEvent, event_source
from aws_lambda_powertools.utilities.typing import LambdaContext

from leadflow.referrals.records import ReferralRecords
from leadflow.referrals.tally import tally_referral
from leadflow.reporting.counters import count_event
from leadflow.reporting.store import ReportingStore
from leadflow.shared import tracing
from leadflow.shared.events import REFERRAL_RECEIVED
from leadflow.shared.settings import ReportSettings
from leadflow.storage.table import Table

settings = ReportSettings.from_env()
logger = Logger()
tracer = tracing.tracer()  # Powertools' Tracer only with detailed tracing on
metrics = Metrics()
table = Table(settings.table_name)
store = ReportingStore(table)
referrals = ReferralRecords(table)
_METRICS = {"counted": "ReportCounted", "already_counted": "ReportAlreadyCounted",
            "lead_missing": "ReportLeadMissing", "ignored": "ReportIgnored"}


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
@event_source(data_class=EventBridgeEvent)
def lambda_handler(event: EventBridgeEvent, context: LambdaContext) -> dict:
    if event.detail_type == REFERRAL_RECEIVED or event.detail.get("partner_id"):
        # Before the counters: a failure there retries the event, and a tally notes once.
        tallied = tally_referral(event.detail_type, event.detail, referrals)
        logger.info("referral tally", extra={"detail_type": event.detail_type, "lead_id": event.detail.get("lead_id"),
                                             "outcome": tallied})
        if event.detail_type == REFERRAL_RECEIVED:
            return {"outcome": tallied}
    counted = count_event(event.detail_type, event.detail, store)
    # Ids only: the events carry no contact data, and none is logged.
    logger.info("report counters", extra={"detail_type": event.detail_type, "lead_id": counted.lead_id,
                                          "fact": counted.fact or "lead", "outcome": counted.outcome})
    metrics.add_metric(name=_METRICS[counted.outcome], unit=MetricUnit.Count, value=1)
    return {"outcome": counted.outcome}


coldstart.init_done(PAUSED)  # the module is loaded: init is done
