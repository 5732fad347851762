"""A real browser (Debian's chromium, driven by Playwright) on the demo landing page."""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import Browser, Locator, Page, expect, sync_playwright

if TYPE_CHECKING:  # fixtures provide them; conftest is not imported at run time
    from conftest import LeadIdentity, RunningStack

pytestmark = pytest.mark.e2e

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# Headless in a container, no network chatter of its own, no first-run screens.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]
EMAIL_TIMEOUT_S = 5
TIER_1 = {"olivia@sales.example.com", "layla@sales.example.com"}


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def fill_hot_lead(page: Page, lead: LeadIdentity, name: str) -> None:
    """What a visitor asking for a quote types (found by their labels, as a screen reader would)."""
    page.get_by_label("Name", exact=True).fill(name)
    page.get_by_label("Work email").fill(lead.email_at("acme-corp.com"))
    page.get_by_label("Phone").fill(lead.phone)
    page.get_by_label("Company").fill("Acme Corp")
    page.get_by_label("Job title").fill("VP Sales")
    page.get_by_label("I would like to").select_option("quote")
    page.get_by_label("Message").fill("We need 40 seats by next month.")


def email_in_mailbox(page: Page, base_url: str, marker: str) -> Locator:
    """The mailbox's article for this lead, reloading while the pipeline works."""
    page.goto(f"{base_url}/_local/mailbox")
    article = page.locator("article.email").filter(has=page.locator("h2", has_text=marker))
    deadline = time.monotonic() + EMAIL_TIMEOUT_S
    while article.count() == 0:
        if time.monotonic() > deadline:
            pytest.fail(f"no email for {marker} in the mailbox after {EMAIL_TIMEOUT_S} s")
        time.sleep(0.25)
        page.reload()
    return article


def test_a_visitor_from_a_campaign_reaches_the_right_manager_with_its_source(
        page: Page, local_stack: RunningStack, new_lead: Callable[[], LeadIdentity]) -> None:
    base = local_stack.base_url
    lead = new_lead()
    name = f"Bea Browser {lead.tag}"

    # GIVEN a visitor arriving from the spring newsletter
    page.goto(f"{base}/?utm_source=newsletter&utm_medium=email&utm_campaign=spring")

    # WHEN they ask for a quote
    fill_hot_lead(page, lead, name)
    page.get_by_role("button", name="Send").click()

    # THEN they are thanked
    expect(page).to_have_url(f"{base}/thank-you")
    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you!")
    # AND a best closer got the email, with where the lead came from: the channel
    # (utm_medium=email is inbound), the utm_source and the utm_campaign
    article = email_in_mailbox(page, base, lead.tag)
    assert article.locator(".to").inner_text() in TIER_1
    expect(article.locator("h2")).to_contain_text("HOT")
    body = article.frame_locator("iframe")
    expect(body.locator(".lead-name")).to_have_text(name)
    expect(body.locator(".lead-source")).to_have_text("inbound / newsletter / spring")


def test_the_form_works_without_javascript(browser: Browser, local_stack: RunningStack,
                                           new_lead: Callable[[], LeadIdentity]) -> None:
    # GIVEN a browser with JavaScript off (the source fields stay empty)
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.set_default_timeout(10_000)
        lead = new_lead()
        page.goto(f"{local_stack.base_url}/?utm_source=newsletter")

        # WHEN the visitor fills and sends the form
        fill_hot_lead(page, lead, f"Nora Noscript {lead.tag}")
        page.get_by_role("button", name="Send").click()

        # THEN the plain HTML post lands on the thank-you page
        expect(page).to_have_url(f"{local_stack.base_url}/thank-you")
        expect(page.get_by_role("heading", level=1)).to_have_text("Thank you!")
        # AND the lead is still handed out, its source unknown: the script really did not run
        article = email_in_mailbox(page, local_stack.base_url, lead.tag)
        expect(article.frame_locator("iframe").locator(".lead-source")).to_have_text("unknown")
    finally:
        context.close()
