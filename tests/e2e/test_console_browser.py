"""The lead console in a real browser (Debian's chromium, Playwright) against `make dev`:
signed in through the emulated managed login (code + PKCE), the manager's queue with the
lead just submitted on the demo page at the top, in three languages; axe-core on every
page; a screenshot of each main page in tests/e2e/screenshots/."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pytest
from console_kit import (
    in_english,
    lead_id_of,
    loaded,
    no_serious_accessibility_violation,
    screenshot,
    sign_in,
    submit_hot_lead,
)
from playwright.sync_api import Page, expect

if TYPE_CHECKING:  # fixtures provide them; conftest is not imported at run time
    from conftest import HttpClient, LeadIdentity, RunningStack

pytestmark = pytest.mark.e2e


def test_a_manager_signs_in_and_finds_the_lead_just_submitted_at_the_top_with_its_deadline(
        page: Page, local_stack: RunningStack, http: HttpClient, new_lead: Callable[[], LeadIdentity]) -> None:
    base = local_stack.base_url
    lead = new_lead()
    name = f"Quinn Queue {lead.tag}"

    # GIVEN a hot lead just submitted on the demo page, emailed to a best closer
    submit_hot_lead(page, base, lead, name)
    email = http.wait_for_email(lead.tag)
    [manager] = email["to"]
    lead_id = lead_id_of(http, lead.email_at("acme-corp.com"))
    # whose email links to the lead's page in the stack's own console
    assert f'href="{base}/console/leads/{lead_id}"' in email["body"]

    # WHEN the manager opens the console: the sign-in page first
    page.goto(f"{base}/console/")
    expect(page).to_have_url(re.compile(r"/_local/login/oauth2/authorize\?"))
    assert "code_challenge_method=S256" in page.url and "Quinn" not in page.url
    no_serious_accessibility_violation(page)
    screenshot(page, "sign-in")
    sign_in(page, manager)

    # THEN the queue shows the lead at the top, hot, with its score, reason, source and
    # the time left to call it
    expect(page).to_have_url(f"{base}/console/")
    in_english(page, manager)  # a hot lead may go to Layla, whose console opens in Arabic
    expect(page.get_by_role("heading", name="My queue")).to_be_visible()
    first = page.locator("table.leads tbody tr").first
    expect(first).to_contain_text(name)
    expect(first).to_contain_text("Hot")
    expect(first).to_contain_text("Inbound · newsletter")
    expect(first.locator("td.deadline")).to_have_text(re.compile(r"^Due in \d+ minutes?$"))
    assert first.locator("td.number").inner_text().strip().lstrip("-").isdigit()
    # AND nothing personal was kept beyond the session, nor put in the address
    assert page.evaluate("localStorage.length") == 0
    assert "code=" not in page.url
    no_serious_accessibility_violation(page)
    screenshot(page, "queue")

    # WHEN they keep only cold leads: none of theirs is cold, so the page says so
    page.get_by_label("Temperature").select_option("cold")
    expect(page.get_by_role("status")).to_have_text("No leads match these filters.")
    page.get_by_label("Temperature").select_option("")
    expect(page.locator("table.leads tbody tr").first).to_contain_text(name)

    # WHEN they follow the lead's link, the router shows its page without a reload
    page.get_by_role("link", name=name).click()
    expect(page).to_have_url(f"{base}/console/leads/{lead_id}")
    expect(page.get_by_role("heading", name=name)).to_be_visible()
    page.go_back()
    expect(page.locator("table.leads tbody tr").first).to_contain_text(name)

    # WHEN they sign out, the console says so and offers to sign in again
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="You signed out.")).to_be_visible()
    assert page.evaluate("sessionStorage.getItem('leadflow.session')") is None
    no_serious_accessibility_violation(page)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Sign in to Leadflow")).to_be_visible()


def test_a_lost_session_signs_in_again_and_comes_back_to_the_same_page(
        page: Page, local_stack: RunningStack) -> None:
    base = local_stack.base_url
    # GIVEN a manager deep in the console whose session is gone (a token the API refuses)
    page.goto(f"{base}/console/leads/L-somewhere")
    sign_in(page, "sam@sales.example.com")
    expect(page).to_have_url(f"{base}/console/leads/L-somewhere")
    expect(page.get_by_role("heading", name="No such lead")).to_be_visible()  # its request answered
    page.evaluate("""() => { const s = JSON.parse(sessionStorage.getItem('leadflow.session'));
        s.idToken = 'not-a-token'; s.refreshToken = 'not-a-refresh-token';
        sessionStorage.setItem('leadflow.session', JSON.stringify(s)); }""")

    # WHEN the queue asks the API for leads
    page.get_by_role("link", name="My queue", exact=True).click()

    # THEN the sign-in page comes, and after it the page they were on (the menu's home link)
    sign_in(page, "sam@sales.example.com")
    expect(page).to_have_url(f"{base}/console")
    expect(page.get_by_role("heading", name="My queue")).to_be_visible()


def test_the_queue_speaks_spanish_and_arabic_right_to_left(page: Page, local_stack: RunningStack) -> None:
    base = local_stack.base_url
    page.goto(f"{base}/console/")
    sign_in(page, "olivia@sales.example.com")
    expect(page.get_by_role("heading", name="My queue")).to_be_visible()
    expect(loaded(page)).to_be_visible()

    for language, heading, direction in (("es", "Mis leads", "ltr"), ("ar", "قائمتي", "rtl")):
        page.locator("#language").select_option(language)  # labelled in the current language

        expect(page.get_by_role("heading", name=heading)).to_be_visible()
        expect(page.locator("html")).to_have_attribute("dir", direction)
        expect(page.locator("html")).to_have_attribute("lang", language)
        expect(loaded(page)).to_be_visible()
        no_serious_accessibility_violation(page)
        screenshot(page, f"queue-{language}")
    # the choice holds for the session: a reload keeps it (the switch is labelled in Arabic now)
    page.reload()
    expect(page.get_by_role("heading", name="قائمتي")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("dir", "rtl")


def test_the_queue_says_when_nothing_waits_and_offers_a_retry_when_the_api_fails(
        page: Page, local_stack: RunningStack) -> None:
    base = local_stack.base_url
    # GIVEN an API that first answers an empty queue, then fails once, then works
    planned = [{"status": 200, "content_type": "application/json", "body": '{"leads": [], "next_cursor": null}'},
               {"status": 500, "content_type": "application/json", "body": '{"message": "Internal server error"}'}]

    def answer(route: Any) -> None:
        if planned:
            route.fulfill(**planned.pop(0))
        else:
            route.continue_()

    page.route(re.compile(r"/leads\?"), answer)
    page.goto(f"{base}/console/")
    sign_in(page, "sam@sales.example.com")

    # THEN nothing waiting is said plainly
    expect(page.get_by_role("status")).to_have_text("No leads waiting — nice work.")
    no_serious_accessibility_violation(page)
    screenshot(page, "queue-empty")

    # WHEN a filter's load fails: the error, with a retry that then works
    page.get_by_label("Status").select_option("rejected")
    expect(page.get_by_role("alert")).to_contain_text("Your leads could not be loaded.")
    no_serious_accessibility_violation(page)
    screenshot(page, "queue-error")
    page.get_by_role("button", name="Try again").click()
    expect(page.get_by_role("status")).to_have_text("No leads match these filters.")
    assert not planned


def test_a_manager_who_speaks_spanish_first_gets_the_console_in_spanish(page: Page, local_stack: RunningStack) -> None:
    # Diego's languages are es, en (local/seed.json); the browser asks for English
    page.goto(f"{local_stack.base_url}/console/")
    sign_in(page, "diego@sales.example.com")

    expect(page.get_by_role("heading", name="Mis leads")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "es")
    expect(page.locator("#language")).to_have_value("es")
    # what the console keeps of him for the session is his languages, not his name
    assert "Diego" not in page.evaluate("JSON.stringify(sessionStorage)")


def test_the_console_is_served_with_strict_headers_and_cacheable_versioned_files(http: HttpClient) -> None:
    page = http.request("GET", "/console/leads/L-1")
    assert page.status == 200 and page.headers["Cache-Control"] == "no-cache"
    csp = page.headers["Content-Security-Policy"]
    assert "script-src 'self';" in csp and "frame-ancestors 'none'" in csp and "unsafe" not in csp
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    [script] = re.findall(r'src="(/console/v/[0-9a-f]{12}/js/app\.js)"', page.text)
    asset = http.request("GET", script)
    assert asset.status == 200 and "immutable" in asset.headers["Cache-Control"]
    assert asset.headers["Content-Type"].startswith("text/javascript")
    assert http.request("GET", "/console/app.py").status == 404
    config = http.request("GET", "/console/config.json").json()
    assert config["apiUrl"] == http.stack.base_url and config["loginUrl"] == f"{http.stack.base_url}/_local/login"
