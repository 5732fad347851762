"""Make moto answer one request at a time, as DynamoDB applies each request atomically.

moto's backends are plain Python objects: two threads running TransactWriteItems at
once can interleave (and crash with "dictionary changed size during iteration"), which
real DynamoDB never does. Serializing requests restores the semantics our race tests
rely on: conditions and transactions are checked and applied as one step."""

from __future__ import annotations

import functools
import threading
from typing import Any

_lock = threading.RLock()
_patched = False


def serialize_moto_requests() -> None:
    """Patch moto's in-process stubber and its server app to handle one request at a time."""
    global _patched  # noqa: PLW0603 - one process-wide patch
    with _lock:
        if _patched:
            return
        from moto.core.botocore_stubber import BotocoreStubber
        from moto.moto_server.werkzeug_app import DomainDispatcherApplication

        for cls in (BotocoreStubber, DomainDispatcherApplication):
            original = cls.__call__

            @functools.wraps(original)
            def atomic(self: Any, *args: Any, __original: Any = original, **kwargs: Any) -> Any:
                with _lock:
                    return __original(self, *args, **kwargs)

            cls.__call__ = atomic  # type: ignore[method-assign]
        _patched = True


def roll_back_only_what_a_transaction_touched() -> None:
    """Make a cancelled TransactWriteItems cost what it touches, not the whole table.

    moto snapshots every table a transaction names (a deep copy of all its items) and
    puts the copy back on cancellation: O(table size) per transaction, 400 ms at 3,000
    items, which made the local stack slow down as leads piled up. Here moto's table
    copy is skipped; the items the transaction names are saved and restored instead,
    and the stream records the cancelled writes produced are dropped, as DynamoDB
    never emits them. Safe because requests are serialized (serialize_moto_requests)."""
    global _cheap_rollback  # noqa: PLW0603 - one process-wide patch
    with _lock:
        if _cheap_rollback:
            return
        import copy

        import moto.dynamodb.models as dynamodb_models
        from moto.dynamodb.models.dynamo_type import DynamoType
        from moto.dynamodb.models.table import Table

        class TablesAreNotCopied:
            """Stands in for `copy` inside moto's DynamoDB backend: tables are not copied."""

            def __getattr__(self, name: str) -> Any:
                return getattr(copy, name)

            @staticmethod
            def deepcopy(value: Any, memo: Any = None) -> Any:
                return value if isinstance(value, Table) else copy.deepcopy(value, memo)

        dynamodb_models.copy = TablesAreNotCopied()  # type: ignore[assignment]
        original = dynamodb_models.DynamoDBBackend.transact_write_items

        def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
            saved: list[tuple[Any, Any, Any, Any]] = []
            shards: dict[int, tuple[Any, int]] = {}
            for entry in transact_items:
                _, op = next(iter(entry.items()))
                table = self.tables.get(op.get("TableName"))
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
                if table.stream_shard is not None:
                    shards.setdefault(id(table), (table.stream_shard, len(table.stream_shard.items)))
            try:
                return original(self, transact_items)
            except Exception:
                for table, hash_value, range_value, previous in reversed(saved):
                    _restore(table, hash_value, range_value, previous)
                for shard, length in shards.values():
                    del shard.items[length:]
                raise

        dynamodb_models.DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]
        _cheap_rollback = True


def _restore(table: Any, hash_value: Any, range_value: Any, previous: Any) -> None:
    if range_value is None:
        if previous is None:
            table.items.pop(hash_value, None)
        else:
            table.items[hash_value] = previous
        return
    partition = table.items[hash_value]
    if previous is None:
        partition.pop(range_value, None)
        if not partition:
            table.items.pop(hash_value, None)
    else:
        partition[range_value] = previous


_cheap_rollback = False
