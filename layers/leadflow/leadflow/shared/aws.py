"""The AWS clients of a container: one per service and use, shared by every store,
publisher and mailer of a function, and by Powertools' idempotency stores.

A boto3 client costs tens of milliseconds to create (its service model is loaded and
its event hooks copied), paid on every cold start; a Powertools idempotency store left
to itself even opens a boto3 session of its own. Clients are thread-safe and hold no
per-request state, so one per service and configuration is all a function needs.

And each is made on its first use (`lazy_client`), not at init: a function that never
reaches its fallback queue, dead-letter queue or hot-lead topic on a request never pays
for that client, and one that does pays once, inside the request that needs it."""

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


class LazyClient:
    """Stands for `client(service, use)` and creates it when first used (any attribute:
    an operation, `meta`, `exceptions`), then hands every attribute to it."""

    __slots__ = ("_client", "_service", "_use")

    def __init__(self, service: str, use: Use = "default") -> None:
        self._service = service
        self._use: Use = use
        self._client: Any = None

    def _resolved(self) -> Any:
        if self._client is None:
            self._client = client(self._service, self._use)
        return self._client

    def __getattr__(self, name: str) -> Any:
        return getattr(self._resolved(), name)

    # Setting or deleting an attribute (a test replacing an operation) acts on the client.
    def __setattr__(self, name: str, value: Any) -> None:
        if name in LazyClient.__slots__:
            object.__setattr__(self, name, value)
        else:
            setattr(self._resolved(), name, value)

    def __delattr__(self, name: str) -> None:
        delattr(self._resolved(), name)

    def __repr__(self) -> str:
        state = "created" if self._client is not None else "not created yet"
        return f"<LazyClient {self._service} ({self._use}), {state}>"


def lazy_client(service: str, use: Use = "default") -> Any:
    """The container's client for `service`, created (or found) on its first use."""
    return LazyClient(service, use)
