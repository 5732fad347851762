"""score: each new submission scored, its lead routed to the right manager, announced."""

import json
from typing import Any

import boto3
import pytest

from leadflow.models import Submission
from leadflow.repository import LeadRepository, from_item, lead_key, manager_key, to_item
from leadflow_local.stack import LocalStack
from support import items_of, load_event


def seed_sample_submission(stack: LocalStack, event: dict[str, Any]) -> Submission:
    """Store the lead card and submission that a sample stream record describes."""
    from leadflow.models import Lead

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


def announced(stack: LocalStack) -> list[dict[str, Any]]:
    """Events the bus routed to the notify rule's queue (not yet delivered)."""
    sqs = stack.client("sqs")
    [rule] = [r for r in stack.rules if r.function_id == "NotifyFunction"]
    messages = sqs.receive_message(QueueUrl=rule.queue_url, MaxNumberOfMessages=10).get("Messages", [])
    return [json.loads(m["Body"]) for m in messages]


def manager(stack: LocalStack, manager_id: str) -> dict[str, Any]:
    table = boto3.resource("dynamodb", region_name=stack.region).Table(stack.table_name())
    return table.get_item(Key=manager_key(manager_id))["Item"]


def test_a_hot_submission_goes_to_a_tier_1_manager_and_is_announced(stack, table):
    # GIVEN the sample stream record of a hot submission, stored as capture would
    event = load_event("score-new-submission")
    submission = seed_sample_submission(stack, event)

    # WHEN the scorer receives it
    response = stack.invoke("ScoreFunction", event)

    # THEN no record failed
    assert response == {"batchItemFailures": []}
    # AND the lead carries score, reasons, temperature and a tier-1 manager
    lead = table.get_item(Key=lead_key(submission.lead_id))["Item"]
    assert lead["status"] == "assigned"
    assert lead["score"]["temperature"] == "hot"
    assert lead["score"]["points"] == 95  # quote 40, company email 15, phone 10, company 10, senior 15, message 5
    assert {p["rule_id"] for p in lead["score"]["parts"]} >= {"intent-buy", "email-corporate"}
    assert manager(stack, lead["manager_id"])["tier"] == 1
    assert lead["GSI1PK"] == f"MANAGER#{lead['manager_id']}"
    assert manager(stack, lead["manager_id"])["open_leads"] == 1
    # AND a `Lead Assigned` event with ids and scores, no contact data, is on the bus
    [assigned] = announced(stack)
    assert assigned["detail-type"] == "Lead Assigned" and assigned["source"] == "leadflow"
    detail = assigned["detail"]
    assert detail["lead_id"] == submission.lead_id and detail["manager_id"] == lead["manager_id"]
    assert detail["temperature"] == "hot" and detail["schema_version"] == "1"
    assert "jane" not in json.dumps(detail).lower() and "+1415" not in json.dumps(detail)


@pytest.mark.parametrize(("fields", "temperature", "tier"), [
    ({"name": "Ana López", "email": "ana@acme-corp.com", "phone": "+34 612 345 678", "company": "Acme",
      "interest": "quote"}, "hot", 1),
    ({"name": "Omar Haddad", "email": "omar@acme-corp.com", "interest": "question"}, "warm", 2),
    ({"name": "Иван Петров", "email": "ivan@gmail.com", "interest": "ebook"}, "cold", 3),
])
def test_temperature_decides_the_managers_tier(stack, table, fields, temperature, tier):
    stack.handle_http("POST", "/forms/demo/submissions", {"Content-Type": "application/json"},
                      json.dumps(fields).encode())

    stack.pump_streams()

    [lead] = items_of(table, "lead")
    assert lead["score"]["temperature"] == temperature
    assert manager(stack, lead["manager_id"])["tier"] == tier


def test_load_is_balanced_within_a_tier(stack, table):
    # Two tier-1 managers: consecutive hot leads alternate between them.
    for n in range(4):
        stack.handle_http("POST", "/forms/demo/submissions", {"Content-Type": "application/json"}, json.dumps({
            "name": f"Buyer {n}", "email": f"buyer{n}@acme-corp.com", "phone": f"+1 415 555 01{n:02d}",
            "company": "Acme", "interest": "quote"}).encode())
        stack.pump_streams()

    owners = [lead["manager_id"] for lead in items_of(table, "lead")]
    assert sorted(owners) == ["m-layla", "m-layla", "m-olivia", "m-olivia"]


def test_a_redelivered_record_counts_once_and_is_announced_again(stack, table):
    event = load_event("score-new-submission")
    submission = seed_sample_submission(stack, event)
    stack.invoke("ScoreFunction", event)
    first_owner = table.get_item(Key=lead_key(submission.lead_id))["Item"]["manager_id"]

    # WHEN the stream delivers the same record again
    response = stack.invoke("ScoreFunction", event)

    # THEN it succeeds without counting the lead twice against the manager
    assert response == {"batchItemFailures": []}
    assert manager(stack, first_owner)["open_leads"] == 1
    assert table.get_item(Key=lead_key(submission.lead_id))["Item"]["manager_id"] == first_owner
    # AND the assignment is announced again, identical (the notifier sends it once)
    details = [e["detail"] for e in announced(stack)]
    assert len(details) == 2 and details[0] == details[1]


def test_a_returning_lead_stays_with_its_manager(stack, table):
    post = {"name": "Ana López", "email": "ana@gmail.com", "interest": "ebook"}
    stack.handle_http("POST", "/forms/demo/submissions", {"Content-Type": "application/json"}, json.dumps(post).encode())
    stack.pump_streams()
    # Back, now hot: still the same (tier 3) manager, who knows the person.
    post.update(interest="quote", phone="+34 612 345 678", company="Acme")
    stack.handle_http("POST", "/forms/demo/submissions", {"Content-Type": "application/json"}, json.dumps(post).encode())
    stack.pump_streams()

    [lead] = items_of(table, "lead")
    assert lead["manager_id"] == "m-sam"
    assert lead["score"]["temperature"] == "hot"
    assert manager(stack, "m-sam")["open_leads"] == 1
    assert [e["detail"]["is_new_lead"] for e in announced(stack)] == [True, False]


def test_with_nobody_eligible_the_lead_waits_unassigned(stack, table):
    repository = LeadRepository(stack.table_name(), stack.client("dynamodb"))
    for m in repository.list_managers():
        repository.put_manager(m.model_copy(update={"active": False}))
    stack.handle_http("POST", "/forms/demo/submissions", {"Content-Type": "application/json"},
                      json.dumps({"name": "Jane", "email": "jane@acme-corp.com"}).encode())

    stack.pump_streams()

    [lead] = items_of(table, "lead")
    assert lead["status"] == "unassigned" and "manager_id" not in lead
    assert lead["GSI1PK"] == "UNASSIGNED"
    assert announced(stack) == []  # no `Lead Assigned`: nobody to email


def test_a_poison_record_fails_alone(stack, table):
    # GIVEN a batch of a good record and a record whose image is not a submission
    good = load_event("score-new-submission")
    seed_sample_submission(stack, good)
    poison = json.loads(json.dumps(good["Records"][0]))
    poison["dynamodb"]["NewImage"] = {"PK": {"S": "LEAD#x"}, "SK": {"S": "SUB#x"}, "item_type": {"S": "submission"}}
    poison["dynamodb"]["SequenceNumber"] = "111100000000000000000002"

    response = stack.invoke("ScoreFunction", {"Records": [poison, good["Records"][0]]})

    # THEN only the poison record is reported, and the good one is assigned
    assert response == {"batchItemFailures": [{"itemIdentifier": "111100000000000000000002"}]}
    assert len(announced(stack)) == 1


def test_records_that_keep_failing_go_to_the_failure_queue_and_the_rest_flow(stack, table):
    # GIVEN a good post, then a malformed submission item written straight to the table
    stack.handle_http("POST", "/forms/demo/submissions", {"Content-Type": "application/json"},
                      json.dumps({"name": "Jane", "email": "jane@acme-corp.com", "interest": "quote"}).encode())
    stack.client("dynamodb").put_item(TableName=stack.table_name(), Item={
        "PK": {"S": "LEAD#broken"}, "SK": {"S": "SUB#broken"}, "item_type": {"S": "submission"}})

    # WHEN the stream is pumped with the template's retries and bisection
    stack.pump_streams()

    # THEN the good lead is assigned and the bad record's position is in the failure queue
    [lead] = items_of(table, "lead")
    assert lead["status"] == "assigned"
    sqs = stack.client("sqs")
    url = sqs.get_queue_url(QueueName=f"{stack.stack_name}-ScoreFailureQueue")["QueueUrl"]
    [message] = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    info = json.loads(message["Body"])["DDBStreamBatchInfo"]
    assert info["batchSize"] == 1 and info["streamArn"].endswith(stack.streams[0].stream_arn.split("/", 1)[1])


def test_only_new_submissions_wake_the_scorer(stack, table):
    # Lead updates, identities, managers and forms are in the stream too; the filter drops them.
    stack.handle_http("POST", "/forms/demo/submissions", {"Content-Type": "application/json"},
                      json.dumps({"name": "Jane", "email": "jane@acme-corp.com", "interest": "quote"}).encode())
    calls: list[int] = []
    original = stack.functions["ScoreFunction"]
    stack.functions["ScoreFunction"] = lambda event, context: calls.append(len(event["Records"])) or original(event, context)

    stack.pump_streams()
    stack.pump_streams()  # the scorer's own updates come back on the stream

    assert calls == [1]


def test_a_record_of_a_submission_no_longer_stored_is_skipped_not_retried(stack, table):
    # GIVEN a stream record whose submission is not in the table (erased since)
    event = load_event("score-new-submission")

    response = stack.invoke("ScoreFunction", event)

    # THEN it is not a failure (retrying cannot help), and nobody is assigned or told
    assert response == {"batchItemFailures": []}
    assert announced(stack) == []
    assert all(manager(stack, m)["open_leads"] == 0 for m in ("m-olivia", "m-layla", "m-diego", "m-sam"))
    assert items_of(table, "lead") == []
