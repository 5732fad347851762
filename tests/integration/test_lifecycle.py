"""The lead lifecycle on the deployed table and bus (moto): each status change is written
with its history entry or not at all, a stale change loses, conversion makes a contact,
and every change is announced on the bus."""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

import pytest

from leadflow.lifecycle.clocks import ReminderClocks
from leadflow.lifecycle.follow_up import ReminderPolicy, bring_back
from leadflow.lifecycle.schedules import FollowUpDue, Reminders, ReminderTarget
from leadflow.lifecycle.service import add_note, change_status, convert
from leadflow.lifecycle.store import LifecycleStore
from leadflow.lifecycle.transitions import InvalidChange, LeadNotFound, TransitionNotAllowed
from leadflow.notification.mailer import Mailer
from leadflow.shared.bus import EventPublisher, PublishFailed
from leadflow.shared.events import LEAD_CONVERTED, LEAD_STATUS_CHANGED, SOURCE
from leadflow.shared.models import Activity, ContactCard, Lead, LeadStatus, Manager
from leadflow.storage.table import Table
from leadflow_local.stack import LocalStack
from support import post_hot_lead as post_assigned_lead
from support import running_clock, stores_of

S = LeadStatus



def post_hot_lead(stack: LocalStack, email: str = "jane@acme-corp.com") -> str:
    """A hot lead through the whole pipeline, assigned to a manager; its id."""
    lead_id = post_assigned_lead(stack, email)
    assert stores_of(stack).lifecycle.get_lead(lead_id).status == S.ASSIGNED
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
    return list(stack.schedules())


# The entries a posted lead's history starts with: how it arrived (capture) and to whom it
# went (the assignment), each written by the write that did it.
ARRIVAL = ["received", "assigned"]


def history(stack: LocalStack, lead_id: str) -> list[Activity]:
    """The lead's history after its arrival entries (checked to be there, first)."""
    entries = stores_of(stack).history(lead_id)
    assert [a.kind for a in entries[:2]] == ARRIVAL
    return entries[2:]


def kinds(stack: LocalStack, lead_id: str) -> list[str]:
    return [a.kind for a in history(stack, lead_id)]


def test_contacting_a_lead_writes_the_status_and_its_history_and_cancels_its_reminder(stack, bus):
    # GIVEN an assigned lead whose speed-to-lead reminder is scheduled
    lead_id = post_hot_lead(stack)
    stores = stores_of(stack)
    manager_id = stores.lifecycle.get_lead(lead_id).manager_id
    assert running_clock(stack, lead_id)
    reminders = reminders_of(stack)

    # WHEN its manager marks it contacted
    event = change_status(stores.lifecycle, bus.publisher, lead_id, "contacted", by=manager_id, note="called, demo booked",
                          reminders=reminders)

    # THEN the lead is contacted, its history says by whom, and no reminder is left
    lead = stores.lifecycle.get_lead(lead_id)
    assert lead.status == S.CONTACTED and lead.contacted_at == event.at
    [activity] = history(stack, lead_id)
    assert activity.kind == "contacted" and activity.detail == {"by": manager_id, "note": "called, demo booked"}
    assert running_clock(stack, lead_id) is None
    # AND the change is on the bus: ids only
    [(detail_type, detail)] = bus.received()
    assert detail_type == LEAD_STATUS_CHANGED
    assert detail == {"schema_version": "1", "lead_id": lead_id, "from_status": "assigned",
                      "to_status": "contacted", "by": manager_id, "reason": None,
                      "at": event.at.isoformat().replace("+00:00", "Z"), "farewell": False, "partner_id": None}


def test_a_lead_is_qualified_then_rejected_with_a_reason(stack, bus):
    lead_id = post_hot_lead(stack)
    stores = stores_of(stack)
    change_status(stores.lifecycle, bus.publisher, lead_id, S.CONTACTED, by="m-1")
    change_status(stores.lifecycle, bus.publisher, lead_id, S.QUALIFIED, by="m-1", note="budget confirmed")

    change_status(stores.lifecycle, bus.publisher, lead_id, S.REJECTED, by="m-1", reason="competitor", note="went with X")

    lead = stores.lifecycle.get_lead(lead_id)
    assert lead.status == S.REJECTED and lead.rejection_reason == "competitor" and lead.status_changed_at
    assert kinds(stack, lead_id) == ["contacted", "qualified", "rejected"]
    rejected = history(stack, lead_id)[-1]
    assert rejected.detail == {"from": "qualified", "by": "m-1", "reason": "competitor", "note": "went with X"}
    assert [(t, d["to_status"], d["reason"]) for t, d in bus.received()] == [
        (LEAD_STATUS_CHANGED, "contacted", None), (LEAD_STATUS_CHANGED, "qualified", None),
        (LEAD_STATUS_CHANGED, "rejected", "competitor")]


def test_a_postponed_lead_goes_back_to_its_manager(stack, bus):
    lead_id = post_hot_lead(stack)
    stores = stores_of(stack)
    manager_id = stores.lifecycle.get_lead(lead_id).manager_id
    follow_up_on = (datetime.now(timezone.utc) + timedelta(days=30)).date()

    change_status(stores.lifecycle, bus.publisher, lead_id, S.POSTPONED, by=manager_id, follow_up_on=follow_up_on)
    lead = stores.lifecycle.get_lead(lead_id)
    assert lead.status == S.POSTPONED and lead.follow_up_on == follow_up_on

    change_status(stores.lifecycle, bus.publisher, lead_id, S.ASSIGNED, by="scheduler")
    lead = stores.lifecycle.get_lead(lead_id)
    assert lead.status == S.ASSIGNED and lead.manager_id == manager_id and lead.follow_up_on is None
    assert history(stack, lead_id)[0].detail["follow_up_on"] == follow_up_on.isoformat()


def test_a_refused_change_writes_nothing(stack, bus):
    lead_id = post_hot_lead(stack)
    stores = stores_of(stack)
    table = stack.client("dynamodb")
    before = table.get_item(TableName=stack.table_name(), Key={"PK": {"S": f"LEAD#{lead_id}"}, "SK": {"S": "LEAD"}})

    # WHEN a step is skipped
    with pytest.raises(TransitionNotAllowed) as refused:
        change_status(stores.lifecycle, bus.publisher, lead_id, S.QUALIFIED, by="m-1")
    # THEN the error names where it is and where it may go
    assert refused.value.current == S.ASSIGNED
    assert refused.value.allowed == (S.CONTACTED, S.POSTPONED, S.REJECTED)

    # WHEN a rejection has no reason, or a postponement no date
    with pytest.raises(InvalidChange):
        change_status(stores.lifecycle, bus.publisher, lead_id, S.REJECTED, by="m-1")
    with pytest.raises(InvalidChange):
        change_status(stores.lifecycle, bus.publisher, lead_id, S.POSTPONED, by="m-1")

    # THEN nothing was written or published
    after = table.get_item(TableName=stack.table_name(), Key={"PK": {"S": f"LEAD#{lead_id}"}, "SK": {"S": "LEAD"}})
    assert after["Item"] == before["Item"]
    assert history(stack, lead_id) == [] and bus.received() == []


class StaleRead(LifecycleStore):
    """Reads the lead as it was before another change: two managers acting at once."""

    def __init__(self, store: LifecycleStore, snapshot: Lead) -> None:
        super().__init__(store.table)
        self.snapshot: Lead | None = snapshot

    def get_lead(self, lead_id: str) -> Lead | None:
        snapshot, self.snapshot = self.snapshot, None
        return snapshot or super().get_lead(lead_id)


@pytest.mark.parametrize("loser", [S.POSTPONED, S.CONTACTED])
def test_of_two_concurrent_changes_exactly_one_wins(stack, bus, loser):
    # GIVEN two managers who both read the lead while it was assigned
    lead_id = post_hot_lead(stack)
    stores = stores_of(stack)
    stale = StaleRead(stores.lifecycle, stores.lifecycle.get_lead(lead_id))

    # WHEN one rejects it, then the other's change (made on the old read) is written
    change_status(stores.lifecycle, bus.publisher, lead_id, S.REJECTED, by="m-1", reason="spam")
    follow_up = {"follow_up_on": (datetime.now(timezone.utc) + timedelta(days=7)).date()} if loser == S.POSTPONED else {}
    with pytest.raises(TransitionNotAllowed) as refused:
        change_status(stale, bus.publisher, lead_id, loser, by="m-2", **follow_up)

    # THEN the second is told the lead is rejected now, and nothing of it was written
    assert refused.value.current == S.REJECTED and refused.value.allowed == ()
    assert stores.lifecycle.get_lead(lead_id).status == S.REJECTED
    assert kinds(stack, lead_id) == ["rejected"]
    assert [d["to_status"] for _, d in bus.received()] == ["rejected"]


def test_converting_a_qualified_lead_creates_its_contact_and_keeps_its_history(stack, bus):
    lead_id = post_hot_lead(stack)
    stores = stores_of(stack)
    manager_id = stores.lifecycle.get_lead(lead_id).manager_id
    change_status(stores.lifecycle, bus.publisher, lead_id, S.CONTACTED, by=manager_id)
    change_status(stores.lifecycle, bus.publisher, lead_id, S.QUALIFIED, by=manager_id)
    add_note(stores.lifecycle, lead_id, "signed the order form", manager_id)
    bus.received()

    contact = convert(stores.lifecycle, bus.publisher, lead_id, manager_id)

    # THEN the contact holds the lead's card and points back at it
    stored = stores.lifecycle.get_contact(contact.contact_id)
    assert stored == contact
    assert stored.lead_id == lead_id and stored.contact == stores.lifecycle.get_lead(lead_id).contact
    assert stored.contact.email == "jane@acme-corp.com" and stored.manager_id == manager_id
    # AND the lead is converted, with its submissions and every history entry kept
    lead = stores.lifecycle.get_lead(lead_id)
    assert lead.status == S.CONVERTED and lead.contact_id == contact.contact_id and lead.converted_at
    assert kinds(stack, lead_id) == ["contacted", "qualified", "note", "converted"]
    assert history(stack, lead_id)[-1].detail["contact_id"] == contact.contact_id
    subs = stack.client("dynamodb").query(
        TableName=stack.table_name(), KeyConditionExpression="PK = :pk AND begins_with(SK, :sub)",
        ExpressionAttributeValues={":pk": {"S": f"LEAD#{lead_id}"}, ":sub": {"S": "SUB#"}})["Items"]
    assert len(subs) == 1
    # AND both events are out, ids only
    assert bus.received() == [
        (LEAD_STATUS_CHANGED, {"schema_version": "1", "lead_id": lead_id, "from_status": "qualified",
                               "to_status": "converted", "by": manager_id, "reason": None,
                               "at": contact.created_at.isoformat().replace("+00:00", "Z"), "farewell": False,
                               "partner_id": None}),
        (LEAD_CONVERTED, {"schema_version": "1", "lead_id": lead_id, "contact_id": contact.contact_id,
                          "at": contact.created_at.isoformat().replace("+00:00", "Z"), "partner_id": None}),
    ]
    # AND a lead is converted once
    with pytest.raises(TransitionNotAllowed):
        convert(stores.lifecycle, bus.publisher, lead_id, manager_id)


def test_a_lead_cannot_be_converted_before_it_is_qualified(stack, bus):
    lead_id = post_hot_lead(stack)
    with pytest.raises(TransitionNotAllowed) as refused:
        convert(stores_of(stack).lifecycle, bus.publisher, lead_id, "m-1")
    assert refused.value.current == S.ASSIGNED
    assert stores_of(stack).lifecycle.get_lead(lead_id).contact_id is None and bus.received() == []


def test_converting_through_change_status_goes_through_convert(stack, bus):
    lead_id = post_hot_lead(stack)
    stores = stores_of(stack)
    change_status(stores.lifecycle, bus.publisher, lead_id, S.CONTACTED, by="m-1")
    change_status(stores.lifecycle, bus.publisher, lead_id, S.QUALIFIED, by="m-1")

    change_status(stores.lifecycle, bus.publisher, lead_id, S.CONVERTED, by="m-1")

    lead = stores.lifecycle.get_lead(lead_id)
    assert lead.status == S.CONVERTED and stores.lifecycle.get_contact(lead.contact_id).lead_id == lead_id


def test_notes_go_to_the_lead_history_and_need_a_lead(stack, bus):
    lead_id = post_hot_lead(stack)
    stores = stores_of(stack)

    note = add_note(stores.lifecycle, lead_id, "  prefers email  ", "m-1")

    assert history(stack, lead_id) == [note]
    assert note.kind == "note" and note.detail == {"by": "m-1", "note": "prefers email"}
    assert stores.lifecycle.get_lead(lead_id).status == S.ASSIGNED
    with pytest.raises(LeadNotFound):
        add_note(stores.lifecycle, "no-such-lead", "hello", "m-1")
    with pytest.raises(LeadNotFound):
        change_status(stores.lifecycle, bus.publisher, "no-such-lead", S.CONTACTED, by="m-1")
    assert bus.received() == []


# -- a manager's load: closed leads are not theirs to work any more ------------------------


def reminders_of(stack: LocalStack) -> Reminders:
    """Schedules aimed at the stack's remind function, as the leads API makes them."""
    arn = next(a for a, lid in stack.function_arns.items() if lid == "RemindFunction")
    return Reminders(ReminderTarget(stack.schedule_group(), arn, f"arn:aws:iam::{stack.account_id}:role/leadflow-scheduler"),
                     ReminderClocks(Table(stack.table_name(), stack.client("dynamodb"))), stack.client("scheduler"))


def open_leads(stack: LocalStack, manager_id: str) -> int:
    return stores_of(stack).roster.get(manager_id).open_leads


def post_lead(stack: LocalStack, email: str | None, phone: str | None) -> str:
    """A lead through the whole pipeline (a person is matched by email, then phone: give
    each lead of a test its own); its id."""
    body = {"name": "Jane Doe", "company": "Acme Corp", "job_title": "VP Sales", "interest": "quote",
            "country": "US", **({"email": email} if email else {}), **({"phone": phone} if phone else {})}
    response = stack.handle_http("POST", "/forms/demo/submissions", {"Content-Type": "application/json"},
                                 json.dumps(body).encode())
    assert response.status == 202, response.body
    stack.drain()
    lead_id = stores_of(stack).capture.find_lead_id(ContactCard(name="Jane Doe", email=email, phone=phone))
    assert lead_id
    return lead_id


def close(store: LifecycleStore, publisher: EventPublisher, lead_id: str, how: LeadStatus, by: str) -> None:
    """Close a contacted lead: reject it, or qualify and convert it."""
    if how == S.CONVERTED:
        change_status(store, publisher, lead_id, S.QUALIFIED, by=by)
        change_status(store, publisher, lead_id, S.CONVERTED, by=by)
    else:
        change_status(store, publisher, lead_id, S.REJECTED, by=by, reason="no_need")


@pytest.mark.parametrize("how", [S.REJECTED, S.CONVERTED])
def test_closing_a_lead_frees_its_place_in_the_managers_load(stack, bus, how):
    # GIVEN a lead counted in its manager's load
    lead_id = post_hot_lead(stack)
    stores = stores_of(stack)
    manager_id = stores.lifecycle.get_lead(lead_id).manager_id
    assert open_leads(stack, manager_id) == 1

    # WHEN it is contacted and qualified, it still counts; once closed it does not
    change_status(stores.lifecycle, bus.publisher, lead_id, S.CONTACTED, by=manager_id)
    assert open_leads(stack, manager_id) == 1
    close(stores.lifecycle, bus.publisher, lead_id, how, manager_id)

    # THEN the manager's count went down with the change, which is in the history and on the bus
    assert stores.lifecycle.get_lead(lead_id).status == how
    assert open_leads(stack, manager_id) == 0
    assert kinds(stack, lead_id)[-1] == how.value
    assert [d["to_status"] for t, d in bus.received() if t == LEAD_STATUS_CHANGED][-1] == how.value


def test_a_manager_at_capacity_gets_leads_again_once_one_of_theirs_is_rejected(stack, bus):
    # GIVEN one active manager, who can hold one lead, and holds one
    stores = stores_of(stack)
    for manager in stores.roster.managers():
        stores.roster.put(manager.model_copy(update={"active": manager.manager_id == "m-olivia", "capacity": 1}))
    first = post_lead(stack, "first@acme-corp.com", "+14155550101")
    assert stores.lifecycle.get_lead(first).manager_id == "m-olivia" and open_leads(stack, "m-olivia") == 1
    # (so the next lead finds nobody with room)
    waiting = post_lead(stack, "second@acme-corp.com", "+14155550102")
    assert stores.lifecycle.get_lead(waiting).status == S.UNASSIGNED

    # WHEN she rejects her lead
    change_status(stores.lifecycle, bus.publisher, first, S.REJECTED, by="m-olivia", reason="no_budget")

    # THEN she has room again, and the next lead goes to her through scoring and assignment
    assert open_leads(stack, "m-olivia") == 0
    third = post_lead(stack, "third@acme-corp.com", "+14155550103")
    assert stores.lifecycle.get_lead(third).manager_id == "m-olivia" and stores.lifecycle.get_lead(third).status == S.ASSIGNED
    assert open_leads(stack, "m-olivia") == 1


def test_a_rejected_lead_that_comes_back_while_its_manager_is_away_is_not_taken_off_her_load_twice(stack, bus):
    # GIVEN Olivia holds two leads and rejects one of them (her load: 1), then goes on leave
    stores = stores_of(stack)
    for manager in stores.roster.managers():
        stores.roster.put(manager.model_copy(update={"active": manager.manager_id in ("m-olivia", "m-layla")}))
    rejected = post_lead(stack, "first@acme-corp.com", "+14155550101")
    kept = post_lead(stack, "second@acme-corp.com", "+14155550102")
    assert {stores.lifecycle.get_lead(rejected).manager_id, stores.lifecycle.get_lead(kept).manager_id} == {"m-olivia"}  # US: her territory
    change_status(stores.lifecycle, bus.publisher, rejected, S.REJECTED, by="m-olivia", reason="no_budget")
    assert open_leads(stack, "m-olivia") == 1
    olivia = stores.roster.get("m-olivia")
    stores.roster.put(olivia.model_copy(update={"on_leave_until": date.today() + timedelta(days=30)}))

    # WHEN the rejected person writes again (another post: the same one would be a double submit)
    body = {"name": "Jane Doe", "email": "first@acme-corp.com", "interest": "quote", "message": "Budget found."}
    response = stack.handle_http("POST", "/forms/demo/submissions", {"Content-Type": "application/json"},
                                 json.dumps(body).encode())
    assert response.status == 202, response.body
    stack.drain()
    again = stores.capture.find_lead_id(ContactCard(name="Jane Doe", email="first@acme-corp.com"))

    # THEN the lead goes to someone who is in, and Olivia still counts the lead she kept
    assert again == rejected and stores.lifecycle.get_lead(rejected).manager_id == "m-layla"
    assert open_leads(stack, "m-olivia") == 1 and open_leads(stack, "m-layla") == 1


def test_a_load_already_at_zero_stays_there_and_the_lead_is_still_rejected(stack, bus):
    lead_id = post_hot_lead(stack)
    stores = stores_of(stack)
    manager = stores.roster.get(stores.lifecycle.get_lead(lead_id).manager_id)
    stores.roster.put(manager.model_copy(update={"open_leads": 0}))  # e.g. counted before loads were released

    change_status(stores.lifecycle, bus.publisher, lead_id, S.REJECTED, by=manager.manager_id, reason="spam")

    assert stores.lifecycle.get_lead(lead_id).status == S.REJECTED
    assert open_leads(stack, manager.manager_id) == 0
    assert kinds(stack, lead_id) == ["rejected"]


class StaleManagerRead(LifecycleStore):
    """Reads a manager's load as it was before another change released it."""

    def __init__(self, store: LifecycleStore, snapshot: Manager) -> None:
        super().__init__(store.table)
        self.snapshot: Manager | None = snapshot

    def get_manager(self, manager_id: str) -> Manager | None:
        snapshot, self.snapshot = self.snapshot, None
        return snapshot or super().get_manager(manager_id)


def test_a_load_that_reached_zero_since_it_was_read_is_not_lowered_again(stack, bus):
    # GIVEN a manager whose count was read as 1, then dropped to 0 before the write
    lead_id = post_hot_lead(stack)
    stores = stores_of(stack)
    manager = stores.roster.get(stores.lifecycle.get_lead(lead_id).manager_id)
    stale = StaleManagerRead(stores.lifecycle, manager)
    stores.roster.put(manager.model_copy(update={"open_leads": 0}))

    # WHEN the lead is converted on that read
    change_status(stale, bus.publisher, lead_id, S.CONTACTED, by=manager.manager_id)
    stale.snapshot = manager
    change_status(stale, bus.publisher, lead_id, S.QUALIFIED, by=manager.manager_id)
    stale.snapshot = manager
    change_status(stale, bus.publisher, lead_id, S.CONVERTED, by=manager.manager_id)

    # THEN the write that would have gone below zero lost, and the second try converted
    # the lead once, without touching the count
    lead = stores.lifecycle.get_lead(lead_id)
    assert lead.status == S.CONVERTED and stores.lifecycle.get_contact(lead.contact_id).lead_id == lead_id
    assert open_leads(stack, manager.manager_id) == 0
    assert kinds(stack, lead_id) == ["contacted", "qualified", "converted"]
    assert [t for t, _ in bus.received()] == [LEAD_STATUS_CHANGED] * 3 + [LEAD_CONVERTED]


# -- rejecting with a farewell --------------------------------------------------------------


def test_a_rejection_can_say_goodbye(stack, bus):
    lead_id = post_hot_lead(stack)
    stores = stores_of(stack)
    manager_id = stores.lifecycle.get_lead(lead_id).manager_id

    event = change_status(stores.lifecycle, bus.publisher, lead_id, S.REJECTED, by=manager_id, reason="not_a_fit",
                          note="too small for us", farewell=True)

    # THEN the event asks notify for the farewell email, and the history says one was sent
    assert event.farewell is True
    [(detail_type, detail)] = bus.received()
    assert detail_type == LEAD_STATUS_CHANGED and detail["farewell"] is True and detail["reason"] == "not_a_fit"
    [activity] = history(stack, lead_id)
    assert activity.detail == {"from": "assigned", "by": manager_id, "reason": "not_a_fit",
                               "note": "too small for us", "farewell": "yes"}


@pytest.mark.parametrize("to_status", [S.CONTACTED, S.POSTPONED])
def test_a_farewell_only_goes_with_a_rejection(stack, bus, to_status):
    lead_id = post_hot_lead(stack)
    stores = stores_of(stack)
    follow_up = {"follow_up_on": (datetime.now(timezone.utc) + timedelta(days=7)).date()} \
        if to_status == S.POSTPONED else {}

    with pytest.raises(InvalidChange) as invalid:
        change_status(stores.lifecycle, bus.publisher, lead_id, to_status, by="m-1", farewell=True, **follow_up)

    assert invalid.value.code == "farewell_not_expected"
    assert stores.lifecycle.get_lead(lead_id).status == S.ASSIGNED and history(stack, lead_id) == []
    assert bus.received() == []


def test_a_farewell_needs_an_email_address(stack, bus):
    # GIVEN a lead who left only a phone number
    lead_id = post_lead(stack, None, "+14155550199")
    stores = stores_of(stack)
    assert stores.lifecycle.get_lead(lead_id).status == S.ASSIGNED

    with pytest.raises(InvalidChange) as invalid:
        change_status(stores.lifecycle, bus.publisher, lead_id, S.REJECTED, by="m-1", reason="no_need", farewell=True)

    assert invalid.value.code == "farewell_needs_email"
    assert stores.lifecycle.get_lead(lead_id).status == S.ASSIGNED and bus.received() == []
    # (rejecting without the farewell works)
    assert change_status(stores.lifecycle, bus.publisher, lead_id, S.REJECTED, by="m-1", reason="no_need").farewell is False


# -- postponed: back to its manager on the follow-up day -------------------------------------


def schedule_details(stack: LocalStack) -> dict[str, dict[str, Any]]:
    return stack.schedules()


def at_of(schedule: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(schedule["ScheduleExpression"][3:-1]).replace(tzinfo=timezone.utc)


def on(day: date, hour: int, minute: int) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=timezone.utc)


def lead_item(stack: LocalStack, lead_id: str) -> dict[str, Any]:
    return stack.client("dynamodb").get_item(TableName=stack.table_name(),
                                             Key={"PK": {"S": f"LEAD#{lead_id}"}, "SK": {"S": "LEAD"}})["Item"]


def test_a_postponed_lead_comes_back_to_its_manager_on_its_follow_up_day(stack, bus, sent_emails):
    # GIVEN an assigned lead whose speed-to-lead reminder waits
    lead_id = post_hot_lead(stack)
    stores = stores_of(stack)
    manager = stores.roster.get(stores.lifecycle.get_lead(lead_id).manager_id)
    reminders = reminders_of(stack)
    follow_up_on = (datetime.now(timezone.utc) + timedelta(days=3)).date()

    # WHEN its manager postpones it
    change_status(stores.lifecycle, bus.publisher, lead_id, S.POSTPONED, by=manager.manager_id, follow_up_on=follow_up_on,
                  note="after their board meeting", reminders=reminders)

    # THEN the speed-to-lead clock stopped and one schedule brings the lead back that
    # day at 08:00 UTC, through the remind function
    assert running_clock(stack, lead_id) is None
    [(name, schedule)] = schedule_details(stack).items()
    assert name == f"lead-{lead_id}-back-{follow_up_on.strftime('%Y%m%d')}"
    assert at_of(schedule) == on(follow_up_on, 8, 0) and schedule["ActionAfterCompletion"] == "DELETE"
    assert schedule["Target"]["Arn"] == reminders.target.function_arn
    follow_up_input = json.loads(schedule["Target"]["Input"])
    assert follow_up_input == {"schema_version": "1", "kind": "follow_up", "lead_id": lead_id,
                               "manager_id": manager.manager_id, "follow_up_on": follow_up_on.isoformat()}
    # AND the lead still counts in its manager's load
    assert open_leads(stack, manager.manager_id) == 1
    postponed_at = stores.lifecycle.get_lead(lead_id).status_changed_at
    assert [d["to_status"] for _, d in bus.received()] == ["postponed"]
    emails_before = len(sent_emails())

    # WHEN the day has not come, nothing fires; when it has, the schedule does
    assert stack.pump_schedules(now=on(follow_up_on, 7, 59)) == 0
    assert stack.pump_schedules(now=on(follow_up_on, 8, 1)) == 1

    # THEN the lead is its manager's again, as a fresh assignment at the top of their list
    lead = stores.lifecycle.get_lead(lead_id)
    assert lead.status == S.ASSIGNED and lead.manager_id == manager.manager_id
    assert lead.follow_up_on is None and lead.return_pending is None
    assert lead.assigned_at == lead.status_changed_at and lead.assigned_at > postponed_at
    item = lead_item(stack, lead_id)
    assert item["GSI1PK"]["S"] == f"MANAGER#{manager.manager_id}" and item["GSI1SK"]["S"].startswith("assigned#")
    assert open_leads(stack, manager.manager_id) == 1
    # AND the history and the bus say the system brought it back
    returned = history(stack, lead_id)[-1]
    assert returned.kind == "assigned"
    assert returned.detail == {"from": "postponed", "by": "system", "follow_up_on": follow_up_on.isoformat()}
    [(detail_type, detail)] = bus.received()
    assert detail_type == LEAD_STATUS_CHANGED
    assert (detail["from_status"], detail["to_status"], detail["by"]) == ("postponed", "assigned", "system")
    # AND a new speed-to-lead clock runs, at the SLA of a hot lead from now
    clock = running_clock(stack, lead_id)
    assert (clock["kind"], clock["attempt"], clock["manager_id"], clock["returned_on"]) == (
        "reminder", 1, manager.manager_id, follow_up_on.isoformat())
    due_at = datetime.fromisoformat(clock["due_at"].replace("Z", "+00:00"))
    assert timedelta(minutes=14) < due_at - lead.assigned_at <= timedelta(minutes=16)
    # AND the manager is emailed to call back
    [email] = sent_emails()[emails_before:]
    assert email.destinations["ToAddresses"] == [manager.email] and "Jane Doe" in email.subject

    # WHEN Scheduler delivers the same follow-up again
    stack.invoke("RemindFunction", follow_up_input)

    # THEN nothing more happens
    assert len(sent_emails()) == emails_before + 1 and bus.received() == []
    assert schedule_details(stack) == {} and running_clock(stack, lead_id) == clock
    assert kinds(stack, lead_id) == ["postponed", "assigned"]


def test_picking_a_postponed_lead_up_early_cancels_its_follow_up(stack, bus):
    lead_id = post_hot_lead(stack)
    stores = stores_of(stack)
    manager_id = stores.lifecycle.get_lead(lead_id).manager_id
    reminders = reminders_of(stack)
    follow_up_on = (datetime.now(timezone.utc) + timedelta(days=10)).date()
    change_status(stores.lifecycle, bus.publisher, lead_id, S.POSTPONED, by=manager_id, follow_up_on=follow_up_on,
                  reminders=reminders)
    assert len(schedule_details(stack)) == 1

    # WHEN the manager takes it back before its day
    event = change_status(stores.lifecycle, bus.publisher, lead_id, S.ASSIGNED, by=manager_id, reminders=reminders)

    # THEN it is theirs again now, no follow-up waits and the day brings nothing
    lead = stores.lifecycle.get_lead(lead_id)
    assert lead.status == S.ASSIGNED and lead.manager_id == manager_id and lead.follow_up_on is None
    assert lead.assigned_at == event.at
    assert schedule_details(stack) == {}
    assert stack.pump_schedules(now=on(follow_up_on, 8, 1)) == 0
    assert history(stack, lead_id)[-1].detail == {"from": "postponed", "by": manager_id}
    assert [(d["from_status"], d["to_status"], d["by"]) for _, d in bus.received()] == [
        ("assigned", "postponed", manager_id), ("postponed", "assigned", manager_id)]
    assert open_leads(stack, manager_id) == 1


def test_a_follow_up_for_a_lead_that_moved_on_does_nothing(stack, bus, sent_emails):
    # GIVEN a lead picked up early and rejected, whose follow-up fires anyway (a cancel that failed)
    lead_id = post_hot_lead(stack)
    stores = stores_of(stack)
    manager_id = stores.lifecycle.get_lead(lead_id).manager_id
    follow_up_on = (datetime.now(timezone.utc) + timedelta(days=2)).date()
    change_status(stores.lifecycle, bus.publisher, lead_id, S.POSTPONED, by=manager_id, follow_up_on=follow_up_on)
    change_status(stores.lifecycle, bus.publisher, lead_id, S.ASSIGNED, by=manager_id)
    change_status(stores.lifecycle, bus.publisher, lead_id, S.REJECTED, by=manager_id, reason="no_response")
    bus.received()
    emails = len(sent_emails())

    result = stack.invoke("RemindFunction", {"schema_version": "1", "kind": "follow_up", "lead_id": lead_id,
                                             "manager_id": manager_id, "follow_up_on": follow_up_on.isoformat()})

    assert result == {"outcome": "not_due"}
    assert stores.lifecycle.get_lead(lead_id).status == S.REJECTED
    assert kinds(stack, lead_id) == ["postponed", "assigned", "rejected"]
    assert bus.received() == [] and len(sent_emails()) == emails


class FailingOnce(EventPublisher):
    """The bus refuses the first event (an outage), then works."""

    def __init__(self, publisher: EventPublisher) -> None:
        super().__init__(publisher.bus_name, publisher.client)
        self.failed = False

    def publish_all(self, events: list[tuple[str, Any]]) -> None:
        if not self.failed:
            self.failed = True
            raise PublishFailed("bus unavailable")
        super().publish_all(events)


def test_a_return_that_failed_before_it_was_announced_is_finished_by_the_retry(stack, bus, sent_emails):
    # GIVEN a postponed lead whose day has come, and a bus that fails once
    lead_id = post_hot_lead(stack)
    stores = stores_of(stack)
    manager = stores.roster.get(stores.lifecycle.get_lead(lead_id).manager_id)
    reminders = reminders_of(stack)
    follow_up_on = (datetime.now(timezone.utc) + timedelta(days=1)).date()
    change_status(stores.lifecycle, bus.publisher, lead_id, S.POSTPONED, by=manager.manager_id, follow_up_on=follow_up_on,
                  reminders=reminders)
    bus.received()
    emails = len(sent_emails())
    due = FollowUpDue(lead_id=lead_id, manager_id=manager.manager_id, follow_up_on=follow_up_on)
    mailer = Mailer(stack.parameters["SenderEmail"], stack.resolve({"Ref": "MailConfigurationSet"}), stack.client("sesv2"))
    publisher = FailingOnce(bus.publisher)

    # WHEN the return is written but its event cannot be published
    with pytest.raises(PublishFailed):
        bring_back(due, stores.lifecycle, mailer, reminders, publisher, ReminderPolicy())
    lead = stores.lifecycle.get_lead(lead_id)
    assert lead.status == S.ASSIGNED and lead.return_pending == follow_up_on
    assert len(sent_emails()) == emails

    # THEN the retry (Lambda's) finishes it: the event, the email, one clock
    assert bring_back(due, stores.lifecycle, mailer, reminders, publisher, ReminderPolicy()) == "resumed"
    [(_, detail)] = bus.received()
    assert (detail["from_status"], detail["to_status"]) == ("postponed", "assigned")
    assert detail["at"] == lead.assigned_at.isoformat().replace("+00:00", "Z")
    assert [m.destinations["ToAddresses"] for m in sent_emails()[emails:]] == [[manager.email]]
    clock = running_clock(stack, lead_id)
    assert (clock["attempt"], clock["returned_on"]) == (1, follow_up_on.isoformat())
    assert stores.lifecycle.get_lead(lead_id).return_pending is None
    # AND once done, the same follow-up changes nothing
    assert bring_back(due, stores.lifecycle, mailer, reminders, publisher, ReminderPolicy()) == "not_due"
    assert bus.received() == [] and len(sent_emails()) == emails + 1
    assert kinds(stack, lead_id) == ["postponed", "assigned"]
