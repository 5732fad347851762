"""The score function's outbox: a stream batch's events in as few PutEvents calls as fit,
and the records an entry of which EventBridge refused, to be retried."""

from typing import Any

from pydantic import BaseModel

from leadflow.shared.bus import EventPublisher, Outbox


class Detail(BaseModel):
    lead_id: str
    padding: str = ""


class FakeEvents:
    """PutEvents that refuses the entries whose lead id is listed, or fails whole calls."""

    def __init__(self, refuse: set[str] = frozenset(), fail_calls: set[int] = frozenset()) -> None:
        self.calls: list[list[dict[str, Any]]] = []
        self.refuse, self.fail_calls = refuse, fail_calls

    def put_events(self, Entries: list[dict[str, Any]]) -> dict[str, Any]:  # noqa: N803 - boto3's name
        self.calls.append(Entries)
        if len(self.calls) in self.fail_calls:
            raise RuntimeError("throttled")
        results = [{"ErrorCode": "InternalFailure"} if Detail.model_validate_json(e["Detail"]).lead_id in self.refuse
                   else {"EventId": "x"} for e in Entries]
        return {"FailedEntryCount": sum(1 for r in results if "ErrorCode" in r), "Entries": results}


def outbox_with(events: FakeEvents, records: int, per_record: int = 2, padding: int = 0) -> Outbox:
    outbox = Outbox(EventPublisher("bus", client=events))
    for n in range(records):
        outbox.sink(f"seq-{n}").publish_all([("Lead Scored", Detail(lead_id=f"l{n}", padding="x" * padding))]
                                            * per_record)
    return outbox


def test_a_batch_of_records_is_put_ten_entries_a_call_in_order():
    events = FakeEvents()
    assert outbox_with(events, records=7).flush() == []
    assert [len(call) for call in events.calls] == [10, 4]
    details = [Detail.model_validate_json(e["Detail"]).lead_id for call in events.calls for e in call]
    assert details == [f"l{n}" for n in range(7) for _ in range(2)]


def test_large_events_take_more_calls_than_ten_entries_would():
    events = FakeEvents()
    assert outbox_with(events, records=3, per_record=1, padding=100_000).flush() == []
    assert [len(call) for call in events.calls] == [2, 1]


def test_a_refused_entry_or_a_failed_call_names_its_records_once():
    events = FakeEvents(refuse={"l1"}, fail_calls={2})
    # entries 0-9: records 0-4 (record 1 refused twice, named once); entries 10-13: records 5-6, call failed
    assert outbox_with(events, records=7).flush() == ["seq-1", "seq-5", "seq-6"]


def test_a_discarded_records_events_are_not_put():
    events = FakeEvents()
    outbox = outbox_with(events, records=3)
    outbox.discard("seq-1")
    assert outbox.flush() == []
    assert [Detail.model_validate_json(e["Detail"]).lead_id for e in events.calls[0]] == ["l0", "l0", "l2", "l2"]
    assert outbox.flush() == [] and len(events.calls) == 1  # nothing left for the next batch
