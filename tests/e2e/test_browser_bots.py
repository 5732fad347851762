"""A real browser (Debian's chromium, driven by Playwright) on a landing page whose form
asks for a proof of work (`captcha: "altcha"`): leadflow.js fetches the form's challenge
when the visitor starts typing, solves it in the background, and sends the solution with
the post; the lead reaches a manager as any other."""

from __future__ import annotations

import io
import re
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Page, expect
from test_browser import THANKS, TIER_1, email_in_mailbox, status_of, stored_lead

if TYPE_CHECKING:  # fixtures provide them; conftest is not imported at run time
    from conftest import HttpClient, LeadIdentity, RunningStack

pytestmark = pytest.mark.e2e

SCREENSHOT = Path("/tmp/leadflow-e2e-proof-of-work.png")


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def proof_of_work_form(base_url: str) -> str:
    """A form created from the terminal that asks every post for a proof of work."""
    from leadflow_cli.main import main
    from leadflow_cli.target import local_target

    form_id = f"pow-{uuid.uuid4().hex[:8]}"
    target = local_target({"PORT": str(urlsplit(base_url).port)})
    created = main(["forms", "create", form_id, "--name", "Proof of work", "--set", f'allowed_origins=["{base_url}"]',
                    "--set", 'captcha="altcha"', "--set", "min_fill_seconds=0"],
                   target=target, out=io.StringIO(), err=io.StringIO())
    assert created == 0
    return form_id


def landing_page(base_url: str, form_id: str) -> str:
    return f"""<!doctype html><html lang="en"><title>Acme: ask for a quote</title>
<style>body{{font:16px system-ui;max-width:32rem;margin:2rem auto}} label{{display:block;margin:.6rem 0}}
input,select,textarea{{display:block;width:100%;padding:.3rem}}</style>
<main><h1>Ask for a quote</h1>
<form action="{base_url}/forms/{form_id}/submissions" method="post">
<label>Name <input name="name" autocomplete="name"></label>
<label>Work email <input name="email" type="email"></label>
<label>Phone <input name="phone" type="tel"></label>
<label>Company <input name="company"></label>
<label>Job title <input name="job_title"></label>
<label>I would like to <select name="interest"><option value="quote">get a quote</option></select></label>
<label>Message <textarea name="message"></textarea></label>
<input name="_gotcha" tabindex="-1" autocomplete="off" style="position:absolute;left:-9999px" aria-hidden="true">
<button>Send</button></form></main>
<script src="{base_url}/leadflow.js" defer></script>"""


def test_a_visitor_on_a_proof_of_work_form_is_a_lead_that_reaches_a_manager(
        page: Page, local_stack: RunningStack, http: HttpClient, new_lead: Callable[[], LeadIdentity]) -> None:
    base = local_stack.base_url
    form_id = proof_of_work_form(base)
    # The company's page, served by the browser's router on the stack's own origin (a
    # page elsewhere may not load a script from this loopback address: Private Network Access).
    page.route(f"{base}/acme/**", lambda route: route.fulfill(status=200, content_type="text/html",
                                                         body=landing_page(base, form_id)))
    lead = new_lead()
    name = f"Pia Proof {lead.tag}"

    # GIVEN a visitor on the company's page, whose form asks for a proof of work
    page.goto(f"{base}/acme/quote")
    # WHEN they start typing: leadflow.js fetches the form's challenge (and solves it meanwhile)
    with page.expect_response(lambda r: r.url.endswith(f"/forms/{form_id}/challenge")) as challenge:
        page.get_by_label("Name", exact=True).fill(name)
    assert challenge.value.status == 200
    page.get_by_label("Work email").fill(lead.email_at("acme-corp.com"))
    page.get_by_label("Phone").fill(lead.phone)
    page.get_by_label("Company").fill("Acme Corp")
    page.get_by_label("Job title").fill("VP Sales")
    page.get_by_label("Message").fill("We need 40 seats by next month.")
    # AND they send it
    with page.expect_response(lambda r: r.url.endswith(f"/forms/{form_id}/submissions")) as answer:
        page.get_by_role("button", name="Send").click()

    # THEN the post carried the solution, and they are thanked on the page
    assert answer.value.status == 202
    assert "_altcha=" in (answer.value.request.post_data or "")
    expect(status_of(page)).to_have_text(THANKS)
    page.screenshot(path=str(SCREENSHOT), full_page=True)
    # AND it is a lead (not spam), which a best closer hears of by email
    stored = stored_lead(http, lead.email_at("acme-corp.com"))
    assert stored is not None and stored["source"]["form_id"] == form_id
    assert "altcha" not in str(stored)  # the solution is not the person's data
    assert not [s for s in http.stored()["spam"] if s["form_id"] == form_id]
    article = email_in_mailbox(page, base, lead.tag)
    assert article.locator(".to").inner_text() in TIER_1

    # AND a second request from the same page (a colleague's, say) gets a new solution: a lead too, not spam
    page.goto(f"{base}/acme/quote")
    other = new_lead()
    page.get_by_label("Name", exact=True).fill(f"Pia Proof {other.tag}")
    page.get_by_label("Work email").fill(other.email_at("acme-corp.com"))
    with page.expect_response(lambda r: r.url.endswith(f"/forms/{form_id}/submissions")) as second:
        page.get_by_role("button", name="Send").click()
    assert second.value.status == 202
    expect(status_of(page)).to_have_text(THANKS)
    page.get_by_label("Name", exact=True).fill(f"Pia Again {other.tag}")
    page.get_by_label("Work email").fill(other.email_at("globex.com"))
    with page.expect_response(lambda r: r.url.endswith(f"/forms/{form_id}/submissions")) as third:
        page.get_by_role("button", name="Send").click()
    assert third.value.status == 202
    expect(status_of(page)).to_have_text(THANKS)
    assert stored_lead(http, other.email_at("acme-corp.com")) is not None
    assert stored_lead(http, other.email_at("globex.com")) is not None
    assert not [s for s in http.stored()["spam"] if s["form_id"] == form_id]


def test_a_bot_posting_without_the_proof_is_thanked_and_kept_apart(
        page: Page, local_stack: RunningStack, http: HttpClient, new_lead: Callable[[], LeadIdentity]) -> None:
    base = local_stack.base_url
    form_id = proof_of_work_form(base)
    lead = new_lead()

    # GIVEN a bot that posts the form's fields straight to the endpoint, with no proof
    answer = http.post_json(f"/forms/{form_id}/submissions", {"name": "Robby Bot", "email": lead.email_at("bots.example")})

    # THEN it is answered like a person, and kept as spam for review
    assert answer.status == 202
    [spam] = [s for s in http.stored()["spam"] if s["form_id"] == form_id]
    assert spam["reason"] == "proof_missing"


def widget_page(base_url: str, form_id: str) -> str:
    """A page without leadflow.js: a plain HTML post, with the vendored ALTCHA widget."""
    return f"""<!doctype html><html lang="en"><title>Acme: newsletter</title>
<script type="module" src="{base_url}/vendor/altcha-2.3.0.js"></script>
<main><h1>Join the newsletter</h1>
<form action="{base_url}/forms/{form_id}/submissions" method="post">
<label>Name <input name="name"></label>
<label>Email <input name="email" type="email"></label>
<altcha-widget challengeurl="{base_url}/forms/{form_id}/challenge" auto="onfocus" hidefooter></altcha-widget>
<button>Send</button></form></main>"""


def test_a_page_without_our_script_uses_the_altcha_widget(
        page: Page, local_stack: RunningStack, http: HttpClient, new_lead: Callable[[], LeadIdentity]) -> None:
    base = local_stack.base_url
    form_id = proof_of_work_form(base)
    page.route(f"{base}/acme/**", lambda route: route.fulfill(status=200, content_type="text/html",
                                                             body=widget_page(base, form_id)))
    lead = new_lead()

    # GIVEN a page with the widget: it solves the challenge once the visitor starts on the form
    page.goto(f"{base}/acme/newsletter")
    page.get_by_label("Name", exact=True).fill(f"Wim Widget {lead.tag}")
    page.get_by_label("Email").fill(lead.email_at("acme-corp.com"))
    expect(page.locator("altcha-widget input[name=altcha]")).to_have_value(re.compile(r"^ey"), timeout=20_000)
    page.screenshot(path="/tmp/leadflow-e2e-altcha-widget.png", full_page=True)

    # WHEN they send the form the classic way
    page.get_by_role("button", name="Send").click()

    # THEN the post is a lead of that form, not spam
    expect(page.locator("body")).to_contain_text("Thank you")
    stored = stored_lead(http, lead.email_at("acme-corp.com"))
    assert stored is not None and stored["source"]["form_id"] == form_id
    assert not [s for s in http.stored()["spam"] if s["form_id"] == form_id]
