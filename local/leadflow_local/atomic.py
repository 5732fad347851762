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
