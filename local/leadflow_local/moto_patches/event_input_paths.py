"""Parse each JSONPath of an EventBridge target's input once, not on every event.

moto's `EventTemplateParser.parse` builds every target's input on every matching event,
and parses each input path with `jsonpath_ng.ext.parse`, which builds a new PLY parser
each time: about 18 ms per rule matched, the largest single cost of a PutEvents in the
local stack. A JSONPath expression, once parsed, is only read (`find`), so parsed
expressions are kept by their text.

Relies on moto internals (tests/local/test_moto_patches.py checks it): the function
`moto.events.utils.EventTemplateParser.parse` importing `parse` from `jsonpath_ng.ext`
when it runs."""

from __future__ import annotations

import functools
import threading
from typing import Any

_lock = threading.Lock()
_patched = False
# jsonpath_ng's own parse, as it was before the patch (its test reads it).
original_parse: Any = None


def parse_input_paths_once() -> None:
    """Install the patch (once per process)."""
    global _patched, original_parse  # noqa: PLW0603 - one process-wide patch
    with _lock:
        if _patched:
            return
        import jsonpath_ng.ext

        original_parse = jsonpath_ng.ext.parse
        cached = functools.lru_cache(maxsize=256)(original_parse)
        cached.leadflow_cached = True  # type: ignore[attr-defined]
        jsonpath_ng.ext.parse = cached
        _patched = True
