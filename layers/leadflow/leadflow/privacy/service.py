"""Erasing a person on request (the right to erasure), found by their email or phone.

What goes: every submission, history entry and other item of the person's lead, the
identity items that match them (email and phone), their thank-you rate counters, the
lead's pending reminders. What stays, anonymized: the lead card, without the person
(name "erased", no email, phone, company, job title, country or interest; click ids and
URL queries out of its source) but with its status, source channel and campaign, score,
manager and times, so counters, reports and the manager's queue still add up; and a
converted lead's contact the same way. Report counters hold no personal data and are
kept. An `ERASURE#<id>` item records that the erasure happened: who, when, what kind of
identifier (with its keyed hash, never the value), which leads, how many items.

Each lead is erased in one transaction (its card, identities, history entry, contact
and up to the transaction's limit of deletions), conditional on no submission having
arrived since it was read; a larger lead's extra items are deleted first. Erasing again
finds nothing and is recorded again.

Not searched: spam posts (`SPAM#<form>`, kept 30 days by TTL, found only by reading
every spam post of every form) and double-submit markers (a hash of a post, with ids
only, kept 10 minutes). A post still in the fallback queue during an outage is stored
after the erasure, as a new lead."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from pydantic import BaseModel

from leadflow.lifecycle.schedules import Reminders
from leadflow.notification.autoresponder import address_key
from leadflow.privacy.erasure import (
    ERASING_IDENTITIES,
    ErasureCounts,
    ErasureRecord,
    ErasureRequest,
    Identifier,
    Person,
    anonymized_card,
    anonymized_contact,
    identifier_of,
)
from leadflow.privacy.store import ErasureStore
from leadflow.shared.bus import EventPublisher, PublishFailed
from leadflow.shared.clock import utc_now
from leadflow.shared.events import LEAD_ERASED, LeadErased
from leadflow.shared.hashing import PersonalDataHasher
from leadflow.shared.models import Activity
from leadflow.storage.transactions import LeadChanged

MAX_ATTEMPTS = 3


@dataclass
class _LeadOutcome:
    erased: bool
    contact_id: str | None
    related: set[str]
    counts: ErasureCounts


def erase_person(store: ErasureStore, request: ErasureRequest, *, by: str, hasher: PersonalDataHasher,
                 publisher: EventPublisher | None = None, reminders: Reminders | None = None,
                 now: datetime | None = None) -> ErasureRecord:
    """Erase the person a request names and record it; returns the record (which holds
    no personal data). ErasureRefused when the request names nobody usable; a lead that
    keeps changing under the erasure (LeadChanged) after a few attempts is raised."""
    identifier = identifier_of(request)
    now = now or utc_now()
    record = ErasureRecord(erasure_id=uuid.uuid4().hex, erased_at=now, by=by, matched_by=identifier.kind,
                           identifier_hmac=identifier.keyed_hash(hasher))
    related: set[str] = set()
    contacts: dict[str, str] = {}  # lead id → its anonymized contact
    owners = store.identity_owners([identifier.identity_pk])
    for lead_id in sorted(set(owners.values())):
        outcome = _erase_lead(store, lead_id, identifier, record.erasure_id, by, now, reminders, hasher)
        _add_counts(record.counts, outcome.counts)
        related |= outcome.related
        if outcome.erased:
            record.lead_ids.append(lead_id)
        if outcome.contact_id:
            record.contact_ids.append(outcome.contact_id)
            contacts[lead_id] = outcome.contact_id
    if not owners and identifier.kind == "email":  # no lead (left): its counters may still be there
        record.counts.autoreply_counters_deleted += _delete_autoreply_counters(store, {identifier.value}, hasher)
    record.related_lead_ids = sorted(related - set(record.lead_ids))
    record.events_published = _announce(publisher, record, contacts)
    store.put_erasure(record.erasure_id, record)
    return record


def _erase_lead(store: ErasureStore, lead_id: str, identifier: Identifier, erasure_id: str, by: str,
                now: datetime, reminders: Reminders | None, hasher: PersonalDataHasher) -> _LeadOutcome:
    """One lead, read and written again while a new submission keeps arriving on it.

    What cannot be part of the lead's transaction (its schedules, the thank-you counters)
    goes first: until the transaction the lead is still found by its identity, so an
    erasure that fails half-way is finished by asking again."""
    cancelled = counters = 0
    for _ in range(MAX_ATTEMPTS):
        items = store.lead_partition(lead_id)
        card = next((i for i in items if i["SK"] == "LEAD"), None)
        others = [i for i in items if i["SK"] != "LEAD"]
        person = _person_of(identifier, card, others)
        owners = store.identity_owners(person.identity_pks())
        own = sorted(pk for pk, owner in owners.items() if owner == lead_id)
        outcome = _LeadOutcome(erased=False, contact_id=None,
                               related={owner for owner in owners.values() if owner != lead_id},
                               counts=_deleted_counts(others, own))
        if reminders is not None:  # an erased lead is nobody to call back
            cancelled += reminders.cancel(lead_id)
        counters += _delete_autoreply_counters(store, person.emails, hasher)
        clock_stopped = 1 if card is not None and "GSI3PK" in card else 0  # in the erasure's transaction
        outcome.counts.reminders_cancelled = cancelled + clock_stopped
        outcome.counts.autoreply_counters_deleted = counters
        if card is None:
            # An identity left pointing at a lead that is gone: take it and any rest away.
            store.delete_items([{"PK": i["PK"], "SK": i["SK"]} for i in others]
                                    + [{"PK": pk, "SK": "IDENT"} for pk in own])
            return outcome
        contact_id = card.get("contact_id")
        contact = store.get_contact_item(contact_id) if contact_id else None
        card_changes = anonymized_card(card, person, erasure_id, now)
        contact_changes = anonymized_contact(contact, person, erasure_id, now) if contact else None
        count = card.get("submission_count")
        try:
            store.erase_lead(
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


def _delete_autoreply_counters(store: ErasureStore, emails: Iterable[str], hasher: PersonalDataHasher) -> int:
    """The thank-you limit's counters of these addresses (keyed by a hash of each)."""
    return sum(store.delete_autoreply_counters(address_key(email, hasher))
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
    for pk in (card or {}).get(ERASING_IDENTITIES) or []:
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
