"""Choosing the manager for a lead: hot leads to the best closers, fairly, never to
someone who is away, inactive or full.

The tier order per temperature is data (`AssignmentPolicy`, part of the rule set). The
choice here reads a snapshot of the roster; the write that follows (the routing
store's `record_assignment`) re-checks availability and capacity atomically, so a
snapshot that went stale costs a retry, never an overbooked manager."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

from leadflow.shared.models import Manager, Temperature

Tier = Annotated[int, Field(ge=1, le=3)]

_LONG_AGO = datetime(1970, 1, 1, tzinfo=timezone.utc)


class AssignmentPolicy(BaseModel):
    """Which tiers take a lead of each temperature, in order of preference. A tier left
    out never gets that temperature: by default hot leads never go to beginners and cold
    ones never to the best closers."""

    model_config = ConfigDict(extra="forbid")

    hot: list[Tier] = Field(default_factory=lambda: [1, 2], min_length=1)
    warm: list[Tier] = Field(default_factory=lambda: [2, 1, 3], min_length=1)
    cold: list[Tier] = Field(default_factory=lambda: [3, 2], min_length=1)

    @model_validator(mode="after")
    def _no_repeats(self) -> AssignmentPolicy:
        for temperature in Temperature:
            tiers = self.tiers(temperature)
            if len(set(tiers)) != len(tiers):
                raise ValueError(f"{temperature.value}: a tier is listed twice: {tiers}")
        return self

    def tiers(self, temperature: Temperature) -> list[int]:
        return list(getattr(self, temperature.value))


DEFAULT_POLICY = AssignmentPolicy()


def is_away(manager: Manager, today: date) -> bool:
    """On leave through `on_leave_until` (that day included)."""
    return manager.on_leave_until is not None and today <= manager.on_leave_until


def can_hold_leads(manager: Manager, today: date) -> bool:
    """Active and not away: may keep their leads and be given new ones (room permitting)."""
    return manager.active and not is_away(manager, today)


def _primary_language(tag: str) -> str:
    return tag.strip().lower().replace("_", "-").split("-", 1)[0]


def _reads(manager: Manager, language: str) -> bool:
    return _primary_language(language) in {_primary_language(lang) for lang in manager.languages}


def _covers(manager: Manager, country: str) -> bool:
    return country.upper() in {t.strip().upper() for t in manager.territories}


def eligible_managers(managers: Iterable[Manager], temperature: Temperature, policy: AssignmentPolicy,
                      today: date, *, country: str | None = None, language: str | None = None) -> list[Manager]:
    """Who may get a new lead: active, not away, with room, in a tier the policy allows
    for this temperature; then narrowed to those covering the lead's country, and to
    those reading the form's language, each only when at least one does."""
    tiers = set(policy.tiers(temperature))
    pool = [m for m in managers if m.tier in tiers and can_hold_leads(m, today) and m.open_leads < m.capacity]
    if country:
        local = [m for m in pool if _covers(m, country)]
        pool = local or pool
    if language:
        readers = [m for m in pool if _reads(m, language)]
        pool = readers or pool
    return pool


def choose_manager(managers: Iterable[Manager], temperature: Temperature, policy: AssignmentPolicy | None = None,
                   *, country: str | None = None, language: str | None = None,
                   today: date | None = None) -> Manager | None:
    """The manager who should get a new lead of this temperature, or None if nobody can.

    Among the eligible (see `eligible_managers`), the first tier in the policy's order
    that has anyone; within it the fewest open leads, then the longest since their last
    assignment (a fair rotation), then the manager id so the choice is deterministic."""
    policy = policy or DEFAULT_POLICY
    today = today or datetime.now(timezone.utc).date()
    pool = eligible_managers(managers, temperature, policy, today, country=country, language=language)
    for tier in policy.tiers(temperature):
        in_tier = [m for m in pool if m.tier == tier]
        if in_tier:
            return min(in_tier, key=lambda m: (m.open_leads, m.last_assigned_at or _LONG_AGO, m.manager_id))
    return None


@dataclass(frozen=True)
class Assignment:
    """Who holds the lead after this submission.

    `new_assignment`: the lead changes hands (to `manager`, or to the unassigned queue
    when None) and counts against the new manager's load; `released_manager_id`: the
    inactive or away manager it is taken from, whose load goes down."""

    manager: Manager | None
    new_assignment: bool
    released_manager_id: str | None = None


def assign_lead(current_manager_id: str | None, managers: list[Manager], temperature: Temperature,
                policy: AssignmentPolicy | None = None, *, country: str | None = None,
                language: str | None = None, today: date | None = None) -> Assignment:
    """Keep a returning lead with its manager unless they are inactive, away or gone
    from the roster; otherwise choose one (`choose_manager`), or none."""
    today = today or datetime.now(timezone.utc).date()
    roster = {m.manager_id: m for m in managers}
    current = roster.get(current_manager_id) if current_manager_id else None
    if current is not None and can_hold_leads(current, today):
        # Even when full: the lead is already counted in their load.
        return Assignment(manager=current, new_assignment=False)
    chosen = choose_manager(managers, temperature, policy, country=country, language=language, today=today)
    return Assignment(manager=chosen, new_assignment=True,
                      released_manager_id=current.manager_id if current is not None else None)
