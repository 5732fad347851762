"""The console's admin tools in a real browser, on a stack of this module's own (imports
and erasures change what other tests read): an admin imports a small CSV (the dry run's
report first, then the import followed to its end), sees the scoring rules in force,
tries a proposal on those leads (the temperature matrix) and applies then removes it,
exports the leads as CSV and erases a person; axe-core on each page, Arabic right to
left, screenshots in tests/e2e/screenshots/."""

from __future__ import annotations

import csv
import io
import json
import re
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from console_kit import ADMIN, no_serious_accessibility_violation, open_console, screenshot
from playwright.sync_api import Page, expect

if TYPE_CHECKING:  # fixtures provide them; conftest is not imported at run time
    from conftest import HttpClient, RunningStack

pytestmark = pytest.mark.e2e

EXPORT_COLUMNS = ["lead_id", "created_at", "status", "temperature", "points", "manager_id", "channel", "utm_source",
                  "utm_medium", "utm_campaign", "form_id", "name", "email", "phone", "company", "country",
                  "contacted_at", "converted_at", "rejection_reason"]
TEMPERATURES = ("cold", "warm", "hot")
IMPORT_TIMEOUT_MS = 20_000  # stored, scored and assigned by the stack's queue and stream pollers


def trade_show_csv(tag: str) -> tuple[bytes, dict[str, str]]:
    """Five rows: three people, one of them twice (added to their lead), one row with no
    name and a broken email (refused); the people's emails by who they are."""
    emails = {"ada": f"ada.{tag}@acme-corp.com", "walt": f"walt.{tag}@acme-corp.com",
              "nell": f"nell.{tag}@gmail.com"}
    lines = ["Name,Email,Phone,Company,Interest",
             f"Ada Importer {tag},{emails['ada']},+1 415 555 {int(tag[:4], 16) % 10000:04d},Acme Corp,quote",
             f"Walt Warmish {tag},{emails['walt']},,,question",
             f"Nell Nurture {tag},{emails['nell']},,,ebook",
             ",broken@,,,",
             f"Ada Importer {tag},{emails['ada']},,Acme Corp,demo"]
    return ("\n".join(lines) + "\n").encode("utf-8"), emails


def proposal(http: HttpClient, token: str) -> dict[str, Any]:
    """The shipped B2B rule set with the hot threshold lowered from 60 to 35."""
    reply = http.request("GET", "/admin/rules/b2b", headers={"Authorization": token})
    assert reply.status == 200, reply.text
    rules = reply.json()["rule_set"]
    assert rules["thresholds"] == {"warm": 30, "hot": 60}
    return {**rules, "version": "b2b-hot-35", "thresholds": {"warm": 30, "hot": 35}}


def tried(http: HttpClient, token: str, document: dict[str, Any], period: str) -> dict[str, Any]:
    reply = http.request("POST", f"/admin/rules/b2b/try?period={period}", json.dumps(document).encode(),
                         {"Authorization": token, "Content-Type": "application/json"})
    assert reply.status == 200, reply.text
    return dict(reply.json())


def test_an_admin_imports_a_csv_tunes_the_rules_exports_and_erases_a_person(
        page: Page, stack: RunningStack, http_client: Callable[[RunningStack], HttpClient],
        stack_id_token: Callable[[RunningStack, str | None], str]) -> None:
    base = stack.base_url
    http = http_client(stack)
    token = stack_id_token(stack, None)
    tag = uuid.uuid4().hex[:8]
    file, emails = trade_show_csv(tag)

    # GIVEN the admin on the import page with a trade show's CSV file
    open_console(page, base, ADMIN, "/import")
    expect(page.get_by_label("Import into form")).to_have_value("demo")
    page.get_by_label("CSV file").set_input_files(
        files=[{"name": "expo.csv", "mimeType": "text/csv", "buffer": file}])
    page.get_by_label("Campaign (optional)").fill("expo-2026")

    # WHEN they check it: the dry run's report, row by row, nothing stored yet
    page.get_by_role("button", name="Check the file").click()
    report = page.locator("section.report")
    expect(report.get_by_role("heading", name="What the import would do")).to_be_visible()
    expect(report.locator(".count.new dd")).to_have_text("3")
    expect(report.locator(".count.attached dd")).to_have_text("1")
    expect(report.locator(".count.refused dd")).to_have_text("1")
    refused = report.locator("tr.refused")
    expect(refused).to_contain_text("5")  # the spreadsheet's row (the header is row 1)
    expect(refused).to_contain_text("broken@")
    expect(refused).to_contain_text("No name.")
    expect(refused).to_contain_text("The email address is not valid.")
    expect(report.locator("tr.attached")).to_contain_text(f"Ada Importer {tag}")
    assert not [lead for lead in http.stored()["leads"] if lead["contact"].get("email") in emails.values()]
    no_serious_accessibility_violation(page)
    screenshot(page, "import-dry-run")

    # WHEN they import: the page follows it to the end
    page.get_by_role("button", name="Import the good rows (4)").click()
    done = page.locator("section.progress")
    expect(done.get_by_role("heading", name="Import done")).to_be_visible(timeout=IMPORT_TIMEOUT_MS)
    expect(done.locator(".count.new dd")).to_have_text("3")
    expect(done.locator(".count.attached dd")).to_have_text("1")
    expect(done.locator(".count.refused dd")).to_have_text("1")
    expect(done.locator(".count.assigned dd")).to_have_text("4")  # each stored row, Ada's two included
    no_serious_accessibility_violation(page)
    screenshot(page, "import-done")
    # THEN the leads exist, from the campaign, each with a manager; Ada's two rows on one lead
    stored = {lead["contact"]["email"]: lead for lead in http.stored()["leads"]
              if lead["contact"].get("email") in emails.values()}
    assert set(stored) == set(emails.values())
    assert all(lead["source"]["utm_campaign"] == "expo-2026" and lead["manager_id"] for lead in stored.values())
    assert len(stored[emails["ada"]]["submissions"]) == 2

    # WHEN they open the rules: the B2B rules in force, readable
    page.get_by_role("link", name="Rules", exact=True).click()
    expect(page.get_by_role("heading", name="Rules in force")).to_be_visible()
    expect(page.get_by_text("Default rules (shipped with Leadflow)")).to_be_visible()
    buy = page.locator("table.rules tr", has_text="Asked for a quote, demo, pricing or to buy")
    expect(buy.locator(".points")).to_have_text("+40")
    expect(buy).to_contain_text("Asks for: quote, demo, pricing")
    expect(page.locator("ul.thresholds")).to_contain_text("Hot from 60 points")
    no_serious_accessibility_violation(page)
    screenshot(page, "rules")

    # WHEN a broken proposal is tried: each problem names its rule and setting
    broken = proposal(http, token)
    broken["rules"][10] = {**broken["rules"][10], "pattern": "(("}
    page.get_by_label("Proposed rule set (JSON)").fill(json.dumps(broken))
    page.get_by_role("button", name="Try on past leads").click()
    expect(page.get_by_role("alert")).to_contain_text("The rule set was not accepted")
    expect(page.get_by_role("alert")).to_contain_text(
        f"Rule “{broken['rules'][10]['id']}” (no. 11), setting “pattern”:")

    # WHEN the default set with a lower hot threshold is uploaded and tried on this month's leads
    document = proposal(http, token)
    page.get_by_label("Rule set file (JSON)").set_input_files(
        files=[{"name": "b2b-hot-35.json", "mimeType": "application/json",
                "buffer": json.dumps(document, indent=2, ensure_ascii=False).encode()}])
    expect(page.get_by_label("Proposed rule set (JSON)")).to_have_value(json.dumps(document, indent=2,
                                                                                   ensure_ascii=False))
    page.get_by_role("button", name="Try on past leads").click()
    # THEN the matrix shows, cell by cell, what the API's trial says: warm leads turn hot
    expected = tried(http, token, document, datetime.now(UTC).strftime("%Y-%m"))
    assert expected["leads"] == 3 and expected["matrix"]["warm"]["hot"] >= 1, expected
    expect(page.get_by_role("heading", name="What “b2b-hot-35” would change")).to_be_visible()
    for row in TEMPERATURES:
        for column in TEMPERATURES:
            expect(page.locator(f'table.matrix td[data-from="{row}"][data-to="{column}"]')).to_have_text(
                str(expected["matrix"][row][column]))
    expect(page.locator("p.summary")).to_have_text(
        f"Leads created this month: 3. Temperature changes with the proposal: {expected['changed']} "
        f"({expected['rose']} warmer, 0 colder).")
    no_serious_accessibility_violation(page)
    screenshot(page, "rules-try")

    # WHEN they apply it, then remove it (confirmed): stored, then the default again
    page.get_by_role("button", name="Apply this rule set").click()
    expect(page.get_by_text("Your own rules (they replace the default)")).to_be_visible()
    expect(page.locator("ul.thresholds")).to_contain_text("Hot from 35 points")
    in_force = http.request("GET", "/admin/rules/b2b", headers={"Authorization": token}).json()
    assert in_force["in_force"] == "override" and in_force["rule_set"]["version"] == "b2b-hot-35"
    page.get_by_role("button", name="Remove your rules").click()
    expect(page.get_by_text("Remove your own rules?")).to_be_visible()
    page.get_by_role("button", name="Yes, remove them").click()
    expect(page.get_by_text("Default rules (shipped with Leadflow)")).to_be_visible()
    assert http.request("GET", "/admin/rules/b2b", headers={"Authorization": token}).json()["in_force"] == "default"

    # WHEN they export the leads: a CSV file with every imported lead
    page.get_by_role("link", name="Export & erasure").click()
    # The export pages through the stack while its pollers may still be busy: as long as the import may take.
    with page.expect_download(timeout=IMPORT_TIMEOUT_MS) as download:
        page.get_by_role("button", name="Download CSV").click()
    saved = download.value
    assert re.fullmatch(r"leads-\d{4}-\d{2}-\d{2}\.csv", saved.suggested_filename)
    rows = list(csv.reader(io.StringIO(Path(saved.path()).read_text(encoding="utf-8-sig"), newline="")))
    assert rows[0] == EXPORT_COLUMNS
    exported = {row[EXPORT_COLUMNS.index("email")]: row for row in rows[1:]}
    assert set(emails.values()) <= set(exported)
    assert exported[emails["walt"]][EXPORT_COLUMNS.index("utm_campaign")] == "expo-2026"
    expect(page.get_by_role("status").first).to_contain_text(f"Leads in the file: {len(rows) - 1}.")

    # WHEN they erase Nell: a mistyped confirmation is caught first
    nell = stored[emails["nell"]]["lead_id"]
    page.get_by_label("Their email address").fill(emails["nell"])
    page.get_by_label("Type the email address again to confirm").fill(emails["walt"])
    page.get_by_role("button", name="Erase this person").click()
    expect(page.get_by_text("The two email addresses are not the same.")).to_be_visible()
    assert not http.request("GET", f"/leads/{nell}", headers={"Authorization": token}).json()["lead"].get("erased_at")
    page.get_by_label("Type the email address again to confirm").fill(emails["nell"].upper())
    page.get_by_role("button", name="Erase this person").click()
    # THEN the result with its counts, the fields emptied, and Nell gone from the stored data
    result = page.locator("section", has_text="Erase a person").get_by_role("status")
    expect(result).to_contain_text("Erased. What changed:")
    expect(result).to_contain_text("Lead cards made anonymous: 1")
    expect(result).to_contain_text("Form posts deleted: 1")
    expect(page.get_by_label("Their email address")).to_have_value("")
    assert emails["nell"] not in json.dumps(http.stored())
    assert {emails["ada"], emails["walt"]} <= {lead["contact"].get("email") for lead in http.stored()["leads"]}
    assert emails["nell"] not in page.url
    no_serious_accessibility_violation(page)
    screenshot(page, "data")

    # WHEN the console turns Arabic: the rules page reads right to left
    page.locator("#language").select_option("ar")
    page.get_by_role("link", name="القواعد", exact=True).click()
    expect(page.get_by_role("heading", name="القواعد المعمول بها")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    expect(page.locator("table.rules tbody tr").first).to_be_visible()
    no_serious_accessibility_violation(page)
    screenshot(page, "rules-ar")
