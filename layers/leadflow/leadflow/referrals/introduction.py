"""A referral form (a form with `referral_form: true`): a partner refers someone directly,
giving their own code or email, the referred person's name and contact (the form's usual
fields), a note (the warm introduction) and how the person agreed to be contacted.

The form's fields, by the names Leadflow reads them under (after leadflow.capture.fields'
normalization; the aliases beside each):
- `referred_by`: the partner's code or email (`partner_email`, `referrer_email`,
  `your_code`; else the visit's `ref`, so a link `?ref=<code>` to the form fills it);
- `introduction`: the note (`note`, `warm_introduction`, `intro`);
- `consent_method`: one of CONSENT_METHODS (`consent_how`), required;
- `consent_note`: free text on it (`consent_details`).

An unknown code or email is no reason to lose a referred person: the lead is captured,
flagged `unknown`. A partner's email never becomes the source's `ref` (which events
carry): the code of the partner it belongs to does, or UNKNOWN_EMAIL_REF."""

from __future__ import annotations

from typing import get_args

from leadflow.capture.contact import InvalidContact, normalize_email
from leadflow.referrals.attribution import UNKNOWN_EMAIL_REF, PartnerCatalog, attributed, code_of
from leadflow.shared.models import ConsentMethod, Introduction, Source

CONSENT_METHODS: tuple[str, ...] = get_args(ConsentMethod)
MAX_NOTE_CHARS = 4000
ALIASES: dict[str, tuple[str, ...]] = {
    "referred_by": ("referred_by", "partner_email", "referrer_email", "your_code"),
    "note": ("introduction", "note", "warm_introduction", "intro"),
    "consent_method": ("consent_method", "consent_how"),
    "consent_note": ("consent_note", "consent_details"),
}
# Never kept among a referral form's custom fields: they are the introduction.
INTRODUCTION_FIELDS = frozenset(name for names in ALIASES.values() for name in names)


def _first(values: dict[str, str], field: str) -> str:
    return next((values[name] for name in ALIASES[field] if values.get(name)), "")


def read_introduction(values: dict[str, str], ref: str | None) -> tuple[Introduction | None, list[tuple[str, str]]]:
    """The introduction a referral form's post makes (its partner not yet looked up), or
    the (field, code) of each problem: the partner's code or email is required, an email
    must be one, and how consent was obtained is one of CONSENT_METHODS."""
    problems: list[tuple[str, str]] = []
    referred_by = (_first(values, "referred_by") or ref or "").strip()[:254]
    if not referred_by:
        problems.append(("referred_by", "referred_by_required"))
    elif "@" in referred_by:
        try:
            referred_by = normalize_email(referred_by)
        except InvalidContact as error:
            problems.append(("referred_by", error.code))
    method = _first(values, "consent_method").strip().lower().replace(" ", "_").replace("-", "_")
    if method not in CONSENT_METHODS:
        problems.append(("consent_method", "consent_method_required"))
    if problems:
        return None, problems
    return Introduction(referred_by=referred_by, note=_first(values, "note")[:MAX_NOTE_CHARS] or None,
                        consent_method=method,  # type: ignore[arg-type]  # checked against the Literal above
                        consent_note=_first(values, "consent_note")[:2000] or None), []


def introduced(source: Source, introduction: Introduction,
               partners: PartnerCatalog | None) -> tuple[Source, Introduction]:
    """The source and introduction with the partner the form names: by code (kept as
    given in `ref`) or by email (its partner's code in `ref`, else UNKNOWN_EMAIL_REF)."""
    given = introduction.referred_by
    if "@" in given:
        partner = partners.find_by_email(given) if partners else None
        ref = partner.partner_id if partner else UNKNOWN_EMAIL_REF
    else:
        code = code_of(given)
        partner = partners.find(code) if partners and code else None
        ref = given[:100]
    source = attributed(source.model_copy(update={"ref": ref}), partner)
    return source, introduction.model_copy(update={"partner_id": partner.partner_id if partner else None})
