"""A person who keeps coming back: their manager gets at most one email about them per
window (30 minutes), and when the window closes with more visits, one email that says
how many there were and what changed. Fifty posts in a minute are one lead (capture
makes sure) and, here, two emails instead of fifty.

A window opens with each email the manager gets about the lead (new lead, came back,
reassigned). A later visit in it is only noted, and puts the window among the clocks
(GSI3): remind's sweep tells the manager when the window closes. A rise to hot is always told at once: the manager must
call now, not in half an hour."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from leadflow.lifecycle.links.signing import ActionLinks, manager_links
from leadflow.lifecycle.schedules import VisitsDigestDue
from leadflow.notification.mailer import Mailer, not_taken
from leadflow.notification.render import render_assignment_email
from leadflow.notification.windows import VISITS_WINDOW, VisitsWindow, is_news, window_opened_by
from leadflow.shared.clock import utc_now
from leadflow.shared.events import LeadAssigned
from leadflow.shared.models import EMAIL_SUPPRESSED, Lead, Manager, Submission


class VisitsStore(Protocol):
    """What coalescing reads and writes (leadflow.notification.store)."""

    def claim_visits_window(self, window: VisitsWindow, now: datetime, *, force: bool) -> bool: ...

    def note_visit(self, lead_id: str, manager_id: str, submission_id: str, received_at: datetime,
                   now: datetime) -> datetime | None: ...

    def visits_window(self, lead_id: str, manager_id: str) -> VisitsWindow | None: ...

    def close_visits_window(self, window: VisitsWindow, told: LeadAssigned, window_until: datetime) -> int | None: ...

    def queue_digest(self, lead_id: str, manager_id: str, window_until: datetime, pending: int = 0) -> None: ...

    def get_assignment_context(self, lead_id: str, received_at: datetime, submission_id: str,
                               manager_id: str) -> tuple[Lead, Submission, Manager]: ...


def note_or_tell(assignment: LeadAssigned, store: VisitsStore, now: datetime) -> datetime | None:
    """None: tell the manager now (a window opens with that email); else the visit was
    noted in the open window, and the manager is told of it at the time returned."""
    window = window_opened_by(assignment, now)
    if is_news(assignment):
        store.claim_visits_window(window, now, force=True)  # news: told now, whatever the window
        return None
    if store.claim_visits_window(window, now, force=False):  # no window open: this email opens one
        return None
    until = store.note_visit(assignment.lead_id, assignment.manager_id, assignment.submission_id,
                             assignment.received_at, now)
    if until is None:  # the window closed in between: this visit opens the next one
        store.claim_visits_window(window, now, force=True)
    return until


def send_visits_digest(due: VisitsDigestDue, store: VisitsStore, mailer: Mailer, console_url: str = "",
                       links: ActionLinks | None = None, now: datetime | None = None) -> str:
    """A window closed: tell the manager how many more visits the lead made and what
    changed, in one email; returns `told`, or `nothing` (no visit since, a window already
    told, or a lead gone or moved to someone else). The next window opens with it.

    Once: the digest is taken (the next window opened) before the email, in one
    conditional update; a second sweep finds it taken. An SES error answer gives the
    visits back to the next window, whose end tells them."""
    now = now or utc_now()
    window = store.visits_window(due.lead_id, due.manager_id)
    if window is None or window.window_until != due.window_until or window.pending <= 0 \
            or window.latest_submission_id is None or window.latest_received_at is None:
        return "nothing"
    try:
        lead, submission, manager = store.get_assignment_context(
            due.lead_id, window.latest_received_at, window.latest_submission_id, due.manager_id)
    except LookupError:  # erased, or the manager removed from the roster
        return "nothing"
    if lead.manager_id != manager.manager_id or lead.score is None:
        return "nothing"
    told = LeadAssigned(lead_id=lead.lead_id, submission_id=submission.submission_id,
                        received_at=submission.received_at, manager_id=manager.manager_id,
                        form_id=submission.form_id, points=lead.score.points, temperature=lead.score.temperature,
                        is_new_lead=False, previous_temperature=window.told_temperature)
    next_until = now + VISITS_WINDOW
    noted_since = store.close_visits_window(window, told, next_until)
    if noted_since is None:
        return "nothing"
    try:
        if manager.email_status != EMAIL_SUPPRESSED:
            mailer.send(render_assignment_email(lead, submission, manager, told, console_url,
                                                manager_links(links, lead, manager, now), visits=window.pending))
    except BaseException as error:
        if not_taken(error):  # SES did not take it: the next window tells them
            store.queue_digest(lead.lead_id, manager.manager_id, next_until, pending=window.pending)
        raise
    if noted_since > 0:  # visits noted while this email was written: the next window tells them
        store.queue_digest(lead.lead_id, manager.manager_id, next_until)
    return "told"
