"""What scoring and assignment read and write: the lead as the scorer sees it, its
earlier visits, the score and the manager written on the submission and the lead with
the managers' loads in one transaction, and the deployment's rule-set overrides."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any

from botocore.exceptions import ClientError

from leadflow.lifecycle.clocks import STOP_CLOCK, clock_update
from leadflow.lifecycle.schedules import ReminderDue
from leadflow.notification.windows import VisitsWindow, noting, window_item
from leadflow.routing.roster import RecentRoster, Roster, release_lead, still_holds_leads, take_lead
from leadflow.shared.clock import json_time, utc_now
from leadflow.shared.models import Activity, AssignmentNotice, Lead, LeadStatus, Manager, Score, Submission
from leadflow.storage import keys
from leadflow.storage.codec import from_item, to_item, wire
from leadflow.storage.table import Table
from leadflow.storage.transactions import Cancelled, LeadChanged, condition_failed

MANAGERS_FULL = "managers_full"  # why a lead waits unassigned: nobody eligible has room
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
# The positions of the assignment transaction: the submission, then the lead.
_SUBMISSION, _LEAD = 0, 1


class AlreadyScored(Exception):
    """The submission was scored before (a redelivery), or is not stored at all."""


class ManagerUnavailable(Exception):
    """The chosen manager went inactive or filled up between the read and the write."""


@dataclass(frozen=True)
class Telling:
    """What an assignment writes for the manager's email (RoutingStore.record_assignment)."""

    notice: AssignmentNotice
    clock: tuple[ReminderDue, datetime] | None = None  # the speed-to-lead clock it starts, and when due
    window: VisitsWindow | None = None  # the visits window its email opens
    # The manager's open window this visit is only noted in (told with its digest): the
    # notice goes on the window, and no email is sent now.
    noted_in: VisitsWindow | None = None


@dataclass(frozen=True)
class ScoredLead:
    """A lead card as the scorer reads it."""

    lead: Lead
    scored_through: int | None  # `scored_through()` of the submission its score comes from
    window: VisitsWindow | None = None  # its window of news with its manager, if one was opened


def scored_through(received_at: datetime) -> int:
    """A submission's time in whole microseconds, so DynamoDB compares it as a number
    (ISO strings with and without fractions do not sort by time)."""
    return (received_at - _EPOCH) // timedelta(microseconds=1)


def _assignment_entry(lead_id: str, manager: Manager | None, released: Manager | None, now: str) -> Activity:
    """The history entry of an assignment by the rules: to whom (from whom), or to nobody."""
    detail = {"from": released.manager_id} if released else {}
    if manager is None:
        return Activity(activity_id=uuid.uuid4().hex, lead_id=lead_id, at=datetime.fromisoformat(now),
                        kind=LeadStatus.UNASSIGNED.value, detail=detail)
    return Activity(activity_id=uuid.uuid4().hex, lead_id=lead_id, at=datetime.fromisoformat(now),
                    kind="reassigned" if released else LeadStatus.ASSIGNED.value,
                    detail={**detail, "to": manager.manager_id})


class RoutingStore:
    def __init__(self, table: Table, *, roster_ttl_seconds: float = 0) -> None:
        """`roster_ttl_seconds` > 0: keep the roster read for that long (the scorer's
        container, leadflow.routing.roster.RecentRoster); 0: every read is a read."""
        self.table = table
        self.roster = Roster(table)
        self.recent = RecentRoster(self.roster.managers, roster_ttl_seconds) if roster_ttl_seconds > 0 else None

    # -- reads -------------------------------------------------------------------------------

    def list_managers(self) -> list[Manager]:
        """The roster as stored now (strongly consistent): one Query."""
        if self.recent is None:
            return self.roster.managers()
        return self.recent.fresh()

    def recent_managers(self) -> list[Manager] | None:
        """The roster read in the last few seconds, with this container's assignments
        since applied; None when there is none (read it: `list_managers`)."""
        return self.recent.snapshot() if self.recent is not None else None

    def get_lead_for_scoring(self, lead_id: str) -> ScoredLead | None:
        """The lead card, which submission its current score comes from, and its visits
        window: one BatchGetItem (strongly consistent)."""
        found = {item["SK"]["S"]: item for item in self.table.batch_get([keys.lead_key(lead_id),
                                                                         keys.visits_window_key(lead_id)])}
        item = found.get(keys.lead_key(lead_id)["SK"])
        if not item:
            return None
        through = item.get("scored_through", {}).get("N")
        window = found.get(keys.visits_window_key(lead_id)["SK"])
        return ScoredLead(lead=Lead.model_validate(from_item(item)), scored_through=int(through) if through else None,
                          window=VisitsWindow.model_validate(from_item(window)) if window else None)

    def previous_visits(self, submission: Submission, days: int) -> tuple[datetime, ...]:
        """When the lead posted in the `days` before this submission: one Query over the
        lead's own submission keys (nothing else is read)."""
        this = keys.submission_key(submission.lead_id, submission.received_at, submission.submission_id)["SK"]
        since = f"{keys.SUBMISSION_PREFIX}{(submission.received_at - timedelta(days=days)).isoformat()}#"
        items = self.table.query(
            ConsistentRead=True, ProjectionExpression="SK",
            KeyConditionExpression="PK = :pk AND SK BETWEEN :since AND :this",
            ExpressionAttributeValues=wire({":pk": keys.lead_partition(submission.lead_id), ":since": since,
                                            ":this": this}))
        return tuple(datetime.fromisoformat(i["SK"]["S"].split("#")[1]) for i in items if i["SK"]["S"] != this)

    def newest_submissions(self, lead_id: str, limit: int) -> list[Submission]:
        """A lead's newest `limit` submissions, newest first: one Query reading at most
        `limit` items, eventually consistent (for trials of a rule set, which write nothing)."""
        page = self.table.client.query(
            TableName=self.table.name, ScanIndexForward=False, Limit=limit,
            KeyConditionExpression="PK = :pk AND begins_with(SK, :sub)",
            ExpressionAttributeValues=wire({":pk": keys.lead_partition(lead_id), ":sub": keys.SUBMISSION_PREFIX}))
        return [Submission.model_validate(from_item(item)) for item in page.get("Items", [])]

    def get_submission(self, lead_id: str, received_at: datetime, submission_id: str) -> dict[str, Any] | None:
        """The stored submission with what scoring recorded on it (score, manager_id)."""
        item = self.table.get(keys.submission_key(lead_id, received_at, submission_id))
        return from_item(item) if item else None

    # -- the assignment --------------------------------------------------------------------------

    def record_assignment(self, submission: Submission, score: Score, manager: Manager | None,
                          new_assignment: bool, *, previous: Score | None = None,
                          expected_manager_id: str | None = None, released: Manager | None = None,
                          released_holds_it: bool = True, today: date | None = None,
                          within_capacity: bool = True, now: datetime | None = None,
                          tell: Telling | None = None) -> None:
        """Write the score and the manager on the submission and the lead, and move the
        lead between managers' loads, all or nothing.

        - The submission's `scored_at` is written only once: a redelivered stream record
          raises AlreadyScored and counts nothing twice.
        - The lead is written only if it still has `expected_manager_id` (None: no
          manager) and no newer submission scored it since: else LeadChanged.
        - The new manager's counter goes up only while they are active, not on leave
          and below capacity, checked by DynamoDB in the same step: else
          ManagerUnavailable. Concurrent writers therefore can never overbook anyone.
        - A kept manager (a returning lead) must still be active and not on leave, checked
          in the same step: else LeadChanged (decided again on a fresh roster).
        - `released`: the inactive or away manager the lead is taken from; their count
          goes down (never below zero), unless `released_holds_it` is False: a rejected or
          converted lead was taken off their load when it closed.
        - `within_capacity=False`: the new manager takes it even when full (a lead entered
          by hand for them, leadflow.capture.manual); active and not away still hold.
        - `tell`: what the manager's email needs, put on the submission for the notifier's
          claim to take; the speed-to-lead clock the assignment starts (on the lead card);
          the visits window its email opens: in this same write, so telling costs no call.
          Or, for a visit only noted in the manager's open window, all of that on the
          window, for its digest (on condition it is still the window read: else
          LeadChanged, and the assignment is decided again)."""
        now = (now or utc_now()).isoformat()
        today_iso = (today or utc_now().date()).isoformat()
        score_doc = score.model_dump(mode="json")
        items: list[dict[str, Any]] = [
            self._submission_scoring_update(submission, score_doc, manager, previous, released, tell, now),
            self._lead_scoring_update(submission, score_doc, manager, new_assignment, expected_manager_id, now,
                                      tell.clock if tell and new_assignment else None),
        ]
        items += self._window_ops(submission, tell)
        counter_at = -1
        if new_assignment and manager:
            counter_at = len(items)
            items.append(take_lead(self.table, manager.manager_id, now, today_iso, within_capacity=within_capacity))
        elif manager:  # kept on a roster read seconds ago: still active and not away?
            items.append(still_holds_leads(self.table, manager.manager_id, today_iso))
        if new_assignment and released and released_holds_it and released.open_leads > 0:
            items.append(release_lead(self.table, released.manager_id))
        if new_assignment:  # the lead's history says who holds it from now, in the same write
            items.append(self.table.activity_op(_assignment_entry(submission.lead_id, manager, released, now)))
        try:
            self.table.transact(items)
        except Cancelled as cancelled:
            if self.recent is not None:  # the roster we chose from may be what was wrong
                self.recent.forget()
            if cancelled.failed(_SUBMISSION):
                raise AlreadyScored(submission.submission_id) from cancelled.error
            if counter_at >= 0 and cancelled.failed(counter_at):
                raise ManagerUnavailable(manager.manager_id if manager else "") from cancelled.error
            # The lead moved, the released manager's count is 0 already, or a conflict.
            raise LeadChanged(submission.lead_id) from cancelled.error
        if self.recent is not None:  # what this write did to the loads, as the table has it now
            if new_assignment and manager:
                self.recent.took(manager.manager_id, now)
            if new_assignment and released and released_holds_it and released.open_leads > 0:
                self.recent.released(released.manager_id)

    def _window_ops(self, submission: Submission, tell: Telling | None) -> list[dict[str, Any]]:
        """The visits window an email opens, or the open one a visit is noted in."""
        if tell and tell.window:
            return [self.table.put_op(window_item(tell.window))]
        if tell and tell.noted_in:
            update, condition, values = noting(tell.noted_in, tell.notice, submission)
            return [self.table.update_op(keys.visits_window_key(submission.lead_id), update, condition=condition,
                                         values=values)]
        return []

    def _submission_scoring_update(self, submission: Submission, score_doc: dict[str, Any], manager: Manager | None,
                                   previous: Score | None, released: Manager | None, tell: Telling | None,
                                   now: str) -> dict[str, Any]:
        sub_values: dict[str, Any] = {":score": score_doc, ":now": now}
        sub_update = "SET score = :score, scored_at = :now"
        if manager:
            sub_update += ", manager_id = :manager"
            sub_values[":manager"] = manager.manager_id
        if previous:  # kept so a redelivered record announces exactly what the first did
            sub_update += ", previous_points = :prev_points, previous_temperature = :prev_temp"
            sub_values.update({":prev_points": previous.points, ":prev_temp": previous.temperature.value})
        if released:
            sub_update += ", released_manager_id = :released"
            sub_values[":released"] = released.manager_id
        if tell and tell.noted_in:  # kept so a redelivered record announces it noted again
            sub_update += ", noted_until = :noted_until"
            sub_values[":noted_until"] = json_time(tell.noted_in.window_until)
        elif tell:
            sub_update += ", notice = :notice"
            sub_values[":notice"] = tell.notice.model_dump(mode="json", exclude_none=True)
        return self.table.update_op(keys.submission_key(submission.lead_id, submission.received_at,
                                                        submission.submission_id),
                                    sub_update, condition="attribute_exists(PK) AND attribute_not_exists(scored_at)",
                                    values=sub_values)

    def _lead_scoring_update(self, submission: Submission, score_doc: dict[str, Any], manager: Manager | None,
                             new_assignment: bool, expected_manager_id: str | None, now: str,
                             clock: tuple[ReminderDue, datetime] | None) -> dict[str, Any]:
        names: dict[str, str] = {}
        values: dict[str, Any] = {":score": score_doc, ":through": scored_through(submission.received_at)}
        sets = ["score = :score", "scored_through = :through"]
        removes: list[str] = []
        if new_assignment:
            names["#status"] = "status"
            if manager:
                sets += ["#status = :status", "manager_id = :manager", "assigned_at = :now", "GSI1PK = :gpk",
                         "GSI1SK = :gsk"]
                values.update({
                    ":status": LeadStatus.ASSIGNED.value, ":manager": manager.manager_id, ":now": now,
                    ":gpk": keys.manager_queue(manager.manager_id),
                    ":gsk": keys.queue_position(LeadStatus.ASSIGNED.value, now),
                })
                if clock:
                    clock_sets, clock_values = clock_update(*clock)
                    sets += clock_sets
                    values.update(clock_values)
            else:  # the admins' queue; never dropped
                sets += ["#status = :status", "GSI1PK = :gpk", "GSI1SK = :gsk"]
                removes += ["manager_id", "assigned_at", STOP_CLOCK]
                values.update({":status": LeadStatus.UNASSIGNED.value, ":gpk": keys.UNASSIGNED_QUEUE,
                               ":gsk": keys.queue_position(LeadStatus.UNASSIGNED.value, now)})
        condition = "attribute_exists(PK) AND (attribute_not_exists(scored_through) OR scored_through < :through)"
        if expected_manager_id:
            condition += " AND manager_id = :expected"
            values[":expected"] = expected_manager_id
        else:
            condition += " AND attribute_not_exists(manager_id)"
        update = "SET " + ", ".join(sets) + (" REMOVE " + ", ".join(removes) if removes else "")
        return self.table.update_op(keys.lead_key(submission.lead_id), update, condition=condition,
                                    names=names or None, values=values)

    def record_superseded_score(self, submission: Submission, score: Score, manager_id: str | None) -> None:
        """Keep the score of a submission that arrived after a newer one of the same lead
        was scored (a retried record): on the submission only, the lead is left as is."""
        values: dict[str, Any] = {":score": score.model_dump(mode="json"), ":now": utc_now().isoformat(), ":true": True}
        update = "SET score = :score, scored_at = :now, superseded = :true"
        if manager_id:
            update += ", manager_id = :manager"
            values[":manager"] = manager_id
        try:
            self.table.update(keys.submission_key(submission.lead_id, submission.received_at, submission.submission_id),
                              update, condition="attribute_exists(PK) AND attribute_not_exists(scored_at)",
                              values=values)
        except ClientError as exc:
            if condition_failed(exc):
                raise AlreadyScored(submission.submission_id) from exc
            raise

    # -- rule-set overrides ----------------------------------------------------------------------

    def get_rule_set_json(self, profile: str) -> str | None:
        """The deployment's rule set override for a scoring profile (JSON text), or None.
        Read by the scorer through a per-container cache, so at most once a minute."""
        item = self.table.get(keys.rule_set_key(profile), consistent=False)
        return item["rule_set"]["S"] if item and "rule_set" in item else None

    def put_rule_set_json(self, profile: str, text: str, version: str) -> None:
        """Store a (validated) rule set override for a profile; it replaces the previous one."""
        self.table.put(to_item(keys.rule_set_key(profile), "rule_set", profile=profile, version=version,
                               rule_set=text, updated_at=utc_now().isoformat()))

    def delete_rule_set(self, profile: str) -> bool:
        """Remove a profile's override (the shipped default applies again); False if none."""
        old = self.table.client.delete_item(TableName=self.table.name, Key=wire(keys.rule_set_key(profile)),
                                            ReturnValues="ALL_OLD").get("Attributes")
        return bool(old)
