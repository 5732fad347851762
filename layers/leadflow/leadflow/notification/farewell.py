"""A rejected lead's goodbye, when their manager chose to send one: in the person's
language, with a short questionnaire behind a signed link."""

from __future__ import annotations

import logging
import uuid
from datetime import datetime
from typing import Protocol

from leadflow.lifecycle.links.signing import ActionLinks
from leadflow.notification.mailer import Mailer
from leadflow.notification.render import render_farewell_email
from leadflow.shared.clock import utc_now
from leadflow.shared.events import LeadStatusChanged
from leadflow.shared.models import Activity, FormConfig, Lead, LeadStatus, Manager, Submission
from leadflow.shared.secrets import KeyUnavailable

logger = logging.getLogger(__name__)


class FarewellStore(Protocol):
    """What the farewell reads and records (leadflow.notification.store)."""

    def get_lead(self, lead_id: str) -> Lead | None: ...

    def latest_submission(self, lead_id: str) -> Submission | None: ...

    def get_form(self, form_id: str) -> FormConfig | None: ...

    def get_manager(self, manager_id: str) -> Manager | None: ...

    def add_lead_activity(self, activity: Activity) -> bool: ...


def send_farewell(changed: LeadStatusChanged, store: FarewellStore, mailer: Mailer,
                  links: ActionLinks | None = None, now: datetime | None = None) -> str:
    """Say goodbye to a rejected lead whose manager chose to, in the lead's language,
    with the questionnaire link; returns what happened: `not_rejected` (the lead is not,
    or no longer exists), `no_email` or `sent`.

    The recipient is the lead's own address and nothing they typed is in the email. An
    address that bounced or complained before gets nothing: SES's account-level
    suppression list drops it (without counting it against the bounce rate)."""
    now = now or utc_now()
    lead = store.get_lead(changed.lead_id)
    if not changed.farewell or lead is None or lead.status != LeadStatus.REJECTED:
        return "not_rejected"
    if not lead.contact.email:
        return "no_email"
    latest = store.latest_submission(lead.lead_id)
    form = store.get_form(lead.source.form_id)
    # The person's language: that of the form they last posted (their lead's first, else).
    language = latest.language if latest else (form.language if form else "en")
    manager = store.get_manager(lead.manager_id) if lead.manager_id else None
    feedback_url = ""
    if links is not None:
        try:
            feedback_url = links.feedback(lead.lead_id, now)
        except KeyUnavailable as error:
            logger.warning("questionnaire link left out of the farewell: %s", error, extra={"lead_id": lead.lead_id})
    mailer.send(render_farewell_email(lead.contact.email, language, feedback_url, form, manager))
    # In the lead's history, for the manager. Best effort: failing here after the email
    # went would make the retry send it twice.
    try:
        store.add_lead_activity(Activity(activity_id=uuid.uuid4().hex, lead_id=lead.lead_id, at=now,
                                              kind="farewell_sent", detail={"by": changed.by, "language": language}))
    except Exception:  # noqa: BLE001 - see above
        logger.warning("farewell sent, not recorded in the lead's history", extra={"lead_id": lead.lead_id})
    return "sent"
