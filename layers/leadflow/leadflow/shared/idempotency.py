"""Powertools idempotency over Leadflow's own table: the records of one use (an email
per assignment, a reminder per clock...) under one partition, removed by the table's
TTL, written through the container's one DynamoDB client."""

from __future__ import annotations

from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer, IdempotencyConfig

from leadflow.shared import aws
from leadflow.storage.keys import idempotency_partition

DAY_SECONDS = 86400


def once_per(key: str, days: int) -> IdempotencyConfig:
    """Do it once per `key` (a JMESPath into the function's input) for `days` days."""
    return IdempotencyConfig(event_key_jmespath=key, expires_after_seconds=days * DAY_SECONDS)


def records(table_name: str, use: str) -> DynamoDBPersistenceLayer:
    """Where the records of one use are kept: `IDEMPOTENCY#<use>` / `<function>#<hash>`.
    One per idempotent function: a persistence layer keeps the first config it is given."""
    return DynamoDBPersistenceLayer(
        table_name=table_name, key_attr="PK", sort_key_attr="SK", static_pk_value=idempotency_partition(use),
        expiry_attr="expires_at", boto3_client=aws.client("dynamodb"),
    )
