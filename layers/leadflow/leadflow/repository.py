"""DynamoDB access for the whole domain: one table, every read a key lookup.

| item       | PK                                      | SK                          |
|------------|-----------------------------------------|-----------------------------|
| lead card  | LEAD#<lead_id>                          | LEAD                        |
| submission | LEAD#<lead_id>                          | SUB#<received_at>#<id>      |
| identity   | IDENT#EMAIL#<email> / IDENT#PHONE#<e164>| IDENT                       |
| manager    | ROSTER                                  | MANAGER#<manager_id>        |
| form       | FORM#<form_id>                          | FORM                        |

Managers share one partition (a team is tens of people, not millions) so the scorer
reads the whole roster with one strongly consistent Query, never a Scan.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import boto3
from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError
from pydantic import BaseModel

from leadflow.models import (
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
_deserializer = TypeDeserializer()
_KEY_ATTRS = ("PK", "SK", "GSI1PK", "GSI1SK", "item_type", "expires_at")


class AlreadyScored(Exception):
    """The submission was scored before (a redelivery), or is not stored at all."""


class ManagerUnavailable(Exception):
    """The chosen manager went inactive or filled up between the read and the write."""


class LeadVanished(Exception):
    """An identity pointed at a lead that no longer exists; the write is retried."""


def lead_key(lead_id: str) -> dict[str, str]:
    return {"PK": f"LEAD#{lead_id}", "SK": "LEAD"}


def submission_key(lead_id: str, received_at: datetime, submission_id: str) -> dict[str, str]:
    return {"PK": f"LEAD#{lead_id}", "SK": f"SUB#{received_at.isoformat()}#{submission_id}"}


def manager_key(manager_id: str) -> dict[str, str]:
    return {"PK": "ROSTER", "SK": f"MANAGER#{manager_id}"}


def form_key(form_id: str) -> dict[str, str]:
    return {"PK": f"FORM#{form_id}", "SK": "FORM"}


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
    return {k: _serializer.serialize(v) for k, v in plain.items()}


def from_item(item: dict[str, Any]) -> dict[str, Any]:
    """Wire format to plain Python, without the key attributes."""
    plain = {k: _deserializer.deserialize(v) for k, v in item.items()}
    return {k: v for k, v in plain.items() if k not in _KEY_ATTRS}


def _wire(values: dict[str, Any]) -> dict[str, Any]:
    return {k: _serializer.serialize(v) for k, v in values.items()}


def _cancellation_codes(exc: ClientError) -> list[str]:
    return [r.get("Code", "None") for r in exc.response.get("CancellationReasons", [])]


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

    def record_submission(self, submission: Submission, lead: Lead) -> Submission:
        """Store a submission with its lead card and identities in one transaction.

        The identity items are written only if absent, so two concurrent first
        submissions by one person cannot make two leads. A known person's
        submission is attached to their existing lead instead. One call for a new
        lead; a returning one costs a lookup and a second transaction."""
        puts = [
            {"Put": {"TableName": self.table_name, "Item": to_item(lead_key(lead.lead_id), "lead", lead),
                     "ConditionExpression": "attribute_not_exists(PK)"}},
            {"Put": {"TableName": self.table_name, "Item": self._submission_item(submission)}},
        ] + [
            {"Put": {"TableName": self.table_name,
                     "Item": to_item(key, "identity", lead_id=lead.lead_id, created_at=lead.created_at.isoformat()),
                     "ConditionExpression": "attribute_not_exists(PK)"}}
            for key in identity_keys(lead.contact)
        ]
        try:
            self.client.transact_write_items(TransactItems=puts)
            return submission
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "TransactionCanceledException" or \
                    "ConditionalCheckFailed" not in _cancellation_codes(exc):
                raise
        existing = self.find_lead_id(lead.contact)
        if existing is None:
            raise LeadVanished(lead.lead_id)
        returning = submission.model_copy(update={"lead_id": existing, "is_new_lead": False})
        self._attach(returning)
        return returning

    def _submission_item(self, submission: Submission) -> dict[str, Any]:
        key = submission_key(submission.lead_id, submission.received_at, submission.submission_id)
        return to_item(key, "submission", submission)

    def _attach(self, submission: Submission) -> None:
        try:
            self.client.transact_write_items(TransactItems=[
                {"Put": {"TableName": self.table_name, "Item": self._submission_item(submission)}},
                {"Update": {
                    "TableName": self.table_name, "Key": _wire(lead_key(submission.lead_id)),
                    "UpdateExpression": "SET last_seen_at = :seen ADD submission_count :one",
                    "ConditionExpression": "attribute_exists(PK)",
                    "ExpressionAttributeValues": _wire({":seen": submission.received_at.isoformat(), ":one": 1}),
                }},
            ])
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "TransactionCanceledException":
                raise LeadVanished(submission.lead_id) from exc
            raise

    def find_lead_id(self, contact: ContactCard) -> str | None:
        """The lead a person already has: matched by email, then by phone."""
        keys = identity_keys(contact)
        if not keys:
            return None
        found = self.client.batch_get_item(
            RequestItems={self.table_name: {"Keys": [_wire(k) for k in keys], "ConsistentRead": True}}
        )["Responses"].get(self.table_name, [])
        by_pk = {i["PK"]["S"]: i["lead_id"]["S"] for i in found}
        for key in keys:
            if key["PK"] in by_pk:
                return by_pk[key["PK"]]
        return None

    # -- scoring and assignment --------------------------------------------------------

    def get_lead(self, lead_id: str) -> Lead | None:
        item = self.client.get_item(
            TableName=self.table_name, Key=_wire(lead_key(lead_id)), ConsistentRead=True).get("Item")
        return Lead.model_validate(from_item(item)) if item else None

    def get_submission(self, lead_id: str, received_at: datetime, submission_id: str) -> dict[str, Any] | None:
        """The stored submission with what scoring recorded on it (score, manager_id)."""
        item = self.client.get_item(
            TableName=self.table_name, Key=_wire(submission_key(lead_id, received_at, submission_id)),
            ConsistentRead=True,
        ).get("Item")
        return from_item(item) if item else None

    def record_assignment(self, submission: Submission, score: Score, manager: Manager | None,
                          new_assignment: bool) -> None:
        """Write the score and the manager on the submission and the lead, and count
        the lead against the manager's load, all or nothing.

        The submission's `scored_at` is written only once, which makes a redelivered
        stream record harmless (AlreadyScored), and the manager's counter is only
        incremented while they are active and below capacity (ManagerUnavailable)."""
        now = utc_now().isoformat()
        score_doc = score.model_dump(mode="json")
        sub_values: dict[str, Any] = {":score": score_doc, ":now": now}
        sub_update = "SET score = :score, scored_at = :now"
        if manager:
            sub_update += ", manager_id = :manager"
            sub_values[":manager"] = manager.manager_id
        items: list[dict[str, Any]] = [{"Update": {
            "TableName": self.table_name,
            "Key": _wire(submission_key(submission.lead_id, submission.received_at, submission.submission_id)),
            "UpdateExpression": sub_update,
            "ConditionExpression": "attribute_exists(PK) AND attribute_not_exists(scored_at)",
            "ExpressionAttributeValues": _wire(sub_values),
        }}]

        lead_values: dict[str, Any] = {":score": score_doc}
        lead_update = "SET score = :score"
        if new_assignment and manager:
            lead_update += (", #status = :status, manager_id = :manager, assigned_at = :now,"
                            " GSI1PK = :gpk, GSI1SK = :gsk")
            lead_values.update({
                ":status": LeadStatus.ASSIGNED.value, ":manager": manager.manager_id, ":now": now,
                ":gpk": f"MANAGER#{manager.manager_id}", ":gsk": f"{LeadStatus.ASSIGNED.value}#{now}",
            })
        elif new_assignment:
            lead_update += ", #status = :status, GSI1PK = :gpk, GSI1SK = :gsk"
            lead_values.update({
                ":status": LeadStatus.UNASSIGNED.value, ":gpk": "UNASSIGNED",
                ":gsk": f"{LeadStatus.UNASSIGNED.value}#{now}",
            })
        lead_op: dict[str, Any] = {
            "TableName": self.table_name, "Key": _wire(lead_key(submission.lead_id)),
            "UpdateExpression": lead_update, "ConditionExpression": "attribute_exists(PK)",
            "ExpressionAttributeValues": _wire(lead_values),
        }
        if new_assignment:
            lead_op["ExpressionAttributeNames"] = {"#status": "status"}
        items.append({"Update": lead_op})

        if new_assignment and manager:
            items.append({"Update": {
                "TableName": self.table_name, "Key": _wire(manager_key(manager.manager_id)),
                "UpdateExpression": "SET last_assigned_at = :now ADD open_leads :one",
                "ConditionExpression": "active = :true AND open_leads < #capacity",
                "ExpressionAttributeNames": {"#capacity": "capacity"},
                "ExpressionAttributeValues": _wire({":now": now, ":one": 1, ":true": True}),
            }})
        try:
            self.client.transact_write_items(TransactItems=items)
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "TransactionCanceledException":
                raise
            codes = _cancellation_codes(exc)
            if codes[0] == "ConditionalCheckFailed":
                raise AlreadyScored(submission.submission_id) from exc
            if len(codes) > 2 and codes[2] == "ConditionalCheckFailed":
                raise ManagerUnavailable(manager.manager_id if manager else "") from exc
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
