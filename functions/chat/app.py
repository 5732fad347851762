"""chat: the enrichment step of the hot-lead chat pipe (template: ChatWebhookUrl).

EventBridge Pipes hands it the SQS records of `Lead Assigned` events (ids only, a
batch of one); it returns the chat message the pipe's API destination posts, or `[]`
(nothing to post: the pipe calls no target). It only reads: a retried message makes
the same message again. A failure leaves the record in the queue (retried, then the
dead-letter queue with its alarm)."""
# ruff: noqa: E402 (the imports follow the collector's pause)

from leadflow.shared import coldstart

PAUSED = coldstart.paused_for_init()  # no garbage collection until init is done (its end, below)

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from leadflow.notification.chat import ChatStore, messages_for
from leadflow.shared import tracing
from leadflow.shared.settings import ChatSettings
from leadflow.storage.table import Table

settings = ChatSettings.from_env()
logger = Logger()
tracer = tracing.tracer()  # Powertools' Tracer only with detailed tracing on
store = ChatStore(Table(settings.table_name))


@logger.inject_lambda_context
@tracer.capture_lambda_handler
def lambda_handler(event: list[dict[str, Any]], context: LambdaContext) -> Any:
    messages = messages_for(event, store, settings.console_url)
    # Counts only: the messages carry the lead's name.
    logger.info("chat messages", extra={"records": len(event), "messages": len(messages)})
    # An API destination takes one body per call: the pipe reads a batch of one.
    return messages[0] if len(messages) == 1 else messages


coldstart.init_done(PAUSED)  # the module is loaded: init is done
