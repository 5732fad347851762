"""Reads and writes of a lead's partition that several parts make: the card, the latest
submission, a history entry on a lead that exists. The parts' stores offer them by
inheriting `LeadReads`; the conditions are written once, here."""

from __future__ import annotations

from leadflow.shared.models import Activity, Lead, Submission
from leadflow.storage import keys
from leadflow.storage.codec import from_item, wire
from leadflow.storage.table import Table
from leadflow.storage.transactions import LeadChanged


def get_lead(table: Table, lead_id: str) -> Lead | None:
    """The lead card, strongly consistent; None when there is no such lead."""
    return table.get_model(keys.lead_key(lead_id), Lead)


def latest_submission(table: Table, lead_id: str) -> Submission | None:
    """A lead's most recent submission (its `language` is the person's): one Query
    reading one item."""
    page = table.client.query(
        TableName=table.name, ConsistentRead=True, ScanIndexForward=False, Limit=1,
        KeyConditionExpression="PK = :pk AND begins_with(SK, :sub)",
        ExpressionAttributeValues=wire({":pk": keys.lead_partition(lead_id), ":sub": keys.SUBMISSION_PREFIX}),
    )
    items = page.get("Items", [])
    return Submission.model_validate(from_item(items[0])) if items else None


def add_activity(table: Table, activity: Activity) -> bool:
    """Add a history entry to an existing lead; False when there is no such lead."""
    try:
        table.transact_on_lead(activity.lead_id, [table.lead_exists_op(activity.lead_id), table.activity_op(activity)])
    except LeadChanged:
        return False
    return True


class LeadReads:
    """The lead reads and the history entry of a part's store over `self.table`."""

    table: Table

    def get_lead(self, lead_id: str) -> Lead | None:
        return get_lead(self.table, lead_id)

    def latest_submission(self, lead_id: str) -> Submission | None:
        return latest_submission(self.table, lead_id)

    def add_lead_activity(self, activity: Activity) -> bool:
        return add_activity(self.table, activity)
