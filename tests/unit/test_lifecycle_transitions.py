"""The lead lifecycle as data: which status may follow which, and what each change needs
(a reason to reject, a follow-up date to postpone)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from leadflow.lifecycle import (
    TRANSITIONS,
    InvalidChange,
    TransitionNotAllowed,
    allowed_next,
    check_change,
)
from leadflow.models import LeadStatus, RejectionReason

S = LeadStatus
TODAY = date(2026, 3, 14)
TOMORROW = TODAY + timedelta(days=1)

ALLOWED = {
    (S.NEW, S.ASSIGNED),
    (S.UNASSIGNED, S.ASSIGNED),
    (S.ASSIGNED, S.CONTACTED),
    (S.CONTACTED, S.QUALIFIED),
    (S.QUALIFIED, S.CONVERTED),
    (S.ASSIGNED, S.REJECTED),
    (S.CONTACTED, S.REJECTED),
    (S.QUALIFIED, S.REJECTED),
    (S.ASSIGNED, S.POSTPONED),
    (S.CONTACTED, S.POSTPONED),
    (S.QUALIFIED, S.POSTPONED),
    (S.POSTPONED, S.ASSIGNED),
}


def details(to_status: LeadStatus) -> dict:
    """What a change to `to_status` must carry."""
    if to_status == S.REJECTED:
        return {"reason": "no_budget"}
    if to_status == S.POSTPONED:
        return {"follow_up_on": TOMORROW}
    return {}


def test_the_table_is_exactly_the_lifecycle():
    # THEN every status has a row and the table allows these moves and no others
    assert set(TRANSITIONS) == set(LeadStatus)
    assert {(a, b) for a, nexts in TRANSITIONS.items() for b in nexts} == ALLOWED


@pytest.mark.parametrize(("current", "to_status"), sorted(ALLOWED))
def test_every_allowed_transition_passes(current, to_status):
    check_change(current, to_status, today=TODAY, **details(to_status))


@pytest.mark.parametrize(("current", "to_status"), [
    (S.NEW, S.CONTACTED),  # nobody can call a lead before it has a manager
    (S.NEW, S.CONVERTED),
    (S.UNASSIGNED, S.REJECTED),
    (S.ASSIGNED, S.QUALIFIED),  # skipping the first call
    (S.ASSIGNED, S.CONVERTED),
    (S.CONTACTED, S.CONVERTED),  # skipping qualification
    (S.CONTACTED, S.CONTACTED),
    (S.POSTPONED, S.CONTACTED),
    (S.POSTPONED, S.REJECTED),
    (S.CONVERTED, S.REJECTED),  # final
    (S.REJECTED, S.ASSIGNED),  # final
    (S.QUALIFIED, S.NEW),
])
def test_a_refused_transition_names_where_the_lead_is_and_where_it_can_go(current, to_status):
    with pytest.raises(TransitionNotAllowed) as refused:
        check_change(current, to_status, today=TODAY, lead_id="L1", **details(to_status))

    assert refused.value.current == current and refused.value.to_status == to_status
    assert refused.value.allowed == allowed_next(current) == tuple(sorted(TRANSITIONS[current]))
    assert current.value in str(refused.value)


def test_final_statuses_allow_nothing():
    assert allowed_next(S.CONVERTED) == allowed_next(S.REJECTED) == ()


# -- rejecting needs a reason ------------------------------------------------------------


@pytest.mark.parametrize("reason", [r.value for r in RejectionReason])
def test_rejecting_takes_any_reason_from_the_list(reason):
    assert check_change(S.CONTACTED, S.REJECTED, reason=reason, note="free text", today=TODAY) == reason


def test_the_reason_list_is_fixed():
    assert {r.value for r in RejectionReason} == {
        "no_budget", "no_need", "competitor", "no_response", "not_a_fit", "spam", "other"}


@pytest.mark.parametrize(("reason", "code"), [(None, "reason_required"), ("", "reason_required"),
                                              ("too_expensive", "reason_unknown")])
def test_rejecting_without_a_known_reason_is_refused(reason, code):
    with pytest.raises(InvalidChange) as invalid:
        check_change(S.ASSIGNED, S.REJECTED, reason=reason, today=TODAY)
    assert invalid.value.code == code


def test_a_reason_is_only_for_rejecting():
    with pytest.raises(InvalidChange) as invalid:
        check_change(S.CONTACTED, S.QUALIFIED, reason="no_budget", today=TODAY)
    assert invalid.value.code == "reason_not_expected"


# -- postponing needs a follow-up date ---------------------------------------------------


@pytest.mark.parametrize(("follow_up_on", "code"), [(None, "follow_up_required"), (TODAY, "follow_up_not_in_future"),
                                                    (TODAY - timedelta(days=3), "follow_up_not_in_future")])
def test_postponing_needs_a_day_after_today(follow_up_on, code):
    with pytest.raises(InvalidChange) as invalid:
        check_change(S.QUALIFIED, S.POSTPONED, follow_up_on=follow_up_on, today=TODAY)
    assert invalid.value.code == code


def test_a_follow_up_date_is_only_for_postponing():
    with pytest.raises(InvalidChange) as invalid:
        check_change(S.ASSIGNED, S.CONTACTED, follow_up_on=TOMORROW, today=TODAY)
    assert invalid.value.code == "follow_up_not_expected"


def test_a_note_has_a_length_limit():
    with pytest.raises(InvalidChange) as invalid:
        check_change(S.ASSIGNED, S.CONTACTED, note="x" * 2001, today=TODAY)
    assert invalid.value.code == "note_too_long"


def test_the_table_is_checked_before_the_details():
    # A lead that cannot be rejected is told so (409), not that the reason is missing (400).
    with pytest.raises(TransitionNotAllowed):
        check_change(S.REJECTED, S.REJECTED, today=TODAY)
