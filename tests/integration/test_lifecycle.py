"""The lead lifecycle on the deployed table and bus (moto): each status change is written
with its history entry or not at all, a stale change loses, conversion makes a contact,
and every change is announced on the bus."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from leadflow import SOURCE
from leadflow.events import EventPublisher
from leadflow.lifecycle import (
    LEAD_CONVERTED,
    LEAD_STATUS_CHANGED,
    InvalidChange,
    LeadNotFound,
    TransitionNotAllowed,
    add_note,
    change_status,
    convert,
)
from leadflow.models import Lead, LeadStatus
from leadflow.reminders import Reminders, ReminderTarget
from leadflow.repository import LeadRepository
from leadflow_local.stack import LocalStack
from support import post_hot_lead as post_assigned_lead
from support import repository_of

S = LeadStatus


def repository(stack: LocalStack) -> LeadRepository:
    return repository_of(stack)


def post_hot_lead(stack: LocalStack, email: str = "jane@acme-corp.com") -> str:
    """A hot lead through the whole pipeline, assigned to a manager; its id."""
    lead_id = post_assigned_lead(stack, email)
    assert repository(stack).get_lead(lead_id).status == S.ASSIGNED
    return lead_id


class Bus:
    """The stack's bus with a rule sending lifecycle events to a queue this test reads."""

    def __init__(self, stack: LocalStack) -> None:
        self.name = f"{stack.stack_name}-leads"
        self.sqs = stack.client("sqs")
        self.url = self.sqs.create_queue(QueueName="lifecycle-events")["QueueUrl"]
        arn = self.sqs.get_queue_attributes(QueueUrl=self.url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        events = stack.client("events")
        events.put_rule(Name="lifecycle-events", EventBusName=self.name, EventPattern=json.dumps(
            {"source": [SOURCE], "detail-type": [LEAD_STATUS_CHANGED, LEAD_CONVERTED]}))
        events.put_targets(Rule="lifecycle-events", EventBusName=self.name, Targets=[{"Id": "q", "Arn": arn}])
        self.publisher = EventPublisher(self.name, events)

    def received(self) -> list[tuple[str, dict[str, Any]]]:
        """(detail-type, detail) of the events delivered since the last call, in order."""
        out = []
        while messages := self.sqs.receive_message(QueueUrl=self.url, MaxNumberOfMessages=10).get("Messages", []):
            for message in messages:
                event = json.loads(message["Body"])
                out.append((event["detail-type"], event["detail"]))
                self.sqs.delete_message(QueueUrl=self.url, ReceiptHandle=message["ReceiptHandle"])
        return out


@pytest.fixture
def bus(stack: LocalStack) -> Bus:
    return Bus(stack)


def schedules(stack: LocalStack) -> list[str]:
    return [s["Name"] for s in stack.client("scheduler").list_schedules()["Schedules"]]


def kinds(stack: LocalStack, lead_id: str) -> list[str]:
    return [a.kind for a in repository(stack).list_activities(lead_id)]


def test_contacting_a_lead_writes_the_status_and_its_history_and_cancels_its_reminder(stack, bus):
    # GIVEN an assigned lead whose speed-to-lead reminder is scheduled
    lead_id = post_hot_lead(stack)
    repo = repository(stack)
    manager_id = repo.get_lead(lead_id).manager_id
    assert len(schedules(stack)) == 1
    reminders = Reminders(ReminderTarget("unused", "unused"), stack.client("scheduler"))

    # WHEN its manager marks it contacted
    event = change_status(repo, bus.publisher, lead_id, "contacted", by=manager_id, note="called, demo booked",
                          reminders=reminders)

    # THEN the lead is contacted, its history says by whom, and no reminder is left
    lead = repo.get_lead(lead_id)
    assert lead.status == S.CONTACTED and lead.contacted_at == event.at
    [activity] = repo.list_activities(lead_id)
    assert activity.kind == "contacted" and activity.detail == {"by": manager_id, "note": "called, demo booked"}
    assert schedules(stack) == []
    # AND the change is on the bus: ids only
    [(detail_type, detail)] = bus.received()
    assert detail_type == LEAD_STATUS_CHANGED
    assert detail == {"schema_version": "1", "lead_id": lead_id, "from_status": "assigned",
                      "to_status": "contacted", "by": manager_id, "reason": None,
                      "at": event.at.isoformat().replace("+00:00", "Z")}


def test_a_lead_is_qualified_then_rejected_with_a_reason(stack, bus):
    lead_id = post_hot_lead(stack)
    repo = repository(stack)
    change_status(repo, bus.publisher, lead_id, S.CONTACTED, by="m-1")
    change_status(repo, bus.publisher, lead_id, S.QUALIFIED, by="m-1", note="budget confirmed")

    change_status(repo, bus.publisher, lead_id, S.REJECTED, by="m-1", reason="competitor", note="went with X")

    lead = repo.get_lead(lead_id)
    assert lead.status == S.REJECTED and lead.rejection_reason == "competitor" and lead.status_changed_at
    assert kinds(stack, lead_id) == ["contacted", "qualified", "rejected"]
    rejected = repo.list_activities(lead_id)[-1]
    assert rejected.detail == {"from": "qualified", "by": "m-1", "reason": "competitor", "note": "went with X"}
    assert [(t, d["to_status"], d["reason"]) for t, d in bus.received()] == [
        (LEAD_STATUS_CHANGED, "contacted", None), (LEAD_STATUS_CHANGED, "qualified", None),
        (LEAD_STATUS_CHANGED, "rejected", "competitor")]


def test_a_postponed_lead_goes_back_to_its_manager(stack, bus):
    lead_id = post_hot_lead(stack)
    repo = repository(stack)
    manager_id = repo.get_lead(lead_id).manager_id
    follow_up_on = (datetime.now(timezone.utc) + timedelta(days=30)).date()

    change_status(repo, bus.publisher, lead_id, S.POSTPONED, by=manager_id, follow_up_on=follow_up_on)
    lead = repo.get_lead(lead_id)
    assert lead.status == S.POSTPONED and lead.follow_up_on == follow_up_on

    change_status(repo, bus.publisher, lead_id, S.ASSIGNED, by="scheduler")
    lead = repo.get_lead(lead_id)
    assert lead.status == S.ASSIGNED and lead.manager_id == manager_id and lead.follow_up_on is None
    assert repo.list_activities(lead_id)[0].detail["follow_up_on"] == follow_up_on.isoformat()


def test_a_refused_change_writes_nothing(stack, bus):
    lead_id = post_hot_lead(stack)
    repo = repository(stack)
    table = stack.client("dynamodb")
    before = table.get_item(TableName=stack.table_name(), Key={"PK": {"S": f"LEAD#{lead_id}"}, "SK": {"S": "LEAD"}})

    # WHEN a step is skipped
    with pytest.raises(TransitionNotAllowed) as refused:
        change_status(repo, bus.publisher, lead_id, S.QUALIFIED, by="m-1")
    # THEN the error names where it is and where it may go
    assert refused.value.current == S.ASSIGNED
    assert refused.value.allowed == (S.CONTACTED, S.POSTPONED, S.REJECTED)

    # WHEN a rejection has no reason, or a postponement no date
    with pytest.raises(InvalidChange):
        change_status(repo, bus.publisher, lead_id, S.REJECTED, by="m-1")
    with pytest.raises(InvalidChange):
        change_status(repo, bus.publisher, lead_id, S.POSTPONED, by="m-1")

    # THEN nothing was written or published
    after = table.get_item(TableName=stack.table_name(), Key={"PK": {"S": f"LEAD#{lead_id}"}, "SK": {"S": "LEAD"}})
    assert after["Item"] == before["Item"]
    assert repo.list_activities(lead_id) == [] and bus.received() == []


class StaleRead(LeadRepository):
    """Reads the lead as it was before another change: two managers acting at once."""

    def __init__(self, repo: LeadRepository, snapshot: Lead) -> None:
        super().__init__(repo.table_name, repo.client)
        self.snapshot: Lead | None = snapshot

    def get_lead(self, lead_id: str) -> Lead | None:
        snapshot, self.snapshot = self.snapshot, None
        return snapshot or super().get_lead(lead_id)


@pytest.mark.parametrize("loser", [S.POSTPONED, S.CONTACTED])
def test_of_two_concurrent_changes_exactly_one_wins(stack, bus, loser):
    # GIVEN two managers who both read the lead while it was assigned
    lead_id = post_hot_lead(stack)
    repo = repository(stack)
    stale = StaleRead(repo, repo.get_lead(lead_id))

    # WHEN one rejects it, then the other's change (made on the old read) is written
    change_status(repo, bus.publisher, lead_id, S.REJECTED, by="m-1", reason="spam")
    follow_up = {"follow_up_on": (datetime.now(timezone.utc) + timedelta(days=7)).date()} if loser == S.POSTPONED else {}
    with pytest.raises(TransitionNotAllowed) as refused:
        change_status(stale, bus.publisher, lead_id, loser, by="m-2", **follow_up)

    # THEN the second is told the lead is rejected now, and nothing of it was written
    assert refused.value.current == S.REJECTED and refused.value.allowed == ()
    assert repo.get_lead(lead_id).status == S.REJECTED
    assert kinds(stack, lead_id) == ["rejected"]
    assert [d["to_status"] for _, d in bus.received()] == ["rejected"]


def test_converting_a_qualified_lead_creates_its_contact_and_keeps_its_history(stack, bus):
    lead_id = post_hot_lead(stack)
    repo = repository(stack)
    manager_id = repo.get_lead(lead_id).manager_id
    change_status(repo, bus.publisher, lead_id, S.CONTACTED, by=manager_id)
    change_status(repo, bus.publisher, lead_id, S.QUALIFIED, by=manager_id)
    add_note(repo, lead_id, "signed the order form", manager_id)
    bus.received()

    contact = convert(repo, bus.publisher, lead_id, manager_id)

    # THEN the contact holds the lead's card and points back at it
    stored = repo.get_contact(contact.contact_id)
    assert stored == contact
    assert stored.lead_id == lead_id and stored.contact == repo.get_lead(lead_id).contact
    assert stored.contact.email == "jane@acme-corp.com" and stored.manager_id == manager_id
    # AND the lead is converted, with its submissions and every history entry kept
    lead = repo.get_lead(lead_id)
    assert lead.status == S.CONVERTED and lead.contact_id == contact.contact_id and lead.converted_at
    assert kinds(stack, lead_id) == ["contacted", "qualified", "note", "converted"]
    assert repo.list_activities(lead_id)[-1].detail["contact_id"] == contact.contact_id
    subs = stack.client("dynamodb").query(
        TableName=stack.table_name(), KeyConditionExpression="PK = :pk AND begins_with(SK, :sub)",
        ExpressionAttributeValues={":pk": {"S": f"LEAD#{lead_id}"}, ":sub": {"S": "SUB#"}})["Items"]
    assert len(subs) == 1
    # AND both events are out, ids only
    assert bus.received() == [
        (LEAD_STATUS_CHANGED, {"schema_version": "1", "lead_id": lead_id, "from_status": "qualified",
                               "to_status": "converted", "by": manager_id, "reason": None,
                               "at": contact.created_at.isoformat().replace("+00:00", "Z")}),
        (LEAD_CONVERTED, {"schema_version": "1", "lead_id": lead_id, "contact_id": contact.contact_id,
                          "at": contact.created_at.isoformat().replace("+00:00", "Z")}),
    ]
    # AND a lead is converted once
    with pytest.raises(TransitionNotAllowed):
        convert(repo, bus.publisher, lead_id, manager_id)


def test_a_lead_cannot_be_converted_before_it_is_qualified(stack, bus):
    lead_id = post_hot_lead(stack)
    with pytest.raises(TransitionNotAllowed) as refused:
        convert(repository(stack), bus.publisher, lead_id, "m-1")
    assert refused.value.current == S.ASSIGNED
    assert repository(stack).get_lead(lead_id).contact_id is None and bus.received() == []


def test_converting_through_change_status_goes_through_convert(stack, bus):
    lead_id = post_hot_lead(stack)
    repo = repository(stack)
    change_status(repo, bus.publisher, lead_id, S.CONTACTED, by="m-1")
    change_status(repo, bus.publisher, lead_id, S.QUALIFIED, by="m-1")

    change_status(repo, bus.publisher, lead_id, S.CONVERTED, by="m-1")

    lead = repo.get_lead(lead_id)
    assert lead.status == S.CONVERTED and repo.get_contact(lead.contact_id).lead_id == lead_id


def test_notes_go_to_the_lead_history_and_need_a_lead(stack, bus):
    lead_id = post_hot_lead(stack)
    repo = repository(stack)

    note = add_note(repo, lead_id, "  prefers email  ", "m-1")

    assert repo.list_activities(lead_id) == [note]
    assert note.kind == "note" and note.detail == {"by": "m-1", "note": "prefers email"}
    assert repo.get_lead(lead_id).status == S.ASSIGNED
    with pytest.raises(LeadNotFound):
        add_note(repo, "no-such-lead", "hello", "m-1")
    with pytest.raises(LeadNotFound):
        change_status(repo, bus.publisher, "no-such-lead", S.CONTACTED, by="m-1")
    assert bus.received() == []
