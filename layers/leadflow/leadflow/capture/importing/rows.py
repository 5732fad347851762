"""Each row of an import checked exactly as capture checks a form post
(leadflow.capture.validation), and what makes two rows the same import."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime

from pydantic import BaseModel

from leadflow.capture.errors import CaptureError
from leadflow.capture.fields import FormPost
from leadflow.capture.validation import ValidatedForm, build_submission, validate_form
from leadflow.shared.hashing import PersonalDataHasher, Purpose
from leadflow.shared.models import FormConfig, Lead, Submission


class RowRefusal(BaseModel):
    """Why one row is not imported: its number (the header is row 1), the field at fault
    (None: the row as a whole), a stable code and a message. Never the value itself."""

    row: int
    field: str | None = None  # an import's record is stored without None values
    code: str
    message: str


@dataclass(frozen=True)
class CheckedRow:
    number: int
    valid: ValidatedForm | None
    refusals: list[RowRefusal]


def check_row(form: FormConfig, number: int, fields: dict[str, str], campaign: str | None = None) -> CheckedRow:
    """A row as capture would take it as a post to `form`: the person, their contact
    data normalized, the form's required fields; the import's campaign where the row
    names none."""
    if campaign and not fields.get("utm_campaign"):
        fields = {**fields, "utm_campaign": campaign}
    try:
        return CheckedRow(number, validate_form(form, FormPost.from_fields(fields)), [])
    except CaptureError as refused:
        return CheckedRow(number, None, [RowRefusal(row=number, field=e.field, code=e.code, message=e.message)
                                         for e in refused.errors])


def row_fingerprint(form_id: str, valid: ValidatedForm, hasher: PersonalDataHasher) -> str:
    """The same person with the same data imported into the same form: one marker, kept
    for good, so importing a file again stores nothing new. Keyed-hashed (it is made of
    personal data); `import-` keeps it apart from a web post's fingerprints."""
    canonical = json.dumps([form_id, valid.model_dump(mode="json")], sort_keys=True, ensure_ascii=False)
    return "import-" + hasher.hex(Purpose.IMPORT_ROW, canonical, 40)


def row_submission_id(import_id: str, number: int) -> str:
    """A row's submission id in one import: the same on every retry of its chunk, so a
    retry recognises the rows it stored before it failed."""
    return hashlib.sha256(f"{import_id}#{number}".encode()).hexdigest()[:32]


def imported_submission(form: FormConfig, valid: ValidatedForm, import_id: str, number: int,
                        received_at: datetime) -> tuple[Submission, Lead]:
    """The submission and lead a row makes, as capture builds them for a post, marked as
    this import's: no thank-you email to the person (they did not just write to us)."""
    submission, lead = build_submission(form, valid, received_at)
    submission = submission.model_copy(update={
        "submission_id": row_submission_id(import_id, number), "import_id": import_id, "autoresponder": False})
    return submission, lead
