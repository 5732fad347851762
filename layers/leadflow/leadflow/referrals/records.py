"""What each partner brings, over the one table: one small tally per referred lead (in
its partner's partition), the referrals given back to partners, the partners' monthly
costs, and the partner list the report walks. Reads partners themselves through
`PartnerStore`; no personal data in any of these items, ids and times only.

Referrals are few (tens a month, not thousands): a report reads every tally of its
period with one Query of GSI1 (`REFERRALS` / `<received_at>#<lead_id>`)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel

from leadflow.referrals.store import PartnerStore
from leadflow.shared.clock import json_time
from leadflow.shared.models import Partner
from leadflow.storage import keys
from leadflow.storage.codec import from_item, to_item, wire
from leadflow.storage.table import Table

# The moments of a referred lead that its tally keeps (the first time each happened).
Milestone = Literal["contacted", "qualified", "converted", "rejected"]
MILESTONES: tuple[Milestone, ...] = ("contacted", "qualified", "converted", "rejected")


class ReferralTally(BaseModel):
    """One referred lead, as the partner report counts it (`PARTNER#<id>` /
    `REFERRAL#<lead_id>`): when it came, through whom, and when it first reached each
    milestone. Written by the report function, idempotently (each time is set once)."""

    lead_id: str
    ref: str | None = None
    partner_id: str | None = None
    group_id: str | None = None
    flag: str | None = None
    introduced: bool = False
    received_at: datetime | None = None  # None until its `Referral Received` is counted
    contacted_at: datetime | None = None
    qualified_at: datetime | None = None
    converted_at: datetime | None = None
    rejected_at: datetime | None = None


class ReferralGiven(BaseModel):
    """A referral given back to a partner: one of our customers (or contacts) sent to
    them (`PARTNER#<id>` / `GIVEN#<at>#<id>`), so the balance shows in the report."""

    given_id: str
    partner_id: str
    given_at: datetime
    note: str
    by: str  # the manager (or `user:<sub>` of an admin) who recorded it


class PartnerCost(BaseModel):
    """What a partner (usually a lead group) cost in a month."""

    month: str
    partner_id: str
    amount: Decimal
    currency: str
    entered_by: str
    entered_at: datetime


class ReferralRecords:
    """The tallies, the given referrals and the partner costs."""

    def __init__(self, table: Table) -> None:
        self.table = table

    # -- tallies (the report function) ----------------------------------------------------

    def note_received(self, tally: ReferralTally) -> None:
        """The referral came: its partner, group and time, each set once (a redelivered
        event, or one after a status change already noted, changes nothing)."""
        assert tally.received_at is not None
        at = json_time(tally.received_at)
        fields: dict[str, Any] = {"lead_id": tally.lead_id, "received_at": at, "introduced": tally.introduced,
                                  "item_type": "referral_tally",
                                  **keys.referral_listing_keys(at, tally.lead_id)}
        for name in ("ref", "partner_id", "group_id", "flag"):
            if getattr(tally, name) is not None:
                fields[name] = getattr(tally, name)
        names = {f"#f{i}": name for i, name in enumerate(fields)}
        values = {f":f{i}": value for i, value in enumerate(fields.values())}
        update = "SET " + ", ".join(f"#f{i} = if_not_exists(#f{i}, :f{i})" for i in range(len(fields)))
        self.table.update(keys.referral_key(tally.partner_id, tally.lead_id, tally.ref or ""), update,
                          names=names, values=values)

    def note_milestone(self, partner_id: str, lead_id: str, milestone: Milestone, at: datetime) -> None:
        """The referred lead reached `milestone` at `at`: kept the first time only."""
        self.table.update(keys.referral_key(partner_id, lead_id), "SET #m = if_not_exists(#m, :at), #l = :lead",
                          names={"#m": f"{milestone}_at", "#l": "lead_id"},
                          values={":at": json_time(at), ":lead": lead_id})

    def get_tally(self, partner_id: str | None, lead_id: str, ref: str = "") -> ReferralTally | None:
        item = self.table.get(keys.referral_key(partner_id, lead_id, ref))
        return ReferralTally.model_validate(from_item(item)) if item else None

    def tallies(self, first_day: date, last_day: date) -> list[ReferralTally]:
        """Every referral received from `first_day` to `last_day` (UTC), in one Query."""
        return [ReferralTally.model_validate(from_item(item)) for item in self._listed(
            keys.REFERRALS_LIST, first_day, last_day)]

    # -- referrals given back ---------------------------------------------------------------

    def add_given(self, given: ReferralGiven) -> None:
        at = json_time(given.given_at)
        self.table.put(to_item({**keys.given_key(given.partner_id, at, given.given_id),
                                **keys.given_listing_keys(at, given.given_id)}, "referral_given", given),
                       "attribute_not_exists(PK)")

    def given_to(self, partner_id: str, limit: int = 100) -> list[ReferralGiven]:
        """The referrals given to one partner, newest first (at most `limit`)."""
        page = self.table.client.query(
            TableName=self.table.name, KeyConditionExpression="PK = :pk AND begins_with(SK, :given)",
            ExpressionAttributeValues=wire({":pk": f"PARTNER#{partner_id}", ":given": keys.GIVEN_PREFIX}),
            ScanIndexForward=False, Limit=limit)
        return [ReferralGiven.model_validate(from_item(item)) for item in page.get("Items", [])]

    def given(self, first_day: date, last_day: date) -> list[ReferralGiven]:
        """Every referral given from `first_day` to `last_day` (UTC), in one Query."""
        return [ReferralGiven.model_validate(from_item(item)) for item in self._listed(
            keys.GIVEN_LIST, first_day, last_day)]

    # -- partners and their costs -------------------------------------------------------------

    def partners(self) -> list[Partner]:
        """Every partner (tens, not millions): the partners' own listing."""
        return PartnerStore(self.table).list()

    def put_partner_cost(self, cost: PartnerCost) -> None:
        """An admin's figure for a partner and month; entered again, it replaces the last."""
        self.table.put(to_item(keys.partner_cost_key(cost.month, cost.partner_id), "partner_cost", cost))

    def partner_costs(self, month: str) -> list[PartnerCost]:
        items = self.table.query(
            KeyConditionExpression="PK = :pk AND begins_with(SK, :cost)",
            ExpressionAttributeValues=wire({":pk": keys.stat_partition(month), ":cost": keys.PARTNER_COST_PREFIX}))
        return [PartnerCost.model_validate(from_item(item)) for item in items]

    def _listed(self, partition: str, first_day: date, last_day: date) -> list[dict[str, Any]]:
        # Times are ISO text (`2026-11-25T10:00:00Z`): a day's are between its date and the next's.
        return list(self.table.query(
            IndexName="GSI1", KeyConditionExpression="GSI1PK = :pk AND GSI1SK BETWEEN :low AND :high",
            ExpressionAttributeValues=wire({":pk": partition, ":low": first_day.isoformat(),
                                            ":high": (last_day + timedelta(days=1)).isoformat()})))
