"""SQS event sources of the template: a queue's messages in batches to a function.

Messages the function reports as failed (ReportBatchItemFailures), or all of them on a
function error, stay in the queue: they come back after the visibility timeout, and the
queue's redrive policy moves them to its dead-letter queue, as with Lambda."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from leadflow_local.aws import AwsClients, queue_may_have_messages
from leadflow_local.functions import Invoke
from leadflow_local.template import FunctionSpec


@dataclass
class QueueSource:
    """An SQS event source mapping: the queue's messages in batches to a function."""

    function_id: str
    queue_arn: str
    queue_url: str
    batch_size: int
    partial_failures: bool

    @classmethod
    def of(cls, spec: FunctionSpec, props: dict[str, Any], clients: AwsClients) -> QueueSource:
        """The mapping a function's (resolved) `SQS` event declares."""
        queue_name = props["Queue"].rsplit(":", 1)[-1]
        return cls(
            function_id=spec.logical_id, queue_arn=props["Queue"],
            queue_url=clients("sqs").get_queue_url(QueueName=queue_name)["QueueUrl"],
            batch_size=int(props.get("BatchSize", 10)),
            partial_failures="ReportBatchItemFailures" in props.get("FunctionResponseTypes", []),
        )


class QueueSourcesPump:
    """Delivers one batch from each queue source per pump."""

    def __init__(self, sources: list[QueueSource], clients: AwsClients, invoke: Invoke, region: str) -> None:
        self.sources = sources
        self.client = clients
        self._invoke = invoke
        self.region = region

    def pump(self) -> int:
        """One batch from each SQS source; returns messages delivered."""
        sqs = self.client("sqs")
        delivered = 0
        for source in self.sources:
            if not queue_may_have_messages(source.queue_url, self.region):
                continue  # an empty queue: nothing to receive
            messages = sqs.receive_message(QueueUrl=source.queue_url, MaxNumberOfMessages=min(source.batch_size, 10),
                                           AttributeNames=["All"]).get("Messages", [])
            if not messages:
                continue
            delivered += len(messages)
            event = {"Records": [self._sqs_record(m, source) for m in messages]}
            try:
                response = self._invoke(source.function_id, event)
                failed = {f["itemIdentifier"] for f in (response or {}).get("batchItemFailures", [])} \
                    if source.partial_failures else set()
            except Exception:  # noqa: BLE001 - a function error: the whole batch stays
                failed = {m["MessageId"] for m in messages}
            done = [m for m in messages if m["MessageId"] not in failed]
            if done:
                sqs.delete_message_batch(QueueUrl=source.queue_url, Entries=[
                    {"Id": str(n), "ReceiptHandle": m["ReceiptHandle"]} for n, m in enumerate(done)])
        return delivered

    def _sqs_record(self, message: dict[str, Any], source: QueueSource) -> dict[str, Any]:
        return {
            "messageId": message["MessageId"], "receiptHandle": message["ReceiptHandle"], "body": message["Body"],
            "attributes": message.get("Attributes", {}), "messageAttributes": {},
            "md5OfBody": message.get("MD5OfBody", ""), "eventSource": "aws:sqs",
            "eventSourceARN": source.queue_arn, "awsRegion": self.region,
        }
