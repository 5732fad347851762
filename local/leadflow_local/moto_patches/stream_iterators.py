"""Shard iterators of moto's DynamoDB Streams: which are still current, and forgetting the rest.

The stream pump keeps each shard's `NextShardIterator` between polls, as Lambda's event
source mapping does, instead of taking a fresh iterator on every poll (one call less per
shard and poll). An iterator moto handed out holds the shard object it reads; when that
object is no longer the table's (moto puts back a whole copied table when a transaction
is cancelled, unless cheap_rollback.py is installed; a test restores a moto snapshot),
the iterator would read a stale copy and never see a new record: `shard_iterator_is_current` says so,
and the pump takes a fresh iterator after the last record it read.

moto also keeps every iterator it hands out (`get_records` makes a new one each time) in
`DynamoDBStreamsBackend.shard_iterators` forever: a long `make dev` would grow without
bound. Only the pump reads streams, so after each poll all but the kept ones are
forgotten. Relies on that dict, `ShardIterator.stream_shard`, `StreamShard.table` and
`Table.stream_shard` (tests/local/test_moto_patches.py checks them)."""

from __future__ import annotations

from collections.abc import Collection


def forget_shard_iterators(account_id: str, region: str, keep: Collection[str] = ()) -> None:
    """Drop every shard iterator moto keeps for the account and region, but those in `keep`."""
    from moto.dynamodbstreams.models import dynamodbstreams_backends

    iterators = dynamodbstreams_backends[account_id][region].shard_iterators
    kept = {name: iterators[name] for name in keep if name in iterators}
    iterators.clear()
    iterators.update(kept)


def shard_iterator_is_current(account_id: str, region: str, iterator: str) -> bool:
    """Whether a shard iterator moto handed out still reads its table's live shard (False
    when moto no longer knows it: then it cannot be used at all)."""
    from moto.dynamodb.models import dynamodb_backends
    from moto.dynamodbstreams.models import dynamodbstreams_backends

    found = dynamodbstreams_backends[account_id][region].shard_iterators.get(iterator)
    if found is None:
        return False
    shard = found.stream_shard
    table = dynamodb_backends[account_id][region].tables.get(shard.table.name)
    return table is not None and table.stream_shard is shard
