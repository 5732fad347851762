"""The lead lifecycle as data: which status may follow which, and what each change needs
(a reason to reject, a follow-up date to postpone) or may carry (a farewell); the
names and times of the schedules that bring a postponed lead back."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone

import pytest
from pydantic import TypeAdapter, ValidationError

from leadflow.lifecycle.clocks import clock_id
from leadflow.lifecycle.schedules import (
    FollowUpDue,
    ReminderDue,
    ScheduledDue,
    at_expression,
    follow_up_at,
    follow_up_schedule_name,
    schedule_prefix,
)
from leadflow.lifecycle.transitions import (
    TRANSITIONS,
    InvalidChange,
    TransitionNotAllowed,
    allowed_next,
    check_change,
)
from leadflow.shared.models import CLOSED_STATUSES as CLOSED
from leadflow.shared.models import LeadStatus, RejectionReason
from support import load_event

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


# -- a farewell goes with a rejection only -------------------------------------------------


def test_a_rejection_may_carry_a_farewell():
    assert check_change(S.QUALIFIED, S.REJECTED, reason="no_budget", farewell=True, today=TODAY) == "no_budget"


@pytest.mark.parametrize(("current", "to_status"), sorted(ALLOWED - {(a, b) for a, b in ALLOWED if b == S.REJECTED}))
def test_a_farewell_with_any_other_change_is_refused(current, to_status):
    with pytest.raises(InvalidChange) as invalid:
        check_change(current, to_status, farewell=True, today=TODAY, **details(to_status))
    assert invalid.value.code == "farewell_not_expected"


def test_closed_statuses_are_the_final_ones():
    # A closed lead leaves its manager's load; the final statuses are exactly those.
    assert CLOSED == {s for s in LeadStatus if not TRANSITIONS[s]}


# -- the schedules that bring a postponed lead back ------------------------------------------

LEAD = "0f5e1a2b3c4d4e5f8a9b0c1d2e3f4a5b"


def test_a_follow_up_fires_at_eight_utc_on_its_day_under_the_leads_prefix():
    assert follow_up_at(TOMORROW) == datetime(2026, 3, 15, 8, 0, tzinfo=timezone.utc)
    assert at_expression(follow_up_at(TOMORROW)) == "at(2026-03-15T08:00:00)"
    name = follow_up_schedule_name(LEAD, TOMORROW)
    assert name == f"lead-{LEAD}-back-20260315" and name.startswith(schedule_prefix(LEAD))


def test_a_returned_leads_clock_is_a_clock_of_its_own():
    def due(returned_on: date | None) -> ReminderDue:
        return ReminderDue(lead_id=LEAD, manager_id="m-olivia", attempt=1, temperature="hot", submission_id="s",
                           received_at=datetime(2026, 3, 14, tzinfo=timezone.utc), returned_on=returned_on)

    first, returned = clock_id(due(None)), clock_id(due(TOMORROW))
    assert returned != first and clock_id(due(TOMORROW + timedelta(days=7))) != returned
    # (unchanged for the first clock: clocks already running keep their identity)
    assert first == "m-olivia#"


@pytest.mark.parametrize("lead_id", [LEAD, "x" * 80])
def test_schedule_names_fit_schedulers_limit(lead_id):
    name = follow_up_schedule_name(lead_id, TOMORROW)
    assert len(name) <= 64 and re.fullmatch(r"[0-9a-zA-Z_.-]+", name)


def test_schedule_inputs_are_told_apart_by_kind():
    adapter = TypeAdapter(ScheduledDue)
    follow_up = adapter.validate_python(load_event("remind_follow_up"))
    assert isinstance(follow_up, FollowUpDue) and follow_up.follow_up_on == date(2026, 12, 7)
    # A speed-to-lead input written before `kind` existed is still a reminder.
    reminder = adapter.validate_python(load_event("remind-first-miss"))
    assert isinstance(reminder, ReminderDue) and reminder.kind == "reminder" and reminder.returned_on is None
    with pytest.raises(ValidationError):
        adapter.validate_python({**load_event("remind_follow_up"), "kind": "birthday"})
