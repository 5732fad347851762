"""Moving stored leads (leadflow.routing.handover) on an in-memory store that keeps the
write's conditions as DynamoDB does: a hand-out refused or forced and recorded, a rerun
that says why what it leaves, a run cut by its time budget that goes on from its cursor,
offboarding to eligible managers or the queue; and a lead entered by hand going to the
manager it names (leadflow.routing.service)."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import Any

import pytest

from leadflow.routing import handover
from leadflow.routing.assignment import AssignmentPolicy, can_hold_leads
from leadflow.routing.queue_store import QueuedLead, QueuePage
from leadflow.routing.service import _requested_manager
from leadflow.routing.store import ManagerUnavailable
from leadflow.shared.models import Activity, Lead, LeadStatus, Manager, Score, Submission, Temperature
from leadflow.storage import keys
from leadflow.storage.transactions import LeadChanged

S = LeadStatus
NOW = datetime(2026, 3, 14, 12, 0, tzinfo=timezone.utc)
TODAY = NOW.date()


class FakeStore:
    """The queue store's contract in memory: GSI1 partitions by manager, status, then
    insertion order; a move conditional on where the lead is and on the new manager."""

    def __init__(self, managers: list[Manager]) -> None:
        self.managers = {m.manager_id: m for m in managers}
        self.leads: dict[str, Lead] = {}
        self.order: dict[str, int] = {}
        self.history: list[Activity] = []
        self.submissions: dict[str, Submission] = {}

    def add(self, lead: Lead, submission: Submission) -> None:
        self.leads[lead.lead_id] = lead
        self.order[lead.lead_id] = len(self.order)
        self.submissions[lead.lead_id] = submission

    def get_lead(self, lead_id: str) -> Lead | None:
        return self.leads.get(lead_id)

    def latest_submission(self, lead_id: str) -> Submission | None:
        return self.submissions.get(lead_id)

    def list_managers(self) -> list[Manager]:
        return list(self.managers.values())

    def get_manager(self, manager_id: str) -> Manager | None:
        return self.managers.get(manager_id)

    def deactivate_manager(self, manager_id: str) -> Manager | None:
        self.managers[manager_id] = self.managers[manager_id].model_copy(update={"active": False})
        return self.managers[manager_id]

    def queue_page(self, partition: str, status: LeadStatus, *, limit: int,
                   start_key: dict[str, str] | None = None) -> QueuePage:
        def place(lead: Lead) -> str:
            return keys.manager_queue(lead.manager_id) if lead.manager_id else keys.UNASSIGNED_QUEUE

        found = sorted((lead for lead in self.leads.values() if place(lead) == partition and lead.status == status),
                       key=lambda lead: self.order[lead.lead_id])
        queued = [QueuedLead(lead=lead, key={"PK": f"LEAD#{lead.lead_id}", "SK": "LEAD", "GSI1PK": partition,
                                             "GSI1SK": f"{status.value}#{self.order[lead.lead_id]:06d}"})
                  for lead in found]
        if start_key:
            queued = [q for q in queued if q.key["GSI1SK"] > start_key["GSI1SK"]]
        return QueuePage(leads=queued[:limit], last_key=queued[limit - 1].key if len(queued) > limit else None)

    def move_lead(self, lead: Lead, to_manager: Manager | None, activity: Activity, *,
                  release: Manager | None = None, within_capacity: bool = True, today: date | None = None) -> None:
        now = self.leads[lead.lead_id]
        if (now.status, now.manager_id) != (lead.status, lead.manager_id):
            raise LeadChanged(lead.lead_id)
        if to_manager is not None:
            current = self.managers[to_manager.manager_id]
            if not can_hold_leads(current, today or TODAY) or (within_capacity and
                                                               current.open_leads >= current.capacity):
                raise ManagerUnavailable(current.manager_id)
            self.managers[current.manager_id] = current.model_copy(update={"open_leads": current.open_leads + 1})
            status = S.ASSIGNED if lead.status in (S.UNASSIGNED, S.ASSIGNED) else lead.status
            self.leads[lead.lead_id] = now.model_copy(update={"manager_id": current.manager_id, "status": status})
        else:
            self.leads[lead.lead_id] = now.model_copy(update={"manager_id": None, "status": S.UNASSIGNED})
        if release is not None and release.open_leads > 0:
            left = self.managers[release.manager_id]
            self.managers[left.manager_id] = left.model_copy(update={"open_leads": left.open_leads - 1})
        self.history.append(activity)


class FakeBus:
    def __init__(self) -> None:
        self.events: list[tuple[str, Any]] = []

    def publish(self, detail_type: str, detail: Any) -> None:
        self.events.append((detail_type, detail))


def manager(manager_id: str, tier: int, **fields: Any) -> Manager:
    return Manager(manager_id=manager_id, name=manager_id, email=f"{manager_id}@sales.example", tier=tier, **fields)


def add_lead(store: FakeStore, make_submission, lead_id: str, *, temperature: Temperature = Temperature.HOT,
             status: LeadStatus = S.UNASSIGNED, manager_id: str | None = None, counted: bool = True) -> Lead:
    submission = make_submission(lead_id=lead_id, submission_id=f"sub-{lead_id}", country="US")
    score = Score(points=90, temperature=temperature, parts=[], rule_set_version="test", profile="b2b")
    lead = Lead(lead_id=lead_id, contact=submission.contact, source=submission.source, created_at=NOW,
                last_seen_at=NOW, score=score, status=status, manager_id=manager_id)
    store.add(lead, submission)
    if manager_id and counted:  # a closed lead left its manager's load when it closed
        holder = store.managers[manager_id]
        store.managers[manager_id] = holder.model_copy(update={"open_leads": holder.open_leads + 1})
    return lead


# -- handing a lead out ------------------------------------------------------------------

def test_a_full_manager_is_refused_unless_forced_and_the_force_is_recorded(make_submission):
    store, bus = FakeStore([manager("m-full", 1, capacity=1, open_leads=1)]), FakeBus()
    add_lead(store, make_submission, "l1")

    with pytest.raises(handover.ManagerFull):
        handover.hand_out(store, bus, "l1", "m-full", by="admin", now=NOW)
    assert store.leads["l1"].status == S.UNASSIGNED and store.history == [] and bus.events == []

    done = handover.hand_out(store, bus, "l1", "m-full", by="admin", force=True, now=NOW)

    assert (done.forced, done.open_leads, done.capacity) == (True, 2, 1)
    assert store.leads["l1"].manager_id == "m-full"
    [entry] = store.history
    assert (entry.kind, entry.detail["forced"], entry.detail["by"]) == ("assigned", "yes", "admin")
    [(detail_type, event)] = bus.events
    assert (detail_type, event.manager_id, event.submission_id) == ("Lead Assigned", "m-full", "sub-l1")


@pytest.mark.parametrize(("fields", "refusal"), [
    ({"active": False}, handover.ManagerCannotTake),
    ({"on_leave_until": TODAY}, handover.ManagerCannotTake),  # the day itself is away
])
def test_force_never_gives_a_lead_to_someone_inactive_or_away(make_submission, fields, refusal):
    store = FakeStore([manager("m-out", 1, **fields)])
    add_lead(store, make_submission, "l1")

    with pytest.raises(refusal) as refused:
        handover.hand_out(store, FakeBus(), "l1", "m-out", by="admin", force=True, now=NOW)

    assert refused.value.code == "manager_unavailable"


def test_only_a_lead_of_the_queue_is_handed_out(make_submission):
    store = FakeStore([manager("m-a", 1), manager("m-b", 1)])
    add_lead(store, make_submission, "l1", status=S.ASSIGNED, manager_id="m-a")

    with pytest.raises(handover.NotUnassigned):
        handover.hand_out(store, FakeBus(), "l1", "m-b", by="admin", now=NOW)
    with pytest.raises(handover.UnknownLead):
        handover.hand_out(store, FakeBus(), "nope", "m-b", by="admin", now=NOW)


# -- running assignment again -------------------------------------------------------------

@pytest.mark.parametrize(("managers", "reason"), [
    ([manager("beginner", 3)], "no_manager_in_tiers"),  # hot leads never go to tier 3
    ([manager("closer", 1, on_leave_until=TODAY + timedelta(days=3))], "managers_unavailable"),
    ([manager("closer", 1, capacity=0)], "managers_full"),
])
def test_rerun_leaves_what_nobody_can_take_and_says_why(make_submission, managers, reason):
    store, bus = FakeStore(managers), FakeBus()
    add_lead(store, make_submission, "l1")

    run = handover.rerun_queue(store, bus, None, by="admin", now=NOW)

    assert (run.checked, run.left, run.next_cursor) == (1, 1, None)
    assert run.leads[0].reason == reason and bus.events == [] and store.history == []


def test_rerun_spreads_leads_as_one_by_one_and_retries_a_manager_who_filled_up(make_submission):
    store, bus = FakeStore([manager("a", 1, capacity=5), manager("b", 1, capacity=5)]), FakeBus()
    for n in range(4):
        add_lead(store, make_submission, f"l{n}")
    # Filled up behind the run's back after it read the roster: the write refuses, another is chosen.
    original = store.move_lead

    def a_fills_up(lead, to_manager, activity, **kwargs):
        if lead.lead_id == "l0":
            store.managers["a"] = store.managers["a"].model_copy(update={"open_leads": 5})
        return original(lead, to_manager, activity, **kwargs)

    store.move_lead = a_fills_up

    run = handover.rerun_queue(store, bus, None, by="admin", now=NOW)

    assert [(m.lead_id, m.manager_id) for m in run.leads] == [("l0", "b"), ("l1", "b"), ("l2", "b"), ("l3", "b")]
    assert run.assigned == 4 and len(bus.events) == 4


def test_a_run_cut_by_its_time_budget_goes_on_from_its_cursor(make_submission):
    store, bus = FakeStore([manager("closer", 1, capacity=0)]), FakeBus()  # nobody has room: all stay
    for n in range(5):
        add_lead(store, make_submission, f"l{n}")
    ticks = iter(range(100))

    first = handover.rerun_queue(store, bus, None, by="admin", now=NOW, deadline=2, clock=lambda: next(ticks))
    second = handover.rerun_queue(store, bus, None, by="admin", now=NOW, cursor=first.next_cursor)

    assert [m.lead_id for m in first.leads] == ["l0", "l1", "l2"]  # the clock passed 2 before l3
    assert [m.lead_id for m in second.leads] == ["l3", "l4"]
    assert first.next_cursor and second.next_cursor is None


@pytest.mark.parametrize("cursor", ["garbage", "eyJzIjoiYXNzaWduZWQiLCJrIjpudWxsfQ",  # another status
                                    "eyJzIjoidW5hc3NpZ25lZCIsImsiOnsiUEsiOiJ4In19"])  # a key of no queue
def test_a_cursor_of_another_run_is_refused(cursor):
    with pytest.raises(handover.InvalidCursor):
        handover.rerun_queue(FakeStore([]), FakeBus(), None, by="admin", cursor=cursor, now=NOW)


# -- offboarding ---------------------------------------------------------------------------

def test_offboarding_moves_open_leads_keeping_their_status_and_queues_the_rest(make_submission):
    store, bus = FakeStore([manager("leaving", 1), manager("other", 1), manager("beginner", 3)]), FakeBus()
    add_lead(store, make_submission, "hot", status=S.QUALIFIED, manager_id="leaving")
    add_lead(store, make_submission, "cold", temperature=Temperature.COLD, status=S.CONTACTED, manager_id="leaving")
    add_lead(store, make_submission, "done", status=S.CONVERTED, manager_id="leaving", counted=False)
    policy = AssignmentPolicy(cold=[1, 2])  # a team whose cold leads go to closers; nobody else left

    class Rules:
        def get(self, profile: str) -> Any:
            return type("RuleSet", (), {"assignment": policy})()

    store.managers["other"] = store.managers["other"].model_copy(update={"capacity": 1})
    done = handover.offboard_manager(store, bus, Rules(), "leaving", by="admin", now=NOW)

    assert store.managers["leaving"].active is False
    assert [(m.lead_id, m.outcome, m.manager_id) for m in done.leads] == [
        ("cold", "assigned", "other"), ("hot", "queued", None)]  # contacted before qualified; then "other" is full
    assert (store.leads["cold"].status, store.leads["hot"].status) == (S.CONTACTED, S.UNASSIGNED)
    assert store.leads["done"].manager_id == "leaving"  # closed: left alone
    assert store.managers["leaving"].open_leads == 0
    assert [t for t, _ in bus.events] == ["Lead Assigned", "Lead Unassigned"]
    assert bus.events[1][1].released_manager_id == "leaving"
    assert {a.kind for a in store.history} == {"reassigned", "unassigned"}


# -- a lead entered by hand, in the score path ---------------------------------------------

def test_a_lead_entered_by_hand_goes_to_the_manager_it_names_if_they_can_take_it(make_submission):
    full = manager("own", 2, capacity=0)
    mine = make_submission(assign_to="own", assign_beyond_capacity=True)
    theirs = make_submission(assign_to="own")

    assert _requested_manager(mine, None, [full], set(), TODAY).manager.manager_id == "own"
    assert _requested_manager(theirs, None, [full], set(), TODAY) is None  # full: the rules choose
    assert _requested_manager(mine, None, [full], {"own"}, TODAY) is None  # the write found them unable
    assert _requested_manager(mine, "keeper", [full, manager("keeper", 1)], set(), TODAY) is None  # stays put
    assert _requested_manager(make_submission(), None, [full], set(), TODAY) is None  # a form's submission
