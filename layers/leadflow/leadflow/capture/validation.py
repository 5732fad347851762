"""Turning a post's fields into a validated Submission and its Lead card, saying
precisely what is wrong when a post names no reachable person."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime

from pydantic import BaseModel

from leadflow.capture.contact import InvalidContact, normalize_email, normalize_name, normalize_phone, phone_country
from leadflow.capture.errors import CaptureError
from leadflow.capture.fields import PROFILE_FIELDS, SOURCE_FIELDS, WELL_KNOWN, YES, FormPost, field_key
from leadflow.capture.messages import message
from leadflow.capture.sources import channel_of
from leadflow.referrals.introduction import INTRODUCTION_FIELDS, read_introduction
from leadflow.shared.http import FieldError
from leadflow.shared.models import Consent, ContactCard, FormConfig, Introduction, Lead, Source, Submission

MAX_CUSTOM_FIELDS = 30
MAX_FIELD_NAME_CHARS = 100
MAX_VALUE_CHARS = 4000


class ValidatedForm(BaseModel):
    """A post that names a real person, with contact data normalized."""

    contact: ContactCard
    interest: str | None
    message: str | None
    extra: dict[str, str]
    source: Source
    consent_given: bool | None  # None: the form did not ask
    # A referral form's introduction, its partner not yet looked up (leadflow.referrals).
    introduction: Introduction | None = None


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

    # The visit's referral code: the `ref` field (or an alias), or a hidden `_ref`.
    ref = value.get("ref") or post.hidden.get("_ref") or None
    introduction = None
    if form.referral_form:
        introduction, problems = read_introduction(value, ref)
        for field, code in problems:
            refuse(field, code)

    custom = {k: v for k, v in value.items() if k not in WELL_KNOWN and k not in SOURCE_FIELDS and v
              and not (form.referral_form and k in INTRODUCTION_FIELDS)}
    if form.keep_custom_fields and len(custom) > MAX_CUSTOM_FIELDS:
        refuse("body", "too_many_fields")
    if errors:
        raise CaptureError(422, errors)

    extra = {k[:MAX_FIELD_NAME_CHARS]: v[:MAX_VALUE_CHARS] for k, v in custom.items()} \
        if form.keep_custom_fields else {}
    extra.update({k: value[k][:MAX_VALUE_CHARS] for k in PROFILE_FIELDS if value.get(k)})
    source = Source(form_id=form.form_id, **{k: value[k][:2000] for k in SOURCE_FIELDS if value.get(k)})
    if ref and not source.ref:
        source.ref = ref[:2000]
    source.channel = channel_of(source)
    country = (value.get("country") or None) and value["country"][:100]
    # A form that asks no country still knows the phone's: kept on the lead, marked as derived.
    derived = phone_country(phone) if phone and not country else None
    return ValidatedForm(
        contact=ContactCard(
            name=name[:200], email=email, phone=phone,
            company=(value.get("company") or None) and value["company"][:200],
            job_title=(value.get("job_title") or None) and value["job_title"][:200],
            country=country or derived, country_from="phone" if derived else None,
        ),
        interest=(value.get("interest") or "").lower()[:200] or None,
        message=(value.get("message") or None) and value["message"][:MAX_VALUE_CHARS],
        extra=extra,
        source=source,
        consent_given=consent_given,
        introduction=introduction,
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
        introduction=valid.introduction,
    )
    return submission, Lead.first_seen_in(submission)
