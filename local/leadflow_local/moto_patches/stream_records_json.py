"""Answer DynamoDB Streams GetRecords with one `json.dumps`, not moto's shape walk.

moto serializes a GetRecords answer by walking botocore's output shape member by
member: every attribute value of every image is offered all ten AttributeValue members
(S, N, B, SS, ... each looked up under its aliases), so one GetRecords of a batch of
lead records cost ~35 ms, the largest single cost of the local pipeline (the stream
pump reads every record once per mapping). moto's records are already in the wire
format (DynamoDB JSON); here they are written out directly, with the only two
conversions moto's serializer makes on them: ApproximateCreationDateTime as epoch
seconds (milliseconds kept, as moto's JSON serializer does) and binary values base64
encoded (B, BS, also inside M and L). The records, the iterators and the errors are
moto's own: only the writing of the answer changes.

Relies on moto internals (tests/local/test_moto_patches.py checks that the answer is
the one moto's own serializer gives, for every attribute type):
`DynamoDBStreamsHandler.get_records` reading `ShardIterator` and `Limit` and calling
`backend.get_records(arn, limit)`, which returns `NextShardIterator` and `Records`
(dicts with the Record shape's members); `BaseResponse.call_action` sending a `str`
answer as the body; `TimestampSerializer._timestamp_unixtimestamp`."""

from __future__ import annotations

import base64
import json
import threading
from datetime import datetime, timezone
from typing import Any

_lock = threading.Lock()
_patched = False
# moto's own get_records, as it was before the patch (its test compares with it).
moto_get_records: Any = None

# The members of botocore's dynamodbstreams Record and StreamRecord shapes: moto's
# serializer writes only those (userIdentity is never set by moto).
_RECORD_MEMBERS = ("eventID", "eventName", "eventVersion", "eventSource", "awsRegion", "dynamodb", "userIdentity")
_STREAM_RECORD_MEMBERS = ("ApproximateCreationDateTime", "Keys", "NewImage", "OldImage", "SequenceNumber",
                          "SizeBytes", "StreamViewType")
_IMAGES = ("Keys", "NewImage", "OldImage")


def answer_get_records_as_json() -> None:
    """Install the patch (once per process)."""
    global _patched, moto_get_records  # noqa: PLW0603 - one process-wide patch
    with _lock:
        if _patched:
            return
        from moto.core.serialize import TimestampSerializer
        from moto.dynamodbstreams.responses import DynamoDBStreamsHandler

        epoch_seconds = TimestampSerializer._timestamp_unixtimestamp
        moto_get_records = DynamoDBStreamsHandler.get_records

        def get_records(self: Any) -> str:
            arn = self._get_param("ShardIterator")
            limit = self._get_param("Limit")
            result = self.backend.get_records(arn, 1000 if limit is None else limit)
            answer = {"NextShardIterator": result["NextShardIterator"],
                      "Records": [_record(r, epoch_seconds) for r in result["Records"]]}
            return json.dumps(answer)

        get_records.leadflow_json = True  # type: ignore[attr-defined]
        DynamoDBStreamsHandler.get_records = get_records  # type: ignore[method-assign]
        _patched = True


def _record(record: dict[str, Any], epoch_seconds: Any) -> dict[str, Any]:
    out = {k: record[k] for k in _RECORD_MEMBERS if record.get(k) is not None}
    ddb = record["dynamodb"]
    stream_record: dict[str, Any] = {}
    for key in _STREAM_RECORD_MEMBERS:
        value = ddb.get(key)
        if value is None:
            continue
        if key in _IMAGES:
            value = {name: _attribute(v) for name, v in value.items()}
        elif key == "ApproximateCreationDateTime" and isinstance(value, datetime):
            aware = value if value.tzinfo else value.replace(tzinfo=timezone.utc)
            value = epoch_seconds(aware)
        stream_record[key] = value
    out["dynamodb"] = stream_record
    return out


def _attribute(value: dict[str, Any]) -> dict[str, Any]:
    """An AttributeValue as moto's serializer writes it: binaries base64 encoded, maps
    and lists walked; everything else is already JSON."""
    (kind, inner), = value.items()
    if kind == "B":
        return {"B": _base64(inner)}
    if kind == "BS":
        return {"BS": [_base64(b) for b in inner]}
    if kind == "M":
        return {"M": {k: _attribute(v) for k, v in inner.items()}}
    if kind == "L":
        return {"L": [_attribute(v) for v in inner]}
    return value


def _base64(value: str | bytes) -> str:
    """What moto's serializer does to a blob (it encodes a str it is given too)."""
    raw = value.encode("utf-8") if isinstance(value, str) else value
    return base64.b64encode(raw).strip().decode("utf-8")
