"""Where a lead may go from each status, and what a change must carry (a reason to
reject, a day to postpone): the rules of the lifecycle, with no storage in sight."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from types import MappingProxyType

from leadflow.shared.clock import utc_now
from leadflow.shared.models import LeadStatus, RejectionReason

S = LeadStatus
# Where a lead may go from each status; converted and rejected are final.
TRANSITIONS: Mapping[LeadStatus, frozenset[LeadStatus]] = MappingProxyType({
    S.NEW: frozenset({S.ASSIGNED}),
    S.UNASSIGNED: frozenset({S.ASSIGNED}),
    S.ASSIGNED: frozenset({S.CONTACTED, S.REJECTED, S.POSTPONED}),
    S.CONTACTED: frozenset({S.QUALIFIED, S.REJECTED, S.POSTPONED}),
    S.QUALIFIED: frozenset({S.CONVERTED, S.REJECTED, S.POSTPONED}),
    S.POSTPONED: frozenset({S.ASSIGNED}),  # back to its manager, on the follow-up date
    S.CONVERTED: frozenset(),
    S.REJECTED: frozenset(),
})

MAX_NOTE_LENGTH = 2000


class LeadNotFound(LookupError):
    """No lead with this id (the API answers 404)."""


class TransitionNotAllowed(Exception):
    """The lead cannot go to `to_status` from where it is now (the API answers 409,
    naming `allowed`). Also what the loser of two concurrent changes gets."""

    def __init__(self, lead_id: str, current: LeadStatus, to_status: LeadStatus) -> None:
        self.lead_id = lead_id
        self.current = current
        self.to_status = to_status
        self.allowed: tuple[LeadStatus, ...] = allowed_next(current)
        super().__init__(transition_message(current, to_status, self.allowed))


def transition_message(current: LeadStatus, to_status: LeadStatus, allowed: tuple[LeadStatus, ...]) -> str:
    """What a manager reads when a change is refused: where the lead is, and where it can go."""
    if not allowed:
        return f"This lead is {current.value}; it cannot change any more."
    if current == to_status:
        return f"This lead is {current.value} already."
    return (f"This lead is {current.value}; it cannot be marked {to_status.value}. "
            f"It can be marked {_either(allowed)}.")


def _either(statuses: tuple[LeadStatus, ...]) -> str:
    names = [s.value for s in statuses]
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"


class InvalidChange(ValueError):
    """A change missing what it needs (a reason, a date) or carrying what it must not;
    `code` is stable for the API's 400 (e.g. reason_required, follow_up_required)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def allowed_next(status: LeadStatus) -> tuple[LeadStatus, ...]:
    """The statuses a lead in `status` may move to, in a stable order (for messages)."""
    return tuple(sorted(TRANSITIONS.get(status, frozenset())))


def check_change(current: LeadStatus, to_status: LeadStatus, *, reason: str | None = None,
                 follow_up_on: date | None = None, note: str | None = None,
                 today: date | None = None, lead_id: str = "", farewell: bool = False) -> RejectionReason | None:
    """Whether a lead in `current` may go to `to_status` with these details; returns the
    rejection reason (for `rejected`). Raises TransitionNotAllowed or InvalidChange."""
    if to_status not in TRANSITIONS.get(current, frozenset()):
        raise TransitionNotAllowed(lead_id, current, to_status)
    check_note(note)
    code: RejectionReason | None = None
    if to_status == S.REJECTED:
        if not reason:
            raise InvalidChange("reason_required", "a rejected lead needs a reason: "
                                + ", ".join(r.value for r in RejectionReason))
        try:
            code = RejectionReason(reason)
        except ValueError:
            raise InvalidChange("reason_unknown", f"unknown reason {reason!r}: use one of "
                                + ", ".join(r.value for r in RejectionReason)) from None
    elif reason:
        raise InvalidChange("reason_not_expected", "a reason is only given when rejecting a lead")
    elif farewell:
        raise InvalidChange("farewell_not_expected", "a farewell email is only sent when rejecting a lead")
    if to_status == S.POSTPONED:
        if follow_up_on is None:
            raise InvalidChange("follow_up_required", "a postponed lead needs a follow-up date")
        if follow_up_on <= (today or utc_now().date()):
            raise InvalidChange("follow_up_not_in_future", "the follow-up date must be after today")
    elif follow_up_on is not None:
        raise InvalidChange("follow_up_not_expected", "a follow-up date is only given when postponing a lead")
    return code


def check_note(note: str | None) -> None:
    if note is not None and len(note) > MAX_NOTE_LENGTH:
        raise InvalidChange("note_too_long", f"a note has at most {MAX_NOTE_LENGTH} characters")
