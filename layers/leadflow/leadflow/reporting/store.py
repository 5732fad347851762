"""What reporting reads and writes: the report counters with each lead's report mark,
channel costs, the lead indexes that lists page through, and one lead's whole file.

Counter items `STAT#<period>` / `<dimension>#<value>` (period: a UTC day 2026-11-25
or month 2026-11) change only by ADD; channel costs `STAT#<month>` / `cost#<channel>`;
one report mark per lead `STATMARK#<lead_id>` / `MARK` (no TTL: it says where the lead
is counted and which facts were, for as long as it can move)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from leadflow.reporting.listing import LeadIndexPage
from leadflow.shared.models import Activity, Lead
from leadflow.storage import keys
from leadflow.storage.codec import from_item, to_item, wire
from leadflow.storage.leads import LeadReads
from leadflow.storage.table import Table
from leadflow.storage.transactions import LeadChanged


@dataclass(frozen=True)
class LeadFile:
    """A lead with everything kept under it, newest first; `complete` is False when the
    lead has more items than one read returns (the oldest are left out)."""

    lead: Lead
    submissions: list[dict[str, Any]]
    activities: list[Activity]
    complete: bool


class ReportingStore(LeadReads):
    """The counters, the report marks and the channel costs."""

    def __init__(self, table: Table) -> None:
        self.table = table

    def get_report_mark(self, lead_id: str) -> dict[str, Any] | None:
        item = self.table.get(keys.report_mark_key(lead_id))
        return from_item(item) if item else None

    def save_report_mark(self, mark: dict[str, Any], expected_version: int | None,
                         increments: dict[tuple[str, str], dict[str, int]]) -> bool:
        """Write a lead's report mark and add to the counters, all or nothing. The mark is
        written only if it is still at `expected_version` (None: if there is none), so an
        event counts once however often it is delivered. False when the mark changed
        since it was read (or a concurrent write got in the way): read again."""
        item = to_item(keys.report_mark_key(mark["lead_id"]), "report_mark", **mark)
        if expected_version is None:
            put = self.table.put_op(item, "attribute_not_exists(PK)")
        else:
            put = self.table.put_op(item, "version = :expected", {":expected": expected_version})
        items: list[dict[str, Any]] = [put]
        for (period, cell), counters in increments.items():
            names = {f"#c{i}": name for i, name in enumerate(counters)}
            values: dict[str, Any] = {f":c{i}": amount for i, amount in enumerate(counters.values())}
            values[":type"] = "report_counter"
            items.append(self.table.update_op(
                keys.stat_key(period, cell),
                "SET item_type = :type ADD " + ", ".join(f"{n} :c{i}" for i, n in enumerate(names)),
                names=names, values=values))
        try:
            self.table.transact_on_lead(mark["lead_id"], items)
        except LeadChanged:
            return False
        return True

    def report_items(self, period: str) -> list[tuple[str, dict[str, Any]]]:
        """Every counter and cost item of one day or month: (sort key, attributes). One
        item per dimension value, so a few pages at most whatever the number of leads."""
        items = self.table.query(KeyConditionExpression="PK = :pk",
                                 ExpressionAttributeValues=wire({":pk": keys.stat_partition(period)}))
        return [(i["SK"]["S"], from_item(i)) for i in items]

    def put_channel_cost(self, month: str, channel: str, cost: dict[str, Any]) -> None:
        """An admin's figure for a channel and month; entered again, it replaces the last."""
        self.table.put(to_item(keys.cost_key(month, channel), "channel_cost", **cost))

    def put_partner_cost(self, month: str, partner_id: str, cost: dict[str, Any]) -> None:
        """What a referral partner (a lead group) cost in a month; the partner report reads
        it (leadflow.referrals.records), the channel report leaves it out."""
        self.table.put(to_item(keys.partner_cost_key(month, partner_id), "partner_cost", **cost))


class ListingStore(LeadReads):
    """The lead indexes and one lead's partition, for lists, the export and a lead's page."""

    def __init__(self, table: Table) -> None:
        self.table = table

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
        request: dict[str, Any] = {
            "TableName": self.table.name, "IndexName": index, "Limit": limit, "ScanIndexForward": False,
            "KeyConditionExpression": "#pk = :pk AND #sk BETWEEN :low AND :high",
            "ExpressionAttributeNames": names, "ExpressionAttributeValues": wire(values),
        }
        if filters:
            request["FilterExpression"] = " AND ".join(filters)
        if start_key:
            request["ExclusiveStartKey"] = wire(start_key)
        page = self.table.client.query(**request)
        found = [Lead.model_validate(from_item(i)) for i in page.get("Items", [])
                 if i.get("SK", {}).get("S") == keys.LEAD_CARD]
        last = page.get("LastEvaluatedKey")
        return LeadIndexPage(leads=found, last_key={k: v["S"] for k, v in last.items()} if last else None,
                             items_read=int(page.get("ScannedCount", len(page.get("Items", [])))))

    def get_lead_file(self, lead_id: str, max_items: int = 500) -> LeadFile | None:
        """The lead card, its submissions and its history, newest first, from one Query on
        the lead's partition (paged, at most `max_items` items); None without a lead."""
        request: dict[str, Any] = {
            "TableName": self.table.name, "ConsistentRead": True, "ScanIndexForward": False,
            "KeyConditionExpression": "PK = :pk",
            "ExpressionAttributeValues": wire({":pk": keys.lead_partition(lead_id)}),
        }
        lead: Lead | None = None
        submissions: list[dict[str, Any]] = []
        activities: list[Activity] = []
        read = 0
        complete = False
        while read < max_items:
            page = self.table.client.query(**request, Limit=max_items - read)
            for item in page.get("Items", []):
                sort_key = item["SK"]["S"]
                if sort_key == keys.LEAD_CARD:
                    lead = Lead.model_validate(from_item(item))
                elif sort_key.startswith(keys.SUBMISSION_PREFIX):
                    submissions.append(from_item(item))
                elif sort_key.startswith(keys.ACTIVITY_PREFIX):
                    activities.append(Activity.model_validate(from_item(item)))
            read += len(page.get("Items", []))
            if "LastEvaluatedKey" not in page:
                complete = True
                break
            request["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        if lead is None:  # sorted after more submissions than one read returns, or absent
            lead = None if complete else self.get_lead(lead_id)
        return LeadFile(lead=lead, submissions=submissions, activities=activities, complete=complete) if lead else None
