"""The one email a manager gets about a CSV import: their new leads from it, hottest
first, in their language (instead of one email per imported lead)."""

from __future__ import annotations

import logging
from typing import Any

from leadflow.notification.mailer import Mailer, MailRejected
from leadflow.notification.render import render_import_summary_email
from leadflow.shared.models import EMAIL_SUPPRESSED, FormConfig, Lead

logger = logging.getLogger(__name__)


class ImportSummaries:
    """Sends an import's summary to one manager (leadflow.capture.importing.service.SummarySender)."""

    def __init__(self, managers: Any, mailer: Mailer, console_url: str = "") -> None:
        self.managers = managers  # leadflow.routing.roster.Roster: get(manager_id)
        self.mailer = mailer
        self.console_url = console_url

    def __call__(self, record: Any, form: FormConfig | None, manager_id: str, leads: list[Lead]) -> None:
        manager = self.managers.get(manager_id)
        if manager is None or manager.email_status == EMAIL_SUPPRESSED:
            # Gone, or SES cannot reach them (the admins were told then): the leads are in their queue.
            logger.warning("import summary not sent", extra={"import_id": record.import_id, "manager_id": manager_id})
            return
        form_name = form.name if form and form.name else record.form_id
        try:
            self.mailer.send(render_import_summary_email(manager, form_name, leads, self.console_url))
        except MailRejected as error:
            # No retry can fix it (the SES sandbox: an unverified address), and the other
            # managers' summaries must still go: the leads are in this manager's queue.
            logger.error(f"SES rejected an import summary ({error.code}); verify the manager's address in SES",
                         extra={"import_id": record.import_id, "manager_id": manager_id})
