"""Whom an erasure is about and what of them goes: the identifier asked for, every email
and phone the lead holds, texts that mention them, and what is kept of an anonymized
lead card (its status, channel, campaign, score, manager and times, for the reports).

The storage and the steps are in `service` and `store`; this module decides."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal
from urllib.parse import unquote_plus, urlsplit, urlunsplit

from pydantic import BaseModel, ConfigDict, Field

from leadflow.capture.contact import InvalidContact, normalize_email, normalize_phone
from leadflow.shared.clock import json_time
from leadflow.shared.hashing import PersonalDataHasher, Purpose
from leadflow.storage import keys
from leadflow.storage.codec import KEY_ATTRIBUTES

ERASED_NAME = "erased"  # the anonymized card's name: a ContactCard needs one
REDACTED = "[erased]"  # what a kept text that mentioned the person becomes
# Noted on a large lead's card before its extra items go, so an erasure interrupted
# after deleting the submissions that named an identity still finds it on a retry.
ERASING_IDENTITIES = "erasing_identities"
# Ad-platform click ids single out one person's click; the campaign tags are report
# dimensions and stay.
DROPPED_SOURCE_FIELDS = ("gclid", "fbclid", "ad_lead_id")
SOURCE_URL_FIELDS = ("referrer", "landing_page")
# What the card no longer needs once the person is gone (typed by them).
# Its speed-to-lead clock goes too (GSI3): an erased person is nobody to call back.
DROPPED_CARD_FIELDS = ("latest_interest", "GSI3PK", "GSI3SK")
INTRODUCTION_TEXT = ("note", "consent_note")  # a referral form's free text about the person
# Phone-like runs of text: digits with the separators people type between them.
_PHONE_RUN = re.compile(r"[\d\s().\-+/]{6,}")
_MIN_NATIONAL_DIGITS = 6


class ErasureRefused(ValueError):
    """The request does not say whom to erase (the API answers 400); `code` is stable."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class ErasureRequest(BaseModel):
    """Whom to erase: exactly one of an email or a phone, as the person typed it."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"email": "jane@example.com"}]})

    email: str | None = Field(default=None, max_length=320, description="the person's email address")
    phone: str | None = Field(default=None, max_length=64,
                              description="the person's phone: E.164 (`+14155550134`), or national with `country`")
    country: str | None = Field(default=None, min_length=2, max_length=2,
                                description="ISO 3166 country of a phone typed without `+<country code>`")


@dataclass(frozen=True)
class Identifier:
    """A normalized email or E.164 phone, as the identity items hold it."""

    kind: Literal["email", "phone"]
    value: str

    @property
    def identity_pk(self) -> str:
        return keys.identity_pk(self.kind, self.value)

    def keyed_hash(self, hasher: PersonalDataHasher) -> str:
        """What the erasure record keeps: proves later which identifier was erased (hash
        the address again with the deployment's key and compare) without holding it, and
        without letting anyone who reads the record test guesses against it."""
        return hasher.hex(Purpose.ERASED_IDENTIFIER, self.value)


def identifier_of(request: ErasureRequest) -> Identifier:
    """The request's email or phone, normalized exactly as capture normalizes them, so
    the identity items are found; ErasureRefused says what is wrong."""
    email = (request.email or "").strip()
    phone = (request.phone or "").strip()
    if bool(email) == bool(phone):
        raise ErasureRefused("email_or_phone_required", "give exactly one of email or phone")
    try:
        if email:
            return Identifier("email", normalize_email(email))
        if not phone.startswith("+") and not request.country:
            raise ErasureRefused("country_required",
                                 "a phone without +<country code> needs the country it was typed in")
        # "ZZ" (unknown region): a +number carries its own country code.
        return Identifier("phone", normalize_phone(phone, request.country or "ZZ"))
    except InvalidContact as exc:
        # A fixed message: the validator's may quote what was typed.
        raise ErasureRefused(exc.code, f"this is not a valid {'email address' if email else 'phone number'}") from None


@dataclass
class Person:
    """The person's emails and phones as stored: what a kept text must not mention."""

    emails: set[str] = field(default_factory=set)
    phones: set[str] = field(default_factory=set)

    def add(self, email: str | None = None, phone: str | None = None) -> None:
        if email:  # as capture stored it (lowercase): the identity keys and counter hashes use it
            self.emails.add(email.lower())
        if phone:
            self.phones.add(phone)

    def add_identifier(self, identifier: Identifier) -> None:
        self.add(**{identifier.kind: identifier.value})

    def identity_pks(self) -> list[str]:
        return sorted([keys.identity_pk("email", e) for e in self.emails]
                      + [keys.identity_pk("phone", p) for p in self.phones])

    def mentioned_in(self, text: str) -> bool:
        """Whether a text holds one of the emails (any case) or phones (E.164, or the
        national number however it is spaced: `(415) 555-0134`, `415.555.0134`)."""
        # Percent-decoded too: an address in a URL is often `jane%40example.com`.
        folded = unicodedata.normalize("NFKC", unquote_plus(text)).casefold()
        if any(email.casefold() in folded for email in self.emails):
            return True
        runs = ["".join(ch for ch in run if ch.isdigit()) for run in _PHONE_RUN.findall(folded)]
        for phone in self.phones:
            national = _national_digits(phone)
            if phone in folded or any(national in run for run in runs if national):
                return True
        return False


def _national_digits(e164: str) -> str:
    import phonenumbers  # only when a person with a phone is erased: keeps the API's cold start lean

    try:
        number = str(phonenumbers.parse(e164).national_number)
    except phonenumbers.NumberParseException:
        return ""
    return number if len(number) >= _MIN_NATIONAL_DIGITS else ""


def scrub(value: Any, person: Person) -> Any:
    """The value with every text that mentions the person replaced by REDACTED."""
    if isinstance(value, str):
        return REDACTED if person.mentioned_in(value) else value
    if isinstance(value, dict):
        return {k: scrub(v, person) for k, v in value.items()}
    if isinstance(value, list):
        return [scrub(v, person) for v in value]
    return value


def _without_query(url: str) -> str:
    """`https://host/path` of a URL: queries and fragments can carry anything."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return REDACTED
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


def anonymized_source(source: dict[str, Any], person: Person) -> dict[str, Any]:
    """The lead's first-touch source without click ids and URL queries: channel, form
    and campaign tags stay for the reports."""
    kept = {k: v for k, v in source.items() if k not in DROPPED_SOURCE_FIELDS}
    for name in SOURCE_URL_FIELDS:
        if isinstance(kept.get(name), str):
            kept[name] = _without_query(kept[name])
    return scrub(kept, person)


@dataclass(frozen=True)
class Changes:
    """What to SET and REMOVE on an item to anonymize it."""

    sets: dict[str, Any]
    removes: list[str]


def _anonymized(item: dict[str, Any], person: Person, sets: dict[str, Any], removes: Iterable[str]) -> Changes:
    removes = [name for name in removes if name in item]
    for name, value in item.items():
        if name in KEY_ATTRIBUTES or name in sets or name in removes or name == ERASING_IDENTITIES:
            continue
        cleaned = scrub(value, person)
        if cleaned != value:  # anything else that mentions the person (fields other parts add)
            sets[name] = cleaned
    return Changes(sets, removes)


def anonymized_card(card: dict[str, Any], person: Person, erasure_id: str, at: datetime) -> Changes:
    """The lead card's changes: the person out, everything reports and queues read kept."""
    sets: dict[str, Any] = {"contact": {"name": ERASED_NAME}, "erased_at": json_time(at), "erasure_id": erasure_id}
    if isinstance(card.get("source"), dict):
        sets["source"] = anonymized_source(card["source"], person)
    if isinstance(card.get("introduction"), dict):
        # A partner's words about the person go; who referred them, and how consent was
        # obtained, stay for the partner reports (the partner is not the erased person).
        sets["introduction"] = scrub({k: v for k, v in card["introduction"].items() if k not in INTRODUCTION_TEXT},
                                     person)
    return _anonymized(card, person, sets, DROPPED_CARD_FIELDS)


def anonymized_contact(contact: dict[str, Any], person: Person, erasure_id: str, at: datetime) -> Changes:
    """A converted lead's contact: the person out; ids, manager and times kept."""
    sets: dict[str, Any] = {"contact": {"name": ERASED_NAME}, "erased_at": json_time(at), "erasure_id": erasure_id}
    return _anonymized(contact, person, sets, ())


class ErasureCounts(BaseModel):
    """How many items the erasure changed, by kind."""

    leads_anonymized: int = 0
    contacts_anonymized: int = 0
    submissions_deleted: int = 0
    activities_deleted: int = 0
    other_items_deleted: int = 0  # anything else kept in the lead's partition
    identities_deleted: int = 0
    autoreply_counters_deleted: int = 0
    reminders_cancelled: int = 0


class ErasureRecord(BaseModel):
    """The `ERASURE#<id>` item and the API's answer: that an erasure happened, never
    whom it was about in clear."""

    erasure_id: str
    erased_at: datetime
    by: str = Field(description="who asked: the admin's user (`user:<sub>`) or manager id")
    matched_by: Literal["email", "phone"] = Field(description="what the person was found by")
    identifier_hmac: str = Field(description="HMAC-SHA256 (hex), under the deployment's hash key, of the normalized "
                                             "email (lowercase) or E.164 phone: never the identifier itself")
    lead_ids: list[str] = Field(default_factory=list, description="the leads erased (none: nobody by that "
                                                                  "identifier, or erased before)")
    contact_ids: list[str] = Field(default_factory=list, description="their contacts (converted leads), anonymized")
    # Not erased, since that may be someone else (a shared office phone).
    related_lead_ids: list[str] = Field(default_factory=list, description=(
        "other leads holding one of the person's other identifiers (a phone given with the email that already "
        "belonged to another lead): not erased; erase by that identifier if it is the same person"))
    counts: ErasureCounts = Field(default_factory=ErasureCounts)
    events_published: bool = Field(default=True, description="`Lead Erased` reached the bus; false: tell "
                                                             "subscribers (a CRM) by hand")
