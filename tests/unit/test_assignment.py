"""choose_manager: hot leads to the best closers, capacity respected, load balanced."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from leadflow.assignment import choose_manager
from leadflow.models import Temperature

HOT, WARM, COLD = Temperature.HOT, Temperature.WARM, Temperature.COLD
NOON = datetime(2026, 3, 14, 12, 0, tzinfo=timezone.utc)


def chosen_id(managers, temperature, language=None) -> str | None:
    manager = choose_manager(managers, temperature, language)
    return manager.manager_id if manager else None


@pytest.fixture
def one_per_tier(make_manager):
    return [make_manager(manager_id=f"tier{t}", tier=t) for t in (3, 1, 2)]


@pytest.mark.parametrize(("temperature", "expected"), [(HOT, "tier1"), (WARM, "tier2"), (COLD, "tier3")])
def test_each_temperature_goes_to_its_tier(one_per_tier, temperature, expected) -> None:
    assert chosen_id(one_per_tier, temperature) == expected


@pytest.mark.parametrize(
    ("temperature", "tiers_present", "expected"),
    [
        (HOT, (2, 3), "tier2"),      # hot: 1 → 2 → 3
        (HOT, (3,), "tier3"),
        (WARM, (1, 3), "tier1"),     # warm: 2 → 1 → 3
        (WARM, (3,), "tier3"),
        (COLD, (1, 2), "tier2"),     # cold: 3 → 2 → 1
        (COLD, (1,), "tier1"),
    ],
)
def test_an_empty_tier_falls_back_in_policy_order(make_manager, temperature, tiers_present, expected) -> None:
    managers = [make_manager(manager_id=f"tier{t}", tier=t) for t in tiers_present]

    assert chosen_id(managers, temperature) == expected


@pytest.mark.parametrize(
    "unavailable",
    [
        {"active": False},
        {"open_leads": 50, "capacity": 50},     # full
        {"open_leads": 60, "capacity": 50},     # over capacity (capacity lowered by an admin)
        {"open_leads": 0, "capacity": 0},       # takes no leads at all
        {"active": False, "open_leads": 0, "capacity": 100},
    ],
)
def test_inactive_and_full_managers_are_never_chosen(make_manager, unavailable) -> None:
    # GIVEN the only tier-1 manager is unavailable, though with the fewest leads of all
    managers = [
        make_manager(manager_id="best-but-unavailable", tier=1, **unavailable),
        make_manager(manager_id="second-tier", tier=2, open_leads=40, capacity=50),
    ]

    # WHEN a hot lead arrives  THEN it goes to the next tier
    assert chosen_id(managers, HOT) == "second-tier"


def test_a_manager_with_one_slot_left_can_still_be_chosen(make_manager) -> None:
    managers = [make_manager(manager_id="almost-full", tier=1, open_leads=49, capacity=50)]

    assert chosen_id(managers, HOT) == "almost-full"


@pytest.mark.parametrize("temperature", [HOT, WARM, COLD])
def test_nobody_eligible_gives_none(make_manager, temperature) -> None:
    managers = [
        make_manager(tier=1, active=False),
        make_manager(tier=2, open_leads=5, capacity=5),
        make_manager(tier=3, capacity=0),
    ]

    assert choose_manager(managers, temperature) is None
    assert choose_manager([], temperature) is None


def test_fewest_open_leads_first_within_the_tier(make_manager) -> None:
    managers = [
        make_manager(manager_id="busy", tier=2, open_leads=7),
        make_manager(manager_id="free", tier=2, open_leads=2, last_assigned_at=NOON),
        make_manager(manager_id="medium", tier=2, open_leads=5, last_assigned_at=None),
        make_manager(manager_id="idle-but-tier-1", tier=1, open_leads=0),
    ]

    assert chosen_id(managers, WARM) == "free"


def test_tie_on_open_leads_goes_to_the_longest_since_last_assignment(make_manager) -> None:
    managers = [
        make_manager(manager_id="recent", tier=1, open_leads=3, last_assigned_at=NOON),
        make_manager(manager_id="yesterday", tier=1, open_leads=3, last_assigned_at=NOON - timedelta(days=1)),
        make_manager(manager_id="an-hour-ago", tier=1, open_leads=3, last_assigned_at=NOON - timedelta(hours=1)),
    ]

    assert chosen_id(managers, HOT) == "yesterday"
    assert chosen_id(list(reversed(managers)), HOT) == "yesterday"


def test_never_assigned_counts_as_longest_ago(make_manager) -> None:
    managers = [
        make_manager(manager_id="long-ago", tier=3, open_leads=1,
                     last_assigned_at=datetime(2001, 1, 1, tzinfo=timezone.utc)),
        make_manager(manager_id="never", tier=3, open_leads=1, last_assigned_at=None),
    ]

    assert chosen_id(managers, COLD) == "never"
    assert chosen_id(list(reversed(managers)), COLD) == "never"


def test_full_tie_is_decided_the_same_way_whatever_the_roster_order(make_manager) -> None:
    managers = [make_manager(manager_id=mid, tier=2) for mid in ("m-b", "m-c", "m-a")]

    first = chosen_id(managers, WARM)

    assert first in {"m-a", "m-b", "m-c"}
    assert chosen_id(list(reversed(managers)), WARM) == first
    assert chosen_id(managers[1:] + managers[:1], WARM) == first


def test_a_manager_who_reads_the_form_language_is_preferred(make_manager) -> None:
    # GIVEN a Spanish form; the English-only manager is less busy than the Spanish speaker
    managers = [
        make_manager(manager_id="english", tier=2, languages=["en"], open_leads=0),
        make_manager(manager_id="spanish", tier=2, languages=["en", "es"], open_leads=10),
        make_manager(manager_id="spanish-busier", tier=2, languages=["es"], open_leads=12),
    ]

    # WHEN a warm lead from the Spanish form arrives  THEN the least busy Spanish speaker gets it
    assert chosen_id(managers, WARM, language="es") == "spanish"


@pytest.mark.parametrize("language", ["ar", None, ""])
def test_language_is_ignored_when_no_manager_reads_it(make_manager, language) -> None:
    managers = [
        make_manager(manager_id="english", tier=2, languages=["en"], open_leads=4),
        make_manager(manager_id="spanish", tier=2, languages=["es"], open_leads=1),
    ]

    assert chosen_id(managers, WARM, language=language) == "spanish"


def test_language_does_not_override_the_tier(make_manager) -> None:
    # the docstring's order: the tier decides first, the language only inside that tier
    managers = [
        make_manager(manager_id="closer", tier=1, languages=["en"]),
        make_manager(manager_id="arabic-speaker", tier=2, languages=["ar", "en"]),
    ]

    assert chosen_id(managers, HOT, language="ar") == "closer"


def test_an_unavailable_speaker_is_not_preferred(make_manager) -> None:
    managers = [
        make_manager(manager_id="speaker-full", tier=2, languages=["es"], open_leads=50, capacity=50),
        make_manager(manager_id="speaker-away", tier=2, languages=["es"], active=False),
        make_manager(manager_id="english", tier=2, languages=["en"], open_leads=30),
    ]

    assert chosen_id(managers, WARM, language="es") == "english"
