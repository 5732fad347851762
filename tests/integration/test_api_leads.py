"""The leads API on the deployed stack (moto), through LeadsApiFunction as API Gateway
calls it after the Cognito authorizer: who may do what (no token, the lead's manager,
another manager, an admin), the lifecycle's transitions over HTTP, pages with cursors,
and the CSV export."""

from __future__ import annotations

import csv
import io
import itertools
import json
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl

import pytest

from leadflow.lifecycle import service as lifecycle
from leadflow.lifecycle.transitions import TRANSITIONS
from leadflow.reporting.export import CSV_COLUMNS
from leadflow.shared.bus import EventPublisher
from leadflow.shared.clock import utc_now
from leadflow.shared.events import LEAD_STATUS_CHANGED, SOURCE
from leadflow.shared.models import (
    ChannelKind,
    ContactCard,
    Lead,
    LeadStatus,
    Manager,
    Score,
    ScorePart,
    Source,
    Submission,
    Temperature,
)
from leadflow.storage.keys import lead_key
from leadflow_local.stack import CallCounter, LocalStack
from support import api_event, call_route, claims_of, load_event, post_hot_lead, stores_of

S = LeadStatus
OLIVIA = claims_of("m-olivia")
DIEGO = claims_of("m-diego")
ADMIN = claims_of(admin=True)
PAGER = Manager(manager_id="m-pager", name="Pat Pager", email="pat@sales.example.com", tier=2, capacity=1000)
LATER = (utc_now() + timedelta(days=30)).date().isoformat()
PHONES = itertools.count(5550000)  # one phone number per seeded person: a shared one would match them


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    text: str

    @property
    def json(self) -> Any:
        return json.loads(self.text)

    @property
    def codes(self) -> list[str]:
        """The error codes; `invalid_request` stands for its field errors (pydantic's types)."""
        body = self.json
        return [body["code"]] if "code" in body else [e["code"] for e in body["errors"]]


def answer(stack: LocalStack, event: dict[str, Any]) -> Answer:
    result = stack.invoke("LeadsApiFunction", event)
    headers = {k: ", ".join(v) for k, v in (result.get("multiValueHeaders") or {}).items()}
    headers.update(result.get("headers") or {})
    return Answer(result["statusCode"], headers, result["body"])


def api(stack: LocalStack, method: str, path: str, claims: dict[str, str] | None, body: Any = None,
        query: dict[str, str] | None = None) -> Answer:
    """A request to the leads API as API Gateway sends it (the template's resource path)."""
    parts = path.split("/")
    resource, params = path, None
    if len(parts) > 2 and parts[1] == "leads":
        resource, params = "/".join(["", "leads", "{lead_id}", *parts[3:]]), {"lead_id": parts[2]}
    return answer(stack, api_event(method, path, claims=claims, body=body, query=query, resource=resource,
                                   path_params=params))


def publisher(stack: LocalStack) -> EventPublisher:
    return EventPublisher(f"{stack.stack_name}-leads", stack.client("events"))


def seed_lead(stack: LocalStack, *, manager_id: str | None = "m-olivia", status: LeadStatus = S.ASSIGNED,
              created_at: datetime | None = None, temperature: Temperature = Temperature.HOT,
              name: str | None = None, lead_id: str | None = None) -> str:
    """A lead stored as capture and the scorer store one (record_submission, then
    record_assignment), then moved to `status` by the lifecycle; its id."""
    stores = stores_of(stack)
    lead_id = lead_id or uuid.uuid4().hex
    at = created_at or utc_now()
    contact = ContactCard(name=name or f"Lead {lead_id[:6]}", email=f"{lead_id[:12]}@acme-corp.com",
                          phone=f"+1415{next(PHONES):07d}", company="Acme Corp", country="US")
    source = Source(form_id="demo", channel=ChannelKind.INBOUND, utm_source="newsletter", utm_medium="email")
    submission = Submission(submission_id=uuid.uuid4().hex, lead_id=lead_id, form_id="demo", received_at=at,
                            contact=contact, source=source, interest="quote")
    lead = Lead(lead_id=lead_id, contact=contact, source=source, created_at=at, last_seen_at=at,
                latest_interest="quote")
    assert stores.capture.record_submission(submission, lead).is_new_lead
    points = {Temperature.HOT: 80, Temperature.WARM: 40, Temperature.COLD: 10}[temperature]
    score = Score(points=points, temperature=temperature, parts=[ScorePart(rule_id="seed", points=points,
                                                                           reason="seeded")],
                  rule_set_version="test")
    manager = stores.roster.get(manager_id) if manager_id else None
    stores.routing.record_assignment(submission, score, manager, new_assignment=True)
    walk = {S.CONTACTED: [S.CONTACTED], S.QUALIFIED: [S.CONTACTED, S.QUALIFIED],
            S.REJECTED: [S.REJECTED], S.POSTPONED: [S.POSTPONED], S.CONVERTED: [S.CONTACTED, S.QUALIFIED, S.CONVERTED]}
    for step in walk.get(status, []):
        lifecycle.change_status(stores.lifecycle, publisher(stack), lead_id, step, by="seed",
                                reason="no_need" if step == S.REJECTED else None,
                                follow_up_on=date_after(30) if step == S.POSTPONED else None)
    assert stores.lifecycle.get_lead(lead_id).status == status
    return lead_id


def date_after(days: int):
    return (utc_now() + timedelta(days=days)).date()


def status_of(stack: LocalStack, lead_id: str) -> LeadStatus:
    return stores_of(stack).lifecycle.get_lead(lead_id).status


def lead_ids(answer_: Answer) -> list[str]:
    return [lead["lead_id"] for lead in answer_.json["leads"]]


def csv_rows(answer_: Answer) -> list[list[str]]:
    return list(csv.reader(io.StringIO(answer_.text)))


# -- who is signed in ---------------------------------------------------------------------


def test_me_answers_the_callers_manager_and_languages_and_nothing_of_anyone_else(stack):
    layla = call_route(stack, "GET", "/me", claims_of("m-layla", sub="u-layla"))
    admin = call_route(stack, "GET", "/me", claims_of(admin=True, sub="u-admin"))
    nobody = call_route(stack, "GET", "/me", None)

    assert (layla.status, layla.json) == (200, {"user_id": "u-layla", "manager_id": "m-layla", "name": "Layla Haddad",
                                                "languages": ["ar", "en"], "admin": False})
    assert (admin.status, admin.json) == (200, {"user_id": "u-admin", "manager_id": None, "name": None,
                                                "languages": [], "admin": True})
    assert nobody.status == 401


# -- the auth matrix: no token, the lead's manager, another manager, an admin -------------

# route: (status the lead must be in, method, path after /leads/<id>, body, success status, status after)
ACTIONS = {
    "detail": (S.ASSIGNED, "GET", "", None, 200, S.ASSIGNED),
    "change status": (S.ASSIGNED, "POST", "/status", {"status": "contacted", "note": "called"}, 200, S.CONTACTED),
    "note": (S.CONTACTED, "POST", "/notes", {"text": "prefers email"}, 201, S.CONTACTED),
    "reject": (S.CONTACTED, "POST", "/reject", {"reason": "no_budget", "note": "next year"}, 200, S.REJECTED),
    "postpone": (S.QUALIFIED, "POST", "/postpone", {"follow_up_on": LATER}, 200, S.POSTPONED),
    "convert": (S.QUALIFIED, "POST", "/convert", {"note": "signed"}, 201, S.CONVERTED),
}


def test_only_the_leads_manager_and_admins_may_see_or_change_a_lead(stack):
    for route, (needs, method, tail, body, success, after) in ACTIONS.items():
        # GIVEN two of Olivia's leads in the status the action needs
        mine, other = seed_lead(stack, status=needs), seed_lead(stack, status=needs)
        history = len(stores_of(stack).history(mine))

        # WHEN someone without a token, another manager, or a user who is neither tries
        anonymous = api(stack, method, f"/leads/{mine}{tail}", None, body)
        diego = api(stack, method, f"/leads/{mine}{tail}", DIEGO, body)
        nobody = api(stack, method, f"/leads/{mine}{tail}", claims_of(sub="u-nobody"), body)

        # THEN 401 and 403, and the lead is untouched
        assert (anonymous.status, anonymous.codes) == (401, ["not_authenticated"]), route
        assert (diego.status, diego.codes) == (403, ["not_your_lead"]), route
        assert (nobody.status, nobody.codes) == (403, ["not_your_lead"]), route
        assert status_of(stack, mine) == needs, route
        assert len(stores_of(stack).history(mine)) == history, route

        # AND the lead's own manager, and an admin on the other lead, succeed
        for claims, lead_id in ((OLIVIA, mine), (ADMIN, other)):
            done = api(stack, method, f"/leads/{lead_id}{tail}", claims, body)
            assert done.status == success, (route, done.text)
            assert done.json["lead"]["lead_id"] == lead_id and done.json["lead"]["status"] == after, route
            assert status_of(stack, lead_id) == after, route
        # AND the history says who acted: the manager's id, or the admin's user
        if method == "POST":
            [latest, *_] = sorted(stores_of(stack).history(other), key=lambda a: a.at, reverse=True)
            assert latest.detail["by"] == "user:user-admin", route


@pytest.mark.parametrize("path", ["/leads", "/exports/leads"])
def test_a_manager_lists_only_their_own_leads_and_an_admin_every_lead(stack, path):
    olivias, diegos = seed_lead(stack), seed_lead(stack, manager_id="m-diego")

    def listed(claims: dict[str, str] | None, **query: str) -> Answer:
        return api(stack, "GET", path, claims, query=query or None)

    def ids(got: Answer) -> set[str]:
        return set(lead_ids(got)) if path == "/leads" else {row[0] for row in csv_rows(got)[1:]}

    assert (listed(None).status, listed(None).codes) == (401, ["not_authenticated"])
    assert ids(listed(OLIVIA)) == {olivias} and ids(listed(DIEGO)) == {diegos}
    assert ids(listed(ADMIN)) == {olivias, diegos}
    assert ids(listed(ADMIN, manager_id="m-diego")) == {diegos}
    # A manager asking for someone else's queue is refused, not quietly given their own.
    assert (listed(DIEGO, manager_id="m-olivia").status, listed(DIEGO, manager_id="m-olivia").codes) == (
        403, ["not_your_leads"])
    assert listed(DIEGO, manager_id="unassigned").codes == ["admins_only"]
    assert listed(claims_of(sub="u-nobody")).codes == ["no_manager"]


def test_the_auth_matrix_holds_through_the_local_authorizer_with_real_tokens(stack):
    # GIVEN a lead of Olivia's and the seeded users' ID tokens from the local user pool
    lead_id = seed_lead(stack)

    def get(path: str, user: str | None) -> Any:
        headers = {"Authorization": stack.id_token(user)} if user else {}
        return stack.handle_http("GET", path, headers, b"")

    # THEN without a token API Gateway refuses (the function never runs)
    assert get(f"/leads/{lead_id}", None).status == 401
    # AND the token's claims decide the rest
    assert get(f"/leads/{lead_id}", "olivia@sales.example.com").status == 200
    assert get(f"/leads/{lead_id}", "diego@sales.example.com").status == 403
    assert get(f"/leads/{lead_id}", "admin@sales.example.com").status == 200
    listed = json.loads(get("/leads", "olivia@sales.example.com").body)
    assert [lead["lead_id"] for lead in listed["leads"]] == [lead_id]
    assert json.loads(get("/leads", "diego@sales.example.com").body)["leads"] == []


# -- one lead ----------------------------------------------------------------------------

def test_a_lead_comes_with_its_submissions_and_history_newest_first(stack):
    # GIVEN a person who posted twice, with consent, and was called
    body = {"name": "Jane Doe", "email": "jane@acme-corp.com", "phone": "+14155550134", "company": "Acme Corp",
            "job_title": "VP Sales", "interest": "quote", "country": "US", "consent": True}
    for interest in ("quote", "demo"):
        posted = stack.handle_http("POST", "/forms/demo/submissions", {"Content-Type": "application/json"},
                                   json.dumps({**body, "interest": interest}).encode())
        assert posted.status == 202
        stack.drain()
    lead_id = stores_of(stack).capture.find_lead_id(ContactCard(name="Jane Doe", email="jane@acme-corp.com"))
    manager = stores_of(stack).lifecycle.get_lead(lead_id).manager_id
    assert api(stack, "POST", f"/leads/{lead_id}/status", claims_of(manager), {"status": "contacted"}).status == 200
    assert api(stack, "POST", f"/leads/{lead_id}/notes", claims_of(manager), {"text": "demo on Tuesday"}).status == 201

    # WHEN its manager reads it
    CallCounter.reset()
    got = api(stack, "GET", f"/leads/{lead_id}", claims_of(manager))

    # THEN one Query brought the card, both submissions and the history, newest first
    assert CallCounter.calls == {"dynamodb.Query": 1}
    assert got.status == 200 and got.json["complete"] is True
    detail = got.json
    # AND its manager has what they need to call: the whole contact card
    contact = detail["lead"]["contact"]
    assert (contact["name"], contact["email"], contact["phone"], contact["company"]) == (
        "Jane Doe", "jane@acme-corp.com", "+14155550134", "Acme Corp")
    assert [s["interest"] for s in detail["submissions"]] == ["demo", "quote"]
    # (its first entries: how it arrived, to whom it went)
    assert [a["kind"] for a in detail["history"]] == ["note", "contacted", "assigned", "received"]
    assert detail["lead"]["score"]["parts"] and detail["lead"]["score"]["temperature"] == "hot"
    # AND the consent shows what was agreed, not the visitor's IP address
    consent = detail["submissions"][0]["consent"]
    assert consent["given"] is True and consent["version"] == "2026-11" and "ip" not in consent
    assert "127.0.0.1" not in got.text
    # AND the moves its page may offer: the lifecycle's from `contacted`; no first call is due any more
    assert detail["next_statuses"] == ["postponed", "qualified", "rejected"]
    assert detail["first_call_due_at"] is None


def test_a_lead_waiting_for_its_first_call_says_when_it_is_due(stack):
    # GIVEN a hot lead just assigned
    lead_id = post_hot_lead(stack)
    lead = stores_of(stack).lifecycle.get_lead(lead_id)

    # WHEN its manager reads it
    detail = api(stack, "GET", f"/leads/{lead_id}", claims_of(lead.manager_id)).json

    # THEN the first call is due within the hot speed-to-lead time of its assignment
    assert detail["lead"]["status"] == "assigned"
    assert datetime.fromisoformat(detail["first_call_due_at"]) == lead.assigned_at + timedelta(minutes=15)
    assert detail["next_statuses"] == ["contacted", "postponed", "rejected"]


# -- the lifecycle's transitions over HTTP -----------------------------------------------

def body_for(to_status: LeadStatus) -> dict[str, Any]:
    extra = {S.REJECTED: {"reason": "competitor"}, S.POSTPONED: {"follow_up_on": LATER}}
    return {"status": to_status.value, **extra.get(to_status, {})}


def force_status(stack: LocalStack, table: Any, lead_id: str, status: LeadStatus) -> None:
    """Put a lead straight into a status (test setup only: the API never writes like this)."""
    table.update_item(Key=lead_key(lead_id), UpdateExpression="SET #s = :s",
                      ExpressionAttributeNames={"#s": "status"}, ExpressionAttributeValues={":s": status.value})


def test_every_pair_of_statuses_is_allowed_or_refused_with_409_naming_the_allowed_ones(stack, table):
    refused = allowed = 0
    stores_of(stack).roster.put(PAGER)  # room for 64 leads
    for current in LeadStatus:
        for to_status in LeadStatus:
            # GIVEN a lead (with a manager) in `current`
            lead_id = seed_lead(stack, manager_id="m-pager")
            force_status(stack, table, lead_id, current)

            # WHEN an admin asks to move it to `to_status`
            got = api(stack, "POST", f"/leads/{lead_id}/status", ADMIN, body_for(to_status))

            # THEN it moves exactly when the lifecycle allows it; else 409 says where it can go
            if to_status in TRANSITIONS[current]:
                allowed += 1
                assert got.status == 200, (current, to_status, got.text)
                assert got.json["change"]["from_status"] == current and got.json["lead"]["status"] == to_status
                assert status_of(stack, lead_id) == to_status
            else:
                refused += 1
                assert got.status == 409, (current, to_status, got.text)
                assert got.codes == ["transition_not_allowed"]
                assert got.json["status"] == current
                assert got.json["allowed"] == sorted(s.value for s in TRANSITIONS[current])
                assert status_of(stack, lead_id) == current
    assert (allowed, refused) == (12, 52)


def test_a_lead_walks_from_new_to_converted_and_keeps_its_history(stack):
    # GIVEN a lead through the pipeline: new, then assigned by the scorer
    lead_id = post_hot_lead(stack)
    manager = claims_of(stores_of(stack).lifecycle.get_lead(lead_id).manager_id)

    # WHEN its manager calls, qualifies and converts it
    steps = [api(stack, "POST", f"/leads/{lead_id}/status", manager, {"status": s, "note": f"now {s}"})
             for s in ("contacted", "qualified", "converted")]

    # THEN each step answered the change, and the last one the contact
    assert [(a.status, a.json["change"]["to_status"]) for a in steps] == [
        (200, "contacted"), (200, "qualified"), (200, "converted")]
    contact_id = steps[-1].json["contact_id"]
    contact = stores_of(stack).lifecycle.get_contact(contact_id)
    assert contact.lead_id == lead_id and contact.contact.email == "jane@acme-corp.com"
    # AND the lead keeps its submission and its whole history
    detail = api(stack, "GET", f"/leads/{lead_id}", manager).json
    assert detail["lead"]["status"] == "converted" and detail["lead"]["contact_id"] == contact_id
    assert [a["kind"] for a in detail["history"]] == ["converted", "qualified", "contacted", "assigned", "received"]
    assert len(detail["submissions"]) == 1
    # AND a converted lead goes nowhere
    again = api(stack, "POST", f"/leads/{lead_id}/reject", manager, {"reason": "other"})
    assert (again.status, again.json["allowed"]) == (409, [])


def test_bad_requests_are_a_clean_4xx_and_change_nothing(stack):
    assert api(stack, "GET", f"/leads/{uuid.uuid4().hex}", ADMIN).codes == ["lead_not_found"]
    assert api(stack, "POST", f"/leads/{uuid.uuid4().hex}/notes", ADMIN, {"text": "x"}).codes == ["lead_not_found"]
    assert api(stack, "GET", "/leads/" + "x" * 300, ADMIN).codes == ["invalid_request"]
    lead_id = seed_lead(stack)
    assert api(stack, "POST", f"/leads/{lead_id}/status", OLIVIA, "{not json").codes == ["invalid_request"]
    assert api(stack, "POST", f"/leads/{lead_id}/reject", OLIVIA, {"reason": "bored"}).codes == ["invalid_request"]
    assert api(stack, "POST", f"/leads/{lead_id}/reject", OLIVIA, {}).codes == ["invalid_request"]
    yesterday = date_after(-1).isoformat()
    assert api(stack, "POST", f"/leads/{lead_id}/postpone", OLIVIA, {"follow_up_on": yesterday}).codes == [
        "follow_up_not_in_future"]
    assert api(stack, "POST", f"/leads/{lead_id}/status", OLIVIA, {"status": "rejected"}).codes == ["reason_required"]
    assert api(stack, "POST", f"/leads/{lead_id}/status", OLIVIA, {"status": "won"}).codes == ["invalid_request"]
    assert api(stack, "POST", f"/leads/{lead_id}/notes", OLIVIA, {"text": "   "}).codes == ["note_empty"]
    assert api(stack, "POST", f"/leads/{lead_id}/notes", OLIVIA, {"text": "x" * 2001}).codes == ["invalid_request"]
    assert api(stack, "POST", f"/leads/{lead_id}/convert", OLIVIA).codes == ["transition_not_allowed"]
    assert status_of(stack, lead_id) == S.ASSIGNED
    assert [a.kind for a in stores_of(stack).history(lead_id)] == ["received", "assigned"]  # its arrival only


def test_a_rejection_with_a_farewell_says_so_on_the_bus(stack):
    # GIVEN a contacted lead, and a rule that copies lifecycle events to a queue this test reads
    lead_id = seed_lead(stack, status=S.CONTACTED)
    sqs, events = stack.client("sqs"), stack.client("events")
    url = sqs.create_queue(QueueName="api-lifecycle-events")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    bus = f"{stack.stack_name}-leads"
    events.put_rule(Name="api-lifecycle", EventBusName=bus, EventPattern=json.dumps(
        {"source": [SOURCE], "detail-type": [LEAD_STATUS_CHANGED]}))
    events.put_targets(Rule="api-lifecycle", EventBusName=bus, Targets=[{"Id": "q", "Arn": arn}])

    # WHEN the manager rejects it with a reason, a note and a farewell
    got = api(stack, "POST", f"/leads/{lead_id}/reject", OLIVIA,
              {"reason": "competitor", "note": "went with a local vendor", "farewell": True})

    # THEN the lead is rejected for that reason, and the published change asks for the farewell
    assert got.status == 200
    assert (got.json["lead"]["rejection_reason"], got.json["change"]["farewell"]) == ("competitor", True)
    [message] = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    detail = json.loads(message["Body"])["detail"]
    assert (detail["lead_id"], detail["to_status"], detail["reason"], detail["farewell"]) == (
        lead_id, "rejected", "competitor", True)
    [rejected] = stores_of(stack).history(lead_id)[-1:]
    assert rejected.detail["note"] == "went with a local vendor"


# -- pages -------------------------------------------------------------------------------

def seed_many(stack: LocalStack, count: int) -> list[str]:
    """`count` leads of one manager, created a few hours apart, oldest first."""
    stores_of(stack).roster.put(PAGER)
    start = utc_now() - timedelta(hours=6 * count)
    return [seed_lead(stack, manager_id="m-pager", created_at=start + timedelta(hours=6 * n)) for n in range(count)]


def every_page(stack: LocalStack, claims: dict[str, str], **query: str) -> list[list[str]]:
    pages, cursor = [], None
    while True:
        got = api(stack, "GET", "/leads", claims, query={**query, **({"cursor": cursor} if cursor else {})})
        assert got.status == 200, got.text
        pages.append(lead_ids(got))
        cursor = got.json["next_cursor"]
        if cursor is None:
            return pages


@pytest.mark.parametrize("who", ["manager", "admin"])
def test_sixty_leads_come_in_three_pages_of_at_most_25_newest_first(stack, who):
    # GIVEN 60 leads of one manager
    seeded = seed_many(stack, 60)
    claims = claims_of("m-pager") if who == "manager" else ADMIN

    # WHEN they are listed 25 at a time (a manager's queue; an admin's every lead)
    pages = every_page(stack, claims, limit="25")

    # THEN three pages, none missing, none twice, newest first
    assert [len(p) for p in pages] == [25, 25, 10]
    assert [lead_id for page in pages for lead_id in page] == seeded[::-1]


def test_a_page_costs_one_query_and_its_cursor_works_only_for_its_query_and_caller(stack):
    # GIVEN 30 leads of one manager
    seed_many(stack, 30)
    # WHEN a page of 10 is asked for THEN one Query reads it, whatever the queue holds
    CallCounter.reset()
    first = api(stack, "GET", "/leads", claims_of("m-pager"), query={"status": "assigned", "limit": "10"})
    assert CallCounter.calls == {"dynamodb.Query": 1}
    assert len(lead_ids(first)) == 10 and first.json["next_cursor"]

    first = api(stack, "GET", "/leads", claims_of("m-pager"), query={"limit": "2"})
    cursor = first.json["next_cursor"]
    assert api(stack, "GET", "/leads", claims_of("m-pager"), query={"limit": "2", "cursor": cursor}).status == 200

    tampered = cursor[:5] + ("x" if cursor[5] != "x" else "y") + cursor[6:]
    for claims, query in [
        (claims_of("m-pager"), {"cursor": tampered}),
        (claims_of("m-pager"), {"cursor": cursor, "temperature": "hot"}),  # another query
        (DIEGO, {"cursor": cursor}),  # another manager
        (ADMIN, {"cursor": cursor}),  # every lead, not this queue
        (claims_of("m-pager"), {"cursor": "garbage"}),
    ]:
        got = api(stack, "GET", "/leads", claims, query=query)
        assert (got.status, got.codes) == (400, ["invalid_cursor"]), query
    # The same manager's queue read by an admin through `manager_id` is the same query.
    assert api(stack, "GET", "/leads", ADMIN, query={"manager_id": "m-pager", "limit": "2",
                                                     "cursor": cursor}).status == 200


def test_lists_filter_by_status_temperature_and_creation_day(stack):
    now = utc_now()
    # GIVEN leads of several temperatures, statuses and months, one nobody could take,
    # and one created more than a year ago
    hot_now = seed_lead(stack, created_at=now - timedelta(days=1))
    cold_now = seed_lead(stack, created_at=now - timedelta(days=2), temperature=Temperature.COLD)
    hot_before = seed_lead(stack, created_at=now - timedelta(days=70), status=S.CONTACTED)
    waiting = seed_lead(stack, manager_id=None, status=S.UNASSIGNED, created_at=now - timedelta(days=3))
    old = seed_lead(stack, created_at=now - timedelta(days=400))

    def ids(claims: dict[str, str], **query: str) -> list[str]:
        return [lead_id for page in every_page(stack, claims, **query) for lead_id in page]

    assert ids(ADMIN) == [hot_now, cold_now, waiting, hot_before]  # the last twelve months, newest first
    assert ids(ADMIN, temperature="hot") == [hot_now, waiting, hot_before]
    assert ids(ADMIN, status="contacted") == [hot_before]
    assert ids(ADMIN, status="unassigned") == ids(ADMIN, manager_id="unassigned") == [waiting]
    within = {"from": (now - timedelta(days=80)).date().isoformat(), "to": (now - timedelta(days=2)).date().isoformat()}
    assert ids(ADMIN, **within) == [cold_now, waiting, hot_before]
    assert ids(ADMIN, **{"from": (now - timedelta(days=401)).date().isoformat()})[-1] == old
    # A queue: status by status, newest first by when the lead entered it (here: seeded)
    assert ids(OLIVIA) == [old, cold_now, hot_now, hot_before]
    assert ids(OLIVIA, status="contacted") == [hot_before]
    assert ids(OLIVIA, temperature="cold") == [cold_now]
    backwards = api(stack, "GET", "/leads", ADMIN, query={"from": "2026-02-01", "to": "2026-01-01"})
    assert backwards.codes == ["invalid_date_range"]
    for bad in ({"limit": "0"}, {"limit": "101"}, {"status": "won"}, {"from": "yesterday"}):
        assert api(stack, "GET", "/leads", ADMIN, query=bad).codes == ["invalid_request"], bad


# -- CSV export --------------------------------------------------------------------------

def test_the_export_pages_through_every_lead_with_link_headers(stack):
    seeded = seed_many(stack, 60)
    rows: list[list[str]] = []
    query: dict[str, str] | None = {"limit": "25"}
    pages = 0
    while query is not None:
        got = api(stack, "GET", "/exports/leads", ADMIN, query=query)
        assert got.status == 200 and got.headers["Content-Type"] == "text/csv; charset=utf-8"
        rows += csv_rows(got)
        pages += 1
        link = got.headers.get("Link")
        if link:
            # The next page is the same address with the cursor: follow it as a client would.
            target, rel = link.split("; ")
            assert rel == 'rel="next"' and target.startswith("<?") and target.endswith(">")
            query = dict(parse_qsl(target[2:-1]))
            assert query["cursor"] == got.headers["X-Next-Cursor"] and query["limit"] == "25"
        else:
            assert "X-Next-Cursor" not in got.headers
            query = None
    assert pages == 3
    assert rows[0] == list(CSV_COLUMNS)  # the header once, at the top
    assert [row[0] for row in rows[1:]] == seeded[::-1]
    first = dict(zip(CSV_COLUMNS, rows[1], strict=True))
    assert (first["status"], first["temperature"], first["manager_id"], first["channel"], first["utm_source"]) == (
        "assigned", "hot", "m-pager", "inbound", "newsletter")
    assert first["email"].endswith("@acme-corp.com") and first["phone"].startswith("'+1415")


def test_the_export_cannot_be_turned_into_a_formula(stack):
    seed_lead(stack, name='=HYPERLINK("http://evil.example","click")')
    got = api(stack, "GET", "/exports/leads", OLIVIA)
    [header, row] = csv_rows(got)
    assert dict(zip(header, row, strict=True))["name"] == '\'=HYPERLINK("http://evil.example","click")'
    assert got.headers["Content-Disposition"] == 'attachment; filename="leads.csv"'
    assert api(stack, "GET", "/exports/leads", OLIVIA, query={"limit": "501"}).codes == ["invalid_request"]


# -- the sample events in events/ --------------------------------------------------------

SAMPLES = {"api_list_leads": None, "api_list_all_leads": None, "api_export_leads": None,
           "api_get_lead": S.ASSIGNED, "api_add_note": S.ASSIGNED, "api_change_status": S.ASSIGNED,
           "api_reject": S.CONTACTED, "api_postpone": S.CONTACTED, "api_convert": S.QUALIFIED}


def test_each_sample_event_is_served(stack):
    listed_lead = seed_lead(stack, created_at=datetime.fromisoformat("2026-06-01T10:00:00+00:00"))
    for name, needs in SAMPLES.items():
        # GIVEN the lead the sample names (a fresh one each time), in the status its action needs
        event = load_event(name)
        if needs:
            sample_id, lead_id = event["pathParameters"]["lead_id"], seed_lead(stack, status=needs)
            event = json.loads(json.dumps(event).replace(sample_id, lead_id))
        # WHEN the sample is served THEN it succeeds, as `sam local invoke -e` would show
        got = answer(stack, event)
        assert got.status in (200, 201), (name, got.text)
        if name.startswith("api_list"):
            assert listed_lead in lead_ids(got)
