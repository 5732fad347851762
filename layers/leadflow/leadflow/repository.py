"""DynamoDB access for the whole domain: one table, every read a key lookup.

| item       | PK                                      | SK                          |
|------------|-----------------------------------------|-----------------------------|
| lead card  | LEAD#<lead_id>                          | LEAD                        |
| submission | LEAD#<lead_id>                          | SUB#<received_at>#<id>      |
| identity   | IDENT#EMAIL#<email> / IDENT#PHONE#<e164>| IDENT                       |
| manager    | ROSTER                                  | MANAGER#<manager_id>        |
| form       | FORM#<form_id>                          | FORM                        |
| rule set   | RULESET                                 | PROFILE#<b2b / b2c>         |
| activity   | LEAD#<lead_id>                          | ACT#<at>#<id>               |
| double post| DOUBLE#<fingerprint>  (TTL 10 min)      | DOUBLE                      |
| rate count | RATE#<form_id>#<client hash> (TTL)      | <window start>              |
| spam       | SPAM#<form_id>  (TTL 30 days)           | <received_at>#<id>          |
| contact    | CONTACT#<contact_id>                    | CONTACT                     |

Managers share one partition (a team is tens of people, not millions) so the scorer
reads the whole roster with one strongly consistent Query, never a Scan.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import boto3
from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.config import Config
from botocore.exceptions import ClientError
from pydantic import BaseModel, TypeAdapter

from leadflow.models import (
    Activity,
    Contact,
    ContactCard,
    FormConfig,
    Lead,
    LeadStatus,
    Manager,
    Score,
    Submission,
    utc_now,
)

_serializer = TypeSerializer()


def fast_client(service: str) -> Any:
    """A client for a request a person waits on: short timeouts and two attempts, so a
    failing table costs a second, not half a minute, before the fallback takes over."""
    return boto3.client(service, config=Config(connect_timeout=2, read_timeout=3,
                                               retries={"max_attempts": 2, "mode": "standard"}))

_deserializer = TypeDeserializer()
_KEY_ATTRS = ("PK", "SK", "GSI1PK", "GSI1SK", "GSI2PK", "GSI2SK", "item_type", "expires_at")


class AlreadyScored(Exception):
    """The submission was scored before (a redelivery), or is not stored at all."""


class ManagerUnavailable(Exception):
    """The chosen manager went inactive or filled up between the read and the write."""


class LeadChanged(Exception):
    """The lead (its manager, or a newer score) or a released manager changed between
    the scorer's read and its write; read again and decide again."""


@dataclass(frozen=True)
class ScoredLead:
    """A lead card as the scorer reads it."""

    lead: Lead
    scored_through: int | None  # `scored_through()` of the submission its score comes from


_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def scored_through(received_at: datetime) -> int:
    """A submission's time in whole microseconds, so DynamoDB compares it as a number
    (ISO strings with and without fractions do not sort by time)."""
    return (received_at - _EPOCH) // timedelta(microseconds=1)


class LeadVanished(Exception):
    """An identity pointed at a lead that no longer exists; the write is retried."""


DOUBLE_SUBMIT_SECONDS = 10 * 60
SPAM_TTL_SECONDS = 30 * 86400


@dataclass(frozen=True)
class Recorded:
    """Where a submission was stored; `duplicate` when it (or the same post) already was."""

    submission_id: str
    lead_id: str
    is_new_lead: bool
    duplicate: bool = False


@dataclass(frozen=True)
class LeadIndexPage:
    """One Query of a lead index: the lead cards (after any filter), where to go on
    (None: the key range is done), and how many items DynamoDB read for it."""

    leads: list[Lead]
    last_key: dict[str, str] | None
    items_read: int


@dataclass(frozen=True)
class LeadFile:
    """A lead with everything kept under it, newest first; `complete` is False when the
    lead has more items than one read returns (the oldest are left out)."""

    lead: Lead
    submissions: list[dict[str, Any]]
    activities: list[Activity]
    complete: bool


def lead_key(lead_id: str) -> dict[str, str]:
    return {"PK": f"LEAD#{lead_id}", "SK": "LEAD"}


def lead_created_keys(lead_id: str, created_at: datetime) -> dict[str, str]:
    """GSI2 keys of a lead card: every lead by creation month, for admins' lists and the
    export. A fixed-width UTC time, so the keys sort by time and a day is a key range."""
    created = created_at.astimezone(timezone.utc) if created_at.tzinfo else created_at
    return {"GSI2PK": f"LEADS#{created:%Y-%m}", "GSI2SK": f"{created:%Y-%m-%dT%H:%M:%S.%f}Z#{lead_id}"}


def submission_key(lead_id: str, received_at: datetime, submission_id: str) -> dict[str, str]:
    return {"PK": f"LEAD#{lead_id}", "SK": f"SUB#{received_at.isoformat()}#{submission_id}"}


def manager_key(manager_id: str) -> dict[str, str]:
    return {"PK": "ROSTER", "SK": f"MANAGER#{manager_id}"}


def double_submit_key(fingerprint: str) -> dict[str, str]:
    return {"PK": f"DOUBLE#{fingerprint}", "SK": "DOUBLE"}


def activity_key(activity: Activity) -> dict[str, str]:
    return {"PK": f"LEAD#{activity.lead_id}", "SK": f"ACT#{activity.at.isoformat()}#{activity.activity_id}"}


def contact_key(contact_id: str) -> dict[str, str]:
    return {"PK": f"CONTACT#{contact_id}", "SK": "CONTACT"}


def form_key(form_id: str) -> dict[str, str]:
    return {"PK": f"FORM#{form_id}", "SK": "FORM"}


def rule_set_key(profile: str) -> dict[str, str]:
    return {"PK": "RULESET", "SK": f"PROFILE#{profile}"}


def identity_keys(contact: ContactCard) -> list[dict[str, str]]:
    """Email first, then phone: the order in which a returning person is matched."""
    keys = []
    if contact.email:
        keys.append({"PK": f"IDENT#EMAIL#{contact.email}", "SK": "IDENT"})
    if contact.phone:
        keys.append({"PK": f"IDENT#PHONE#{contact.phone}", "SK": "IDENT"})
    return keys


def to_item(keys: dict[str, str], item_type: str, model: BaseModel | None = None, **extra: Any) -> dict[str, Any]:
    """A model as a DynamoDB item in wire format (None fields left out)."""
    plain: dict[str, Any] = model.model_dump(mode="json", exclude_none=True) if model else {}
    plain.update(keys, item_type=item_type, **extra)
    return {k: _serializer.serialize(_exact_numbers(v)) for k, v in plain.items()}


def _json_time(moment: datetime) -> str:
    """A time written the way pydantic writes the models' times, so stored times compare."""
    return TypeAdapter(datetime).dump_python(moment, mode="json")


def _exact_numbers(value: Any) -> Any:
    """DynamoDB numbers are decimals; floats (a form's min fill time) go in as Decimal."""
    if isinstance(value, float):
        return Decimal(str(value))
    if isinstance(value, dict):
        return {k: _exact_numbers(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_exact_numbers(v) for v in value]
    return value


def from_item(item: dict[str, Any]) -> dict[str, Any]:
    """Wire format to plain Python, without the key attributes."""
    plain = {k: _deserializer.deserialize(v) for k, v in item.items()}
    return {k: v for k, v in plain.items() if k not in _KEY_ATTRS}


def _wire(values: dict[str, Any]) -> dict[str, Any]:
    return {k: _serializer.serialize(v) for k, v in values.items()}


def _cancellation_codes(exc: ClientError) -> list[str]:
    return [r.get("Code", "None") for r in exc.response.get("CancellationReasons", [])]


def _cancelled_conditions(exc: ClientError) -> list[str]:
    """The per-item codes of a transaction cancelled by its conditions; any other error
    (throttling, a conflict, an outage) is raised again for the caller's fallback."""
    codes = _cancellation_codes(exc) if exc.response["Error"]["Code"] == "TransactionCanceledException" else []
    if "ConditionalCheckFailed" not in codes or any(c not in ("None", "ConditionalCheckFailed") for c in codes):
        raise exc
    return codes + ["None"] * 8  # indexes of optional items are always safe to read


class LeadRepository:
    """Everything Leadflow reads from and writes to its table."""

    def __init__(self, table_name: str, client: Any | None = None) -> None:
        self.table_name = table_name
        self.client = client or boto3.client("dynamodb")

    # -- forms and managers ------------------------------------------------------------

    def get_form(self, form_id: str) -> FormConfig | None:
        item = self.client.get_item(TableName=self.table_name, Key=_wire(form_key(form_id))).get("Item")
        return FormConfig.model_validate(from_item(item)) if item else None

    def put_form(self, form: FormConfig) -> None:
        self.client.put_item(TableName=self.table_name, Item=to_item(form_key(form.form_id), "form", form))

    def put_manager(self, manager: Manager) -> None:
        item = to_item(manager_key(manager.manager_id), "manager", manager)
        self.client.put_item(TableName=self.table_name, Item=item)

    def list_managers(self) -> list[Manager]:
        managers: list[Manager] = []
        kwargs: dict[str, Any] = {
            "TableName": self.table_name, "ConsistentRead": True,
            "KeyConditionExpression": "PK = :pk",
            "ExpressionAttributeValues": _wire({":pk": "ROSTER"}),
        }
        while True:
            page = self.client.query(**kwargs)
            managers += [Manager.model_validate(from_item(i)) for i in page.get("Items", [])]
            if "LastEvaluatedKey" not in page:
                return managers
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    # -- capture -----------------------------------------------------------------------

    def record_submission(self, submission: Submission, lead: Lead, fingerprint: str | None = None) -> Recorded:
        """Store a submission exactly once, on a new lead or on the person's existing one.

        A new person's lead card, submission and identities go in one transaction whose
        identity writes are conditional, so two concurrent first posts by one person
        cannot make two leads: the loser is attached to the winner's lead. One call for
        a new lead; a returning person costs a lookup and a second transaction.

        The submission item is written only if absent and a double-submit marker
        (`fingerprint`, kept 10 minutes) only if absent or expired, so replaying the same
        submission (the fallback queue, a retry after a timeout) or the same post (a
        double click) never stores anything twice."""
        now = submission.received_at
        card_keys = {**lead_key(lead.lead_id), **lead_created_keys(lead.lead_id, lead.created_at)}
        items = [
            {"Put": {"TableName": self.table_name, "Item": to_item(card_keys, "lead", lead),
                     "ConditionExpression": "attribute_not_exists(PK)"}},
            self._put_submission(submission),
        ]
        if fingerprint:
            items.append(self._put_double_submit_marker(fingerprint, submission))
        items += [self._put_identity(key, lead.lead_id, now) for key in identity_keys(lead.contact)]
        try:
            self.client.transact_write_items(TransactItems=items)
            return Recorded(submission_id=submission.submission_id, lead_id=lead.lead_id, is_new_lead=True)
        except ClientError as exc:
            codes = _cancelled_conditions(exc)
        if fingerprint and codes[2] == "ConditionalCheckFailed":
            return self._earlier_double_submit(fingerprint)
        return self._attach(submission, lead.contact, fingerprint)

    def _put_submission(self, submission: Submission) -> dict[str, Any]:
        key = submission_key(submission.lead_id, submission.received_at, submission.submission_id)
        return {"Put": {"TableName": self.table_name, "Item": to_item(key, "submission", submission),
                        "ConditionExpression": "attribute_not_exists(PK)"}}

    def _put_identity(self, key: dict[str, str], lead_id: str, now: datetime) -> dict[str, Any]:
        return {"Put": {"TableName": self.table_name,
                        "Item": to_item(key, "identity", lead_id=lead_id, created_at=_json_time(now)),
                        "ConditionExpression": "attribute_not_exists(PK)"}}

    def _put_double_submit_marker(self, fingerprint: str, submission: Submission) -> dict[str, Any]:
        now = int(submission.received_at.timestamp())
        return {"Put": {
            "TableName": self.table_name,
            "Item": to_item(double_submit_key(fingerprint), "double_submit", submission_id=submission.submission_id,
                            lead_id=submission.lead_id, expires_at=now + DOUBLE_SUBMIT_SECONDS),
            # TTL deletes lazily: an expired marker still in the table does not count.
            "ConditionExpression": "attribute_not_exists(PK) OR expires_at < :now",
            "ExpressionAttributeValues": _wire({":now": now}),
        }}

    def _earlier_double_submit(self, fingerprint: str) -> Recorded:
        item = self.client.get_item(TableName=self.table_name, Key=_wire(double_submit_key(fingerprint)),
                                    ConsistentRead=True).get("Item")
        if item is None:  # expired and removed in between: the caller retries
            raise LeadVanished(fingerprint)
        plain = from_item(item)
        return Recorded(submission_id=plain["submission_id"], lead_id=plain["lead_id"], is_new_lead=False,
                        duplicate=True)

    def _attach(self, submission: Submission, contact: ContactCard, fingerprint: str | None) -> Recorded:
        """Attach a returning person's submission to their lead (matched by email, then
        phone). An identity this lead lacks is added; one that belongs to another lead is
        recorded as a possible duplicate for a person to look at."""
        owners = self.find_lead_ids(contact)
        keys = identity_keys(contact)
        lead_id = next((owners[k["PK"]] for k in keys if k["PK"] in owners), None)
        if lead_id is None:
            raise LeadVanished(submission.lead_id)
        returning = submission.model_copy(update={"lead_id": lead_id, "is_new_lead": False})
        values: dict[str, Any] = {":seen": _json_time(returning.received_at), ":one": 1}
        update = "SET last_seen_at = :seen"
        if returning.interest:
            update += ", latest_interest = :interest"
            values[":interest"] = returning.interest
        items: list[dict[str, Any]] = [
            self._put_submission(returning),
            {"Update": {
                "TableName": self.table_name, "Key": _wire(lead_key(lead_id)),
                "UpdateExpression": update + " ADD submission_count :one",
                # An erased lead takes no more posts: its identities are gone with the
                # person, so the retry (LeadVanished) makes the returning person a new lead.
                "ConditionExpression": "attribute_exists(PK) AND attribute_not_exists(erased_at)",
                "ExpressionAttributeValues": _wire(values),
            }},
        ]
        if fingerprint:
            items.append(self._put_double_submit_marker(fingerprint, returning))
        for key in keys:
            other = owners.get(key["PK"])
            if other is None:
                items.append(self._put_identity(key, lead_id, returning.received_at))
            elif other != lead_id:
                activity = Activity(activity_id=uuid.uuid4().hex, lead_id=lead_id, at=returning.received_at,
                                    kind="possible_duplicate",
                                    detail={"other_lead_id": other, "matched_by": key["PK"].split("#")[1].lower(),
                                            "submission_id": returning.submission_id})
                items.append({"Put": {"TableName": self.table_name,
                                      "Item": to_item(activity_key(activity), "activity", activity)}})
        try:
            self.client.transact_write_items(TransactItems=items)
            return Recorded(submission_id=returning.submission_id, lead_id=lead_id, is_new_lead=False)
        except ClientError as exc:
            codes = _cancelled_conditions(exc)
        if codes[0] == "ConditionalCheckFailed":  # this very submission is stored already
            return Recorded(submission_id=returning.submission_id, lead_id=lead_id, is_new_lead=False,
                            duplicate=True)
        if fingerprint and codes[2] == "ConditionalCheckFailed":
            return self._earlier_double_submit(fingerprint)
        raise LeadVanished(lead_id)  # the lead or an identity changed under us: retried

    def find_lead_ids(self, contact: ContactCard) -> dict[str, str]:
        """Identity key (PK) → lead id, for the person's email and phone that are known."""
        keys = identity_keys(contact)
        if not keys:
            return {}
        found = self.client.batch_get_item(
            RequestItems={self.table_name: {"Keys": [_wire(k) for k in keys], "ConsistentRead": True}}
        )["Responses"].get(self.table_name, [])
        return {i["PK"]["S"]: i["lead_id"]["S"] for i in found}

    def find_lead_id(self, contact: ContactCard) -> str | None:
        """The lead a person already has: matched by email, then by phone."""
        owners = self.find_lead_ids(contact)
        return next((owners[k["PK"]] for k in identity_keys(contact) if k["PK"] in owners), None)

    def count_post(self, form_id: str, client_key: str, window_start: int, window_seconds: int,
                   limit: int) -> bool:
        """Count a post against a client's limit for this form and window; False when the
        limit is reached."""
        return self._count_in_window(f"RATE#{form_id}#{client_key}", "rate_counter", window_start,
                                     window_seconds, limit)

    def _count_in_window(self, pk: str, item_type: str, window_start: int, window_seconds: int, limit: int) -> bool:
        """One atomic, conditional ADD on a counter that expires by TTL after its window;
        False (nothing counted) when it already reached `limit`."""
        try:
            self.client.update_item(
                TableName=self.table_name, Key=_wire({"PK": pk, "SK": str(window_start)}),
                UpdateExpression="SET expires_at = :expires, item_type = :type ADD hits :one",
                ConditionExpression="attribute_not_exists(hits) OR hits < :limit",
                ExpressionAttributeValues=_wire({
                    ":one": 1, ":limit": limit, ":type": item_type, ":expires": window_start + window_seconds + 60,
                }),
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def store_spam(self, form_id: str, received_at: datetime, reason: str, fields: dict[str, str]) -> str:
        """Keep a bot's post for 30 days (to check the filter), outside any lead."""
        spam_id = uuid.uuid4().hex
        self.client.put_item(TableName=self.table_name, Item=to_item(
            {"PK": f"SPAM#{form_id}", "SK": f"{received_at.isoformat()}#{spam_id}"}, "spam",
            form_id=form_id, received_at=received_at.isoformat(), reason=reason,
            fields={k[:100]: v[:1000] for k, v in list(fields.items())[:50]},
            expires_at=int(received_at.timestamp()) + SPAM_TTL_SECONDS,
        ))
        return spam_id

    def list_activities(self, lead_id: str) -> list[Activity]:
        page = self.client.query(
            TableName=self.table_name, ConsistentRead=True,
            KeyConditionExpression="PK = :pk AND begins_with(SK, :act)",
            ExpressionAttributeValues=_wire({":pk": f"LEAD#{lead_id}", ":act": "ACT#"}),
        )
        return [Activity.model_validate(from_item(i)) for i in page.get("Items", [])]

    # -- scoring and assignment --------------------------------------------------------

    def get_rule_set_json(self, profile: str) -> str | None:
        """The deployment's rule set override for a scoring profile (JSON text), or None.
        Read by the scorer through a per-container cache, so at most once a minute."""
        item = self.client.get_item(TableName=self.table_name, Key=_wire(rule_set_key(profile))).get("Item")
        return item["rule_set"]["S"] if item and "rule_set" in item else None

    def put_rule_set_json(self, profile: str, text: str, version: str) -> None:
        """Store a (validated) rule set override for a profile; it replaces the previous one."""
        self.client.put_item(TableName=self.table_name, Item=to_item(
            rule_set_key(profile), "rule_set", profile=profile, version=version, rule_set=text,
            updated_at=utc_now().isoformat()))

    def delete_rule_set(self, profile: str) -> bool:
        """Remove a profile's override (the shipped default applies again); False if none."""
        old = self.client.delete_item(TableName=self.table_name, Key=_wire(rule_set_key(profile)),
                                      ReturnValues="ALL_OLD").get("Attributes")
        return bool(old)

    def get_lead(self, lead_id: str) -> Lead | None:
        item = self.client.get_item(
            TableName=self.table_name, Key=_wire(lead_key(lead_id)), ConsistentRead=True).get("Item")
        return Lead.model_validate(from_item(item)) if item else None

    def get_lead_for_scoring(self, lead_id: str) -> ScoredLead | None:
        """The lead card, and which submission its current score comes from."""
        item = self.client.get_item(
            TableName=self.table_name, Key=_wire(lead_key(lead_id)), ConsistentRead=True).get("Item")
        if not item:
            return None
        through = item.get("scored_through", {}).get("N")
        return ScoredLead(lead=Lead.model_validate(from_item(item)), scored_through=int(through) if through else None)

    def previous_visits(self, submission: Submission, days: int) -> tuple[datetime, ...]:
        """When the lead posted in the `days` before this submission: one Query over the
        lead's own submission keys (nothing else is read)."""
        this = submission_key(submission.lead_id, submission.received_at, submission.submission_id)["SK"]
        since = f"SUB#{(submission.received_at - timedelta(days=days)).isoformat()}#"
        kwargs: dict[str, Any] = {
            "TableName": self.table_name, "ConsistentRead": True, "ProjectionExpression": "SK",
            "KeyConditionExpression": "PK = :pk AND SK BETWEEN :since AND :this",
            "ExpressionAttributeValues": _wire({":pk": f"LEAD#{submission.lead_id}", ":since": since, ":this": this}),
        }
        visits: list[datetime] = []
        while True:
            page = self.client.query(**kwargs)
            visits += [datetime.fromisoformat(i["SK"]["S"].split("#")[1]) for i in page.get("Items", [])
                       if i["SK"]["S"] != this]
            if "LastEvaluatedKey" not in page:
                return tuple(visits)
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def get_submission(self, lead_id: str, received_at: datetime, submission_id: str) -> dict[str, Any] | None:
        """The stored submission with what scoring recorded on it (score, manager_id)."""
        item = self.client.get_item(
            TableName=self.table_name, Key=_wire(submission_key(lead_id, received_at, submission_id)),
            ConsistentRead=True,
        ).get("Item")
        return from_item(item) if item else None

    def _take_lead(self, manager_id: str, now: str, today_iso: str) -> dict[str, Any]:
        """Count one more open lead for a manager, only while they can take it: active,
        not on leave, below capacity. The one place that rule is written for DynamoDB."""
        return {"Update": {
            "TableName": self.table_name, "Key": _wire(manager_key(manager_id)),
            "UpdateExpression": "SET last_assigned_at = :now ADD open_leads :one",
            "ConditionExpression": (
                "active = :true AND open_leads < #capacity AND (attribute_not_exists(on_leave_until)"
                " OR attribute_type(on_leave_until, :null) OR on_leave_until < :today)"),
            "ExpressionAttributeNames": {"#capacity": "capacity"},
            "ExpressionAttributeValues": _wire({":now": now, ":one": 1, ":true": True, ":null": "NULL",
                                                ":today": today_iso}),
        }}

    def _release_lead(self, manager_id: str) -> dict[str, Any]:
        """Count one open lead less for a manager, never below zero."""
        return {"Update": {
            "TableName": self.table_name, "Key": _wire(manager_key(manager_id)),
            "UpdateExpression": "ADD open_leads :minus_one", "ConditionExpression": "open_leads > :zero",
            "ExpressionAttributeValues": _wire({":minus_one": -1, ":zero": 0}),
        }}

    def record_assignment(self, submission: Submission, score: Score, manager: Manager | None,
                          new_assignment: bool, *, previous: Score | None = None,
                          expected_manager_id: str | None = None, released: Manager | None = None,
                          released_holds_it: bool = True,
                          today: date | None = None) -> None:
        """Write the score and the manager on the submission and the lead, and move the
        lead between managers' loads, all or nothing.

        - The submission's `scored_at` is written only once: a redelivered stream record
          raises AlreadyScored and counts nothing twice.
        - The lead is written only if it still has `expected_manager_id` (None: no
          manager) and no newer submission scored it since: else LeadChanged.
        - The new manager's counter goes up only while they are active, not on leave
          and below capacity, checked by DynamoDB in the same step: else
          ManagerUnavailable. Concurrent writers therefore can never overbook anyone.
        - `released`: the inactive or away manager the lead is taken from; their count
          goes down (never below zero), unless `released_holds_it` is False: a rejected or
          converted lead was taken off their load when it closed."""
        now = utc_now().isoformat()
        today_iso = (today or utc_now().date()).isoformat()
        score_doc = score.model_dump(mode="json")
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
        items: list[dict[str, Any]] = [{"Update": {
            "TableName": self.table_name,
            "Key": _wire(submission_key(submission.lead_id, submission.received_at, submission.submission_id)),
            "UpdateExpression": sub_update,
            "ConditionExpression": "attribute_exists(PK) AND attribute_not_exists(scored_at)",
            "ExpressionAttributeValues": _wire(sub_values),
        }}]
        items.append({"Update": self._lead_scoring_update(submission, score_doc, manager, new_assignment,
                                                          expected_manager_id, now)})
        counter_at = release_at = -1
        if new_assignment and manager:
            counter_at = len(items)
            items.append(self._take_lead(manager.manager_id, now, today_iso))
        if new_assignment and released and released_holds_it and released.open_leads > 0:
            release_at = len(items)
            items.append(self._release_lead(released.manager_id))
        try:
            self.client.transact_write_items(TransactItems=items)
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "TransactionCanceledException":
                raise
            codes = _cancellation_codes(exc) + ["None"] * len(items)
            if codes[0] == "ConditionalCheckFailed":
                raise AlreadyScored(submission.submission_id) from exc
            if counter_at >= 0 and codes[counter_at] == "ConditionalCheckFailed":
                raise ManagerUnavailable(manager.manager_id if manager else "") from exc
            lead_moved = codes[1] == "ConditionalCheckFailed"
            release_failed = release_at >= 0 and codes[release_at] == "ConditionalCheckFailed"
            if lead_moved or release_failed or "TransactionConflict" in codes:
                raise LeadChanged(submission.lead_id) from exc
            raise

    def _lead_scoring_update(self, submission: Submission, score_doc: dict[str, Any], manager: Manager | None,
                             new_assignment: bool, expected_manager_id: str | None, now: str) -> dict[str, Any]:
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
                    ":gpk": f"MANAGER#{manager.manager_id}", ":gsk": f"{LeadStatus.ASSIGNED.value}#{now}",
                })
            else:  # the admins' queue; never dropped
                sets += ["#status = :status", "GSI1PK = :gpk", "GSI1SK = :gsk"]
                removes += ["manager_id", "assigned_at"]
                values.update({":status": LeadStatus.UNASSIGNED.value, ":gpk": "UNASSIGNED",
                               ":gsk": f"{LeadStatus.UNASSIGNED.value}#{now}"})
        condition = "attribute_exists(PK) AND (attribute_not_exists(scored_through) OR scored_through < :through)"
        if expected_manager_id:
            condition += " AND manager_id = :expected"
            values[":expected"] = expected_manager_id
        else:
            condition += " AND attribute_not_exists(manager_id)"
        update = "SET " + ", ".join(sets) + (" REMOVE " + ", ".join(removes) if removes else "")
        op: dict[str, Any] = {
            "TableName": self.table_name, "Key": _wire(lead_key(submission.lead_id)),
            "UpdateExpression": update, "ConditionExpression": condition, "ExpressionAttributeValues": _wire(values),
        }
        if names:
            op["ExpressionAttributeNames"] = names
        return op

    def record_superseded_score(self, submission: Submission, score: Score, manager_id: str | None) -> None:
        """Keep the score of a submission that arrived after a newer one of the same lead
        was scored (a retried record): on the submission only, the lead is left as is."""
        values: dict[str, Any] = {":score": score.model_dump(mode="json"), ":now": utc_now().isoformat()}
        update = "SET score = :score, scored_at = :now, superseded = :true"
        values[":true"] = True
        if manager_id:
            update += ", manager_id = :manager"
            values[":manager"] = manager_id
        try:
            self.client.update_item(
                TableName=self.table_name,
                Key=_wire(submission_key(submission.lead_id, submission.received_at, submission.submission_id)),
                UpdateExpression=update, ConditionExpression="attribute_exists(PK) AND attribute_not_exists(scored_at)",
                ExpressionAttributeValues=_wire(values),
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                raise AlreadyScored(submission.submission_id) from exc
            raise

    # -- notification ------------------------------------------------------------------

    def get_assignment_context(self, lead_id: str, received_at: datetime, submission_id: str,
                               manager_id: str) -> tuple[Lead, Submission, Manager]:
        """Lead, submission and manager in one BatchGetItem, for the manager's email."""
        keys = [lead_key(lead_id), submission_key(lead_id, received_at, submission_id), manager_key(manager_id)]
        request: dict[str, Any] = {self.table_name: {"Keys": [_wire(k) for k in keys], "ConsistentRead": True}}
        found: dict[str, dict[str, Any]] = {}
        while request:
            page = self.client.batch_get_item(RequestItems=request)
            for item in page["Responses"].get(self.table_name, []):
                found[item["SK"]["S"] if item["SK"]["S"] != "LEAD" else "LEAD"] = from_item(item)
            request = page.get("UnprocessedKeys") or {}
        missing = [k["SK"] for k in keys if k["SK"] not in found]
        if missing:
            raise LookupError(f"assignment context incomplete for lead {lead_id}: {missing}")
        return (
            Lead.model_validate(found["LEAD"]),
            Submission.model_validate(found[keys[1]["SK"]]),
            Manager.model_validate(found[keys[2]["SK"]]),
        )

    # -- follow-up: managers' mail, autoresponder, contact, reassignment ---------------

    def get_manager(self, manager_id: str) -> Manager | None:
        item = self.client.get_item(TableName=self.table_name, Key=_wire(manager_key(manager_id)),
                                    ConsistentRead=True).get("Item")
        return Manager.model_validate(from_item(item)) if item else None

    def set_manager_email_status(self, manager_id: str, status: str, at: datetime) -> bool:
        """Record that a manager's address cannot receive email (e.g. "suppressed");
        False when it was already recorded (so the admins are told once)."""
        try:
            self.client.update_item(
                TableName=self.table_name, Key=_wire(manager_key(manager_id)),
                UpdateExpression="SET email_status = :status, email_status_at = :at",
                ConditionExpression="attribute_exists(PK) AND (attribute_not_exists(email_status)"
                                    " OR email_status <> :status)",
                ExpressionAttributeValues=_wire({":status": status, ":at": _json_time(at)}),
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def count_autoreply(self, address_hash: str, window_start: int, window_seconds: int, limit: int) -> bool:
        """Count a thank-you email to one address (hashed: no personal data in keys);
        False when the address had `limit` in this window."""
        return self._count_in_window(f"AUTOREPLY#{address_hash}", "autoreply_counter", window_start,
                                     window_seconds, limit)

    def mark_contacted(self, lead_id: str, at: datetime, by: str | None = None, note: str | None = None) -> bool:
        """Move an assigned lead to contacted and keep the change in its history, in one
        transaction; False when the lead is not assigned (already contacted, say)."""
        activity = Activity(activity_id=uuid.uuid4().hex, lead_id=lead_id, at=at, kind="contacted",
                            detail={k: v for k, v in (("by", by), ("note", note)) if v})
        try:
            self.client.transact_write_items(TransactItems=[
                {"Update": {
                    "TableName": self.table_name, "Key": _wire(lead_key(lead_id)),
                    # A lead back from a postponement keeps the time of its first contact.
                    "UpdateExpression": "SET #status = :contacted, contacted_at = if_not_exists(contacted_at, :at),"
                                        " GSI1SK = :gsk",
                    "ConditionExpression": "#status = :assigned",
                    "ExpressionAttributeNames": {"#status": "status"},
                    "ExpressionAttributeValues": _wire({
                        ":contacted": LeadStatus.CONTACTED.value, ":assigned": LeadStatus.ASSIGNED.value,
                        ":at": _json_time(at), ":gsk": f"{LeadStatus.CONTACTED.value}#{_json_time(at)}"}),
                }},
                {"Put": {"TableName": self.table_name, "Item": to_item(activity_key(activity), "activity", activity)}},
            ])
        except ClientError as exc:
            _cancelled_conditions(exc)
            return False
        return True

    def reassign_lead(self, lead_id: str, from_manager: Manager, to_manager: Manager, at: datetime,
                      reason: str, today: date | None = None) -> None:
        """Move an assigned, not yet contacted lead from one manager to another, with both
        loads and a history entry, all or nothing. The new manager's counter goes up only
        while they can take it (as in `record_assignment`): else ManagerUnavailable; a
        lead that moved or was contacted meanwhile: LeadChanged."""
        now = _json_time(at)
        today_iso = (today or at.date()).isoformat()
        activity = Activity(activity_id=uuid.uuid4().hex, lead_id=lead_id, at=at, kind="reassigned",
                            detail={"from": from_manager.manager_id, "to": to_manager.manager_id, "reason": reason})
        items: list[dict[str, Any]] = [
            {"Update": {
                "TableName": self.table_name, "Key": _wire(lead_key(lead_id)),
                "UpdateExpression": "SET manager_id = :to, assigned_at = :now, reassigned_from = :from,"
                                    " GSI1PK = :gpk, GSI1SK = :gsk",
                "ConditionExpression": "#status = :assigned AND manager_id = :from",
                "ExpressionAttributeNames": {"#status": "status"},
                "ExpressionAttributeValues": _wire({
                    ":to": to_manager.manager_id, ":from": from_manager.manager_id, ":now": now,
                    ":assigned": LeadStatus.ASSIGNED.value, ":gpk": f"MANAGER#{to_manager.manager_id}",
                    ":gsk": f"{LeadStatus.ASSIGNED.value}#{now}"}),
            }},
            self._take_lead(to_manager.manager_id, now, today_iso),
            {"Put": {"TableName": self.table_name, "Item": to_item(activity_key(activity), "activity", activity)}},
        ]
        if from_manager.open_leads > 0:
            items.append(self._release_lead(from_manager.manager_id))
        try:
            self.client.transact_write_items(TransactItems=items)
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "TransactionCanceledException":
                raise
            codes = _cancellation_codes(exc) + ["None"] * len(items)
            if codes[1] == "ConditionalCheckFailed":
                raise ManagerUnavailable(to_manager.manager_id) from exc
            raise LeadChanged(lead_id) from exc

    # -- lifecycle: status changes, notes, conversion ----------------------------------

    def change_lead_status(self, lead_id: str, from_status: LeadStatus, to_status: LeadStatus,
                           activity: Activity, *, rejection_reason: str | None = None,
                           follow_up_on: date | None = None, release_manager_id: str | None = None) -> None:
        """Move a lead from `from_status` to `to_status` with its history entry, in one
        transaction. The write is conditional on `from_status`, so of two concurrent
        changes one wins and the other gets LeadChanged; nothing is overwritten.
        `release_manager_id`: the manager whose load drops by one with it (a closed lead
        is no longer theirs to work); LeadChanged too if their count is 0 by now."""
        at = _json_time(activity.at)
        sets = ["#status = :to", "status_changed_at = :at", "GSI1SK = :gsk"]
        removes: list[str] = []
        values: dict[str, Any] = {":to": to_status.value, ":from": from_status.value, ":at": at,
                                  ":gsk": f"{to_status.value}#{at}"}
        if rejection_reason:
            sets.append("rejection_reason = :reason")
            values[":reason"] = rejection_reason
        if follow_up_on:
            # The manager's list (GSI1) sorts postponed leads by the day they come back.
            sets.append("follow_up_on = :follow_up_on")
            values.update({":follow_up_on": follow_up_on.isoformat(),
                           ":gsk": f"{to_status.value}#{follow_up_on.isoformat()}"})
        else:
            removes.append("follow_up_on")
        update = "SET " + ", ".join(sets) + (" REMOVE " + ", ".join(removes) if removes else "")
        items: list[dict[str, Any]] = [
            {"Update": {
                "TableName": self.table_name, "Key": _wire(lead_key(lead_id)), "UpdateExpression": update,
                "ConditionExpression": "#status = :from", "ExpressionAttributeNames": {"#status": "status"},
                "ExpressionAttributeValues": _wire(values),
            }},
            {"Put": {"TableName": self.table_name, "Item": to_item(activity_key(activity), "activity", activity)}},
        ]
        if release_manager_id:
            items.append(self._release_lead(release_manager_id))
        self._transact_on_lead(lead_id, items)

    def convert_lead(self, from_status: LeadStatus, contact: Contact, activity: Activity, *,
                     release_manager_id: str | None = None) -> None:
        """Create the contact and mark its lead converted, with the history entry, all or
        nothing; LeadChanged when the lead left `from_status` (or was converted) meanwhile.
        The lead and its submissions and activities stay: the contact points back at it.
        `release_manager_id`: as in `change_lead_status`."""
        at = _json_time(activity.at)
        items: list[dict[str, Any]] = [
            {"Update": {
                "TableName": self.table_name, "Key": _wire(lead_key(contact.lead_id)),
                "UpdateExpression": "SET #status = :to, status_changed_at = :at, converted_at = :at,"
                                    " contact_id = :contact, GSI1SK = :gsk REMOVE follow_up_on",
                "ConditionExpression": "#status = :from AND attribute_not_exists(contact_id)",
                "ExpressionAttributeNames": {"#status": "status"},
                "ExpressionAttributeValues": _wire({
                    ":to": LeadStatus.CONVERTED.value, ":from": from_status.value, ":at": at,
                    ":contact": contact.contact_id, ":gsk": f"{LeadStatus.CONVERTED.value}#{at}"}),
            }},
            {"Put": {"TableName": self.table_name, "Item": to_item(contact_key(contact.contact_id), "contact", contact),
                     "ConditionExpression": "attribute_not_exists(PK)"}},
            {"Put": {"TableName": self.table_name, "Item": to_item(activity_key(activity), "activity", activity)}},
        ]
        if release_manager_id:
            items.append(self._release_lead(release_manager_id))
        self._transact_on_lead(contact.lead_id, items)

    def get_contact(self, contact_id: str) -> Contact | None:
        item = self.client.get_item(TableName=self.table_name, Key=_wire(contact_key(contact_id)),
                                    ConsistentRead=True).get("Item")
        return Contact.model_validate(from_item(item)) if item else None

    # -- lifecycle: back from a postponement -------------------------------------------

    def return_postponed_lead(self, lead_id: str, activity: Activity, *, follow_up_on: date | None = None) -> None:
        """Give a postponed lead back to the manager it has, as a fresh assignment
        (`assigned_at` and the manager's queue position are now), with its history entry,
        in one transaction. Its manager's load is untouched: a postponed lead stays counted.

        `follow_up_on`: the return made by the follow-up schedule of that day. It happens
        only while the lead is still postponed to that day, and leaves `return_pending`
        set until `return_announced`, so a retry after a failure finishes the return's
        event and email instead of finding nothing to do. LeadChanged when the lead moved
        (picked up, postponed to another day) meanwhile."""
        at = _json_time(activity.at)
        sets = ["#status = :assigned", "assigned_at = :at", "status_changed_at = :at", "GSI1SK = :gsk"]
        condition = "#status = :postponed AND attribute_exists(manager_id)"
        values: dict[str, Any] = {":assigned": LeadStatus.ASSIGNED.value, ":postponed": LeadStatus.POSTPONED.value,
                                  ":at": at, ":gsk": f"{LeadStatus.ASSIGNED.value}#{at}"}
        if follow_up_on:
            sets.append("return_pending = :day")
            condition += " AND follow_up_on = :day"
            values[":day"] = follow_up_on.isoformat()
        self._transact_on_lead(lead_id, [
            {"Update": {
                "TableName": self.table_name, "Key": _wire(lead_key(lead_id)),
                "UpdateExpression": "SET " + ", ".join(sets) + " REMOVE follow_up_on",
                "ConditionExpression": condition, "ExpressionAttributeNames": {"#status": "status"},
                "ExpressionAttributeValues": _wire(values),
            }},
            {"Put": {"TableName": self.table_name, "Item": to_item(activity_key(activity), "activity", activity)}},
        ])

    def return_announced(self, lead_id: str, follow_up_on: date) -> None:
        """The return of `follow_up_on` is announced and its manager emailed: forget it."""
        try:
            self.client.update_item(
                TableName=self.table_name, Key=_wire(lead_key(lead_id)), UpdateExpression="REMOVE return_pending",
                ConditionExpression="return_pending = :day",
                ExpressionAttributeValues=_wire({":day": follow_up_on.isoformat()}),
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise

    # (the clock of a returned lead uses `latest_submission`, in the farewell section)

    def add_lead_activity(self, activity: Activity) -> bool:
        """Add a history entry to an existing lead; False when there is no such lead."""
        try:
            self._transact_on_lead(activity.lead_id, [
                {"ConditionCheck": {"TableName": self.table_name, "Key": _wire(lead_key(activity.lead_id)),
                                    "ConditionExpression": "attribute_exists(PK)"}},
                {"Put": {"TableName": self.table_name,
                         "Item": to_item(activity_key(activity), "activity", activity)}},
            ])
        except LeadChanged:
            return False
        return True

    def _transact_on_lead(self, lead_id: str, items: list[dict[str, Any]]) -> None:
        """One transaction whose conditions are about the lead: LeadChanged when they fail
        (the lead moved, or is gone) or another write on it got in the way (a conflict:
        read again and decide again); any other error is raised as it is."""
        try:
            self.client.transact_write_items(TransactItems=items)
        except ClientError as exc:
            codes = _cancellation_codes(exc) if exc.response["Error"]["Code"] == "TransactionCanceledException" else []
            lost = {"ConditionalCheckFailed", "TransactionConflict"}
            if not lost.intersection(codes) or any(c not in lost | {"None"} for c in codes):
                raise
            raise LeadChanged(lead_id) from exc

    # -- signed links: the farewell and its questionnaire --------------------------------
    # The answer marker: LEAD#<lead_id> / FEEDBACK, in the lead's partition (erased with it).

    def latest_submission(self, lead_id: str) -> Submission | None:
        """A lead's most recent submission (its `language` is the person's): one Query
        reading one item."""
        page = self.client.query(
            TableName=self.table_name, ConsistentRead=True, ScanIndexForward=False, Limit=1,
            KeyConditionExpression="PK = :pk AND begins_with(SK, :sub)",
            ExpressionAttributeValues=_wire({":pk": f"LEAD#{lead_id}", ":sub": "SUB#"}),
        )
        items = page.get("Items", [])
        return Submission.model_validate(from_item(items[0])) if items else None

    def has_feedback(self, lead_id: str) -> bool:
        """Whether the lead already answered its farewell questionnaire."""
        return "Item" in self.client.get_item(TableName=self.table_name, ConsistentRead=True,
                                              Key=_wire({"PK": f"LEAD#{lead_id}", "SK": "FEEDBACK"}),
                                              ProjectionExpression="PK")

    def record_feedback(self, activity: Activity) -> str:
        """Keep a lead's questionnaire answer (a `feedback` history entry) once: the entry
        and a marker written only if absent, in one transaction with a check that the
        lead exists. Returns `recorded`, `already` (answered before) or `no_lead`."""
        marker = to_item({"PK": f"LEAD#{activity.lead_id}", "SK": "FEEDBACK"}, "feedback_marker",
                         answered_at=_json_time(activity.at), activity_id=activity.activity_id)
        try:
            self.client.transact_write_items(TransactItems=[
                {"ConditionCheck": {"TableName": self.table_name, "Key": _wire(lead_key(activity.lead_id)),
                                    "ConditionExpression": "attribute_exists(PK)"}},
                {"Put": {"TableName": self.table_name, "Item": marker,
                         "ConditionExpression": "attribute_not_exists(PK)"}},
                {"Put": {"TableName": self.table_name, "Item": to_item(activity_key(activity), "activity", activity)}},
            ])
        except ClientError as exc:
            codes = _cancelled_conditions(exc)
            return "no_lead" if codes[0] == "ConditionalCheckFailed" else "already"
        return "recorded"

    # -- erasure ---------------------------------------------------------------------------
    # leadflow.erasure decides what goes and what stays; here it is read and written.
    # The erasure record: ERASURE#<erasure_id> / ERASURE (no personal data).

    # Noted on a large lead's card before its extra items go, so an erasure interrupted
    # after deleting the submissions that named an identity still finds it on a retry.
    ERASING_IDENTITIES = "erasing_identities"
    MAX_TRANSACTION_ITEMS = 100  # DynamoDB's limit per TransactWriteItems
    _BATCH_WRITE_ITEMS = 25  # and per BatchWriteItem
    _BATCH_GET_KEYS = 100

    def identity_owners(self, identity_pks: list[str]) -> dict[str, str]:
        """Identity key (PK, e.g. `IDENT#EMAIL#ana@example.com`) → the lead it points at,
        for those that exist (strongly consistent)."""
        owners: dict[str, str] = {}
        for start in range(0, len(identity_pks), self._BATCH_GET_KEYS):
            keys = [_wire({"PK": pk, "SK": "IDENT"}) for pk in identity_pks[start:start + self._BATCH_GET_KEYS]]
            request: dict[str, Any] = {self.table_name: {"Keys": keys, "ConsistentRead": True,
                                                         "ProjectionExpression": "PK, lead_id"}}
            while request:
                page = self.client.batch_get_item(RequestItems=request)
                owners.update({i["PK"]["S"]: i["lead_id"]["S"] for i in page["Responses"].get(self.table_name, [])
                               if "lead_id" in i})
                request = page.get("UnprocessedKeys") or {}
        return owners

    def lead_partition(self, lead_id: str) -> list[dict[str, Any]]:
        """Every item of a lead's partition (card, submissions, history, anything else
        kept there), as plain Python with their keys: one paginated Query."""
        items: list[dict[str, Any]] = []
        kwargs: dict[str, Any] = {
            "TableName": self.table_name, "ConsistentRead": True, "KeyConditionExpression": "PK = :pk",
            "ExpressionAttributeValues": _wire({":pk": f"LEAD#{lead_id}"}),
        }
        while True:
            page = self.client.query(**kwargs)
            items += [{k: _deserializer.deserialize(v) for k, v in i.items()} for i in page.get("Items", [])]
            if "LastEvaluatedKey" not in page:
                return items
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def get_contact_item(self, contact_id: str) -> dict[str, Any] | None:
        """A contact as stored (every attribute, keys left out), for anonymizing it."""
        item = self.client.get_item(TableName=self.table_name, Key=_wire(contact_key(contact_id)),
                                    ConsistentRead=True).get("Item")
        return from_item(item) if item else None

    def erase_lead(self, lead_id: str, *, submission_count: int | None, card_sets: dict[str, Any],
                   card_removes: list[str], deletes: list[dict[str, str]], identity_pks: list[str],
                   activity: Activity, contact_id: str | None = None, contact_sets: dict[str, Any] | None = None,
                   contact_removes: list[str] | None = None) -> None:
        """Anonymize a lead card (and its contact), delete its identities and the other
        items of its partition (`deletes`), and add the `erased` history entry: in one
        transaction, conditional on the card still having `submission_count` (no
        submission arrived since it was read): else LeadChanged, read again.

        When everything does not fit one transaction, the identities are first noted on
        the card and the oldest `deletes` removed in batches (each delete is idempotent);
        the transaction then does the rest."""
        final: list[dict[str, Any]] = [
            {"Update": self._erasure_update(lead_key(lead_id), card_sets, [*card_removes, self.ERASING_IDENTITIES],
                                            submission_count)},
            {"Put": {"TableName": self.table_name, "Item": to_item(activity_key(activity), "activity", activity)}},
        ]
        if contact_id and contact_sets is not None:
            final.append({"Update": self._erasure_update(contact_key(contact_id), contact_sets,
                                                         contact_removes or [], None)})
        final += [{"Delete": {
            "TableName": self.table_name, "Key": _wire({"PK": pk, "SK": "IDENT"}),
            # Only while it still names this lead (it never names another, but be sure).
            "ConditionExpression": "attribute_not_exists(PK) OR lead_id = :lead",
            "ExpressionAttributeValues": _wire({":lead": lead_id}),
        }} for pk in identity_pks]
        room = self.MAX_TRANSACTION_ITEMS - len(final)
        early, last = deletes[:max(len(deletes) - room, 0)], deletes[max(len(deletes) - room, 0):]
        if early:
            self._transact_on_lead(lead_id, [{"Update": {
                "TableName": self.table_name, "Key": _wire(lead_key(lead_id)),
                "UpdateExpression": "SET #noted = :pks", "ConditionExpression": "attribute_exists(PK)",
                "ExpressionAttributeNames": {"#noted": self.ERASING_IDENTITIES},
                "ExpressionAttributeValues": _wire({":pks": identity_pks}),
            }}])
            self.delete_items(early)
        final += [{"Delete": {"TableName": self.table_name, "Key": _wire(key)}} for key in last]
        self._transact_on_lead(lead_id, final)

    def _erasure_update(self, key: dict[str, str], sets: dict[str, Any], removes: list[str],
                        submission_count: int | None) -> dict[str, Any]:
        """An UpdateItem of an existing item setting and removing attributes by name
        (placeholders for every name: `source`, `status`... are reserved words)."""
        names: dict[str, str] = {}
        values: dict[str, Any] = {}
        set_parts: list[str] = []
        for i, (name, value) in enumerate(sets.items()):
            names[f"#s{i}"] = name
            values[f":s{i}"] = _exact_numbers(value)
            set_parts.append(f"#s{i} = :s{i}")
        remove_parts: list[str] = []
        for i, name in enumerate(n for n in removes if n not in sets):
            names[f"#r{i}"] = name
            remove_parts.append(f"#r{i}")
        condition = "attribute_exists(PK)"
        if key["SK"] == "LEAD":
            names["#count"] = "submission_count"
            if submission_count is None:
                condition += " AND attribute_not_exists(#count)"
            else:
                condition += " AND #count = :count"
                values[":count"] = submission_count
        update = " ".join(part for part in (
            "SET " + ", ".join(set_parts) if set_parts else "",
            "REMOVE " + ", ".join(remove_parts) if remove_parts else "") if part)
        op: dict[str, Any] = {"TableName": self.table_name, "Key": _wire(key), "UpdateExpression": update,
                              "ConditionExpression": condition, "ExpressionAttributeNames": names}
        if values:
            op["ExpressionAttributeValues"] = _wire(values)
        return op

    def delete_items(self, keys: list[dict[str, str]]) -> None:
        """Delete items by key in batches of 25, retrying what DynamoDB leaves
        unprocessed (with backoff); deleting an absent item is no error."""
        for start in range(0, len(keys), self._BATCH_WRITE_ITEMS):
            request: dict[str, Any] = {self.table_name: [
                {"DeleteRequest": {"Key": _wire(k)}} for k in keys[start:start + self._BATCH_WRITE_ITEMS]]}
            for attempt in range(8):
                request = self.client.batch_write_item(RequestItems=request).get("UnprocessedItems") or {}
                if not request:
                    break
                time.sleep(min(0.05 * 2 ** attempt, 2.0))
            if request:
                raise RuntimeError(f"{len(request[self.table_name])} deletes left unprocessed (throttled)")

    def delete_autoreply_counters(self, address_hash: str) -> int:
        """Delete the thank-you counters of one address (hashed, as `count_autoreply`
        keys them); returns how many there were."""
        page = self.client.query(
            TableName=self.table_name, ConsistentRead=True, ProjectionExpression="PK, SK",
            KeyConditionExpression="PK = :pk", ExpressionAttributeValues=_wire({":pk": f"AUTOREPLY#{address_hash}"}),
        )  # one per day, kept a day: a single page
        keys = [{"PK": i["PK"]["S"], "SK": i["SK"]["S"]} for i in page.get("Items", [])]
        self.delete_items(keys)
        return len(keys)

    def put_erasure(self, erasure_id: str, record: BaseModel) -> None:
        """Keep the record of an erasure (written once per request)."""
        self.client.put_item(TableName=self.table_name, Item=to_item(
            {"PK": f"ERASURE#{erasure_id}", "SK": "ERASURE"}, "erasure", record),
            ConditionExpression="attribute_not_exists(PK)")

    def get_erasure(self, erasure_id: str) -> dict[str, Any] | None:
        item = self.client.get_item(TableName=self.table_name, Key=_wire({"PK": f"ERASURE#{erasure_id}",
                                                                          "SK": "ERASURE"})).get("Item")
        return from_item(item) if item else None

    # -- reports ---------------------------------------------------------------------------
    # Counter items `STAT#<period>` / `<dimension>#<value>` (period: a UTC day 2026-11-25
    # or month 2026-11) whose numbers change only by ADD; channel costs `STAT#<month>` /
    # `cost#<channel>`; one report mark per lead `STATMARK#<lead_id>` / `MARK` (no TTL: it
    # says where the lead is counted and which facts were, for as long as it can move).

    @staticmethod
    def report_mark_key(lead_id: str) -> dict[str, str]:
        return {"PK": f"STATMARK#{lead_id}", "SK": "MARK"}

    def get_report_mark(self, lead_id: str) -> dict[str, Any] | None:
        item = self.client.get_item(TableName=self.table_name, Key=_wire(self.report_mark_key(lead_id)),
                                    ConsistentRead=True).get("Item")
        return from_item(item) if item else None

    def save_report_mark(self, mark: dict[str, Any], expected_version: int | None,
                         increments: dict[tuple[str, str], dict[str, int]]) -> bool:
        """Write a lead's report mark and add to the counters, all or nothing. The mark is
        written only if it is still at `expected_version` (None: if there is none), so an
        event counts once however often it is delivered. False when the mark changed
        since it was read (or a concurrent write got in the way): read again."""
        put: dict[str, Any] = {"TableName": self.table_name,
                               "Item": to_item(self.report_mark_key(mark["lead_id"]), "report_mark", **mark)}
        if expected_version is None:
            put["ConditionExpression"] = "attribute_not_exists(PK)"
        else:
            put["ConditionExpression"] = "version = :expected"
            put["ExpressionAttributeValues"] = _wire({":expected": expected_version})
        items: list[dict[str, Any]] = [{"Put": put}]
        for (period, cell), counters in increments.items():
            names = {f"#c{i}": name for i, name in enumerate(counters)}
            values: dict[str, Any] = {f":c{i}": amount for i, amount in enumerate(counters.values())}
            values[":type"] = "report_counter"
            items.append({"Update": {
                "TableName": self.table_name, "Key": _wire({"PK": f"STAT#{period}", "SK": cell}),
                "UpdateExpression": "SET item_type = :type ADD " + ", ".join(f"{n} :c{i}" for i, n in enumerate(names)),
                "ExpressionAttributeNames": names, "ExpressionAttributeValues": _wire(values),
            }})
        try:
            self._transact_on_lead(mark["lead_id"], items)
        except LeadChanged:
            return False
        return True

    def report_items(self, period: str) -> list[tuple[str, dict[str, Any]]]:
        """Every counter and cost item of one day or month: (sort key, attributes). One
        item per dimension value, so a few pages at most whatever the number of leads."""
        out: list[tuple[str, dict[str, Any]]] = []
        kwargs: dict[str, Any] = {
            "TableName": self.table_name, "KeyConditionExpression": "PK = :pk",
            "ExpressionAttributeValues": _wire({":pk": f"STAT#{period}"}),
        }
        while True:
            page = self.client.query(**kwargs)
            out += [(i["SK"]["S"], from_item(i)) for i in page.get("Items", [])]
            if "LastEvaluatedKey" not in page:
                return out
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def put_channel_cost(self, month: str, channel: str, cost: dict[str, Any]) -> None:
        """An admin's figure for a channel and month; entered again, it replaces the last."""
        self.client.put_item(TableName=self.table_name,
                             Item=to_item({"PK": f"STAT#{month}", "SK": f"cost#{channel}"}, "channel_cost", **cost))

    # -- queries: lists, lead detail, export ----------------------------------------------

    def query_lead_index(self, index: str, partition: str, low: str, high: str, *, limit: int,
                         start_key: dict[str, str] | None = None, status: str | None = None,
                         temperature: str | None = None) -> LeadIndexPage:
        """One Query of GSI1 (queues) or GSI2 (leads by month): the lead cards whose sort
        key is in [low, high] in one partition, newest first, reading at most `limit`
        items; `status` and `temperature` filter after the read (DynamoDB's semantics:
        the page may hold fewer, and still go on)."""
        pk, sk = {"GSI1": ("GSI1PK", "GSI1SK"), "GSI2": ("GSI2PK", "GSI2SK")}[index]
        values: dict[str, Any] = {":pk": partition, ":low": low, ":high": high}
        names = {"#pk": pk, "#sk": sk}
        filters = []
        if status:
            filters.append("#status = :status")
            names["#status"] = "status"
            values[":status"] = status
        if temperature:
            filters.append("#score.#temperature = :temperature")
            names.update({"#score": "score", "#temperature": "temperature"})
            values[":temperature"] = temperature
        kwargs: dict[str, Any] = {
            "TableName": self.table_name, "IndexName": index, "Limit": limit, "ScanIndexForward": False,
            "KeyConditionExpression": "#pk = :pk AND #sk BETWEEN :low AND :high",
            "ExpressionAttributeNames": names, "ExpressionAttributeValues": _wire(values),
        }
        if filters:
            kwargs["FilterExpression"] = " AND ".join(filters)
        if start_key:
            kwargs["ExclusiveStartKey"] = _wire(start_key)
        page = self.client.query(**kwargs)
        leads = [Lead.model_validate(from_item(i)) for i in page.get("Items", []) if i.get("SK", {}).get("S") == "LEAD"]
        last = page.get("LastEvaluatedKey")
        return LeadIndexPage(leads=leads, last_key={k: v["S"] for k, v in last.items()} if last else None,
                             items_read=int(page.get("ScannedCount", len(page.get("Items", [])))))

    def get_lead_file(self, lead_id: str, max_items: int = 500) -> LeadFile | None:
        """The lead card, its submissions and its history, newest first, from one Query on
        the lead's partition (paged, at most `max_items` items); None without a lead."""
        kwargs: dict[str, Any] = {
            "TableName": self.table_name, "ConsistentRead": True, "ScanIndexForward": False,
            "KeyConditionExpression": "PK = :pk", "ExpressionAttributeValues": _wire({":pk": f"LEAD#{lead_id}"}),
        }
        lead: Lead | None = None
        submissions: list[dict[str, Any]] = []
        activities: list[Activity] = []
        read = 0
        complete = False
        while read < max_items:
            page = self.client.query(**kwargs, Limit=max_items - read)
            for item in page.get("Items", []):
                sort_key = item["SK"]["S"]
                if sort_key == "LEAD":
                    lead = Lead.model_validate(from_item(item))
                elif sort_key.startswith("SUB#"):
                    submissions.append(from_item(item))
                elif sort_key.startswith("ACT#"):
                    activities.append(Activity.model_validate(from_item(item)))
            read += len(page.get("Items", []))
            if "LastEvaluatedKey" not in page:
                complete = True
                break
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        if lead is None:  # sorted after more submissions than one read returns, or absent
            lead = None if complete else self.get_lead(lead_id)
        return LeadFile(lead=lead, submissions=submissions, activities=activities, complete=complete) if lead else None
