"""A lead's window of news with its manager (leadflow.notification.visits): what opens one,
how it is stored, and how a visit is noted in it. Apart from the coalescing itself, so
the assignment that makes the news, or notes the visit, writes the window in the
transaction it makes anyway (leadflow.routing.store), without loading the mail machinery."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel

from leadflow.lifecycle.schedules import VisitsDigestDue
from leadflow.shared.events import LeadAssigned
from leadflow.shared.models import AssignmentNotice, Submission, Temperature
from leadflow.storage import keys
from leadflow.storage.codec import to_item

VISITS_WINDOW = timedelta(minutes=30)


class VisitsWindow(BaseModel):
    """A lead's window with the manager who holds it (`LEAD#<lead>` / `VISITS`): until
    when visits are only noted, what the manager was last told, and what came since.

    A noted visit leaves on it what its digest needs (`notice`: the lead and the manager
    as the visit's assignment wrote them; `submission`: the latest visit), so the digest
    reads nothing; the digest takes them off (leadflow.notification.store)."""

    lead_id: str
    manager_id: str
    window_until: datetime
    told_temperature: Temperature
    told_points: int
    pending: int = 0
    notice: AssignmentNotice | None = None
    submission: Submission | None = None

    def is_open_for(self, manager_id: str, now: datetime) -> bool:
        return self.manager_id == manager_id and self.window_until > now


def opens_window(is_new_lead: bool, reassigned_from: str | None, temperature: Temperature,
                 previous_temperature: Temperature | None) -> bool:
    """News, told now whatever the window (and opening the next): a new lead, a
    reassignment, a rise to hot."""
    return is_new_lead or reassigned_from is not None or (
        temperature == Temperature.HOT and previous_temperature != Temperature.HOT)


def is_news(assignment: LeadAssigned) -> bool:
    return opens_window(assignment.is_new_lead, assignment.reassigned_from, assignment.temperature,
                        assignment.previous_temperature)


def window_opened(lead_id: str, manager_id: str, temperature: Temperature, points: int,
                  now: datetime) -> VisitsWindow:
    """The window an email telling the manager of the lead at `temperature` opens `now`."""
    return VisitsWindow(lead_id=lead_id, manager_id=manager_id, window_until=now + VISITS_WINDOW,
                        told_temperature=temperature, told_points=points)


def window_opened_by(assignment: LeadAssigned, now: datetime) -> VisitsWindow:
    """The window the email about `assignment` opens."""
    return window_opened(assignment.lead_id, assignment.manager_id, assignment.temperature, assignment.points, now)


def window_item(window: VisitsWindow) -> dict[str, Any]:
    """The window as stored: compared as epoch seconds (`until_epoch`: ISO times with and
    without fractions do not sort as text), kept a day past its end by TTL. Written whole:
    a new window replaces the last one (and any digest it still had: the email that
    opens it tells the lead's news)."""
    until = int(window.window_until.timestamp())
    return to_item(keys.visits_window_key(window.lead_id), "visits_window", window, until_epoch=until,
                   expires_at=until + 86400)


def digest_due(window: VisitsWindow) -> VisitsDigestDue:
    return VisitsDigestDue(lead_id=window.lead_id, manager_id=window.manager_id, window_until=window.window_until)


def noting(window: VisitsWindow, notice: AssignmentNotice, submission: Submission, *, visits: int = 1,
           keep_newer: bool = False) -> tuple[str, str, dict[str, Any]]:
    """The update (expression, condition, values) that notes `visits` in the open
    `window` as read: the count, what their digest needs (the latest visit's; with
    `keep_newer`, only where no visit noted since left its own), and the window among the
    clocks (GSI3), due at its end. On condition the window is still the one read, so a
    digest taken meanwhile (a new window) makes the writer decide again."""
    latest = {"notice": ":notice", "submission": ":submission"}
    sets = ["pending = pending + :visits"]
    sets += [f"{name} = if_not_exists({name}, {value})" if keep_newer else f"{name} = {value}"
             for name, value in latest.items()]
    sets += ["GSI3PK = :clocks", "GSI3SK = :position", "reminder_due = :due"]
    return ("SET " + ", ".join(sets), "until_epoch = :until AND manager_id = :manager",
            {":visits": visits, ":notice": notice.model_dump(mode="json", exclude_none=True),
             ":submission": submission.model_dump(mode="json", exclude_none=True), ":clocks": keys.CLOCKS,
             ":position": keys.clock_position(window.window_until, window.lead_id),
             ":due": digest_due(window).model_dump(mode="json"),
             ":until": int(window.window_until.timestamp()), ":manager": window.manager_id})
