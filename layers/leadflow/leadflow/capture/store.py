"""What capture reads and writes: forms, a submission stored exactly once on its lead,
the identities that recognise a returning person, the rate counter and spam."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from leadflow.shared.clock import json_time
from leadflow.shared.models import Activity, ContactCard, FormConfig, Lead, Submission
from leadflow.storage import keys
from leadflow.storage.codec import from_item, to_item, wire
from leadflow.storage.table import Table
from leadflow.storage.transactions import Cancelled, condition_failed

DOUBLE_SUBMIT_SECONDS = 10 * 60
SPAM_TTL_SECONDS = 30 * 86400
# The positions of a new lead's transaction: card, submission, double-submit marker.
_MARKER = 2


class LeadVanished(Exception):
    """An identity pointed at a lead that no longer exists; the write is retried."""


@dataclass(frozen=True)
class Recorded:
    """Where a submission was stored; `duplicate` when it (or the same post) already was."""

    submission_id: str
    lead_id: str
    is_new_lead: bool
    duplicate: bool = False
    # A duplicate's marker says whether the submission stored first made a new lead
    # (a CSV import's retried chunk counts its rows as they were first stored).
    marker_new_lead: bool | None = None


def _form_item(form: FormConfig) -> dict[str, Any]:
    return to_item({**keys.form_key(form.form_id), **keys.form_listing_keys(form.form_id)}, "form", form)


def identity_keys(contact: ContactCard) -> list[keys.Key]:
    """The person's identity items: email first, then phone (the matching order)."""
    return keys.identity_keys(contact.email, contact.phone)


class CaptureStore:
    def __init__(self, table: Table) -> None:
        self.table = table

    # -- forms -------------------------------------------------------------------------------

    def get_form(self, form_id: str, *, consistent: bool = False) -> FormConfig | None:
        """A form by id: capture's read (eventually consistent, cached), or an admin's
        (`consistent`, to edit what is there now)."""
        return self.table.get_model(keys.form_key(form_id), FormConfig, consistent=consistent)

    def put_form(self, form: FormConfig) -> None:
        """Write a form whole, listed with the others (GSI1 `FORMS`)."""
        self.table.put(_form_item(form))

    def create_form(self, form: FormConfig) -> bool:
        """Write a new form; False (nothing written) when its id is taken."""
        try:
            self.table.put(_form_item(form), "attribute_not_exists(PK)")
        except ClientError as exc:
            if condition_failed(exc):
                return False
            raise
        return True

    def list_forms(self) -> list[FormConfig]:
        """Every form, by id: one Query of GSI1's `FORMS` partition (eventually
        consistent, as every index read: a form saved a moment ago may be missing)."""
        items = self.table.query(IndexName="GSI1", KeyConditionExpression="GSI1PK = :forms",
                                 ExpressionAttributeValues=wire({":forms": keys.FORMS_LIST}))
        return [FormConfig.model_validate(from_item(i)) for i in items]

    def update_form(self, form_id: str, fields: dict[str, Any], remove: list[str]) -> FormConfig | None:
        """Change only these settings of an existing form (SET `fields`, plain JSON
        values; REMOVE `remove`) and list it (a form stored before forms were listed is
        listed from its first change on); None when there is no such form."""
        try:
            item = self.table.set_fields(keys.form_key(form_id), {**fields, **keys.form_listing_keys(form_id)},
                                         remove=remove, condition="attribute_exists(PK)")
        except ClientError as exc:
            if condition_failed(exc):
                return None
            raise
        return FormConfig.model_validate(from_item(item))

    # -- submissions -------------------------------------------------------------------------

    def record_submission(self, submission: Submission, lead: Lead, fingerprint: str | None = None, *,
                          marker_seconds: int | None = DOUBLE_SUBMIT_SECONDS) -> Recorded:
        """Store a submission exactly once, on a new lead or on the person's existing one.

        A new person's lead card, submission and identities go in one transaction whose
        identity writes are conditional, so two concurrent first posts by one person
        cannot make two leads: the loser is attached to the winner's lead. One call for
        a new lead; a returning person costs a lookup and a second transaction.

        The submission item is written only if absent and a double-submit marker
        (`fingerprint`, kept 10 minutes) only if absent or expired, so replaying the same
        submission (the fallback queue, a retry after a timeout) or the same post (a
        double click) never stores anything twice. `marker_seconds` None: a marker that
        never expires (a CSV import's row: importing the same file again stores nothing)."""
        card_keys = {**keys.lead_key(lead.lead_id), **keys.lead_created_keys(lead.lead_id, lead.created_at)}
        items = [
            self.table.put_op(to_item(card_keys, "lead", lead), "attribute_not_exists(PK)"),
            self._put_submission(submission),
        ]
        if fingerprint:
            items.append(self._put_double_submit_marker(fingerprint, submission, marker_seconds))
        items += [self._put_identity(key, lead.lead_id, submission.received_at) for key in identity_keys(lead.contact)]
        try:
            self.table.transact(items)
            return Recorded(submission_id=submission.submission_id, lead_id=lead.lead_id, is_new_lead=True)
        except Cancelled as cancelled:
            if cancelled.conflict:  # not a condition: the storage failed, the caller's fallback takes it
                raise cancelled.error from None
            if fingerprint and cancelled.failed(_MARKER):
                return self._earlier_double_submit(fingerprint)
        return self._attach(submission, lead.contact, fingerprint, marker_seconds)

    def _put_submission(self, submission: Submission) -> dict[str, Any]:
        key = keys.submission_key(submission.lead_id, submission.received_at, submission.submission_id)
        return self.table.put_op(to_item(key, "submission", submission), "attribute_not_exists(PK)")

    def _put_identity(self, key: keys.Key, lead_id: str, now: datetime) -> dict[str, Any]:
        return self.table.put_op(to_item(key, "identity", lead_id=lead_id, created_at=json_time(now)),
                                 "attribute_not_exists(PK)")

    def _put_double_submit_marker(self, fingerprint: str, submission: Submission,
                                  marker_seconds: int | None = DOUBLE_SUBMIT_SECONDS) -> dict[str, Any]:
        now = int(submission.received_at.timestamp())
        expiry = {} if marker_seconds is None else {"expires_at": now + marker_seconds}
        item = to_item(keys.double_submit_key(fingerprint), "double_submit", submission_id=submission.submission_id,
                       lead_id=submission.lead_id, is_new_lead=submission.is_new_lead, **expiry)
        # TTL deletes lazily: an expired marker still in the table does not count.
        return self.table.put_op(item, "attribute_not_exists(PK) OR expires_at < :now", {":now": now})

    def _earlier_double_submit(self, fingerprint: str) -> Recorded:
        item = self.table.get(keys.double_submit_key(fingerprint))
        if item is None:  # expired and removed in between: the caller retries
            raise LeadVanished(fingerprint)
        marker = from_item(item)
        return Recorded(submission_id=marker["submission_id"], lead_id=marker["lead_id"], is_new_lead=False,
                        duplicate=True, marker_new_lead=marker.get("is_new_lead"))

    def _attach(self, submission: Submission, contact: ContactCard, fingerprint: str | None,
                marker_seconds: int | None = DOUBLE_SUBMIT_SECONDS) -> Recorded:
        """Attach a returning person's submission to their lead (matched by email, then
        phone). An identity this lead lacks is added; one that belongs to another lead is
        recorded as a possible duplicate for a person to look at."""
        owners = self.find_lead_ids(contact)
        person = identity_keys(contact)
        lead_id = next((owners[k["PK"]] for k in person if k["PK"] in owners), None)
        if lead_id is None:
            raise LeadVanished(submission.lead_id)
        returning = submission.model_copy(update={"lead_id": lead_id, "is_new_lead": False})
        values: dict[str, Any] = {":seen": json_time(returning.received_at), ":one": 1}
        update = "SET last_seen_at = :seen"
        if returning.interest:
            update += ", latest_interest = :interest"
            values[":interest"] = returning.interest
        items: list[dict[str, Any]] = [
            self._put_submission(returning),
            # An erased lead takes no more posts: its identities are gone with the
            # person, so the retry (LeadVanished) makes the returning person a new lead.
            self.table.update_op(keys.lead_key(lead_id), update + " ADD submission_count :one",
                                 condition="attribute_exists(PK) AND attribute_not_exists(erased_at)", values=values),
        ]
        if fingerprint:
            items.append(self._put_double_submit_marker(fingerprint, returning, marker_seconds))
        for key in person:
            other = owners.get(key["PK"])
            if other is None:
                items.append(self._put_identity(key, lead_id, returning.received_at))
            elif other != lead_id:
                items.append(self.table.activity_op(Activity(
                    activity_id=uuid.uuid4().hex, lead_id=lead_id, at=returning.received_at, kind="possible_duplicate",
                    detail={"other_lead_id": other, "matched_by": key["PK"].split("#")[1].lower(),
                            "submission_id": returning.submission_id})))
        try:
            self.table.transact(items)
            return Recorded(submission_id=returning.submission_id, lead_id=lead_id, is_new_lead=False)
        except Cancelled as cancelled:
            if cancelled.conflict:
                raise cancelled.error from None
            if cancelled.failed(0):  # this very submission is stored already
                return Recorded(submission_id=returning.submission_id, lead_id=lead_id, is_new_lead=False,
                                duplicate=True)
            if fingerprint and cancelled.failed(_MARKER):
                return self._earlier_double_submit(fingerprint)
        raise LeadVanished(lead_id)  # the lead or an identity changed under us: retried

    def find_lead_ids(self, contact: ContactCard) -> dict[str, str]:
        """Identity key (PK) → lead id, for the person's email and phone that are known."""
        person = identity_keys(contact)
        if not person:
            return {}
        return {i["PK"]["S"]: i["lead_id"]["S"] for i in self.table.batch_get(person)}

    def find_lead_id(self, contact: ContactCard) -> str | None:
        """The lead a person already has: matched by email, then by phone."""
        owners = self.find_lead_ids(contact)
        return next((owners[k["PK"]] for k in identity_keys(contact) if k["PK"] in owners), None)

    # -- bots and bursts ---------------------------------------------------------------------

    def count_post(self, form_id: str, client_key: str, window_start: int, window_seconds: int,
                   limit: int) -> bool:
        """Count a post against a client's limit for this form and window; False when the
        limit is reached."""
        return self.table.count_in_window(keys.rate_counter_pk(form_id, client_key), "rate_counter", window_start,
                                          window_seconds, limit)

    def store_spam(self, form_id: str, received_at: datetime, reason: str, fields: dict[str, str]) -> str:
        """Keep a bot's post for 30 days (to check the filter), outside any lead."""
        spam_id = uuid.uuid4().hex
        self.table.put(to_item(
            keys.spam_key(form_id, received_at, spam_id), "spam",
            form_id=form_id, received_at=received_at.isoformat(), reason=reason,
            fields={k[:100]: v[:1000] for k, v in list(fields.items())[:50]},
            expires_at=int(received_at.timestamp()) + SPAM_TTL_SECONDS,
        ))
        return spam_id
