"""Assignment: hot leads to the best closers, territory and language first, fair rotation,
nobody away, inactive or full; a returning lead stays with its manager when it can."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
from pydantic import ValidationError

from leadflow.routing.assignment import AssignmentPolicy, assign_lead, choose_manager, is_away
from leadflow.shared.models import Temperature

HOT, WARM, COLD = Temperature.HOT, Temperature.WARM, Temperature.COLD
TODAY = date(2026, 3, 14)
NOON = datetime(2026, 3, 14, 12, 0, tzinfo=timezone.utc)


def chosen_id(managers, temperature, policy=None, **where) -> str | None:
    manager = choose_manager(managers, temperature, policy, today=TODAY, **where)
    return manager.manager_id if manager else None


@pytest.fixture
def one_per_tier(make_manager):
    return [make_manager(manager_id=f"tier{t}", tier=t) for t in (3, 1, 2)]


# -- the policy ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("temperature", "expected"), [(HOT, "tier1"), (WARM, "tier2"), (COLD, "tier3")])
def test_each_temperature_goes_to_its_tier(one_per_tier, temperature, expected) -> None:
    assert chosen_id(one_per_tier, temperature) == expected


@pytest.mark.parametrize(
    ("temperature", "tiers_present", "expected"),
    [
        (HOT, (2, 3), "tier2"),      # hot: 1 then 2
        (HOT, (3,), None),           # ... never a beginner
        (WARM, (1, 3), "tier1"),     # warm: 2 then 1, 3
        (WARM, (3,), "tier3"),
        (COLD, (1, 2), "tier2"),     # cold: 3 then 2
        (COLD, (1,), None),          # ... never the best closers
    ],
)
def test_an_empty_tier_falls_back_in_policy_order(make_manager, temperature, tiers_present, expected) -> None:
    managers = [make_manager(manager_id=f"tier{t}", tier=t) for t in tiers_present]

    assert chosen_id(managers, temperature) == expected


def test_the_policy_is_data(make_manager) -> None:
    # GIVEN a team that lets beginners take hot leads too, and the best closers warm ones first
    policy = AssignmentPolicy(hot=[1, 2, 3], warm=[1, 2], cold=[3])
    managers = [make_manager(manager_id="beginner", tier=3), make_manager(manager_id="closer", tier=1)]

    assert chosen_id(managers, HOT, policy) == "closer"
    assert chosen_id(managers[:1], HOT, policy) == "beginner"
    assert chosen_id(managers, WARM, policy) == "closer"
    assert chosen_id(managers[1:], COLD, policy) is None


@pytest.mark.parametrize("policy", [{"hot": [1, 1]}, {"warm": []}, {"cold": [0]}, {"cold": [4]}, {"lukewarm": [2]}])
def test_a_policy_that_makes_no_sense_is_refused(policy) -> None:
    with pytest.raises(ValidationError):
        AssignmentPolicy.model_validate(policy)


# -- who can take a lead -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "unavailable",
    [
        {"active": False},
        {"open_leads": 50, "capacity": 50},     # full
        {"open_leads": 60, "capacity": 50},     # over capacity (capacity lowered by an admin)
        {"open_leads": 0, "capacity": 0},       # takes no leads at all
        {"on_leave_until": TODAY},              # away through today
        {"on_leave_until": TODAY + timedelta(days=10)},
        {"active": False, "open_leads": 0, "capacity": 100},
    ],
)
def test_inactive_away_and_full_managers_are_never_chosen(make_manager, unavailable) -> None:
    # GIVEN the only tier-1 manager is unavailable, though with the fewest leads of all
    managers = [
        make_manager(manager_id="best-but-unavailable", tier=1, **unavailable),
        make_manager(manager_id="second-tier", tier=2, open_leads=40, capacity=50),
    ]

    # WHEN a hot lead arrives  THEN it goes to the next tier
    assert chosen_id(managers, HOT) == "second-tier"


def test_a_manager_back_from_leave_gets_leads_again(make_manager) -> None:
    back = make_manager(manager_id="back", tier=1, on_leave_until=TODAY - timedelta(days=1))

    assert not is_away(back, TODAY)
    assert chosen_id([back], HOT) == "back"


def test_a_manager_with_one_slot_left_can_still_be_chosen(make_manager) -> None:
    managers = [make_manager(manager_id="almost-full", tier=1, open_leads=49, capacity=50)]

    assert chosen_id(managers, HOT) == "almost-full"


@pytest.mark.parametrize("temperature", [HOT, WARM, COLD])
def test_nobody_eligible_gives_none(make_manager, temperature) -> None:
    managers = [
        make_manager(tier=1, active=False),
        make_manager(tier=2, open_leads=5, capacity=5),
        make_manager(tier=3, on_leave_until=TODAY),
    ]

    assert choose_manager(managers, temperature, today=TODAY) is None
    assert choose_manager([], temperature, today=TODAY) is None


# -- fair rotation ---------------------------------------------------------------------------------


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

    assert chosen_id(managers, WARM) == "m-a"
    assert chosen_id(list(reversed(managers)), WARM) == "m-a"


def test_consecutive_leads_rotate_through_a_tier(make_manager) -> None:
    # Each assignment raises a manager's count and stamps the time: the next lead goes on.
    managers = [make_manager(manager_id=mid, tier=1, open_leads=2) for mid in ("m-1", "m-2", "m-3")]
    order = []
    for n in range(6):
        chosen = choose_manager(managers, HOT, today=TODAY)
        assert chosen is not None
        order.append(chosen.manager_id)
        managers = [m.model_copy(update={"open_leads": m.open_leads + 1, "last_assigned_at": NOON + timedelta(minutes=n)})
                    if m.manager_id == chosen.manager_id else m for m in managers]

    assert order == ["m-1", "m-2", "m-3", "m-1", "m-2", "m-3"]


# -- territory and language -------------------------------------------------------------------------


def test_a_manager_covering_the_leads_country_is_preferred(make_manager) -> None:
    managers = [
        make_manager(manager_id="us", tier=1, territories=["US", "GB"], open_leads=9),
        make_manager(manager_id="gulf", tier=1, territories=["AE", "SA"], open_leads=0),
    ]

    assert chosen_id(managers, HOT, country="GB") == "us"
    assert chosen_id(managers, HOT, country="sa") == "gulf"


def test_territory_is_ignored_when_nobody_covers_the_country(make_manager) -> None:
    managers = [
        make_manager(manager_id="us", tier=1, territories=["US"], open_leads=9),
        make_manager(manager_id="gulf", tier=1, territories=["AE"], open_leads=0),
    ]

    assert chosen_id(managers, HOT, country="JP") == "gulf"
    assert chosen_id(managers, HOT, country=None) == "gulf"


def test_the_territory_owner_wins_over_a_better_tier_the_policy_allows(make_manager) -> None:
    # GIVEN a hot Spanish lead: tier 1 covers the US only, tier 2 covers Spain
    managers = [
        make_manager(manager_id="closer-us", tier=1, territories=["US"]),
        make_manager(manager_id="spain", tier=2, territories=["ES"]),
    ]

    assert chosen_id(managers, HOT, country="ES") == "spain"


def test_territory_never_opens_a_tier_the_policy_excludes(make_manager) -> None:
    # The beginner covers Spain, but hot leads never go to tier 3.
    managers = [
        make_manager(manager_id="closer", tier=1, territories=["US"]),
        make_manager(manager_id="beginner-es", tier=3, territories=["ES"]),
    ]

    assert chosen_id(managers, HOT, country="ES") == "closer"


def test_an_unavailable_territory_owner_does_not_count(make_manager) -> None:
    managers = [
        make_manager(manager_id="spain-away", tier=2, territories=["ES"], on_leave_until=TODAY),
        make_manager(manager_id="other", tier=2, territories=["FR"]),
    ]

    assert chosen_id(managers, WARM, country="ES") == "other"


def test_a_manager_who_reads_the_form_language_is_preferred(make_manager) -> None:
    # GIVEN a Spanish form; the English-only manager is less busy than the Spanish speakers
    managers = [
        make_manager(manager_id="english", tier=2, languages=["en"], open_leads=0),
        make_manager(manager_id="spanish", tier=2, languages=["en", "es"], open_leads=10),
        make_manager(manager_id="spanish-busier", tier=2, languages=["es"], open_leads=12),
    ]

    assert chosen_id(managers, WARM, language="es") == "spanish"
    assert chosen_id(managers, WARM, language="es-MX") == "spanish"


@pytest.mark.parametrize("language", ["ar", None, ""])
def test_language_is_ignored_when_no_manager_reads_it(make_manager, language) -> None:
    managers = [
        make_manager(manager_id="english", tier=2, languages=["en"], open_leads=4),
        make_manager(manager_id="spanish", tier=2, languages=["es"], open_leads=1),
    ]

    assert chosen_id(managers, WARM, language=language) == "spanish"


def test_a_reader_of_the_language_wins_over_a_better_tier(make_manager) -> None:
    # An Arabic form: a closer who cannot read it is no use to the lead.
    managers = [
        make_manager(manager_id="closer", tier=1, languages=["en"]),
        make_manager(manager_id="arabic-reader", tier=2, languages=["ar", "en"]),
    ]

    assert chosen_id(managers, HOT, language="ar") == "arabic-reader"


def test_territory_narrows_first_then_language(make_manager) -> None:
    managers = [
        make_manager(manager_id="mx-english", tier=2, territories=["MX"], languages=["en"]),
        make_manager(manager_id="es-spanish", tier=2, territories=["ES"], languages=["es"]),
        make_manager(manager_id="mx-spanish", tier=2, territories=["MX"], languages=["es"], open_leads=5),
    ]

    assert chosen_id(managers, WARM, country="MX", language="es") == "mx-spanish"
    assert chosen_id(managers, WARM, country="MX", language="ar") == "mx-english"


def test_an_unavailable_speaker_is_not_preferred(make_manager) -> None:
    managers = [
        make_manager(manager_id="speaker-full", tier=2, languages=["es"], open_leads=50, capacity=50),
        make_manager(manager_id="speaker-inactive", tier=2, languages=["es"], active=False),
        make_manager(manager_id="english", tier=2, languages=["en"], open_leads=30),
    ]

    assert chosen_id(managers, WARM, language="es") == "english"


# -- returning leads ---------------------------------------------------------------------------------


def test_a_returning_lead_stays_with_its_manager_even_when_they_are_full(make_manager) -> None:
    managers = [make_manager(manager_id="owner", tier=3, open_leads=10, capacity=10),
                make_manager(manager_id="closer", tier=1)]

    # now hot, but the owner knows the person: no new count, no move
    decision = assign_lead("owner", managers, HOT, today=TODAY)

    assert decision.manager is not None and decision.manager.manager_id == "owner"
    assert not decision.new_assignment and decision.released_manager_id is None


@pytest.mark.parametrize("unavailable", [{"active": False}, {"on_leave_until": TODAY}])
def test_a_returning_lead_moves_when_its_manager_is_inactive_or_away(make_manager, unavailable) -> None:
    managers = [make_manager(manager_id="owner", tier=1, **unavailable), make_manager(manager_id="colleague", tier=1)]

    decision = assign_lead("owner", managers, HOT, today=TODAY)

    assert decision.manager is not None and decision.manager.manager_id == "colleague"
    assert decision.new_assignment and decision.released_manager_id == "owner"


def test_a_returning_lead_with_nobody_to_take_it_goes_to_the_queue(make_manager) -> None:
    managers = [make_manager(manager_id="owner", tier=1, on_leave_until=TODAY)]

    decision = assign_lead("owner", managers, HOT, today=TODAY)

    assert decision.manager is None and decision.new_assignment and decision.released_manager_id == "owner"


def test_a_lead_whose_manager_left_the_roster_is_assigned_afresh(make_manager) -> None:
    decision = assign_lead("gone", [make_manager(manager_id="here", tier=2)], WARM, today=TODAY)

    assert decision.manager is not None and decision.manager.manager_id == "here"
    assert decision.new_assignment and decision.released_manager_id is None


def test_a_new_or_unassigned_lead_is_assigned(make_manager) -> None:
    decision = assign_lead(None, [make_manager(manager_id="here", tier=3)], COLD, today=TODAY)

    assert decision.manager is not None and decision.manager.manager_id == "here" and decision.new_assignment
