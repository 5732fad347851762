"""remind: a Leadflow schedule fired (EventBridge Scheduler). The sweep (SweepDue), once
a minute: every speed-to-lead clock due (ReminderDue; a redriven one comes alone)
reminds the manager, or on a second miss tells the admins and reassigns the lead.
Follow-up (FollowUpDue): a postponed lead's day has come, it goes back to its manager
with a new speed-to-lead clock. Visits (VisitsDigestDue): a returning lead's window
closed, its manager is told how many more visits it made."""
# ruff: noqa: E402 (the imports follow the collector's pause)

from leadflow.shared import coldstart

PAUSED = coldstart.paused_for_init()  # no garbage collection until init is done (its end, below)

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.idempotency import idempotent_function
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import TypeAdapter

from leadflow.lifecycle.clocks import ReminderClocks, sweep
from leadflow.lifecycle.follow_up import ReminderPolicy, bring_back, handle_reminder
from leadflow.lifecycle.links.signing import action_links
from leadflow.lifecycle.schedules import (
    FollowUpDue,
    ReminderDue,
    ScheduledDue,
    SweepDue,
    VisitsDigestDue,
    reminders_to,
)
from leadflow.lifecycle.store import LifecycleStore
from leadflow.notification.mailer import Mailer
from leadflow.notification.store import NotificationStore
from leadflow.notification.visits import send_visits_digest
from leadflow.routing.rule_sets import RuleSetSource
from leadflow.routing.store import RoutingStore
from leadflow.shared import aws, tracing
from leadflow.shared.bus import EventPublisher
from leadflow.shared.idempotency import once_per, records
from leadflow.shared.settings import RemindSettings
from leadflow.storage.table import Table

settings = RemindSettings.from_env()
logger = Logger()
tracer = tracing.tracer()  # Powertools' Tracer only with detailed tracing on
metrics = Metrics()
table = Table(settings.table_name)
store = LifecycleStore(table)
clocks = ReminderClocks(table)
notifications = NotificationStore(table)
mailer = Mailer(settings.sender_email, settings.mail_configuration_set)
publisher = EventPublisher(settings.event_bus_name)
rule_sets = RuleSetSource(RoutingStore(table).get_rule_set_json, ttl_seconds=60)
links = action_links(settings)
policy = ReminderPolicy(sla=settings.sla(), reassign_on_second_miss=settings.reassign_on_second_miss,
                        admin_email=settings.admin_email, console_url=settings.console_url, links=links)
scheduled_due = TypeAdapter(ScheduledDue)
# Scheduler delivers at least once: one reminder per lead, manager, attempt and clock
# (`returned_on`: a lead back from a postponement starts a new clock with its manager),
# and one return per lead and follow-up day. A window's digest is taken once by itself
# (leadflow.notification.visits).
per_clock = once_per("[lead_id, manager_id, attempt, returned_on]", days=7)
per_return = once_per("[lead_id, follow_up_on]", days=7)


@idempotent_function(data_keyword_argument="due", persistence_store=records(settings.table_name, "remind"),
                     config=per_clock)
@tracer.capture_method
def follow_up(due: ReminderDue, function_arn: str) -> dict:
    outcome = handle_reminder(due, store, mailer, reminders_to(function_arn, settings, table), publisher, policy,
                              rule_sets)
    logger.info("speed-to-lead", extra={"lead_id": due.lead_id, "manager_id": due.manager_id,
                                        "attempt": due.attempt, "outcome": outcome})
    metrics.add_metric(name=f"Reminder{outcome.title().replace('_', '')}", unit=MetricUnit.Count, value=1)
    return {"outcome": outcome}


@idempotent_function(data_keyword_argument="due", persistence_store=records(settings.table_name, "remind"),
                     config=per_return)
@tracer.capture_method
def come_back(due: FollowUpDue, function_arn: str) -> dict:
    outcome = bring_back(due, store, mailer, reminders_to(function_arn, settings, table), publisher, policy)
    logger.info("follow-up", extra={"lead_id": due.lead_id, "follow_up_on": due.follow_up_on.isoformat(),
                                    "outcome": outcome})
    metrics.add_metric(name=f"FollowUp{outcome.title().replace('_', '')}", unit=MetricUnit.Count, value=1)
    return {"outcome": outcome}


@tracer.capture_method
def tell_visits(due: VisitsDigestDue) -> dict:
    outcome = send_visits_digest(due, notifications, mailer, settings.console_url, links)
    logger.info("visits", extra={"lead_id": due.lead_id, "manager_id": due.manager_id, "outcome": outcome})
    metrics.add_metric(name=f"Visits{outcome.title()}", unit=MetricUnit.Count, value=1)
    return {"outcome": outcome}


def sweep_clocks(due: SweepDue, function_arn: str) -> dict:
    """Every clock due: its reminder or its window's digest (each once, as above). One
    that keeps failing is given up on after a few sweeps and parked in the dead-letter
    queue (alarmed)."""
    def run(clock: ReminderDue | VisitsDigestDue) -> str:
        if isinstance(clock, VisitsDigestDue):
            return tell_visits(clock)["outcome"]
        return follow_up(due=clock, function_arn=function_arn)["outcome"]

    swept = sweep(clocks, due.due_by, run)
    for reminder in swept.given_up:
        logger.error("given up on after repeated failures: parked in the dead-letter queue",
                     extra={"lead_id": reminder.lead_id, "kind": reminder.kind})
        metrics.add_metric(name="ReminderGivenUp", unit=MetricUnit.Count, value=1)
        aws.client("sqs").send_message(QueueUrl=settings.dead_letter_queue_url, MessageBody=reminder.model_dump_json())
    logger.info("sweep", extra={"due_by": due.due_by.isoformat(), "outcomes": swept.outcomes,
                                "failed_lead_ids": swept.failed})
    return {"swept": sum(swept.outcomes.values()) + len(swept.failed), "outcomes": swept.outcomes,
            "failed": len(swept.failed)}


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    # The next schedule targets this very function: its ARN comes from the context, so
    # the template needs no self-reference.
    for config in (per_clock, per_return):
        config.register_lambda_context(context)
    due = scheduled_due.validate_python(event)
    if isinstance(due, SweepDue):
        return sweep_clocks(due, context.invoked_function_arn)
    if isinstance(due, FollowUpDue):
        return come_back(due=due, function_arn=context.invoked_function_arn)
    if isinstance(due, VisitsDigestDue):
        return tell_visits(due)
    return follow_up(due=due, function_arn=context.invoked_function_arn)


coldstart.init_done(PAUSED)  # the module is loaded: init is done
