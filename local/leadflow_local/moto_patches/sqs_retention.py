"""Check a received message's retention period without describing the whole queue.

moto's ReceiveMessage checks each message it hands out against the queue's
MessageRetentionPeriod by calling `get_queue_attributes`, which computes every
attribute of the queue, its message counts included (each a walk over every message
in it), twice: the longer a queue's backlog, the more each message received costs
(about 6 ms a message with a hundred events waiting on a rule's queue). Here the check
reads the queue's retention period itself, the very value `get_queue_attributes`
would have returned, and decides as moto does.

Relies on moto internals (tests/local/test_moto_patches.py checks each one):
`SQSBackend.is_message_valid_based_on_retention_period(queue_name, message)` reading
`MessageRetentionPeriod` through `get_queue_attributes`, `Queue.message_retention_period`
(what that attribute is read from), `Message.sent_timestamp` (ms) and
`moto.sqs.models.unix_time`."""

from __future__ import annotations

import threading
from typing import Any

_lock = threading.Lock()
_patched = False
# moto's own check, as it was before the patch (its test reads it).
original_check: Any = None


def check_retention_from_the_queue() -> None:
    """Install the patch (once per process)."""
    global _patched, original_check  # noqa: PLW0603 - one process-wide patch
    with _lock:
        if _patched:
            return
        from moto.sqs import models as sqs_models

        original_check = sqs_models.SQSBackend.is_message_valid_based_on_retention_period

        def is_message_valid_based_on_retention_period(self: Any, queue_name: str, message: Any) -> bool:
            retention_period = self.get_queue(queue_name).message_retention_period
            retain_until = retention_period + message.sent_timestamp / 1000
            return bool(retain_until > sqs_models.unix_time())

        is_message_valid_based_on_retention_period.leadflow_direct = True  # type: ignore[attr-defined]
        sqs_models.SQSBackend.is_message_valid_based_on_retention_period = (  # type: ignore[method-assign]
            is_message_valid_based_on_retention_period)
        _patched = True
