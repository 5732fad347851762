"""The background pumps' cheap polls: a pump skips a call whose answer is already known
to be empty (moto runs in this process), and still delivers everything as before."""

import json
from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID

from leadflow_local import moto_patches
from leadflow_local.aws import AwsClients, queue_may_have_messages
from leadflow_local.event_rules import EventRulesPump, RuleDelivery
from leadflow_local.functions import AsyncInvocation
from leadflow_local.scheduler import SchedulePump

REGION = "us-east-1"
FUNCTION_ARN = f"arn:aws:lambda:{REGION}:{DEFAULT_ACCOUNT_ID}:function:remind"


@pytest.fixture(autouse=True)
def aws() -> Iterator[None]:
    moto_patches.install()
    with mock_aws():
        yield


def calls_of(client: Any) -> Counter[str]:
    calls: Counter[str] = Counter()
    client.meta.events.register("before-call.*.*", lambda model, **_: calls.update([model.name]))
    return calls


def test_a_queue_is_known_empty_only_when_moto_holds_no_message_in_it():
    sqs = AwsClients(REGION)("sqs")
    url = sqs.create_queue(QueueName="target")["QueueUrl"]
    assert not queue_may_have_messages(url, REGION)
    sqs.send_message(QueueUrl=url, MessageBody="{}")
    assert queue_may_have_messages(url, REGION)
    [message] = sqs.receive_message(QueueUrl=url)["Messages"]
    assert queue_may_have_messages(url, REGION)  # in flight: it may come back
    sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    assert not queue_may_have_messages(url, REGION)
    # Not a queue moto holds here: it cannot be told, so the pump receives.
    assert queue_may_have_messages(f"https://sqs.{REGION}.amazonaws.com/{DEFAULT_ACCOUNT_ID}/nowhere", REGION)
    assert queue_may_have_messages("http://localhost:4566/000000000000/elsewhere", REGION)


def test_the_event_pump_receives_only_from_queues_holding_messages_and_delivers_them():
    clients = AwsClients(REGION)
    sqs = clients("sqs")
    urls = [sqs.create_queue(QueueName=f"rule-{n}")["QueueUrl"] for n in range(3)]
    delivered: list[Any] = []
    pump = EventRulesPump([RuleDelivery("Fn", f"rule-{n}", url, 1, None) for n, url in enumerate(urls)], clients,
                          lambda function_id, event: delivered.append(event), [])
    calls = calls_of(sqs)

    assert pump.pump() == 0
    assert calls["ReceiveMessage"] == 0

    sqs.send_message(QueueUrl=urls[1], MessageBody=json.dumps({"id": "e1"}))
    assert pump.pump() == 1
    assert calls["ReceiveMessage"] == 1 and delivered == [{"id": "e1"}]


def schedule(name: str, due: datetime) -> None:
    AwsClients(REGION)("scheduler").create_schedule(
        Name=name, ScheduleExpression=f"at({due.strftime('%Y-%m-%dT%H:%M:%S')})", FlexibleTimeWindow={"Mode": "OFF"},
        ActionAfterCompletion="DELETE",
        Target={"Arn": FUNCTION_ARN, "RoleArn": "arn:aws:iam::123456789012:role/r", "Input": json.dumps({"n": name})})


def test_the_schedule_poll_lists_again_only_when_moto_holds_other_schedules_or_one_is_due():
    clients = AwsClients(REGION)
    fired: list[Any] = []
    pump = SchedulePump({FUNCTION_ARN: "RemindFunction"}, lambda _: AsyncInvocation(1, None), clients,
                        lambda function_id, event: fired.append(event), [])
    calls = calls_of(clients("scheduler"))
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    schedule("later", now + timedelta(hours=1))

    # A first poll lists; the next ones, with nothing new and nothing due, do not.
    assert pump.poll() == 0 and calls["ListSchedules"] == 1
    assert pump.poll() == 0 and pump.poll() == 0 and calls["ListSchedules"] == 1

    # A new schedule, due now: listed and fired at the next poll.
    schedule("now", now - timedelta(seconds=1))
    assert pump.poll() == 1 and calls["ListSchedules"] == 2 and fired == [{"n": "now"}]

    # After a firing it lists again; then not, until a schedule is changed.
    assert pump.poll() == 0 and calls["ListSchedules"] == 3
    assert pump.poll() == 0 and calls["ListSchedules"] == 3
    scheduler = clients("scheduler")
    later = scheduler.get_schedule(Name="later")
    scheduler.update_schedule(Name="later", ScheduleExpression=later["ScheduleExpression"],
                              FlexibleTimeWindow={"Mode": "OFF"}, Target=later["Target"])
    assert pump.poll() == 0 and calls["ListSchedules"] == 4
    assert pump.poll() == 0 and calls["ListSchedules"] == 4
    # An explicit pump always lists.
    assert pump.pump() == 0 and calls["ListSchedules"] == 5

    # Put back from elsewhere (a test restoring the stack): listed again.
    pump.seen = dict(pump.seen)
    assert pump.poll() == 0 and calls["ListSchedules"] == 6

    # When the pending one comes due, the poll lists and fires it.
    assert pump.pump(now=datetime.now(timezone.utc) + timedelta(hours=2)) == 1
    assert fired == [{"n": "now"}, {"n": "later"}]


def test_the_background_poll_runs_a_recurring_schedule_when_its_minute_has_come(monkeypatch):
    from leadflow_local import scheduler as scheduler_module
    from leadflow_local.scheduler import create_recurring_schedule

    clients = AwsClients(REGION)
    runs: list[dict[str, Any]] = []
    pump = SchedulePump({FUNCTION_ARN: "RemindFunction"}, lambda _: AsyncInvocation(1, None), clients,
                        lambda function_id, event: runs.append(event) or {"swept": 0}, [])
    create_recurring_schedule(clients("scheduler"), FUNCTION_ARN, {
        "Name": "stack-sweep", "ScheduleExpression": "rate(1 minute)",
        "Input": json.dumps({"kind": "sweep", "due_by": "<aws.scheduler.scheduled-time>"})})
    calls = calls_of(clients("scheduler"))

    # Within its first minute the poll lists once, then waits without listing
    assert pump.poll() == 0 and pump.poll() == 0 and runs == [] and calls["ListSchedules"] == 1

    # WHEN its minute has come (the clock moved on two minutes)
    class Later(datetime):
        @classmethod
        def now(cls, tz: Any = None) -> datetime:
            return datetime.now(tz) + timedelta(minutes=2)

    monkeypatch.setattr(scheduler_module, "datetime", Later)
    pump.poll()

    # THEN it listed again and ran it once, with Scheduler's time in its input
    assert calls["ListSchedules"] == 2 and len(runs) == 1
    assert runs[0]["kind"] == "sweep" and runs[0]["due_by"].endswith("Z") and "<aws" not in runs[0]["due_by"]
    # AND not again within the next minute
    pump.poll()
    assert len(runs) == 1
