"""Make moto answer one request at a time, as DynamoDB applies each request atomically.

moto's backends are plain Python objects: two threads running TransactWriteItems at
once can interleave (and crash with "dictionary changed size during iteration"), which
real DynamoDB never does. Serializing requests restores the semantics our race tests
rely on: conditions and transactions are checked and applied as one step.

Patched: `BotocoreStubber.__call__` (moto in-process, `mock_aws`) and
`DomainDispatcherApplication.__call__` (moto's server, `make dev`)."""

from __future__ import annotations

import functools
import threading
from typing import Any

# Held for the whole of each moto request; other patches may rely on it (see cheap_rollback).
REQUEST_LOCK = threading.RLock()
_patched = False


def patched_classes() -> tuple[type, ...]:
    """The moto classes whose `__call__` handles one request (in-process, server)."""
    from moto.core.botocore_stubber import BotocoreStubber
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication

    return BotocoreStubber, DomainDispatcherApplication


def serialize_moto_requests() -> None:
    """Patch moto's in-process stubber and its server app to handle one request at a time."""
    global _patched  # noqa: PLW0603 - one process-wide patch
    with REQUEST_LOCK:
        if _patched:
            return
        for cls in patched_classes():
            original = cls.__call__

            @functools.wraps(original)
            def atomic(self: Any, *args: Any, __original: Any = original, **kwargs: Any) -> Any:
                with REQUEST_LOCK:
                    return __original(self, *args, **kwargs)

            atomic.leadflow_serialized = True  # type: ignore[attr-defined]
            cls.__call__ = atomic  # type: ignore[method-assign]
        _patched = True
