"""Reviewing a form's spam (kept 30 days, capture.store.CaptureStore.store_spam): an
admin lists it and releases a false positive into the normal pipeline. A released post
is stored as the form's submission now (received_at: the release, so the manager's
speed-to-lead clock starts when the lead can reach them), and from there it is scored,
assigned, emailed and counted like any other, by the table's stream. Released twice, it
is one lead: the release's double-submit marker never expires. The admin API
(functions/api/spam_routes.py) and `leadflow spam` call these."""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable
from datetime import datetime
from itertools import islice

from pydantic import BaseModel, ConfigDict, Field

from leadflow.capture.captcha import without_check_fields
from leadflow.capture.errors import CaptureError
from leadflow.capture.fields import FormPost
from leadflow.capture.store import CaptureStore, LeadVanished, Recorded
from leadflow.capture.validation import build_submission, validate_form
from leadflow.shared.clock import json_time, utc_now
from leadflow.shared.hashing import PersonalDataHasher, Purpose
from leadflow.shared.refusal import Invalid, NotFound
from leadflow.storage import keys
from leadflow.storage.codec import from_item, wire

MAX_LISTED = 200
SPAM_ID_PATTERN = r"^[A-Za-z0-9_-]{1,400}$"
_FORM_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


class SpamNotFound(NotFound):
    code = "spam_not_found"


class FormNotFound(NotFound):
    code = "form_not_found"


class NotALead(Invalid):
    code = "not_a_lead"


class SpamPost(BaseModel):
    """A post kept as spam: why, when, and its fields as they came (for a person to judge)."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "spam_id": "ZGVtbwoyMDI2LTAzLTAyVDA5OjMwOjAwKzAwOjAwI2FiYw", "form_id": "demo",
        "received_at": "2026-03-02T09:30:00+00:00", "reason": "proof_missing",
        "fields": {"name": "Ana Ruiz", "email": "ana@acme-corp.com"}, "released_at": None, "lead_id": None}]})

    spam_id: str = Field(description="the post's id (its form and key, URL-safe): `POST /admin/spam/{spam_id}/release`")
    form_id: str
    received_at: datetime
    reason: str = Field(description="`honeypot`, `too_fast`, `proof_missing`, `proof_failed`, `proof_expired`, "
                                     "`proof_other_form`, `proof_invalid`, `proof_reused`, `turnstile_failed`, "
                                     "`proof_missing_while_capped`")
    fields: dict[str, str]
    released_at: datetime | None = None
    lead_id: str | None = Field(default=None, description="the lead it became, once released")


class SpamList(BaseModel):
    spam: list[SpamPost] = Field(description="newest first, at most 200")


class Released(BaseModel):
    """A spam post made a lead; `already_released`: it was released before (the same lead)."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "spam_id": "ZGVtbwoyMDI2LTAzLTAyVDA5OjMwOjAwKzAwOjAwI2FiYw", "lead_id": "4b1d5c8e9f0a4b6c8d2e1f3a5b7c9d0e",
        "submission_id": "9a8b7c6d5e4f40312a1b2c3d4e5f6a7b", "is_new_lead": True, "already_released": False}]})

    spam_id: str
    lead_id: str
    submission_id: str
    is_new_lead: bool
    already_released: bool


def spam_id_of(form_id: str, sort_key: str) -> str:
    """A spam post's id: its form and sort key, URL-safe (one path segment, no read to resolve)."""
    return base64.urlsafe_b64encode(f"{form_id}\n{sort_key}".encode()).decode().rstrip("=")


def _key_of(spam_id: str) -> tuple[str, keys.Key]:
    """The form and table key a spam id names; SpamNotFound for anything else (an empty
    key, which DynamoDB would refuse, included)."""
    try:
        form_id, _, sort_key = base64.urlsafe_b64decode(spam_id + "=" * (-len(spam_id) % 4)).decode().partition("\n")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        form_id = sort_key = ""
    if not _FORM_ID.fullmatch(form_id) or "#" not in sort_key:  # `<received_at>#<id>`
        raise SpamNotFound("there is no such spam post")
    return form_id, {"PK": f"SPAM#{form_id}", "SK": sort_key}


def _spam_post(item: dict) -> SpamPost:
    data = from_item(item)
    return SpamPost(spam_id=spam_id_of(data["form_id"], item["SK"]["S"]), form_id=data["form_id"],
                    received_at=data["received_at"], reason=data["reason"], fields=data.get("fields") or {},
                    released_at=data.get("released_at"), lead_id=data.get("lead_id"))


def list_spam(store: CaptureStore, form_id: str, limit: int = MAX_LISTED) -> SpamList:
    """A form's spam, newest first (one Query of its partition)."""
    items = store.table.query(KeyConditionExpression="PK = :pk", ScanIndexForward=False, Limit=limit,
                              ExpressionAttributeValues=wire({":pk": f"SPAM#{form_id}"}))
    return SpamList(spam=[_spam_post(i) for i in islice(items, limit)])


def release_spam(store: CaptureStore, hasher: PersonalDataHasher, spam_id: str,
                 clock: Callable[[], datetime] = utc_now) -> Released:
    """Store a spam post as its form's submission; the same lead if released before."""
    form_id, key = _key_of(spam_id)
    item = store.table.get(key, consistent=True)
    if item is None:
        raise SpamNotFound("there is no such spam post (or it is older than 30 days)")
    spam = _spam_post(item)
    form = store.get_form(form_id, consistent=True)
    if form is None:
        raise FormNotFound("there is no such form")
    try:
        valid = validate_form(form, without_check_fields(FormPost.from_fields(spam.fields)))
    except CaptureError as error:
        raise NotALead(error.errors, "this post names no one to contact: it cannot be a lead") from None
    now = clock()
    submission, lead = build_submission(form, valid, now)
    # Keyed, as every fingerprint: a release's marker, kept forever (one lead per release).
    marker = hasher.hex(Purpose.POST, f"spam-release\x00{spam.spam_id}")
    try:
        recorded = store.record_submission(submission, lead, marker, marker_seconds=None)
    except LeadVanished:
        recorded = store.record_submission(submission, lead, marker, marker_seconds=None)
    _mark_released(store, key, recorded, now)
    return Released(spam_id=spam.spam_id, lead_id=recorded.lead_id, submission_id=recorded.submission_id,
                    is_new_lead=recorded.is_new_lead, already_released=recorded.duplicate)


def _mark_released(store: CaptureStore, key: keys.Key, recorded: Recorded, now: datetime) -> None:
    """The spam post says what it became (the first release's time is kept)."""
    store.table.client.update_item(
        TableName=store.table.name, Key=wire(key),
        UpdateExpression="SET released_at = if_not_exists(released_at, :now), lead_id = :lead",
        ExpressionAttributeValues=wire({":now": json_time(now), ":lead": recorded.lead_id}))
