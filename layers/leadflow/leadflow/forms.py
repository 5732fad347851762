"""Turning a raw form post into a validated Submission and its Lead card."""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from datetime import datetime
from urllib.parse import parse_qsl

from pydantic import BaseModel

from leadflow.contact import InvalidContact, normalize_email, normalize_name, normalize_phone
from leadflow.errors import CaptureError, FieldError
from leadflow.models import ContactCard, FormConfig, Lead, Source, Submission
from leadflow.sources import channel_of

MAX_BODY_BYTES = 32 * 1024
MAX_CUSTOM_FIELDS = 30
MAX_VALUE_CHARS = 4000

WELL_KNOWN = (
    "name", "first_name", "last_name", "email", "phone", "company", "job_title",
    "company_size", "industry", "country", "budget", "timeline", "interest", "message",
)
SOURCE_FIELDS = (
    "utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content",
    "referrer", "landing_page",
)


def media_type(content_type: str | None) -> str:
    """`application/json; charset=utf-8` → `application/json`."""
    return (content_type or "").split(";", 1)[0].strip().lower()


def parse_form_body(body: str | None, content_type: str | None, is_base64: bool) -> dict[str, str]:
    """Decode a JSON or urlencoded body into field → text. Refusals are CaptureErrors."""
    try:
        raw = (body or "").encode("utf-8") if not is_base64 else _b64(body or "")
    except UnicodeEncodeError:  # lone surrogates cannot be stored or sent on
        raise CaptureError.single(400, "invalid_encoding", "The form must be sent as UTF-8.", "body") from None
    if len(raw) > MAX_BODY_BYTES:
        raise CaptureError.single(413, "body_too_large", f"The form is larger than {MAX_BODY_BYTES} bytes.")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise CaptureError.single(400, "invalid_encoding", "The form must be sent as UTF-8.", "body") from None

    kind = media_type(content_type)
    if kind == "application/json":
        return _json_fields(text)
    if kind == "application/x-www-form-urlencoded":
        # The first value wins when a field repeats; blank fields are kept as blanks.
        fields: dict[str, str] = {}
        try:
            pairs = parse_qsl(text, keep_blank_values=True, errors="strict")
        except UnicodeDecodeError:  # %FF and the like: refuse rather than store U+FFFD
            raise CaptureError.single(400, "invalid_encoding", "The form must be sent as UTF-8.", "body") from None
        for key, value in pairs:
            fields.setdefault(key, value)
        return fields
    raise CaptureError.single(
        415, "unsupported_media_type",
        "Send the form as application/json or application/x-www-form-urlencoded.",
        "content-type",
    )


def _b64(body: str) -> bytes:
    try:
        return base64.b64decode(body, validate=True)
    except (binascii.Error, ValueError):
        raise CaptureError.single(400, "malformed_body", "The body is not valid base64.", "body") from None


def _json_fields(text: str) -> dict[str, str]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        raise CaptureError.single(400, "malformed_json", "The body is not valid JSON.", "body") from None
    if not isinstance(data, dict):
        raise CaptureError.single(400, "malformed_json", "The body must be a JSON object of fields.", "body")
    fields: dict[str, str] = {}
    for key, value in data.items():
        if not _utf8_safe(key) or (isinstance(value, str) and not _utf8_safe(value)):
            raise CaptureError.single(400, "invalid_encoding", "The form must be sent as UTF-8.", "body")
        if value is None:
            continue
        if isinstance(value, bool):
            fields[key] = "true" if value else "false"
        elif isinstance(value, (str, int, float)):
            fields[key] = str(value)
        else:
            raise CaptureError.single(422, "invalid_value", "Each field must be text, a number or a boolean.", key)
    return fields


def _utf8_safe(text: str) -> bool:
    """False for strings with lone surrogates (`"\\ud800"` in JSON), which no UTF-8
    store or email can hold."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


class ValidatedForm(BaseModel):
    """A post that names a real person, with contact data normalized."""

    contact: ContactCard
    interest: str | None
    message: str | None
    extra: dict[str, str]
    source: Source


def validate_form(form: FormConfig, fields: dict[str, str]) -> ValidatedForm:
    """Check that the post names a person reachable by email or phone; collect every
    problem at once so the visitor fixes the form in one go."""
    value = {k: v.strip() for k, v in fields.items() if isinstance(v, str)}
    errors: list[FieldError] = []

    name = value.get("name") or " ".join(p for p in (value.get("first_name"), value.get("last_name")) if p)
    name = normalize_name(name)
    if not name:
        errors.append(FieldError(field="name", code="name_required", message="Please tell us your name."))

    email = phone = None
    if value.get("email"):
        try:
            email = normalize_email(value["email"])
        except InvalidContact as exc:
            errors.append(FieldError(field="email", code=exc.code, message="Please check your email address."))
    if value.get("phone"):
        try:
            phone = normalize_phone(value["phone"], form.default_country)
        except InvalidContact as exc:
            errors.append(FieldError(field="phone", code=exc.code, message="Please check your phone number."))
    if not value.get("email") and not value.get("phone"):
        errors.append(FieldError(
            field="email", code="contact_required",
            message="Please give an email address or a phone number so we can reach you.",
        ))
    if errors:
        raise CaptureError(422, errors)

    extra = {
        k[:100]: v[:MAX_VALUE_CHARS]
        for k, v in value.items()
        if k not in WELL_KNOWN and k not in SOURCE_FIELDS and not k.startswith("_") and v
    }
    extra = dict(list(extra.items())[:MAX_CUSTOM_FIELDS])
    for known in ("company_size", "industry", "budget", "timeline"):
        if value.get(known):
            extra[known] = value[known][:MAX_VALUE_CHARS]

    source = Source(
        form_id=form.form_id,
        **{k: value[k][:2000] for k in SOURCE_FIELDS if value.get(k)},
    )
    source.channel = channel_of(source)
    return ValidatedForm(
        contact=ContactCard(
            name=name[:200], email=email, phone=phone,
            company=(value.get("company") or None), job_title=(value.get("job_title") or None),
            country=(value.get("country") or None),
        ),
        interest=(value.get("interest") or "").lower()[:200] or None,
        message=(value.get("message") or None) and value["message"][:MAX_VALUE_CHARS],
        extra=extra,
        source=source,
    )


def new_id() -> str:
    return uuid.uuid4().hex


def build_submission(form: FormConfig, valid: ValidatedForm, received_at: datetime) -> tuple[Submission, Lead]:
    """The submission and the lead card it would create if the person is new."""
    lead_id = new_id()
    submission = Submission(
        submission_id=new_id(), lead_id=lead_id, form_id=form.form_id, received_at=received_at,
        contact=valid.contact, interest=valid.interest, message=valid.message,
        fields=valid.extra, source=valid.source, language=form.language,
    )
    lead = Lead(
        lead_id=lead_id, contact=valid.contact, source=valid.source,
        created_at=received_at, last_seen_at=received_at,
    )
    return submission, lead
