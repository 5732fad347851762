"""The console's reports page in a real browser against a stack of its own (it enters a
channel cost and converts leads, which every other test would read): leads posted with
UTM parameters through the real pipeline, some converted through the API; an admin
reads which channel brought the customers and at what cost per customer, enters that
channel's cost on the page, and every number of the page's tables equals GET /reports's
for the same period; charts drawn, under the console's CSP; Arabic right to left; a
phone; axe-core on each. And the Partners page (issue 18): what each referral partner
and lead group brought, a referral given back and a group's fee recorded on it."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import pytest
from console_kit import (
    ADMIN,
    PHONE,
    SCREENSHOTS,
    no_serious_accessibility_violation,
    open_console,
    screenshot,
)
from playwright.sync_api import ConsoleMessage, Locator, Page, expect

if TYPE_CHECKING:  # fixtures provide them; conftest is not imported at run time
    from conftest import HttpClient, LeadIdentity, RunningStack

pytestmark = pytest.mark.e2e

SUBMISSIONS = "/forms/demo/submissions"
PIPELINE_TIMEOUT_S = 20
GOOGLE = {"utm_source": "google", "utm_medium": "cpc", "utm_campaign": "spring"}
LINKEDIN = {"utm_source": "linkedin", "utm_medium": "paid-social", "utm_campaign": "launch"}
NEWSLETTER = {"utm_source": "newsletter", "utm_medium": "email"}


def hot(lead: LeadIdentity, name: str, source: dict[str, str]) -> dict[str, str]:
    return {"name": name, "email": lead.email_at("acme-corp.com"), "phone": lead.phone, "company": "Acme Corp",
            "job_title": "Head of Operations", "interest": "quote", **source}


def cold(lead: LeadIdentity, name: str, source: dict[str, str]) -> dict[str, str]:
    return {"name": name, "email": lead.email_at("gmail.com"), "interest": "ebook", **source}


def wait_until(what: str, check: Callable[[], Any], stack: RunningStack) -> Any:
    deadline = time.monotonic() + PIPELINE_TIMEOUT_S
    while not (found := check()):
        if time.monotonic() > deadline:
            pytest.fail(f"{what}: not within {PIPELINE_TIMEOUT_S} s\n{stack.log_tail()}")
        time.sleep(0.2)
    return found


def api(http: HttpClient, token: str, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
    reply = http.request(method, path, json.dumps(body).encode() if body is not None else None,
                         {"Authorization": token, "Content-Type": "application/json", "Accept": "application/json"})
    assert reply.status in (200, 201), (method, path, reply.status, reply.text)
    return reply.json()


def seed(http: HttpClient, token: str, new_lead: Callable[[], LeadIdentity], stack: RunningStack) -> str:
    """Six leads from three channels through the pipeline; three converted, one more called.
    The (UTC) day they came in."""
    plan = [(hot, GOOGLE, "converted"), (hot, GOOGLE, "converted"), (cold, GOOGLE, None),
            (hot, LINKEDIN, "converted"), (cold, LINKEDIN, "contacted"), (cold, NEWSLETTER, None)]
    posted: list[tuple[str, str | None]] = []
    for i, (shape, source, fate) in enumerate(plan):
        lead = new_lead()
        fields = shape(lead, f"Rita Report {i} {lead.tag}", source)
        assert http.post_json(SUBMISSIONS, fields).status == 202
        posted.append((fields["email"], fate))

    def assigned() -> dict[str, dict[str, Any]] | None:
        leads = {lead["contact"].get("email"): lead for lead in http.stored()["leads"]}
        ready = [leads.get(email) for email, _ in posted]
        return {lead["contact"]["email"]: lead for lead in ready} if all(
            lead and lead["status"] == "assigned" for lead in ready) else None

    leads = wait_until("every lead scored and assigned", assigned, stack)
    ids = {email: lead["lead_id"] for email, lead in leads.items()}
    [day] = {lead["created_at"][:10] for lead in leads.values()}  # UTC
    for email, fate in posted:
        if fate:
            api(http, token, "POST", f"/leads/{ids[email]}/status", {"status": "contacted"})
        if fate == "converted":
            api(http, token, "POST", f"/leads/{ids[email]}/status", {"status": "qualified"})
            api(http, token, "POST", f"/leads/{ids[email]}/convert", {"note": "Signed"})

    def counted() -> bool:
        [total] = api(http, token, "GET", "/reports?by=channel")["dimensions"]["all"]
        return (total["leads"], total["contacted"], total["converted"]) == (6, 4, 3)

    wait_until("the reports counting every lead, call and conversion", counted, stack)
    return day


# -- what the page shows, as the API's numbers would read in English ----------------------------


def count(value: int) -> str:
    return f"{value:,}"


def rate(value: float | None) -> str:
    if value is None:
        return "—"
    text = f"{Decimal(str(value)) * 100:.1f}".removesuffix(".0")
    return f"{text}%"


def cash(value: dict[str, str] | None) -> str:
    assert value is None or value["currency"] == "EUR"
    return "—" if value is None else f"€{Decimal(value['amount']):,.2f}"


def cells(row: Locator) -> list[str]:
    return [text.strip() for text in row.locator("td").all_inner_texts()]


def assert_channel_table_equals(page: Page, report: dict[str, Any]) -> None:
    table = page.locator("#report-channels table")
    rows = report["dimensions"]["channel"]
    expect(table.locator("tbody tr")).to_have_count(len(rows))
    for row in rows:
        shown = table.locator(f'tbody tr[data-value="{row["value"]}"]')
        assert cells(shown) == [count(row["leads"]), count(row["contacted"]), count(row["converted"]),
                                rate(row["conversion_rate"]), cash(row["cost"]), cash(row["cost_per_lead"]),
                                cash(row["cost_per_conversion"])], row["value"]
    [total] = report["dimensions"]["all"]
    assert cells(table.locator("tfoot tr")) == [
        count(total["leads"]), count(total["contacted"]), count(total["converted"]), rate(total["conversion_rate"]),
        cash(total["cost"]), cash(total["cost_per_lead"]), cash(total["cost_per_conversion"])]


def assert_calibration_equals(page: Page, report: dict[str, Any]) -> None:
    section = page.locator("#report-calibration")
    for dimension, caption in (("temperature", "Conversion per temperature"), ("band", "Conversion per score band")):
        table = section.get_by_role("table", name=caption)
        for row in report["dimensions"][dimension]:
            if row["value"] == "(none)" and not row["leads"]:
                continue
            assert cells(table.locator(f'tbody tr[data-value="{row["value"]}"]'))[:5] == [
                count(row["leads"]), count(row["contacted"]), count(row["converted"]), count(row["rejected"]),
                rate(row["conversion_rate"])], (dimension, row["value"])
    [total] = report["dimensions"]["all"]
    rules = section.get_by_role("table", name="Conversion of the leads each scoring rule matched")
    matched = [row for row in report["dimensions"]["rule"] if row["leads"]]
    assert matched, "the seeded leads matched no rule: the calibration view is not tested"
    expect(rules.locator("tbody tr")).to_have_count(len(matched))
    for row in matched:
        others = total["leads"] - row["leads"]
        without = (total["converted"] - row["converted"]) / others if others else None
        assert cells(rules.locator(f'tbody tr[data-value="{row["value"]}"]'))[:4] == [
            count(row["leads"]), count(row["converted"]), rate(row["conversion_rate"]),
            rate(round(without, 4) if without is not None else None)], row["value"]


def assert_speed_equals(page: Page, report: dict[str, Any]) -> None:
    table = page.locator("#report-speed table")
    for row in report["speed_to_lead"]:
        shown = cells(table.locator(f'tbody tr[data-value="{row["temperature"]}"]'))
        assert shown[1:5] == [count(row["leads"]), count(row["contacted"]), count(row["contacted_within_sla"]),
                              rate(row["within_sla_rate"])], row["temperature"]
    assert cells(table.locator('tbody tr[data-value="hot"]'))[0] == "15 min"  # the stack's SLA for hot leads


def assert_charts_drawn(page: Page) -> None:
    """Every chart's canvas has pixels painted (Chart.js loaded and ran under the CSP)."""
    expect(page.locator(".report-results[data-charts=drawn]")).to_be_attached()
    painted = page.evaluate("""() => [...document.querySelectorAll('.chart canvas')].map(canvas => {
        const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
        let painted = 0;
        for (let i = 3; i < pixels.length; i += 4) if (pixels[i] > 0) painted++;
        return painted; })""")
    assert len(painted) == 7 and min(painted) > 500, painted


def test_an_admin_sees_which_channel_brought_customers_and_at_what_cost_with_the_apis_numbers(
        page: Page, stack: RunningStack, http_client: Callable[[RunningStack], HttpClient],
        stack_id_token: Callable[[RunningStack, str | None], str], new_lead: Callable[[], LeadIdentity]) -> None:
    http = http_client(stack)
    token = stack_id_token(stack, None)  # the admin's
    problems: list[str] = []
    page.on("console", lambda message: problems.append(message.text) if _is_problem(message) else None)
    page.on("pageerror", lambda error: problems.append(str(error)))

    # GIVEN leads from google, linkedin and a newsletter, three of them customers by now
    came_in = seed(http, token, new_lead, stack)

    # WHEN the admin opens the reports (this month, the default)
    open_console(page, stack.base_url, ADMIN, "/reports")
    expect(page.get_by_role("heading", name="Reports", exact=True)).to_be_visible()
    answer = page.locator("#report-channels .answer")

    # THEN the page answers the owner's question, without costs yet
    expect(answer).to_have_text("google brought the most customers: 2. Enter its costs below to see what each one "
                                "cost.")
    report = api(http, token, "GET", "/reports")
    assert_channel_table_equals(page, report)
    assert_charts_drawn(page)

    # WHEN they enter what google cost this month
    form = page.locator(".cost-form")
    form.get_by_label("Channel").fill("Google")
    form.get_by_label("Amount").fill("150")
    expect(form.get_by_label("Currency")).to_have_value("EUR")
    form.get_by_role("button", name="Save cost").click()

    # THEN the cost is stored as the API spells channels, and the page reads it back: cost
    # per lead and per customer, equal to GET /reports's for the same period
    month = report["period"]
    month_name = datetime.strptime(month, "%Y-%m").strftime("%B %Y")  # noqa: DTZ007 - a month, not a moment
    expect(page.locator("#report-costs [role=status]")).to_have_text(f"Saved: google cost €150.00 in {month_name}.")
    expect(answer).to_have_text("google brought the most customers: 2, at €75.00 per customer.")
    report = api(http, token, "GET", f"/reports?period={month}")
    google = {row["value"]: row for row in report["dimensions"]["channel"]}["google"]
    assert (google["cost"], google["cost_per_lead"], google["cost_per_conversion"]) == (
        {"amount": "150.00", "currency": "EUR"}, {"amount": "50.00", "currency": "EUR"},
        {"amount": "75.00", "currency": "EUR"})
    assert_channel_table_equals(page, report)
    # the blended figure over every channel's customers says how many channels are priced
    expect(page.locator('#report-channels .tile[data-tile="costPerCustomer"] dd')).to_have_text(
        ["€50.00", "costs entered for 1 of 3 channels"])
    assert_speed_equals(page, report)
    assert_calibration_equals(page, report)
    assert_charts_drawn(page)
    assert page.url.endswith(f"/console/reports?period={month}")
    no_serious_accessibility_violation(page)
    screenshot(page, "reports")
    page.locator("#report-calibration").screenshot(path=str(SCREENSHOTS / "calibration.png"))

    # WHEN they choose one day, the day the leads came in: the same numbers, and no costs
    # (entered per month, they show for whole months only)
    page.get_by_label("Period", exact=True).select_option("custom")
    page.get_by_label("From", exact=True).fill(came_in)
    page.get_by_label("To", exact=True).fill(came_in)
    page.get_by_role("button", name="Show").click()
    expect(page).to_have_url(re.compile(rf"/console/reports\?period={came_in}$"))
    by_day = api(http, token, "GET", f"/reports?period={came_in}")
    expect(page.locator("#report-channels .answer")).to_have_text(
        "google brought the most customers: 2. Enter its costs below to see what each one cost.")
    assert_channel_table_equals(page, by_day)
    # AND last month, when none came in, says so
    page.get_by_label("Period", exact=True).select_option("lastMonth")
    expect(page.get_by_role("status").filter(has_text="No leads")).to_have_text("No leads came in during this period.")
    page.get_by_label("Period", exact=True).select_option("thisMonth")
    expect(page.locator("#report-channels .answer")).to_contain_text("€75.00 per customer")

    # WHEN they read it in Arabic: right to left, the same period, the same numbers' rows
    page.locator("#language").select_option("ar")
    expect(page.get_by_role("heading", name="التقارير", exact=True)).to_be_visible()
    assert page.evaluate("document.documentElement.dir") == "rtl"
    expect(page.locator("#report-channels .answer")).to_contain_text("google")
    expect(page.locator("#report-channels tbody tr")).to_have_count(len(report["dimensions"]["channel"]))
    assert_charts_drawn(page)
    no_serious_accessibility_violation(page)
    screenshot(page, "reports-ar")

    # AND on a phone, in English again
    page.locator("#language").select_option("en")
    page.set_viewport_size(PHONE)
    expect(page.locator("#report-channels .answer")).to_have_text(
        "google brought the most customers: 2, at €75.00 per customer.")
    assert_charts_drawn(page)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), "the page scrolls sideways"
    no_serious_accessibility_violation(page)
    screenshot(page, "reports-phone")
    assert problems == []


def _is_problem(message: ConsoleMessage) -> bool:
    """A CSP violation or a script error in the browser's console (not the browser's own
    ask for /favicon.ico, which the stack does not have)."""
    if message.location.get("url", "").endswith("/favicon.ico"):
        return False
    return message.type == "error" or "Content Security Policy" in message.text


# -- the Partners page (issue 18): what each referral partner brings ----------------------------------------------


def referral_events(stack: RunningStack, http: HttpClient, token: str) -> None:
    """Partners written as the partners' admin stores them, and the events the scorer and
    the lifecycle publish for their referrals, put on the stack's bus: the report
    function keeps the tallies the page reads (ids only; these leads are not stored)."""
    import boto3

    described = http.request("GET", "/_local/stack.json").json()

    def aws(service: str) -> Any:
        return boto3.client(service, endpoint_url=described["aws_endpoint"], region_name=described["region"],
                            aws_access_key_id="testing", aws_secret_access_key="testing")  # noqa: S106 - moto's

    for partner_id, name, kind, group in (("bni-downtown", "BNI Downtown", "group", None),
                                          ("maria-lopez", "María López", "member", "bni-downtown"),
                                          ("joe-quota", "Joe Quota", "member", "bni-downtown")):
        item = {"PK": f"PARTNER#{partner_id}", "SK": "PARTNER", "GSI1PK": "PARTNERS", "GSI1SK": partner_id,
                "item_type": "partner", "partner_id": partner_id, "name": name, "kind": kind, "language": "en",
                "active": True, "loop_emails": False, **({"group_id": group} if group else {})}
        aws("dynamodb").put_item(TableName=described["outputs"]["TableName"], Item={
            k: {"BOOL": v} if isinstance(v, bool) else {"S": v} for k, v in item.items()})
    now = datetime.now(timezone.utc).replace(microsecond=0)
    stamp = now.isoformat().replace("+00:00", "Z")

    def later(minutes: int) -> str:
        return (now + timedelta(minutes=minutes)).isoformat().replace("+00:00", "Z")

    def received(lead_id: str, partner_id: str | None, group: str | None, ref: str | None = None) -> dict[str, Any]:
        return {"schema_version": "1", "lead_id": lead_id, "submission_id": f"s-{lead_id}", "received_at": stamp,
                "form_id": "demo", "ref": ref or partner_id, "partner_id": partner_id, "group_id": group,
                "flag": None if partner_id else "unknown", "introduced": False}

    def moved(lead_id: str, to_status: str, at: str) -> dict[str, Any]:
        return {"schema_version": "1", "lead_id": lead_id, "from_status": "assigned", "to_status": to_status,
                "by": "m-olivia", "reason": None, "at": at, "farewell": False, "partner_id": "maria-lopez"}

    details: list[tuple[str, dict[str, Any]]] = [
        ("Referral Received", received("ref-m1", "maria-lopez", "bni-downtown")),
        ("Referral Received", received("ref-m2", "maria-lopez", "bni-downtown")),
        *(("Referral Received", received(f"ref-j{n}", "joe-quota", "bni-downtown")) for n in range(5)),
        ("Referral Received", received("ref-u1", None, None, ref="bni-dwntown")),
    ]
    moves = [("Lead Status Changed", moved("ref-m1", "contacted", later(30))),
             ("Lead Status Changed", moved("ref-m1", "qualified", later(600))),
             ("Lead Status Changed", moved("ref-m2", "contacted", later(90))),
             ("Lead Converted", {"schema_version": "1", "lead_id": "ref-m1", "contact_id": "c-ref-m1", "at": later(900),
                                 "partner_id": "maria-lopez"})]
    bus = f"{described['stack_name']}-leads"
    for batch in (details[:5], details[5:], moves):
        aws("events").put_events(Entries=[{"EventBusName": bus, "Source": "leadflow", "DetailType": detail_type,
                                           "Detail": json.dumps(detail)} for detail_type, detail in batch])
    wait_until("the referrals tallied", lambda: _tallied(api(http, token, "GET", "/reports/partners")), stack)


def _tallied(report: dict[str, Any]) -> bool:
    rows = {p["partner_id"]: p for p in report["partners"]}
    return sum(p["received"] for p in rows.values()) == 7 and rows.get("maria-lopez", {}).get("converted") == 1 \
        and rows["maria-lopez"]["contacted"] == 2 and bool(report["unknown_codes"])


def partner_cells(page: Page, partner_id: str) -> list[str]:
    return cells(page.get_by_role("table", name="Referrals per partner").locator(f'tbody tr[data-value="{partner_id}"]'))


def test_an_admin_sees_what_each_partner_brings_records_a_referral_given_and_a_groups_fee(
        page: Page, stack: RunningStack, http_client: Callable[[RunningStack], HttpClient],
        stack_id_token: Callable[[RunningStack, str | None], str]) -> None:
    http = http_client(stack)
    token = stack_id_token(stack, None)
    problems: list[str] = []
    page.on("console", lambda message: problems.append(message.text) if _is_problem(message) else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    # GIVEN a lead group with two members: Maria's two referrals were called (after 30 and
    # 90 minutes), one became a customer; Joe's five went nowhere; one code nobody has
    referral_events(stack, http, token)

    # WHEN the admin opens Partners (this month)
    open_console(page, stack.base_url, ADMIN, "/partners")
    expect(page.get_by_role("heading", name="Partners", exact=True)).to_be_visible()

    # THEN each partner's numbers are the API's, Joe is flagged, the unknown code is listed
    expect(page.get_by_role("table", name="Referrals per partner").locator("tbody tr")).to_have_count(3)
    assert partner_cells(page, "maria-lopez") == ["bni-downtown", "", "2", "2", "1", "1", "50%", "60 min", "—", "0"]
    assert partner_cells(page, "joe-quota")[:3] == ["bni-downtown", "Flagged", "5"]
    groups = page.get_by_role("table", name="Lead groups, with their members")
    assert cells(groups.locator('tbody tr[data-value="bni-downtown"]'))[:5] == ["2", "7", "2", "1", "1"]
    unknown = page.get_by_role("table", name="Codes no partner has")
    expect(unknown.locator("tbody tr th")).to_have_text(["bni-dwntown"])
    assert cells(unknown.locator("tbody tr")) == ["1"]

    # WHEN they record a referral given to Maria, and the group's fee for the month
    give = page.locator(".given-form")
    give.get_by_label("Given to").select_option("maria-lopez")
    give.get_by_label("What, to whom").fill("Acme's office move")
    give.get_by_role("button", name="Record").click()
    notice = page.locator(".partners-notice [role=status]")
    expect(notice).to_have_text("Recorded: a referral given to maria-lopez.")
    fee = page.locator(".fee-form")
    expect(fee.get_by_label("Group")).to_have_value("bni-downtown")
    fee.get_by_label("Amount").fill("300")
    fee.get_by_role("button", name="Save cost").click()
    expect(notice).to_have_text("Cost saved.")

    # THEN the balance and the cost per customer show, as the API has them
    expect(page.get_by_role("table", name="Referrals per partner").locator(
        'tbody tr[data-value="maria-lopez"] td').nth(9)).to_have_text("1")
    group = cells(groups.locator('tbody tr[data-value="bni-downtown"]'))
    assert group[-3:] == ["€300.00", "1", "€300.00"], group
    [api_group] = partner_report_of(http, token)["groups"]
    assert api_group["cost_per_converted"] == {"amount": "300.00", "currency": "EUR"} and api_group["given"] == 1
    no_serious_accessibility_violation(page)
    screenshot(page, "partners")

    # AND in Arabic, right to left
    page.locator("#language").select_option("ar")
    expect(page.get_by_role("heading", name="الشركاء", exact=True)).to_be_visible()
    assert page.evaluate("document.documentElement.dir") == "rtl"
    expect(page.locator(".report-table").first.locator("tbody tr")).to_have_count(3)
    no_serious_accessibility_violation(page)
    screenshot(page, "partners-ar")
    assert problems == []


def partner_report_of(http: HttpClient, token: str) -> Any:
    return api(http, token, "GET", "/reports/partners")


def test_a_manager_records_a_referral_given_back_and_sees_no_report(
        page: Page, stack: RunningStack, http_client: Callable[[RunningStack], HttpClient],
        stack_id_token: Callable[[RunningStack, str | None], str]) -> None:
    # Issue 18: "a manager can also record a referral given back to a partner".
    http = http_client(stack)
    note = f"Sent Umbrella Corp's roof to María ({time.time_ns()})"

    # WHEN Olivia, a manager, opens Partners and records a referral she gave María
    open_console(page, stack.base_url, "olivia@sales.example.com", "/partners")
    expect(page.get_by_role("heading", name="Partners", exact=True)).to_be_visible()
    give = page.locator(".given-form")
    give.get_by_label("Given to").select_option("maria-lopez")
    give.get_by_label("What, to whom").fill(note)
    give.get_by_role("button", name="Record").click()

    # THEN it is recorded as hers, and the page shows her no report (admins only)
    expect(page.locator(".partners-notice [role=status]")).to_have_text("Recorded: a referral given to maria-lopez.")
    given = api(http, stack_id_token(stack, None), "GET", "/partners/maria-lopez/given")["given"]
    assert [(g["note"], g["by"]) for g in given if g["note"] == note] == [(note, "m-olivia")]
    expect(page.get_by_role("table")).to_have_count(0)
    expect(page.locator(".fee-form")).to_have_count(0)
    no_serious_accessibility_violation(page)
    screenshot(page, "partners-manager")
