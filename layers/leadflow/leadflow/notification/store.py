"""What notification reads and records: everything an email needs in one read, a
manager SES cannot reach, the thank-you counter per address, a farewell in the lead's
history."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from leadflow.routing.roster import Roster
from leadflow.shared.models import FormConfig, Lead, Manager, Submission
from leadflow.storage import keys
from leadflow.storage.codec import from_item
from leadflow.storage.leads import LeadReads
from leadflow.storage.table import Table


class NotificationStore(LeadReads):
    def __init__(self, table: Table) -> None:
        self.table = table
        self.roster = Roster(table)

    def get_assignment_context(self, lead_id: str, received_at: datetime, submission_id: str,
                               manager_id: str) -> tuple[Lead, Submission, Manager]:
        """Lead, submission and manager in one BatchGetItem, for the manager's email."""
        wanted = [keys.lead_key(lead_id), keys.submission_key(lead_id, received_at, submission_id),
                  keys.manager_key(manager_id)]
        found = {item["SK"]["S"]: from_item(item) for item in self.table.batch_get(wanted)}
        missing = [k["SK"] for k in wanted if k["SK"] not in found]
        if missing:
            raise LookupError(f"assignment context incomplete for lead {lead_id}: {missing}")
        return (Lead.model_validate(found[wanted[0]["SK"]]), Submission.model_validate(found[wanted[1]["SK"]]),
                Manager.model_validate(found[wanted[2]["SK"]]))

    def get_submission(self, lead_id: str, received_at: datetime, submission_id: str) -> dict[str, Any] | None:
        item = self.table.get(keys.submission_key(lead_id, received_at, submission_id))
        return from_item(item) if item else None

    def get_form(self, form_id: str) -> FormConfig | None:
        return self.table.get_model(keys.form_key(form_id), FormConfig, consistent=False)

    def get_manager(self, manager_id: str) -> Manager | None:
        return self.roster.get(manager_id)

    def set_manager_email_status(self, manager_id: str, status: str, at: datetime) -> bool:
        return self.roster.set_email_status(manager_id, status, at)

    def count_autoreply(self, address_hash: str, window_start: int, window_seconds: int, limit: int) -> bool:
        """Count a thank-you email to one address (keyed by its hash: no personal data in
        keys); False when the address had `limit` in this window."""
        return self.table.count_in_window(keys.autoreply_counter_pk(address_hash), "autoreply_counter",
                                          window_start, window_seconds, limit)
