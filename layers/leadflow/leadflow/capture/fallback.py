"""The fallback queue: where a submission waits when the table cannot take it while a
visitor is waiting (throttling, an outage). A function drains it into the table later,
through the same exactly-once recording, so nobody's request is lost or doubled."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from pydantic import BaseModel

from leadflow.shared import aws
from leadflow.shared.models import Lead, Submission

# DynamoDB errors that say "not now" rather than "never": worth queueing.
TRANSIENT_CODES = frozenset({
    "ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded",
    "InternalServerError", "ServiceUnavailable", "TransactionConflictException",
    "TransactionInProgressException", "TransactionCanceledException", "LimitExceededException",
})


def is_transient(error: Exception) -> bool:
    """True for failures of the storage, not of the submission: network errors, timeouts,
    throttling, 5xx and transactions cancelled by conflicts rather than conditions."""
    if isinstance(error, ClientError):
        return error.response["Error"]["Code"] in TRANSIENT_CODES or \
            int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)) >= 500
    return isinstance(error, BotoCoreError)


class QueuedSubmission(BaseModel):
    """Everything needed to record a submission later, exactly as it would have been."""

    schema_version: str = "1"
    submission: Submission
    lead: Lead
    fingerprint: str | None = None


class FallbackQueue:
    def __init__(self, queue_url: str, client: Any | None = None) -> None:
        self.queue_url = queue_url
        self.client = client or aws.lazy_client("sqs")

    def put(self, queued: QueuedSubmission) -> None:
        self.client.send_message(QueueUrl=self.queue_url, MessageBody=queued.model_dump_json())
