"""Reports: which channels, campaigns, temperatures, managers and score bands turn
leads into customers, how fast leads are called, and what a lead and a customer cost.

Counters, not scans. As events happen (`Lead Scored` of a new lead, `Lead Status
Changed` to contacted or rejected, `Lead Converted`) the report function adds to
counter items with DynamoDB's atomic `ADD`: one item per period and dimension value
(`STAT#<period>` / `<dimension>#<value>`), so a report is one Query per period,
whatever the number of leads.

Cohorts. A lead is counted in the day and the month (UTC) it was created, and so is
everything that happens to it later: a report for November says what became of
November's leads, and its conversion rate is converted / leads of that cohort. Numbers
of a recent period still grow as its leads are worked.

Decided once. A lead's cells (channel, campaign, temperature, manager, score band) are
chosen when it is first counted and kept on its report mark (`STATMARK#<lead_id>`), so
its later contact, conversion or rejection lands in the same cells even after its
temperature or manager changed. One exception: a lead counted while nobody had it
moves, with what was counted of it, to the first manager seen working it.

Exactly once. Each write of the counters goes in one transaction with the lead's report
mark, written on condition that the mark is the version just read. A redelivered event
finds its fact on the mark and counts nothing; a fact is counted once per lead (the
first contact, not every contact after a postponement).

Durations (lead created → first contact, → conversion) are counted in fixed buckets;
the median reported is the bucket holding the middle value (the lower middle for an
even count), e.g. `{"over_minutes": 30, "at_most_minutes": 60}`.
"""

from __future__ import annotations

import random
import time
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Literal, Protocol

from pydantic import BaseModel

from leadflow.reporting.cells import (
    BUCKET_PREFIX,
    UNASSIGNED,
    ReportDimensions,
    dimensions_of,
    dimensions_reported,
    duration_bucket,
    manager_value,
    minutes_between,
    periods_of,
)
from leadflow.shared.events import (
    LEAD_CONVERTED,
    LEAD_SCORED,
    LEAD_STATUS_CHANGED,
    LeadConverted,
    LeadScored,
    LeadStatusChanged,
)
from leadflow.shared.models import Lead, LeadStatus

Fact = Literal["contacted", "converted", "rejected"]
FACTS: tuple[Fact, ...] = ("contacted", "converted", "rejected")
MAX_ATTEMPTS = 4  # a mark that changed between our read and our write is read again
BACKOFF_SECONDS = 0.02


class ReportContention(Exception):
    """The lead's report mark kept changing under us; the invocation is retried."""


class CounterStore(Protocol):
    """What counting an event reads and writes (leadflow.reporting.store)."""

    def get_report_mark(self, lead_id: str) -> dict[str, Any] | None: ...

    def get_lead(self, lead_id: str) -> Lead | None: ...

    def save_report_mark(self, mark: dict[str, Any], expected_version: int | None,
                         increments: dict[tuple[str, str], dict[str, int]]) -> bool: ...


class ReportMark(BaseModel):
    """The report mark of one lead (`STATMARK#<lead_id>`): where it is counted and which
    facts were counted, with their times; `version` guards every write. No personal data."""

    lead_id: str
    created_at: datetime
    day: str
    month: str
    dimensions: ReportDimensions
    counted_at: datetime
    contacted_at: datetime | None = None
    converted_at: datetime | None = None
    rejected_at: datetime | None = None
    version: int = 1

    def fact_at(self, fact: Fact) -> datetime | None:
        return getattr(self, f"{fact}_at")


def fact_counters(mark: ReportMark, fact: Fact) -> dict[str, int]:
    """The counters one fact adds: its count and, when timed, its duration bucket."""
    counters = {fact: 1}
    at = mark.fact_at(fact)
    if fact in BUCKET_PREFIX and at is not None:
        counters[f"{BUCKET_PREFIX[fact]}{duration_bucket(minutes_between(mark.created_at, at))}"] = 1
    return counters


def counted_so_far(mark: ReportMark) -> dict[str, int]:
    """Every counter this lead has added to each of its cells."""
    counters = {"leads": 1}
    for fact in FACTS:
        if mark.fact_at(fact) is not None:
            counters.update(fact_counters(mark, fact))
    return counters


CellKey = tuple[str, str]  # (period, "<dimension>#<value>")


@dataclass
class CountPlan:
    """One transaction: the lead's new mark (written if the stored one is still at
    `expected_version`; None: if there is none) and the counter increments per cell."""

    mark: ReportMark
    expected_version: int | None
    increments: dict[CellKey, Counter[str]] = field(default_factory=dict)

    def add(self, cells: Iterable[tuple[str, str]], counters: Mapping[str, int], sign: int = 1) -> None:
        for dimension, value in cells:
            for period in (self.mark.day, self.mark.month):
                cell = self.increments.setdefault((period, f"{dimension}#{value}"), Counter())
                for name, amount in counters.items():
                    cell[name] += sign * amount

    def nonzero(self) -> dict[CellKey, dict[str, int]]:
        """The increments, one entry per cell (a transaction may touch an item only
        once), without zeros (a lead moved back and forth adds nothing: no write)."""
        out = {key: {k: v for k, v in counters.items() if v} for key, counters in self.increments.items()}
        return {key: counters for key, counters in out.items() if counters}


def plan_count(mark: ReportMark | None, lead: Lead | None, fact: Fact | None, at: datetime | None,
               scored: LeadScored | None = None, now: datetime | None = None) -> CountPlan:
    """What to write for one event, given the lead's mark as read (None: not counted
    yet) and, when needed, its card. `fact` None counts the lead itself (`Lead Scored`,
    whose score gives the temperature, band and rules, and whose `reported_as` the rest
    when no card is given); a fact for a lead not counted yet (events delivered out of
    order) counts the lead first, with its card's score.
    The caller has checked that the fact is not on the mark already."""
    if mark is None:
        score = scored or (lead.score if lead else None)
        points, temperature = (score.points, score.temperature) if score else (None, None)
        rule_ids = [part.rule_id for part in score.parts] if score else []
        if lead is not None:
            lead_id, created_at = lead.lead_id, lead.created_at
            dimensions = dimensions_of(lead, points, temperature, rule_ids)
        elif scored is not None and scored.reported_as is not None:
            lead_id, created_at = scored.lead_id, scored.received_at
            dimensions = dimensions_reported(scored.reported_as, points, temperature, rule_ids)
        else:
            raise ValueError("a lead is counted from its card or its Lead Scored event")
        day, month = periods_of(created_at)
        new = ReportMark(lead_id=lead_id, created_at=created_at, day=day, month=month, dimensions=dimensions,
                         counted_at=now or datetime.now(timezone.utc))
        plan = CountPlan(mark=new, expected_version=None)
        plan.add(new.dimensions.cells(), {"leads": 1})
    else:
        plan = CountPlan(mark=mark.model_copy(update={"version": mark.version + 1}), expected_version=mark.version)
        if lead is not None and lead.manager_id and mark.dimensions.manager == UNASSIGNED:
            _adopt(plan, manager_value(lead.manager_id))
    if fact is not None:
        plan.mark = plan.mark.model_copy(update={f"{fact}_at": at})
        plan.add(plan.mark.dimensions.cells(), fact_counters(plan.mark, fact))
    return plan


def _adopt(plan: CountPlan, manager: str) -> None:
    """Move a lead counted while unassigned, and all counted of it, to its manager."""
    moved = counted_so_far(plan.mark)
    plan.add([("manager", UNASSIGNED)], moved, sign=-1)
    plan.add([("manager", manager)], moved)
    dimensions = plan.mark.dimensions.model_copy(update={"manager": manager})
    plan.mark = plan.mark.model_copy(update={"dimensions": dimensions})


@dataclass(frozen=True)
class Counted:
    """What an event did to the counters: `counted`, `already_counted` (a redelivery,
    or a fact this lead already had), `lead_missing` (no card, nothing to count) or
    `ignored` (an event the reports do not count)."""

    outcome: str
    lead_id: str | None
    fact: str | None


def count_event(detail_type: str, detail: Mapping[str, Any], store: CounterStore,
                now: datetime | None = None) -> Counted:
    """Count one bus event. Contacted and rejected come from `Lead Status Changed`;
    converted only from `Lead Converted` (the status change to converted published with
    it is not counted, so nothing counts twice)."""
    if detail_type == LEAD_SCORED:
        scored = LeadScored.model_validate(detail)
        if not scored.is_new_lead:  # a returning lead was counted when it was new
            return Counted("ignored", scored.lead_id, None)
        return _count(store, scored.lead_id, None, None, scored, now)
    if detail_type == LEAD_STATUS_CHANGED:
        changed = LeadStatusChanged.model_validate(detail)
        facts: dict[LeadStatus, Fact] = {LeadStatus.CONTACTED: "contacted", LeadStatus.REJECTED: "rejected"}
        fact = facts.get(changed.to_status)
        if fact is None:
            return Counted("ignored", changed.lead_id, None)
        return _count(store, changed.lead_id, fact, changed.at, None, now)
    if detail_type == LEAD_CONVERTED:
        converted = LeadConverted.model_validate(detail)
        return _count(store, converted.lead_id, "converted", converted.at, None, now)
    return Counted("ignored", None, None)


def _count(store: CounterStore, lead_id: str, fact: Fact | None, at: datetime | None,
           scored: LeadScored | None, now: datetime | None) -> Counted:
    for attempt in range(MAX_ATTEMPTS):
        # A new lead has no mark yet: its first try skips that read (a lost write reads it).
        stored = None if fact is None and attempt == 0 else store.get_report_mark(lead_id)
        mark = ReportMark.model_validate(stored) if stored else None
        if mark is not None and (fact is None or mark.fact_at(fact) is not None):
            return Counted("already_counted", lead_id, fact)
        lead = None
        # A new lead's `Lead Scored` carries its cells (`reported_as`): no card to read.
        from_event = mark is None and scored is not None and scored.reported_as is not None
        if not from_event and (mark is None or mark.dimensions.manager == UNASSIGNED):
            lead = store.get_lead(lead_id)
            if lead is None and mark is None:
                return Counted("lead_missing", lead_id, fact)
        plan = plan_count(mark, lead, fact, at, scored, now)
        if store.save_report_mark(plan.mark.model_dump(mode="json"), plan.expected_version, plan.nonzero()):
            return Counted("counted", lead_id, fact)
        # Lost to another write on the mark or on a busy cell (every lead of a day adds to
        # `all#all`): wait a little, at random, so concurrent writers do not collide again.
        time.sleep(random.uniform(0, BACKOFF_SECONDS * 2**attempt))  # noqa: S311 - jitter, not secrecy
    raise ReportContention(lead_id)
