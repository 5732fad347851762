"""The local stack over real HTTP: a form post goes in, the right manager's email comes out."""

from __future__ import annotations

import html
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, NamedTuple
from urllib.parse import urlencode

import pytest

if TYPE_CHECKING:  # fixtures provide them; conftest is not imported at run time
    from conftest import HttpClient, LeadIdentity, RunningStack

pytestmark = pytest.mark.e2e

SUBMISSIONS = "/forms/demo/submissions"
TIER_1 = {"olivia@sales.example.com", "layla@sales.example.com"}
TIER_3 = {"sam@sales.example.com"}
HOSTILE_NAME = "<script>alert(1)</script>"


def hot_lead(lead: LeadIdentity, name: str) -> dict[str, str]:
    """Asks for a quote from a company address, with phone and company: hot."""
    return {"name": name, "email": lead.email_at("acme-corp.com"), "phone": lead.phone,
            "company": "Acme Corp", "job_title": "Head of Operations", "interest": "quote"}


def test_the_landing_page_posts_its_form_to_the_api(http: HttpClient) -> None:
    reply = http.request("GET", "/")

    assert reply.status == 200
    assert reply.headers["Content-Type"].startswith("text/html")
    assert f'action="{SUBMISSIONS}"' in reply.text


def test_a_json_submission_is_accepted(http: HttpClient, new_lead: Callable[[], LeadIdentity]) -> None:
    # GIVEN a script posting JSON
    lead = new_lead()

    # WHEN it submits a lead
    reply = http.post_json(SUBMISSIONS, hot_lead(lead, f"Jay Son {lead.tag}"))

    # THEN it gets the submission id back at once
    assert reply.status == 202, reply.text
    assert reply.json()["submission_id"]


def test_a_browser_form_post_is_sent_to_the_thank_you_page(
        http: HttpClient, new_lead: Callable[[], LeadIdentity]) -> None:
    # GIVEN a browser posting the urlencoded form, asking for HTML
    lead = new_lead()
    body = urlencode(hot_lead(lead, f"Form Post {lead.tag}")).encode()

    # WHEN it submits
    reply = http.request("POST", SUBMISSIONS, body, {
        "Content-Type": "application/x-www-form-urlencoded",
        "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    })

    # THEN it is redirected (303: the next request is a GET) to the form's thank-you page
    assert reply.status == 303, reply.text
    assert reply.headers["Location"] == "/thank-you"


def test_a_hot_lead_is_emailed_to_a_tier_1_manager(http: HttpClient, new_lead: Callable[[], LeadIdentity]) -> None:
    # GIVEN a hot lead
    lead = new_lead()
    name = f"Ana Hot {lead.tag}"

    # WHEN it is submitted
    assert http.post_json(SUBMISSIONS, hot_lead(lead, name)).status == 202

    # THEN one of the best closers is told, and the subject says how hot it is
    email = http.wait_for_email(name)
    assert set(email["to"]) <= TIER_1 and len(email["to"]) == 1, email["to"]
    assert "HOT" in email["subject"]
    assert email["source"] == "leads@example.com"
    assert email["timestamp"]


def test_a_cold_lead_is_emailed_to_the_tier_3_manager(
        http: HttpClient, new_lead: Callable[[], LeadIdentity]) -> None:
    # GIVEN a visitor who only wants the ebook, from a free email address, nothing else
    lead = new_lead()
    name = f"Carl Cold {lead.tag}"

    # WHEN it is submitted
    fields = {"name": name, "email": lead.email_at("gmail.com"), "interest": "ebook"}
    assert http.post_json(SUBMISSIONS, fields).status == 202

    # THEN the beginner who follows scripts gets it
    email = http.wait_for_email(name)
    assert email["to"] == sorted(TIER_3)
    assert "COLD" in email["subject"]


def test_hostile_input_is_shown_escaped_never_run(http: HttpClient, new_lead: Callable[[], LeadIdentity]) -> None:
    # GIVEN a visitor whose name is a script tag
    lead = new_lead()
    name = f"{HOSTILE_NAME} Mallory {lead.tag}"

    # WHEN it is submitted
    assert http.post_json(SUBMISSIONS, hot_lead(lead, name)).status == 202

    # THEN the manager's email shows the text, escaped
    email = http.wait_for_email(lead.tag)
    assert html.escape(HOSTILE_NAME) in email["body"]
    assert HOSTILE_NAME not in email["body"]
    # AND the mailbox page, which shows subjects and bodies, never contains the raw tag
    page = http.request("GET", "/_local/mailbox")
    assert HOSTILE_NAME not in page.text
    assert html.escape(email["subject"]) in page.text


def test_the_mailbox_page_lists_the_emails(http: HttpClient, new_lead: Callable[[], LeadIdentity]) -> None:
    # GIVEN a lead whose manager was emailed
    lead = new_lead()
    name = f"Mia Mailbox {lead.tag}"
    assert http.post_json(SUBMISSIONS, hot_lead(lead, name)).status == 202
    email = http.wait_for_email(name)

    # WHEN the mailbox page is opened
    page = http.request("GET", "/_local/mailbox")

    # THEN it shows the email, its body kept in a sandboxed frame where no script runs
    # (same origin, so the page can size it; links open a tab outside the sandbox)
    assert page.status == 200
    assert page.headers["Content-Type"].startswith("text/html")
    assert html.escape(email["subject"]) in page.text
    assert html.escape(email["to"][0]) in page.text
    assert '<iframe sandbox="allow-same-origin allow-popups allow-popups-to-escape-sandbox"' in page.text
    assert "allow-scripts" not in page.text and "script-src 'self'" in page.headers["Content-Security-Policy"]


class BadPost(NamedTuple):
    path: str
    content_type: str
    body: bytes
    status: int
    code: str


BAD_POSTS = [
    pytest.param(BadPost(SUBMISSIONS, "application/json", b'{"name": "Ana", "email":', 400, "malformed_json"),
                 id="malformed-json"),
    pytest.param(BadPost("/forms/no-such-form/submissions", "application/json",
                         b'{"name": "Ana", "email": "ana@acme-corp.com"}', 404, "form_not_found"),
                 id="unknown-form"),
    pytest.param(BadPost(SUBMISSIONS, "application/json", b'{"name": "Ana", "company": "Acme"}', 422,
                         "contact_required"),
                 id="no-email-no-phone"),
    pytest.param(BadPost(SUBMISSIONS, "application/json", b'{"name": "Ana", "email": "ana-at-acme"}', 422,
                         "invalid_email"),
                 id="invalid-email"),
    pytest.param(BadPost(SUBMISSIONS, "text/plain", b"name=Ana&email=ana@acme-corp.com", 415,
                         "unsupported_media_type"),
                 id="text-plain"),
]


@pytest.mark.parametrize("bad", BAD_POSTS)
def test_bad_input_is_refused_with_a_reason_never_a_server_error(http: HttpClient, bad: BadPost) -> None:
    reply = http.request("POST", bad.path, bad.body, {"Content-Type": bad.content_type, "Accept": "application/json"})

    assert reply.status < 500, reply.text
    assert reply.status == bad.status, reply.text
    assert bad.code in [error["code"] for error in reply.json()["errors"]]


def test_requests_outside_the_local_pages_reach_the_api(http: HttpClient) -> None:
    # Any path and method (OPTIONS included) goes to the template's routes, as it would
    # reach API Gateway; none is refused by the local server itself.
    missing = http.request("GET", "/no/such/route")
    preflight = http.request("OPTIONS", SUBMISSIONS, headers={"Origin": "https://example.com"})

    assert missing.status == 404
    assert "message" in missing.json()
    assert preflight.status < 500, preflight.text
    assert preflight.headers["Content-Type"] == "application/json"


def test_the_local_stacks_own_output_names_no_lead(http: HttpClient, local_stack: RunningStack,
                                                   new_lead: Callable[[], LeadIdentity]) -> None:
    # GIVEN a lead through the whole pipeline, and thanked by email too (the visitor's address)
    lead = new_lead()
    name = f"Nora Private {lead.tag}"
    email_address = lead.email_at("acme-corp.com")
    assert http.post_json(SUBMISSIONS, {**hot_lead(lead, name), "email": email_address}).status == 202
    http.wait_for_email(name)
    time.sleep(1.5)  # the console reports a sent email within a poll or two

    # THEN what `make dev` printed holds ids, never the lead's name, email or phone
    printed = "".join(local_stack.output)
    assert "[leadflow-local] email " in printed  # it did report the email
    digits = "".join(c for c in lead.phone if c.isdigit())
    for trace in (name, lead.tag, email_address, lead.phone, digits[-7:]):
        assert trace not in printed, trace
