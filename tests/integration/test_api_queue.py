"""The unassigned queue, offboarding and leads entered by hand, through the admin API on
the deployed stack (moto): requests go through the template's routes as API Gateway sends
them after the Cognito authorizer, to LeadsApiFunction under its own role, and the
pipeline runs behind them (score, notify: SES messages in moto)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

import pytest

from leadflow.shared.models import ContactCard
from leadflow_local.stack import LocalStack
from support import RouteAnswer, call_route, claims_of, stores_of

ADMIN = claims_of(admin=True, sub="boss")
OLIVIA = claims_of("m-olivia")
# Who may take a hot lead by the default policy (tiers 1 and 2).
HOT_TAKERS = ("m-olivia", "m-layla", "m-diego")



def api(stack: LocalStack, method: str, path: str, claims: dict[str, str] | None = ADMIN, body: Any = None,
        query: str = "") -> RouteAnswer:
    return call_route(stack, method, path, claims, body, query)


def post_hot_leads(stack: LocalStack, *emails: str) -> list[str]:
    """Hot US leads through the whole pipeline (Olivia's, if she can take them), each
    with a phone of its own (support's helper gives every lead the same one: one person)."""
    for email in emails:
        digits = int(hashlib.sha256(email.encode()).hexdigest(), 16) % 10**4
        body = {"name": "Jane Doe", "email": email, "phone": f"+1415555{digits:04d}", "company": "Acme Corp",
                "job_title": "VP Sales", "interest": "quote", "country": "US"}
        response = stack.handle_http("POST", "/forms/demo/submissions", {"Content-Type": "application/json"},
                                     json.dumps(body).encode())
        assert response.status == 202, response.body
    stack.drain()
    lead_ids = [stores_of(stack).capture.find_lead_id(ContactCard(name="-", email=email)) for email in emails]
    assert all(lead_ids)
    return lead_ids


def post_hot_lead(stack: LocalStack, email: str) -> str:
    return post_hot_leads(stack, email)[0]


def set_managers(stack: LocalStack, manager_ids: tuple[str, ...], **fields: Any) -> None:
    roster = stores_of(stack).roster
    for manager_id in manager_ids:
        assert roster.update(manager_id, fields, []) is not None


def queued_lead(stack: LocalStack, email: str) -> str:
    """A hot lead that found nobody (every hot taker inactive for its scoring): in the queue."""
    set_managers(stack, HOT_TAKERS, active=False)
    lead_id = post_hot_lead(stack, email)
    set_managers(stack, HOT_TAKERS, active=True)
    assert stores_of(stack).lifecycle.get_lead(lead_id).status == "unassigned"
    return lead_id


def lead(stack: LocalStack, lead_id: str) -> Any:
    return stores_of(stack).lifecycle.get_lead(lead_id)


def manager(stack: LocalStack, manager_id: str) -> Any:
    return stores_of(stack).roster.get(manager_id)


def emailed(sent: Callable[[], list[Any]], address: str) -> int:
    return sum(1 for message in sent() if address in message.destinations.get("ToAddresses", []))


# -- the queue --------------------------------------------------------------------------------

def test_a_full_manager_is_refused_and_a_forced_hand_out_is_kept_in_the_history(stack, sent_emails):
    lead_id = queued_lead(stack, "forced@acme-corp.com")
    set_managers(stack, ("m-sam",), capacity=0)

    refused = api(stack, "POST", f"/admin/unassigned/{lead_id}/assign", body={"manager_id": "m-sam"})

    assert (refused.status, refused.code) == (409, "manager_full")
    assert lead(stack, lead_id).status == "unassigned" and manager(stack, "m-sam").open_leads == 0

    forced = api(stack, "POST", f"/admin/unassigned/{lead_id}/assign", body={"manager_id": "m-sam", "force": True})
    stack.drain()

    assert forced.status == 200, forced.json
    assert forced.json == {"lead_id": lead_id, "manager_id": "m-sam", "forced": True, "open_leads": 1, "capacity": 0}
    now = lead(stack, lead_id)
    assert (now.status, now.manager_id) == ("assigned", "m-sam")
    [entry] = [a for a in stores_of(stack).history(lead_id) if a.kind == "assigned"]
    assert entry.detail == {"by": "user:boss", "to": "m-sam", "reason": "handed_out", "forced": "yes",
                            "open_leads": "0", "capacity": "0"}
    assert manager(stack, "m-sam").open_leads == 1
    assert emailed(sent_emails, "sam@sales.example.com") == 1  # notify: Lead Assigned


def test_the_queue_is_listed_and_a_hand_out_with_room_is_not_forced(stack):
    lead_id = queued_lead(stack, "room@acme-corp.com")
    listed = api(stack, "GET", "/admin/unassigned")
    assert [(s["lead_id"], s["status"]) for s in listed.json["leads"]] == [(lead_id, "unassigned")]

    given = api(stack, "POST", f"/admin/unassigned/{lead_id}/assign", body={"manager_id": "m-diego", "force": True})

    assert (given.status, given.json["forced"]) == (200, False)
    assert "forced" not in next(a for a in stores_of(stack).history(lead_id) if a.kind == "assigned").detail
    assert api(stack, "GET", "/admin/unassigned").json["leads"] == []
    again = api(stack, "POST", f"/admin/unassigned/{lead_id}/assign", body={"manager_id": "m-sam"})
    assert (again.status, again.code) == (409, "lead_not_unassigned")


def test_a_hand_out_names_what_is_wrong_and_writes_nothing(stack):
    lead_id = queued_lead(stack, "wrong@acme-corp.com")
    set_managers(stack, ("m-layla",), active=False)

    unknown_lead = api(stack, "POST", "/admin/unassigned/nope/assign", body={"manager_id": "m-sam"})
    unknown_manager = api(stack, "POST", f"/admin/unassigned/{lead_id}/assign", body={"manager_id": "m-nobody"})
    inactive = api(stack, "POST", f"/admin/unassigned/{lead_id}/assign", body={"manager_id": "m-layla",
                                                                               "force": True})
    bad = api(stack, "POST", f"/admin/unassigned/{lead_id}/assign", body={"manager_id": "m sam", "force": "yes"})

    assert (unknown_lead.status, unknown_lead.code) == (404, "lead_not_found")
    assert (unknown_manager.status, unknown_manager.fields()) == (404, {"manager_id": "manager_not_found"})
    assert unknown_lead.fields() == {"lead_id": "lead_not_found"}
    assert (inactive.status, inactive.code) == (409, "manager_unavailable")
    assert (bad.status, bad.code, bad.fields()) == (400, "invalid_request", {"manager_id": "string_pattern_mismatch",
                                                                             "force": "bool_type"})
    assert lead(stack, lead_id).status == "unassigned"
    assert [a.kind for a in stores_of(stack).history(lead_id)] == ["received", "unassigned"]  # its arrival only


def test_rerun_leaves_what_nobody_can_take_then_assigns_it_once_a_manager_is_added(stack, sent_emails):
    set_managers(stack, HOT_TAKERS, active=False)
    first, second = post_hot_leads(stack, "one@acme-corp.com", "two@acme-corp.com")

    nobody = api(stack, "POST", "/admin/unassigned/rerun")

    assert nobody.status == 200, nobody.json
    assert (nobody.json["checked"], nobody.json["assigned"], nobody.json["left"]) == (2, 0, 2)
    assert {m["reason"] for m in nobody.json["leads"]} == {"managers_unavailable"}
    assert nobody.json["next_cursor"] is None
    new = {"manager_id": "m-nora", "name": "Nora Field", "email": "nora@sales.example.com", "tier": 1}
    assert api(stack, "POST", "/admin/managers", body=new).status == 201

    page = api(stack, "POST", "/admin/unassigned/rerun", query="limit=1")
    rest = api(stack, "POST", "/admin/unassigned/rerun", query=f"limit=1&cursor={page.json['next_cursor']}")
    stack.drain()

    assert [(m["lead_id"], m["outcome"], m["manager_id"]) for m in page.json["leads"] + rest.json["leads"]] == [
        (first, "assigned", "m-nora"), (second, "assigned", "m-nora")]
    assert page.json["next_cursor"] and rest.json["next_cursor"] is None
    assert {lead(stack, i).manager_id for i in (first, second)} == {"m-nora"}
    assert manager(stack, "m-nora").open_leads == 2
    assert emailed(sent_emails, "nora@sales.example.com") == 2
    assert [(a.kind, a.detail.get("reason")) for a in stores_of(stack).history(first)] == [
        ("received", None), ("unassigned", None), ("assigned", "queue_rerun")]


def test_a_cursor_of_another_run_is_refused(stack):
    answer = api(stack, "POST", "/admin/unassigned/rerun", query="cursor=bm90LWEtY3Vyc29y")

    assert (answer.status, answer.code, answer.fields()) == (400, "invalid_cursor", {"cursor": "invalid_cursor"})


# -- offboarding ------------------------------------------------------------------------------

def olivias_leads(stack: LocalStack) -> dict[str, str]:
    """Hot US leads of Olivia's in each status: status → lead id."""
    paths = {"assigned": (), "contacted": ("contacted",), "qualified": ("contacted", "qualified"),
             "postponed": ("contacted", "postponed"), "converted": ("contacted", "qualified", "converted")}
    leads = dict(zip(paths, post_hot_leads(stack, *(f"{status}@acme-corp.com" for status in paths)), strict=True))
    for status, moves in paths.items():
        lead_id = leads[status]
        for move in moves:
            body: dict[str, Any] = {"status": move}
            if move == "postponed":
                body["follow_up_on"] = "2099-01-01"
            assert api(stack, "POST", f"/leads/{lead_id}/status", body=body).status == 200
    assert {lead(stack, i).manager_id for i in leads.values()} == {"m-olivia"}
    return leads


def test_offboarding_moves_every_open_lead_to_eligible_managers_who_are_emailed(stack, sent_emails):
    leads = olivias_leads(stack)
    layla_before = manager(stack, "m-layla").open_leads

    done = api(stack, "POST", "/admin/managers/m-olivia/offboard")
    stack.drain()

    assert done.status == 200, done.json
    assert (done.json["active"], done.json["checked"], done.json["reassigned"], done.json["queued"]) == (
        False, 4, 4, 0)
    for status in ("assigned", "contacted", "qualified", "postponed"):  # working status kept, manager changed
        moved = lead(stack, leads[status])
        assert (moved.status, moved.manager_id) == (status, "m-layla"), status
        [entry] = [a for a in stores_of(stack).history(leads[status]) if a.kind == "reassigned"]
        assert entry.detail == {"by": "user:boss", "reason": "offboarded", "from": "m-olivia", "to": "m-layla"}
    assert lead(stack, leads["postponed"]).follow_up_on.isoformat() == "2099-01-01"
    closed = lead(stack, leads["converted"])
    assert (closed.status, closed.manager_id) == ("converted", "m-olivia")  # closed: left alone
    olivia = manager(stack, "m-olivia")
    assert (olivia.active, olivia.open_leads) == (False, 0)
    assert manager(stack, "m-layla").open_leads == layla_before + 4
    assert emailed(sent_emails, "layla@sales.example.com") == 4
    mine = api(stack, "GET", "/leads", claims=claims_of("m-layla"), query="status=assigned")
    assert leads["assigned"] in [s["lead_id"] for s in mine.json["leads"]]


def test_a_lead_nobody_can_take_goes_to_the_queue_and_the_admins_hear_of_it(stack, bus):
    lead_id = post_hot_lead(stack, "alone@acme-corp.com")
    set_managers(stack, ("m-layla", "m-diego"), active=False)
    bus()

    done = api(stack, "POST", "/admin/managers/m-olivia/offboard")

    assert (done.json["reassigned"], done.json["queued"]) == (0, 1)
    assert done.json["leads"] == [{"lead_id": lead_id, "outcome": "queued", "manager_id": None,
                                   "reason": "managers_unavailable"}]
    queued = lead(stack, lead_id)
    assert (queued.status, queued.manager_id) == ("unassigned", None)
    assert [s["lead_id"] for s in api(stack, "GET", "/admin/unassigned").json["leads"]] == [lead_id]
    [event] = [e for e in bus() if e["detail-type"] == "Lead Unassigned"]
    assert (event["detail"]["lead_id"], event["detail"]["released_manager_id"]) == (lead_id, "m-olivia")
    [entry] = [a for a in stores_of(stack).history(lead_id) if a.kind == "unassigned"]
    assert entry.detail == {"by": "user:boss", "reason": "offboarded", "from": "m-olivia",
                            "why": "managers_unavailable"}
    assert manager(stack, "m-olivia").open_leads == 0


def test_offboarding_goes_on_from_its_cursor_and_again_finds_nothing_left(stack):
    leads = post_hot_leads(stack, *(f"batch{i}@acme-corp.com" for i in range(3)))

    first = api(stack, "POST", "/admin/managers/m-olivia/offboard", query="limit=2")
    rest = api(stack, "POST", "/admin/managers/m-olivia/offboard", query=f"cursor={first.json['next_cursor']}")
    again = api(stack, "POST", "/admin/managers/m-olivia/offboard")

    assert (first.json["checked"], rest.json["checked"], again.json["checked"]) == (2, 1, 0)
    assert first.json["next_cursor"] and rest.json["next_cursor"] is None and again.json["next_cursor"] is None
    assert {lead(stack, i).manager_id for i in leads} == {"m-layla"}
    unknown = api(stack, "POST", "/admin/managers/m-nobody/offboard")
    assert (unknown.status, unknown.code) == (404, "manager_not_found")


# -- leads entered by hand --------------------------------------------------------------------

ENTRY = {"name": "Hank Hand", "email": "hank@hand-made.com", "company": "Hand Made", "interest": "quote",
         "country": "US", "notes": "Met at the fair."}


def entered_lead(stack: LocalStack, email: str) -> Any:
    lead_id = stores_of(stack).capture.find_lead_id(ContactCard(name="-", email=email))
    return lead(stack, lead_id) if lead_id else None


def test_a_manager_enters_a_lead_for_themselves_and_gets_it_even_when_full(stack, sent_emails):
    set_managers(stack, ("m-sam",), capacity=0)

    answer = api(stack, "POST", "/leads", claims=claims_of("m-sam"), body=ENTRY)
    stack.drain()

    assert answer.status == 201, answer.json
    assert (answer.json["assign_to"], answer.json["is_new_lead"], answer.json["channel"]) == ("m-sam", True,
                                                                                               "outbound")
    entered = lead(stack, answer.json["lead_id"])
    assert (entered.status, entered.manager_id, entered.source.form_id, entered.source.channel) == (
        "assigned", "m-sam", "manual", "outbound")
    assert entered.score is not None and entered.score.points > 0  # scored like every lead
    page = api(stack, "GET", f"/leads/{entered.lead_id}", claims=claims_of("m-sam"))
    assert page.status == 200 and page.json["submissions"][0]["entered_by"] == "m-sam"
    assert emailed(sent_emails, "sam@sales.example.com") == 1


def test_a_manager_may_not_enter_a_lead_for_someone_else(stack):
    other = api(stack, "POST", "/leads", claims=OLIVIA, body={**ENTRY, "manager_id": "m-diego"})
    forced = api(stack, "POST", "/leads", claims=OLIVIA, body={**ENTRY, "force": True})
    nobody = api(stack, "POST", "/leads", claims=claims_of(), body=ENTRY)

    assert (other.status, other.code) == (403, "own_leads_only")
    assert (forced.status, forced.code) == (403, "admins_only")
    assert (nobody.status, nobody.code) == (403, "no_manager")
    assert entered_lead(stack, "hank@hand-made.com") is None


def test_an_admin_names_a_manager_with_room_or_forces_it_or_leaves_it_to_the_rules(stack):
    set_managers(stack, ("m-sam",), capacity=0)
    full = api(stack, "POST", "/leads", body={**ENTRY, "manager_id": "m-sam"})
    assert (full.status, full.code) == (409, "manager_full")

    forced = api(stack, "POST", "/leads", body={**ENTRY, "manager_id": "m-sam", "force": True})
    ruled = api(stack, "POST", "/leads", body={**ENTRY, "email": "ruled@hand-made.com"})
    stack.drain()

    assert (forced.status, ruled.status, ruled.json["assign_to"]) == (201, 201, None)
    assert lead(stack, forced.json["lead_id"]).manager_id == "m-sam"
    assert lead(stack, ruled.json["lead_id"]).manager_id == "m-olivia"  # a hot US lead, by the rules


@pytest.mark.parametrize(("body", "status", "code", "fields"), [
    ({"name": "No Way", "company": "Acme"}, 400, "invalid_lead", {"email": "contact_required"}),
    ({"name": " ", "email": "not an address", "phone": "12"}, 400, "invalid_lead",
     {"name": "name_required", "email": "invalid_email", "phone": "invalid_phone"}),
    ({**ENTRY, "manager_id": "m-nobody"}, 404, "manager_not_found", {"manager_id": "manager_not_found"}),
    ({**ENTRY, "channel": "web"}, 400, "invalid_request", {"channel": "extra_forbidden"}),
])
def test_a_refused_entry_names_its_fields_and_writes_nothing(stack, body, status, code, fields):
    answer = api(stack, "POST", "/leads", body=body)

    assert (answer.status, answer.code) == (status, code), answer.json
    if fields:
        assert answer.fields() == fields
    assert entered_lead(stack, "hank@hand-made.com") is None


def test_a_person_already_known_is_not_a_second_lead(stack):
    lead_id = post_hot_lead(stack, "hank@hand-made.com")

    again = api(stack, "POST", "/leads", claims=claims_of("m-sam"), body=ENTRY)
    stack.drain()

    assert (again.status, again.json["lead_id"], again.json["is_new_lead"]) == (201, lead_id, False)
    assert lead(stack, lead_id).manager_id == "m-olivia"  # stays with the manager who has it
