"""Issue 18, part B on the deployed stack (moto): status and conversion events carry the
referring partner; the partner hears of their referral (received, first contacted,
converted) once each, in their language, by the person's first name only; the report
function keeps a tally per referred lead and the partner report counts it; referrals
given back; a partner's monthly cost. Partners and referred leads are written as
capture will write them (Part A): a PARTNER item, and the partner on the lead's Source."""

from __future__ import annotations

import json
import re
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from leadflow.lifecycle.service import change_status
from leadflow.shared.bus import EventPublisher
from leadflow.shared.events import (
    LEAD_CONVERTED,
    LEAD_STATUS_CHANGED,
    REFERRAL_RECEIVED,
    SOURCE,
    LeadConverted,
    LeadStatusChanged,
    ReferralReceived,
)
from leadflow.shared.models import LeadStatus, Partner, PartnerKind
from leadflow.storage import keys
from leadflow.storage.codec import to_item
from leadflow_cli.main import main
from leadflow_local.stack import LocalStack
from support import call_route, claims_of, cli_target, post_hot_lead, stores_of

S = LeadStatus
ADMIN = claims_of(admin=True)
OLIVIA = claims_of("m-olivia")
NOBODY = claims_of(sub="user-nobody")


def put_partner(stack: LocalStack, partner_id: str, **fields: Any) -> Partner:
    """A partner as the partners' admin (Part A) stores it."""
    partner = Partner(partner_id=partner_id, name=fields.pop("name", partner_id.replace("-", " ").title()),
                      email=fields.pop("email", f"{partner_id}@partners.example"), **fields)
    stack.client("dynamodb").put_item(TableName=stack.table_name(), Item=to_item(
        {**keys.partner_key(partner_id), **keys.partner_listing_keys(partner_id)}, "partner", partner))
    return partner


def referred_lead(stack: LocalStack, partner_id: str, group_id: str | None = None, name: str = "Jane Doe") -> str:
    """A hot lead through the pipeline, then its first touch given a partner as capture
    will give it; its id."""
    lead_id = post_hot_lead(stack, f"{uuid.uuid4().hex[:10]}@acme-corp.com")
    stack.client("dynamodb").update_item(
        TableName=stack.table_name(), Key={"PK": {"S": f"LEAD#{lead_id}"}, "SK": {"S": "LEAD"}},
        UpdateExpression="SET #s.#r = :ref, #s.#p = :partner, #s.#g = :group, #c.#n = :name",
        ExpressionAttributeNames={"#s": "source", "#r": "ref", "#p": "partner_id", "#g": "partner_group",
                                  "#c": "contact", "#n": "name"},
        ExpressionAttributeValues={":ref": {"S": partner_id}, ":partner": {"S": partner_id},
                                   ":group": {"S": group_id} if group_id else {"NULL": True}, ":name": {"S": name}})
    return lead_id


def publisher(stack: LocalStack) -> EventPublisher:
    return EventPublisher(f"{stack.stack_name}-leads", stack.client("events"))


def received_event(lead_id: str, partner_id: str | None, *, group_id: str | None = None, ref: str | None = None,
                   flag: str | None = None, at: datetime | None = None, introduced: bool = False) -> ReferralReceived:
    return ReferralReceived(lead_id=lead_id, submission_id=uuid.uuid4().hex,
                            received_at=at or datetime.now(timezone.utc), form_id="demo",
                            ref=ref or partner_id or "", partner_id=partner_id, group_id=group_id, flag=flag,
                            introduced=introduced)


def as_bus_event(detail_type: str, detail: Any) -> dict[str, Any]:
    """An event as EventBridge hands it to a function."""
    return {"version": "0", "id": uuid.uuid4().hex, "detail-type": detail_type, "source": SOURCE,
            "account": "123456789012", "time": "2026-11-25T10:00:00Z", "region": "us-east-1", "resources": [],
            "detail": json.loads(detail.model_dump_json())}


def emails_to(sent_emails: Any, address: str) -> list[Any]:
    return [m for m in sent_emails() if m.destinations["ToAddresses"] == [address]]


# -- events carry the partner -------------------------------------------------------------------------------


def test_status_and_conversion_events_carry_the_referring_partner(stack, bus):
    put_partner(stack, "maria-lopez")
    lead_id = referred_lead(stack, "maria-lopez")
    lifecycle = stores_of(stack).lifecycle
    manager_id = lifecycle.get_lead(lead_id).manager_id
    bus()  # what the pipeline published before

    for to_status in (S.CONTACTED, S.QUALIFIED, S.CONVERTED):
        change_status(lifecycle, publisher(stack), lead_id, to_status, by=manager_id)

    events = [(e["detail-type"], e["detail"]) for e in bus()]
    assert [(t, d.get("to_status")) for t, d in events] == [
        (LEAD_STATUS_CHANGED, "contacted"), (LEAD_STATUS_CHANGED, "qualified"), (LEAD_STATUS_CHANGED, "converted"),
        (LEAD_CONVERTED, None)]
    assert {d["partner_id"] for _, d in events} == {"maria-lopez"}
    # AND ids only: nothing of the person
    assert "Jane" not in json.dumps(events) and "acme-corp" not in json.dumps(events)


def test_a_referred_lead_brought_back_on_its_follow_up_day_still_names_its_partner(stack, bus):
    from leadflow.lifecycle.clocks import ReminderClocks
    from leadflow.lifecycle.schedules import Reminders, ReminderTarget
    from leadflow.storage.table import Table

    put_partner(stack, "maria-lopez")
    lead_id = referred_lead(stack, "maria-lopez")
    lifecycle = stores_of(stack).lifecycle
    manager_id = lifecycle.get_lead(lead_id).manager_id
    arn = next(a for a, lid in stack.function_arns.items() if lid == "RemindFunction")
    reminders = Reminders(ReminderTarget(stack.schedule_group(), arn,
                                         f"arn:aws:iam::{stack.account_id}:role/leadflow-scheduler"),
                          ReminderClocks(Table(stack.table_name(), stack.client("dynamodb"))), stack.client("scheduler"))
    follow_up_on = (datetime.now(timezone.utc) + timedelta(days=3)).date()
    change_status(lifecycle, publisher(stack), lead_id, S.POSTPONED, by=manager_id, follow_up_on=follow_up_on,
                  reminders=reminders)
    bus()

    # WHEN its day comes and the schedule gives it back to its manager
    assert stack.pump_schedules(now=datetime(follow_up_on.year, follow_up_on.month, follow_up_on.day, 8, 1,
                                             tzinfo=timezone.utc)) == 1

    returned = [e["detail"] for e in bus() if e["detail-type"] == LEAD_STATUS_CHANGED]
    assert [(d["to_status"], d["by"], d["partner_id"]) for d in returned] == [("assigned", "system", "maria-lopez")]


# -- closing the loop -----------------------------------------------------------------------------------------


def test_the_partner_hears_of_received_first_contact_and_customer_once_each_by_first_name(stack, sent_emails):
    # GIVEN Maria, who reads Spanish, referred Jane Doe
    put_partner(stack, "maria-lopez", name="María López", language="es", email="maria@lopez.example")
    lead_id = referred_lead(stack, "maria-lopez")
    lifecycle = stores_of(stack).lifecycle
    manager_id = lifecycle.get_lead(lead_id).manager_id

    # WHEN the referral is received (delivered twice), contacted, put off and contacted
    # again, qualified and converted, every event through the bus and its rules
    publisher(stack).publish(REFERRAL_RECEIVED, received_event(lead_id, "maria-lopez"))
    publisher(stack).publish(REFERRAL_RECEIVED, received_event(lead_id, "maria-lopez"))
    stack.drain()
    change_status(lifecycle, publisher(stack), lead_id, S.CONTACTED, by=manager_id)
    stack.drain()
    change_status(lifecycle, publisher(stack), lead_id, S.POSTPONED, by=manager_id,
                  follow_up_on=(datetime.now(timezone.utc) + timedelta(days=3)).date())
    change_status(lifecycle, publisher(stack), lead_id, S.ASSIGNED, by=manager_id)
    change_status(lifecycle, publisher(stack), lead_id, S.CONTACTED, by=manager_id)
    change_status(lifecycle, publisher(stack), lead_id, S.QUALIFIED, by=manager_id)
    change_status(lifecycle, publisher(stack), lead_id, S.CONVERTED, by=manager_id)
    stack.drain()

    # THEN she has three emails, one per moment, in Spanish, naming "Jane" and no more
    told = emails_to(sent_emails, "maria@lopez.example")
    assert [m.subject for m in told] == ["Gracias por recomendarnos a Jane", "Ya hablamos con Jane",
                                         "Jane ya es nuestro cliente"]
    for message in told:
        assert "María López" in message.body and '<html lang="es" dir="ltr">' in message.body
        assert "Doe" not in message.body and "acme-corp" not in message.body and "+1415" not in message.body


def test_an_arabic_reading_partner_is_told_right_to_left(stack, sent_emails):
    put_partner(stack, "layla-group", name="ليلى", language="ar", email="layla@partners.example")
    lead_id = referred_lead(stack, "layla-group", name="Omar Haddad")

    result = stack.invoke("NotifyFunction", as_bus_event(REFERRAL_RECEIVED, received_event(lead_id, "layla-group")))

    assert result["outcome"] == "sent"
    [message] = emails_to(sent_emails, "layla@partners.example")
    assert message.subject == "شكرًا لإحالتك Omar إلينا"
    assert '<html lang="ar" dir="rtl">' in message.body and "Haddad" not in message.body


@pytest.mark.parametrize(("fields", "outcome"), [
    ({"active": False}, "partner_inactive"), ({"loop_emails": False}, "loop_off"), ({"email": None}, "no_email"),
], ids=["inactive", "loop-off", "no-address"])
def test_a_partner_who_does_not_want_the_emails_gets_none(stack, sent_emails, fields, outcome):
    put_partner(stack, "quiet-partner", **fields)
    lead_id = referred_lead(stack, "quiet-partner")
    before = len(sent_emails())

    result = stack.invoke("NotifyFunction", as_bus_event(LEAD_CONVERTED, LeadConverted(
        lead_id=lead_id, contact_id="c-1", at=datetime.now(timezone.utc), partner_id="quiet-partner")))

    assert result["outcome"] == outcome and len(sent_emails()) == before


def test_the_bus_wakes_notify_for_the_loop_only_for_events_naming_a_partner(stack):
    calls: list[str] = []
    handler = stack.functions["NotifyFunction"]
    stack.functions["NotifyFunction"] = lambda e, c: calls.append(e["detail-type"]) or handler(e, c)
    put_partner(stack, "maria-lopez")
    lead_id = referred_lead(stack, "maria-lopez")
    now = datetime.now(timezone.utc)
    calls.clear()

    bus = publisher(stack)
    bus.publish(REFERRAL_RECEIVED, received_event(lead_id, None, ref="nobody-has-it", flag="unknown"))
    bus.publish(LEAD_STATUS_CHANGED, LeadStatusChanged(lead_id=lead_id, from_status=S.ASSIGNED,
                                                       to_status=S.CONTACTED, by="m-1", at=now))
    bus.publish(LEAD_STATUS_CHANGED, LeadStatusChanged(lead_id=lead_id, from_status=S.CONTACTED,
                                                       to_status=S.QUALIFIED, by="m-1", at=now,
                                                       partner_id="maria-lopez"))
    bus.publish(LEAD_CONVERTED, LeadConverted(lead_id=lead_id, contact_id="c-1", at=now))
    stack.pump_events()
    assert calls == []

    bus.publish(REFERRAL_RECEIVED, received_event(lead_id, "maria-lopez"))
    bus.publish(LEAD_STATUS_CHANGED, LeadStatusChanged(lead_id=lead_id, from_status=S.ASSIGNED,
                                                       to_status=S.CONTACTED, by="m-1", at=now,
                                                       partner_id="maria-lopez"))
    bus.publish(LEAD_CONVERTED, LeadConverted(lead_id=lead_id, contact_id="c-1", at=now, partner_id="maria-lopez"))
    stack.pump_events()
    assert sorted(calls) == sorted([REFERRAL_RECEIVED, LEAD_STATUS_CHANGED, LEAD_CONVERTED])


# -- the partner report -----------------------------------------------------------------------------------------

NOV = datetime(2026, 11, 2, 9, 0, tzinfo=timezone.utc)


def report_event(stack: LocalStack, detail_type: str, detail: Any) -> dict[str, Any]:
    return stack.invoke("ReportFunction", as_bus_event(detail_type, detail))


def moved(lead_id: str, partner_id: str, to_status: LeadStatus, at: datetime) -> LeadStatusChanged:
    return LeadStatusChanged(lead_id=lead_id, from_status=S.ASSIGNED, to_status=to_status, by="m-1", at=at,
                             partner_id=partner_id)


def seed_bni(stack: LocalStack) -> None:
    """A lead group and two members, with November's referrals: Maria's three (one
    contacted after 30 min, qualified and converted; one contacted after 90 min; one
    waiting), the group's own one (contacted after 10 min), Joe's five that went nowhere
    (two contacted then rejected), one with a code nobody has, and one in December."""
    put_partner(stack, "bni-downtown", kind=PartnerKind.GROUP, name="BNI Downtown")
    put_partner(stack, "maria-lopez", kind=PartnerKind.MEMBER, group_id="bni-downtown")
    put_partner(stack, "joe-quota", kind=PartnerKind.MEMBER, group_id="bni-downtown")
    put_partner(stack, "silent-agency", kind=PartnerKind.AGENCY)

    def referral(lead_id: str, partner_id: str | None, group_id: str | None, at: datetime, **extra: Any) -> None:
        assert report_event(stack, REFERRAL_RECEIVED, received_event(
            lead_id, partner_id, group_id=group_id, at=at, **extra))["outcome"] == "noted"

    referral("m1", "maria-lopez", "bni-downtown", NOV, introduced=True)
    report_event(stack, LEAD_STATUS_CHANGED, moved("m1", "maria-lopez", S.CONTACTED, NOV + timedelta(minutes=30)))
    report_event(stack, LEAD_STATUS_CHANGED, moved("m1", "maria-lopez", S.QUALIFIED, NOV + timedelta(days=2)))
    report_event(stack, LEAD_CONVERTED, LeadConverted(lead_id="m1", contact_id="c-1", at=NOV + timedelta(days=9),
                                                      partner_id="maria-lopez"))
    referral("m2", "maria-lopez", "bni-downtown", NOV + timedelta(days=1))
    report_event(stack, LEAD_STATUS_CHANGED, moved("m2", "maria-lopez", S.CONTACTED,
                                                   NOV + timedelta(days=1, minutes=90)))
    referral("m3", "maria-lopez", "bni-downtown", NOV + timedelta(days=3))
    referral("g1", "bni-downtown", None, NOV + timedelta(days=4))
    report_event(stack, LEAD_STATUS_CHANGED, moved("g1", "bni-downtown", S.CONTACTED,
                                                   NOV + timedelta(days=4, minutes=10)))
    for n in range(5):
        referral(f"j{n}", "joe-quota", "bni-downtown", NOV + timedelta(days=5, hours=n))
    for n in range(2):
        report_event(stack, LEAD_STATUS_CHANGED, moved(f"j{n}", "joe-quota", S.CONTACTED, NOV + timedelta(days=6)))
        report_event(stack, LEAD_STATUS_CHANGED, moved(f"j{n}", "joe-quota", S.REJECTED, NOV + timedelta(days=7)))
    referral("u1", None, None, NOV + timedelta(days=8), ref="bni-dwntown", flag="unknown")
    referral("d1", "maria-lopez", "bni-downtown", datetime(2026, 12, 1, 0, 0, tzinfo=timezone.utc))


def partner_report(stack: LocalStack, period: str = "2026-11", claims: dict[str, str] = ADMIN) -> Any:
    return call_route(stack, "GET", "/reports/partners", claims, query=f"period={period}")


def test_the_partner_report_counts_each_partner_and_group_with_exact_medians_and_flags(stack):
    seed_bni(stack)
    # AND redelivered events count nothing twice; a later contact keeps the first one's time
    report_event(stack, REFERRAL_RECEIVED, received_event("m2", "maria-lopez", group_id="bni-downtown",
                                                          at=NOV + timedelta(days=20)))
    report_event(stack, LEAD_STATUS_CHANGED, moved("m2", "maria-lopez", S.CONTACTED, NOV + timedelta(days=15)))

    answer = partner_report(stack)

    assert answer.status == 200, answer.json
    rows = {p["partner_id"]: p for p in answer.json["partners"]}
    maria = rows["maria-lopez"]
    assert (maria["received"], maria["introduced"], maria["contacted"], maria["qualified"], maria["converted"]) == (
        3, 1, 2, 1, 1)
    assert maria["conversion_rate"] == pytest.approx(1 / 3, abs=1e-3)
    assert maria["median_minutes_to_first_contact"] == 60  # (30 + 90) / 2, exact
    assert not maria["flagged"]
    joe = rows["joe-quota"]
    assert (joe["received"], joe["contacted"], joe["qualified"], joe["rejected"], joe["flagged"]) == (5, 2, 0, 2, True)
    assert rows["silent-agency"]["received"] == 0 and rows["silent-agency"]["median_minutes_to_first_contact"] is None
    [group] = answer.json["groups"]
    assert group["group_id"] == "bni-downtown" and group["members"] == ["joe-quota", "maria-lopez"]
    assert (group["received"], group["contacted"], group["converted"]) == (9, 5, 1)
    assert group["median_minutes_to_first_contact"] == 90  # of 10, 30, 90, 1380, 1440
    assert answer.json["unknown_codes"] == [{"ref": "bni-dwntown", "received": 1}]
    assert "5 referrals" in answer.json["flag_rule"]


def test_a_groups_monthly_fee_gives_the_cost_per_converted_referral(stack):
    seed_bni(stack)

    entered = call_route(stack, "PUT", "/reports/costs", ADMIN,
                         {"month": "2026-11", "partner": "BNI-Downtown", "amount": "300.00", "currency": "EUR"})
    unknown = call_route(stack, "PUT", "/reports/costs", ADMIN,
                         {"month": "2026-11", "partner": "nobody", "amount": "1.00", "currency": "EUR"})
    both = call_route(stack, "PUT", "/reports/costs", ADMIN,
                      {"month": "2026-11", "partner": "bni-downtown", "channel": "google", "amount": "1.00",
                       "currency": "EUR"})

    assert entered.status == 200 and entered.json["partner"] == "bni-downtown"
    assert unknown.status == 400 and unknown.code == "unknown_partner"
    assert both.status == 400 and both.code == "channel_or_partner"
    [group] = partner_report(stack).json["groups"]
    assert group["cost"] == {"amount": "300.00", "currency": "EUR"}
    assert group["cost_per_converted"] == {"amount": "300.00", "currency": "EUR"}
    # AND a day's report has no cost (costs are monthly), and the channel report ignores it
    assert partner_report(stack, "2026-11-02").json["groups"][0]["cost"] is None
    channels = call_route(stack, "GET", "/reports", ADMIN, query="period=2026-11").json
    assert "bni-downtown" not in json.dumps(channels)


def test_only_admins_see_the_partner_report(stack):
    assert partner_report(stack, claims=OLIVIA).status == 403
    assert partner_report(stack, "2026-13").code == "invalid_period"


# -- referrals given back -------------------------------------------------------------------------------------


def test_a_manager_records_a_referral_given_back_and_the_report_shows_the_balance(stack):
    put_partner(stack, "bni-downtown", kind=PartnerKind.GROUP)
    put_partner(stack, "maria-lopez", kind=PartnerKind.MEMBER, group_id="bni-downtown")

    given = call_route(stack, "POST", "/partners/maria-lopez/given", OLIVIA, {"note": "Acme's office move"})
    listed = call_route(stack, "GET", "/partners/maria-lopez/given", ADMIN)

    assert given.status == 201 and given.json["by"] == "m-olivia" and given.json["partner_id"] == "maria-lopez"
    assert [g["note"] for g in listed.json["given"]] == ["Acme's office move"]
    month = given.json["given_at"][:7]
    report = partner_report(stack, month).json
    assert {p["partner_id"]: p["given"] for p in report["partners"]} == {"bni-downtown": 0, "maria-lopez": 1}
    assert report["groups"][0]["given"] == 1


def test_a_manager_chooses_whom_to_give_to_by_name_and_never_sees_a_partners_email(stack):
    put_partner(stack, "bni-downtown", name="BNI Downtown", kind=PartnerKind.GROUP)
    put_partner(stack, "maria-lopez", name="María López", kind=PartnerKind.MEMBER, group_id="bni-downtown")
    put_partner(stack, "gone-partner", name="Gone", active=False)

    answer = call_route(stack, "GET", "/partners", OLIVIA)

    assert answer.status == 200
    assert answer.json["partners"] == [
        {"partner_id": "bni-downtown", "name": "BNI Downtown", "kind": "group", "group_id": None},
        {"partner_id": "maria-lopez", "name": "María López", "kind": "member", "group_id": "bni-downtown"}]
    assert "@" not in json.dumps(answer.json)
    assert (call_route(stack, "GET", "/partners", NOBODY).status, call_route(stack, "GET", "/partners", NOBODY).code
            ) == (403, "no_manager")


@pytest.mark.parametrize(("path", "claims", "body", "status", "code"), [
    ("/partners/nobody/given", OLIVIA, {"note": "x"}, 404, "partner_not_found"),
    ("/partners/maria-lopez/given", NOBODY, {"note": "x"}, 403, "no_manager"),
    ("/partners/maria-lopez/given", OLIVIA, {"note": "   "}, 400, "invalid_request"),
    ("/partners/maria-lopez/given", OLIVIA, {"note": "x", "extra": 1}, 400, "invalid_request"),
], ids=["unknown-partner", "not-a-manager", "blank-note", "unknown-field"])
def test_a_referral_given_is_refused_clearly(stack, path, claims, body, status, code):
    put_partner(stack, "maria-lopez")

    answer = call_route(stack, "POST", path, claims, body)

    assert (answer.status, answer.code) == (status, code)


# -- the command ----------------------------------------------------------------------------------------------


def run(stack: LocalStack, *argv: str) -> tuple[int, str]:
    import io

    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), target=cli_target(stack), out=out, err=err)
    return code, out.getvalue() + err.getvalue()


def test_the_command_gives_lists_enters_a_fee_and_reports(stack):
    seed_bni(stack)

    assert run(stack, "referrals", "give", "maria-lopez", "--note", "Acme's move")[0] == 0
    code, listed = run(stack, "referrals", "given", "maria-lopez", "--json")
    assert code == 0 and json.loads(listed)["given"][0]["note"] == "Acme's move"
    assert run(stack, "referrals", "cost", "bni-downtown", "--month", "2026-11", "--amount", "300",
               "--currency", "eur")[0] == 0
    code, text = run(stack, "referrals", "report", "--period", "2026-11")
    assert code == 0
    assert re.search(r"joe-quota\s+bni-downtown\s+5\s+2\s+0\s+0\s+0\.0%.*FLAGGED", text)
    assert "300.00 EUR" in text and "bni-dwntown" in text
    code, refused = run(stack, "referrals", "give", "nobody", "--note", "x")
    assert code == 1 and "partner_not_found" in refused
