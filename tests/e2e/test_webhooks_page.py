"""The local webhook page (/_local/webhooks) in a real browser: a visitor asks for a
quote on the demo page, and what the company's chat and CRM would receive appears,
escaped, in English, Spanish or Arabic, under a strict Content-Security-Policy."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import pytest
from console_kit import console_page, no_serious_accessibility_violation, screenshot, submit_hot_lead
from playwright.sync_api import Browser, expect

if TYPE_CHECKING:  # fixtures provide them; conftest is not imported at run time
    from conftest import HttpClient, LeadIdentity, RunningStack

pytestmark = pytest.mark.e2e
ARRIVAL_TIMEOUT_MS = 20_000  # the pipeline's pumps, the pipe, then the page's next poll


def test_a_hot_lead_appears_on_the_webhook_page_for_the_chat_and_the_crm(
        browser: Browser, local_stack: RunningStack, http: HttpClient,
        new_lead: Callable[[], LeadIdentity]) -> None:
    base = local_stack.base_url
    lead = new_lead()
    # A name that tries to be markup on the page and in Slack
    name = f"<b>Wes</b> & <!channel> Hook {lead.tag}"

    # GIVEN a visitor who asks for a quote on the demo page (a hot lead)
    with console_page(browser) as visitor:
        submit_hot_lead(visitor, base, lead, name)

    with console_page(browser) as page:
        # WHEN a newcomer opens the webhook page from the demo page's footer
        page.goto(f"{base}/")
        page.get_by_role("link", name="Webhooks (CRM, chat)").click()
        expect(page).to_have_url(f"{base}/_local/webhooks")
        # (served with our own script and style only: no inline script, no other origin)
        csp = http.request("GET", "/_local/webhooks").headers["Content-Security-Policy"]
        assert "script-src 'self';" in csp and "default-src 'none'" in csp and "unsafe" not in csp

        # THEN the chat's message for the lead arrives: its name as text, Slack-escaped, no contact data
        message = page.locator(".post[data-channel=chat]").filter(has_text=lead.tag).first
        expect(message).to_be_visible(timeout=ARRIVAL_TIMEOUT_MS)
        text = message.locator(".chat-text").inner_text()
        assert f"&lt;b&gt;Wes&lt;/b&gt; &amp; &lt;!channel&gt; Hook {lead.tag}" in text
        assert "Score" in text and "top reason" in text and "Manager:" in text
        assert lead.email_at("acme-corp.com") not in message.inner_text() and lead.phone not in message.inner_text()
        assert page.locator(".post b").count() == 0  # nothing a visitor typed became markup
        # AND the CRM got the lead's `Lead Assigned` (ids only) with its secret header
        lead_id = next(stored["lead_id"] for stored in http.stored()["leads"]
                       if stored["contact"].get("email") == lead.email_at("acme-corp.com"))
        crm = page.locator(".post[data-channel=crm]").filter(has_text=lead_id).filter(has_text="Lead Assigned").first
        expect(crm).to_be_visible(timeout=ARRIVAL_TIMEOUT_MS)
        expect(crm.locator(".headers")).to_contain_text("Authorization: present and correct")
        assert lead.tag not in crm.inner_text()  # the event carries no name
        no_serious_accessibility_violation(page)
        screenshot(page, "webhooks-en")

        # AND the page speaks Spanish and Arabic (right to left)
        page.get_by_label("Language").select_option("es")
        expect(page.get_by_role("heading", level=1)).to_have_text("Lo que recibirían tu CRM y tu chat")
        page.get_by_label("Idioma").select_option("ar")
        expect(page.locator("html")).to_have_attribute("dir", "rtl")
        expect(page.get_by_role("heading", level=1)).to_have_text("ما سيستلمه نظام إدارة العملاء والدردشة")
        no_serious_accessibility_violation(page)
        screenshot(page, "webhooks-ar")
