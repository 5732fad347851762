"""What notification reads and records: everything an email needs in one read, a
manager SES cannot reach, the thank-you counter per address, a farewell in the lead's
history."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from leadflow.lifecycle.schedules import VisitsDigestDue
from leadflow.notification.windows import VisitsWindow, noting, window_item
from leadflow.routing.roster import Roster
from leadflow.shared.clock import json_time
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
    # The scorer opens windows and notes visits in them (leadflow.routing.store); here a
    # window closes. Compared as epoch seconds (`until_epoch`): ISO times with and without
    # fractions do not sort as text. Kept a day past the window by TTL.

    def take_visits_digest(self, due: VisitsDigestDue, next_until: datetime) -> VisitsWindow | None:
        """Take the digest of the window ending at `due.window_until` and open the next
        window, to `next_until`, told at the temperature the last noted visit left the
        lead: out of the clocks' index, in one conditional update that returns the window
        as it was (its visits, and what their digest needs), so a digest is taken once.
        None when there is nothing to take: no visit noted, taken before (another sweep),
        or replaced by a newer window (news told meanwhile)."""
        until = int(next_until.timestamp())
        try:
            old = self.table.update(
                keys.visits_window_key(due.lead_id),
                "SET window_until = :until, until_epoch = :epoch, told_temperature = #n.#l.#s.#t,"
                " told_points = #n.#l.#s.#p, expires_at = :expires, pending = :none"
                " REMOVE GSI3PK, GSI3SK, reminder_due, notice, submission",
                condition="until_epoch = :was AND manager_id = :manager AND pending > :none"
                          " AND attribute_exists(#n.#l.#s)",
                returning="ALL_OLD",
                # notice.lead.score: the lead's score as the last noted visit left it.
                names={"#n": "notice", "#l": "lead", "#s": "score", "#t": "temperature", "#p": "points"},
                values={":until": json_time(next_until), ":epoch": until, ":expires": until + 86400, ":none": 0,
                        ":was": int(due.window_until.timestamp()), ":manager": due.manager_id})
        except ClientError as exc:
            if condition_failed(exc):
                return None
            raise
        return VisitsWindow.model_validate(from_item(old))

    def give_back_digest(self, taken: VisitsWindow, next_until: datetime) -> None:
        """A digest that could not be sent: its visits go to the window its taking opened
        (to `next_until`), among the clocks, due at its end. A visit noted there since is
        newer: its notice and submission stay, only the count grows. Nothing when news
        opened another window meanwhile (its email told the lead)."""
        if taken.notice is None or taken.submission is None:
            return
        next_window = taken.model_copy(update={"window_until": next_until})
        update, condition, values = noting(next_window, taken.notice, taken.submission, visits=taken.pending,
                                           keep_newer=True)
        try:
            self.table.update(keys.visits_window_key(taken.lead_id), update, condition=condition, values=values)
        except ClientError as exc:
            if not condition_failed(exc):
                raise
