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
# The positions of a new lead's transaction: card, submission, double-submit marker;
# a returning person's: submission, lead card, marker. The rate counter comes last.
_MARKER = 2


class LeadVanished(Exception):
    """An identity pointed at a lead that no longer exists; the write is retried."""


@dataclass(frozen=True)
class RateLimit:
    """A post counted against its client's limit for one form and window: an item of the
    transaction that stores the post, so a refused post stores nothing and a stored one
    is counted, in one call."""

    form_id: str
    client_key: str  # keyed hash of the client's IP: no personal data in the counter
    window_start: int
    window_seconds: int
    limit: int


@dataclass(frozen=True)
class UsedChallenge:
    """A proof-of-work challenge a post solved: written with the post, on condition it was
    never written before, so one solution stores one post. Kept by TTL until the
    challenge expires (after that its signature is refused anyway)."""

    challenge: str  # the challenge's hash (altcha's `challenge`): no personal data
    expires_at: int


class ChallengeReused(Exception):
    """The post's challenge was already used by another post: nothing was written."""


class FormCapped(Exception):
    """The form took its cap of posts from all IPs in this window: nothing was written."""

    def __init__(self, cap: RateLimit) -> None:
        super().__init__(cap.form_id)
        self.cap = cap


@dataclass(frozen=True)
class _Tail:
    """Where the guards of a submission's transaction are: the used challenge, the form's
    cap and the client's rate counter, after the items that store it (in that order)."""

    challenge: int | None = None
    cap: int | None = None
    rate: int | None = None


class RateLimited(Exception):
    """The client reached the form's limit for this window: the transaction was cancelled
    by the counter's condition, nothing was written."""

    def __init__(self, rate: RateLimit) -> None:
        super().__init__(rate.form_id)
        self.rate = rate


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
                          marker_seconds: int | None = DOUBLE_SUBMIT_SECONDS,
                          rate: RateLimit | None = None, cap: RateLimit | None = None,
                          challenge: UsedChallenge | None = None) -> Recorded:
        """Store a submission exactly once, on a new lead or on the person's existing one.

        A new person's lead card, submission and identities go in one transaction whose
        identity writes are conditional, so two concurrent first posts by one person
        cannot make two leads: the loser is attached to the winner's lead. One call for
        a new lead; a returning person costs a second transaction (the refused identity
        writes return the items they found, which say whose lead it is: no lookup).

        The submission item is written only if absent and a double-submit marker
        (`fingerprint`, kept 10 minutes) only if absent or expired, so replaying the same
        submission (the fallback queue, a retry after a timeout) or the same post (a
        double click) never stores anything twice. `marker_seconds` None: a marker that
        never expires (a CSV import's row: importing the same file again stores nothing).

        With `rate`, the client's counter for the window is one more item of the
        transaction, on condition it is under the limit: RateLimited (nothing written)
        when it is not. A post cancelled for another reason (a duplicate) is not counted.
        `cap` is the form's counter of all IPs' posts, the same way (FormCapped); and
        `challenge` the proof of work it solved, written only if never written
        (ChallengeReused), so the guards cost no call of their own."""
        card_keys = {**keys.lead_key(lead.lead_id), **keys.lead_created_keys(lead.lead_id, lead.created_at)}
        items = [
            self.table.put_op(to_item(card_keys, "lead", lead), "attribute_not_exists(PK)"),
            self._put_submission(submission),
        ]
        if fingerprint:
            items.append(self._put_double_submit_marker(fingerprint, submission, marker_seconds))
        person = identity_keys(lead.contact)
        first_identity = len(items)
        items += [_returning_old(self._put_identity(key, lead.lead_id, submission.received_at)) for key in person]
        # The first entry of the lead's history, in the same write: how it arrived.
        items.append(self.table.activity_op(Activity(
            activity_id=uuid.uuid4().hex, lead_id=lead.lead_id, at=submission.received_at, kind="received",
            detail={"form": submission.form_id, "channel": submission.source.channel.value})))
        tail = self._guard_in(items, rate, cap, challenge)
        try:
            self.table.transact(items)
            return Recorded(submission_id=submission.submission_id, lead_id=lead.lead_id, is_new_lead=True)
        except Cancelled as cancelled:
            _refused_for_storage_or_rate(cancelled, tail, rate, cap)
            if fingerprint and cancelled.failed(_MARKER):
                return self._earlier_double_submit(fingerprint, cancelled.item(_MARKER))
            _refused_for_challenge(cancelled, tail)
            owners = _owners(cancelled, person, first_identity)
        return self._attach(submission, lead.contact, fingerprint, marker_seconds, rate, owners, cap, challenge)

    def _count_in(self, items: list[dict[str, Any]], rate: RateLimit | None) -> None:
        """Append the client's rate counter to a transaction's items (last: its position)."""
        if rate:
            items.append(self.table.window_counter_op(keys.rate_counter_pk(rate.form_id, rate.client_key),
                                                      "rate_counter", rate.window_start, rate.window_seconds,
                                                      rate.limit))

    def _guard_in(self, items: list[dict[str, Any]], rate: RateLimit | None, cap: RateLimit | None,
                  challenge: UsedChallenge | None) -> _Tail:
        """Append the used challenge, the form's cap and the client's rate counter (last)."""
        at_challenge = at_cap = at_rate = None
        if challenge:
            at_challenge = len(items)
            items.append(self.table.put_op(to_item(keys.used_challenge_key(challenge.challenge), "used_challenge",
                                                   expires_at=challenge.expires_at), "attribute_not_exists(PK)"))
        if cap:
            at_cap = len(items)
            items.append(self.table.window_counter_op(keys.form_cap_pk(cap.form_id), "form_cap_counter",
                                                      cap.window_start, cap.window_seconds, cap.limit))
        if rate:
            at_rate = len(items)
            self._count_in(items, rate)
        return _Tail(at_challenge, at_cap, at_rate)

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
        return _returning_old(self.table.put_op(item, "attribute_not_exists(PK) OR expires_at < :now", {":now": now}))

    def _earlier_double_submit(self, fingerprint: str, item: dict[str, Any] | None = None) -> Recorded:
        """The submission an earlier post with this fingerprint stored: from the marker the
        cancelled transaction returned, else read."""
        item = item or self.table.get(keys.double_submit_key(fingerprint))
        if item is None:  # expired and removed in between: the caller retries
            raise LeadVanished(fingerprint)
        marker = from_item(item)
        return Recorded(submission_id=marker["submission_id"], lead_id=marker["lead_id"], is_new_lead=False,
                        duplicate=True, marker_new_lead=marker.get("is_new_lead"))

    def _attach(self, submission: Submission, contact: ContactCard, fingerprint: str | None,
                marker_seconds: int | None = DOUBLE_SUBMIT_SECONDS, rate: RateLimit | None = None,
                owners: dict[str, str] | None = None, cap: RateLimit | None = None,
                challenge: UsedChallenge | None = None) -> Recorded:
        """Attach a returning person's submission to their lead (matched by email, then
        phone). An identity this lead lacks is added; one that belongs to another lead is
        recorded as a possible duplicate for a person to look at.

        `owners` are the identities' leads as the first transaction found them; an
        identity it did not report is taken as new, on condition. Should that condition
        fail (another post made it meanwhile), the identities are read and it is tried
        once more."""
        read = owners is None
        if owners is None:
            owners = self.find_lead_ids(contact)
        person = identity_keys(contact)
        lead_id = next((owners[k["PK"]] for k in person if k["PK"] in owners), None)
        if lead_id is None:
            raise LeadVanished(submission.lead_id)
        returning = submission.model_copy(update={"lead_id": lead_id, "is_new_lead": False})
        values: dict[str, Any] = {":seen": json_time(returning.received_at), ":one": 1}
        update = "SET previous_seen_at = last_seen_at, last_seen_at = :seen"
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
        items += self._identity_ops(returning, person, owners)
        tail = self._guard_in(items, rate, cap, challenge)
        try:
            self.table.transact(items)
            return Recorded(submission_id=returning.submission_id, lead_id=lead_id, is_new_lead=False)
        except Cancelled as cancelled:
            _refused_for_storage_or_rate(cancelled, tail, rate, cap)
            if cancelled.failed(0):  # this very submission is stored already
                return Recorded(submission_id=returning.submission_id, lead_id=lead_id, is_new_lead=False,
                                duplicate=True)
            if fingerprint and cancelled.failed(_MARKER):
                return self._earlier_double_submit(fingerprint, cancelled.item(_MARKER))
            _refused_for_challenge(cancelled, tail)
            if not read and not cancelled.failed(1):  # an identity taken as new was not: read them
                return self._attach(submission, contact, fingerprint, marker_seconds, rate, None, cap, challenge)
        raise LeadVanished(lead_id)  # the lead or an identity changed under us: retried

    def _identity_ops(self, returning: Submission, person: list[keys.Key],
                      owners: dict[str, str]) -> list[dict[str, Any]]:
        """An identity the lead lacks is added; one of another lead is noted on this one."""
        ops = []
        for key in person:
            other = owners.get(key["PK"])
            if other is None:
                ops.append(self._put_identity(key, returning.lead_id, returning.received_at))
            elif other != returning.lead_id:
                ops.append(self.table.activity_op(Activity(
                    activity_id=uuid.uuid4().hex, lead_id=returning.lead_id, at=returning.received_at,
                    kind="possible_duplicate",
                    detail={"other_lead_id": other, "matched_by": key["PK"].split("#")[1].lower(),
                            "submission_id": returning.submission_id})))
        return ops

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

    def store_spam(self, form_id: str, received_at: datetime, reason: str, fields: dict[str, str],
                   rate: RateLimit | None = None) -> str:
        """Keep a bot's post for 30 days (to check the filter), outside any lead. With
        `rate`, counted against its client's limit in the same call (RateLimited: not kept)."""
        spam_id = uuid.uuid4().hex
        item = to_item(
            keys.spam_key(form_id, received_at, spam_id), "spam",
            form_id=form_id, received_at=received_at.isoformat(), reason=reason,
            fields={k[:100]: v[:1000] for k, v in list(fields.items())[:50]},
            expires_at=int(received_at.timestamp()) + SPAM_TTL_SECONDS,
        )
        if rate is None:
            self.table.put(item)
            return spam_id
        items = [self.table.put_op(item)]
        self._count_in(items, rate)
        try:
            self.table.transact(items)
        except Cancelled as cancelled:
            if cancelled.failed(1):
                raise RateLimited(rate) from None
            raise cancelled.error from None
        return spam_id


def _refused_for_storage_or_rate(cancelled: Cancelled, tail: _Tail, rate: RateLimit | None,
                                 cap: RateLimit | None = None) -> None:
    """Raise what a cancelled submission transaction says first: another write got in the
    way (DynamoDB's error: the storage failed, the caller's fallback takes it), the
    client's rate counter is at its limit (RateLimited), or the form's cap (FormCapped)."""
    if cancelled.conflict:
        raise cancelled.error from None
    if rate and tail.rate is not None and cancelled.failed(tail.rate):
        raise RateLimited(rate) from None
    if cap and tail.cap is not None and cancelled.failed(tail.cap):
        raise FormCapped(cap) from None


def _refused_for_challenge(cancelled: Cancelled, tail: _Tail) -> None:
    """A challenge another post already used (checked after the double-submit marker: a
    double click sends the same solution twice and is answered as the first post)."""
    if tail.challenge is not None and cancelled.failed(tail.challenge):
        raise ChallengeReused() from None


def _returning_old(op: dict[str, Any]) -> dict[str, Any]:
    """A transaction's Put that, when its condition fails, returns the item it found."""
    op["Put"]["ReturnValuesOnConditionCheckFailure"] = "ALL_OLD"
    return op


def _owners(cancelled: Cancelled, person: list[keys.Key], first: int) -> dict[str, str] | None:
    """Identity key (PK) → lead id for the identities whose write was refused, from the
    items the cancelled transaction returned; None when none was (nothing to go by)."""
    owners = {}
    for offset, key in enumerate(person):
        if not cancelled.failed(first + offset):
            continue
        item = cancelled.item(first + offset)
        if item is None:  # refused without saying by what: read them all
            return None
        owners[key["PK"]] = item["lead_id"]["S"]
    return owners or None
