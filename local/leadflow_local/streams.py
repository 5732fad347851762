"""The DynamoDB stream event source: the table's stream polled into stream functions.

As Lambda's event source mapping does, with the template's FilterCriteria, BatchSize,
StartingPosition, partial batch failures (ReportBatchItemFailures), bisection on a
function error, MaximumRetryAttempts and the OnFailure destination (which receives
where the records lie, not the records)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from leadflow_local.aws import AwsClients, send_to_queue_arn
from leadflow_local.moto_patches import forget_shard_iterators, shard_iterator_is_current
from leadflow_local.template import FunctionSpec

Invoke = Callable[[str, dict[str, Any]], Any]
# How often a mapping's shards are listed again (DescribeStream), as Lambda does now and then.
SHARDS_RELISTED_S = 10.0


@dataclass
class StreamMapping:
    function_id: str
    stream_arn: str
    batch_size: int
    max_retries: int
    bisect: bool
    partial_failures: bool
    filters: list[Any]  # moto EventPattern objects
    on_failure_arn: str | None
    starting_position: str
    positions: dict[str, str | None] = field(default_factory=dict)  # shard id -> last sequence read

    @classmethod
    def of(cls, spec: FunctionSpec, props: dict[str, Any]) -> StreamMapping:
        """The mapping a function's (resolved) `DynamoDB` event declares."""
        from moto.events.models import EventPattern  # moto's own pattern matcher

        filters = [EventPattern.load(f["Pattern"]) for f in props.get("FilterCriteria", {}).get("Filters", [])]
        on_failure = props.get("DestinationConfig", {}).get("OnFailure", {}).get("Destination")
        return cls(
            function_id=spec.logical_id, stream_arn=props["Stream"], batch_size=int(props.get("BatchSize", 100)),
            max_retries=int(props.get("MaximumRetryAttempts", -1)),
            bisect=bool(props.get("BisectBatchOnFunctionError", False)),
            partial_failures="ReportBatchItemFailures" in props.get("FunctionResponseTypes", []),
            filters=filters, on_failure_arn=on_failure, starting_position=props.get("StartingPosition", "LATEST"),
        )


class StreamPump:
    """Delivers the stream records of every mapping to its function."""

    def __init__(self, mappings: list[StreamMapping], clients: AwsClients, invoke: Invoke, failures: list[str],
                 *, function_arn: Callable[[str], str], region: str, account_id: str) -> None:
        self.mappings = mappings
        self.client = clients
        self._invoke = invoke
        self.failures = failures
        self._function_arn = function_arn
        self.region = region
        self.account_id = account_id
        # (mapping index, shard id) -> the iterator the last GetRecords returned.
        self._iterators: dict[tuple[int, str], str] = {}
        self._shards_listed: dict[int, float] = {}  # mapping index -> when its shards were listed

    def positions(self) -> list[dict[str, str | None]]:
        """Where each mapping is in each shard (to put back with `set_positions`)."""
        return [dict(mapping.positions) for mapping in self.mappings]

    def set_positions(self, positions: list[dict[str, str | None]]) -> None:
        for mapping, saved in zip(self.mappings, positions, strict=True):
            mapping.positions = dict(saved)
        self._iterators.clear()  # they read from where the pump was, not from `positions`
        self._shards_listed.clear()

    def pump(self) -> int:
        """Poll every stream mapping until caught up; returns how many records were read."""
        streams = self.client("dynamodbstreams")
        read = 0
        for index, mapping in enumerate(self.mappings):
            # The shards are listed again now and then (DynamoDB splits them as a table
            # grows), not on every poll; a mapping with no iterator kept lists them now.
            now = time.monotonic()
            if now - self._shards_listed.get(index, -SHARDS_RELISTED_S) >= SHARDS_RELISTED_S:
                shards = streams.describe_stream(StreamArn=mapping.stream_arn)["StreamDescription"]["Shards"]
                for shard in shards:
                    mapping.positions.setdefault(shard["ShardId"], None)
                self._shards_listed[index] = now
            for shard_id in list(mapping.positions):
                read += self._poll_shard(streams, index, mapping, shard_id)
        forget_shard_iterators(self.account_id, self.region, keep=self._iterators.values())
        return read

    def _iterator(self, streams: Any, index: int, mapping: StreamMapping, shard_id: str) -> str:
        """The shard's iterator kept from the last read, as Lambda keeps it; a fresh one
        after the last sequence number read when none is kept or the kept one went
        stale: moto restores a whole table object when a transaction is cancelled (or a
        test restores a snapshot), which leaves iterators taken earlier reading a stale
        copy of the shard."""
        kept = self._iterators.get((index, shard_id))
        if kept is not None and shard_iterator_is_current(self.account_id, self.region, kept):
            return kept
        last = mapping.positions[shard_id]
        position = {"ShardIteratorType": "AFTER_SEQUENCE_NUMBER", "SequenceNumber": last} if last \
            else {"ShardIteratorType": mapping.starting_position}
        return str(streams.get_shard_iterator(StreamArn=mapping.stream_arn, ShardId=shard_id,
                                              **position)["ShardIterator"])

    def _poll_shard(self, streams: Any, index: int, mapping: StreamMapping, shard_id: str) -> int:
        """Read a shard until caught up, in batches of the mapping's BatchSize."""
        read = 0
        while True:
            iterator = self._iterator(streams, index, mapping, shard_id)
            page = streams.get_records(ShardIterator=iterator, Limit=mapping.batch_size)
            if page.get("NextShardIterator"):
                self._iterators[(index, shard_id)] = page["NextShardIterator"]
            else:  # the shard is closed: nothing more will come from this iterator
                self._iterators.pop((index, shard_id), None)
            records = [self._lambda_record(r, mapping) for r in page.get("Records", [])]
            if not records:
                return read
            read += len(records)
            mapping.positions[shard_id] = records[-1]["dynamodb"]["SequenceNumber"]
            # Lambda drops records that match no filter, before the function sees them.
            batch = [r for r in records if not mapping.filters or any(f.matches_event(r) for f in mapping.filters)]
            if batch:
                self._deliver(mapping, shard_id, batch, mapping.max_retries)

    def _lambda_record(self, record: dict[str, Any], mapping: StreamMapping) -> dict[str, Any]:
        ddb = dict(record["dynamodb"])
        created = ddb.get("ApproximateCreationDateTime")
        if isinstance(created, datetime):
            ddb["ApproximateCreationDateTime"] = int(created.timestamp())
        return {
            "eventID": record.get("eventID") or uuid.uuid4().hex, "eventName": record["eventName"],
            "eventVersion": record.get("eventVersion", "1.1"), "eventSource": "aws:dynamodb",
            "awsRegion": self.region, "dynamodb": ddb, "eventSourceARN": mapping.stream_arn,
        }

    def _deliver(self, mapping: StreamMapping, shard_id: str, batch: list[dict[str, Any]], retries_left: int) -> None:
        """Lambda's retry semantics for one batch: resume from the first reported failure,
        split the batch on a function error when bisecting, give up to OnFailure."""
        function_error = False
        try:
            response = self._invoke(mapping.function_id, {"Records": batch})
            failed = {f["itemIdentifier"] for f in (response or {}).get("batchItemFailures", [])} \
                if mapping.partial_failures else set()
            first = next((i for i, r in enumerate(batch) if r["dynamodb"]["SequenceNumber"] in failed), None)
        except Exception:  # noqa: BLE001 - a function error, as Lambda sees it
            function_error, first = True, 0
        if first is None:
            return
        remaining = batch[first:]
        if retries_left == 0:
            self._gave_up(mapping, shard_id, remaining)
            return
        next_retries = retries_left - 1 if retries_left > 0 else -1
        if function_error and mapping.bisect and len(remaining) > 1:
            half = len(remaining) // 2
            self._deliver(mapping, shard_id, remaining[:half], next_retries)
            self._deliver(mapping, shard_id, remaining[half:], next_retries)
        else:
            self._deliver(mapping, shard_id, remaining, next_retries)

    def _gave_up(self, mapping: StreamMapping, shard_id: str, batch: list[dict[str, Any]]) -> None:
        """What Lambda sends to a stream's OnFailure destination: where the batch lies."""
        seqs = [r["dynamodb"]["SequenceNumber"] for r in batch]
        self.failures.append(f"{mapping.function_id}: gave up on {len(batch)} stream record(s)")
        if not mapping.on_failure_arn:
            return
        message = {
            "requestContext": {"condition": "RetryAttemptsExhausted",
                               "functionArn": self._function_arn(mapping.function_id)},
            "DDBStreamBatchInfo": {
                "shardId": shard_id, "startSequenceNumber": seqs[0], "endSequenceNumber": seqs[-1],
                "batchSize": len(batch), "streamArn": mapping.stream_arn,
            },
        }
        send_to_queue_arn(self.client("sqs"), mapping.on_failure_arn, message)
