"""Publishing domain events (leadflow.shared.events) on the project's EventBridge bus."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from leadflow.shared import aws
from leadflow.shared.events import SOURCE


class PublishFailed(Exception):
    """EventBridge refused an entry; the caller's record is retried."""


class EventPublisher:
    def __init__(self, bus_name: str, client: Any | None = None) -> None:
        self.bus_name = bus_name
        self.client = client or aws.lazy_client("events")

    def publish(self, detail_type: str, detail: BaseModel) -> None:
        """Put one event; a partial failure is a failure (PutEvents does not raise)."""
        self.publish_all([(detail_type, detail)])

    def publish_all(self, events: list[tuple[str, BaseModel]]) -> None:
        """Put up to 10 events in one call, in order; any failed entry fails the call, and
        the caller's retry publishes them all again (subscribers dedupe by submission id)."""
        if not events:
            return
        result = self.client.put_events(Entries=[{
            "EventBusName": self.bus_name, "Source": SOURCE,
            "DetailType": detail_type, "Detail": detail.model_dump_json(),
        } for detail_type, detail in events])
        if result.get("FailedEntryCount"):
            codes = [e.get("ErrorCode") for e in result.get("Entries", []) if e.get("ErrorCode")]
            raise PublishFailed(f"{', '.join(t for t, _ in events)}: {codes}")
