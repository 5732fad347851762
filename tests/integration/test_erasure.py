"""Erasing a person through the leads API on the deployed stack (moto): after it, no item
anywhere in the table holds their email, phone or name; their lead card stays,
anonymous, with its status; everyone else's data is untouched; the erasure is recorded
without the identifier."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from leadflow.capture.store import LeadVanished
from leadflow.capture.validation import build_submission, validate_form
from leadflow.lifecycle.service import add_note, change_status
from leadflow.notification.autoresponder import address_key
from leadflow.privacy.erasure import ErasureRequest, Identifier
from leadflow.privacy.service import erase_person
from leadflow.shared.bus import EventPublisher
from leadflow.shared.events import LEAD_ERASED, SOURCE
from leadflow.shared.models import ContactCard, LeadStatus
from leadflow_local.stack import LocalStack
from support import all_items, api_event, claims_of, hasher_of, running_clock, stores_of

JANE_EMAIL = "jane.doe@acme-corp.com"
JANE_PHONE = "+14155550134"
# Every way Jane's identifiers could sit in an item: as stored, as she typed them.
JANE_TRACES = (JANE_EMAIL, "Jane.Doe@Acme-Corp.com", "jane.doe%40acme-corp.com", JANE_PHONE, "4155550134",
               "(415) 555-0134", "415-555-0134", "415 555 0134", "Jane Doe", "Acme Corp")
BOB_EMAIL = "bob@globex.example"
BOB_PHONE = "+442071838750"


# -- helpers ---------------------------------------------------------------------------


def post(stack: LocalStack, form_id: str = "demo", **fields: str) -> None:
    """A form post through the API, then the whole pipeline (score, assign, notify)."""
    response = stack.handle_http("POST", f"/forms/{form_id}/submissions", {"Content-Type": "application/json"},
                                 json.dumps(fields).encode())
    assert response.status == 202, response.body
    stack.drain()


def lead_of(stack: LocalStack, email: str | None = None, phone: str | None = None) -> str | None:
    return stores_of(stack).capture.find_lead_id(ContactCard(name="-", email=email, phone=phone))


ADMIN = claims_of(admin=True)


def erase(stack: LocalStack, body: Any, claims: dict[str, str] | None = ADMIN) -> tuple[int, dict[str, Any]]:
    """POST /erasures as an admin (or with `claims`; None: none); the status and the JSON answer."""
    event = api_event("POST", "/erasures", claims=claims, body=body, resource="/erasures")
    response = stack.invoke("LeadsApiFunction", event)
    return response["statusCode"], json.loads(response["body"])


def traces_of_jane(stack: LocalStack, table: Any) -> list[tuple[str, str, str]]:
    """(PK, SK, trace) for every item anywhere in the table that still holds Jane."""
    found = []
    for item in all_items(table):
        text = json.dumps(item, default=str, ensure_ascii=False).casefold()
        found += [(item["PK"], item["SK"], t) for t in JANE_TRACES if t.casefold() in text]
    return found


def items_under(table: Any, prefix: str) -> list[dict[str, Any]]:
    return sorted((i for i in all_items(table) if i["PK"].startswith(prefix)), key=lambda i: (i["PK"], i["SK"]))


class Bus:
    """A rule on the stack's bus sending `Lead Erased` to a queue this test reads."""

    def __init__(self, stack: LocalStack) -> None:
        self.name = f"{stack.stack_name}-leads"
        self.sqs = stack.client("sqs")
        self.url = self.sqs.create_queue(QueueName="erasure-events")["QueueUrl"]
        arn = self.sqs.get_queue_attributes(QueueUrl=self.url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        events = stack.client("events")
        events.put_rule(Name="erasure-events", EventBusName=self.name,
                        EventPattern=json.dumps({"source": [SOURCE], "detail-type": [LEAD_ERASED]}))
        events.put_targets(Rule="erasure-events", EventBusName=self.name, Targets=[{"Id": "q", "Arn": arn}])
        self.publisher = EventPublisher(self.name, events)

    def received(self) -> list[dict[str, Any]]:
        out = []
        while messages := self.sqs.receive_message(QueueUrl=self.url, MaxNumberOfMessages=10).get("Messages", []):
            for message in messages:
                out.append(json.loads(message["Body"])["detail"])
                self.sqs.delete_message(QueueUrl=self.url, ReceiptHandle=message["ReceiptHandle"])
        return out


@pytest.fixture
def bus(stack: LocalStack) -> Bus:
    return Bus(stack)


@pytest.fixture
def jane(stack: LocalStack) -> str:
    """Jane through the whole pipeline twice (the second time typing her phone her own
    way, with a message naming it), thanked by the autoresponder, with a manager's note
    and two status changes; her lead id. Bob, someone else, posts too."""
    stores = stores_of(stack)
    stores.capture.put_form(stores.capture.get_form("demo").model_copy(update={"autoresponder": True}))
    post(stack, name="Jane Doe", email="Jane.Doe@Acme-Corp.com", phone=JANE_PHONE, company="Acme Corp",
         job_title="VP Sales", interest="quote", country="US", utm_source="google", utm_medium="cpc",
         utm_campaign="winter", gclid="Cj0KCQiA", landing_page="https://www.example.com/pricing?e=jane.doe%40acme-corp.com")
    post(stack, name="Jane Doe", email=JANE_EMAIL, phone="(415) 555-0134", interest="demo",
         message="Call me on 415-555-0134 or write to Jane.Doe@Acme-Corp.com")
    post(stack, name="Bob Brown", email=BOB_EMAIL, phone=BOB_PHONE, company="Globex", interest="ebook")
    lead_id = lead_of(stack, email=JANE_EMAIL)
    assert lead_id and lead_id != lead_of(stack, email=BOB_EMAIL)
    manager_id = stores.lifecycle.get_lead(lead_id).manager_id
    publisher = EventPublisher(f"{stack.stack_name}-leads", stack.client("events"))
    add_note(stores.lifecycle, lead_id, "Jane (415) 555-0134 wants a call after 5pm", by=manager_id)
    change_status(stores.lifecycle, publisher, lead_id, LeadStatus.CONTACTED, by=manager_id, note="spoke to Jane Doe")
    change_status(stores.lifecycle, publisher, lead_id, LeadStatus.QUALIFIED, by=manager_id)
    stack.drain()
    return lead_id


# -- the erasure -----------------------------------------------------------------------


def test_after_erasure_no_item_holds_the_persons_email_phone_or_name(stack, table, jane, bus, capsys):
    # GIVEN Jane everywhere: lead card, submissions, identities, history, autoresponder counter
    assert {t for _, _, t in traces_of_jane(stack, table)} >= {JANE_EMAIL, JANE_PHONE, "Jane Doe"}
    autoreply_pk = f"AUTOREPLY#{address_key(JANE_EMAIL, hasher_of(stack))}"
    assert items_under(table, autoreply_pk)
    counters = items_under(table, "STAT")
    bob_items = [i for i in all_items(table) if BOB_EMAIL in json.dumps(i, default=str)]
    assert len(bob_items) >= 3  # his card, submission and identity
    lead_before = stores_of(stack).lifecycle.get_lead(jane)
    capsys.readouterr()

    # WHEN an admin erases her by email, typed in another case
    status, record = erase(stack, {"email": "  JANE.DOE@acme-corp.com "})

    # THEN nothing in the table holds her email, phone or name, in any form
    assert status == 200, record
    assert traces_of_jane(stack, table) == []
    # AND her lead card is still there, anonymous, with its status, source channel, score and manager
    lead = stores_of(stack).lifecycle.get_lead(jane)
    assert lead.contact == ContactCard(name="erased")
    assert lead.status == LeadStatus.QUALIFIED and lead.manager_id == lead_before.manager_id
    assert lead.score == lead_before.score and lead.created_at == lead_before.created_at
    assert lead.source.channel == lead_before.source.channel and lead.source.utm_campaign == "winter"
    assert lead.source.gclid is None and lead.source.landing_page == "https://www.example.com/pricing"
    assert lead.latest_interest is None and lead.erased_at is not None
    # AND her submissions and history are gone but for the entry saying she was erased
    partition = items_under(table, f"LEAD#{jane}")
    assert [i["SK"] for i in partition if i["SK"] != "LEAD"] == [next(
        i["SK"] for i in partition if i.get("kind") == "erased")]
    # AND so are her identities and her autoresponder counter; report counters are untouched
    assert items_under(table, "IDENT#EMAIL#jane") == items_under(table, "IDENT#PHONE#+1415") == []
    assert items_under(table, autoreply_pk) == []
    assert items_under(table, "STAT") == counters
    # AND Bob's data is intact
    assert [i for i in all_items(table) if BOB_EMAIL in json.dumps(i, default=str)] == bob_items
    assert lead_of(stack, email=BOB_EMAIL) and lead_of(stack, phone=BOB_PHONE)
    # AND the erasure is recorded with a hash of the address, never the address
    assert record["matched_by"] == "email" and record["lead_ids"] == [jane] and record["by"] == "user:user-admin"
    assert record["identifier_hmac"] == Identifier("email", JANE_EMAIL).keyed_hash(hasher_of(stack))
    # (the other item: her visits window, where her second post was noted for its digest)
    assert record["counts"] | {"reminders_cancelled": 0} == {
        "leads_anonymized": 1, "contacts_anonymized": 0, "submissions_deleted": 2, "activities_deleted": 5,
        "other_items_deleted": 1, "identities_deleted": 2, "autoreply_counters_deleted": 1,
        "reminders_cancelled": 0}
    [stored] = items_under(table, "ERASURE#")
    assert stored["erasure_id"] == record["erasure_id"] and stored["lead_ids"] == [jane]
    # AND subscribers hear of it, by ids
    [detail] = bus.received()
    assert detail["lead_id"] == jane and detail["erasure_id"] == record["erasure_id"]
    # AND nothing of her reached the logs
    logs = capsys.readouterr()
    assert not [t for t in JANE_TRACES if t.casefold() in (logs.out + logs.err).casefold()]


def test_a_converted_leads_contact_is_anonymized_too(stack, table, jane):
    # GIVEN Jane became a customer
    stores = stores_of(stack)
    publisher = EventPublisher(f"{stack.stack_name}-leads", stack.client("events"))
    change_status(stores.lifecycle, publisher, jane, LeadStatus.CONVERTED, by="m-olivia")
    contact_id = stores.lifecycle.get_lead(jane).contact_id
    assert stores.lifecycle.get_contact(contact_id).contact.email == JANE_EMAIL

    # WHEN she is erased
    status, record = erase(stack, {"email": JANE_EMAIL})

    # THEN her contact is kept, anonymous, still linked to the lead; nothing holds her
    assert status == 200 and record["contact_ids"] == [contact_id]
    assert record["counts"]["contacts_anonymized"] == 1
    contact = stores.lifecycle.get_contact(contact_id)
    assert contact.contact == ContactCard(name="erased") and contact.lead_id == jane
    assert stores.lifecycle.get_lead(jane).status == LeadStatus.CONVERTED
    assert traces_of_jane(stack, table) == []


def test_erasing_by_phone_as_typed_with_its_country_removes_the_email_identity_too(stack, table):
    # GIVEN Jane, assigned, her speed-to-lead reminder pending
    post(stack, name="Jane Doe", email=JANE_EMAIL, phone=JANE_PHONE, company="Acme Corp", interest="quote")
    lead_id = lead_of(stack, email=JANE_EMAIL)
    assert running_clock(stack, lead_id)

    # WHEN she is erased by her phone, as she would give it over the phone
    status, record = erase(stack, {"phone": "(415) 555-0134", "country": "US"})

    # THEN both identities are gone, nothing holds her, her reminder is cancelled
    assert status == 200 and record["matched_by"] == "phone" and record["lead_ids"] == [lead_id]
    assert record["identifier_hmac"] == Identifier("phone", JANE_PHONE).keyed_hash(hasher_of(stack))
    assert lead_of(stack, email=JANE_EMAIL) is None and lead_of(stack, phone=JANE_PHONE) is None
    assert traces_of_jane(stack, table) == []
    assert running_clock(stack, lead_id) is None and record["counts"]["reminders_cancelled"] == 1
    # AND the anonymous card still sits in its manager's queue with its status
    lead = stores_of(stack).lifecycle.get_lead(lead_id)
    assert lead.status == LeadStatus.ASSIGNED and lead.manager_id


def test_erasing_again_or_erasing_nobody_is_recorded_and_changes_nothing(stack, table, jane):
    status, first = erase(stack, {"email": JANE_EMAIL})
    assert status == 200 and first["lead_ids"] == [jane]
    before = all_items(table)

    status, again = erase(stack, {"email": JANE_EMAIL})
    status_nobody, nobody = erase(stack, {"phone": "+33612345678"})

    assert status == status_nobody == 200
    assert again["lead_ids"] == nobody["lead_ids"] == []
    assert set(again["counts"].values()) == set(nobody["counts"].values()) == {0}
    assert again["erasure_id"] != first["erasure_id"]
    after = all_items(table)
    assert [i for i in after if not i["PK"].startswith("ERASURE#")] == [
        i for i in before if not i["PK"].startswith("ERASURE#")]
    assert len(items_under(table, "ERASURE#")) == 3


def test_a_phone_that_belongs_to_another_lead_is_reported_not_erased(stack, table):
    # GIVEN Jane's email on one lead, and her phone first given alone, on another lead;
    # then a post with both, which goes to the email's lead
    post(stack, name="Jane Doe", email=JANE_EMAIL, interest="quote")
    post(stack, name="J. Doe", phone=JANE_PHONE, interest="quote")
    post(stack, name="Jane Doe", email=JANE_EMAIL, phone=JANE_PHONE, interest="demo")
    by_email, by_phone = lead_of(stack, email=JANE_EMAIL), lead_of(stack, phone=JANE_PHONE)
    assert by_email != by_phone

    # WHEN she is erased by email
    status, record = erase(stack, {"email": JANE_EMAIL})

    # THEN the email's lead is erased; the phone's lead is named for the admin, untouched
    assert status == 200 and record["lead_ids"] == [by_email] and record["related_lead_ids"] == [by_phone]
    assert lead_of(stack, phone=JANE_PHONE) == by_phone
    assert stores_of(stack).lifecycle.get_lead(by_phone).contact.phone == JANE_PHONE
    assert {t for _, _, t in traces_of_jane(stack, table)} == {JANE_PHONE, "4155550134"}  # lead 2 only
    # AND erasing by the phone then removes the rest
    status, second = erase(stack, {"phone": JANE_PHONE})
    assert second["lead_ids"] == [by_phone] and traces_of_jane(stack, table) == []


def test_a_lead_too_large_for_one_transaction_is_erased_and_an_interrupted_erasure_finished(stack, table,
                                                                                         monkeypatch):
    # GIVEN Jane posted by email, then again with her phone (its identity named only by
    # that second submission), and her manager wrote 120 notes
    post(stack, name="Jane Doe", email=JANE_EMAIL, interest="quote")
    post(stack, name="Jane Doe", email=JANE_EMAIL, phone="415 555 0134", interest="demo")
    lead_id = lead_of(stack, email=JANE_EMAIL)
    assert lead_of(stack, phone=JANE_PHONE) == lead_id
    stores = stores_of(stack)
    for n in range(120):
        add_note(stores.lifecycle, lead_id, f"note {n}", by="m-olivia")
    # AND the erasure's last transaction fails once (the table throttles, the function dies)
    real = stores.table.client.transact_write_items
    failures = []

    def failing_once(**kwargs: Any) -> Any:
        if len(kwargs["TransactItems"]) > 50 and not failures:
            failures.append(1)
            raise ClientError({"Error": {"Code": "InternalServerError", "Message": "try again"}},
                              "TransactWriteItems")
        return real(**kwargs)

    monkeypatch.setattr(stores.table.client, "transact_write_items", failing_once)
    with pytest.raises(ClientError):
        erase_person(stores.privacy, ErasureRequest(email=JANE_EMAIL), by="user:admin", hasher=hasher_of(stack))
    assert failures and stores.lifecycle.get_lead(lead_id).contact.email == JANE_EMAIL  # the card is not erased yet

    # WHEN the admin asks again
    record = erase_person(stores.privacy, ErasureRequest(email=JANE_EMAIL), by="user:admin", hasher=hasher_of(stack))

    # THEN everything is gone, the phone's identity too, and the card is anonymous
    assert record.lead_ids == [lead_id] and record.counts.identities_deleted == 2
    assert traces_of_jane(stack, table) == []
    partition = items_under(table, f"LEAD#{lead_id}")
    assert sorted(i.get("kind", i["SK"]) for i in partition) == ["LEAD", "erased"]
    [card] = [i for i in partition if i["SK"] == "LEAD"]
    assert "erasing_identities" not in card and card["contact"] == {"name": "erased"}


def test_a_post_racing_the_erasure_never_lands_on_the_erased_lead(stack, table, monkeypatch):
    # GIVEN Jane, erased
    post(stack, name="Jane Doe", email=JANE_EMAIL, interest="quote")
    erased = lead_of(stack, email=JANE_EMAIL)
    assert erase(stack, {"email": JANE_EMAIL})[0] == 200
    # AND a post of hers that found her identity just before the erasure removed it: its
    # first write meets the identity (which names the erased lead), the erasure removes
    # the identity before its second write
    stores = stores_of(stack)
    form = stores.capture.get_form("demo")
    submission, lead = build_submission(form, validate_form(form, {"name": "Jane Doe", "email": JANE_EMAIL}),
                                        stores.lifecycle.get_lead(erased).created_at)
    identity = {"PK": {"S": f"IDENT#EMAIL#{JANE_EMAIL}"}, "SK": {"S": "IDENT"}, "lead_id": {"S": erased}}
    stores.table.client.put_item(TableName=stores.table.name, Item=identity)
    transact = stores.table.transact

    def erasure_lands_in_between(items: list[dict]) -> None:
        try:
            transact(items)
        finally:
            stores.table.client.delete_item(TableName=stores.table.name, Key={k: identity[k] for k in ("PK", "SK")})

    monkeypatch.setattr(stores.table, "transact", erasure_lands_in_between)

    # WHEN it is written
    with pytest.raises(LeadVanished):
        stores.capture.record_submission(submission, lead)

    # THEN nothing was attached to the erased lead: capture's retry makes her a new lead
    assert [i["SK"] for i in items_under(table, f"LEAD#{erased}") if i["SK"].startswith("SUB#")] == []
    monkeypatch.undo()
    recorded = stores.capture.record_submission(submission, lead)
    assert recorded.is_new_lead and recorded.lead_id != erased


# -- who may, and what a request must say ------------------------------------------------


@pytest.fixture
def stored_jane(stack: LocalStack) -> str:
    """Jane's post stored by capture (not yet scored: these tests need only her lead)."""
    response = stack.handle_http("POST", "/forms/demo/submissions", {"Content-Type": "application/json"},
                                 json.dumps({"name": "Jane Doe", "email": JANE_EMAIL, "phone": JANE_PHONE}).encode())
    assert response.status == 202, response.body
    lead_id = lead_of(stack, email=JANE_EMAIL)
    assert lead_id
    return lead_id


@pytest.mark.parametrize(("claims", "status", "code"), [
    (None, 401, "not_authenticated"),
    (claims_of("m-olivia"), 403, "admins_only"),
    (claims_of(), 403, "admins_only"),  # signed in, neither a manager nor an admin
])
def test_only_admins_erase(stack, table, stored_jane, claims, status, code):
    answer_status, answer = erase(stack, {"email": JANE_EMAIL}, claims=claims)

    assert answer_status == status and answer["errors"][0]["code"] == code
    assert lead_of(stack, email=JANE_EMAIL) == stored_jane and items_under(table, "ERASURE#") == []


REFUSED = [
    ({}, "email_or_phone_required"),
    ({"email": JANE_EMAIL, "phone": JANE_PHONE}, "email_or_phone_required"),
    ({"email": "", "phone": " "}, "email_or_phone_required"),
    ({"phone": "415 555 0134"}, "country_required"),
    ({"phone": "415 555 0134", "country": "USA"}, "invalid_request"),
    ({"email": "jane.doe@@acme-corp"}, "invalid_email"),
    ({"phone": "+1 555"}, "invalid_phone"),
    ({"email": JANE_EMAIL, "reason": "asked by phone"}, "invalid_request"),
    ({"email": 42}, "invalid_request"),
    ([JANE_EMAIL], "invalid_request"),
    ("not json", "invalid_request"),
    (None, "invalid_request"),
]


def test_a_request_that_names_nobody_usable_is_a_coded_400_and_erases_nothing(stack, table, stored_jane):
    for body, code in REFUSED:  # one stack for every case: each costs a deploy otherwise
        status, answer = erase(stack, body)

        assert status == 400, (body, answer)
        assert code in {answer.get("code"), *(e["code"] for e in answer["errors"])}, (body, answer)
        assert JANE_EMAIL not in json.dumps(answer) and "555" not in json.dumps(answer), (body, answer)
    assert lead_of(stack, email=JANE_EMAIL) == stored_jane and items_under(table, "ERASURE#") == []


def test_the_sample_event_is_an_admins_erasure(stack):
    from support import load_event

    response = stack.invoke("LeadsApiFunction", load_event("api_erasure"))

    assert response["statusCode"] == 200
    assert json.loads(response["body"])["lead_ids"] == []  # nobody by that address on a new stack


def test_the_repository_reads_a_lead_partition_across_pages(stack, monkeypatch):
    # Query pages hold at most 1 MB: a lead with big submissions takes several.
    stores = stores_of(stack)
    post(stack, name="Jane Doe", email=JANE_EMAIL, interest="quote")
    lead_id = lead_of(stack, email=JANE_EMAIL)
    for n in range(12):
        add_note(stores.lifecycle, lead_id, "x" * 1900 + str(n), by="m-olivia")
    real = stores.table.client.query
    pages = []

    def small_pages(**kwargs: Any) -> Any:
        pages.append(1)
        return real(**{**kwargs, "Limit": 5})

    monkeypatch.setattr(stores.table.client, "query", small_pages)
    items = stores.privacy.lead_partition(lead_id)

    # card, submission, 12 notes, its arrival's two history entries, the visits window its first email opened
    assert len(items) == 17 and len(pages) == 4
    assert {i["SK"] for i in items} >= {"LEAD", "VISITS"}
