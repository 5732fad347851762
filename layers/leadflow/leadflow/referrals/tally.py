"""The report function's share of referrals: `Referral Received` opens a referred lead's
tally, and the partner's later news of it (`Lead Status Changed` to contacted, qualified,
rejected, converted; `Lead Converted`) sets when it first got there. Every write sets a
time only if it has none, so a redelivered event, or two events out of order, count once."""

from __future__ import annotations

from typing import Any, Literal

from leadflow.referrals.records import Milestone, ReferralRecords, ReferralTally
from leadflow.shared.events import (
    LEAD_CONVERTED,
    LEAD_STATUS_CHANGED,
    REFERRAL_RECEIVED,
    LeadConverted,
    LeadStatusChanged,
    ReferralReceived,
)

Outcome = Literal["noted", "ignored"]
_MILESTONES: dict[str, Milestone] = {"contacted": "contacted", "qualified": "qualified", "converted": "converted",
                                     "rejected": "rejected"}


def tally_referral(detail_type: str, detail: dict[str, Any], records: ReferralRecords) -> Outcome:
    """Note what this event says of a referred lead; `ignored` for events of other leads
    (no partner) or of moves the report does not count (postponed, assigned)."""
    if detail_type == REFERRAL_RECEIVED:
        received = ReferralReceived.model_validate(detail)
        records.note_received(ReferralTally(
            lead_id=received.lead_id, ref=received.ref, partner_id=received.partner_id, group_id=received.group_id,
            flag=received.flag, introduced=received.introduced, received_at=received.received_at))
        return "noted"
    if not detail.get("partner_id"):
        return "ignored"
    if detail_type == LEAD_CONVERTED:
        converted = LeadConverted.model_validate(detail)
        records.note_milestone(str(converted.partner_id), converted.lead_id, "converted", converted.at)
        return "noted"
    if detail_type == LEAD_STATUS_CHANGED:
        changed = LeadStatusChanged.model_validate(detail)
        milestone = _MILESTONES.get(changed.to_status.value)
        if milestone is None:
            return "ignored"
        records.note_milestone(str(changed.partner_id), changed.lead_id, milestone, changed.at)
        return "noted"
    return "ignored"
