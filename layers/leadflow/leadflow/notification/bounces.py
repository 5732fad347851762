"""A manager's address that cannot receive email, as SES reports it: a hard bounce or a
complaint, published by the stack's configuration set to EventBridge (the rule passes
only emails whose `audience` tag is `manager`; leadflow.notification.mailer tags them).

The manager is marked (`email_status` "suppressed": no more emails, their leads
escalate when the reminder finds them uncalled, reassignment skips them) and the admins
are told, once per manager. Replaces asking SES's suppression list before every email."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

from leadflow.notification.mailer import Mailer, MailRejected
from leadflow.notification.render import render_admin_alert
from leadflow.shared.clock import utc_now
from leadflow.shared.models import EMAIL_SUPPRESSED, Manager

logger = logging.getLogger(__name__)

# The detail-types SES gives the events of a configuration set's EventBridge destination.
EMAIL_BOUNCED = "Email Bounced"
EMAIL_COMPLAINT = "Email Complaint Received"


class _Recipient(BaseModel):
    model_config = ConfigDict(extra="ignore")

    email_address: str = Field(alias="emailAddress")


class _Bounce(BaseModel):
    model_config = ConfigDict(extra="ignore")

    # Permanent: the address does not exist or refuses us for good. Transient and
    # Undetermined (a full mailbox, a message too large) say nothing about the address.
    bounce_type: str = Field(alias="bounceType")
    recipients: list[_Recipient] = Field(alias="bouncedRecipients", default_factory=list)


class _Complaint(BaseModel):
    model_config = ConfigDict(extra="ignore")

    recipients: list[_Recipient] = Field(alias="complainedRecipients", default_factory=list)


class _Mail(BaseModel):
    model_config = ConfigDict(extra="ignore")

    message_id: str = Field(alias="messageId")


class MailFeedback(BaseModel):
    """The `detail` of an SES bounce or complaint event (only what is used here)."""

    model_config = ConfigDict(extra="ignore")

    event_type: Literal["Bounce", "Complaint"] = Field(alias="eventType")
    mail: _Mail
    bounce: _Bounce | None = None
    complaint: _Complaint | None = None

    def unreachable(self) -> set[str]:
        """The addresses this event says we must stop mailing (lower-cased)."""
        if self.complaint is not None:
            recipients = self.complaint.recipients
        elif self.bounce is not None and self.bounce.bounce_type == "Permanent":
            recipients = self.bounce.recipients
        else:
            recipients = []
        return {r.email_address.strip().lower() for r in recipients}


class BounceStore(Protocol):
    """What marking an address reads and writes (leadflow.notification.store)."""

    def managers(self) -> list[Manager]: ...

    def set_manager_email_status(self, manager_id: str, status: str, at: datetime) -> bool: ...


def mark_unreachable(feedback: MailFeedback, store: BounceStore, mailer: Mailer, admin_email: str = "",
                     now: datetime | None = None) -> list[str]:
    """Mark the managers whose address the event names; returns their ids (those marked
    now, not those marked before).

    The admins are told before the mark is written: if the alert fails, the retry finds
    the manager unmarked and tells them again, so the alert is sent at least once."""
    now = now or utc_now()
    addresses = feedback.unreachable()
    marked: list[str] = []
    for manager in store.managers():
        if manager.email.strip().lower() not in addresses or manager.email_status == EMAIL_SUPPRESSED:
            continue
        if admin_email:
            _tell_admins(admin_email, manager, feedback, mailer)
        if store.set_manager_email_status(manager.manager_id, EMAIL_SUPPRESSED, now):
            marked.append(manager.manager_id)
    return marked


def _tell_admins(admin_email: str, manager: Manager, feedback: MailFeedback, mailer: Mailer) -> None:
    what = "complained about our email (marked it as spam)" if feedback.event_type == "Complaint" \
        else "bounced for good"
    try:
        mailer.send(render_admin_alert(
            admin_email, f"Manager {manager.name} cannot receive email",
            [f"The address of manager {manager.manager_id} ({manager.name}) {what}. They get no more lead "
             "emails; their uncalled leads escalate to you when their reminder comes due.",
             "Fix their address on the roster and remove the mark (email_status); if SES put the address "
             "on the account's suppression list, remove it there once it works again."]))
    except MailRejected as error:
        # The admins' own address refused (in the SES sandbox, unverified): the mark
        # matters more than the alert, and a retry would be refused again.
        logger.warning(f"SES rejected the admin alert ({error.code})", extra={"manager_id": manager.manager_id})
