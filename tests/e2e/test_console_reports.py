"""The console's reports page in a real browser against a stack of its own (it enters a
channel cost and converts leads, which every other test would read): leads posted with
UTM parameters through the real pipeline, some converted through the API; an admin
reads which channel brought the customers and at what cost per customer, enters that
channel's cost on the page, and every number of the page's tables equals GET /reports's
for the same period; charts drawn, under the console's CSP; Arabic right to left; a
phone; axe-core on each."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from datetime import datetime
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
