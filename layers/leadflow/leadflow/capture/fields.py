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


def field_key(raw: str) -> str:
    """A field name as form builders write it → the name Leadflow knows it by.

    `Email Address` → `email`, `your-email` → `email`, `fname` → `first_name`; hidden
    fields (`_gotcha`, `_next`) keep their leading underscore."""
    hidden = raw.startswith("_")
    key = re.sub(r"[\s\-.\[\]]+", "_", raw.strip().lower()).strip("_")
    key = key.removeprefix("your_") if key.removeprefix("your_") in (*WELL_KNOWN, *ALIASES) else key
    key = ALIASES.get(key, key)
    return f"_{key}" if hidden else key


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
