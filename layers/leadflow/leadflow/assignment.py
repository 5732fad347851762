"""Choosing the manager for a lead: hot leads to the best closers, load balanced."""

from __future__ import annotations

from datetime import datetime, timezone

from leadflow.models import Manager, Temperature

# Which tiers take which temperature, in order of preference. Hot leads go to the
# best closers first; cold leads to beginners who follow scripts.
TIER_POLICY: dict[Temperature, tuple[int, ...]] = {
    Temperature.HOT: (1, 2, 3),
    Temperature.WARM: (2, 1, 3),
    Temperature.COLD: (3, 2, 1),
}

_LONG_AGO = datetime(1970, 1, 1, tzinfo=timezone.utc)


def choose_manager(managers: list[Manager], temperature: Temperature, language: str | None = None) -> Manager | None:
    """The manager who should get a lead of this temperature, or None if nobody can.

    Tiers are tried in TIER_POLICY order; within the first tier that has an active
    manager with room, managers reading the form's language are preferred when any
    does; then the fewest open leads, then the longest since their last lead."""
    available = [m for m in managers if m.active and m.open_leads < m.capacity]
    for tier in TIER_POLICY[temperature]:
        in_tier = [m for m in available if m.tier == tier]
        if not in_tier:
            continue
        speakers = [m for m in in_tier if language and language in m.languages]
        pool = speakers or in_tier
        return min(pool, key=lambda m: (m.open_leads, m.last_assigned_at or _LONG_AGO, m.manager_id))
    return None
