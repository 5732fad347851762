"""The garbage collector at a cold start.

Lambda's init imports a few thousand modules' worth of objects (Powertools, botocore,
pydantic, the domain) that live as long as the container. Python's collector walks
every one of them on each full collection, two or three of which fall in init and the
first request: 30-40 ms of a cold start, freeing almost nothing (about 700 objects).

So a function's app.py pauses the collector before its imports, on Lambda only
(`paused_for_init`: one process is one container there; locally many containers share
a process and come and go), and calls `init_done` when its module-level setup is done:
the collector runs again, with what init made frozen (`gc.freeze`: kept out of every
later collection, as it is never garbage). What a request makes is collected as ever."""

from __future__ import annotations

import gc
import os


def paused_for_init() -> bool:
    """Pause the collector for the init that follows, on Lambda; says whether it did."""
    if "AWS_LAMBDA_FUNCTION_NAME" not in os.environ or not gc.isenabled():
        return False
    gc.disable()
    return True


def init_done(paused: bool) -> None:
    """After init: the collector on again, init's objects frozen (if it was paused)."""
    if paused:
        gc.freeze()
        gc.enable()
