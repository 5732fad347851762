"""Keep moto's DynamoDB Streams from remembering every shard iterator it handed out.

The stream pump asks for a fresh iterator on every poll (streams.py says why), and moto
keeps each one in `DynamoDBStreamsBackend.shard_iterators` forever: a long `make dev`
would grow without bound. Only the pump reads streams, so after each poll they are
forgotten. Relies on that dict (tests/local/test_moto_patches.py checks it)."""

from __future__ import annotations


def forget_shard_iterators(account_id: str, region: str) -> None:
    """Drop every shard iterator moto keeps for the account and region."""
    from moto.dynamodbstreams.models import dynamodbstreams_backends

    dynamodbstreams_backends[account_id][region].shard_iterators.clear()
