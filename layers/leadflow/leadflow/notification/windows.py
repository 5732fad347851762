"""A manager's window on a lead (leadflow.notification.visits): what opens one and how it
is stored. Apart from the coalescing itself, so the assignment that makes the news can
open the window in the transaction it writes anyway (leadflow.routing.store), without
loading the mail machinery."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel

from leadflow.lifecycle.schedules import VisitsDigestDue
from leadflow.shared.events import LeadAssigned
from leadflow.shared.models import Temperature
from leadflow.storage import keys
from leadflow.storage.codec import to_item

VISITS_WINDOW = timedelta(minutes=30)


class VisitsWindow(BaseModel):
    """A lead's window with one manager (`VISITS#<lead>#<manager>`): until when visits
    are only noted, what the manager was last told, and what came since. Ids only."""

    lead_id: str
    manager_id: str
    window_until: datetime
    told_temperature: Temperature
    told_points: int
    pending: int = 0
    latest_submission_id: str | None = None
    latest_received_at: datetime | None = None


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
    without fractions do not sort as text), kept a day past its end by TTL, with its
    digest ready (`digest_due`, `digest_position`): the first visit noted in it puts it
    in the clocks' index (GSI3), for the sweep to tell at its end."""
    until = int(window.window_until.timestamp())
    return to_item(keys.visits_window_key(window.lead_id, window.manager_id), "visits_window", window,
                   until_epoch=until, expires_at=until + 86400, **digest_of(window))


def digest_of(window: VisitsWindow) -> dict[str, Any]:
    """The digest a window's visits are told by, and its place among the clocks."""
    due = VisitsDigestDue(lead_id=window.lead_id, manager_id=window.manager_id, window_until=window.window_until)
    return {"digest_due": due.model_dump(mode="json"),
            "digest_position": keys.clock_position(window.window_until, window.lead_id)}
