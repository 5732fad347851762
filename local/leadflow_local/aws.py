"""The stack's own boto3 clients, on whatever endpoint boto3 is pointed at."""

from __future__ import annotations

import json
import threading
from typing import Any

import boto3
from botocore.config import Config


class AwsClients:
    """One client per service for the stack's own calls (creating resources, pumping).

    Account-id endpoints are off: moto answers on the classic host names only (botocore
    now routes streams to <account>.streams-ddb)."""

    def __init__(self, region: str) -> None:
        self.region = region
        self._clients: dict[str, Any] = {}
        self._lock = threading.Lock()

    def __call__(self, service: str) -> Any:
        with self._lock:
            if service not in self._clients:
                self._clients[service] = boto3.client(
                    service, region_name=self.region, config=Config(account_id_endpoint_mode="disabled"))
            return self._clients[service]

    def forget(self) -> None:
        """New clients from the next call on: what a test hooked on one goes with it."""
        with self._lock:
            self._clients.clear()


def send_to_queue_arn(sqs: Any, arn: str, body: dict[str, Any]) -> None:
    """Send a JSON message to the SQS queue an ARN names (a dead-letter or failure target)."""
    name = arn.rsplit(":", 1)[-1]
    sqs.send_message(QueueUrl=sqs.get_queue_url(QueueName=name)["QueueUrl"], MessageBody=json.dumps(body))


def queue_may_have_messages(queue_url: str, region: str) -> bool:
    """False only when the queue is moto's, in this process, and holds no message at
    all (visible, in flight or delayed): a ReceiveMessage would surely come back empty,
    so a pump need not make one. True whenever that cannot be told (any other endpoint)."""
    try:
        from moto.sqs.models import sqs_backends

        account_id, name = queue_url.rstrip("/").rsplit("/", 2)[-2:]
        queue = sqs_backends[account_id][region].queues.get(name) if account_id in sqs_backends else None
    except Exception:  # noqa: BLE001 - no moto here, or a URL of another shape: just poll
        return True
    return queue is None or bool(queue._messages)
