"""The one table, as every part's store uses it: key lookups, paged queries, the
operations of transactions, batch deletes and windowed counters. No Scan anywhere.

Each part of the business has its own small store over this (`leadflow.<part>.store`),
with the part's own reads, writes and conditions; what they all need is here."""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from typing import Any, TypeVar

from botocore.exceptions import ClientError
from pydantic import BaseModel

from leadflow.shared import aws
from leadflow.shared.models import Activity
from leadflow.storage import keys, transactions
from leadflow.storage.codec import exact_numbers, from_item, to_item, wire

M = TypeVar("M", bound=BaseModel)

MAX_TRANSACTION_ITEMS = 100  # DynamoDB's limit per TransactWriteItems
BATCH_WRITE_ITEMS = 25  # and per BatchWriteItem
BATCH_GET_KEYS = 100  # and per BatchGetItem


class Table:
    """The table's name and the client that reaches it. `client` is read on every call,
    so a test can put a failing one in its place."""

    def __init__(self, name: str, client: Any | None = None) -> None:
        self.name = name
        self.client = client or aws.lazy_client("dynamodb")

    # -- reads ---------------------------------------------------------------------------

    def get(self, key: keys.Key, *, consistent: bool = True, projection: str | None = None) -> dict[str, Any] | None:
        """One item in wire format, or None."""
        request: dict[str, Any] = {"TableName": self.name, "Key": wire(key)}
        if consistent:
            request["ConsistentRead"] = True
        if projection:
            request["ProjectionExpression"] = projection
        return self.client.get_item(**request).get("Item")

    def get_model(self, key: keys.Key, model: type[M], *, consistent: bool = True) -> M | None:
        """One item as a model, or None."""
        item = self.get(key, consistent=consistent)
        return model.model_validate(from_item(item)) if item else None

    def query(self, **request: Any) -> Iterator[dict[str, Any]]:
        """Every item a Query returns, page after page, in wire format."""
        request = {"TableName": self.name, **request}
        while True:
            page = self.client.query(**request)
            yield from page.get("Items", [])
            if "LastEvaluatedKey" not in page:
                return
            request["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def partition(self, pk: str, **request: Any) -> Iterator[dict[str, Any]]:
        """Every item of one partition, strongly consistent, page after page."""
        return self.query(ConsistentRead=True, KeyConditionExpression="PK = :pk",
                          ExpressionAttributeValues=wire({":pk": pk}), **request)

    def batch_get(self, item_keys: list[keys.Key], projection: str | None = None) -> list[dict[str, Any]]:
        """The items that exist among these keys (strongly consistent), in any order."""
        found: list[dict[str, Any]] = []
        for start in range(0, len(item_keys), BATCH_GET_KEYS):
            request: dict[str, Any] = {self.name: {
                "Keys": [wire(k) for k in item_keys[start:start + BATCH_GET_KEYS]], "ConsistentRead": True}}
            if projection:
                request[self.name]["ProjectionExpression"] = projection
            while request:
                page = self.client.batch_get_item(RequestItems=request)
                found += page["Responses"].get(self.name, [])
                request = page.get("UnprocessedKeys") or {}
        return found

    # -- writes ----------------------------------------------------------------------------

    def put(self, item: dict[str, Any], condition: str | None = None, values: dict[str, Any] | None = None) -> None:
        """PutItem; with `condition`, ClientError ConditionalCheckFailedException when it fails."""
        request: dict[str, Any] = {"TableName": self.name, "Item": item}
        if condition:
            request["ConditionExpression"] = condition
        if values:
            request["ExpressionAttributeValues"] = wire(values)
        self.client.put_item(**request)

    def put_op(self, item: dict[str, Any], condition: str | None = None,
               values: dict[str, Any] | None = None) -> dict[str, Any]:
        """A Put of a transaction."""
        op: dict[str, Any] = {"TableName": self.name, "Item": item}
        if condition:
            op["ConditionExpression"] = condition
        if values:
            op["ExpressionAttributeValues"] = wire(values)
        return {"Put": op}

    def update_op(self, key: keys.Key, update: str, *, condition: str | None = None,
                  names: dict[str, str] | None = None, values: dict[str, Any] | None = None) -> dict[str, Any]:
        """An Update of a transaction (also what `update` sends on its own)."""
        op: dict[str, Any] = {"TableName": self.name, "Key": wire(key), "UpdateExpression": update}
        if condition:
            op["ConditionExpression"] = condition
        if names:
            op["ExpressionAttributeNames"] = names
        if values:
            op["ExpressionAttributeValues"] = wire(values)
        return {"Update": op}

    def update(self, key: keys.Key, update: str, *, returning: str | None = None, **kwargs: Any) -> dict[str, Any]:
        """UpdateItem; with a condition, ClientError ConditionalCheckFailedException when it
        fails. With `returning` (ALL_NEW...), the item's attributes in wire format."""
        request = self.update_op(key, update, **kwargs)["Update"]
        if returning:
            request["ReturnValues"] = returning
        return self.client.update_item(**request).get("Attributes", {})

    def set_fields(self, key: keys.Key, fields: dict[str, Any], *, remove: Iterable[str] = (),
                   condition: str | None = None) -> dict[str, Any]:
        """UpdateItem of these attributes only: SET each of `fields` (plain values, as
        `to_item` writes them), REMOVE each of `remove`. Whatever else the item holds is
        left as it is, so an edit made from an earlier read never writes back attributes
        others keep up to date meanwhile (a manager's `open_leads`). With a condition,
        ClientError ConditionalCheckFailedException when it fails. Returns the item as it
        is now, in wire format."""
        names: dict[str, str] = {}
        values: dict[str, Any] = {}
        sets, removes = [], []
        for index, (name, value) in enumerate(fields.items()):
            names[f"#s{index}"] = name
            values[f":s{index}"] = exact_numbers(value)
            sets.append(f"#s{index} = :s{index}")
        for index, name in enumerate(remove):
            names[f"#r{index}"] = name
            removes.append(f"#r{index}")
        update = " ".join(part for part in (
            "SET " + ", ".join(sets) if sets else "", "REMOVE " + ", ".join(removes) if removes else "") if part)
        return self.update(key, update, condition=condition, names=names, values=values or None, returning="ALL_NEW")

    def lead_exists_op(self, lead_id: str) -> dict[str, Any]:
        """A ConditionCheck that the lead's card exists."""
        return {"ConditionCheck": {"TableName": self.name, "Key": wire(keys.lead_key(lead_id)),
                                   "ConditionExpression": "attribute_exists(PK)"}}

    def activity_op(self, activity: Activity) -> dict[str, Any]:
        """The Put of a history entry, in the lead's partition."""
        return self.put_op(to_item(keys.activity_key(activity.lead_id, activity.at, activity.activity_id),
                                   "activity", activity))

    def transact(self, items: list[dict[str, Any]]) -> None:
        """All or nothing; transactions.Cancelled says which condition failed."""
        transactions.write(self.client, items)

    def transact_on_lead(self, lead_id: str, items: list[dict[str, Any]]) -> None:
        """A transaction whose conditions are all about one lead: LeadChanged when they
        fail (the lead moved, or is gone) or another write on it got in the way."""
        try:
            transactions.write(self.client, items)
        except transactions.Cancelled as cancelled:
            raise transactions.LeadChanged(lead_id) from cancelled.error

    def delete_items(self, item_keys: list[keys.Key]) -> None:
        """Delete items by key in batches of 25, retrying what DynamoDB leaves
        unprocessed (with backoff); deleting an absent item is no error."""
        for start in range(0, len(item_keys), BATCH_WRITE_ITEMS):
            request: dict[str, Any] = {self.name: [
                {"DeleteRequest": {"Key": wire(k)}} for k in item_keys[start:start + BATCH_WRITE_ITEMS]]}
            for attempt in range(8):
                request = self.client.batch_write_item(RequestItems=request).get("UnprocessedItems") or {}
                if not request:
                    break
                time.sleep(min(0.05 * 2 ** attempt, 2.0))
            if request:
                raise RuntimeError(f"{len(request[self.name])} deletes left unprocessed (throttled)")

    def window_counter_op(self, pk: str, item_type: str, window_start: int, window_seconds: int,
                          limit: int) -> dict[str, Any]:
        """The Update of a counter that expires by TTL after its window: one atomic ADD, on
        condition that it has not reached `limit` yet (alone, or inside a transaction)."""
        return self.update_op(
            keys.window_key(pk, window_start), "SET expires_at = :expires, item_type = :type ADD hits :one",
            condition="attribute_not_exists(hits) OR hits < :limit",
            values={":one": 1, ":limit": limit, ":type": item_type, ":expires": window_start + window_seconds + 60},
        )

    def count_in_window(self, pk: str, item_type: str, window_start: int, window_seconds: int, limit: int) -> bool:
        """One atomic, conditional ADD on a counter that expires by TTL after its window;
        False (nothing counted) when it already reached `limit`."""
        try:
            counter = self.window_counter_op(pk, item_type, window_start, window_seconds, limit)
            self.client.update_item(**counter["Update"])
        except ClientError as exc:
            if transactions.condition_failed(exc):
                return False
            raise
        return True
