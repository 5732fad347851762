"""The admin's console pages in a real browser against a stack of this module's own (they
change managers, forms and the unassigned queue, which other modules read): the admin
hands out unassigned leads (one past a full manager's capacity) and runs assignment
again; adds a manager, changes them, invites their login and offboards another; adds a
form, changes it, switches one off and on and copies its embed code. A manager is told
these pages are for admins. axe-core on every page and dialog; screenshots of each."""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest
from console_kit import ADMIN, console_page, no_serious_accessibility_violation, open_console, screenshot
from playwright.sync_api import Browser, Locator, Page, expect

if TYPE_CHECKING:  # fixtures provide them; conftest is not imported at run time
    from conftest import HttpClient, RunningStack

pytestmark = pytest.mark.e2e

# Who takes hot leads by the default policy (tiers 1 and 2): while none of them is active,
# a hot lead finds nobody and waits in the unassigned queue.
HOT_TAKERS = ("m-olivia", "m-layla", "m-diego")
PIPELINE_TIMEOUT_S = 15


class AdminApi:
    """The admin API of this module's stack, with the admin's token, as a script would call it."""

    def __init__(self, http: HttpClient, token: str) -> None:
        self.http = http
        self.token = token

    def call(self, method: str, path: str, body: Any = None) -> Any:
        reply = self.http.request(method, path, None if body is None else json.dumps(body).encode(),
                                  {"Authorization": self.token, "Content-Type": "application/json"})
        assert reply.status < 300, reply.text
        return reply.json()

    def manager(self, manager_id: str) -> dict[str, Any]:
        return dict(self.call("GET", f"/admin/managers/{manager_id}"))

    def lead_manager(self, lead_id: str) -> str | None:
        [lead] = [lead for lead in self.http.stored()["leads"] if lead["lead_id"] == lead_id]
        return lead.get("manager_id")


@pytest.fixture(scope="module")
def api(stack: RunningStack, http_client: Callable[[RunningStack], HttpClient],
        stack_id_token: Callable[[RunningStack, str | None], str]) -> AdminApi:
    return AdminApi(http_client(stack), stack_id_token(stack, None))


def waiting_leads(api: AdminApi, names: list[str]) -> dict[str, str]:
    """Hot leads (name → id) in the unassigned queue: posted while every hot taker is
    inactive, who are active again afterwards (so the queue could be emptied by a rerun)."""
    for manager_id in HOT_TAKERS:
        api.call("PATCH", f"/admin/managers/{manager_id}", {"active": False})
    try:
        for name in names:
            digits = uuid.uuid4().int % 10**4
            reply = api.http.post_json("/forms/demo/submissions", {
                "name": name, "email": f"{name.lower().replace(' ', '.')}@acme-corp.com", "phone": f"+1 415 555 {digits:04d}",
                "company": "Acme Corp", "job_title": "Head of Sales", "interest": "quote", "country": "US",
                "utm_source": "newsletter", "utm_medium": "email"})
            assert reply.status == 202, reply.text
        deadline = time.monotonic() + PIPELINE_TIMEOUT_S
        while True:
            waiting = {lead["name"]: lead["lead_id"] for lead in api.call("GET", "/admin/unassigned?limit=100")["leads"]}
            if all(name in waiting for name in names):
                return {name: waiting[name] for name in names}
            assert time.monotonic() < deadline, f"not all of {names} waiting: {waiting}\n{api.http.stack.log_tail()}"
            time.sleep(0.2)
    finally:
        for manager_id in HOT_TAKERS:
            api.call("PATCH", f"/admin/managers/{manager_id}", {"active": True})


def row(page: Page, text: str) -> Locator:
    return page.locator("tbody tr").filter(has_text=text)


def test_an_admin_hands_out_unassigned_leads_and_runs_assignment_again(page: Page, stack: RunningStack,
                                                                       api: AdminApi) -> None:
    # GIVEN three hot leads nobody could take, and Sam (tier 3) with no room at all
    tag = uuid.uuid4().hex[:6]
    first, second, third = (f"{who} {tag}" for who in ("Una Waiting", "Otto Overflow", "Rhea Rerun"))
    leads = waiting_leads(api, [first, second, third])
    api.call("PATCH", "/admin/managers/m-sam", {"capacity": 0})

    # WHEN the admin opens the unassigned queue
    open_console(page, stack.base_url, ADMIN, "/unassigned")

    # THEN each lead is there with its temperature, score, source and age
    expect(page.get_by_role("heading", name="Unassigned leads")).to_be_visible()
    expect(page.locator("tbody tr")).to_have_count(3)
    una = row(page, first)
    expect(una).to_contain_text("Hot")
    expect(una).to_contain_text("Inbound · newsletter")
    expect(una.locator("td.col-age")).to_have_text(re.compile(r"^(this minute|1 minute ago|\d+ minutes ago)$"))
    assert una.locator("td.col-score").inner_text().strip().isdigit()
    # and each manager to choose from shows their load; the inactive and away cannot be chosen
    choice = una.get_by_label(f"Manager for {first}")
    expect(choice.locator("option[value=m-diego]")).to_have_text(re.compile(r"^Diego Martín · \d+ / 60$"))
    expect(choice.locator("option[value=m-sam]")).to_have_text("Sam Rookie · 0 / 0 · full")
    no_serious_accessibility_violation(page)

    # WHEN the first is handed to Diego: it leaves the queue, and Diego has it
    diego_before = api.manager("m-diego")["open_leads"]
    choice.select_option("m-diego")
    una.get_by_role("button", name="Hand out").click()
    expect(una).to_have_count(0)
    expect(page.locator(".state.done")).to_have_text(
        f"{first} is now with Diego Martín ({diego_before + 1} / 60 open leads).")
    assert api.lead_manager(leads[first]) == "m-diego"
    assert api.manager("m-diego")["open_leads"] == diego_before + 1

    # WHEN the second is handed to Sam, who is full: refused, with the offer to assign anyway
    otto = row(page, second)
    otto.get_by_label(f"Manager for {second}").select_option("m-sam")
    otto.get_by_role("button", name="Hand out").click()
    expect(otto.locator(".row-note")).to_contain_text("Sam Rookie is full (0 / 0 open leads).")
    assert api.lead_manager(leads[second]) is None
    no_serious_accessibility_violation(page)
    screenshot(page, "unassigned")
    otto.get_by_role("button", name="Assign anyway").click()
    expect(otto).to_have_count(0)
    expect(page.locator(".state.done")).to_contain_text("past their capacity")
    assert api.lead_manager(leads[second]) == "m-sam"

    # WHEN assignment runs again for the rest (the hot takers are back): the last one is assigned
    page.get_by_role("button", name="Run assignment again for all").click()
    expect(page.locator(".state.done")).to_have_text("Leads looked at: 1. Given to a manager: 1. Still waiting: 0.")
    expect(page.get_by_role("status").filter(has_text="Nobody")).to_have_text("Nobody is waiting for a manager.")
    assert api.lead_manager(leads[third]) in HOT_TAKERS
    assert api.call("GET", "/admin/unassigned")["leads"] == []
    no_serious_accessibility_violation(page)


def test_an_admin_adds_changes_invites_and_offboards_managers(page: Page, stack: RunningStack, api: AdminApi) -> None:
    open_console(page, stack.base_url, ADMIN, "/managers")
    olivia = row(page, "Olivia Closer")
    expect(olivia).to_contain_text("Tier 1")
    expect(olivia.locator("td.col-load")).to_have_text(re.compile(r"^\d+ / 40"))
    expect(olivia.locator("td.col-login")).to_contain_text("Can sign in")
    expect(olivia).to_contain_text("United States, United Kingdom")

    # WHEN the admin adds a manager with a mistyped email: the error is next to the field
    page.get_by_role("button", name="Add a manager").click()
    dialog = page.get_by_role("dialog", name="Add a manager")
    dialog.get_by_label("Id").fill("m-nora")
    dialog.get_by_label("Name").fill("Nora Field")
    dialog.get_by_label("Email for their leads").fill("nora at sales")
    dialog.get_by_label("Tier").select_option("1")
    dialog.get_by_label("Languages").fill("en, FR")
    dialog.get_by_label("Countries").fill("fr, be")
    dialog.get_by_role("button", name="Add manager").click()
    email = dialog.get_by_label("Email for their leads")
    expect(email).to_have_attribute("aria-invalid", "true")
    expect(dialog.locator(".field-error:visible")).to_have_text("Enter an email address, such as name@company.com.")
    expect(email).to_be_focused()
    no_serious_accessibility_violation(page)
    assert api.http.request("GET", "/admin/managers/m-nora", headers={"Authorization": api.token}).status == 404

    # THEN with the address fixed, Nora is listed with no leads against the default capacity
    email.fill("nora@sales.example.com")
    dialog.get_by_role("button", name="Add manager").click()
    expect(dialog).to_have_count(0)
    nora = row(page, "Nora Field")
    expect(nora.locator("td.col-load")).to_have_text("0 / 50")
    expect(nora.locator("td.col-login")).to_have_text("No login")
    expect(nora).to_contain_text("France, Belgium")
    added = api.manager("m-nora")
    assert (added["tier"], added["languages"], added["territories"], added["open_leads"], added["capacity"]) == (
        1, ["en", "fr"], ["FR", "BE"], 0, 50)
    no_serious_accessibility_violation(page)
    screenshot(page, "managers")

    # WHEN her capacity goes down to 5 and she is away for ten days
    leave = (datetime.now(UTC) + timedelta(days=10)).date()
    nora.get_by_role("button", name="Change Nora Field").click()
    dialog = page.get_by_role("dialog", name="Change Nora Field")
    dialog.get_by_label("Capacity").fill("5")
    dialog.get_by_label("On leave until").fill(leave.isoformat())
    no_serious_accessibility_violation(page)
    screenshot(page, "manager-edit")
    dialog.get_by_role("button", name="Save").click()
    expect(dialog).to_have_count(0)
    expect(nora.locator("td.col-load")).to_have_text("0 / 5")
    expect(nora.locator("td.col-status")).to_have_text(f"On leave until {leave.strftime('%b')} {leave.day}, {leave.year}")
    changed = api.manager("m-nora")
    assert (changed["capacity"], changed["on_leave_until"], changed["on_leave"], changed["name"]) == (
        5, leave.isoformat(), True, "Nora Field")

    # AND back from leave early
    nora.get_by_role("button", name="Change Nora Field").click()
    dialog = page.get_by_role("dialog", name="Change Nora Field")
    dialog.get_by_role("button", name="Clear leave").click()
    dialog.get_by_role("button", name="Save").click()
    expect(nora.locator("td.col-status")).to_have_text("Active")
    assert (api.manager("m-nora")["on_leave_until"], api.manager("m-nora")["capacity"]) == (None, 5)

    # WHEN she is invited to sign in: a login bound to her
    nora.get_by_role("button", name="Invite Nora Field to sign in").click()
    dialog = page.get_by_role("dialog", name="Invite Nora Field to sign in")
    expect(dialog.get_by_label("Email to sign in with")).to_have_value("nora@sales.example.com")
    dialog.get_by_role("button", name="Send invitation").click()
    expect(page.locator(".state.done")).to_have_text(
        "Nora Field is invited: the email went to nora@sales.example.com.")
    expect(nora.locator("td.col-login")).to_have_text("Invited")
    [login] = [u for u in api.call("GET", "/admin/users")["users"] if u["email"] == "nora@sales.example.com"]
    assert (login["manager_id"], login["admin"], login["status"]) == ("m-nora", False, "FORCE_CHANGE_PASSWORD")

    # WHEN Diego is offboarded: told first what happens, then what did
    open_leads = api.manager("m-diego")["open_leads"]
    row(page, "Diego Martín").get_by_role("button", name="Offboard Diego Martín").click()
    dialog = page.get_by_role("dialog", name="Offboard Diego Martín?")
    expect(dialog).to_contain_text(f"Their open leads (now {open_leads}) go to other managers")
    expect(dialog).to_contain_text("A lead nobody can take waits in the unassigned queue.")
    no_serious_accessibility_violation(page)
    dialog.get_by_role("button", name="Offboard Diego Martín").click()
    expect(page.locator(".state.done")).to_have_text(
        f"Diego Martín is offboarded. Leads moved to other managers: {open_leads}. "
        "Waiting in the unassigned queue: 0.")
    expect(row(page, "Diego Martín").locator("td.col-status")).to_have_text("Inactive")
    diego = api.manager("m-diego")
    assert (diego["active"], diego["open_leads"]) == (False, 0)

    # AND the page reads right to left in Arabic
    page.locator("#language").select_option("ar")
    expect(page.get_by_role("heading", name="المديرون")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    expect(row(page, "Nora Field").locator("td.col-login")).to_have_text("تمت دعوته")
    no_serious_accessibility_violation(page)
    screenshot(page, "managers-ar")


def test_an_admin_adds_a_form_switches_one_off_and_on_and_copies_its_embed_code(
        page: Page, stack: RunningStack, api: AdminApi) -> None:
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=stack.base_url)
    open_console(page, stack.base_url, ADMIN, "/forms")
    demo = row(page, "Demo landing page")
    expect(demo.locator("td.col-status")).to_have_text("Enabled")
    expect(demo).to_contain_text("https://www.example.com")
    no_serious_accessibility_violation(page)
    screenshot(page, "forms")

    # WHEN a form is added with a thank-you page that is no address: the error is next to it
    page.get_by_role("button", name="Add a form").click()
    dialog = page.get_by_role("dialog", name="Add a form")
    dialog.get_by_label("Id").fill("spring-webinar")
    dialog.get_by_label("Name").fill("Spring webinar")
    dialog.get_by_label("Thank-you page").fill("thanks")
    dialog.get_by_label("Sites allowed to post").fill("https://www.example.com")
    dialog.get_by_role("button", name="Add form").click()
    expect(dialog.get_by_label("Thank-you page")).to_have_attribute("aria-invalid", "true")
    expect(dialog.locator(".field-error:visible")).to_have_text(
        "Use a full address starting with https:// or a path starting with /.")
    dialog.get_by_label("Thank-you page").fill("/thanks")
    dialog.get_by_role("button", name="Add form").click()
    expect(dialog).to_have_count(0)
    expect(row(page, "Spring webinar").locator("td.col-status")).to_have_text("Enabled")
    created = api.call("GET", "/admin/forms/spring-webinar")
    assert (created["name"], created["thank_you_url"], created["allowed_origins"]) == (
        "Spring webinar", "/thanks", ["https://www.example.com"])

    # WHEN it is renamed: only the name changes
    row(page, "Spring webinar").get_by_role("button", name="Change Spring webinar").click()
    dialog = page.get_by_role("dialog", name="Change Spring webinar")
    dialog.get_by_label("Name").fill("Spring webinar 2027")
    no_serious_accessibility_violation(page)
    screenshot(page, "form-edit")
    dialog.get_by_role("button", name="Save").click()
    expect(row(page, "Spring webinar 2027")).to_have_count(1)
    renamed = api.call("GET", "/admin/forms/spring-webinar")
    assert renamed == {**created, "name": "Spring webinar 2027", "embed": renamed["embed"]}

    # WHEN the Spanish demo form is switched off (after saying what that does), then on again
    spanish = row(page, "Página de demostración")
    spanish.get_by_role("button", name="Disable Página de demostración").click()
    dialog = page.get_by_role("dialog", name="Disable Página de demostración?")
    expect(dialog).to_contain_text("Nothing is deleted")
    dialog.get_by_role("button", name="Disable").click()
    expect(spanish.locator("td.col-status")).to_have_text("Disabled")
    assert api.call("GET", "/admin/forms/demo-es")["enabled"] is False
    spanish.get_by_role("button", name="Enable Página de demostración").click()
    expect(spanish.locator("td.col-status")).to_have_text("Enabled")
    assert api.call("GET", "/admin/forms/demo-es")["enabled"] is True

    # WHEN the admin copies the demo form's plain HTML: it is on the clipboard, as the API gives it
    demo.get_by_role("button", name="Embed code of Demo landing page").click()
    dialog = page.get_by_role("dialog", name="Embed code: Demo landing page")
    html = dialog.locator("section.snippet").filter(has_text="Plain HTML")
    html.get_by_role("button", name="Copy").click()
    expect(html.get_by_role("status")).to_have_text("Copied")
    embed = api.call("GET", "/admin/forms/demo")["embed"]
    assert page.evaluate("navigator.clipboard.readText()") == embed["html"]
    expect(dialog.get_by_role("textbox", name="With leadflow.js")).to_have_value(embed["leadflow_js"])
    no_serious_accessibility_violation(page)
    screenshot(page, "form-snippet")


def test_a_manager_is_told_the_admin_pages_are_for_admins(page: Page, stack: RunningStack) -> None:
    open_console(page, stack.base_url, "olivia@sales.example.com", "/managers")

    expect(page.get_by_role("alert")).to_have_text("Only admins can use this page.")
    expect(page.get_by_role("navigation").get_by_role("link", name="Managers")).to_have_count(0)
    expect(page.locator("table")).to_have_count(0)
    no_serious_accessibility_violation(page)


def test_the_managers_page_fits_a_phone(browser: Browser, stack: RunningStack) -> None:
    with console_page(browser, phone=True) as page:
        open_console(page, stack.base_url, ADMIN, "/managers")
        olivia = row(page, "Olivia Closer")
        expect(olivia.locator("td.col-load")).to_be_visible()
        # each row a card: nothing wider than the screen
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        no_serious_accessibility_violation(page)
        screenshot(page, "managers-phone")
