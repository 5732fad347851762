"""Make moto's Query cost what DynamoDB's does: the partition asked for, not the table.

moto answers every Query by first sorting every item of the table (`Table.all_items`),
so a Query on a table of 100,000 items takes seconds, and the local stack, its tests
and `make bench` would slow down as the table grows where DynamoDB does not. For a
Query on the table, `query` is given only the partition's items; for a Query on an
index, every item unsorted (moto sorts the index's matches itself). Scans keep the
sorted walk their pagination relies on. Requests are serialized
(serialized_requests.py), so the per-call override cannot be seen by another request.

Relies on moto internals (tests/local/test_moto_patches.py checks each one):
`Table.query` takes `hash_key` and `index_name` and reads the candidates through
`self.all_items()`; `Table.items` is hash → range → item on a table with a range key."""

from __future__ import annotations

import functools
import inspect
import threading
from typing import Any

_lock = threading.Lock()
_patched = False


def query_reads_one_partition() -> None:
    """Install the patch (once per process)."""
    global _patched  # noqa: PLW0603 - one process-wide patch
    with _lock:
        if _patched:
            return
        from moto.dynamodb.models.table import Table

        original = Table.query
        signature = inspect.signature(original)

        @functools.wraps(original)
        def query(self: Any, *args: Any, **kwargs: Any) -> Any:
            bound = signature.bind(self, *args, **kwargs)
            hash_key, index_name = bound.arguments.get("hash_key"), bound.arguments.get("index_name")
            if index_name:
                def items() -> list[Any]:
                    if not self.range_key_attr:
                        return list(self.items.values())
                    return [item for partition in self.items.values() for item in partition.values()]
            elif hash_key is not None and self.range_key_attr:
                def items() -> list[Any]:
                    return list(self.items.get(hash_key, {}).values())
            else:
                return original(self, *args, **kwargs)
            self.all_items = items  # shadows the method for this call only
            try:
                return original(self, *args, **kwargs)
            finally:
                del self.all_items

        query.leadflow_one_partition = True  # type: ignore[attr-defined]
        Table.query = query  # type: ignore[method-assign]
        _patched = True
