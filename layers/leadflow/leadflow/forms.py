"""Turning a raw form post into a validated Submission and its Lead card.

Landing pages post every way there is (hand-written HTML, WordPress, Webflow, React),
with the field names their form builders invent; this module reads them all and says
precisely what is wrong when a post names no reachable person."""

from __future__ import annotations

import base64
import binascii
import email.parser
import email.policy
import hashlib
import json
import re
import uuid
from collections.abc import Callable
from datetime import datetime
from urllib.parse import parse_qsl

from pydantic import BaseModel

from leadflow.contact import InvalidContact, normalize_email, normalize_name, normalize_phone
from leadflow.errors import CaptureError, FieldError
from leadflow.messages import message
from leadflow.models import Consent, ContactCard, FormConfig, Lead, Source, Submission
from leadflow.sources import channel_of

MAX_BODY_BYTES = 32 * 1024
MAX_CUSTOM_FIELDS = 30
MAX_FIELD_NAME_CHARS = 100
MAX_VALUE_CHARS = 4000
MULTIPART_CHARSETS = frozenset({"utf-8", "utf8", "us-ascii", "ascii"})

WELL_KNOWN = (
    "name", "first_name", "last_name", "email", "phone", "company", "job_title",
    "company_size", "industry", "country", "budget", "timeline", "interest", "message", "consent",
)
SOURCE_FIELDS = (
    "utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content", "gclid", "fbclid",
    "referrer", "landing_page",
)
# Firmographics kept with the submission for scoring, beside the contact card.
PROFILE_FIELDS = ("company_size", "industry", "budget", "timeline")

# What form builders call the well-known fields (after `field_key` normalization):
# Contact Form 7 (`your-email`), Gravity/WPForms, Webflow (`Email Address`), HubSpot-like
# (`firstname`), plain HTML (`tel`, `fname`).
ALIASES: dict[str, str] = {
    **dict.fromkeys(("fname", "first", "firstname", "given_name", "forename", "nombre"), "first_name"),
    **dict.fromkeys(("lname", "last", "lastname", "surname", "family_name", "apellido", "apellidos"), "last_name"),
    **dict.fromkeys(("full_name", "fullname", "contact_name", "names"), "name"),
    **dict.fromkeys(("email_address", "e_mail", "mail", "emailaddress", "work_email", "business_email",
                     "correo", "correo_electronico"), "email"),
    **dict.fromkeys(("tel", "telephone", "phone_number", "phonenumber", "mobile", "mobile_phone", "cell",
                     "cellphone", "whatsapp", "telefono", "movil"), "phone"),
    **dict.fromkeys(("organization", "organisation", "company_name", "business", "business_name",
                     "empresa"), "company"),
    **dict.fromkeys(("title", "role", "position", "jobtitle", "job", "cargo"), "job_title"),
    **dict.fromkeys(("employees", "team_size", "company_employees", "number_of_employees"), "company_size"),
    **dict.fromkeys(("sector", "vertical"), "industry"),
    **dict.fromkeys(("comments", "comment", "question", "enquiry", "inquiry", "msg", "details", "mensaje",
                     "your_message"), "message"),
    **dict.fromkeys(("reason", "topic", "request", "request_type", "i_would_like_to", "interested_in"),
                    "interest"),
    **dict.fromkeys(("gdpr", "agree", "terms", "privacy", "accept_terms", "opt_in", "optin"), "consent"),
    **dict.fromkeys(("referer", "document_referrer"), "referrer"),
    **dict.fromkeys(("page_url", "landing_url", "page", "url", "landing"), "landing_page"),
}
YES = frozenset({"on", "true", "yes", "1", "y", "si", "sí", "checked", "agree", "accepted"})


def media_type(content_type: str | None) -> str:
    """`application/json; charset=utf-8` → `application/json`."""
    return (content_type or "").split(";", 1)[0].strip().lower()


def field_key(raw: str) -> str:
    """A field name as form builders write it → the name Leadflow knows it by.

    `Email Address` → `email`, `your-email` → `email`, `fname` → `first_name`; hidden
    fields (`_gotcha`, `_next`) keep their leading underscore."""
    hidden = raw.startswith("_")
    key = re.sub(r"[\s\-.\[\]]+", "_", raw.strip().lower()).strip("_")
    key = key.removeprefix("your_") if key.removeprefix("your_") in (*WELL_KNOWN, *ALIASES) else key
    key = ALIASES.get(key, key)
    return f"_{key}" if hidden else key


# -- reading the body -------------------------------------------------------------------


def parse_form_body(body: str | None, content_type: str | None, is_base64: bool) -> dict[str, str]:
    """Decode a JSON, urlencoded or multipart body into raw field name → text.

    Refusals are CaptureErrors: 400 unreadable, 413 too large, 415 wrong type or a file."""
    try:
        raw = (body or "").encode("utf-8") if not is_base64 else _b64(body or "")
    except UnicodeEncodeError:  # lone surrogates cannot be stored or sent on
        raise CaptureError.single(400, "invalid_encoding", _en("invalid_encoding"), "body") from None
    if len(raw) > MAX_BODY_BYTES:
        raise CaptureError.single(413, "body_too_large", _en("body_too_large"))

    kind = media_type(content_type)
    if kind == "multipart/form-data":
        return _multipart_fields(raw, content_type or "")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise CaptureError.single(400, "invalid_encoding", _en("invalid_encoding"), "body") from None
    if kind == "application/json":
        return _json_fields(text)
    if kind == "application/x-www-form-urlencoded":
        try:
            pairs = parse_qsl(text, keep_blank_values=True, errors="strict")
        except UnicodeDecodeError:  # %FF and the like: refuse rather than store U+FFFD
            raise CaptureError.single(400, "invalid_encoding", _en("invalid_encoding"), "body") from None
        return _first_values(pairs)
    raise CaptureError.single(415, "unsupported_media_type", _en("unsupported_media_type"), "content-type")


def _en(code: str) -> str:
    return message(code, "en")


def _first_values(pairs: list[tuple[str, str]]) -> dict[str, str]:
    """The first value wins when a field repeats; blank fields are kept as blanks."""
    fields: dict[str, str] = {}
    for key, value in pairs:
        if not _utf8_safe(key) or not _utf8_safe(value):
            raise CaptureError.single(400, "invalid_encoding", _en("invalid_encoding"), "body")
        fields.setdefault(key, value)
    return fields


def _b64(body: str) -> bytes:
    try:
        return base64.b64decode(body, validate=True)
    except (binascii.Error, ValueError):
        raise CaptureError.single(400, "malformed_body", _en("malformed_body"), "body") from None


def _json_fields(text: str) -> dict[str, str]:
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        # ValueError: bad JSON, or an integer of over 4300 digits; RecursionError: arrays
        # nested thousands deep. Both fit in 32 KiB and neither is a form.
        raise CaptureError.single(400, "malformed_json", _en("malformed_json"), "body") from None
    if not isinstance(data, dict):
        raise CaptureError.single(400, "malformed_json", "The body must be a JSON object of fields.", "body")
    fields: dict[str, str] = {}
    for key, value in data.items():
        if not _utf8_safe(key) or (isinstance(value, str) and not _utf8_safe(value)):
            raise CaptureError.single(400, "invalid_encoding", _en("invalid_encoding"), "body")
        if value is None:
            continue
        if isinstance(value, bool):
            fields[key] = "true" if value else "false"
        elif isinstance(value, (str, int, float)):
            fields[key] = str(value)
        else:
            raise CaptureError.single(422, "invalid_value", _en("invalid_value"), key)
    return fields


def _multipart_fields(raw: bytes, content_type: str) -> dict[str, str]:
    """Fields of a multipart/form-data body (the stdlib's MIME parser; no file parts)."""
    if "boundary=" not in content_type.lower():
        raise CaptureError.single(400, "malformed_body", _en("malformed_body"), "body")
    document = b"Content-Type: " + content_type.encode("latin-1", "replace") + b"\r\n\r\n" + raw
    parsed = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(document)
    if not parsed.is_multipart() or parsed.defects:
        raise CaptureError.single(400, "malformed_body", _en("malformed_body"), "body")
    pairs: list[tuple[str, str]] = []
    for part in parsed.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            raise CaptureError.single(400, "malformed_body", _en("malformed_body"), "body")
        if part.get_filename() is not None:
            raise CaptureError.single(415, "files_not_supported", _en("files_not_supported"), name)
        # UTF-8 throughout: browsers send form parts as UTF-8; any other declared charset
        # (punycode, utf-7, junk) is refused rather than decoded by whatever codec it names.
        charset = (part.get_content_charset() or "utf-8").lower()
        payload = part.get_payload(decode=True)
        try:
            if charset not in MULTIPART_CHARSETS:
                raise ValueError(charset)
            value = payload.decode("utf-8") if isinstance(payload, bytes) else ""
        except ValueError:  # UnicodeDecodeError included
            raise CaptureError.single(400, "invalid_encoding", _en("invalid_encoding"), name) from None
        pairs.append((name, value))
    return _first_values(pairs)


def _utf8_safe(text: str) -> bool:
    """False for strings with lone surrogates (`"\\ud800"` in JSON), which no UTF-8
    store or email can hold."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


# -- what the fields mean ---------------------------------------------------------------


class FormPost(BaseModel):
    """A post's fields by their Leadflow names, split into what they are for."""

    values: dict[str, str]  # well-known and custom fields, stripped
    hidden: dict[str, str]  # `_gotcha`, `_next`, `_shown_at`, ...: never stored as data

    @classmethod
    def from_fields(cls, fields: dict[str, str]) -> FormPost:
        values: dict[str, str] = {}
        hidden: dict[str, str] = {}
        for raw_key, raw_value in fields.items():
            key = field_key(raw_key)
            if not key or key == "_":
                continue
            target = hidden if key.startswith("_") else values
            if key not in target or not target[key]:  # an alias never overwrites a filled field
                target[key] = raw_value.strip()
        return cls(values=values, hidden=hidden)

    def hidden_value(self, name: str) -> str:
        return self.hidden.get(field_key(name), "")


class ValidatedForm(BaseModel):
    """A post that names a real person, with contact data normalized."""

    contact: ContactCard
    interest: str | None
    message: str | None
    extra: dict[str, str]
    source: Source
    consent_given: bool | None  # None: the form did not ask


def validate_form(form: FormConfig, fields: dict[str, str] | FormPost) -> ValidatedForm:
    """Check that the post names a person reachable by email or phone, plus the form's
    own required fields; every problem is reported at once, in the form's language."""
    post = fields if isinstance(fields, FormPost) else FormPost.from_fields(fields)
    value = post.values
    errors: list[FieldError] = []

    def refuse(field: str, code: str) -> None:
        errors.append(FieldError(field=field, code=code, message=message(code, form.language)))

    name = value.get("name") or " ".join(p for p in (value.get("first_name"), value.get("last_name")) if p)
    name = normalize_name(name)
    has_contact = bool(value.get("email") or value.get("phone"))
    if not name and not has_contact and any(value.get(k) for k in ("company", "job_title", *PROFILE_FIELDS)):
        # Company data alone is not a lead: say so plainly, beside the field errors.
        errors.append(FieldError(field=None, code="person_required",
                                 message=message("person_required", form.language)))
    if not name:
        refuse("name", "name_required")
    if not has_contact:
        refuse("email", "contact_required")

    email, phone = _reachable(form, value, refuse)

    consent_given = (value.get("consent", "").lower() in YES) if ("consent" in value or form.consent_text) else None
    for required in form.required_fields:
        key = field_key(required)
        if key == "consent":
            if not consent_given:
                refuse("consent", "consent_required")
        elif not value.get(key) and not (key == "name" and name):
            refuse(key, "field_required")

    custom = {k: v for k, v in value.items() if k not in WELL_KNOWN and k not in SOURCE_FIELDS and v}
    if form.keep_custom_fields and len(custom) > MAX_CUSTOM_FIELDS:
        refuse("body", "too_many_fields")
    if errors:
        raise CaptureError(422, errors)

    extra = {k[:MAX_FIELD_NAME_CHARS]: v[:MAX_VALUE_CHARS] for k, v in custom.items()} \
        if form.keep_custom_fields else {}
    extra.update({k: value[k][:MAX_VALUE_CHARS] for k in PROFILE_FIELDS if value.get(k)})
    source = Source(form_id=form.form_id, **{k: value[k][:2000] for k in SOURCE_FIELDS if value.get(k)})
    source.channel = channel_of(source)
    return ValidatedForm(
        contact=ContactCard(
            name=name[:200], email=email, phone=phone,
            company=(value.get("company") or None) and value["company"][:200],
            job_title=(value.get("job_title") or None) and value["job_title"][:200],
            country=(value.get("country") or None) and value["country"][:100],
        ),
        interest=(value.get("interest") or "").lower()[:200] or None,
        message=(value.get("message") or None) and value["message"][:MAX_VALUE_CHARS],
        extra=extra,
        source=source,
        consent_given=consent_given,
    )


def _reachable(form: FormConfig, value: dict[str, str],
               refuse: Callable[[str, str], None]) -> tuple[str | None, str | None]:
    """The normalized email and phone; each one typed must be valid, even if the other is."""
    email = phone = None
    if value.get("email"):
        try:
            email = normalize_email(value["email"])
        except InvalidContact as exc:
            refuse("email", exc.code)
    if value.get("phone"):
        try:
            phone = normalize_phone(value["phone"], form.default_country)
        except InvalidContact as exc:
            refuse("phone", exc.code)
    return email, phone


# -- spam and double submits ------------------------------------------------------------


def spam_reason(form: FormConfig, post: FormPost, received_at: datetime) -> str | None:
    """Why a post looks like a bot's, or None. A filled honeypot (a field people never
    see) or a form sent faster than a person can fill it. The fill time is `_fill_ms`,
    measured by leadflow.js on the visitor's own clock; else the time since `_shown_at`
    (epoch ms, also from leadflow.js), which trusts that clock to agree with ours.
    Without JavaScript neither exists and only the honeypot applies."""
    if post.hidden_value(form.honeypot_field) or post.values.get(field_key(form.honeypot_field)):
        return "honeypot"
    if form.min_fill_seconds <= 0:
        return None
    elapsed = _fill_seconds(post, received_at)
    return "too_fast" if elapsed is not None and 0 <= elapsed < form.min_fill_seconds else None


def _fill_seconds(post: FormPost, received_at: datetime) -> float | None:
    try:
        if post.hidden_value("_fill_ms"):
            return float(post.hidden_value("_fill_ms")) / 1000
        if post.hidden_value("_shown_at"):
            return received_at.timestamp() - float(post.hidden_value("_shown_at")) / 1000
    except (ValueError, OverflowError):
        return None
    return None


def fingerprint(form_id: str, client: str, post: FormPost) -> str:
    """Same form, same client, same fields → same fingerprint: a double click or a
    browser retry. Hidden fields are left out (`_shown_at` changes on a retry)."""
    canonical = json.dumps([form_id, client, sorted(post.values.items())], ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


# -- the submission ---------------------------------------------------------------------


def new_id() -> str:
    return uuid.uuid4().hex


def build_submission(form: FormConfig, valid: ValidatedForm, received_at: datetime,
                     client_ip: str | None = None) -> tuple[Submission, Lead]:
    """The submission and the lead card it would create if the person is new."""
    lead_id = new_id()
    consent = None
    if valid.consent_given is not None:
        consent = Consent(given=valid.consent_given, text=form.consent_text, version=form.consent_version,
                          at=received_at, ip=client_ip)
    submission = Submission(
        submission_id=new_id(), lead_id=lead_id, form_id=form.form_id, received_at=received_at,
        contact=valid.contact, interest=valid.interest, message=valid.message,
        fields=valid.extra, source=valid.source, language=form.language, consent=consent,
        scoring_profile=form.scoring_profile,
        autoresponder=form.autoresponder and valid.contact.email is not None,
    )
    lead = Lead(
        lead_id=lead_id, contact=valid.contact, source=valid.source,
        created_at=received_at, last_seen_at=received_at, latest_interest=valid.interest,
    )
    return submission, lead
