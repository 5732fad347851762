"""A CSV import, from the uploaded file to leads in their managers' queues.

`dry_run` reads the file and says what each row would do, writing nothing. `start_import`
reads and checks the file the same way, keeps the good rows in chunks in the table
(the job's own record last), and queues one message per chunk. `store_chunk` (the import
function, one chunk per message) sends each row through capture's own store, as a web
post goes: the same dedupe, then the stream scores and assigns it like any post. A row's
marker never expires, so a file imported again stores nothing new, and a retried chunk
counts the rows it stored before failing as it first did. `note_routed` counts each
imported submission the scorer announced; once every chunk is stored and every stored
row routed, each manager gets one email listing their new leads (`finish`)."""

from __future__ import annotations

import base64
import binascii
import json
import logging
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, Protocol

from pydantic import BaseModel, Field

from leadflow.capture.form_admin import FORM_ID_PATTERN, FormNotFound
from leadflow.capture.importing.csv_file import IGNORE, MAX_FILE_BYTES, CsvFile, FileRefused, read_csv, refuse
from leadflow.capture.importing.rows import (
    CheckedRow,
    RowRefusal,
    check_row,
    imported_submission,
    row_fingerprint,
    row_submission_id,
)
from leadflow.capture.importing.store import Chunk, ImportRecord, ImportStore, RoutedLead
from leadflow.capture.store import CaptureStore, LeadVanished, Recorded, identity_keys
from leadflow.referrals.attribution import PartnerCatalog, attribute
from leadflow.shared.clock import utc_now
from leadflow.shared.events import LeadAssigned, LeadUnassigned
from leadflow.shared.hashing import PersonalDataHasher
from leadflow.shared.http import FieldError
from leadflow.shared.models import FormConfig
from leadflow.shared.refusal import NotFound
from leadflow.storage import keys

logger = logging.getLogger(__name__)

CHUNK_ROWS = 100
CHUNK_BYTES = 200_000  # well under DynamoDB's 400 KB per item, whatever the rows hold
MAX_KEPT_REFUSALS = 1000  # in the job's record; the answer to the upload lists them all
IMPORT_ID_PATTERN = r"^[0-9a-f]{32}$"
Outcome = Literal["new", "attached", "unchanged", "refused"]


class ImportNotFound(NotFound):
    code = "import_not_found"


# -- what an admin sends and gets ------------------------------------------------------------


class ImportRequest(BaseModel):
    """An import: the file, the form its leads come through, how its columns map."""

    form_id: str = Field(pattern=FORM_ID_PATTERN, description="the form the rows are imported into: its "
                         "language, default country, rules and scoring profile apply")
    file: str = Field(min_length=1, max_length=MAX_FILE_BYTES * 4 // 3 + 4,
                      description="the CSV file, base64-encoded: UTF-8 (with or without BOM) or Windows-1252, "
                                  "`,` or `;` between cells, a header row first")
    mapping: dict[str, str] = Field(default_factory=dict, max_length=100, description=(
        "header as written in the file → the field it fills (`email`, `phone`, `first_name`, `utm_source`..., "
        f"or `{IGNORE}`); other headers are read as form fields are (`E-mail`, `Nombre`, `Tel`...)"))
    campaign: str | None = Field(default=None, max_length=200,
                                 description="the `utm_campaign` of rows that name none (a trade show, a partner)")

    model_config = {"json_schema_extra": {"examples": [{
        "form_id": "demo", "campaign": "expo-2026",
        "file": base64.b64encode(b"Name,Email,Company\nJane Doe,jane@acme-corp.com,Acme Corp\n").decode()}]}}

    def file_bytes(self) -> bytes:
        try:
            return base64.b64decode(self.file, validate=True)
        except (binascii.Error, ValueError):
            raise refuse("not_base64", "`file` must be the file's bytes in base64") from None


class RowPlan(BaseModel):
    """What a row would do: a new lead, attached to the person's existing lead,
    unchanged (imported before), or refused (with why)."""

    row: int
    outcome: Outcome
    errors: list[RowRefusal] = Field(default_factory=list)


class DryRun(BaseModel):
    """What importing the file would do, row by row; nothing was written."""

    form_id: str
    encoding: str
    separator: str
    columns: dict[str, str] = Field(description="each header → the field it fills (`ignore`: left out)")
    rows: int
    new: int
    attached: int
    unchanged: int
    refused: int
    plan: list[RowPlan]


class ImportJob(ImportRecord):
    """An import as it stands: `storing` its chunks, `routing` (every row stored, the
    scorer still assigning), `completed` (the managers' summaries sent)."""

    status: Literal["storing", "routing", "completed"]
    progress: float = Field(description="0 to 1: rows stored and routed over rows to store and route")

    @classmethod
    def of(cls, record: ImportRecord) -> ImportJob:
        stored = record.stored_new + record.attached
        if record.completed_at:
            status: Literal["storing", "routing", "completed"] = "completed"
        elif record.chunks_done < record.chunks:
            status = "storing"
        else:
            status = "routing"
        done_rows = record.stored_new + record.attached + record.unchanged + record.late_refused
        total = record.to_store + stored
        progress = 1.0 if status == "completed" or not total else min(1.0, (done_rows + record.routed) / total)
        return cls(**record.model_dump(), status=status, progress=round(progress, 4))


# -- collaborators -------------------------------------------------------------------------


class ChunkQueue(Protocol):
    def send(self, import_id: str, chunk_numbers: list[int]) -> None: ...

    def send_finish(self, import_id: str) -> None: ...


class SqsChunkQueue:
    """The import queue: one message per chunk, ten to a call."""

    def __init__(self, queue_url: str, client: Any) -> None:
        self.queue_url = queue_url
        self.client = client

    def send(self, import_id: str, chunk_numbers: list[int]) -> None:
        for start in range(0, len(chunk_numbers), 10):
            batch = chunk_numbers[start:start + 10]
            answer = self.client.send_message_batch(QueueUrl=self.queue_url, Entries=[
                {"Id": str(n), "MessageBody": ChunkMessage(import_id=import_id, chunk=n).model_dump_json()}
                for n in batch])
            if answer.get("Failed"):
                raise RuntimeError(f"{len(answer['Failed'])} chunk messages not queued")

    def send_finish(self, import_id: str) -> None:
        self.client.send_message(QueueUrl=self.queue_url,
                                 MessageBody=ChunkMessage(import_id=import_id, finish=True).model_dump_json())


class ChunkMessage(BaseModel):
    """The import queue's message: which chunk of which import to store, or (`finish`)
    to send the summaries of a resumed import whose routing stalled."""

    import_id: str
    chunk: int = 0
    finish: bool = False


class SummarySender(Protocol):
    def __call__(self, record: ImportRecord, form: FormConfig | None, manager_id: str, leads: list[Any]) -> None: ...


@dataclass
class Importer:
    """The import's collaborators: the table's stores, the hash key, the clock."""

    imports: ImportStore
    capture: CaptureStore
    hasher: PersonalDataHasher
    clock: Callable[[], datetime] = utc_now
    # A row with a `ref` column is a partner's referral, attributed as capture attributes
    # a post (leadflow.referrals.attribution); None: its code is kept, no partner looked up.
    partners: PartnerCatalog | None = None

    # -- reading the file ------------------------------------------------------------------

    def _read(self, request: ImportRequest) -> tuple[FormConfig, CsvFile, list[CheckedRow]]:
        form = self.capture.get_form(request.form_id, consistent=True)
        if form is None:
            raise FormNotFound(request.form_id)
        if not form.enabled:
            raise refuse("form_disabled", "the form is switched off: switch it on to import into it", "form_id")
        csv_file = read_csv(request.file_bytes(), request.mapping)
        return form, csv_file, [check_row(form, row.number, row.fields, request.campaign) for row in csv_file.rows]

    def dry_run(self, request: ImportRequest) -> DryRun:
        """What importing the file would do, row by row: reads only."""
        form, csv_file, checked = self._read(request)
        valid = [c for c in checked if c.valid is not None]
        prints = {c.number: row_fingerprint(form.form_id, c.valid, self.hasher) for c in valid if c.valid}
        lookups = [keys.double_submit_key(fp) for fp in prints.values()]
        lookups += [k for c in valid if c.valid for k in identity_keys(c.valid.contact)]
        known = self.imports.existing(list({k["PK"]: k for k in lookups}.values()))
        plan: list[RowPlan] = []
        for row in checked:
            if row.valid is None:
                plan.append(RowPlan(row=row.number, outcome="refused", errors=row.refusals))
                continue
            marker = keys.double_submit_key(prints[row.number])["PK"]
            people = [k["PK"] for k in identity_keys(row.valid.contact)]
            outcome: Outcome = "unchanged" if marker in known else \
                "attached" if any(pk in known for pk in people) else "new"
            known.update([marker, *people])  # a later row of the same person joins this one
            plan.append(RowPlan(row=row.number, outcome=outcome))
        counts = {o: sum(p.outcome == o for p in plan) for o in ("new", "attached", "unchanged", "refused")}
        return DryRun(form_id=form.form_id, encoding=csv_file.encoding, separator=csv_file.separator,
                      columns=csv_file.columns, rows=len(plan), plan=plan, **counts)

    # -- the job ----------------------------------------------------------------------------

    def start_import(self, request: ImportRequest, queue: ChunkQueue, created_by: str) -> tuple[ImportJob,
                                                                                                list[RowRefusal]]:
        """Check the file, keep its good rows in chunks, queue them: the job and every
        refused row. A file with no good row at all is refused (nothing written)."""
        form, csv_file, checked = self._read(request)
        refusals = [r for c in checked for r in c.refusals]
        good = [c for c in checked if c.valid is not None]
        if not good:
            raise FileRefused([FieldError(field=f"row {r.row}.{r.field}" if r.field else f"row {r.row}",
                                          code=r.code, message=r.message) for r in refusals],
                              "no row of the file can be imported")
        rows = {row.number: row.fields for row in csv_file.rows}
        chunks = list(_chunks([(c.number, rows[c.number]) for c in good]))
        record = ImportRecord(
            import_id=uuid.uuid4().hex, form_id=form.form_id, campaign=request.campaign, created_at=self.clock(),
            created_by=created_by, rows=len(checked), to_store=len(good), chunks=len(chunks),
            refused=len(checked) - len(good), refusals=refusals[:MAX_KEPT_REFUSALS],
        )
        self.imports.create(record, chunks)
        queue.send(record.import_id, [c.number for c in chunks])
        return ImportJob.of(record), refusals

    def status(self, import_id: str) -> ImportJob:
        record = self.imports.get(import_id)
        if record is None:
            raise ImportNotFound("there is no import with this id", [FieldError(
                field="import_id", code="import_not_found", message="there is no import with this id")])
        return ImportJob.of(record)

    def resume(self, import_id: str, queue: ChunkQueue) -> ImportJob:
        """Queue again the chunks not stored yet (a chunk parked in the dead-letter queue,
        a queue that missed a message); with every chunk stored, have the import
        function send the summaries of what was routed so far and complete the job."""
        job = self.status(import_id)
        if job.status == "storing":
            queue.send(import_id, self.imports.chunks_not_done(import_id))
        elif job.status == "routing":
            queue.send_finish(import_id)
        return job

    def store_chunk(self, message: ChunkMessage) -> dict[str, int] | None:
        """Store one chunk's rows through capture's store, once; the counts it added
        (None: already stored, or gone with its TTL)."""
        chunk = self.imports.get_chunk(message.import_id, message.chunk)
        record = self.imports.get(message.import_id)
        if chunk is None or record is None or chunk.done:
            return None
        form = self.capture.get_form(record.form_id)
        counts = dict.fromkeys(("stored_new", "attached", "unchanged", "late_refused"), 0)
        for number, fields in chunk.rows:
            outcome = self._store_row(form, record, number, fields)
            counts[outcome] += 1
        if not self.imports.finish_chunk(message.import_id, message.chunk, counts):
            return None
        return counts

    def _store_row(self, form: FormConfig | None, record: ImportRecord, number: int, fields: dict[str, str]) -> str:
        checked = check_row(form, number, fields, record.campaign) if form else None
        if checked is None or checked.valid is None:
            return "late_refused"  # the form's rules changed (or it went) since the file was read
        valid = checked.valid
        if valid.source.ref:
            valid = valid.model_copy(update={"source": attribute(valid.source, self.partners)})
        submission, lead = imported_submission(form, valid, record.import_id, number, self.clock())
        fingerprint = row_fingerprint(form.form_id, checked.valid, self.hasher)
        recorded = self._record(submission, lead, fingerprint)
        if recorded.duplicate:
            if recorded.submission_id != row_submission_id(record.import_id, number):
                return "unchanged"  # imported before, by another import (or twice in this file)
            # This chunk's earlier try stored it before failing: counted as it was stored.
            return "stored_new" if recorded.marker_new_lead else "attached"
        return "stored_new" if recorded.is_new_lead else "attached"

    def _record(self, submission: Any, lead: Any, fingerprint: str) -> Recorded:
        try:
            return self.capture.record_submission(submission, lead, fingerprint, marker_seconds=None)
        except LeadVanished:  # as capture does: once more, then the chunk is retried
            return self.capture.record_submission(submission, lead, fingerprint, marker_seconds=None)

    # -- routed, then the summaries ----------------------------------------------------------

    def note_routed(self, event: LeadAssigned | LeadUnassigned) -> bool:
        """Count one imported submission as the scorer announced it; False when counted before."""
        if not event.import_id:
            return False
        routed = RoutedLead(submission_id=event.submission_id, lead_id=event.lead_id,
                            manager_id=getattr(event, "manager_id", None), is_new_lead=event.is_new_lead)
        return self.imports.note_routed(event.import_id, routed, self.clock())

    def finish(self, import_id: str, send_summary: SummarySender, *, force: bool = False) -> bool:
        """Once every chunk is stored and every stored row routed (or when an admin
        resumes a job whose routing stalled: `force`), one email per manager listing
        their new leads from this import, then the job is completed. True when it is."""
        record = self.imports.get(import_id)
        if record is None or record.completed_at:
            return False
        all_stored = record.chunks_done >= record.chunks
        if not all_stored or (not force and record.routed < record.stored_new + record.attached):
            return False
        by_manager: dict[str, list[str]] = defaultdict(list)
        for routed in self.imports.routed_leads(import_id):
            if routed.manager_id and routed.is_new_lead:
                by_manager[routed.manager_id].append(routed.lead_id)
        form = self.capture.get_form(record.form_id)
        sent = 0
        for manager_id, lead_ids in sorted(by_manager.items()):
            if not self.imports.claim_summary(import_id, manager_id, self.clock()):
                continue
            try:
                leads = sorted(self.imports.lead_cards(lead_ids), key=_hottest_first)
                send_summary(record, form, manager_id, leads)
            except Exception:
                self.imports.release_summary(import_id, manager_id)
                raise
            sent += 1
        return self.imports.complete(import_id, self.clock(), sent)


def _hottest_first(lead: Any) -> tuple[int, str]:
    return (-(lead.score.points if lead.score else 0), lead.contact.name)


def _chunks(rows: Iterable[tuple[int, dict[str, str]]]) -> Iterable[Chunk]:
    """Rows in chunks of at most CHUNK_ROWS rows and about CHUNK_BYTES, in file order."""
    batch: list[tuple[int, dict[str, str]]] = []
    size = 0
    number = 0
    for row in rows:
        row_size = len(json.dumps(row[1], ensure_ascii=False).encode())
        if batch and (len(batch) >= CHUNK_ROWS or size + row_size > CHUNK_BYTES):
            number += 1
            yield Chunk(number=number, rows=batch)
            batch, size = [], 0
        batch.append(row)
        size += row_size
    if batch:
        yield Chunk(number=number + 1, rows=batch)
