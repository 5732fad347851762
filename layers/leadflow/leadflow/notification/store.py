"""What notification reads and records: everything an email needs in one read, a
manager SES cannot reach, the thank-you counter per address, a farewell in the lead's
history."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from leadflow.notification.windows import VisitsWindow, digest_of, window_item
from leadflow.routing.roster import Roster
from leadflow.shared.clock import json_time
from leadflow.shared.events import LeadAssigned
from leadflow.shared.models import AssignmentNotice, FormConfig, Lead, Manager, Submission
from leadflow.storage import keys
from leadflow.storage.codec import from_item, wire
from leadflow.storage.leads import LeadReads
from leadflow.storage.table import Table
from leadflow.storage.transactions import condition_failed


class EmailDone(Exception):
    """This assignment's email was dealt with before (sent, or deliberately not): a
    duplicate delivery, nothing to do."""


class EmailInProgress(Exception):
    """Another invocation holds the claim on this assignment's email and may be sending
    it now: raise, so the event is retried after the claim runs out."""


def _claim_names(manager_id: str) -> dict[str, str]:
    # On the submission item, per manager told of it (a reassignment is news): `done`, the
    # claim for good; `claim`, the claim held for a time that came before it.
    return {"#claim": f"email_claim#{manager_id}", "#done": f"email_done#{manager_id}"}


def _claimed(at_ms: int) -> str:
    return f"claimed {at_ms}"


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

    # -- one email per assignment: a claim on the submission ----------------------------------

    def claim_assignment_email(self, lead_id: str, received_at: datetime, submission_id: str, manager_id: str,
                               now_ms: int) -> tuple[Submission, AssignmentNotice | None]:
        """Claim the email to `manager_id` about this submission for good, and read the
        submission with the notice the assignment left on it for this email (taken off
        it: the copy of contact data goes with the claim), in one UpdateItem.

        EmailDone when it was claimed before: a duplicate delivery. EmailInProgress while
        a claim of the earlier kind (held for a time) runs. LookupError: the submission
        is gone. The notice is None for assignments that leave none (a reassignment by
        an admin, say): the caller reads what it needs."""
        key = keys.submission_key(lead_id, received_at, submission_id)
        try:
            item = self.table.client.update_item(
                TableName=self.table.name, Key=wire(key), UpdateExpression="SET #done = :claimed REMOVE notice",
                ConditionExpression="attribute_exists(PK) AND attribute_not_exists(#done)"
                                    " AND (attribute_not_exists(#claim) OR #claim < :now)",
                ExpressionAttributeNames=_claim_names(manager_id),
                ExpressionAttributeValues=wire({":claimed": _claimed(now_ms), ":now": now_ms}),
                ReturnValues="ALL_OLD", ReturnValuesOnConditionCheckFailure="ALL_OLD")["Attributes"]
        except ClientError as exc:
            if not condition_failed(exc):
                raise
            old = exc.response.get("Item") or self.table.get(key)
            if not old:
                raise LookupError(f"submission {submission_id} of lead {lead_id} is gone") from exc
            if _claim_names(manager_id)["#done"] in old:
                raise EmailDone(submission_id) from exc
            raise EmailInProgress(submission_id) from exc
        found = from_item(item)
        notice = found.get("notice")
        if notice is not None and notice.get("manager", {}).get("manager_id") != manager_id:
            notice = None  # left for another manager's email (the lead moved since): not this one's
        return Submission.model_validate(found), AssignmentNotice.model_validate(notice) if notice else None

    def release_assignment_email(self, lead_id: str, received_at: datetime, submission_id: str,
                                 manager_id: str, claimed_at_ms: int) -> None:
        """Give back our claim (nothing was sent): only if it is still ours."""
        try:
            self.table.update(keys.submission_key(lead_id, received_at, submission_id), "REMOVE #done",
                              condition="#done = :mine", names={"#done": _claim_names(manager_id)["#done"]},
                              values={":mine": _claimed(claimed_at_ms)})
        except ClientError as exc:
            if not condition_failed(exc):
                raise

    def open_visits_window(self, window: VisitsWindow) -> None:
        """The window an email about news opens (an assignment that left no notice did not)."""
        self.table.put(window_item(window))

    def get_assignment_people(self, lead_id: str, manager_id: str) -> tuple[Lead, Manager]:
        """The lead and the manager in one BatchGetItem (the submission came with the claim)."""
        wanted = [keys.lead_key(lead_id), keys.manager_key(manager_id)]
        found = {item["SK"]["S"]: from_item(item) for item in self.table.batch_get(wanted)}
        missing = [k["SK"] for k in wanted if k["SK"] not in found]
        if missing:
            raise LookupError(f"assignment context incomplete for lead {lead_id}: {missing}")
        return Lead.model_validate(found[wanted[0]["SK"]]), Manager.model_validate(found[wanted[1]["SK"]])

    def get_submission(self, lead_id: str, received_at: datetime, submission_id: str) -> dict[str, Any] | None:
        item = self.table.get(keys.submission_key(lead_id, received_at, submission_id))
        return from_item(item) if item else None

    def get_form(self, form_id: str) -> FormConfig | None:
        return self.table.get_model(keys.form_key(form_id), FormConfig, consistent=False)

    def get_manager(self, manager_id: str) -> Manager | None:
        return self.roster.get(manager_id)

    def managers(self) -> list[Manager]:
        return self.roster.managers()

    def set_manager_email_status(self, manager_id: str, status: str, at: datetime) -> bool:
        return self.roster.set_email_status(manager_id, status, at)

    def count_autoreply(self, address_hash: str, window_start: int, window_seconds: int, limit: int) -> bool:
        """Count a thank-you email to one address (keyed by its hash: no personal data in
        keys); False when the address had `limit` in this window."""
        return self.table.count_in_window(keys.autoreply_counter_pk(address_hash), "autoreply_counter",
                                          window_start, window_seconds, limit)

    # -- a person who keeps coming back (leadflow.notification.visits) ----------------------
    # Compared as epoch seconds (`until_epoch`): ISO times with and without fractions do
    # not sort as text. Kept a day past the window by TTL; ids and scores only.

    def claim_visits_window(self, window: VisitsWindow, now: datetime, *, force: bool) -> bool:
        """Open a window for the lead and manager (the email about to be sent is its
        first); unless `force`d, only when no window is open. False when one is."""
        item = window_item(window)
        try:
            if force:
                self.table.put(item)
            else:
                self.table.put(item, "attribute_not_exists(PK) OR until_epoch <= :now",
                               {":now": int(now.timestamp())})
        except ClientError as exc:
            if condition_failed(exc):
                return False
            raise
        return True

    def note_visit(self, lead_id: str, manager_id: str, submission_id: str, received_at: datetime,
                   now: datetime) -> datetime | None:
        """Count a visit in the open window, which puts its digest among the clocks (due at
        its end); when the window ends (None: none is open, or one opened before windows
        carried their digest)."""
        try:
            window = self.table.update(
                keys.visits_window_key(lead_id, manager_id),
                "SET latest_submission_id = :sub, latest_received_at = :at, GSI3PK = :clocks, GSI3SK = digest_position,"
                " reminder_due = digest_due ADD pending :one",
                condition="until_epoch > :now AND attribute_exists(digest_position)", returning="ALL_NEW",
                values={":sub": submission_id, ":at": json_time(received_at), ":one": 1, ":now": int(now.timestamp()),
                        ":clocks": keys.CLOCKS})
        except ClientError as exc:
            if condition_failed(exc):
                return None
            raise
        return VisitsWindow.model_validate(from_item(window)).window_until

    def visits_window(self, lead_id: str, manager_id: str) -> VisitsWindow | None:
        return self.table.get_model(keys.visits_window_key(lead_id, manager_id), VisitsWindow)

    def close_visits_window(self, window: VisitsWindow, told: LeadAssigned, window_until: datetime) -> int | None:
        """Take the digest of `window` (told as `told`) and open the next window, to
        `window_until`, with what was noted since, out of the clocks' index: in one
        conditional update, so a digest is taken once. How many visits the next window
        holds already; None when the window was taken before (by another sweep, or a
        rise to hot that opened a new one)."""
        until = int(window_until.timestamp())
        digest = digest_of(window.model_copy(update={"window_until": window_until}))
        try:
            after = self.table.update(
                keys.visits_window_key(window.lead_id, window.manager_id),
                "SET window_until = :until, until_epoch = :epoch, told_temperature = :temperature,"
                " told_points = :points, expires_at = :expires, digest_due = :due, digest_position = :position"
                " ADD pending :told REMOVE GSI3PK, GSI3SK",
                condition="until_epoch = :was", returning="ALL_NEW",
                values={":until": json_time(window_until), ":epoch": until, ":temperature": told.temperature.value,
                        ":points": told.points, ":expires": until + 86400, ":told": -window.pending,
                        ":was": int(window.window_until.timestamp()), ":due": digest["digest_due"],
                        ":position": digest["digest_position"]})
        except ClientError as exc:
            if condition_failed(exc):
                return None
            raise
        return int(after["pending"]["N"])

    def queue_digest(self, lead_id: str, manager_id: str, window_until: datetime, pending: int = 0) -> None:
        """Put the window ending at `window_until` among the clocks, due at its end, adding
        `pending` visits to it (a digest that could not be sent gives its visits back)."""
        try:
            self.table.update(keys.visits_window_key(lead_id, manager_id),
                              "SET GSI3PK = :clocks, GSI3SK = digest_position, reminder_due = digest_due"
                              " ADD pending :pending",
                              condition="until_epoch = :epoch", values={":clocks": keys.CLOCKS, ":pending": pending,
                                                                        ":epoch": int(window_until.timestamp())})
        except ClientError as exc:
            if not condition_failed(exc):  # a rise to hot opened another window meanwhile: told there
                raise
