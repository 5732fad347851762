"""The visitor's thank-you email (a form's `autoresponder`): no open relay, at most a
few a day per address."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from leadflow.notification.mailer import Mailer
from leadflow.notification.render import render_autoresponder_email
from leadflow.shared.clock import utc_now
from leadflow.shared.events import LeadScored
from leadflow.shared.hashing import PersonalDataHasher, Purpose
from leadflow.shared.models import FormConfig

AUTOREPLY_WINDOW_SECONDS = 86400
AUTOREPLY_PER_ADDRESS = 3  # thank-you emails per address and day, however many posts


class AutoresponderStore(Protocol):
    """What the thank-you reads and counts (leadflow.notification.store)."""

    def get_form(self, form_id: str) -> FormConfig | None: ...

    def get_submission(self, lead_id: str, received_at: datetime, submission_id: str) -> dict[str, Any] | None: ...

    def count_autoreply(self, address_hash: str, window_start: int, window_seconds: int, limit: int) -> bool: ...


def address_key(address: str, hasher: PersonalDataHasher) -> str:
    """The thank-you counter's key for an email address: keyed-hashed, it does not
    reveal the address (privacy's erasure finds the counters by it too)."""
    return hasher.hex(Purpose.AUTOREPLY_ADDRESS, address.strip().lower(), 32)


def send_autoresponse(scored: LeadScored, store: AutoresponderStore, mailer: Mailer, hasher: PersonalDataHasher,
                      now: datetime | None = None, per_address: int = AUTOREPLY_PER_ADDRESS) -> str:
    """Thank the visitor by email when their form asks for it; returns what happened:
    `off`, `no_email`, `rate_limited` or `sent`.

    No open relay: sender, subject and body come from the deployment and the form; the
    visitor chooses only the recipient, and one address gets at most `per_address` a day."""
    form = store.get_form(scored.form_id)
    if form is None or not form.autoresponder:
        return "off"
    stored = store.get_submission(scored.lead_id, scored.received_at, scored.submission_id)
    address = ((stored or {}).get("contact") or {}).get("email")
    if not address:
        return "no_email"
    now = now or utc_now()
    window = int(now.timestamp()) // AUTOREPLY_WINDOW_SECONDS * AUTOREPLY_WINDOW_SECONDS
    if not store.count_autoreply(address_key(address, hasher), window, AUTOREPLY_WINDOW_SECONDS, per_address):
        return "rate_limited"
    mailer.send(render_autoresponder_email(form, address))
    return "sent"
