"""The facts scoring rules look at: a submission's text fields by name, what the email's
domain is, the first number in a free-text answer, the lead's country, and what is known
of the lead beyond this submission."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from importlib import resources
from typing import Literal

from leadflow.capture.contact import phone_country
from leadflow.shared.models import ContactCard, Submission

# What a rule can look at. The form's own fields (beyond the well-known ones) are
# `custom.<name>`; a typo in a field name is refused instead of silently never matching.
CONTACT_FACTS = ("name", "email", "phone", "company", "job_title", "country")
PROFILE_FACTS = ("company_size", "industry", "budget", "timeline")
KNOWN_FACTS = frozenset((
    *CONTACT_FACTS, *PROFILE_FACTS, "email_domain", "interest", "message", "channel", "language", "form_id",
    "utm_source", "utm_medium", "utm_campaign", "referrer", "landing_page",
))
CUSTOM_PREFIX = "custom."


@dataclass(frozen=True)
class LeadHistory:
    """What is known about the lead beyond this submission: its card (gaps in this
    submission's contact data are filled from it) and when it posted before."""

    card: ContactCard | None = None
    previous_visits: tuple[datetime, ...] = ()


@dataclass(frozen=True)
class Facts:
    """One submission as rules see it: text facts by name, plus what needs more than text."""

    values: dict[str, str]
    intent: str  # the interest field, else the form's intent from the rule set; lowercase
    received_at: datetime
    previous_visits: tuple[datetime, ...] = ()

    def get(self, name: str) -> str:
        return self.values.get(name, "")


@cache
def _domain_list(name: str) -> frozenset[str]:
    text = resources.files("leadflow.routing").joinpath(f"data/{name}").read_text("utf-8")
    return frozenset(line.strip().lower() for line in text.splitlines() if line.strip() and not line.startswith("#"))


def free_email_domains() -> frozenset[str]:
    return _domain_list("free_email_domains.txt")


def disposable_email_domains() -> frozenset[str]:
    return _domain_list("disposable_email_domains.txt")


def email_domain_kind(domain: str) -> Literal["corporate", "free", "disposable"]:
    """Disposable (a listed domain or any subdomain of one), free webmail, or corporate."""
    domain = domain.strip().lower().rstrip(".")
    labels = domain.split(".")
    disposable = disposable_email_domains()
    if any(".".join(labels[i:]) in disposable for i in range(len(labels) - 1)):
        return "disposable"
    if domain in free_email_domains():
        return "free"
    return "corporate"


# Thousands grouped by , . ' or a space (25,000 / 25.000 / 10 000), else a plain or
# decimal number; then an optional multiplier (k, m, Spanish "mil", "millones").
_NUMBER = re.compile(
    r"(?<![\w.,])(\d{1,3}(?:[,.' ]\d{3})+(?![\d])|\d+(?:[.,]\d+)?)\s*(k|m|mn|mil|million|millones)?(?!\w)",
    re.IGNORECASE,
)
_MULTIPLIERS = {"k": 1e3, "mil": 1e3, "m": 1e6, "mn": 1e6, "million": 1e6, "millones": 1e6}


def first_number(text: str) -> float | None:
    """The first number in a free-text answer: `51-200` → 51, `$25,000` → 25000,
    `25.000 €` → 25000, `1,5k` → 1500, `5000+` → 5000; None when there is none."""
    match = _NUMBER.search(text or "")
    if match is None:
        return None
    digits, multiplier = match.group(1), (match.group(2) or "").lower()
    if re.fullmatch(r"\d{1,3}(?:[,.' ]\d{3})+", digits):
        value = float(re.sub(r"[,.' ]", "", digits))
    else:
        value = float(digits.replace(",", "."))
    return value * _MULTIPLIERS.get(multiplier, 1.0)


# Written out by people as often as in codes.
_COUNTRY_ALIASES = {
    "UK": "GB", "USA": "US", "U.S.": "US", "U.S.A.": "US", "UNITED STATES": "US", "UNITED KINGDOM": "GB",
    "SPAIN": "ES", "ESPAÑA": "ES", "MEXICO": "MX", "MÉXICO": "MX", "UAE": "AE", "UNITED ARAB EMIRATES": "AE",
    "SAUDI ARABIA": "SA", "EGYPT": "EG", "ARGENTINA": "AR", "CANADA": "CA", "GERMANY": "DE", "FRANCE": "FR",
}


def lead_country(contact: ContactCard) -> str | None:
    """The lead's country as an ISO 3166 alpha-2 code: the form's `country` field when it
    is a code (or a common name), else the country of the phone number, else None."""
    raw = " ".join((contact.country or "").split()).upper()
    code = _COUNTRY_ALIASES.get(raw, raw)
    if re.fullmatch(r"[A-Z]{2}", code):
        return code
    if contact.phone:  # a lead stored before capture kept the phone's country
        return phone_country(contact.phone)
    return None


def merged_contact(submission: Submission, card: ContactCard | None) -> ContactCard:
    """This submission's contact data, with its gaps filled from the lead card: a person
    who named their company last time still has one when they leave it out."""
    if card is None:
        return submission.contact
    mine = submission.contact.model_dump(exclude_none=True)
    known = {k: v for k, v in card.model_dump(exclude_none=True).items() if v}
    if mine.get("country_from") and known.get("country") and not known.get("country_from"):
        mine.pop("country"), mine.pop("country_from")  # the country a person gave beats the phone's
    return ContactCard.model_validate({**known, **{k: v for k, v in mine.items() if v}})
