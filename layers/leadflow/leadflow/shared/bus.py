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
        result = self.client.put_events(Entries=[self.entry(detail_type, detail) for detail_type, detail in events])
        if result.get("FailedEntryCount"):
            codes = [e.get("ErrorCode") for e in result.get("Entries", []) if e.get("ErrorCode")]
            raise PublishFailed(f"{', '.join(t for t, _ in events)}: {codes}")

    def entry(self, detail_type: str, detail: BaseModel) -> dict[str, str]:
        return {"EventBusName": self.bus_name, "Source": SOURCE, "DetailType": detail_type,
                "Detail": detail.model_dump_json()}


# PutEvents takes at most 10 entries and 256 KB per call; a margin for what AWS adds.
MAX_ENTRIES_PER_CALL = 10
MAX_BYTES_PER_CALL = 240_000


class Outbox:
    """The events of a whole batch of records, put in as few PutEvents calls as fit
    (≤10 entries each) once the batch is done, instead of one call per record.

    Each record publishes through its own `sink(key)`; `flush()` then returns the keys
    of the records an entry of which EventBridge refused (or whose call failed), so the
    caller reports those records failed and they are retried. A retried record publishes
    its events again: subscribers are idempotent, and nothing is lost."""

    def __init__(self, publisher: EventPublisher) -> None:
        self.publisher = publisher
        self._pending: list[tuple[str, str, BaseModel]] = []  # (record key, detail-type, detail)

    def sink(self, key: str) -> _Sink:
        return _Sink(self, key)

    def add(self, key: str, events: list[tuple[str, BaseModel]]) -> None:
        self._pending.extend((key, detail_type, detail) for detail_type, detail in events)

    def discard(self, key: str) -> None:
        """Forget a record's events (the record failed: its retry publishes them)."""
        self._pending = [entry for entry in self._pending if entry[0] != key]

    def flush(self) -> list[str]:
        """Put every pending event; the keys of the records that must be retried, in order."""
        pending, self._pending = self._pending, []
        failed: list[str] = []
        for chunk in _chunks(pending, self.publisher.bus_name):
            try:
                result = self.publisher.client.put_events(Entries=[self.publisher.entry(detail_type, detail)
                                                                   for _, detail_type, detail in chunk])
                refused = [key for (key, _, _), entry in zip(chunk, result.get("Entries", []), strict=False)
                           if entry.get("ErrorCode")] if result.get("FailedEntryCount") else []
                if result.get("FailedEntryCount") and not refused:  # no per-entry answer: all of it
                    refused = [key for key, _, _ in chunk]
            except Exception:  # noqa: BLE001 - the whole call failed: its records are retried
                refused = [key for key, _, _ in chunk]
            failed += [key for key in dict.fromkeys(refused) if key not in failed]
        return failed


class _Sink:
    """One record's publisher (the EventPublisher interface), kept in the outbox."""

    def __init__(self, outbox: Outbox, key: str) -> None:
        self.outbox = outbox
        self.key = key

    def publish(self, detail_type: str, detail: BaseModel) -> None:
        self.publish_all([(detail_type, detail)])

    def publish_all(self, events: list[tuple[str, BaseModel]]) -> None:
        self.outbox.add(self.key, events)


def _chunks(pending: list[tuple[str, str, BaseModel]],
            bus_name: str) -> list[list[tuple[str, str, BaseModel]]]:
    chunks: list[list[tuple[str, str, BaseModel]]] = []
    size = 0
    for entry in pending:
        entry_size = len(entry[1]) + len(entry[2].model_dump_json().encode("utf-8")) + len(SOURCE) + len(bus_name)
        if not chunks or len(chunks[-1]) == MAX_ENTRIES_PER_CALL or size + entry_size > MAX_BYTES_PER_CALL:
            chunks.append([])
            size = 0
        chunks[-1].append(entry)
        size += entry_size
    return chunks
