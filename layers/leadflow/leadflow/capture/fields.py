"""Field names as form builders write them, and what each field is for.

Landing pages post with the names their form builders invent (Contact Form 7's
`your-email`, Webflow's `Email Address`, HubSpot-like `firstname`, plain `tel`); here
they become the names Leadflow knows, and hidden fields are told apart from data."""

from __future__ import annotations

import re

from pydantic import BaseModel

WELL_KNOWN = (
    "name", "first_name", "last_name", "email", "phone", "company", "job_title",
    "company_size", "industry", "country", "budget", "timeline", "interest", "message", "consent",
)
SOURCE_FIELDS = (
    "utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content", "gclid", "fbclid",
    "referrer", "landing_page", "ad_lead_id",
    "ref",  # a referral partner's code (leadflow.referrals): `?ref=<code>` kept by leadflow.js
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
    **dict.fromkeys(("gdpr", "agree", "terms", "privacy", "accept_terms", "opt_in", "optin", "acceptance"),
                    "consent"),
    **dict.fromkeys(("referer", "document_referrer"), "referrer"),
    **dict.fromkeys(("page_url", "landing_url", "page", "url", "landing"), "landing_page"),
    # Referral codes as referral tools name them: FirstPromoter's `fpr`, PartnerStack's
    # `ps_partner_key`, and the plain names people give a hidden field.
    **dict.fromkeys(("referral_code", "ref_code", "refcode", "partner_code", "affiliate_code", "fpr",
                     "ps_partner_key"), "ref"),
}
YES = frozenset({"on", "true", "yes", "1", "y", "si", "sí", "checked", "agree", "accepted"})
# Fields people write on several lines (a textarea): the message and a form's own fields.
# Every other field is one line: a name, a company, an email never holds a line break.
MULTILINE = "message"

# Control characters (C0 and C1, DEL) and Unicode's line and paragraph separators: no
# person types them into a form, and they must not reach an email, a header or a page.
# Tab, line feed and carriage return are kept apart: a multi-line field keeps its lines.
_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029]")
_LINE_BREAKS = re.compile(r"[\t\n\r\x0b\x0c\x85\u2028\u2029]")


def clean_text(value: str, *, multiline: bool) -> str:
    """A field's text without control characters: a multi-line field keeps its line
    breaks (as LF) and tabs and loses the rest; a one-line field has every line break
    and tab turned into a space and the rest removed. Stripped of outer white space."""
    if multiline:
        value = value.replace("\r\n", "\n").replace("\r", "\n")
        return _CONTROLS.sub("", value).strip()
    return _CONTROLS.sub("", _LINE_BREAKS.sub(" ", value)).strip()


def field_key(raw: str) -> str:
    """A field name as form builders write it → the name Leadflow knows it by.

    `Email Address` → `email`, `your-email` → `email`, `fname` → `first_name`; hidden
    fields (`_gotcha`, `_next`) keep their leading underscore."""
    raw = clean_text(raw, multiline=False)
    hidden = raw.startswith("_")
    key = re.sub(r"[\s\-.\[\]]+", "_", raw.strip().lower()).strip("_")
    key = key.removeprefix("your_") if key.removeprefix("your_") in (*WELL_KNOWN, *ALIASES) else key
    key = ALIASES.get(key, key)
    return f"_{key}" if hidden else key


class FormPost(BaseModel):
    """A post's fields by their Leadflow names, split into what they are for."""

    values: dict[str, str]  # well-known and custom fields, stripped of controls (clean_text)
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
                multiline = key == MULTILINE or key not in (*WELL_KNOWN, *SOURCE_FIELDS)
                target[key] = clean_text(raw_value, multiline=multiline)
        return cls(values=values, hidden=hidden)

    def hidden_value(self, name: str) -> str:
        return self.hidden.get(field_key(name), "")
