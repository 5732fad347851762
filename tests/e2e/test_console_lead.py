"""A lead's page in a real browser against `make dev`, as a manager who has never seen
Leadflow works it: from the link in the email to signed in on the lead, the person and
the score with its reasons, the moves the lead may make (and, from a stale page, why one
it no longer may is refused), a lead entered by hand and rejected with a goodbye email;
another manager's lead refused as such; the page on a phone. axe-core on every state;
screenshots in tests/e2e/screenshots/."""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest
from console_kit import (
    console_page,
    in_english,
    no_serious_accessibility_violation,
    screenshot,
    sign_in,
    submit_hot_lead,
)
from playwright.sync_api import Browser, expect

if TYPE_CHECKING:  # fixtures provide them; conftest is not imported at run time
    from conftest import HttpClient, LeadIdentity, RunningStack

pytestmark = pytest.mark.e2e

OLIVIA = "olivia@sales.example.com"
SAM = "sam@sales.example.com"
WAIT_S = 15.0
# The signed-in manager's own request from elsewhere (another tab): the page does not know.
ANOTHER_TAB = """async ([api, leadId, change]) => {
    const session = JSON.parse(sessionStorage.getItem('leadflow.session'));
    const answer = await fetch(`${api}/leads/${leadId}/status`, {method: 'POST', body: JSON.stringify(change),
        headers: {Authorization: session.idToken, 'Content-Type': 'application/json'}});
    return answer.status;
}"""


def stored_lead(http: HttpClient, lead_id: str) -> dict[str, Any]:
    [lead] = [lead for lead in http.stored()["leads"] if lead["lead_id"] == lead_id]
    return lead


def enter_lead(http: HttpClient, token: str, fields: dict[str, Any]) -> str:
    """A lead entered by hand through the API (as the page does), for its manager."""
    reply = http.request("POST", "/leads", json.dumps(fields).encode(),
                         {"Authorization": token, "Content-Type": "application/json"})
    assert reply.status == 201, reply.text
    return str(reply.json()["lead_id"])


def wait_until_theirs(http: HttpClient, token: str, lead_id: str) -> dict[str, Any]:
    """The lead once scored and assigned to the token's manager (seconds after entry)."""
    deadline = time.monotonic() + WAIT_S
    while True:
        reply = http.request("GET", f"/leads/{lead_id}", headers={"Authorization": token})
        if reply.status == 200 and reply.json()["lead"]["status"] == "assigned":
            return dict(reply.json())
        if time.monotonic() > deadline:
            pytest.fail(f"lead {lead_id} not assigned within {WAIT_S} s: {reply.status} {reply.text}")
        time.sleep(0.2)


@pytest.fixture(scope="module")
def olivias_lead(http: HttpClient, id_token: Callable[..., str]) -> dict[str, str]:
    """A hot lead Olivia entered by hand, assigned to her, with a phone and a long message:
    its id, name and phone (as typed)."""
    number = uuid.uuid4().int
    tag, digits = f"{number % 16**8:08x}", f"{number % 10**8:08d}"
    phone = f"+34 6{digits[:2]} {digits[2:5]} {digits[5:]}"  # nobody else's: dedupe would merge them
    fields = {"name": f"Pia Phone {tag}", "email": f"pia.{tag}@umbrella.example", "phone": phone,
              "company": "Umbrella Corporation", "job_title": "Head of Procurement", "interest": "quote",
              "country": "ES", "notes": "Called from the airport. " * 12}
    token = id_token(OLIVIA)
    lead_id = enter_lead(http, token, fields)
    wait_until_theirs(http, token, lead_id)
    return {"lead_id": lead_id, "name": fields["name"], "phone": phone}


def wait_for_mail_to(http: HttpClient, address: str) -> dict[str, Any]:
    deadline = time.monotonic() + WAIT_S
    while True:
        found = [email for email in http.emails() if email["to"] == [address]]
        if found:
            return found[0]
        if time.monotonic() > deadline:
            pytest.fail(f"no email to {address} within {WAIT_S} s:\n{http.stack.log_tail()}")
        time.sleep(0.2)


def test_a_manager_works_a_hot_lead_from_the_link_in_their_email_and_rejects_one_entered_by_hand(
        browser: Browser, local_stack: RunningStack, http: HttpClient, new_lead: Callable[[], LeadIdentity]) -> None:
    base = local_stack.base_url
    lead = new_lead()
    name = f"Lena Lead {lead.tag}"
    with console_page(browser) as page:
        # GIVEN a hot lead just submitted on the demo page, and the email its manager got
        submit_hot_lead(page, base, lead, name)
        email = http.wait_for_email(lead.tag)
        [manager] = email["to"]
        [link] = re.findall(rf'href="({re.escape(base)}/console/leads/[^"]+)"', email["body"])
        lead_id = link.rsplit("/", 1)[1]

        # WHEN the manager follows the link: signed in on the way, they land on the lead
        page.goto(link)
        sign_in(page, manager)
        expect(page).to_have_url(link)
        in_english(page, manager)  # a hot lead may go to Layla, whose console opens in Arabic
        expect(page.get_by_role("heading", level=1)).to_have_text(name)

        # THEN the person and how to reach them come first: tap to call, tap to write
        contact = page.locator(".lead-contact")
        expect(contact).to_contain_text("VP Sales · Acme Corp")
        e164 = lead.phone.replace(" ", "")
        expect(contact.get_by_role("link", name=re.compile(r"Phone"))).to_have_attribute("href", f"tel:{e164}")
        expect(contact.get_by_role("link", name=re.compile(r"Phone"))).to_contain_text(lead.phone)
        expect(contact.get_by_role("link", name=re.compile(r"Email"))).to_have_attribute(
            "href", f"mailto:{lead.email_at('acme-corp.com')}")
        # AND the message, the source, and the score with every one of its reasons
        expect(page.locator(".lead-message")).to_contain_text("We need 40 seats by next month.")
        expect(page.locator(".lead-source")).to_contain_text("newsletter")
        score = stored_lead(http, lead_id)["score"]
        expect(page.locator(".lead-score .score-summary")).to_have_text(
            f"Hot: {score['points']} points, from these reasons")
        expect(page.locator(".lead-score .reasons li")).to_have_count(len(score["parts"]))
        for part in score["parts"]:
            expect(page.locator(".lead-score")).to_contain_text(part["reason"])
        # AND the time left for the first call, and only the moves an assigned lead may make
        expect(page.locator(".deadline")).to_have_text(re.compile(r"^First call due in 1[45] minutes$"))
        moves = page.locator(".lead-actions .moves button")
        expect(moves).to_have_text(["Contacted", "Postpone", "Reject", "Add a note"])
        no_serious_accessibility_violation(page)
        screenshot(page, "lead")

        # WHEN they mark it contacted, with a note
        page.get_by_role("button", name="Contacted", exact=True).click()
        page.get_by_label("Note (optional)").fill("Called: wants a quote by Friday")
        no_serious_accessibility_violation(page)
        page.get_by_role("button", name="Mark as contacted").click()

        # THEN the page says so, the history shows it first, and the API stored it
        expect(page.locator(".lead-actions .notice")).to_have_text("Marked as contacted.")
        first = page.locator(".lead-history li").first
        expect(first).to_contain_text("Contacted")
        expect(first).to_contain_text("by you")
        expect(first).to_contain_text("Called: wants a quote by Friday")
        expect(page.locator(".deadline")).to_have_count(0)
        expect(moves).to_have_text(["Qualified", "Postpone", "Reject", "Add a note"])
        assert stored_lead(http, lead_id)["status"] == "contacted"

        # WHEN the lead moves on in another tab, and they make a move from this stale page
        assert page.evaluate(ANOTHER_TAB, [base, lead_id, {"status": "qualified"}]) == 200
        page.get_by_role("button", name="Qualified", exact=True).click()
        page.get_by_role("button", name="Mark as qualified").click()

        # THEN the API's refusal is said in words: where the lead is, and where it may go
        expect(page.get_by_role("alert")).to_have_text(
            "This lead is “Qualified” now; from here it can go to: “Converted”, “Postponed”, or “Rejected”. "
            "The page shows it as it is now.")
        expect(moves).to_have_text(["Convert", "Postpone", "Reject", "Add a note"])
        no_serious_accessibility_violation(page)
        screenshot(page, "lead-refused")

        # WHEN they convert it
        page.get_by_role("button", name="Convert", exact=True).click()
        page.get_by_role("button", name="Convert into a contact").click()
        expect(page.locator(".lead-actions .notice")).to_have_text("Converted: the contact is created.")
        expect(page.locator(".lead-head .status")).to_have_text("Converted")
        expect(page.locator(".lead-history li").first).to_contain_text("Converted into a contact")
        assert stored_lead(http, lead_id)["status"] == "converted"

        # AND read it in Arabic: right to left, in its own words
        page.locator("#language").select_option("ar")
        expect(page.locator("html")).to_have_attribute("dir", "rtl")
        expect(page.get_by_role("heading", name="السجل")).to_be_visible()
        expect(page.locator(".lead-head .status")).to_have_text("تحوّل إلى عميل")
        no_serious_accessibility_violation(page)
        screenshot(page, "lead-ar")
        page.locator("#language").select_option("en")

        # WHEN they enter a lead by hand, first forgetting how to reach the person
        page.get_by_role("link", name="New lead").click()
        expect(page.get_by_role("heading", name="New lead")).to_be_visible()
        page.get_by_role("button", name="Save the lead").click()
        expect(page.locator("#new-name-error")).to_have_text("Write the person's name.")
        expect(page.locator("#new-email-error")).to_have_text("Give an email or a phone, so they can be reached.")
        # then an address the API refuses: its error beside the field it names
        hand = new_lead()
        page.get_by_label("Name").fill(f"Hanna Hand {hand.tag}")
        page.get_by_label("Email").fill("hanna at globex")
        page.get_by_role("button", name="Save the lead").click()
        expect(page.locator("#new-email-error")).to_have_text("This is not an email address.")
        expect(page.locator("#new-name-error")).to_be_hidden()
        expect(page.get_by_label("Email")).to_have_attribute("aria-invalid", "true")
        no_serious_accessibility_violation(page)
        screenshot(page, "new-lead")
        address = hand.email_at("globex.example")
        page.get_by_label("Email").fill(address)
        page.get_by_label("Company").fill("Globex")
        page.get_by_label("Asked for").select_option("quote")
        page.get_by_label("Notes").fill("Met at the Berlin fair; wants 12 seats.")
        page.get_by_role("button", name="Save the lead").click()

        # THEN they land on its page, theirs once assigned (seconds later)
        expect(page.get_by_role("heading", level=1)).to_have_text(f"Hanna Hand {hand.tag}")
        hand_id = page.url.rsplit("/", 1)[1]
        expect(page.locator(".lead-actions .notice")).to_contain_text("Lead saved.")
        expect(moves).to_have_text(["Contacted", "Postpone", "Reject", "Add a note"], timeout=WAIT_S * 1000)
        expect(page.locator(".lead-message")).to_contain_text("Met at the Berlin fair; wants 12 seats.")
        expect(page.locator(".lead-submissions")).to_contain_text("Entered by hand by")
        entered = stored_lead(http, hand_id)
        assert entered["source"]["form_id"] == "manual" and entered["contact"]["email"] == address

        # WHEN they reject it, with a reason, a note and the goodbye email
        page.get_by_role("button", name="Reject", exact=True).click()
        page.get_by_role("button", name="Reject the lead").click()
        expect(page.locator("#lead-f-reason-error")).to_have_text("Choose why the lead is rejected.")
        page.get_by_label("Reason").select_option(label="Not a fit")
        page.get_by_label("Note (optional)").fill("Wants on-premises only")
        page.get_by_label("Send a short goodbye email").check()
        page.get_by_role("button", name="Reject the lead").click()

        # THEN the lead is rejected, the history says why, and the person got the goodbye
        expect(page.locator(".lead-head .where")).to_have_text("Rejected: Not a fit.")
        expect(page.locator(".lead-actions")).to_contain_text("This lead is closed")
        expect(moves).to_have_text(["Add a note"])
        latest = page.locator(".lead-history li.rejected")
        expect(latest).to_contain_text("Rejected")
        expect(latest).to_contain_text("Not a fit")
        expect(latest).to_contain_text("Wants on-premises only")
        rejected = stored_lead(http, hand_id)
        assert (rejected["status"], rejected["rejection_reason"]) == ("rejected", "not_a_fit")
        goodbye = wait_for_mail_to(http, address)
        assert goodbye["subject"] == "Thank you for your interest"
        # AND, read again, the history tells the goodbye was sent (recorded just after sending)
        deadline = time.monotonic() + WAIT_S
        while True:
            page.reload()
            expect(page.locator(".lead-history")).to_be_visible()
            if "Goodbye email sent" in page.locator(".lead-history").inner_text():
                break
            assert time.monotonic() < deadline, "no goodbye in the history"
        no_serious_accessibility_violation(page)
        screenshot(page, "lead-rejected")


def test_another_managers_lead_is_refused_as_such_and_a_wrong_address_as_no_such_lead(
        browser: Browser, local_stack: RunningStack, olivias_lead: dict[str, str]) -> None:
    base = local_stack.base_url
    lead_id = olivias_lead["lead_id"]
    with console_page(browser) as page:
        # WHEN Sam opens the address of Olivia's lead
        page.goto(f"{base}/console/leads/{lead_id}")
        with page.expect_response(lambda response: response.url.endswith(f"/leads/{lead_id}")) as answer:
            sign_in(page, SAM)

        # THEN the page says it is another manager's, as the API did, and the way back; nothing of the person
        assert answer.value.status == 403 and answer.value.json()["code"] == "not_your_lead"
        expect(page.get_by_role("heading", level=1)).to_have_text("This lead belongs to another manager")
        expect(page.locator("main")).to_contain_text("ask an admin to hand it to you")
        expect(page.get_by_role("link", name="Back to my queue")).to_be_visible()
        expect(page.locator("main")).not_to_contain_text("Pia")
        expect(page.get_by_role("button", name="Try again")).to_have_count(0)
        no_serious_accessibility_violation(page)
        screenshot(page, "lead-forbidden")

        # WHEN he mistypes a lead's address: no such lead
        page.goto(f"{base}/console/leads/no-such-lead")
        expect(page.get_by_role("heading", level=1)).to_have_text("No such lead")
        no_serious_accessibility_violation(page)

        # WHEN the API fails once (a 500 the real one cannot be made to answer): the error, with a retry
        failures = [{"status": 500, "content_type": "application/json", "body": '{"message": "Internal server error"}'}]
        page.route(f"{base}/leads/{lead_id}",  # the API's address, not the console's page
                   lambda route: route.fulfill(**failures.pop()) if failures else route.continue_())
        page.goto(f"{base}/console/leads/{lead_id}")
        expect(page.get_by_role("alert")).to_contain_text("This lead could not be loaded.")
        no_serious_accessibility_violation(page)
        page.get_by_role("button", name="Try again").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("This lead belongs to another manager")
        assert not failures


def test_on_a_phone_the_person_and_the_moves_come_first_big_enough_to_tap(
        browser: Browser, local_stack: RunningStack, http: HttpClient, olivias_lead: dict[str, str]) -> None:
    base = local_stack.base_url
    lead_id, name = olivias_lead["lead_id"], olivias_lead["name"]
    with console_page(browser, phone=True) as page:
        # WHEN Olivia opens her lead on her phone
        page.goto(f"{base}/console/leads/{lead_id}")
        sign_in(page, OLIVIA)
        expect(page.get_by_role("heading", level=1)).to_have_text(name)
        expect(page.locator(".lead-actions .moves button").first).to_have_text("Contacted")

        # THEN the contact card and the moves come before everything else, in one column
        boxes = {part: page.locator(f".lead-{part}").bounding_box() for part in (
            "contact", "actions", "message", "score", "source", "submissions", "history")}
        assert all(boxes.values()), boxes
        tops = [boxes[part]["y"] for part in boxes]  # type: ignore[index]
        assert tops == sorted(tops)
        assert len({round(box["x"]) for box in boxes.values()}) == 1  # type: ignore[index]
        expect(page.locator(".lead-contact a").first).to_contain_text(olivias_lead["phone"])
        # AND every link and button there is big enough to tap, and nothing runs off the side
        for target in page.locator(".lead-contact a, .lead-actions button").all():
            box = target.bounding_box()
            assert box and box["height"] >= 44 and box["width"] >= 44, (target.inner_text(), box)
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        no_serious_accessibility_violation(page)
        screenshot(page, "lead-phone")

        # WHEN she puts it off, first to today (refused beside the date), then to next week
        page.get_by_role("button", name="Postpone", exact=True).click()
        today = datetime.now(UTC).date()
        page.get_by_label("Call back on").fill(today.isoformat())
        page.get_by_role("button", name="Postpone the lead").click()
        expect(page.locator("#lead-f-follow_up_on-error")).to_have_text("Choose a day after today.")
        no_serious_accessibility_violation(page)
        later = today + timedelta(days=7)
        page.get_by_label("Call back on").fill(later.isoformat())
        page.get_by_role("button", name="Postpone the lead").click()

        # THEN the page says when it comes back, and the API stored that day
        expect(page.locator(".lead-head .where")).to_contain_text("Put off until")
        expect(page.locator(".lead-actions .moves button")).to_have_text(["Take it back now", "Add a note"])
        assert stored_lead(http, lead_id)["follow_up_on"] == later.isoformat()
        no_serious_accessibility_violation(page)


def test_a_lead_a_partner_introduced_shows_who_referred_it_and_the_introduction(
        browser: Browser, local_stack: RunningStack, http: HttpClient, new_lead: Callable[[], LeadIdentity],
        id_token: Callable[..., str]) -> None:
    # GIVEN a referral form, and María (the seed's member of BNI Downtown) introducing
    # someone on it, by her email, with a note and how the person agreed to be called
    base, lead = local_stack.base_url, new_lead()
    admin = {"Authorization": id_token(), "Content-Type": "application/json"}
    form_id = f"refer-{lead.tag}"
    created = http.request("POST", "/admin/forms", json.dumps(
        {"form_id": form_id, "name": "Refer someone", "referral_form": True}).encode(), admin)
    assert created.status == 201, created.text
    note = f"Hana needs her <b>roof</b> redone before winter. {lead.tag}"
    reply = http.post_json(f"/forms/{form_id}/submissions", {
        "name": f"Hana Mori {lead.tag}", "email": lead.email_at("shop.example.com"), "phone": lead.phone,
        "partner_email": "maria@lopez-roofing.example.com", "introduction": note,
        "consent_method": "asked_in_person"})
    assert reply.status == 202, reply.text
    email = http.wait_for_email(lead.tag)
    [link] = re.findall(rf'href="({re.escape(base)}/console/leads/[^"]+)"', email["body"])

    with console_page(browser) as page:
        # WHEN an admin opens the lead
        page.goto(link)
        sign_in(page, "admin@sales.example.com")
        expect(page.get_by_role("heading", level=1)).to_have_text(f"Hana Mori {lead.tag}")

        # THEN its source names the partner and their group, and the introduction is there, as text
        source = page.locator(".lead-source")
        expect(source).to_contain_text("Referred by")
        expect(source).to_contain_text("maria-lopez")
        expect(source).to_contain_text("bni-downtown")
        expect(source.locator(".introduction-note")).to_have_text(note)
        expect(source).to_contain_text("the partner asked in person")
        no_serious_accessibility_violation(page)
        screenshot(page, "lead-introduced")
    # AND its manager's email said so too (in whichever language that manager reads)
    assert '<td class="lead-referrer">María López (BNI Downtown chapter)</td>' in email["body"]
    assert "&lt;b&gt;roof&lt;/b&gt;" in email["body"]
