"""Erasing a person on request (the right to erasure), found by their email or phone.

What goes: every submission, history entry and other item of the person's lead, the
identity items that match them (email and phone), their thank-you rate counters, the
lead's pending reminders. What stays, anonymized: the lead card, without the person
(name "erased", no email, phone, company, job title, country or interest; click ids and
URL queries out of its source) but with its status, source channel and campaign, score,
manager and times, so counters, reports and the manager's queue still add up; and a
converted lead's contact the same way. Report counters hold no personal data and are
kept. An `ERASURE#<id>` item records that the erasure happened: who, when, what kind of
identifier (with its SHA-256, never the value), which leads, how many items.

Each lead is erased in one transaction (its card, identities, history entry, contact
and up to the transaction's limit of deletions), conditional on no submission having
arrived since it was read; a larger lead's extra items are deleted first. Erasing again
finds nothing and is recorded again.

Not searched: spam posts (`SPAM#<form>`, kept 30 days by TTL, found only by reading
every spam post of every form) and double-submit markers (a hash of a post, with ids
only, kept 10 minutes). A post still in the fallback queue during an outage is stored
after the erasure, as a new lead."""

from __future__ import annotations

import hashlib
import re
import unicodedata
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal
from urllib.parse import unquote_plus, urlsplit, urlunsplit

import phonenumbers
from botocore.exceptions import BotoCoreError, ClientError
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from leadflow.contact import InvalidContact, normalize_email, normalize_phone
from leadflow.events import EventPublisher, PublishFailed
from leadflow.models import Activity, utc_now
from leadflow.notification import address_key
from leadflow.reminders import Reminders
from leadflow.repository import LeadChanged, LeadRepository

LEAD_ERASED = "Lead Erased"
ERASED_NAME = "erased"  # the anonymized card's name: a ContactCard needs one
REDACTED = "[erased]"  # what a kept text that mentioned the person becomes
# Attributes that are keys, index keys or bookkeeping: ids and times, never the person.
KEY_ATTRIBUTES = frozenset({"PK", "SK", "GSI1PK", "GSI1SK", "GSI2PK", "GSI2SK", "item_type", "expires_at"})
# Ad-platform click ids single out one person's click; the campaign tags are report
# dimensions and stay.
DROPPED_SOURCE_FIELDS = ("gclid", "fbclid")
SOURCE_URL_FIELDS = ("referrer", "landing_page")
# What the card no longer needs once the person is gone (typed by them).
DROPPED_CARD_FIELDS = ("latest_interest",)
MAX_ATTEMPTS = 3
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

    model_config = ConfigDict(extra="forbid")

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
        return f"IDENT#{self.kind.upper()}#{self.value}"

    @property
    def sha256(self) -> str:
        """What the erasure record keeps: proves later which identifier was erased
        (hash the address again and compare) without holding it."""
        return hashlib.sha256(self.value.encode("utf-8")).hexdigest()


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
        return sorted([f"IDENT#EMAIL#{e}" for e in self.emails] + [f"IDENT#PHONE#{p}" for p in self.phones])

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


def _json_time(moment: datetime) -> str:
    """A time as the models write theirs (`...Z`), like the card's other times."""
    return TypeAdapter(datetime).dump_python(moment, mode="json")


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
        if name in KEY_ATTRIBUTES or name in sets or name in removes or name == LeadRepository.ERASING_IDENTITIES:
            continue
        cleaned = scrub(value, person)
        if cleaned != value:  # anything else that mentions the person (fields other parts add)
            sets[name] = cleaned
    return Changes(sets, removes)


def anonymized_card(card: dict[str, Any], person: Person, erasure_id: str, at: datetime) -> Changes:
    """The lead card's changes: the person out, everything reports and queues read kept."""
    sets: dict[str, Any] = {"contact": {"name": ERASED_NAME}, "erased_at": _json_time(at), "erasure_id": erasure_id}
    if isinstance(card.get("source"), dict):
        sets["source"] = anonymized_source(card["source"], person)
    return _anonymized(card, person, sets, DROPPED_CARD_FIELDS)


def anonymized_contact(contact: dict[str, Any], person: Person, erasure_id: str, at: datetime) -> Changes:
    """A converted lead's contact: the person out; ids, manager and times kept."""
    sets: dict[str, Any] = {"contact": {"name": ERASED_NAME}, "erased_at": _json_time(at), "erasure_id": erasure_id}
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
    identifier_sha256: str = Field(description="SHA-256 (hex) of the normalized email (lowercase) or E.164 phone: "
                                               "hash an address again to find its erasure")
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


class LeadErased(BaseModel):
    """Detail of the `Lead Erased` event: ids only, so subscribers that copied the lead
    (a CRM) erase it too."""

    model_config = ConfigDict(extra="ignore")

    schema_version: Literal["1"] = "1"
    lead_id: str
    erasure_id: str
    contact_id: str | None = None
    at: datetime


@dataclass
class _LeadOutcome:
    erased: bool
    contact_id: str | None
    related: set[str]
    counts: ErasureCounts


def erase_person(repository: LeadRepository, request: ErasureRequest, *, by: str,
                 publisher: EventPublisher | None = None, reminders: Reminders | None = None,
                 now: datetime | None = None) -> ErasureRecord:
    """Erase the person a request names and record it; returns the record (which holds
    no personal data). ErasureRefused when the request names nobody usable; a lead that
    keeps changing under the erasure (LeadChanged) after a few attempts is raised."""
    identifier = identifier_of(request)
    now = now or utc_now()
    record = ErasureRecord(erasure_id=uuid.uuid4().hex, erased_at=now, by=by, matched_by=identifier.kind,
                           identifier_sha256=identifier.sha256)
    related: set[str] = set()
    contacts: dict[str, str] = {}  # lead id → its anonymized contact
    owners = repository.identity_owners([identifier.identity_pk])
    for lead_id in sorted(set(owners.values())):
        outcome = _erase_lead(repository, lead_id, identifier, record.erasure_id, by, now, reminders)
        _add_counts(record.counts, outcome.counts)
        related |= outcome.related
        if outcome.erased:
            record.lead_ids.append(lead_id)
        if outcome.contact_id:
            record.contact_ids.append(outcome.contact_id)
            contacts[lead_id] = outcome.contact_id
    if not owners and identifier.kind == "email":  # no lead (left): its counters may still be there
        record.counts.autoreply_counters_deleted += _delete_autoreply_counters(repository, {identifier.value})
    record.related_lead_ids = sorted(related - set(record.lead_ids))
    record.events_published = _announce(publisher, record, contacts)
    repository.put_erasure(record.erasure_id, record)
    return record


def _erase_lead(repository: LeadRepository, lead_id: str, identifier: Identifier, erasure_id: str, by: str,
                now: datetime, reminders: Reminders | None) -> _LeadOutcome:
    """One lead, read and written again while a new submission keeps arriving on it.

    What cannot be part of the lead's transaction (its schedules, the thank-you counters)
    goes first: until the transaction the lead is still found by its identity, so an
    erasure that fails half-way is finished by asking again."""
    cancelled = counters = 0
    for _ in range(MAX_ATTEMPTS):
        items = repository.lead_partition(lead_id)
        card = next((i for i in items if i["SK"] == "LEAD"), None)
        others = [i for i in items if i["SK"] != "LEAD"]
        person = _person_of(identifier, card, others)
        owners = repository.identity_owners(person.identity_pks())
        own = sorted(pk for pk, owner in owners.items() if owner == lead_id)
        outcome = _LeadOutcome(erased=False, contact_id=None,
                               related={owner for owner in owners.values() if owner != lead_id},
                               counts=_deleted_counts(others, own))
        if reminders is not None:  # an erased lead is nobody to call back
            cancelled += reminders.cancel(lead_id)
        counters += _delete_autoreply_counters(repository, person.emails)
        outcome.counts.reminders_cancelled, outcome.counts.autoreply_counters_deleted = cancelled, counters
        if card is None:
            # An identity left pointing at a lead that is gone: take it and any rest away.
            repository.delete_items([{"PK": i["PK"], "SK": i["SK"]} for i in others]
                                    + [{"PK": pk, "SK": "IDENT"} for pk in own])
            return outcome
        contact_id = card.get("contact_id")
        contact = repository.get_contact_item(contact_id) if contact_id else None
        card_changes = anonymized_card(card, person, erasure_id, now)
        contact_changes = anonymized_contact(contact, person, erasure_id, now) if contact else None
        count = card.get("submission_count")
        try:
            repository.erase_lead(
                lead_id, submission_count=int(count) if count is not None else None,
                card_sets=card_changes.sets, card_removes=card_changes.removes,
                deletes=_in_deletion_order(others), identity_pks=own,
                activity=Activity(activity_id=uuid.uuid4().hex, lead_id=lead_id, at=now, kind="erased",
                                  detail={"by": by, "erasure_id": erasure_id}),
                contact_id=contact_id if contact_changes else None,
                contact_sets=contact_changes.sets if contact_changes else None,
                contact_removes=contact_changes.removes if contact_changes else None,
            )
        except LeadChanged:
            continue  # a submission arrived (or another write got in the way): read again
        outcome.erased = True
        outcome.counts.leads_anonymized = 1
        outcome.counts.contacts_anonymized = 1 if contact_changes else 0
        outcome.contact_id = contact_id if contact_changes else None
        return outcome
    raise LeadChanged(lead_id)


def _delete_autoreply_counters(repository: LeadRepository, emails: Iterable[str]) -> int:
    """The thank-you limit's counters of these addresses (keyed by a hash of each)."""
    return sum(repository.delete_autoreply_counters(address_key(email, repository.table_name))
               for email in sorted(emails))


def _in_deletion_order(others: list[dict[str, Any]]) -> list[dict[str, str]]:
    """Submissions last: a lead too large for one transaction loses its other items
    first, and the submissions, which name the person's identities, go with the card."""
    ordered = sorted(others, key=lambda i: i.get("item_type") == "submission")
    return [{"PK": i["PK"], "SK": i["SK"]} for i in ordered]


def _person_of(identifier: Identifier, card: dict[str, Any] | None, others: list[dict[str, Any]]) -> Person:
    """The identifier asked for, and every email and phone the lead holds: its card's,
    each submission's (a later post may have added a phone), and any identities an
    interrupted erasure noted on the card."""
    person = Person()
    person.add_identifier(identifier)
    for item in ([card] if card else []) + [i for i in others if i.get("item_type") == "submission"]:
        contact = item.get("contact") if isinstance(item.get("contact"), dict) else {}
        person.add(email=contact.get("email"), phone=contact.get("phone"))
    for pk in (card or {}).get(LeadRepository.ERASING_IDENTITIES) or []:
        _, kind, value = str(pk).split("#", 2)
        person.add(**{kind.lower(): value})
    return person


def _deleted_counts(others: list[dict[str, Any]], identity_pks: list[str]) -> ErasureCounts:
    submissions = sum(1 for i in others if str(i["SK"]).startswith("SUB#"))
    activities = sum(1 for i in others if str(i["SK"]).startswith("ACT#"))
    return ErasureCounts(submissions_deleted=submissions, activities_deleted=activities,
                         other_items_deleted=len(others) - submissions - activities,
                         identities_deleted=len(identity_pks))


def _add_counts(total: ErasureCounts, more: ErasureCounts) -> None:
    for name in ErasureCounts.model_fields:
        setattr(total, name, getattr(total, name) + getattr(more, name))


def _announce(publisher: EventPublisher | None, record: ErasureRecord, contacts: dict[str, str]) -> bool:
    """`Lead Erased` per lead, ten per PutEvents call; True when every one went out.
    The erasure is done whatever the bus says: a failure is recorded on the erasure
    (events_published false), not raised, since a retry would find nothing to announce."""
    if not record.lead_ids:
        return True
    if publisher is None:
        return False
    events: list[tuple[str, BaseModel]] = [
        (LEAD_ERASED, LeadErased(lead_id=lead_id, erasure_id=record.erasure_id, contact_id=contacts.get(lead_id),
                                 at=record.erased_at))
        for lead_id in record.lead_ids]
    try:
        for start in range(0, len(events), 10):
            publisher.publish_all(events[start:start + 10])
    except (PublishFailed, ClientError, BotoCoreError):
        return False
    return True
