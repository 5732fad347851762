"""Reports on the deployed stack (moto): a seeded dataset of leads, captured on several
days, scored and assigned by the pipeline and worked through the lifecycle, gives
report numbers equal to a recount from the raw items (lead cards, submissions,
activities); redelivered and out-of-order events count once; costs give cost per lead
and per conversion; only admins read reports."""

from __future__ import annotations

import json
import statistics
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest

from leadflow.capture.service import CaptureService, FormCatalog, PostedForm
from leadflow.lifecycle.service import change_status, convert
from leadflow.reporting.cells import (
    bucket_range,
    campaign_value,
    channel_value,
    duration_bucket,
    minutes_between,
    score_band,
)
from leadflow.shared.bus import EventPublisher
from leadflow.shared.models import LeadStatus
from leadflow_local.stack import CallCounter, LocalStack
from support import all_items, api_event, claims_of, hasher_of, load_event, stores_of

S = LeadStatus
ADMIN = claims_of(admin=True)
# Lead creation times: four days over a month boundary; leads are spread minutes apart
# from these, so those of 31 March late in the evening cross into April (UTC).
DAYS = [datetime(2026, 3, 2, 9, 5, tzinfo=timezone.utc), datetime(2026, 3, 14, 16, 40, tzinfo=timezone.utc),
        datetime(2026, 3, 31, 22, 50, tzinfo=timezone.utc), datetime(2026, 4, 1, 0, 10, tzinfo=timezone.utc)]
SOURCES: list[dict[str, str]] = [
    {"utm_source": "google", "utm_medium": "cpc", "utm_campaign": "Spring"},
    {"utm_source": "google", "utm_medium": "cpc", "utm_campaign": "spring"},  # same campaign, other case
    {"utm_source": "LinkedIn", "utm_medium": "paid-social", "utm_campaign": "Launch 2026"},
    {"utm_source": "newsletter", "utm_medium": "email", "utm_campaign": "nov-digest"},
    {"utm_medium": "partner"},  # a referral without a source name
    {"referrer": "https://news.example.org/post"},  # organic: inbound
    {},  # nothing known
    {"utm_source": "google", "utm_medium": "cpc"},  # no campaign
]
INTERESTS = ["quote", "demo", "question", "ebook", "newsletter"]
TITLES = ["VP Sales", "Marketing Manager", "Student", "CEO"]
COUNTRIES = ["US", "ES", "AE", "GB"]
MINUTES = [3, 12, 25, 45, 90, 200, 400, 1000, 2000, 5000, 20000, 50000]  # a value in most buckets
LEADS = 30  # each of the six fates five times: enough for every dimension and fact, and a third faster than 48
POSTPONED_AND_BACK = 7  # contacted, postponed, back, contacted again: one first contact
RETURNING = (0, 9)  # post again later, hotter and from another source


def form_body(i: int, **extra: str) -> dict[str, str]:
    email = f"person{i}@gmail.com" if i % 3 == 0 else f"person{i}@company{i}.example.com"
    body = {"name": f"Person {i}", "email": email, "company": f"Company {i}", "job_title": TITLES[i % 4],
            "interest": INTERESTS[i % 5], "country": COUNTRIES[(i // 2) % 4], "company_size": str(10 + 37 * i)}
    if i % 2:
        body["phone"] = f"+1415555{i:04d}"
    body.update(SOURCES[i % 8])
    body.update(extra)
    return body


def capture_at(stack: LocalStack, moment: datetime, body: dict[str, str], client: str) -> str:
    """Capture a post as the API would, at a chosen time; the lead's id."""
    store = stores_of(stack).capture
    service = CaptureService(FormCatalog(store), store, clock=lambda: moment, hasher=hasher_of(stack))
    captured = service.capture(PostedForm(form_id="demo", body=json.dumps(body), content_type="application/json",
                                          client_ip=client))
    assert captured.lead_id
    return captured.lead_id


def publisher(stack: LocalStack) -> EventPublisher:
    return EventPublisher(f"{stack.stack_name}-leads", stack.client("events"))


def work(stack: LocalStack, i: int, lead_id: str, created: datetime) -> None:
    """Move lead i along the lifecycle, at times that vary its durations."""
    stores, bus = stores_of(stack), publisher(stack)
    manager = stores.lifecycle.get_lead(lead_id).manager_id
    contact_at = created + timedelta(minutes=MINUTES[(i * 5) % 12])
    later = contact_at + timedelta(minutes=MINUTES[(i * 7) % 12])
    fate = i % 6
    if fate == 0:
        return
    if fate == 3:  # rejected without a call
        change_status(stores.lifecycle, bus, lead_id, S.REJECTED, by=manager, reason="not_a_fit", now=contact_at)
        return
    change_status(stores.lifecycle, bus, lead_id, S.CONTACTED, by=manager, now=contact_at)
    if i == POSTPONED_AND_BACK:
        back_on = (later + timedelta(days=5)).date()
        change_status(stores.lifecycle, bus, lead_id, S.POSTPONED, by=manager, follow_up_on=back_on, now=later)
        back = datetime.combine(back_on, datetime.min.time(), tzinfo=timezone.utc) + timedelta(hours=9)
        change_status(stores.lifecycle, bus, lead_id, S.ASSIGNED, by=manager, now=back)
        change_status(stores.lifecycle, bus, lead_id, S.CONTACTED, by=manager, now=back + timedelta(minutes=30))
    elif fate == 4:
        change_status(stores.lifecycle, bus, lead_id, S.REJECTED, by=manager, reason="no_budget", now=later)
    elif fate in (2, 5):
        change_status(stores.lifecycle, bus, lead_id, S.QUALIFIED, by=manager, now=later)
        convert(stores.lifecycle, bus, lead_id, manager, now=later + timedelta(minutes=MINUTES[i % 12]))


def seed_dataset(stack: LocalStack) -> dict[str, datetime]:
    """LEADS leads over four days, scored, assigned and worked; lead id → creation time."""
    created: dict[str, datetime] = {}
    for i in range(LEADS):
        moment = DAYS[i % 4] + timedelta(minutes=7 * i)
        created[capture_at(stack, moment, form_body(i), f"198.51.100.{i}")] = moment
    stack.drain(timeout=120)  # the leads through score, notify and reports
    ids = list(created)
    for i in RETURNING:  # same person, a day later, hotter, from a paid ad: the lead keeps its first touch
        capture_at(stack, created[ids[i]] + timedelta(days=1), form_body(i, interest="quote", job_title="CEO",
                   utm_source="bing", utm_medium="cpc", utm_campaign="retarget"), f"203.0.113.{i}")
    stack.drain()
    stores = stores_of(stack)
    assert all(stores.lifecycle.get_lead(lead_id).status == S.ASSIGNED for lead_id in ids)  # the dataset's premise
    for i, lead_id in enumerate(ids):
        work(stack, i, lead_id, created[lead_id])
    stack.drain(timeout=120)
    assert stack.failures == []
    return created


@dataclass
class Dataset:
    stack: LocalStack
    table: Any
    created: dict[str, datetime]


@pytest.fixture(scope="class")
def dataset(local_aws) -> Iterator[Dataset]:
    """The seeded dataset, built once for the tests of the class using it (a minute on moto),
    and put back as built before each of them (a checkpoint of the package's stacks)."""
    import boto3

    stack = local_aws.stack()
    local_aws.restore()
    created = seed_dataset(stack)
    with local_aws.checkpoint():
        yield Dataset(stack, boto3.resource("dynamodb", region_name=stack.region).Table(stack.table_name()), created)


# -- the recount: from the raw items, never from the counters ------------------------------


@dataclass
class Tally:
    leads: int = 0
    contacted: int = 0
    converted: int = 0
    rejected: int = 0
    to_contact: list[float] = field(default_factory=list)
    to_convert: list[float] = field(default_factory=list)


@dataclass
class RawLead:
    created: datetime
    cells: dict[str, str]
    contacted: datetime | None
    converted: datetime | None
    rejected: datetime | None
    rules: list[str] = field(default_factory=list)  # the rules its first score matched

    def all_cells(self) -> list[tuple[str, str]]:
        return [*self.cells.items(), *(("rule", rule) for rule in self.rules)]


def when(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def raw_leads(table: Any) -> list[RawLead]:
    """Each lead as its items tell it: the first touch's source on the card, the first
    submission's score, its manager, and its first contact, conversion and rejection
    from its history."""
    items = all_items(table)
    by_lead: dict[str, dict[str, list[dict[str, Any]]]] = defaultdict(lambda: defaultdict(list))
    for item in items:
        if item.get("item_type") in ("lead", "submission", "activity"):
            by_lead[item["PK"]][item["item_type"]].append(item)
    out = []
    for parts in by_lead.values():
        [card] = parts["lead"]
        first = min(parts["submission"], key=lambda s: when(s["received_at"]))
        source = card["source"]
        firsts = {}
        for kind in ("contacted", "converted", "rejected"):
            times = [when(a["at"]) for a in parts["activity"] if a["kind"] == kind]
            firsts[kind] = min(times) if times else None
        cells = {
            "all": "all",
            "channel": source["utm_source"].lower() if source.get("utm_source") else f"({source['channel']})",
            "campaign": source["utm_campaign"].lower() if source.get("utm_campaign") else "(none)",
            "temperature": first["score"]["temperature"],
            "manager": card["manager_id"],
            "band": score_band(int(first["score"]["points"])),
        }
        rules = list(dict.fromkeys(part["rule_id"] for part in first["score"]["parts"]))
        out.append(RawLead(when(card["created_at"]), cells, firsts["contacted"], firsts["converted"],
                           firsts["rejected"], rules))
    return out


def recount(leads: list[RawLead], first_day: date, last_day: date) -> dict[tuple[str, str], Tally]:
    tallies: dict[tuple[str, str], Tally] = defaultdict(Tally)
    for lead in leads:
        if not first_day <= lead.created.astimezone(timezone.utc).date() <= last_day:
            continue
        for dimension, value in lead.all_cells():
            tally = tallies[(dimension, value)]
            tally.leads += 1
            if lead.contacted:
                tally.contacted += 1
                tally.to_contact.append(minutes_between(lead.created, lead.contacted))
            if lead.converted:
                tally.converted += 1
                tally.to_convert.append(minutes_between(lead.created, lead.converted))
            tally.rejected += lead.rejected is not None
    return tallies


def expected_median(durations: list[float]) -> dict[str, int | None] | None:
    if not durations:
        return None
    middle = statistics.median_low(durations)
    bucket = bucket_range(duration_bucket(middle))
    # The true (lower) median lies in the bucket reported.
    assert bucket.over_minutes < middle or middle == 0
    assert bucket.at_most_minutes is None or middle <= bucket.at_most_minutes
    return bucket.model_dump()


def get_report(stack: LocalStack, claims: dict[str, str] | None = ADMIN, **query: str) -> tuple[int, dict]:
    response = stack.invoke("LeadsApiFunction", api_event("GET", "/reports", claims=claims, query=query or None))
    return response["statusCode"], json.loads(response["body"])


def put_cost(stack: LocalStack, body: Any, claims: dict[str, str] | None = ADMIN) -> tuple[int, dict]:
    response = stack.invoke("LeadsApiFunction", api_event("PUT", "/reports/costs", claims=claims, body=body))
    return response["statusCode"], json.loads(response["body"])


def assert_report_matches_recount(report: dict, leads: list[RawLead]) -> None:
    tallies = recount(leads, date.fromisoformat(report["first_day"]), date.fromisoformat(report["last_day"]))
    assert tallies, f"no leads in {report['period']}: the dataset does not test it"
    for dimension, rows in report["dimensions"].items():
        shown = {row["value"]: row for row in rows}
        expected = {value: t for (d, value), t in tallies.items() if d == dimension}
        assert {v for v, row in shown.items() if row["leads"]} == set(expected), (report["period"], dimension)
        for value, tally in expected.items():
            row = shown[value]
            where = (report["period"], dimension, value)
            assert (row["leads"], row["contacted"], row["converted"], row["rejected"]) == (
                tally.leads, tally.contacted, tally.converted, tally.rejected), where
            assert row["conversion_rate"] == round(tally.converted / tally.leads, 4), where
            assert row["median_minutes_to_first_contact"] == expected_median(tally.to_contact), where
            assert row["median_minutes_to_conversion"] == expected_median(tally.to_convert), where


def stat_items(table: Any) -> dict[tuple[str, str], dict[str, Any]]:
    """Counter, cost and report-mark items."""
    return {(i["PK"], i["SK"]): i for i in all_items(table) if i["PK"].startswith("STAT")}


def eventbridge(detail_type: str, detail: Any) -> dict[str, Any]:
    event = load_event("report_lead_contacted")
    event.update({"detail-type": detail_type, "detail": json.loads(detail.model_dump_json())})
    return event


class TestASeededDataset:
    """30 leads captured over four days across a month boundary, scored and assigned by the
    pipeline, two of them back a day later, worked through the lifecycle at varied times."""

    def test_report_numbers_equal_a_recount_from_the_raw_items(self, dataset):
        stack = dataset.stack
        leads = raw_leads(dataset.table)
        assert len(leads) == LEADS
        # The dataset covers what it should: several values in every dimension, every fact.
        for dimension in ("channel", "campaign", "temperature", "manager", "band", "rule"):
            assert len({value for lead in leads for d, value in lead.all_cells() if d == dimension}) >= 3, dimension
        assert all(sum(getattr(lead, fact) is not None for lead in leads) >= 5
                   for fact in ("contacted", "converted", "rejected"))

        periods = {lead.created.date().isoformat() for lead in leads} | {"2026-03", "2026-04"}
        for period in sorted(periods) + ["2026-03-30..2026-04-01", "2026-03..2026-04"]:
            status, report = get_report(stack, period=period)
            assert status == 200, report
            assert set(report["dimensions"]) == {"all", "channel", "campaign", "temperature", "manager", "band",
                                                 "rule"}
            assert_report_matches_recount(report, leads)

    def test_speed_to_lead_counts_first_calls_within_each_temperatures_sla(self, dataset):
        # The stack's SLA (the template's defaults: 15, 240 and 2880 minutes, all bucket
        # edges, so the count is exact) against a recount of the first contacts.
        sla = {"hot": 15, "warm": 240, "cold": 2880}
        leads = raw_leads(dataset.table)
        for period in ("2026-03", "2026-03..2026-04", "2026-03-14"):
            status, report = get_report(dataset.stack, period=period, by="temperature")
            assert status == 200, report
            first, last = date.fromisoformat(report["first_day"]), date.fromisoformat(report["last_day"])
            cohort = [lead for lead in leads if first <= lead.created.date() <= last]
            speed = {row["temperature"]: row for row in report["speed_to_lead"]}
            assert list(speed) == ["cold", "warm", "hot"]
            for temperature, minutes in sla.items():
                mine = [lead for lead in cohort if lead.cells["temperature"] == temperature]
                called = [lead for lead in mine if lead.contacted]
                within = [lead for lead in called if minutes_between(lead.created, lead.contacted) <= minutes]
                row = speed[temperature]
                assert (row["sla_minutes"], row["within_minutes"], row["leads"], row["contacted"],
                        row["contacted_within_sla"]) == (minutes, minutes, len(mine), len(called), len(within)), (
                    period, temperature)
                assert row["within_sla_rate"] == (round(len(within) / len(called), 4) if called else None)
        assert any(row["contacted_within_sla"] for row in get_report(dataset.stack, period="2026-03")[1]["speed_to_lead"])
        _, channels = get_report(dataset.stack, period="2026-03", by="channel")
        assert channels["speed_to_lead"] == []

    def test_a_report_is_one_query_per_period_whatever_the_number_of_leads(self, dataset):
        stack = dataset.stack
        CallCounter.reset()
        status, _ = get_report(stack, period="2026-03", by="channel")
        assert status == 200
        assert CallCounter.reset() == {"dynamodb.Query": 1}
        status, _ = get_report(stack, period="2026-03-30..2026-04-01")
        assert status == 200
        assert CallCounter.reset() == {"dynamodb.Query": 3}

    def test_costs_give_cost_per_lead_and_per_conversion(self, dataset):
        stack = dataset.stack
        leads = raw_leads(dataset.table)
        status, stored = put_cost(stack, {"month": "2026-03", "channel": "Google", "amount": "1000", "currency": "eur"})
        assert status == 200 and (stored["channel"], stored["amount"], stored["currency"]) == ("google", "1000.00", "EUR")
        assert stored["month"] == "2026-03"  # one name both ways
        # `period`, the field's first name, is still understood from older clients
        assert put_cost(stack, {"period": "2026-03", "channel": "(referral)", "amount": "150.5",
                                "currency": "EUR"})[0] == 200

        status, report = get_report(stack, period="2026-03", by="channel")
        assert status == 200
        tallies = recount(leads, date(2026, 3, 1), date(2026, 3, 31))
        channels = {row["value"]: row for row in report["dimensions"]["channel"]}
        cent = Decimal("0.01")
        for channel, amount in (("google", Decimal(1000)), ("(referral)", Decimal("150.50"))):
            tally = tallies[("channel", channel)]
            row = channels[channel]
            assert row["cost"] == {"amount": f"{amount:.2f}", "currency": "EUR"}
            assert Decimal(row["cost_per_lead"]["amount"]) == (amount / tally.leads).quantize(cent, ROUND_HALF_UP)
            per_conversion = row["cost_per_conversion"]
            assert (Decimal(per_conversion["amount"]) if per_conversion else None) == (
                (amount / tally.converted).quantize(cent, ROUND_HALF_UP) if tally.converted else None)
        assert channels["linkedin"]["cost"] is None and channels["linkedin"]["cost_per_lead"] is None
        [total] = report["dimensions"]["all"]
        assert Decimal(total["cost_per_lead"]["amount"]) == (Decimal("1150.50") / tallies[("all", "all")].leads).quantize(
            cent, ROUND_HALF_UP)

        # Entered again, a cost replaces the last; a period without one shows none.
        put_cost(stack, {"month": "2026-03", "channel": "google", "amount": "10", "currency": "EUR"})
        _, again = get_report(stack, period="2026-03", by="channel")
        assert {r["value"]: r["cost"] for r in again["dimensions"]["channel"]}["google"]["amount"] == "10.00"
        _, day = get_report(stack, period="2026-03-02", by="channel")
        assert all(row["cost"] is None for row in day["dimensions"]["channel"])
        _, months = get_report(stack, period="2026-03..2026-04", by="channel")  # April has no cost entered
        assert all(row["cost"] is None for row in months["dimensions"]["channel"])

    def test_no_contact_data_in_report_items(self, dataset):
        items = stat_items(dataset.table)
        assert sum(pk.startswith("STATMARK#") for pk, _ in items) == LEADS
        for item in items.values():
            text = json.dumps(item, default=str).lower()
            assert "person" not in text and "@" not in text and "+1415" not in text


def test_a_redelivered_event_changes_no_counter(stack, table):
    # GIVEN a lead counted and contacted
    lead_id = capture_at(stack, DAYS[0], form_body(1), "198.51.100.1")
    stack.drain()
    stores = stores_of(stack)
    contacted = change_status(stores.lifecycle, publisher(stack), lead_id, S.CONTACTED,
                              by=stores.lifecycle.get_lead(lead_id).manager_id, now=DAYS[0] + timedelta(minutes=20))
    stack.drain()
    before = stat_items(table)
    assert before[("STAT#2026-03", "all#all")]["contacted"] == 1

    # WHEN EventBridge delivers the same events again
    scored = load_event("report_lead_scored")
    scored["detail"]["lead_id"] = lead_id
    outcomes = [stack.invoke("ReportFunction", scored)["outcome"],
                stack.invoke("ReportFunction", eventbridge("Lead Status Changed", contacted))["outcome"]]

    # THEN nothing is counted again
    assert outcomes == ["already_counted", "already_counted"]
    assert stat_items(table) == before


def test_a_lead_moved_before_its_first_count_arrives_is_counted_once(stack, table):
    # GIVEN a lead scored and assigned whose `Lead Scored` has not reached the reports yet
    lead_id = capture_at(stack, DAYS[1], form_body(2), "198.51.100.2")
    stack.pump_streams()
    stores = stores_of(stack)
    lead = stores.lifecycle.get_lead(lead_id)
    assert lead.status == S.ASSIGNED and stores.reporting.get_report_mark(lead_id) is None

    # WHEN its contact is counted first, then everything is delivered
    contacted = change_status(stores.lifecycle, publisher(stack), lead_id, S.CONTACTED, by=lead.manager_id,
                              now=DAYS[1] + timedelta(minutes=40))
    assert stack.invoke("ReportFunction", eventbridge("Lead Status Changed", contacted))["outcome"] == "counted"
    stack.drain()

    # THEN the lead counts once, with its contact, in its cells
    items = stat_items(table)
    for cell in ("all#all", f"manager#{lead.manager_id}", f"temperature#{lead.score.temperature.value}"):
        for period in ("STAT#2026-03-14", "STAT#2026-03"):
            assert {k: v for k, v in items[(period, cell)].items() if k in ("leads", "contacted", "contact_b3")} == {
                "leads": 1, "contacted": 1, "contact_b3": 1}, (period, cell)


def test_a_lead_counted_unassigned_goes_to_the_manager_who_works_it(stack, table):
    # GIVEN nobody can take leads, so a new lead is counted as unassigned
    stores = stores_of(stack)
    managers = stores.roster.managers()
    for manager in managers:
        stores.roster.put(manager.model_copy(update={"active": False}))
    lead_id = capture_at(stack, DAYS[0], form_body(3), "198.51.100.3")
    stack.drain()
    assert stores.lifecycle.get_lead(lead_id).status == S.UNASSIGNED
    assert stat_items(table)[("STAT#2026-03", "manager#unassigned")]["leads"] == 1

    # WHEN an admin hands it to Sam (as an admin's assignment writes the card) and Sam calls
    stores.table.client.update_item(
        TableName=stores.table.name, Key={"PK": {"S": f"LEAD#{lead_id}"}, "SK": {"S": "LEAD"}},
        UpdateExpression="SET #s = :assigned, manager_id = :sam",
        ExpressionAttributeNames={"#s": "status"},
        ExpressionAttributeValues={":assigned": {"S": "assigned"}, ":sam": {"S": "m-sam"}})
    change_status(stores.lifecycle, publisher(stack), lead_id, S.CONTACTED, by="m-sam", now=DAYS[0] + timedelta(minutes=70))
    stack.drain()

    # THEN the lead and its contact are Sam's, and the unassigned row is empty again
    items = stat_items(table)
    for period in ("STAT#2026-03-02", "STAT#2026-03"):
        assert items[(period, "manager#unassigned")]["leads"] == 0
        sam = items[(period, "manager#m-sam")]
        assert (sam["leads"], sam["contacted"], sam["contact_b4"]) == (1, 1, 1)
        assert items[(period, "all#all")]["leads"] == 1
    _, report = get_report(stack, period="2026-03", by="manager")
    assert [(r["value"], r["leads"]) for r in report["dimensions"]["manager"]] == [("m-sam", 1), ("unassigned", 0)]


def test_a_malformed_event_fails_so_lambda_retries_it_then_dead_letters_it(stack, table):
    event = load_event("report_lead_contacted")
    del event["detail"]["at"]
    with pytest.raises(ValueError):
        stack.invoke("ReportFunction", event)
    assert stat_items(table) == {}


def test_only_admins_read_reports_and_enter_costs(stack, table):
    assert get_report(stack, claims=claims_of("m-olivia"))[0] == 403
    assert get_report(stack, claims=claims_of("m-olivia"))[1]["errors"][0]["code"] == "admins_only"
    assert get_report(stack, claims=None)[0] == 401
    status, body = put_cost(stack, {"month": "2026-03", "channel": "google", "amount": "1", "currency": "EUR"},
                            claims=claims_of("m-olivia"))
    assert (status, body["errors"][0]["code"]) == (403, "admins_only")
    assert stat_items(table) == {}
    # The sample events (an admin's token) work as they are.
    put = stack.invoke("LeadsApiFunction", load_event("report_api_put_cost"))
    assert put["statusCode"] == 200 and json.loads(put["body"])["channel"] == "google"
    got = stack.invoke("LeadsApiFunction", load_event("report_api_get"))
    assert got["statusCode"] == 200
    [google] = [r for r in json.loads(got["body"])["dimensions"]["channel"] if r["value"] == "google"]
    assert google["cost"] == {"amount": "1234.50", "currency": "EUR"} and google["cost_per_lead"] is None


BAD_QUERIES = [
    ({"period": "2026-13"}, "invalid_period"), ({"period": "March"}, "invalid_period"),
    ({"period": "2026-01-01..2026-03-01"}, "period_too_long"), ({"by": "channel,country"}, "invalid_dimension"),
]
BAD_COSTS = [
    ({"period": "2026-3", "channel": "google", "amount": "1", "currency": "EUR"}, "invalid_period"),
    ({"period": "2026-03", "channel": "\u0000", "amount": "1", "currency": "EUR"}, "invalid_channel"),
    ({"period": "2026-03", "channel": "google", "amount": "-5", "currency": "EUR"}, "invalid_request"),
    ({"period": "2026-03", "channel": "google", "amount": "1"}, "invalid_request"),
    ("not json", "invalid_request"),
]


def test_a_bad_report_query_or_cost_is_a_400_with_a_code(stack, table):
    for query, code in BAD_QUERIES:
        status, body = get_report(stack, **query)
        assert (status, body["errors"][0]["code"]) == (400, code), query
    for cost, code in BAD_COSTS:
        status, body = put_cost(stack, cost)
        assert (status, body.get("code") or body["errors"][0]["code"]) == (400, code), cost
    assert stat_items(table) == {}


def report_calls() -> dict[str, int]:
    return {k.split(" ", 1)[1]: v for k, v in CallCounter.by_function.items() if k.startswith("ReportFunction ")}


def test_a_new_lead_is_counted_from_its_lead_scored_event_once_without_reading_the_lead(stack, table):
    # GIVEN a new lead (a campaign's, assigned), its whole journey delivered
    lead_id = capture_at(stack, DAYS[0], form_body(1), "198.51.100.1")
    CallCounter.reset()
    stack.drain()

    # THEN its `Lead Scored` carried its cells: one transaction, no read of its card
    assert report_calls() == {"dynamodb.TransactWriteItems": 1}
    stores = stores_of(stack)
    lead = stores.lifecycle.get_lead(lead_id)
    mark = stores.reporting.get_report_mark(lead_id)
    # the same cells its card gives
    assert (mark["dimensions"]["channel"], mark["dimensions"]["campaign"], mark["dimensions"]["manager"]) == (
        channel_value(lead.source), campaign_value(lead.source), lead.manager_id)
    assert datetime.fromisoformat(mark["created_at"]) == lead.created_at
    before = stat_items(table)
    assert before[("STAT#2026-03", "all#all")]["leads"] == 1

    # WHEN the same event is delivered again
    scored = load_event("report_lead_scored")
    scored["detail"].update(lead_id=lead_id, reported_as={"channel": "inbound", "utm_source": "google",
                                                          "manager_id": lead.manager_id})
    CallCounter.reset()
    outcome = stack.invoke("ReportFunction", scored)["outcome"]

    # THEN it counts nothing: the mark's condition refused it, the mark read says why
    assert outcome == "already_counted"
    assert stat_items(table) == before
    assert report_calls() == {"dynamodb.TransactWriteItems": 1, "dynamodb.GetItem": 1}


def test_a_lead_scored_event_without_its_cells_is_counted_from_the_card(stack, table):
    # GIVEN a lead scored, its `Lead Scored` as published before events carried cells
    lead_id = capture_at(stack, DAYS[1], form_body(2), "198.51.100.2")
    stack.pump_streams()
    scored = load_event("report_lead_scored")
    scored["detail"]["lead_id"] = lead_id
    assert "reported_as" not in scored["detail"]
    CallCounter.reset()

    # WHEN the reports count it
    outcome = stack.invoke("ReportFunction", scored)["outcome"]

    # THEN its card was read for its cells
    assert outcome == "counted"
    assert report_calls() == {"dynamodb.GetItem": 1, "dynamodb.TransactWriteItems": 1}
    lead = stores_of(stack).lifecycle.get_lead(lead_id)
    assert stores_of(stack).reporting.get_report_mark(lead_id)["dimensions"]["channel"] == channel_value(lead.source)
