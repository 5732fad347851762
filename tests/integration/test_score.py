"""score: each new submission scored and explained, its lead routed to the right manager,
`Lead Scored` and `Lead Assigned` / `Lead Unassigned` announced; against moto, as deployed
from template.yaml.

The demo roster (local/seed.json): m-olivia tier 1 (en; US, GB), m-layla tier 1 (ar, en;
AE, SA, EG), m-diego tier 2 (es, en; ES, MX, AR), m-sam tier 3 (en; no territory)."""

from __future__ import annotations

import copy
import io
import json
import threading
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import boto3
import pytest

from leadflow.routing.rule_sets import default_rule_set
from leadflow.routing.scoring import score_submission
from leadflow.routing.service import score_and_assign
from leadflow.routing.store import ManagerUnavailable, RoutingStore, scored_through
from leadflow.shared.bus import EventPublisher
from leadflow.shared.models import ContactCard, FormConfig, Lead, Manager, Source, Submission
from leadflow.storage.codec import from_item, to_item
from leadflow.storage.keys import lead_key, manager_key, submission_key
from leadflow.storage.table import Table
from leadflow_cli.main import main as leadflow
from leadflow_local.stack import LocalStack
from leadflow_local.template import Template
from support import cli_target, items_of, load_event, stores_of

JSON = {"Content-Type": "application/json"}
TODAY = datetime.now(timezone.utc).date()
# Leave "through tomorrow" in tests that use the clock: a run that crosses midnight UTC must still find
# the manager away (CI once ran this test at 00:00 and Olivia's leave had ended).
THROUGH_TOMORROW = TODAY + timedelta(days=1)
CONTACT_DATA = ("jane", "doe", "acme-corp.com", "+1415", "14155550134", "we need 40 seats")


# -- helpers ---------------------------------------------------------------------------------------


def seed_sample_submission(stack: LocalStack, event: dict[str, Any]) -> Submission:
    """Store the lead card and submission that a sample stream record describes."""
    ddb = stack.client("dynamodb")
    submissions = []
    for record in event["Records"]:
        image = record["dynamodb"]["NewImage"]
        submission = Submission.model_validate(from_item(image))
        lead = Lead(lead_id=submission.lead_id, contact=submission.contact, source=submission.source,
                    created_at=submission.received_at, last_seen_at=submission.received_at)
        ddb.put_item(TableName=stack.table_name(), Item=to_item(lead_key(lead.lead_id), "lead", lead))
        ddb.put_item(TableName=stack.table_name(), Item=image)
        submissions.append(submission)
    return submissions[0]


def post(stack: LocalStack, fields: dict[str, str], form_id: str = "demo") -> None:
    """A landing page posting JSON; each from its own address (capture rate-limits per address)."""
    response = stack.handle_http("POST", f"/forms/{form_id}/submissions", JSON, json.dumps(fields).encode(),
                                 source_ip=f"198.51.100.{uuid.uuid4().int % 250 + 1}")
    assert response.status == 202, response.body


def store_new_lead(stack: LocalStack, n: int, **contact: Any) -> Submission:
    """A new lead's card and submission written as capture writes them (the stream then carries it)."""
    card = ContactCard(**{"name": f"Buyer {n}", "email": f"buyer{n}@acme-corp.com", "company": "Acme", **contact})
    submission = Submission(
        submission_id=uuid.uuid4().hex, lead_id=uuid.uuid4().hex, form_id="demo",
        received_at=datetime.now(timezone.utc), contact=card, interest="quote", message="Call me",
        source=Source(form_id="demo"),
    )
    lead = Lead(lead_id=submission.lead_id, contact=card, source=submission.source,
                created_at=submission.received_at, last_seen_at=submission.received_at)
    ddb = stack.client("dynamodb")
    ddb.put_item(TableName=stack.table_name(), Item=to_item(lead_key(lead.lead_id), "lead", lead))
    key = submission_key(submission.lead_id, submission.received_at, submission.submission_id)
    ddb.put_item(TableName=stack.table_name(), Item=to_item(key, "submission", submission))
    return submission


def manager(stack: LocalStack, manager_id: str) -> dict[str, Any]:
    table = boto3.resource("dynamodb", region_name=stack.region).Table(stack.table_name())
    return table.get_item(Key=manager_key(manager_id))["Item"]


def update_manager(stack: LocalStack, manager_id: str, **changes: Any) -> None:
    stores = stores_of(stack)
    [current] = [m for m in stores.roster.managers() if m.manager_id == manager_id]
    stores.roster.put(current.model_copy(update=changes))


def only_active(stack: LocalStack, **capacities: int) -> None:
    """Make the named managers the only active ones, with these capacities."""
    stores = stores_of(stack)
    for m in stores.roster.managers():
        stores.roster.put(m.model_copy(update={
            "active": m.manager_id in capacities, "capacity": capacities.get(m.manager_id, m.capacity)}))


def add_form(stack: LocalStack, form_id: str, language: str, country: str, profile: str) -> None:
    stores_of(stack).capture.put_form(FormConfig(form_id=form_id, name=form_id, language=language,
                                                 default_country=country, scoring_profile=profile))


def the_lead(table: Any) -> dict[str, Any]:
    [lead] = items_of(table, "lead")
    return lead


def details(events: list[dict[str, Any]], detail_type: str) -> list[dict[str, Any]]:
    return [e["detail"] for e in events if e["detail-type"] == detail_type]


# -- scored, explained, assigned, announced ------------------------------------------------------------


def test_a_hot_submission_is_scored_explained_assigned_and_announced(stack, table, bus):
    # GIVEN the sample stream record of a hot submission (a US phone), stored as capture would
    event = load_event("score-new-submission")
    submission = seed_sample_submission(stack, event)

    # WHEN the scorer receives it
    response = stack.invoke("ScoreFunction", event)

    # THEN no record failed
    assert response == {"batchItemFailures": []}
    # AND the lead carries its score with every part, the rule set's version and thresholds
    lead = table.get_item(Key=lead_key(submission.lead_id))["Item"]
    score = lead["score"]
    # (on the 0-100 scale: the parts add up to 110, kept as the raw sum)
    assert (score["temperature"], score["points"], score["raw_points"]) == ("hot", 100, 110)
    assert [(p["rule_id"], p["points"]) for p in score["parts"]] == [
        ("intent-buy", 40), ("email-corporate", 15), ("has-phone", 10), ("has-company", 10), ("card-complete", 5),
        ("senior-role", 15), ("country-core", 5), ("source-inbound", 5), ("has-message", 5)]
    assert all(p["reason"] for p in score["parts"])
    assert (score["rule_set_version"], score["profile"], score["thresholds"]) == (
        "b2b-2026.11", "b2b", {"warm": 30, "hot": 60})
    # AND it went to the tier-1 manager who covers the US, counted once
    assert (lead["status"], lead["manager_id"], lead["GSI1PK"]) == ("assigned", "m-olivia", "MANAGER#m-olivia")
    assert manager(stack, "m-olivia")["open_leads"] == 1
    # AND `Lead Scored` then `Lead Assigned` are on the bus: versioned, ids and scores only
    events = bus()
    assert [e["detail-type"] for e in events] == ["Lead Scored", "Lead Assigned"]
    assert all(e["source"] == "leadflow" and e["detail"]["schema_version"] == "1" for e in events)
    [scored] = details(events, "Lead Scored")
    assert (scored["lead_id"], scored["submission_id"]) == (submission.lead_id, submission.submission_id)
    assert (scored["points"], scored["temperature"], scored["change"], scored["previous_temperature"]) == (
        100, "hot", "first", None)
    assert scored["thresholds"] == {"warm": 30, "hot": 60} and scored["rule_set_version"] == "b2b-2026.11"
    [assigned] = details(events, "Lead Assigned")
    assert (assigned["manager_id"], assigned["temperature"], assigned["is_new_lead"]) == ("m-olivia", "hot", True)
    text = json.dumps([e["detail"] for e in events]).lower()
    assert not [leak for leak in CONTACT_DATA if leak in text]


FORMS = [("tienda", "es", "ES", "b2c"), ("matjar", "ar", "AE", "b2c"), ("shop", "en", "GB", "b2c"),
         ("arabic", "ar", "AE", "b2b")]

# (form, post, temperature, manager): B2B and B2C, Spanish, Arabic and English names. Points by
# hand from routing/data/default_rules.json (see tests/unit/test_scoring.py); managers from the seed roster.
EXAMPLES = [
    ("demo", {"name": "Jane Doe", "email": "jane@acme-corp.com", "phone": "+1 202 555 0173", "company": "Acme",
              "interest": "quote"},
     "hot", "m-olivia"),   # 85: tier 1 covering the US
    ("demo", {"name": "Ana López", "email": "ana@acme-corp.com", "phone": "+34 612 345 678", "company": "Acme",
              "interest": "quote"},
     "hot", "m-diego"),    # 85: hot may go to tier 1 or 2; only Diego (tier 2) covers Spain
    ("demo", {"name": "عمر حداد", "email": "omar@acme-corp.com", "phone": "+971 50 123 4567",
              "interest": "question"},
     "warm", "m-layla"),   # 50: warm goes 2, 1, 3; Layla (tier 1) covers the Emirates
    ("demo", {"name": "Carl Cold", "email": "carl@gmail.com", "interest": "ebook"},
     "cold", "m-sam"),     # -10: the beginner
    ("demo", {"name": "José Pérez", "email": "jose@gmail.com", "interest": "ebook", "country": "MX"},
     "cold", "m-diego"),   # -5: cold goes 3, 2; Diego covers Mexico
    ("arabic", {"name": "ليلى منصور", "email": "layla.m@acme-corp.com", "interest": "سؤال"},
     "warm", "m-layla"),   # 35: no country; the only one reading the Arabic form
    ("tienda", {"name": "Lucía Fernández", "email": "lucia@gmail.com", "phone": "612 345 678",
                "interest": "reservar", "timeline": "esta semana"},
     "hot", "m-diego"),    # B2C 70: booking, name + email + phone, this week
    ("matjar", {"name": "أحمد حسن", "email": "ahmed@gmail.com", "phone": "050 123 4567", "interest": "استفسار"},
     "warm", "m-layla"),   # B2C 35
    ("shop", {"name": "John Smith", "email": "john@gmail.com", "interest": "coupon"},
     "cold", "m-sam"),     # B2C -10
]


@pytest.mark.parametrize(("form_id", "fields", "temperature", "manager_id"), EXAMPLES,
                         ids=[f"{form}-{fields['name']}" for form, fields, *_ in EXAMPLES])
def test_example_leads_get_their_temperature_and_manager(stack, table, form_id, fields, temperature, manager_id):
    for form in FORMS:
        add_form(stack, *form)

    post(stack, fields, form_id)
    stack.pump_streams()

    lead = the_lead(table)
    assert lead["score"]["temperature"] == temperature
    assert lead["score"]["profile"] == ("b2c" if form_id in ("tienda", "matjar", "shop") else "b2b")
    assert lead["manager_id"] == manager_id
    assert manager(stack, manager_id)["open_leads"] == 1


def test_load_is_balanced_within_a_tier(stack, table):
    # Hot leads with no country: the two tier-1 managers take turns.
    for n in range(4):
        post(stack, {"name": f"Buyer {n}", "email": f"buyer{n}@acme-corp.com", "company": "Acme",
                     "interest": "quote", "message": "Hi"})
        stack.pump_streams()

    owners = sorted(lead["manager_id"] for lead in items_of(table, "lead"))
    assert owners == ["m-layla", "m-layla", "m-olivia", "m-olivia"]


# -- capacity, under concurrency -------------------------------------------------------------------------


@pytest.mark.parametrize("roster_ttl_seconds", [0, 60], ids=["roster read each time", "roster kept by each container"])
def test_concurrent_batches_never_overbook_a_manager(stack, table, roster_ttl_seconds):
    # GIVEN two managers who can take 5 and 3 more hot leads, and 24 hot leads
    only_active(stack, **{"m-olivia": 5, "m-diego": 3})
    submissions = [store_new_lead(stack, n) for n in range(24)]
    batches = [submissions[i:i + 3] for i in range(0, 24, 3)]
    start = threading.Barrier(len(batches))
    errors: list[BaseException] = []

    def run_batch(batch: list[Submission]) -> None:
        # One Lambda invocation's worth: its own clients, its records one after the other.
        store = RoutingStore(Table(stack.table_name(), boto3.client("dynamodb", region_name=stack.region)),
                             roster_ttl_seconds=roster_ttl_seconds)
        publisher = EventPublisher(stack.resolve({"Ref": "LeadsBus"}),
                                   boto3.client("events", region_name=stack.region))
        store.list_managers()  # kept (when it is) by every container: all stale once the others write
        start.wait()
        try:
            for submission in batch:
                score_and_assign(submission, store, publisher)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    # WHEN eight batches are scored at the same time
    threads = [threading.Thread(target=run_batch, args=(batch,)) for batch in batches]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    # THEN nobody is over capacity, each count matches the leads they hold, and no lead is lost
    assert errors == []
    leads = items_of(table, "lead")
    held = {mid: sum(1 for lead in leads if lead.get("manager_id") == mid) for mid in ("m-olivia", "m-diego")}
    assert held == {"m-olivia": 5, "m-diego": 3}
    assert (manager(stack, "m-olivia")["open_leads"], manager(stack, "m-diego")["open_leads"]) == (5, 3)
    assert sorted(lead["status"] for lead in leads) == ["assigned"] * 8 + ["unassigned"] * 16
    assert all(lead["GSI1PK"] == "UNASSIGNED" for lead in leads if lead["status"] == "unassigned")


def test_a_manager_who_fills_up_or_leaves_after_the_read_is_skipped_for_the_next(stack, table):
    # GIVEN the scorer read a roster where Olivia was free, but she went on leave since
    submission = store_new_lead(stack, 1)  # no country: either tier-1 manager will do
    update_manager(stack, "m-olivia", on_leave_until=THROUGH_TOMORROW)
    update_manager(stack, "m-layla", open_leads=3)  # so the stale roster prefers Olivia
    store = stores_of(stack).routing
    stale = [m.model_copy(update={"on_leave_until": None}) if m.manager_id == "m-olivia" else m
             for m in store.list_managers()]
    reads = iter([stale])
    fresh = store.list_managers
    store.list_managers = lambda: next(reads, None) or fresh()  # type: ignore[method-assign]

    # WHEN the lead is scored
    routed = score_and_assign(submission, store, EventPublisher(stack.resolve({"Ref": "LeadsBus"}),
                                                                stack.client("events")))

    # THEN DynamoDB refused Olivia, and the roster was read again: Layla has it
    assert routed is not None and routed.attempts == 2
    assert the_lead(table)["manager_id"] == "m-layla"
    assert (manager(stack, "m-olivia")["open_leads"], manager(stack, "m-layla")["open_leads"]) == (0, 4)


@pytest.mark.parametrize("unavailable", [{"active": False}, {"on_leave_until": THROUGH_TOMORROW}, {"open_leads": 40}])
def test_the_counter_write_itself_refuses_an_unavailable_manager(stack, unavailable):
    # Whatever the caller believes, the conditional update checks the stored manager.
    submission = store_new_lead(stack, 1)
    update_manager(stack, "m-olivia", **unavailable)
    believed_free = Manager(manager_id="m-olivia", name="Olivia", email="o@x", tier=1)

    with pytest.raises(ManagerUnavailable):
        stores_of(stack).routing.record_assignment(submission, score_submission(submission), believed_free, True,
                                                   today=TODAY)

    assert manager(stack, "m-olivia")["open_leads"] == unavailable.get("open_leads", 0)


# -- away and inactive managers ---------------------------------------------------------------------------


def test_an_away_manager_gets_nothing_and_their_returning_lead_moves(stack, table, bus):
    # GIVEN Sam got a cold lead, then went on leave for a week
    post(stack, {"name": "Ana López", "email": "ana@gmail.com", "interest": "ebook"})
    stack.pump_streams()
    assert the_lead(table)["manager_id"] == "m-sam"
    update_manager(stack, "m-sam", on_leave_until=TODAY + timedelta(days=7))
    bus()

    # WHEN a new cold lead arrives  THEN it goes to the next tier, not to Sam
    post(stack, {"name": "Carl Cold", "email": "carl@gmail.com", "interest": "ebook"})
    stack.pump_streams()
    carl = next(lead for lead in items_of(table, "lead") if lead["contact"]["name"] == "Carl Cold")
    assert carl["manager_id"] == "m-diego"

    # WHEN Ana comes back, hot, from Spain
    post(stack, {"name": "Ana López", "email": "ana@gmail.com", "interest": "quote", "phone": "+34 612 345 678",
                 "company": "Acme"})
    stack.pump_streams()

    # THEN her lead moves to someone who is in, and Sam's load goes down
    ana = next(lead for lead in items_of(table, "lead") if lead["contact"]["name"] == "Ana López")
    assert ana["manager_id"] == "m-diego" and ana["GSI1PK"] == "MANAGER#m-diego"
    assert (manager(stack, "m-sam")["open_leads"], manager(stack, "m-diego")["open_leads"]) == (0, 2)
    assigned = details(bus(), "Lead Assigned")
    assert [(d["manager_id"], d["is_new_lead"], d["previous_temperature"]) for d in assigned] == [
        ("m-diego", True, None), ("m-diego", False, "cold")]


def test_a_returning_lead_with_nobody_to_take_it_waits_unassigned_and_the_admins_are_told(stack, table, bus):
    # GIVEN Sam holds a lead, then everybody is made inactive
    post(stack, {"name": "Ana López", "email": "ana@gmail.com", "interest": "ebook"})
    stack.pump_streams()
    only_active(stack)
    bus()

    # WHEN the person comes back
    post(stack, {"name": "Ana López", "email": "ana@gmail.com", "interest": "question"})
    stack.pump_streams()

    # THEN the lead leaves Sam for the unassigned queue, and `Lead Unassigned` says so
    lead = the_lead(table)
    assert lead["status"] == "unassigned" and lead["GSI1PK"] == "UNASSIGNED" and "manager_id" not in lead
    assert manager(stack, "m-sam")["open_leads"] == 0
    [unassigned] = details(bus(), "Lead Unassigned")
    assert (unassigned["released_manager_id"], unassigned["is_new_lead"]) == ("m-sam", False)
    assert (unassigned["previous_temperature"], unassigned["temperature"]) == ("cold", "warm")  # 20 + 10 for coming back


def test_with_nobody_eligible_a_new_lead_waits_unassigned_and_is_announced(stack, table, bus):
    only_active(stack)
    post(stack, {"name": "Jane", "email": "jane@acme-corp.com"})

    stack.pump_streams()

    lead = the_lead(table)
    assert lead["status"] == "unassigned" and "manager_id" not in lead
    assert lead["GSI1PK"] == "UNASSIGNED"
    events = bus()
    assert [e["detail-type"] for e in events] == ["Lead Scored", "Lead Unassigned"]
    assert details(events, "Lead Unassigned")[0]["lead_id"] == lead["lead_id"]


def test_lead_unassigned_reaches_the_admins_topic():
    # The template routes `Lead Unassigned` to a topic the admins (AlarmEmail) subscribe to.
    resources = Template().resources
    rule = resources["UnassignedLeadsRule"]["Properties"]
    # (but a CSV import's: they are counted in the import's result)
    assert rule["EventPattern"] == {"source": ["leadflow"], "detail-type": ["Lead Unassigned"],
                                    "detail": {"imported": [False, {"exists": False}]}}
    assert rule["Targets"][0]["Arn"] == {"Ref": "UnassignedLeadsTopic"}
    [statement] = resources["UnassignedLeadsTopicPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    assert statement["Principal"] == {"Service": "events.amazonaws.com"}
    assert statement["Condition"]["ArnEquals"]["aws:SourceArn"] == {"Fn::GetAtt": ["UnassignedLeadsRule", "Arn"]}
    assert resources["UnassignedLeadsSubscription"]["Properties"]["Endpoint"] == {"Ref": "AlarmEmail"}
    # an alert that cannot be delivered is retried, then kept in a queue that raises an alarm
    target = rule["Targets"][0]
    assert target["RetryPolicy"]["MaximumRetryAttempts"] >= 1
    assert target["DeadLetterConfig"]["Arn"] == {"Fn::GetAtt": ["UnassignedAlertDeadLetterQueue", "Arn"]}
    [queue_statement] = resources["UnassignedAlertDeadLetterQueuePolicy"]["Properties"]["PolicyDocument"]["Statement"]
    assert queue_statement["Condition"]["ArnEquals"]["aws:SourceArn"] == {"Fn::GetAtt": ["UnassignedLeadsRule", "Arn"]}


# -- returning leads: re-scored, a rise told ------------------------------------------------------------


def test_a_returning_lead_is_rescored_and_its_manager_told_of_the_rise(stack, table, bus, sent_emails):
    # GIVEN a cold lead of Sam's
    post(stack, {"name": "Ana López", "email": "ana@gmail.com", "interest": "ebook"})
    stack.pump_streams()
    stack.pump_events()
    bus()

    # WHEN the person comes back asking for a quote, with a phone and a company
    post(stack, {"name": "Ana López", "email": "ana@gmail.com", "interest": "quote", "phone": "+34 612 345 678",
                 "company": "Acme"})
    stack.pump_streams()
    stack.pump_events()

    # THEN the lead is re-scored (the earlier visit counts) and stays with Sam, counted once
    lead = the_lead(table)
    assert lead["manager_id"] == "m-sam" and manager(stack, "m-sam")["open_leads"] == 1
    assert lead["score"]["temperature"] == "hot"
    assert "repeat-visit" in {p["rule_id"] for p in lead["score"]["parts"]}
    # AND `Lead Scored` carries old and new values; `Lead Assigned` the previous temperature
    events = bus()
    [scored] = details(events, "Lead Scored")
    assert (scored["previous_temperature"], scored["temperature"], scored["change"]) == ("cold", "hot", "rose")
    assert scored["previous_points"] == 0  # its parts added up to -10: the scale starts at 0
    [assigned] = details(events, "Lead Assigned")
    assert (assigned["is_new_lead"], assigned["previous_temperature"]) == (False, "cold")
    # AND Sam's second email says what changed
    subjects = [m.subject for m in sent_emails()]
    assert len(subjects) == 2 and subjects[1].startswith("Came back, cold → hot: [HOT")


def test_the_returning_sample_event_rescores_the_sample_lead(stack, table, bus):
    # GIVEN the sample lead, scored and assigned, then its returning sample submission stored
    first = load_event("score-new-submission")
    seed_sample_submission(stack, first)
    stack.invoke("ScoreFunction", first)
    again = load_event("score-returning-submission")
    stack.client("dynamodb").put_item(TableName=stack.table_name(), Item=again["Records"][0]["dynamodb"]["NewImage"])
    bus()

    # WHEN the scorer receives it
    assert stack.invoke("ScoreFunction", again) == {"batchItemFailures": []}

    # THEN the visit a week earlier and the referral count, and the manager is the same, counted once
    [scored] = details(bus(), "Lead Scored")
    rule_ids = [p["rule_id"] for p in scored["parts"]]
    assert {"repeat-visit", "source-referral"} <= set(rule_ids) and "source-inbound" not in rule_ids
    assert (scored["is_new_lead"], scored["previous_points"], scored["change"]) == (False, 100, "same")
    lead = the_lead(table)
    assert lead["manager_id"] == "m-olivia" and manager(stack, "m-olivia")["open_leads"] == 1
    assert lead["score"]["points"] == scored["points"] == 100
    assert lead["score"]["raw_points"] == 110 - 5 + 15 + 10


def test_a_returning_lead_whose_temperature_falls_is_announced_as_such(stack, table, bus):
    post(stack, {"name": "Bo", "email": "bo@acme-corp.com", "interest": "quote", "phone": "+1 202 555 0173"})
    stack.pump_streams()
    bus()

    post(stack, {"name": "Bo", "email": "bo@acme-corp.com", "interest": "newsletter"})
    stack.pump_streams()

    [scored] = details(bus(), "Lead Scored")
    assert (scored["previous_temperature"], scored["change"]) == ("hot", "fell")
    assert the_lead(table)["manager_id"] == "m-olivia"


def test_an_older_submission_scored_after_a_newer_one_leaves_the_lead_alone(stack, table, bus):
    # GIVEN a lead already scored from a submission newer than the one now delivered
    # (the older record failed once and is retried after the newer one succeeded)
    event = load_event("score-new-submission")
    submission = seed_sample_submission(stack, event)
    later = scored_through(submission.received_at + timedelta(minutes=5))
    stack.client("dynamodb").update_item(
        TableName=stack.table_name(), Key={"PK": {"S": f"LEAD#{submission.lead_id}"}, "SK": {"S": "LEAD"}},
        UpdateExpression="SET scored_through = :t, manager_id = :m",
        ExpressionAttributeValues={":t": {"N": str(later)}, ":m": {"S": "m-layla"}})

    # WHEN the older record arrives
    assert stack.invoke("ScoreFunction", event) == {"batchItemFailures": []}

    # THEN its score is kept on the submission, the lead and the loads are untouched, nothing announced
    stored = table.get_item(Key=submission_key(submission.lead_id, submission.received_at,
                                                submission.submission_id))["Item"]
    assert stored["superseded"] is True and stored["score"]["temperature"] == "hot"
    lead = table.get_item(Key=lead_key(submission.lead_id))["Item"]
    assert "score" not in lead and lead["manager_id"] == "m-layla"
    assert all(manager(stack, m)["open_leads"] == 0 for m in ("m-olivia", "m-layla"))
    assert bus() == []


# -- redelivery and failures --------------------------------------------------------------------------


def test_a_redelivered_record_counts_once_and_emails_once(stack, table, bus, sent_emails):
    event = load_event("score-new-submission")
    submission = seed_sample_submission(stack, event)
    stack.invoke("ScoreFunction", event)
    first_owner = table.get_item(Key=lead_key(submission.lead_id))["Item"]["manager_id"]

    # WHEN the stream delivers the same record again
    response = stack.invoke("ScoreFunction", copy.deepcopy(event))

    # THEN it succeeds without counting the lead twice against the manager
    assert response == {"batchItemFailures": []}
    assert manager(stack, first_owner)["open_leads"] == 1
    assert table.get_item(Key=lead_key(submission.lead_id))["Item"]["manager_id"] == first_owner
    # AND the same events are published again, identical
    events = bus()
    assert [e["detail-type"] for e in events] == ["Lead Scored", "Lead Assigned"] * 2
    assert events[0]["detail"] == events[2]["detail"] and events[1]["detail"] == events[3]["detail"]
    # AND the manager gets one email, not two
    stack.pump_events()
    assert len(sent_emails()) == 1


def test_a_poison_record_fails_alone(stack, table, bus):
    # GIVEN a batch of a good record and a record whose image is not a submission
    good = load_event("score-new-submission")
    seed_sample_submission(stack, good)
    poison = json.loads(json.dumps(good["Records"][0]))
    poison["dynamodb"]["NewImage"] = {"PK": {"S": "LEAD#x"}, "SK": {"S": "SUB#x"}, "item_type": {"S": "submission"}}
    poison["dynamodb"]["SequenceNumber"] = "111100000000000000000002"

    response = stack.invoke("ScoreFunction", {"Records": [poison, good["Records"][0]]})

    # THEN only the poison record is reported, and the good one is assigned
    assert response == {"batchItemFailures": [{"itemIdentifier": "111100000000000000000002"}]}
    assert len(details(bus(), "Lead Assigned")) == 1


def test_records_that_keep_failing_go_to_the_failure_queue_and_the_rest_flow(stack, table):
    # GIVEN a good post, then a malformed submission item written straight to the table
    post(stack, {"name": "Jane", "email": "jane@acme-corp.com", "interest": "quote"})
    stack.client("dynamodb").put_item(TableName=stack.table_name(), Item={
        "PK": {"S": "LEAD#broken"}, "SK": {"S": "SUB#broken"}, "item_type": {"S": "submission"}})

    # WHEN the stream is pumped with the template's retries and bisection
    stack.pump_streams()

    # THEN the good lead is assigned and the bad record's position is in the failure queue
    assert the_lead(table)["status"] == "assigned"
    sqs = stack.client("sqs")
    url = sqs.get_queue_url(QueueName=f"{stack.stack_name}-ScoreFailureQueue")["QueueUrl"]
    [message] = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    info = json.loads(message["Body"])["DDBStreamBatchInfo"]
    assert info["batchSize"] == 1 and info["streamArn"].endswith(stack.streams[0].stream_arn.split("/", 1)[1])


def test_only_new_submissions_wake_the_scorer(stack, table):
    # Lead updates, identities, managers, forms and rule sets are in the stream too; the filter drops them.
    post(stack, {"name": "Jane", "email": "jane@acme-corp.com", "interest": "quote"})
    stores_of(stack).routing.put_rule_set_json("b2b", json.dumps({}), "x")
    calls: list[int] = []
    original = stack.functions["ScoreFunction"]
    stack.functions["ScoreFunction"] = lambda event, context: calls.append(len(event["Records"])) or original(event, context)

    stack.pump_streams()
    stack.pump_streams()  # the scorer's own updates come back on the stream

    assert calls == [1]


def test_a_record_of_a_submission_no_longer_stored_is_skipped_not_retried(stack, table, bus):
    # GIVEN a stream record whose submission is not in the table (erased since)
    event = load_event("score-new-submission")

    response = stack.invoke("ScoreFunction", event)

    # THEN it is not a failure (retrying cannot help), and nobody is assigned or told
    assert response == {"batchItemFailures": []}
    assert bus() == []
    assert all(manager(stack, m)["open_leads"] == 0 for m in ("m-olivia", "m-layla", "m-diego", "m-sam"))
    assert items_of(table, "lead") == []


# -- rule sets: an override in the table, without a redeploy --------------------------------------------


def write_rules(tmp_path: Path, **changes: Any) -> Path:
    doc = json.loads(default_rule_set("b2b").model_dump_json())
    doc.update(changes)
    path = tmp_path / "rules.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def rules_changed(tmp_path: Path, version: str, rule_id: str, **changes: Any) -> Path:
    """The default B2B rules with one rule changed, as a file for `leadflow rules put`."""
    doc = json.loads(default_rule_set("b2b").model_dump_json())
    for rule in doc["rules"]:
        if rule["id"] == rule_id:
            rule.update(changes)
    path = tmp_path / "rules.json"
    path.write_text(json.dumps({**doc, "version": version}), encoding="utf-8")
    return path


def test_an_uploaded_rule_set_is_used_by_the_scorer(stack, table, tmp_path):
    # GIVEN an override for B2B where content downloads are what the business wants
    path = rules_changed(tmp_path, "acme-1", "intent-content", points=60)
    out = io.StringIO()

    # WHEN it is uploaded with the command
    assert leadflow(["rules", "put", str(path)], target=cli_target(stack), out=out) == 0

    # THEN the next lead is scored with it: the version is on the score
    assert "stored rule set acme-1 for b2b" in out.getvalue()
    post(stack, {"name": "Carl", "email": "carl@gmail.com", "interest": "ebook"})
    stack.pump_streams()
    score = the_lead(table)["score"]
    assert (score["rule_set_version"], score["points"], score["temperature"]) == ("acme-1", 60, "hot")


def test_an_invalid_rule_set_is_refused_before_anything_is_stored(stack, tmp_path):
    path = write_rules(tmp_path, thresholds={"warm": 50, "hot": 40})
    err = io.StringIO()

    assert leadflow(["rules", "put", str(path)], target=cli_target(stack), out=io.StringIO(), err=err) == 1

    assert "field 'thresholds': the hot threshold (40) must be above the warm one (50)" in err.getvalue()
    assert stores_of(stack).routing.get_rule_set_json("b2b") is None


def test_the_command_shows_and_removes_the_override(stack, tmp_path):
    store, target = stores_of(stack).routing, cli_target(stack)
    leadflow(["rules", "put", str(write_rules(tmp_path, version="acme-2"))], target=target, out=io.StringIO())

    shown = io.StringIO()
    assert leadflow(["rules", "show", "b2b", "--json"], target=target, out=shown) == 0
    [b2b] = json.loads(shown.getvalue())["rule_sets"]
    assert (b2b["in_force"], b2b["rule_set"]["version"]) == ("override", "acme-2")

    removed = io.StringIO()
    assert leadflow(["rules", "delete", "b2b"], target=target, out=removed) == 0
    assert "override removed" in removed.getvalue()
    assert store.get_rule_set_json("b2b") is None


def test_the_scorer_reads_the_override_once_per_container_minute(stack, table):
    # Each lead after the first costs no rule-set read: the container keeps it for 60 s.
    from leadflow_local.stack import CallCounter

    for n in range(3):
        post(stack, {"name": f"Lead {n}", "email": f"l{n}@gmail.com", "interest": "ebook"})
    CallCounter.reset()
    stack.pump_streams()

    assert len(items_of(table, "lead")) == 3
    assert CallCounter.reset()["dynamodb.GetItem"] == 1


# -- calls per batch: the roster and the announcements ----------------------------------------------------


def score_calls() -> dict[str, int]:
    from leadflow_local.stack import CallCounter

    return {k.split(" ", 1)[1]: v for k, v in CallCounter.by_function.items() if k.startswith("ScoreFunction ")}


def stream_batch(submissions: list[Submission]) -> dict[str, Any]:
    """One stream batch of these stored submissions, as Lambda delivers it."""
    [sample] = load_event("score-new-submission")["Records"]
    records = []
    for n, submission in enumerate(submissions):
        key = submission_key(submission.lead_id, submission.received_at, submission.submission_id)
        record = copy.deepcopy(sample)
        record["dynamodb"].update(Keys={k: {"S": v} for k, v in key.items()},
                                  NewImage=to_item(key, "submission", submission), SequenceNumber=f"2222{n:020d}")
        records.append(record)
    return {"Records": records}


def test_a_batch_reads_the_roster_once_and_announces_in_calls_of_ten(stack, table, bus):
    from leadflow_local.stack import CallCounter

    # GIVEN seven new leads in the stream, in one batch (the template's BatchSize is 10)
    event = stream_batch([store_new_lead(stack, n) for n in range(7)])
    CallCounter.reset()

    # WHEN the scorer takes the batch
    assert stack.invoke("ScoreFunction", event) == {"batchItemFailures": []}

    # THEN one roster read, one transaction per lead, and 14 events in two PutEvents calls
    assert score_calls() == {"dynamodb.Query": 1, "dynamodb.TransactWriteItems": 7, "events.PutEvents": 2,
                             "dynamodb.GetItem": 1}  # the rule set's override, once a container minute
    events = bus()
    assert len(details(events, "Lead Scored")) == 7 and len(details(events, "Lead Assigned")) == 7
    # AND the leads still took turns between the tier-1 managers, each count what they hold
    owners = [lead["manager_id"] for lead in items_of(table, "lead")]
    assert sorted(set(owners)) == ["m-layla", "m-olivia"]
    for mid in ("m-layla", "m-olivia"):
        assert manager(stack, mid)["open_leads"] == owners.count(mid)
    assert abs(owners.count("m-layla") - owners.count("m-olivia")) == 1


class _RefusesOnce:
    """EventBridge refusing one entry of the first PutEvents call (as it may, throttled)."""

    def __init__(self, client: Any, refused_at: int) -> None:
        self.client, self.refused_at, self.calls = client, refused_at, 0

    def put_events(self, Entries: list[dict[str, Any]]) -> dict[str, Any]:  # noqa: N803 - boto3's name
        self.calls += 1
        if self.calls > 1:
            return self.client.put_events(Entries=Entries)
        kept = Entries[:self.refused_at] + Entries[self.refused_at + 1:]
        entries = self.client.put_events(Entries=kept)["Entries"]
        entries.insert(self.refused_at, {"ErrorCode": "ThrottlingException", "ErrorMessage": "slow down"})
        return {"FailedEntryCount": 1, "Entries": entries}


def test_an_event_eventbridge_refuses_fails_its_record_which_is_retried_and_announced(stack, table, bus,
                                                                                       monkeypatch):
    # GIVEN a batch of three new leads, and EventBridge refusing the second lead's `Lead Assigned` once
    submissions = [store_new_lead(stack, n) for n in range(3)]
    event = stream_batch(submissions)
    outbox = stack.module("ScoreFunction").outbox
    refusing = _RefusesOnce(outbox.publisher.client, refused_at=3)
    monkeypatch.setattr(outbox.publisher, "client", refusing)

    # WHEN the scorer takes the batch
    response = stack.invoke("ScoreFunction", event)

    # THEN that record is reported failed, although it was scored and assigned
    second = event["Records"][1]["dynamodb"]["SequenceNumber"]
    assert response == {"batchItemFailures": [{"itemIdentifier": second}]}
    assert items_of(table, "lead")[0]["status"] == "assigned"
    # AND when Lambda retries from it, the second and third are found scored and announced again
    assert stack.invoke("ScoreFunction", {"Records": event["Records"][1:]}) == {"batchItemFailures": []}
    assert refusing.calls == 2
    assigned = details(bus(), "Lead Assigned")
    assert [a["lead_id"] for a in assigned] == [submissions[0].lead_id, submissions[2].lead_id,
                                               submissions[1].lead_id, submissions[2].lead_id]
    # AND nothing was counted twice
    owners = [lead["manager_id"] for lead in items_of(table, "lead")]
    assert len(owners) == 3
    for mid in set(owners):
        assert manager(stack, mid)["open_leads"] == owners.count(mid)


def test_a_manager_who_left_since_the_containers_roster_read_refuses_and_the_roster_is_read_again(stack, table):
    from leadflow.routing.assignment import choose_manager
    from leadflow.shared.models import Temperature
    from leadflow_local.stack import CallCounter

    # GIVEN the scorer's container read the roster for a first lead
    store_new_lead(stack, 0)
    stack.pump_streams()
    snapshot = stack.module("ScoreFunction").store.recent_managers()
    assert snapshot is not None
    # AND the manager it would choose next went on leave since (the snapshot does not know)
    chosen = choose_manager(snapshot, Temperature.HOT, today=TODAY)
    assert chosen is not None
    update_manager(stack, chosen.manager_id, on_leave_until=THROUGH_TOMORROW)
    other = ({"m-olivia", "m-layla"} - {chosen.manager_id}).pop()
    second = store_new_lead(stack, 1)
    CallCounter.reset()

    # WHEN the next lead is scored
    stack.pump_streams()

    # THEN DynamoDB refused the stale choice, the roster was read again, and the other has it
    assert table.get_item(Key=lead_key(second.lead_id))["Item"]["manager_id"] == other
    # (the first lead went to the other one: the snapshot chose who had none)
    assert (manager(stack, chosen.manager_id)["open_leads"], manager(stack, other)["open_leads"]) == (0, 2)
    calls = score_calls()
    assert (calls["dynamodb.TransactWriteItems"], calls["dynamodb.Query"]) == (2, 1)


def test_nobody_in_the_containers_roster_is_checked_against_the_table_before_a_lead_waits(stack, table):
    # GIVEN only Sam (tier 3) active: a hot lead waits unassigned, and the container keeps that roster
    only_active(stack, **{"m-sam": 5})
    store_new_lead(stack, 0)
    stack.pump_streams()
    assert the_lead(table)["status"] == "unassigned"
    # WHEN Olivia comes back within the container's seconds, and another hot lead comes
    update_manager(stack, "m-olivia", active=True)
    second = store_new_lead(stack, 1)
    stack.pump_streams()
    # THEN the roster as stored now decided: Olivia has it
    assert table.get_item(Key=lead_key(second.lead_id))["Item"]["manager_id"] == "m-olivia"


def test_a_returning_lead_stays_with_its_manager_on_the_containers_roster_which_the_write_checks(
        stack, table, bus, monkeypatch):
    # GIVEN Sam got a cold lead, and the scorer's container keeps the roster it read then
    # (for the whole test: a slow machine must not make it read again)
    monkeypatch.setattr(stack.module("ScoreFunction").store.recent, "ttl_seconds", 600)
    post(stack, {"name": "Ana López", "email": "ana@gmail.com", "interest": "ebook"})
    stack.pump_streams()
    assert the_lead(table)["manager_id"] == "m-sam"
    bus()
    store = stack.module("ScoreFunction").store
    roster_reads: list[int] = []
    read = store.list_managers
    monkeypatch.setattr(store, "list_managers", lambda: roster_reads.append(1) or read())

    # WHEN Ana comes back: her lead stays with Sam, and the roster is not read again for it
    post(stack, {"name": "Ana López", "email": "ana@gmail.com", "interest": "ebook", "company": "Acme"})
    stack.pump_streams()
    assert the_lead(table)["manager_id"] == "m-sam" and roster_reads == []

    # WHEN Sam goes on leave (the container's roster still has him in), and Ana comes back again
    update_manager(stack, "m-sam", on_leave_until=TODAY + timedelta(days=7))
    post(stack, {"name": "Ana López", "email": "ana@gmail.com", "interest": "ebook", "company": "Acme Corp"})
    stack.pump_streams()

    # THEN the write refused to keep her with Sam; decided again on the roster as stored, she moved
    assert roster_reads == [1]
    ana = the_lead(table)
    assert ana["manager_id"] != "m-sam" and ana["GSI1PK"] == f"MANAGER#{ana['manager_id']}"
    assert manager(stack, "m-sam")["open_leads"] == 0 and manager(stack, ana["manager_id"])["open_leads"] == 1
    assert [d["manager_id"] for d in details(bus(), "Lead Assigned")][-1] == ana["manager_id"]


def count_visit_reads(stack: LocalStack, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Each read of a lead's earlier submissions by the scorer (the repeat rules' Query)."""
    store = stack.module("ScoreFunction").store
    reads: list[int] = []
    query = store.previous_visits
    monkeypatch.setattr(store, "previous_visits", lambda *a, **k: reads.append(1) or query(*a, **k))
    return reads


def test_a_repeat_visit_is_counted_from_the_card_without_reading_the_submissions(stack, table, monkeypatch):
    reads = count_visit_reads(stack, monkeypatch)
    post(stack, {"name": "Ana López", "email": "ana@gmail.com", "interest": "ebook"})
    stack.pump_streams()

    # WHEN Ana comes back within the rule's 30 days
    post(stack, {"name": "Ana López", "email": "ana@gmail.com", "interest": "ebook"})
    stack.pump_streams()

    # THEN her visit before counts (capture kept it on the card), and no submission was read
    lead = the_lead(table)
    assert "repeat-visit" in {p["rule_id"] for p in lead["score"]["parts"]} and reads == []
    assert lead["previous_seen_at"] < lead["last_seen_at"]


def test_a_visit_before_the_rules_days_does_not_count_and_needs_no_read_either(stack, table, monkeypatch):
    reads = count_visit_reads(stack, monkeypatch)
    post(stack, {"name": "Ana López", "email": "ana@gmail.com", "interest": "ebook"})
    stack.pump_streams()
    # Her first visit, as if 40 days ago
    long_ago = (datetime.now(timezone.utc) - timedelta(days=40)).isoformat()
    table.update_item(Key=lead_key(the_lead(table)["lead_id"]), UpdateExpression="SET last_seen_at = :then",
                      ExpressionAttributeValues={":then": long_ago})

    post(stack, {"name": "Ana López", "email": "ana@gmail.com", "interest": "ebook"})
    stack.pump_streams()

    assert "repeat-visit" not in {p["rule_id"] for p in the_lead(table)["score"]["parts"]} and reads == []


def test_a_rule_asking_for_more_earlier_visits_reads_them(stack, table, tmp_path, monkeypatch):
    # GIVEN a rule set whose repeat rule wants two earlier visits
    path = rules_changed(tmp_path, "twice", "repeat-visit", min_previous=2)
    assert leadflow(["rules", "put", str(path)], target=cli_target(stack), out=io.StringIO()) == 0
    reads = count_visit_reads(stack, monkeypatch)

    # WHEN Ana comes a second and a third time
    parts = []
    for _ in range(3):
        post(stack, {"name": "Ana López", "email": "ana@gmail.com", "interest": "ebook"})
        stack.pump_streams()
        parts.append({p["rule_id"] for p in the_lead(table)["score"]["parts"]})

    # THEN her earlier submissions were read each time, and the rule fired on the third
    assert reads == [1, 1] and ["repeat-visit" in p for p in parts] == [False, False, True]
