"""The partners over the one table: PARTNER items, listed through GSI1 (`PARTNERS`)."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from leadflow.shared.models import Partner
from leadflow.storage import keys
from leadflow.storage.codec import from_item, to_item, wire
from leadflow.storage.table import Table
from leadflow.storage.transactions import condition_failed


def _partner_item(partner: Partner) -> dict[str, Any]:
    return to_item({**keys.partner_key(partner.partner_id), **keys.partner_listing_keys(partner.partner_id)},
                   "partner", partner)


class PartnerStore:
    """Reads and writes of partners; every part that needs a partner comes here."""

    def __init__(self, table: Table) -> None:
        self.table = table

    def get(self, partner_id: str, *, consistent: bool = True) -> Partner | None:
        """The partner with this code, or None."""
        return self.table.get_model(keys.partner_key(partner_id), Partner, consistent=consistent)

    def names(self, partner_ids: list[str]) -> dict[str, str]:
        """Partner code → name, in one BatchGetItem (what an email shows of a referrer)."""
        wanted = [keys.partner_key(partner_id) for partner_id in dict.fromkeys(partner_ids)]
        return {item["PK"]["S"].removeprefix("PARTNER#"): item["name"]["S"]
                for item in self.table.batch_get(wanted)} if wanted else {}

    def create(self, partner: Partner) -> bool:
        """Write a new partner, listed with the others; False (nothing written) when the
        code is taken: one conditional write decides between two admins."""
        try:
            self.table.put(_partner_item(partner), "attribute_not_exists(PK)")
        except ClientError as exc:
            if condition_failed(exc):
                return False
            raise
        return True

    def list(self) -> list[Partner]:
        """Every partner, by code: one Query of GSI1's `PARTNERS` partition (a company
        has tens of partners; eventually consistent, as every index read)."""
        items = self.table.query(IndexName="GSI1", KeyConditionExpression="GSI1PK = :partners",
                                 ExpressionAttributeValues=wire({":partners": keys.PARTNERS_LIST}))
        return [Partner.model_validate(from_item(i)) for i in items]

    def update(self, partner_id: str, fields: dict[str, Any], remove: list[str]) -> Partner | None:
        """Change only these attributes of an existing partner (SET `fields`, plain JSON
        values; REMOVE `remove`); None when there is no such partner."""
        try:
            item = self.table.set_fields(keys.partner_key(partner_id), fields, remove=remove,
                                         condition="attribute_exists(PK)")
        except ClientError as exc:
            if condition_failed(exc):
                return None
            raise
        return Partner.model_validate(from_item(item))
