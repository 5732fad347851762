"""Make a cancelled TransactWriteItems cost what it touches, not the whole table.

moto snapshots every table a transaction names (`copy.deepcopy` of the Table, all its
items) and puts the copy back on cancellation: O(table size) per transaction, 400 ms at
3,000 items, which made the local stack slow down as leads piled up. Here moto's table
copy is skipped; the items the transaction names are saved and restored instead, and
the stream records the cancelled writes produced are dropped, as DynamoDB never emits
them. Safe because requests are serialized (serialized_requests.py).

Relies on moto internals (tests/local/test_moto_patches.py checks each one): the module
`moto.dynamodb.models` calling `copy.deepcopy(table)` in
`DynamoDBBackend.transact_write_items(self, transact_items)`; `Table.get_item(hash,
range)`, `Table.items` (hash → item, or hash → range → item), `Table.hash_key_attr`,
`Table.range_key_attr` and `Table.stream_shard.items` (the stream's records, a list)."""

from __future__ import annotations

import copy
from typing import Any

from leadflow_local.moto_patches.serialized_requests import REQUEST_LOCK

_patched = False
# moto's own transact_write_items, as it was before the patch (its test reads it).
original_transact_write_items: Any = None


class TablesAreNotCopied:
    """Stands in for `copy` inside moto's DynamoDB backend: tables are not copied."""

    def __getattr__(self, name: str) -> Any:
        return getattr(copy, name)

    @staticmethod
    def deepcopy(value: Any, memo: Any = None) -> Any:
        from moto.dynamodb.models.table import Table

        return value if isinstance(value, Table) else copy.deepcopy(value, memo)


def roll_back_only_what_a_transaction_touched() -> None:
    """Install the patch (once per process)."""
    global _patched, original_transact_write_items  # noqa: PLW0603 - one process-wide patch
    with REQUEST_LOCK:
        if _patched:
            return
        import moto.dynamodb.models as dynamodb_models

        dynamodb_models.copy = TablesAreNotCopied()  # type: ignore[assignment]
        original = original_transact_write_items = dynamodb_models.DynamoDBBackend.transact_write_items

        def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
            saved = _save_touched_items(self, transact_items)
            shards = {id(table): (table.stream_shard, len(table.stream_shard.items))
                      for table, *_ in saved if table.stream_shard is not None}
            try:
                return original(self, transact_items)
            except Exception:
                for table, hash_value, range_value, previous in reversed(saved):
                    _restore(table, hash_value, range_value, previous)
                for shard, length in shards.values():
                    del shard.items[length:]
                raise

        transact_write_items.leadflow_cheap_rollback = True  # type: ignore[attr-defined]
        dynamodb_models.DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]
        _patched = True


def _save_touched_items(backend: Any, transact_items: list[dict[str, Any]]) -> list[tuple[Any, Any, Any, Any]]:
    """(table, hash, range, a copy of the item or None) for each item the transaction names."""
    from moto.dynamodb.models.dynamo_type import DynamoType

    saved: list[tuple[Any, Any, Any, Any]] = []
    for entry in transact_items:
        _, op = next(iter(entry.items()))
        table = backend.tables.get(op.get("TableName"))
        key = op.get("Key") or op.get("Item")
        if table is None or not key or table.hash_key_attr not in key:
            continue  # moto itself refuses it before writing anything
        hash_value = DynamoType(key[table.hash_key_attr])
        range_value = DynamoType(key[table.range_key_attr]) if table.range_key_attr in key else None
        try:
            previous = table.get_item(hash_value, range_value)
        except Exception:  # noqa: BLE001, S112 - a malformed key: moto reports it
            continue
        saved.append((table, hash_value, range_value, copy.deepcopy(previous)))
    return saved


def _restore(table: Any, hash_value: Any, range_value: Any, previous: Any) -> None:
    if range_value is None:
        if previous is None:
            table.items.pop(hash_value, None)
        else:
            table.items[hash_value] = previous
        return
    partition = table.items.setdefault(hash_value, {})
    if previous is None:
        partition.pop(range_value, None)
        if not partition:
            table.items.pop(hash_value, None)
    else:
        partition[range_value] = previous
