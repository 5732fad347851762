"""Speed-to-lead: a clock on the lead card swept once a minute, a reminder at the SLA,
escalation and reassignment on a second miss, stopped by marking the lead contacted; the
local stack fires the sweep and due schedules itself."""

import html
import json
from collections import Counter
from collections.abc import Callable
from datetime import datetime, time, timedelta, timezone
from typing import Any

import pytest
from moto.core import DEFAULT_ACCOUNT_ID
from moto.ses.models import ses_backends

from leadflow.lifecycle.clocks import MAX_FAILURES, ReminderClocks
from leadflow.lifecycle.follow_up import mark_contacted
from leadflow.lifecycle.schedules import ReminderDue, Reminders, ReminderTarget
from leadflow.lifecycle.service import change_status
from leadflow.notification.catalog import Words
from leadflow.shared.bus import EventPublisher
from leadflow.shared.models import LeadStatus
from leadflow.storage.table import Table
from leadflow_local.stack import LocalStack
from support import load_event, post_hot_lead, running_clock, stores_of

ADMINS = "admins@example.com"


def deploy(deploy_stack: Callable[..., LocalStack], region: str = "us-west-2", **parameters: str) -> LocalStack:
    """The seeded stack with an admin address (deployed once, put back before each test).
    These tests expect the default stack's names (leadflow-local-...): each parameter
    set keeps them in a region of its own, beside the default stack in us-east-1."""
    return deploy_stack(parameters={"AdminEmail": ADMINS, **parameters}, stack_name="leadflow-local", region=region)


@pytest.fixture
def stack(deploy_stack: Callable[..., LocalStack]) -> LocalStack:
    return deploy(deploy_stack)


def sent(stack: LocalStack) -> list[Any]:
    return list(ses_backends[DEFAULT_ACCOUNT_ID][stack.region].sent_messages)


def to(message: Any) -> str:
    return message.destinations["ToAddresses"][0]


def schedules(stack: LocalStack) -> dict[str, dict[str, Any]]:
    return stack.schedules()



def reminders_of(stack: LocalStack) -> Reminders:
    """The reminders as the remind function has them (its schedules, the clocks)."""
    arn = next(a for a, lid in stack.function_arns.items() if lid == "RemindFunction")
    table = Table(stack.table_name(), stack.client("dynamodb"))
    return Reminders(ReminderTarget(stack.schedule_group(), arn, "arn:aws:iam::123456789012:role/r"),
                     ReminderClocks(table), stack.client("scheduler"))


def later(minutes: float) -> datetime:
    return datetime.now(timezone.utc) + timedelta(minutes=minutes)


def test_an_assignment_starts_the_speed_to_lead_clock_at_the_hot_sla_in_its_own_write(stack):
    # WHEN a hot lead is assigned and its manager emailed
    lead_id = post_hot_lead(stack)

    # THEN its card waits in the clocks' index, due at the SLA of a hot lead (15 minutes
    # by default), for its manager's first reminder; no schedule was made for it
    clock = running_clock(stack, lead_id)
    lead = stores_of(stack).lifecycle.get_lead(lead_id)
    due = datetime.fromisoformat(clock["due_at"].replace("Z", "+00:00"))
    assert timedelta(minutes=14) < due - lead.assigned_at <= timedelta(minutes=16)
    assert (clock["attempt"], clock["manager_id"], clock["temperature"]) == (1, lead.manager_id, "hot")
    assert schedules(stack) == {}
    # AND nothing is due yet: the sweep a minute from now finds nothing
    assert stack.pump_schedules(now=later(1)) == 0 and len(sent(stack)) == 1


def test_the_sweep_runs_every_minute_from_the_template_and_parks_what_it_cannot_deliver(stack):
    sweep = stack.client("scheduler").get_schedule(Name=f"{stack.stack_name}-sweep")
    assert sweep["ScheduleExpression"] == "rate(1 minute)"
    assert sweep["Target"]["Arn"].endswith(":function:leadflow-local-RemindFunction")
    assert sweep["Target"]["DeadLetterConfig"]["Arn"].endswith(":leadflow-local-RemindDeadLetterQueue")
    assert json.loads(sweep["Target"]["Input"]) == {"kind": "sweep", "due_by": "<aws.scheduler.scheduled-time>"}


def test_a_clock_never_goes_back_to_an_attempt_it_passed(stack):
    lead_id = post_hot_lead(stack)
    lead = stores_of(stack).lifecycle.get_lead(lead_id)
    clock = running_clock(stack, lead_id)
    due = ReminderDue.model_validate(clock)
    reminders = reminders_of(stack)
    # A redelivered start of the same clock changes nothing
    assert reminders.schedule(due, later(60)) is False and running_clock(stack, lead_id) == clock
    # Once at attempt 2, a late start of attempt 1 is refused
    assert reminders.schedule(due.model_copy(update={"attempt": 2}), later(30)) is True
    assert reminders.schedule(due, later(15)) is False and running_clock(stack, lead_id)["attempt"] == 2
    # And another manager's clock is not started on a lead that is not theirs
    other = due.model_copy(update={"manager_id": "m-somebody-else"})
    assert reminders.schedule(other, later(15)) is False and lead.manager_id != "m-somebody-else"


def test_an_uncontacted_lead_reminds_its_manager_then_escalates_and_is_reassigned(stack):
    # GIVEN a hot lead assigned to a tier-1 manager, who does not call
    lead_id = post_hot_lead(stack)
    stores = stores_of(stack)
    first = stores.lifecycle.get_lead(lead_id).manager_id
    first_email = stores.roster.get(first).email
    assert [to(m) for m in sent(stack)] == [first_email]

    # WHEN the SLA passes
    assert stack.pump_schedules(now=later(16)) == 1
    stack.drain()

    # THEN the manager is reminded, in their language, and the clock moved to the second attempt
    reminder = sent(stack)[-1]
    assert to(reminder) == first_email and "Reminder: call Jane Doe now" in reminder.subject
    assert 'href="tel:+14155550134"' in reminder.body
    # with the same signed links as the first email (contacted, not interested, call later)
    assert reminder.body.count(f"{stack.public_url}/actions/") >= 3
    assert running_clock(stack, lead_id)["attempt"] == 2

    # WHEN the SLA passes again
    assert stack.pump_schedules(now=later(40)) == 1
    stack.drain()

    # THEN the admins are told, the lead went to the next eligible manager, who got the
    # full email, and both managers' loads moved
    lead = stores.lifecycle.get_lead(lead_id)
    assert lead.manager_id != first and lead.reassigned_from == first
    second = stores.roster.get(lead.manager_id)
    recipients = [to(m) for m in sent(stack)]
    assert recipients[2:] == [ADMINS, second.email]
    assert "Not contacted" in sent(stack)[2].subject and second.name in sent(stack)[2].body
    words = Words(second.languages[0])
    assert html.escape(words.intro_reassigned.format(temperature=words.hot, manager=second.name)) in sent(stack)[3].body
    assert stores.roster.get(first).open_leads == 0 and second.open_leads == 1
    assert [a.kind for a in stores.history(lead_id)] == ["received", "assigned", "reassigned"]
    # AND the new manager's own SLA clock runs
    clock = running_clock(stack, lead_id)
    assert (clock["manager_id"], clock["attempt"]) == (second.manager_id, 1)
    assert stack.failures == []


def test_without_reassignment_the_second_miss_only_escalates(deploy_stack):
    stack = deploy(deploy_stack, region="us-west-1", ReassignOnSecondMiss="false")
    lead_id = post_hot_lead(stack)
    first = stores_of(stack).lifecycle.get_lead(lead_id).manager_id

    stack.pump_schedules(now=later(16))
    stack.pump_schedules(now=later(40))
    stack.drain()

    assert stores_of(stack).lifecycle.get_lead(lead_id).manager_id == first
    assert to(sent(stack)[-1]) == ADMINS and "please step in" in sent(stack)[-1].body
    assert running_clock(stack, lead_id) is None


def test_marking_the_lead_contacted_cancels_its_reminder(stack):
    lead_id = post_hot_lead(stack)
    reminders = reminders_of(stack)

    assert mark_contacted(lead_id, stores_of(stack).lifecycle, reminders, by="m-olivia", note="called, demo booked") is True

    lead = stores_of(stack).lifecycle.get_lead(lead_id)
    assert lead.status == "contacted" and lead.contacted_at is not None
    *arrival, activity = stores_of(stack).history(lead_id)
    assert [a.kind for a in arrival] == ["received", "assigned"] and activity.kind == "contacted" and activity.detail == {"by": "m-olivia", "note": "called, demo booked"}
    assert running_clock(stack, lead_id) is None
    assert stack.pump_schedules(now=later(60 * 24)) == 0
    assert len(sent(stack)) == 1  # the assignment email only
    # Marking it again changes nothing
    assert mark_contacted(lead_id, stores_of(stack).lifecycle, reminders) is False


def test_a_clock_left_running_after_contact_reminds_nobody_and_stops(stack, table):
    lead_id = post_hot_lead(stack)
    # A contact written by something that left the clock in the index (an older version)
    table.update_item(Key={"PK": f"LEAD#{lead_id}", "SK": "LEAD"}, UpdateExpression="SET #s = :c",
                      ExpressionAttributeNames={"#s": "status"}, ExpressionAttributeValues={":c": "contacted"})
    assert running_clock(stack, lead_id)

    assert stack.pump_schedules(now=later(16)) == 1
    stack.drain()

    assert len(sent(stack)) == 1 and running_clock(stack, lead_id) is None


def test_a_reminder_that_keeps_failing_is_tried_each_sweep_then_parked_in_the_dead_letter_queue(stack, monkeypatch):
    # GIVEN a lead whose reminder cannot be sent (SES refuses every send from now on)
    lead_id = post_hot_lead(stack)
    remind = stack.module("RemindFunction")
    monkeypatch.setattr(remind.mailer, "send", lambda email: (_ for _ in ()).throw(RuntimeError("SES down")))

    # WHEN one sweep after another finds it due
    for minute in range(MAX_FAILURES - 1):
        assert stack.pump_schedules(now=later(16 + minute)) == 1
        # THEN it stays due, for the next sweep to try again, and nothing is parked yet
        assert running_clock(stack, lead_id)["attempt"] == 1 and remind_dead_letters(stack) == []
    stack.pump_schedules(now=later(16 + MAX_FAILURES))

    # THEN after the last try it leaves the index and waits in the dead-letter queue (alarmed)
    assert running_clock(stack, lead_id) is None
    [parked] = remind_dead_letters(stack)
    assert (parked["lead_id"], parked["attempt"]) == (lead_id, 1) and "email" not in json.dumps(parked)
    # AND redriven once SES works again, it reminds the manager
    monkeypatch.undo()
    assert stack.invoke("RemindFunction", parked)["outcome"] == "reminded"
    assert "Reminder: call Jane Doe now" in sent(stack)[-1].subject


def remind_dead_letters(stack: LocalStack) -> list[dict[str, Any]]:
    sqs = stack.client("sqs")
    url = sqs.get_queue_url(QueueName=f"{stack.stack_name}-RemindDeadLetterQueue")["QueueUrl"]
    return [json.loads(m["Body"]) for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])]


def test_reminders_are_idempotent_under_redelivery(stack):
    lead_id = post_hot_lead(stack)
    due = running_clock(stack, lead_id)
    due.pop("due_at")

    stack.invoke("RemindFunction", due)
    stack.invoke("RemindFunction", due)

    assert len(sent(stack)) == 2  # the assignment, then one reminder
    assert running_clock(stack, lead_id)["attempt"] == 2


# -- follow-ups: a postponed lead's day has come --------------------------------------------


def test_remind_takes_both_kinds_of_schedule_input(stack):
    # The sample inputs (for `sam local invoke -e`): a follow-up, and a speed-to-lead
    # reminder as schedules made before `kind` existed wrote it; both for unknown leads.
    follow_up = load_event("remind_follow_up")
    reminder = load_event("remind-first-miss")
    assert follow_up["kind"] == "follow_up" and "kind" not in reminder

    assert stack.invoke("RemindFunction", follow_up) == {"outcome": "not_due"}
    assert stack.invoke("RemindFunction", reminder) == {"outcome": "not_due"}
    assert sent(stack) == [] and schedules(stack) == {}


def test_a_lead_back_from_a_postponement_gets_a_new_speed_to_lead_clock(stack):
    # GIVEN a lead whose manager was reminded once, then called and postponed it
    lead_id = post_hot_lead(stack)
    stores = stores_of(stack)
    manager = stores.roster.get(stores.lifecycle.get_lead(lead_id).manager_id)
    assert stack.pump_schedules(now=later(16)) == 1
    stack.drain()
    assert "Reminder: call Jane Doe now" in sent(stack)[-1].subject
    reminders = reminders_of(stack)
    publisher = EventPublisher(f"{stack.stack_name}-leads", stack.client("events"))
    change_status(stores.lifecycle, publisher, lead_id, LeadStatus.CONTACTED, by=manager.manager_id, reminders=reminders)
    follow_up_on = (datetime.now(timezone.utc) + timedelta(days=2)).date()
    change_status(stores.lifecycle, publisher, lead_id, LeadStatus.POSTPONED, by=manager.manager_id,
                  follow_up_on=follow_up_on, reminders=reminders)
    assert list(schedules(stack)) == [f"lead-{lead_id}-back-{follow_up_on.strftime('%Y%m%d')}"]

    # WHEN its day comes, it goes back to the manager, who is emailed
    assert stack.pump_schedules(now=datetime.combine(follow_up_on, time(8, 1), tzinfo=timezone.utc)) == 1
    assert [to(m) for m in sent(stack)] == [manager.email] * 3
    back = sent(stack)[-1]
    assert "Call back today: Jane Doe" in back.subject and f"{stack.public_url}/actions/" in back.body

    # THEN the new clock's first reminder is its own (not taken for the first clock's,
    # which already fired) and is followed by its second attempt
    assert stack.pump_schedules(now=later(16)) == 1
    stack.drain()
    assert [to(m) for m in sent(stack)] == [manager.email] * 4
    assert "Reminder: call Jane Doe now" in sent(stack)[-1].subject
    due = running_clock(stack, lead_id)
    assert (due["attempt"], due["returned_on"]) == (2, follow_up_on.isoformat())
    assert stack.failures == []


def create_waiting_schedules(stack: LocalStack, count: int) -> list[str]:
    """`count` one-time schedules for the remind function, due a minute apart from now,
    each with its number as its input."""
    scheduler = stack.client("scheduler")
    arn = next(a for a, lid in stack.function_arns.items() if lid == "RemindFunction")
    start = datetime.now(timezone.utc).replace(tzinfo=None, microsecond=0)
    names = [f"waiting-{n:03d}" for n in range(count)]
    for n, name in enumerate(names):
        scheduler.create_schedule(
            Name=name, GroupName=stack.schedule_group(),
            ScheduleExpression=f"at({(start + timedelta(minutes=n)).isoformat()})",
            FlexibleTimeWindow={"Mode": "OFF"}, ActionAfterCompletion="DELETE",
            Target={"Arn": arn, "RoleArn": "arn:aws:iam::123456789012:role/r", "Input": json.dumps({"n": n})})
    return names


def receive_schedules(stack: LocalStack) -> list[dict[str, Any]]:
    """What the one-time schedules deliver, instead of the remind function; the sweep
    finds nothing to do."""
    received: list[dict[str, Any]] = []
    stack.functions["RemindFunction"] = lambda event, context: (
        {"swept": 0} if event.get("kind") == "sweep" else received.append(event))
    return received


def test_every_due_schedule_fires_however_many_are_waiting(stack):
    # GIVEN more schedules than Scheduler lists on one page (50), oldest due first
    received = receive_schedules(stack)
    create_waiting_schedules(stack, 120)

    # WHEN all are due
    fired = stack.pump_schedules(now=later(180))

    # THEN each fired once and was deleted, the oldest included
    assert fired == 120
    assert sorted(event["n"] for event in received) == list(range(120))
    assert schedules(stack) == {}
    assert stack.pump_schedules(now=later(180)) == 0


def test_a_poll_reads_only_the_schedules_it_has_not_seen_as_they_are(stack):
    # GIVEN 60 schedules that are not due yet, read once by a first poll
    received = receive_schedules(stack)
    names = create_waiting_schedules(stack, 60)
    assert stack.pump_schedules(now=later(-10)) == 0
    calls: Counter[str] = Counter()
    stack.client("scheduler").meta.events.register(
        "before-call.scheduler.*", lambda model, **_: calls.update([model.name]))

    # WHEN the next poll runs with nothing changed
    assert stack.pump_schedules(now=later(-10)) == 0

    # THEN it lists them (two pages) and fetches none of them again
    assert calls == {"ListSchedules": 2}

    # WHEN one schedule is changed (another input), and all come due
    scheduler = stack.client("scheduler")
    changed = scheduler.get_schedule(Name=names[7], GroupName=stack.schedule_group())
    scheduler.update_schedule(Name=names[7], GroupName=stack.schedule_group(),
                              ScheduleExpression=changed["ScheduleExpression"], FlexibleTimeWindow={"Mode": "OFF"}, ActionAfterCompletion="DELETE",
                              Target={**changed["Target"], "Input": json.dumps({"n": "changed"})})
    assert stack.pump_schedules(now=later(180)) == 60

    # THEN the changed one was read again and fired with what it says now
    assert sorted(str(event["n"]) for event in received) == sorted([str(n) for n in range(60) if n != 7] + ["changed"])
