"""Leads already stored that need a manager, or another one: the unassigned queue (list
it, hand a lead to a chosen manager, run assignment again for all of it) and a manager
who leaves (offboarding). The admin API and the `leadflow` command are two doors to
these functions.

The same machinery as a new lead's assignment (leadflow.routing.service): the choice is
`assignment.choose_manager` under the rule set's assignment policy for the lead's
profile, with the lead's temperature, country and language; the write re-checks the
new manager's availability and room atomically (`roster.take_lead`), so a roster read
that went stale costs a retry, never an overbooked manager; `Lead Assigned` goes on the
bus (notify emails the new manager and starts their speed-to-lead clock) or `Lead
Unassigned` (the admins are alerted). Every move has its history entry, in the same
transaction.

Bounded: one call reads at most `limit` leads (oldest first) and stops starting new ones
after its time budget; its `next_cursor` says where the next call goes on. A lead left in
the queue stays there, so a cursor never loses one, and a run from the start (no
cursor) tries them all again."""

from __future__ import annotations

import base64
import binascii
import json
import logging
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Literal, Protocol

from pydantic import BaseModel, Field

from leadflow.reporting.listing import LeadIndex, LeadPage, LeadQuery, list_leads
from leadflow.routing.assignment import AssignmentPolicy, can_hold_leads, choose_manager
from leadflow.routing.facts import lead_country
from leadflow.routing.manager_admin import ManagerNotFound
from leadflow.routing.queue_store import QueuedLead, QueuePage
from leadflow.routing.store import MANAGERS_FULL, ManagerUnavailable
from leadflow.shared.bus import EventPublisher
from leadflow.shared.clock import utc_now
from leadflow.shared.events import LEAD_ASSIGNED, LEAD_UNASSIGNED, LeadAssigned, LeadUnassigned
from leadflow.shared.http import FieldError
from leadflow.shared.models import Activity, Lead, LeadStatus, Manager, Submission, Temperature
from leadflow.shared.refusal import Conflict, Invalid, NotFound
from leadflow.storage import keys
from leadflow.storage.transactions import LeadChanged

logger = logging.getLogger(__name__)

S = LeadStatus
# A manager's open leads, in the order they are moved: the ones waiting for a first call first.
OPEN_STATUSES: tuple[LeadStatus, ...] = (S.ASSIGNED, S.CONTACTED, S.QUALIFIED, S.POSTPONED)
QUEUE_STATUSES: tuple[LeadStatus, ...] = (S.UNASSIGNED,)
DEFAULT_BATCH = 50
MAX_BATCH = 200
# Seconds a call may spend before it stops starting new leads (the API answers within
# API Gateway's 29 s and the function's 15 s timeout, whatever the queue's length).
TIME_BUDGET_SECONDS = 8.0
MAX_ATTEMPTS = 4  # a manager who filled up or left between our read and our write: choose again
MAX_CURSOR_LENGTH = 2048

# Why nobody could take a lead (a lead left in the queue says which).
NO_MANAGER_IN_TIERS = "no_manager_in_tiers"  # no manager in the tiers the policy allows for its temperature
MANAGERS_UNAVAILABLE = "managers_unavailable"  # those are inactive or on leave


class RuleSets(Protocol):
    def get(self, profile: str) -> object: ...


class HandoverStore(Protocol):
    """What moving stored leads reads and writes (leadflow.routing.queue_store.QueueStore)."""

    def get_lead(self, lead_id: str) -> Lead | None: ...

    def latest_submission(self, lead_id: str) -> Submission | None: ...

    def list_managers(self) -> list[Manager]: ...

    def get_manager(self, manager_id: str) -> Manager | None: ...

    def deactivate_manager(self, manager_id: str) -> Manager | None: ...

    def queue_page(self, partition: str, status: LeadStatus, *, limit: int,
                   start_key: dict[str, str] | None = None) -> QueuePage: ...

    def move_lead(self, lead: Lead, to_manager: Manager | None, activity: Activity, *,
                  release: Manager | None = None, within_capacity: bool = True, today: date | None = None) -> None: ...


# -- refusals ------------------------------------------------------------------------------

class UnknownLead(NotFound):
    code = "lead_not_found"

    def __init__(self, lead_id: str) -> None:
        message = f"there is no lead {lead_id!r}"
        super().__init__(message, [FieldError(field="lead_id", code=self.code, message=message)])


class UnknownManager(ManagerNotFound):
    """A manager named in a request (`manager_id`) who is not on the roster: the field is named."""

    def __init__(self, manager_id: str) -> None:
        super().__init__(manager_id)
        self.errors = [FieldError(field="manager_id", code=self.code, message=str(self))]


class NotUnassigned(Conflict):
    code = "lead_not_unassigned"

    def __init__(self, lead_id: str, status: LeadStatus) -> None:
        super().__init__(f"lead {lead_id!r} is {status.value}, not in the unassigned queue")


class ManagerFull(Conflict):
    code = "manager_full"

    def __init__(self, manager: Manager) -> None:
        super().__init__(f"{manager.manager_id} has {manager.open_leads} open leads for a capacity of "
                         f"{manager.capacity}: choose another manager, or force it")


class ManagerCannotTake(Conflict):
    code = "manager_unavailable"

    def __init__(self, manager: Manager) -> None:
        why = "inactive" if not manager.active else f"on leave through {manager.on_leave_until}"
        super().__init__(f"{manager.manager_id} is {why}: they cannot be given leads")


class InvalidCursor(Invalid):
    code = "invalid_cursor"

    def __init__(self) -> None:
        super().__init__([FieldError(field="cursor", code=self.code,
                                     message="this cursor does not belong to this run: start again without it")])


# -- answers -------------------------------------------------------------------------------

class HandOut(BaseModel):
    """A lead handed to a manager by an admin."""

    lead_id: str
    manager_id: str
    forced: bool = Field(description="true when the manager was full and the admin forced it (kept in the lead's "
                                     "history with who forced it)")
    open_leads: int = Field(description="the manager's open leads now")
    capacity: int


Outcome = Literal["assigned", "queued", "left", "skipped"]


class LeadMove(BaseModel):
    """What a run did with one lead."""

    lead_id: str
    outcome: Outcome = Field(description="`assigned` to `manager_id`; `queued`: nobody could take it, it waits in "
                                         "the unassigned queue; `left` in the queue (`reason`); `skipped`: it "
                                         "changed meanwhile (someone else moved it)")
    manager_id: str | None = None
    reason: str | None = Field(default=None, description="why nobody could take it: `no_manager_in_tiers`, "
                                                         "`managers_unavailable` (inactive or on leave), "
                                                         "`managers_full`")


class QueueRun(BaseModel):
    """One call of "run assignment again" over the unassigned queue."""

    checked: int = Field(description="leads of the queue looked at in this call")
    assigned: int
    left: int = Field(description="still in the queue: nobody eligible had room (see each lead's `reason`)")
    skipped: int
    leads: list[LeadMove]
    next_cursor: str | None = Field(description="more of the queue to go through: call again with it; null: the "
                                                "queue has been gone through to its end")


class Offboarding(BaseModel):
    """One call of offboarding a manager: they are inactive, and their open leads move."""

    manager_id: str
    active: bool = Field(description="always false: an offboarded manager gets no leads")
    checked: int = Field(description="open leads of theirs looked at in this call")
    reassigned: int = Field(description="given to another eligible manager, who is emailed")
    queued: int = Field(description="nobody could take them: in the unassigned queue, the admins alerted")
    skipped: int
    leads: list[LeadMove]
    next_cursor: str | None = Field(description="more open leads to move: call again with it; null: done (call again "
                                                "without it to check nothing was left)")


# -- the queue -----------------------------------------------------------------------------

def list_unassigned(index: LeadIndex, *, limit: int, cursor: str | None = None) -> LeadPage:
    """The leads nobody could take, newest first, a page at a time (`GET /leads` with
    `manager_id=unassigned` reads the same)."""
    query = LeadQuery(queue=keys.UNASSIGNED_QUEUE, status=S.UNASSIGNED)
    return list_leads(index, query, limit=limit, cursor=cursor)


def hand_out(store: HandoverStore, publisher: EventPublisher, lead_id: str, manager_id: str, *, by: str,
             force: bool = False, now: datetime | None = None) -> HandOut:
    """Give a lead of the unassigned queue to a chosen manager: active and not away,
    with room unless the admin `force`s it (the history entry then says `forced` and by
    whom). Refused, with nothing written: an unknown lead or manager (404), a lead not
    in the queue, a manager who is inactive, away or (not forced) full (409)."""
    now = now or utc_now()
    today = now.date()
    for _ in range(MAX_ATTEMPTS):
        lead = store.get_lead(lead_id)
        if lead is None:
            raise UnknownLead(lead_id)
        if lead.status != S.UNASSIGNED:
            raise NotUnassigned(lead_id, lead.status)
        manager = store.get_manager(manager_id)
        if manager is None:
            raise UnknownManager(manager_id)
        if not can_hold_leads(manager, today):
            raise ManagerCannotTake(manager)
        full = manager.open_leads >= manager.capacity
        if full and not force:
            raise ManagerFull(manager)
        detail = {"by": by, "to": manager_id, "reason": "handed_out"}
        if full:
            detail.update(forced="yes", open_leads=str(manager.open_leads), capacity=str(manager.capacity))
        activity = Activity(activity_id=uuid.uuid4().hex, lead_id=lead_id, at=now, kind=S.ASSIGNED.value,
                            detail=detail)
        try:
            store.move_lead(lead, manager, activity, within_capacity=not force, today=today)
        except (ManagerUnavailable, LeadChanged):
            continue  # read both again: the refusal then says why, or the next try goes through
        _announce(publisher, lead, store.latest_submission(lead_id), manager_id)
        logger.info("lead handed out", extra={"lead_id": lead_id, "manager_id": manager_id, "forced": full})
        return HandOut(lead_id=lead_id, manager_id=manager_id, forced=full, open_leads=manager.open_leads + 1,
                       capacity=manager.capacity)
    raise LeadChanged(lead_id)


def rerun_queue(store: HandoverStore, publisher: EventPublisher, rule_sets: RuleSets | None, *, by: str,
                limit: int = DEFAULT_BATCH, cursor: str | None = None, now: datetime | None = None,
                deadline: float | None = None, clock: Callable[[], float] = time.monotonic) -> QueueRun:
    """Run assignment again over the unassigned queue, oldest first, through the normal
    rules (after adding a manager, ending a leave, raising a capacity). A lead nobody
    can take stays in the queue, with the reason; a lead given to a manager gets its
    history entry and `Lead Assigned` (its manager is emailed)."""
    now = now or utc_now()
    walk = _Walk(store, keys.UNASSIGNED_QUEUE, QUEUE_STATUSES, cursor, limit)
    placer = _Placer(store, publisher, rule_sets, now, by=by, reason="queue_rerun")
    moves: list[LeadMove] = []
    for queued in walk.leads(deadline=deadline or clock() + TIME_BUDGET_SECONDS, clock=clock):
        moves.append(placer.place(queued.lead, may_queue=False))
    return QueueRun(checked=len(moves), assigned=_count(moves, "assigned"), left=_count(moves, "left"),
                    skipped=_count(moves, "skipped"), leads=moves, next_cursor=walk.next_cursor())


def offboard_manager(store: HandoverStore, publisher: EventPublisher, rule_sets: RuleSets | None, manager_id: str,
                     *, by: str, limit: int = DEFAULT_BATCH, cursor: str | None = None, now: datetime | None = None,
                     deadline: float | None = None, clock: Callable[[], float] = time.monotonic) -> Offboarding:
    """A manager leaves: they are marked inactive (no new leads from now on), then each
    of their open leads (assigned, contacted, qualified, postponed; closed ones stay
    theirs) goes to another eligible manager through the normal rules, keeping its
    status (a lead not yet called is a fresh assignment), with a history entry naming
    whom it came from, and the new manager is emailed. A lead nobody can take goes to
    the unassigned queue (`Lead Unassigned`: the admins are alerted). Nothing is left
    with nobody. Calling again continues (with `next_cursor`) or checks that nothing
    was left (without): a lead still theirs, say one assigned a moment before they went
    inactive, is moved then."""
    now = now or utc_now()
    manager = store.get_manager(manager_id)
    if manager is None:
        raise ManagerNotFound(manager_id)
    if manager.active:
        manager = store.deactivate_manager(manager_id) or manager
        logger.info("manager deactivated", extra={"manager_id": manager_id, "by": by})
    walk = _Walk(store, keys.manager_queue(manager_id), OPEN_STATUSES, cursor, limit)
    placer = _Placer(store, publisher, rule_sets, now, by=by, reason="offboarded", leaving=manager)
    moves: list[LeadMove] = []
    for queued in walk.leads(deadline=deadline or clock() + TIME_BUDGET_SECONDS, clock=clock):
        moves.append(placer.place(queued.lead, may_queue=True))
    return Offboarding(manager_id=manager_id, active=False, checked=len(moves),
                       reassigned=_count(moves, "assigned"), queued=_count(moves, "queued"),
                       skipped=_count(moves, "skipped"), leads=moves, next_cursor=walk.next_cursor())


def _count(moves: list[LeadMove], outcome: Outcome) -> int:
    return sum(1 for m in moves if m.outcome == outcome)


def why_nobody(managers: list[Manager], temperature: Temperature, policy: AssignmentPolicy | None,
               today: date) -> str:
    """Why no manager could take a lead of this temperature (with `choose_manager` None)."""
    tiers = set((policy or AssignmentPolicy()).tiers(temperature))
    in_tiers = [m for m in managers if m.tier in tiers]
    if not in_tiers:
        return NO_MANAGER_IN_TIERS
    if not any(can_hold_leads(m, today) for m in in_tiers):
        return MANAGERS_UNAVAILABLE
    return MANAGERS_FULL


# -- placing one lead ------------------------------------------------------------------------

@dataclass
class _Placer:
    """Where each lead of a run goes, with the roster read once per run and kept up to
    date with the run's own moves (so leads spread as they would one by one); a manager
    the write finds unable to take one sends the roster to be read again."""

    store: HandoverStore
    publisher: EventPublisher
    rule_sets: RuleSets | None
    now: datetime
    by: str
    reason: str
    leaving: Manager | None = None  # offboarding: the manager the leads come from
    roster: dict[str, Manager] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._read_roster()

    def _read_roster(self) -> None:
        self.roster = {m.manager_id: m for m in self.store.list_managers()}
        if self.leaving is not None:
            self.leaving = self.roster.pop(self.leaving.manager_id, self.leaving)

    def place(self, lead: Lead, *, may_queue: bool) -> LeadMove:
        today = self.now.date()
        submission = self.store.latest_submission(lead.lead_id)
        temperature = lead.score.temperature if lead.score else Temperature.COLD
        policy = self._policy(lead)
        unavailable: set[str] = set()
        for attempt in range(1, MAX_ATTEMPTS + 1):
            pool = [m for m in self.roster.values() if m.manager_id not in unavailable]
            chosen = None if attempt == MAX_ATTEMPTS else choose_manager(
                pool, temperature, policy, country=lead_country(lead.contact),
                language=submission.language if submission else None, today=today)
            reason = None if chosen else why_nobody(pool, temperature, policy, today)
            if chosen is None and not may_queue:
                return LeadMove(lead_id=lead.lead_id, outcome="left", reason=reason or MANAGERS_FULL)
            try:
                self.store.move_lead(lead, chosen, self._activity(lead, chosen, reason), release=self.leaving,
                                     today=today)
            except ManagerUnavailable:
                unavailable.add(chosen.manager_id if chosen else "")
                self._read_roster()
                continue
            except LeadChanged:
                fresh = self._still_to_move(lead)
                if fresh is None:
                    return LeadMove(lead_id=lead.lead_id, outcome="skipped")
                lead = fresh
                continue
            self._moved(chosen)
            _announce(self.publisher, lead, submission, chosen.manager_id if chosen else None,
                      released=self.leaving.manager_id if self.leaving else None)
            if chosen is None:
                return LeadMove(lead_id=lead.lead_id, outcome="queued", reason=reason)
            return LeadMove(lead_id=lead.lead_id, outcome="assigned", manager_id=chosen.manager_id)
        return LeadMove(lead_id=lead.lead_id, outcome="skipped")

    def _policy(self, lead: Lead) -> AssignmentPolicy | None:
        if self.rule_sets is None:
            return None
        profile = (lead.score.profile if lead.score else None) or "b2b"
        return getattr(self.rule_sets.get(profile), "assignment", None)

    def _activity(self, lead: Lead, chosen: Manager | None, why: str | None) -> Activity:
        detail = {"by": self.by, "reason": self.reason}
        if lead.manager_id:
            detail["from"] = lead.manager_id
        if chosen is not None:
            detail["to"] = chosen.manager_id
            kind = "reassigned" if lead.manager_id else S.ASSIGNED.value
        else:
            detail["why"] = why or MANAGERS_FULL
            kind = S.UNASSIGNED.value
        return Activity(activity_id=uuid.uuid4().hex, lead_id=lead.lead_id, at=self.now, kind=kind, detail=detail)

    def _moved(self, chosen: Manager | None) -> None:
        if chosen is not None:
            self.roster[chosen.manager_id] = chosen.model_copy(update={"open_leads": chosen.open_leads + 1})
        if self.leaving is not None and self.leaving.open_leads > 0:
            self.leaving = self.leaving.model_copy(update={"open_leads": self.leaving.open_leads - 1})

    def _still_to_move(self, lead: Lead) -> Lead | None:
        """The lead read again after its move lost: still where the run found it (the
        leaving manager's count was off, or a concurrent write got in the way), or None
        when it moved on (picked up, closed, handed out)."""
        fresh = self.store.get_lead(lead.lead_id)
        if fresh is None or fresh.status != lead.status or fresh.manager_id != lead.manager_id:
            return None
        if self.leaving is not None:
            self.leaving = self.store.get_manager(self.leaving.manager_id) or self.leaving
        return fresh


def _announce(publisher: EventPublisher, lead: Lead, submission: Submission | None, manager_id: str | None,
              released: str | None = None) -> None:
    """`Lead Assigned` (notify emails the manager, as for a new lead) or `Lead Unassigned`
    (the admins are alerted), about the lead's latest submission (the email shows it). A
    lead without one (erased) is moved silently: there is nobody left to call."""
    if submission is None:
        logger.warning("moved lead has no submission: not announced", extra={"lead_id": lead.lead_id})
        return
    points = lead.score.points if lead.score else 0
    temperature = lead.score.temperature if lead.score else Temperature.COLD
    if manager_id:
        publisher.publish(LEAD_ASSIGNED, LeadAssigned(
            lead_id=lead.lead_id, submission_id=submission.submission_id, received_at=submission.received_at,
            manager_id=manager_id, form_id=lead.source.form_id, points=points, temperature=temperature,
            is_new_lead=True))
    else:
        publisher.publish(LEAD_UNASSIGNED, LeadUnassigned(
            lead_id=lead.lead_id, submission_id=submission.submission_id, received_at=submission.received_at,
            form_id=lead.source.form_id, points=points, temperature=temperature, released_manager_id=released))


# -- walking a queue a batch at a time --------------------------------------------------------

class _Walk:
    """The leads of one GSI1 partition, status by status, oldest first: at most `limit`
    read, and a cursor for where the next call goes on (after the last lead looked at)."""

    def __init__(self, store: HandoverStore, partition: str, statuses: tuple[LeadStatus, ...], cursor: str | None,
                 limit: int) -> None:
        self.store = store
        self.partition = partition
        self.statuses = statuses
        self.limit = max(1, min(limit, MAX_BATCH))
        self.at, self.start = self._decode(cursor) if cursor else (0, None)
        self._stopped: tuple[int, dict[str, str] | None] | None = None

    def leads(self, *, deadline: float, clock: Callable[[], float]) -> Iterator[QueuedLead]:
        """The batch, read first (so moving a lead cannot shift what is read), then
        given one by one until the deadline: the next cursor starts where it stopped."""
        batch: list[tuple[int, QueuedLead]] = []
        first_start = {self.at: self.start}
        at, start = self.at, self.start
        while at < len(self.statuses) and len(batch) < self.limit:
            page = self.store.queue_page(self.partition, self.statuses[at], limit=self.limit - len(batch),
                                         start_key=start)
            batch += [(at, q) for q in page.leads]
            if page.last_key is None:
                at, start = at + 1, None
            else:
                start = page.last_key
        self.at, self.start = at, start
        return _until(batch, deadline, clock, self, first_start)

    def stop_before(self, batch: list[tuple[int, QueuedLead]], index: int,
                    first_start: dict[int, dict[str, str] | None]) -> None:
        """The deadline came before `batch[index]`: the next call starts with it."""
        status_at = batch[index][0]
        previous = batch[index - 1] if index > 0 else None
        key = previous[1].key if previous is not None and previous[0] == status_at else first_start.get(status_at)
        self._stopped = (status_at, key)

    def next_cursor(self) -> str | None:
        at, start = self._stopped or (self.at, self.start)
        if at >= len(self.statuses):
            return None
        payload = json.dumps({"s": self.statuses[at].value, "k": start}, separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(payload).decode().rstrip("=")

    def _decode(self, cursor: str) -> tuple[int, dict[str, str] | None]:
        """A cursor of this run's partition; InvalidCursor for anything else (it holds
        where to go on, never what may be read: the partition comes from the request)."""
        try:
            if len(cursor) > MAX_CURSOR_LENGTH:
                raise ValueError("too long")
            position = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
            at = [s.value for s in self.statuses].index(position["s"])
            key = position["k"]
            if key is not None and not (
                    isinstance(key, dict) and set(key) == set(("PK", "SK", "GSI1PK", "GSI1SK"))
                    and all(isinstance(v, str) for v in key.values()) and key["GSI1PK"] == self.partition
                    and key["GSI1SK"].startswith(f"{position['s']}#") and key["SK"] == keys.LEAD_CARD):
                raise ValueError("not a key of this queue")
        except (ValueError, KeyError, TypeError, binascii.Error, UnicodeDecodeError):
            raise InvalidCursor() from None
        return at, key


def _until(batch: list[tuple[int, QueuedLead]], deadline: float, clock: Callable[[], float], walk: _Walk,
           first_start: dict[int, dict[str, str] | None]) -> Iterator[QueuedLead]:
    """The batch's leads, one by one, until the deadline (checked before each)."""
    for index, (_, queued) in enumerate(batch):
        if clock() > deadline:
            walk.stop_before(batch, index, first_start)
            return
        yield queued
