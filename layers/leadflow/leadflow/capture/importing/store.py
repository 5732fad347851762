"""What an import keeps in the one table (keys: leadflow.storage.keys), all in its own
partition `IMPORT#<id>`: the job with its counts (numbers change only by ADD), the
chunks of rows still to store (with the person's data: TTL), the imported leads as the
scorer routed them, and each manager's summary email, sent once."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError
from pydantic import BaseModel, Field

from leadflow.capture.importing.rows import RowRefusal
from leadflow.shared.clock import json_time
from leadflow.shared.models import Lead
from leadflow.storage import keys
from leadflow.storage.codec import from_item, plain, to_item, wire
from leadflow.storage.table import BATCH_WRITE_ITEMS, Table
from leadflow.storage.transactions import Cancelled, condition_failed

# Chunks hold names, emails and phones: gone a week after the import, done or not.
CHUNK_TTL_SECONDS = 7 * 86400
ROUTED_TTL_SECONDS = 30 * 86400


class ImportCounts(BaseModel):
    """How far an import went; each number only ever goes up (ADD)."""

    chunks_done: int = 0
    stored_new: int = 0  # rows that made a new lead
    attached: int = 0  # rows attached to the person's existing lead
    unchanged: int = 0  # rows imported before (this file again): nothing stored
    late_refused: int = 0  # rows the form's rules refused by the time their chunk ran
    routed: int = 0  # stored rows scored and assigned (or left unassigned)
    assigned: int = 0
    unassigned: int = 0
    summaries_sent: int = 0


class ImportRecord(ImportCounts):
    """The job: what was asked, what the file held, how far it went."""

    import_id: str
    form_id: str
    campaign: str | None = None
    created_at: datetime
    created_by: str
    rows: int  # data rows in the file
    to_store: int  # rows that passed the checks, in chunks
    chunks: int
    refused: int  # rows refused when the file was read
    refusals: list[RowRefusal] = Field(default_factory=list)  # the first MAX_KEPT_REFUSALS of them
    completed_at: datetime | None = None


class Chunk(BaseModel):
    """Rows to store, by number, with their cells by field name."""

    number: int
    rows: list[tuple[int, dict[str, str]]]
    done: bool = False


class RoutedLead(BaseModel):
    """An imported submission as the scorer left it: its lead, its manager (None:
    unassigned), whether the row made the lead."""

    submission_id: str
    lead_id: str
    manager_id: str | None = None  # stored without it when unassigned
    is_new_lead: bool


COUNTERS = tuple(ImportCounts.model_fields)


class ImportStore:
    def __init__(self, table: Table) -> None:
        self.table = table

    # -- the job -------------------------------------------------------------------------

    def create(self, record: ImportRecord, chunks: list[Chunk]) -> None:
        """The chunks first, then the job: a job that exists has all its rows."""
        expires = int(record.created_at.timestamp()) + CHUNK_TTL_SECONDS
        self._put_all([to_item(keys.import_chunk_key(record.import_id, c.number), "import_chunk", c,
                               expires_at=expires) for c in chunks])
        self.table.put(to_item(keys.import_key(record.import_id), "import", record), "attribute_not_exists(PK)")

    def get(self, import_id: str) -> ImportRecord | None:
        return self.table.get_model(keys.import_key(import_id), ImportRecord)

    def get_chunk(self, import_id: str, number: int) -> Chunk | None:
        return self.table.get_model(keys.import_chunk_key(import_id, number), Chunk)

    def chunks_not_done(self, import_id: str) -> list[int]:
        """The numbers of the chunks not stored yet (expired ones are gone with their rows)."""
        items = self.table.query(
            ConsistentRead=True, KeyConditionExpression="PK = :pk AND begins_with(SK, :chunk)",
            ProjectionExpression="#n, done", ExpressionAttributeNames={"#n": "number"},
            ExpressionAttributeValues=wire({":pk": keys.import_partition(import_id), ":chunk": keys.CHUNK_PREFIX}))
        return [int(item["number"]) for item in map(plain, items) if not item.get("done")]

    def finish_chunk(self, import_id: str, number: int, counts: dict[str, int]) -> bool:
        """Mark the chunk stored and add its counts to the job, once: False when another
        delivery of the same chunk got there first (nothing added)."""
        adds = {name: value for name, value in counts.items() if value}
        update = "ADD " + ", ".join(f"{name} :{name}" for name in ("chunks_done", *adds))
        try:
            self.table.transact([
                self.table.update_op(keys.import_chunk_key(import_id, number), "SET done = :yes",
                                     condition="attribute_exists(PK) AND done <> :yes", values={":yes": True}),
                self.table.update_op(keys.import_key(import_id), update, condition="attribute_exists(PK)",
                                     values={":chunks_done": 1, **{f":{k}": v for k, v in adds.items()}}),
            ])
        except Cancelled as cancelled:
            if cancelled.conflict:
                raise cancelled.error from None
            return False
        return True

    def note_routed(self, import_id: str, routed: RoutedLead, now: datetime) -> bool:
        """Count an imported submission as routed, once per submission (a redelivered
        event adds nothing); False when it was counted before."""
        outcome = "assigned" if routed.manager_id else "unassigned"
        item = to_item(keys.import_routed_key(import_id, routed.submission_id), "import_routed", routed,
                       expires_at=int(now.timestamp()) + ROUTED_TTL_SECONDS)
        try:
            self.table.transact([
                self.table.put_op(item, "attribute_not_exists(PK)"),
                self.table.update_op(keys.import_key(import_id), f"ADD routed :one, {outcome} :one",
                                     condition="attribute_exists(PK)", values={":one": 1}),
            ])
        except Cancelled as cancelled:
            if cancelled.conflict:
                raise cancelled.error from None
            return False
        return True

    def routed_leads(self, import_id: str) -> list[RoutedLead]:
        items = self.table.query(
            ConsistentRead=True, KeyConditionExpression="PK = :pk AND begins_with(SK, :routed)",
            ExpressionAttributeValues=wire({":pk": keys.import_partition(import_id), ":routed": keys.ROUTED_PREFIX}))
        return [RoutedLead.model_validate(from_item(item)) for item in items]

    def lead_cards(self, lead_ids: list[str]) -> list[Lead]:
        return [Lead.model_validate(from_item(item)) for item in self.table.batch_get(
            [keys.lead_key(lead_id) for lead_id in lead_ids])]

    def claim_summary(self, import_id: str, manager_id: str, now: datetime) -> bool:
        """Claim a manager's summary email before sending it: False when it was sent."""
        try:
            self.table.put(to_item(keys.import_summary_key(import_id, manager_id), "import_summary",
                                   manager_id=manager_id, sent_at=json_time(now)), "attribute_not_exists(PK)")
        except ClientError as error:
            if condition_failed(error):
                return False
            raise
        return True

    def release_summary(self, import_id: str, manager_id: str) -> None:
        """The email could not be sent: the next try sends it."""
        self.table.client.delete_item(TableName=self.table.name,
                                      Key=wire(keys.import_summary_key(import_id, manager_id)))

    def complete(self, import_id: str, now: datetime, summaries_sent: int) -> bool:
        """Mark the job completed, once."""
        try:
            self.table.update(keys.import_key(import_id), "SET completed_at = :now ADD summaries_sent :sent",
                              condition="attribute_exists(PK) AND attribute_not_exists(completed_at)",
                              values={":now": json_time(now), ":sent": summaries_sent})
        except ClientError as error:
            if condition_failed(error):
                return False
            raise
        return True

    # -- the dry run's lookups (reads only) ------------------------------------------------

    def existing(self, item_keys: list[keys.Key]) -> set[str]:
        """The PKs of the items that exist among these keys (markers, identities)."""
        return {item["PK"]["S"] for item in self.table.batch_get(item_keys, projection="PK")}

    def _put_all(self, items: list[dict[str, Any]]) -> None:
        """BatchWriteItem in batches of 25, retrying what DynamoDB leaves unprocessed."""
        for start in range(0, len(items), BATCH_WRITE_ITEMS):
            request: dict[str, Any] = {self.table.name: [{"PutRequest": {"Item": item}}
                                                         for item in items[start:start + BATCH_WRITE_ITEMS]]}
            for attempt in range(8):
                request = self.table.client.batch_write_item(RequestItems=request).get("UnprocessedItems") or {}
                if not request:
                    break
                time.sleep(min(0.05 * 2 ** attempt, 2.0))
            if request:
                raise RuntimeError(f"{len(request[self.table.name])} chunks left unprocessed (throttled)")
