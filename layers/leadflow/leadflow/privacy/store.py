"""What erasure reads and writes: who an identity points at, everything in a lead's
partition, the anonymizing transaction, the thank-you counters, the erasure record
(`ERASURE#<id>` / `ERASURE`: no personal data)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from leadflow.privacy.erasure import ERASING_IDENTITIES
from leadflow.shared.models import Activity
from leadflow.storage import keys
from leadflow.storage.codec import exact_numbers, from_item, plain, to_item, wire
from leadflow.storage.table import MAX_TRANSACTION_ITEMS, Table


class ErasureStore:
    def __init__(self, table: Table) -> None:
        self.table = table

    def identity_owners(self, identity_pks: list[str]) -> dict[str, str]:
        """Identity key (PK, e.g. `IDENT#EMAIL#ana@example.com`) → the lead it points at,
        for those that exist (strongly consistent)."""
        found = self.table.batch_get([keys.identity_key(pk) for pk in identity_pks], projection="PK, lead_id")
        return {i["PK"]["S"]: i["lead_id"]["S"] for i in found if "lead_id" in i}

    def lead_partition(self, lead_id: str) -> list[dict[str, Any]]:
        """Every item of a lead's partition (card, submissions, history, anything else
        kept there), as plain Python with their keys: one paginated Query."""
        return [plain(i) for i in self.table.partition(keys.lead_partition(lead_id))]

    def get_contact_item(self, contact_id: str) -> dict[str, Any] | None:
        """A contact as stored (every attribute, keys left out), for anonymizing it."""
        item = self.table.get(keys.contact_key(contact_id))
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
            self._erasure_update(keys.lead_key(lead_id), card_sets, [*card_removes, ERASING_IDENTITIES],
                                 submission_count),
            self.table.activity_op(activity),
        ]
        if contact_id and contact_sets is not None:
            final.append(self._erasure_update(keys.contact_key(contact_id), contact_sets, contact_removes or [], None))
        final += [{"Delete": {
            "TableName": self.table.name, "Key": wire(keys.identity_key(pk)),
            # Only while it still names this lead (it never names another, but be sure).
            "ConditionExpression": "attribute_not_exists(PK) OR lead_id = :lead",
            "ExpressionAttributeValues": wire({":lead": lead_id}),
        }} for pk in identity_pks]
        room = MAX_TRANSACTION_ITEMS - len(final)
        early, last = deletes[:max(len(deletes) - room, 0)], deletes[max(len(deletes) - room, 0):]
        if early:
            self.table.transact_on_lead(lead_id, [self.table.update_op(
                keys.lead_key(lead_id), "SET #noted = :pks", condition="attribute_exists(PK)",
                names={"#noted": ERASING_IDENTITIES}, values={":pks": identity_pks})])
            self.table.delete_items(early)
        final += [{"Delete": {"TableName": self.table.name, "Key": wire(key)}} for key in last]
        self.table.transact_on_lead(lead_id, final)

    def _erasure_update(self, key: keys.Key, sets: dict[str, Any], removes: list[str],
                        submission_count: int | None) -> dict[str, Any]:
        """An Update of an existing item setting and removing attributes by name
        (placeholders for every name: `source`, `status`... are reserved words)."""
        names: dict[str, str] = {}
        values: dict[str, Any] = {}
        set_parts: list[str] = []
        for i, (name, value) in enumerate(sets.items()):
            names[f"#s{i}"] = name
            values[f":s{i}"] = exact_numbers(value)
            set_parts.append(f"#s{i} = :s{i}")
        remove_parts: list[str] = []
        for i, name in enumerate(n for n in removes if n not in sets):
            names[f"#r{i}"] = name
            remove_parts.append(f"#r{i}")
        condition = "attribute_exists(PK)"
        if key["SK"] == keys.LEAD_CARD:
            names["#count"] = "submission_count"
            if submission_count is None:
                condition += " AND attribute_not_exists(#count)"
            else:
                condition += " AND #count = :count"
                values[":count"] = submission_count
        update = " ".join(part for part in (
            "SET " + ", ".join(set_parts) if set_parts else "",
            "REMOVE " + ", ".join(remove_parts) if remove_parts else "") if part)
        return self.table.update_op(key, update, condition=condition, names=names, values=values or None)

    def delete_items(self, item_keys: list[keys.Key]) -> None:
        self.table.delete_items(item_keys)

    def delete_autoreply_counters(self, address_hash: str) -> int:
        """Delete the thank-you counters of one address (hashed, as notification keys
        them); returns how many there were."""
        page = self.table.client.query(
            TableName=self.table.name, ConsistentRead=True, ProjectionExpression="PK, SK",
            KeyConditionExpression="PK = :pk",
            ExpressionAttributeValues=wire({":pk": keys.autoreply_counter_pk(address_hash)}),
        )  # one per day, kept a day: a single page
        found = [{"PK": i["PK"]["S"], "SK": i["SK"]["S"]} for i in page.get("Items", [])]
        self.table.delete_items(found)
        return len(found)

    def put_erasure(self, erasure_id: str, record: BaseModel) -> None:
        """Keep the record of an erasure (written once per request)."""
        self.table.put(to_item(keys.erasure_key(erasure_id), "erasure", record), "attribute_not_exists(PK)")

    def get_erasure(self, erasure_id: str) -> dict[str, Any] | None:
        item = self.table.get(keys.erasure_key(erasure_id), consistent=False)
        return from_item(item) if item else None
