"""Google Ads lead forms: the lead form asset's webhook, `POST /forms/{form_id}/google-ads`.

Google posts each lead as JSON (developers.google.com/google-ads/webhook/docs/implementation):
`{lead_id, user_column_data: [{column_name, string_value, column_id}], api_version,
form_id, campaign_id, google_key, is_test, gcl_id, adgroup_id, creative_id, ...}`.
The `google_key` typed into the webhook's settings is checked against the form's
`google_ads_key` (in constant time): no key set, or another one, is a 403. The columns
become our fields, the click id and the campaign the source (utm_source google,
utm_medium cpc: paid search), Google's lead id the `ad_lead_id` and the post's
dedupe key, so Google's retries make one submission. A test lead ("Send test data")
is checked the same way and answered alike, but not stored: it is nobody."""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import re

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from leadflow.capture.body import MAX_BODY_BYTES
from leadflow.capture.errors import CaptureError
from leadflow.capture.fields import FormPost
from leadflow.capture.form_tools import fields_of_flat
from leadflow.capture.messages import message
from leadflow.capture.service import Captured, CaptureService, PostedForm
from leadflow.capture.validation import new_id, validate_form
from leadflow.shared.models import FormConfig

GOOGLE_ADS_PATH = re.compile(r"^/forms/(?P<form_id>[A-Za-z0-9_-]{1,64})/google-ads/*$")

# Google's column ids (the lead form's standard questions) → our fields; any other
# column (a custom question) is kept as a custom field by its name.
COLUMNS: dict[str, str] = {
    "FULL_NAME": "name", "FIRST_NAME": "first_name", "LAST_NAME": "last_name",
    "EMAIL": "email", "WORK_EMAIL": "email", "PHONE_NUMBER": "phone", "WORK_PHONE": "phone",
    "COMPANY_NAME": "company", "JOB_TITLE": "job_title", "COUNTRY": "country",
    "CITY": "city", "REGION": "region", "POSTAL_CODE": "postal_code", "STREET_ADDRESS": "street_address",
}


class LeadColumn(BaseModel):
    model_config = ConfigDict(extra="ignore")

    column_id: str | None = None
    column_name: str | None = None
    string_value: str | None = None


class GoogleAdsLead(BaseModel):
    """The parts of Google's webhook lead capture reads (others are ignored)."""

    model_config = ConfigDict(extra="ignore")

    lead_id: str = Field(min_length=1, max_length=500)
    user_column_data: list[LeadColumn] = Field(default_factory=list, max_length=100)
    google_key: str = ""
    is_test: bool = False
    gcl_id: str | None = None
    campaign_id: int | str | None = None
    adgroup_id: int | str | None = None
    creative_id: int | str | None = None


def google_ads_form_of(path: str) -> str | None:
    """The form whose Google Ads webhook `path` is, or None."""
    found = GOOGLE_ADS_PATH.match(path)
    return found["form_id"] if found else None


def read_lead(body: str | None, is_base64: bool = False) -> GoogleAdsLead:
    """Google's JSON, or a 400 naming what is wrong (never the values)."""
    if len(body or "") > MAX_BODY_BYTES * (4 / 3 if is_base64 else 1):
        raise CaptureError.single(413, "body_too_large", message("body_too_large", "en"))
    try:
        text = base64.b64decode(body or "", validate=True).decode("utf-8") if is_base64 else (body or "")
        return GoogleAdsLead.model_validate(json.loads(text))
    except (ValueError, RecursionError, binascii.Error) as error:
        field = next((str(e["loc"][0]) for e in error.errors() if e["loc"]), "body") \
            if isinstance(error, ValidationError) else "body"
        raise CaptureError.single(400, "malformed_google_lead", "This is not a Google Ads lead form webhook post.",
                                  field) from None


def check_key(form: FormConfig, lead: GoogleAdsLead) -> None:
    """403 unless the form takes Google Ads leads and the post carries its key."""
    if not form.google_ads_key:
        raise CaptureError.single(403, "google_ads_off", "This form takes no Google Ads leads: set its "
                                  "google_ads_key.", "form_id", form=form)
    if not hmac.compare_digest(lead.google_key.encode("utf-8"), form.google_ads_key.encode("utf-8")):
        raise CaptureError.single(403, "invalid_google_key", "The google_key is not this form's.", "google_key",
                                  form=form)


def lead_fields(lead: GoogleAdsLead) -> dict[str, str]:
    """The lead's columns as our fields, and where it came from."""
    fields: dict[str, str] = {}
    for column in lead.user_column_data:
        if column.string_value is None:
            continue
        name = COLUMNS.get(column.column_id or "") or column.column_name or column.column_id or "answer"
        fields.setdefault(name, column.string_value)
    source = {"utm_source": "google", "utm_medium": "cpc", "gclid": lead.gcl_id, "ad_lead_id": lead.lead_id,
              "utm_campaign": None if lead.campaign_id is None else str(lead.campaign_id),
              "utm_content": None if lead.adgroup_id is None else str(lead.adgroup_id)}
    fields.update({k: v for k, v in source.items() if v})
    return fields


def capture_google_lead(capture: CaptureService, form_id: str, body: str | None, is_base64: bool = False) -> Captured:
    """A Google Ads lead through the capture path, once its key is checked; a test
    lead is validated (so a form that could not take it says so in Google's test) and
    answered like a stored one, but not stored."""
    form = capture.forms.get(form_id)
    lead = read_lead(body, is_base64)
    check_key(form, lead)
    fields = fields_of_flat(lead_fields(lead), form.field_map)
    if lead.is_test:
        try:
            validate_form(form, FormPost.from_fields(fields))
        except CaptureError as error:
            error.form = form
            raise
        return Captured(form, new_id(), None, "test")
    return capture.capture(PostedForm(form_id=form_id, body=None, content_type="application/json", fields=fields,
                                      sender_post_id=f"google-ads:{lead.lead_id}"))
