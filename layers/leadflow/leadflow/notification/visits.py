"""A person who keeps coming back: their manager gets at most one email about them per
window (30 minutes), and when the window closes with more visits, one email that says
how many there were and what changed. Fifty posts in a minute are one lead (capture
makes sure) and, here, two emails instead of fifty.

A window opens with each email the manager gets about the lead (new lead, came back,
reassigned, a rise to hot). The scorer decides, in the write that assigns the visit
(leadflow.routing.service): news, or a visit after the window closed, is told now and
opens the next window; a visit within the open window is only noted in it, with what
its digest needs, and puts the window among the clocks (GSI3). Remind's sweep tells the
manager when the window closes: one update that takes the digest and opens the next
window, and the email. A rise to hot is always told at once: the manager must call
now, not in half an hour."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from leadflow.lifecycle.links.signing import ActionLinks, manager_links
from leadflow.lifecycle.schedules import VisitsDigestDue
from leadflow.notification.mailer import Mailer, not_taken
from leadflow.notification.render import render_assignment_email
from leadflow.notification.windows import VISITS_WINDOW, VisitsWindow
from leadflow.shared.clock import utc_now
from leadflow.shared.events import LeadAssigned
from leadflow.shared.models import EMAIL_SUPPRESSED


class VisitsStore(Protocol):
    """What closing a window reads and writes (leadflow.notification.store)."""

    def take_visits_digest(self, due: VisitsDigestDue, next_until: datetime) -> VisitsWindow | None: ...

    def give_back_digest(self, taken: VisitsWindow, next_until: datetime) -> None: ...


def send_visits_digest(due: VisitsDigestDue, store: VisitsStore, mailer: Mailer, console_url: str = "",
                       links: ActionLinks | None = None, now: datetime | None = None) -> str:
    """A window closed: tell the manager how many more visits the lead made and what
    changed, in one email; returns `told`, or `nothing` (no visit since, a window already
    told, or replaced by news told meanwhile). The next window opens with it.

    Once: the digest is taken (the next window opened) before the email, in one
    conditional update that returns what the email needs (left by the visits noted); a
    second sweep finds it taken. A failure before SES took the email gives the visits
    back to the next window, whose end tells them."""
    now = now or utc_now()
    next_until = now + VISITS_WINDOW
    taken = store.take_visits_digest(due, next_until)
    if taken is None or taken.notice is None or taken.submission is None:
        return "nothing"
    lead, manager, submission = taken.notice.lead, taken.notice.manager, taken.submission
    if lead.score is None:  # never so: the condition asked for it
        return "nothing"
    told = LeadAssigned(lead_id=lead.lead_id, submission_id=submission.submission_id,
                        received_at=submission.received_at, manager_id=manager.manager_id,
                        form_id=submission.form_id, points=lead.score.points, temperature=lead.score.temperature,
                        is_new_lead=False, previous_temperature=taken.told_temperature)
    handed_over = False
    try:
        if manager.email_status != EMAIL_SUPPRESSED:
            email = render_assignment_email(lead, submission, manager, told, console_url,
                                            manager_links(links, lead, manager, now), visits=taken.pending)
            handed_over = True
            mailer.send(email)
    except BaseException as error:
        if not handed_over or not_taken(error):  # nothing went out: the next window tells them
            store.give_back_digest(taken, next_until)
        raise
    return "told"
