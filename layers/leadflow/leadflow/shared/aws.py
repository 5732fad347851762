"""The AWS clients of a container: one per service and use, shared by every store,
publisher and mailer of a function, and by Powertools' idempotency stores.

A boto3 client costs tens of milliseconds to create (its service model is loaded and
its event hooks copied), paid on every cold start; a Powertools idempotency store left
to itself even opens a boto3 session of its own. Clients are thread-safe and hold no
per-request state, so one per service and configuration is all a function needs."""

from __future__ import annotations

import os
import threading
from typing import Any, Literal

import boto3
from botocore.config import Config

Use = Literal["default", "person_waiting", "mail"]

_CONFIGS: dict[str, Config | None] = {
    "default": None,
    # A request a person waits on (a visitor posting a form, a manager clicking a link):
    # short timeouts and two attempts, so a failing service costs a second, not half a
    # minute, before the fallback takes over.
    "person_waiting": Config(connect_timeout=2, read_timeout=3, retries={"max_attempts": 2, "mode": "standard"}),
    # botocore's own retries absorb short SES throttling bursts before we give up.
    "mail": Config(retries={"max_attempts": 4, "mode": "adaptive"}),
}
_clients: dict[tuple[str, ...], Any] = {}
_lock = threading.Lock()


def client(service: str, use: Use = "default") -> Any:
    """The container's client for `service`, configured for `use`; created once. Keyed
    by the region and endpoint too: one on Lambda, but a local run may host stacks of
    several regions in one process."""
    key = (service, use, os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "",
           os.environ.get("AWS_ENDPOINT_URL") or "")
    found = _clients.get(key)
    if found is not None:
        return found
    with _lock:
        if key not in _clients:
            config = _CONFIGS[use]
            _clients[key] = boto3.client(service, config=config) if config else boto3.client(service)
        return _clients[key]
