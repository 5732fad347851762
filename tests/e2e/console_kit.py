"""What the console's browser tests share: signing in through the login page, a hot lead
from the demo page, axe-core, screenshots (tests/e2e/screenshots/, gitignored: look at
them before calling a page done)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from playwright.sync_api import Browser, Page, expect

if TYPE_CHECKING:  # fixtures provide them; conftest is not imported at run time
    from conftest import HttpClient, LeadIdentity

HERE = Path(__file__).resolve().parent
AXE = (HERE / "vendor" / "axe-core-4.14.1.min.js").read_text("utf-8")
SCREENSHOTS = HERE / "screenshots"
PASSWORD = "Local-demo-only-1"  # local/seed.json's demo users
ADMIN = "admin@sales.example.com"
MIN_FILL_MS = 2000
PHONE = {"width": 390, "height": 844}  # a phone held upright


@contextmanager
def console_page(browser: Browser, *, locale: str = "en-US", phone: bool = False) -> Iterator[Page]:
    """A fresh browser context (its own session) with one page: desktop, or a phone's size."""
    context = browser.new_context(locale=locale, viewport=PHONE if phone else {"width": 1280, "height": 800},
                                  is_mobile=phone, has_touch=phone)
    context.clock.install()  # time flows as usual; submit_hot_lead jumps it forward
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        yield page
    finally:
        context.close()


def no_serious_accessibility_violation(page: Page) -> None:
    """axe-core on the page as it is; evaluated through the DevTools protocol, which the
    console's Content-Security-Policy (no inline script) rightly does not let a page do."""
    page.evaluate(AXE)
    violations = page.evaluate("""async () => (await axe.run(document, {resultTypes: ['violations']}))
        .violations.filter(v => ['serious', 'critical'].includes(v.impact))
        .map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.map(n => n.target.join(' '))}))""")
    assert violations == [], json.dumps(violations, indent=2)


def screenshot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def sign_in(page: Page, email: str) -> None:
    """Through the login page, as a person would (fields found by their labels)."""
    expect(page.get_by_role("heading", name="Sign in to Leadflow")).to_be_visible()
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


ENGLISH_FIRST = {ADMIN, "olivia@sales.example.com", "sam@sales.example.com"}  # local/seed.json's languages


def in_english(page: Page, email: str) -> None:
    """The console opens in the manager's first language (Layla's is Arabic, Diego's
    Spanish): a test that reads English picks it with the switch, as they may."""
    expect(page.locator("#nav")).to_be_visible()  # shown once the manager's language is known
    if email not in ENGLISH_FIRST:
        page.locator("#language").select_option("en")
    expect(page.locator("html")).to_have_attribute("lang", "en")


def open_console(page: Page, base: str, email: str, path: str = "/") -> None:
    """`path` of the console, signed in as `email` on the way; the page's heading shown."""
    page.goto(f"{base}/console{path}")
    sign_in(page, email)
    expect(page).to_have_url(f"{base}/console{path}")
    expect(page.locator("main h1")).to_be_visible()


def submit_hot_lead(page: Page, base: str, lead: LeadIdentity, name: str) -> None:
    """A visitor asks for a quote on the demo landing page."""
    page.goto(f"{base}/?utm_source=newsletter&utm_medium=email")
    lead.ask_for_a_quote(page, name)
    # the time a person needs to fill the form, on the page's clock (leadflow.js sends `_fill_ms`)
    page.clock.fast_forward(MIN_FILL_MS + 250)
    page.wait_for_function(
        "ms => { const shown = document.querySelector('input[name=_shown_at]');"
        " return Boolean(shown && shown.value) && Date.now() - Number(shown.value) > ms; }", arg=MIN_FILL_MS + 250)
    with page.expect_response(lambda response: response.url.endswith("/forms/demo/submissions")) as answer:
        page.get_by_role("button", name="Send").click()
    assert answer.value.status == 202


def loaded(page: Page) -> Any:
    """The queue once loaded: its leads, or the words saying there are none."""
    return page.locator("table.leads:not([hidden]), .state.empty").first


def lead_id_of(http: HttpClient, email: str) -> str:
    [lead] = [lead for lead in http.stored()["leads"] if lead["contact"].get("email") == email]
    return str(lead["lead_id"])
