"""The rules that close the loop with referral partners and keep their tallies, as
deployed (after aws-sam-translator): what wakes notify and report, and what does not."""

import json
from typing import Any

import pytest
from moto.events.models import EventPattern

from translated_template import ref_of

PARTNER_RULES = {"NotifyFunctionPartnerReferralReceived": "Referral Received",
                 "NotifyFunctionPartnerFirstContacted": "Lead Status Changed",
                 "NotifyFunctionPartnerCustomer": "Lead Converted"}


def rule(translated: dict[str, Any], logical_id: str) -> dict[str, Any]:
    return translated["Resources"][logical_id]["Properties"]


def matches(translated: dict[str, Any], logical_id: str, detail_type: str, detail: dict[str, Any]) -> bool:
    pattern = EventPattern.load(json.dumps(rule(translated, logical_id)["EventPattern"]))
    return pattern.matches_event({"source": "leadflow", "detail-type": detail_type, "detail": detail})


@pytest.mark.parametrize(("logical_id", "detail_type"), PARTNER_RULES.items())
def test_the_loop_rules_wake_notify_only_for_events_naming_a_partner(translated, logical_id, detail_type):
    props = rule(translated, logical_id)
    [target] = props["Targets"]
    assert ref_of(target["Arn"]) == "NotifyFunction"
    assert ref_of(target["DeadLetterConfig"]["Arn"]) == "NotifyDeadLetterQueue"
    assert target["RetryPolicy"]["MaximumRetryAttempts"] >= 1
    named = {"lead_id": "l-1", "partner_id": "maria-lopez", "to_status": "contacted", "imported": False}
    assert matches(translated, logical_id, detail_type, named)
    # An event of a lead nobody referred carries `partner_id: null` (or none at all).
    assert not matches(translated, logical_id, detail_type, {**named, "partner_id": None})
    assert not matches(translated, logical_id, detail_type, {"lead_id": "l-1", "to_status": "contacted"})
    other = next(t for t in PARTNER_RULES.values() if t != detail_type)
    assert not matches(translated, logical_id, other, named)


def test_only_a_move_to_contacted_is_news_for_the_partner(translated):
    moved = {"lead_id": "l-1", "partner_id": "maria-lopez"}
    for status, told in (("contacted", True), ("qualified", False), ("rejected", False), ("converted", False)):
        assert matches(translated, "NotifyFunctionPartnerFirstContacted", "Lead Status Changed",
                       {**moved, "to_status": status}) is told


def test_every_referral_received_reaches_the_report_function_for_its_tally(translated):
    props = rule(translated, "ReportFunctionReferralTallied")
    [target] = props["Targets"]
    assert ref_of(target["Arn"]) == "ReportFunction"
    assert ref_of(target["DeadLetterConfig"]["Arn"]) == "ReportDeadLetterQueue"
    # Unknown codes too: admins see them in the partner report.
    assert matches(translated, "ReportFunctionReferralTallied", "Referral Received",
                   {"lead_id": "l-1", "partner_id": None, "flag": "unknown"})


def test_a_partner_is_not_thanked_for_the_referrals_of_a_csv_import(translated):
    # Imported rows are referrals of the past: counted in the report, never a thank-you now.
    received = {"lead_id": "l-1", "partner_id": "maria-lopez"}
    assert matches(translated, "NotifyFunctionPartnerReferralReceived", "Referral Received",
                   {**received, "imported": False})
    assert not matches(translated, "NotifyFunctionPartnerReferralReceived", "Referral Received",
                       {**received, "imported": True})
    assert matches(translated, "ReportFunctionReferralTallied", "Referral Received", {**received, "imported": True})
