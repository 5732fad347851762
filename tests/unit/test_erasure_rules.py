"""Erasure's rules without AWS: whom a request names, what counts as mentioning the
person, and what an anonymized lead card keeps."""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timezone

import pytest
from pydantic import ValidationError

from leadflow.privacy.erasure import (
    ERASED_NAME,
    REDACTED,
    ErasureRefused,
    ErasureRequest,
    Identifier,
    Person,
    anonymized_card,
    anonymized_contact,
    identifier_of,
)
from leadflow.shared.hashing import PersonalDataHasher
from leadflow.shared.models import Lead
from leadflow.shared.secrets import StaticKeys

AT = datetime(2026, 11, 25, 10, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize(("body", "expected"), [
    ({"email": "  Jane.Doe@Acme-Corp.COM "}, Identifier("email", "jane.doe@acme-corp.com")),
    ({"phone": "+1 (415) 555-0134"}, Identifier("phone", "+14155550134")),
    ({"phone": "(415) 555-0134", "country": "us"}, Identifier("phone", "+14155550134")),
    ({"phone": "030 1234567", "country": "DE"}, Identifier("phone", "+49301234567")),
    ({"email": "ana@example.com", "country": "ES"}, Identifier("email", "ana@example.com")),
])
def test_a_request_names_the_person_as_capture_normalized_them(body, expected):
    assert identifier_of(ErasureRequest.model_validate(body)) == expected


@pytest.mark.parametrize(("body", "code"), [
    ({}, "email_or_phone_required"),
    ({"email": " ", "phone": ""}, "email_or_phone_required"),
    ({"email": "ana@example.com", "phone": "+14155550134"}, "email_or_phone_required"),
    ({"phone": "415 555 0134"}, "country_required"),
    ({"email": "ana@@example"}, "invalid_email"),
    ({"phone": "+1 555"}, "invalid_phone"),
    ({"phone": "12", "country": "US"}, "invalid_phone"),
])
def test_a_request_that_names_nobody_usable_is_refused_with_a_code_and_without_the_value(body, code):
    with pytest.raises(ErasureRefused) as refused:
        identifier_of(ErasureRequest.model_validate(body))
    assert refused.value.code == code
    for value in filter(None, (body.get("email", "").strip(), body.get("phone", "").strip())):
        assert value not in str(refused.value)


def test_a_request_with_unknown_fields_is_not_valid():
    with pytest.raises(ValidationError):
        ErasureRequest.model_validate({"email": "ana@example.com", "name": "Ana"})


def test_the_record_keeps_a_keyed_hash_of_the_identifier_not_the_identifier():
    identifier = Identifier("email", "ana@example.com")
    key = b"k" * 32
    kept = identifier.keyed_hash(PersonalDataHasher(StaticKeys(key)))
    assert kept == hmac.new(key, b"erased-identifier\x00ana@example.com", hashlib.sha256).hexdigest()
    # Not a plain SHA-256 anyone could recompute from a guess, and another key gives another hash.
    assert kept != hashlib.sha256(b"ana@example.com").hexdigest()
    assert kept != identifier.keyed_hash(PersonalDataHasher(StaticKeys(b"x" * 32)))
    assert "ana" not in kept
    assert identifier.identity_pk == "IDENT#EMAIL#ana@example.com"
    assert Identifier("phone", "+14155550134").identity_pk == "IDENT#PHONE#+14155550134"


@pytest.fixture
def jane() -> Person:
    person = Person()
    person.add(email="Jane.Doe@Acme-Corp.com", phone="+14155550134")
    return person


@pytest.mark.parametrize("text", [
    "jane.doe@acme-corp.com", "Write to JANE.DOE@ACME-CORP.COM please", "mailto:jane.doe@acme-corp.com?subject=x",
    "+14155550134", "call (415) 555-0134 after 5", "415.555.0134", "415 555 0134", "+1 415-555-0134",
    "tel:14155550134", "https://www.example.com/?e=jane.doe%40acme-corp.com",
])
def test_a_text_mentions_the_person_by_email_in_any_case_or_by_phone_however_spaced(jane, text):
    assert jane.mentioned_in(text)


@pytest.mark.parametrize("text", [
    "jane@acme-corp.com", "415 555 0135", "2026-11-25T10:00:00.415555+00:00", "Acme Corp", "quote", "",
])
def test_other_texts_do_not_mention_the_person(jane, text):
    assert not jane.mentioned_in(text)


def card_item() -> dict:
    """A lead card as the table holds it (keys included)."""
    lead = Lead.model_validate({
        "lead_id": "L1", "status": "contacted", "created_at": AT, "last_seen_at": AT, "submission_count": 2,
        "latest_interest": "quote for jane's team", "manager_id": "m-olivia", "contacted_at": AT,
        "contact": {"name": "Jane Doe", "email": "jane.doe@acme-corp.com", "phone": "+14155550134",
                    "company": "Acme Corp", "job_title": "VP Sales", "country": "US"},
        "source": {"form_id": "demo", "channel": "inbound", "utm_source": "google", "utm_medium": "cpc",
                   "utm_campaign": "winter", "utm_content": "jane.doe@acme-corp.com", "gclid": "Cj0KCQ",
                   "referrer": "https://www.google.com/search?q=acme", "landing_page":
                   "https://www.example.com/pricing?email=jane.doe%40acme-corp.com#form"},
        "score": {"points": 90, "temperature": "hot", "rule_set_version": "v1",
                  "parts": [{"rule_id": "intent-buy", "points": 40, "reason": "Asked for a quote"}]},
    })
    return {**lead.model_dump(mode="json", exclude_none=True), "PK": "LEAD#L1", "SK": "LEAD",
            "GSI1PK": "MANAGER#m-olivia", "GSI1SK": "contacted#2026-11-25", "item_type": "lead",
            "crm_note": "synced from +1 415 555 0134"}


def test_an_anonymized_card_drops_the_person_and_keeps_what_reports_and_queues_read(jane):
    card = card_item()

    changes = anonymized_card(card, jane, "E1", AT)

    assert changes.sets["contact"] == {"name": ERASED_NAME}
    assert changes.removes == ["latest_interest"]
    assert changes.sets["source"] == {
        "form_id": "demo", "channel": "inbound", "utm_source": "google", "utm_medium": "cpc",
        "utm_campaign": "winter", "utm_content": REDACTED,  # a campaign tag that named her
        "referrer": "https://www.google.com/search", "landing_page": "https://www.example.com/pricing",
    }  # no click id, no query strings
    assert changes.sets["crm_note"] == REDACTED  # an attribute another part added, naming her phone
    assert changes.sets["erasure_id"] == "E1" and changes.sets["erased_at"] == "2026-11-25T10:00:00Z"
    # Status, manager, score, times and keys are not touched
    assert set(changes.sets) == {"contact", "source", "crm_note", "erasure_id", "erased_at"}
    # AND the result is still a lead card the API can read
    anonymous = {k: v for k, v in card.items() if k not in changes.removes} | changes.sets
    lead = Lead.model_validate(anonymous)
    assert (lead.status, lead.manager_id, lead.score.points, lead.contact.email, lead.contact.phone) == \
        ("contacted", "m-olivia", 90, None, None)
    assert lead.erased_at == AT


def test_an_anonymized_card_drops_a_referrals_note_and_keeps_who_referred_it(jane):
    card = {**card_item(), "introduction": {"referred_by": "maria-lopez", "partner_id": "maria-lopez",
                                            "note": "Jane runs sales at Acme, call her", "consent_method": "other",
                                            "consent_note": "she said yes at lunch"}}

    changes = anonymized_card(card, jane, "E1", AT)

    assert changes.sets["introduction"] == {"referred_by": "maria-lopez", "partner_id": "maria-lopez",
                                            "consent_method": "other"}


def test_an_anonymized_contact_keeps_its_ids_and_manager(jane):
    contact = {"contact_id": "C1", "lead_id": "L1", "manager_id": "m-olivia", "created_at": "2026-11-25T10:00:00Z",
               "created_by": "m-olivia", "contact": {"name": "Jane Doe", "email": "jane.doe@acme-corp.com"}}

    changes = anonymized_contact(contact, jane, "E1", AT)

    assert changes.sets == {"contact": {"name": ERASED_NAME}, "erased_at": "2026-11-25T10:00:00Z",
                            "erasure_id": "E1"}
    assert changes.removes == []
