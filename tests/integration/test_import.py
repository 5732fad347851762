"""CSV imports on the deployed stack (moto): the admin API checks the file, the import
queue's chunks go to ImportFunction under its own role, each row through capture's
store, then the stream scores and assigns them like any post; each manager gets one
summary email, nobody a per-lead email."""

from __future__ import annotations

import base64
from typing import Any

from leadflow.capture.importing.service import ChunkMessage
from leadflow_local.stack import LocalStack
from support import RouteAnswer, call_route, claims_of, items_of, load_event

ADMIN = claims_of(admin=True)
HEADER = "Name,Email,Phone,Company,Job Title,Interest,Country\n"


def good_row(n: int) -> str:
    interest, company = ("quote", f"Corp{n} Inc") if n % 3 == 0 else ("ebook", "")
    return f"Person {n},person{n}@corp{n}.com,,{company},,{interest},US\n"



def admin_api(stack: LocalStack, method: str, path: str, body: Any = None,
              claims: dict[str, str] | None = ADMIN) -> RouteAnswer:
    return call_route(stack, method, path, claims, body)


def upload(csv_text: str | bytes, **options: Any) -> dict[str, Any]:
    data = csv_text.encode() if isinstance(csv_text, str) else csv_text
    return {"form_id": "demo", "file": base64.b64encode(data).decode(), **options}


def emails_to(sent: list[Any], address: str) -> list[Any]:
    return [m for m in sent if address in m.destinations["ToAddresses"]]


def test_a_file_becomes_leads_with_one_summary_per_manager_and_its_bad_rows_reported(stack, table, sent_emails):
    rows = [good_row(n) for n in range(1, 13)]
    rows[4] = "No Contact,,,Acme,,quote,US\n"  # row 6: neither email nor phone
    rows[9] = "Bad Email,not-an-email,,,,,US\n"  # row 11
    before = len(sent_emails())

    started = admin_api(stack, "POST", "/admin/imports", upload(HEADER + "".join(rows), campaign="expo-2026"))

    assert started.status == 202, started.json
    job = started.json
    assert (job["rows"], job["to_store"], job["refused"], job["status"]) == (12, 10, 2, "storing")
    assert [(r["row"], r["field"], r["code"]) for r in job["refusals"]] == [
        (6, "email", "contact_required"), (11, "email", "invalid_email")]
    stack.drain(timeout=60)
    done = admin_api(stack, "GET", f"/admin/imports/{job['import_id']}").json
    assert (done["status"], done["stored_new"], done["routed"], done["progress"]) == ("completed", 10, 10, 1.0)
    assert done["assigned"] + done["unassigned"] == 10 and done["assigned"] > 0
    leads = items_of(table, "lead")
    assert len(leads) == 10 and all(lead.get("score") for lead in leads)
    assert {lead["source"]["utm_campaign"] for lead in leads} == {"expo-2026"}
    submissions = items_of(table, "submission")
    assert {s["import_id"] for s in submissions} == {job["import_id"]}
    assert not any(s["autoresponder"] for s in submissions)
    # One summary per manager who got leads, listing exactly their new leads; no email per lead.
    sent = sent_emails()[before:]
    by_manager: dict[str, int] = {}
    for lead in leads:
        if lead.get("manager_id"):
            by_manager[lead["manager_id"]] = by_manager.get(lead["manager_id"], 0) + 1
    assert len(sent) == len(by_manager) == done["summaries_sent"] >= 2
    for manager_id, count in by_manager.items():
        address = f"{manager_id.removeprefix('m-')}@sales.example.com"
        [summary] = emails_to(sent, address)
        assert summary.subject.startswith(f"{count} new leads for you from an import")
        assert summary.body.count("@corp") >= count


def test_a_row_refused_as_a_whole_is_reported_and_the_import_still_reads_back(stack):
    # A row with neither a name nor any contact: refused with no single field at fault
    rows = [good_row(1), ",,,Acme,,quote,US\n", good_row(3)]

    started = admin_api(stack, "POST", "/admin/imports", upload(HEADER + "".join(rows)))

    assert started.status == 202, started.json
    refused = started.json["refusals"]
    assert {r["row"] for r in refused} == {3} and None in {r.get("field") for r in refused}
    stack.drain(timeout=60)
    # The job as stored (None fields left out) reads back, refusals and all
    done = admin_api(stack, "GET", f"/admin/imports/{started.json['import_id']}")
    assert done.status == 200, done.json
    assert done.json["status"] == "completed" and done.json["refusals"] == refused


def test_importing_the_same_file_again_creates_nothing(stack, table, sent_emails):
    text = HEADER + "".join(good_row(n) for n in range(1, 4))
    first = admin_api(stack, "POST", "/admin/imports", upload(text)).json
    stack.drain(timeout=60)
    counts = (len(items_of(table, "lead")), len(items_of(table, "submission")), len(sent_emails()))

    again = admin_api(stack, "POST", "/admin/imports", upload(text)).json
    stack.drain(timeout=60)

    assert again["import_id"] != first["import_id"]
    result = admin_api(stack, "GET", f"/admin/imports/{again['import_id']}").json
    assert (result["status"], result["stored_new"], result["attached"], result["unchanged"]) == ("completed", 0, 0, 3)
    assert (len(items_of(table, "lead")), len(items_of(table, "submission")), len(sent_emails())) == counts


def test_a_dry_run_says_what_each_row_would_do_and_writes_nothing(stack, table):
    admin_api(stack, "POST", "/admin/imports", upload(HEADER + good_row(1)))
    stack.drain(timeout=60)
    before = len(items_of(table, "lead")), len(table.scan()["Items"])
    text = ("Nombre;Correo;Teléfono;Empresa\n"
            "Person 1;person1@corp1.com;;Corp1\n"  # attached: same email, other data
            "Ana Nueva;ana@nueva.es;+34 612 345 678;Nueva\n"
            "Ana Nueva;ana@nueva.es;+34 612 345 678;Nueva\n"  # the same row twice
            ";;;Sin Nadie\n")

    answer = admin_api(stack, "POST", "/admin/imports/dry-run", upload(text.encode("cp1252")))

    assert answer.status == 200, answer.json
    run = answer.json
    assert (run["encoding"], run["separator"]) == ("cp1252", ";")
    assert run["columns"] == {"Nombre": "first_name", "Correo": "email", "Teléfono": "teléfono", "Empresa": "company"}
    assert [(p["row"], p["outcome"]) for p in run["plan"]] == [
        (2, "attached"), (3, "new"), (4, "unchanged"), (5, "refused")]
    assert {e["code"] for e in run["plan"][3]["errors"]} >= {"name_required", "contact_required"}
    assert (len(items_of(table, "lead")), len(table.scan()["Items"])) == before


def test_a_file_that_cannot_be_imported_is_refused_whole_with_a_code(stack, table):
    before = len(table.scan()["Items"])
    cases = {
        "not_text": upload(b"PK\x03\x04\x00\x00binary spreadsheet"),
        "no_usable_header": upload("Full name,Company\nJane,Acme\n"),
        "not_base64": {"form_id": "demo", "file": "%%%"},
        "unknown_field": upload(HEADER + good_row(1), mapping={"Name": "nickname"}),
        "contact_required": upload(HEADER + "Nobody,,,Acme,,,US\n"),
    }
    for code, body in cases.items():
        answer = admin_api(stack, "POST", "/admin/imports", body)
        assert answer.status == 400, (code, answer.json)
        assert answer.json["code"] == "invalid_import" and code in {e["code"] for e in answer.json["errors"]}, code
    missing = admin_api(stack, "POST", "/admin/imports", {**upload(HEADER + good_row(1)), "form_id": "nope"})
    assert (missing.status, missing.json["code"]) == (404, "form_not_found")
    assert len(table.scan()["Items"]) == before  # nothing half-written


def test_a_chunk_delivered_twice_or_retried_after_a_failure_stores_each_row_once(stack, table):
    text = HEADER + "".join(good_row(n) for n in range(1, 5))
    job = admin_api(stack, "POST", "/admin/imports", upload(text)).json
    importer = stack.module("ImportFunction").importer
    chunk = importer.imports.get_chunk(job["import_id"], 1)
    # A first try that stored two rows and failed: the retry stores the other two and
    # counts all four as new, as they were first stored.
    for number, fields in chunk.rows[:2]:
        importer._store_row(importer.capture.get_form("demo"), importer.imports.get(job["import_id"]), number, fields)
    message = load_event("import-chunk")
    message["Records"][0]["body"] = ChunkMessage(import_id=job["import_id"], chunk=1).model_dump_json()

    assert stack.invoke("ImportFunction", message) == {"batchItemFailures": []}
    assert stack.invoke("ImportFunction", message) == {"batchItemFailures": []}  # delivered again: nothing

    stack.drain(timeout=60)
    result = admin_api(stack, "GET", f"/admin/imports/{job['import_id']}").json
    assert (result["stored_new"], result["chunks_done"], result["status"]) == (4, 1, "completed")
    assert len(items_of(table, "submission")) == 4


def test_a_manager_may_not_import(stack):
    answer = admin_api(stack, "POST", "/admin/imports", upload(HEADER + good_row(1)), claims_of("m-olivia"))
    assert (answer.status, answer.json["code"]) == (403, "admins_only")


def test_a_routed_event_of_an_unknown_import_changes_nothing(stack, table):
    # The sample event names an import this stack never had: counted nowhere, no error.
    before = len(table.scan()["Items"])
    assert stack.invoke("ImportFunction", load_event("import-lead-routed")) == {
        "import_id": "3f2a9c1d4b5e6f708192a3b4c5d6e7f8"}
    assert len(table.scan()["Items"]) == before


def test_an_import_nobody_can_take_completes_with_its_leads_unassigned_and_nobody_alerted_per_lead(stack, table,
                                                                                                  sent_emails):
    from leadflow.routing.roster import Roster
    from leadflow.storage.table import Table

    roster = Roster(Table(stack.table_name(), stack.client("dynamodb")))
    for manager in roster.managers():
        roster.update(manager.manager_id, {"active": False}, [])
    before = len(sent_emails())

    job = admin_api(stack, "POST", "/admin/imports", upload(HEADER + good_row(1) + good_row(3))).json
    stack.drain(timeout=60)

    result = admin_api(stack, "GET", f"/admin/imports/{job['import_id']}").json
    assert (result["status"], result["assigned"], result["unassigned"], result["summaries_sent"]) == (
        "completed", 0, 2, 0)
    assert len(sent_emails()) == before
    assert stack.failures == []


def test_an_import_whose_chunks_were_lost_is_resumed_and_completes(stack, table):
    job = admin_api(stack, "POST", "/admin/imports", upload(HEADER + good_row(1) + good_row(2))).json
    queue_url = stack.resolve({"Ref": "ImportQueue"})
    stack.client("sqs").purge_queue(QueueUrl=queue_url)  # as if the chunk went to the dead-letter queue
    stack.drain(timeout=60)
    assert admin_api(stack, "GET", f"/admin/imports/{job['import_id']}").json["status"] == "storing"

    resumed = admin_api(stack, "POST", f"/admin/imports/{job['import_id']}/resume")
    stack.drain(timeout=60)

    assert (resumed.status, resumed.json["status"]) == (200, "storing")
    result = admin_api(stack, "GET", f"/admin/imports/{job['import_id']}").json
    assert (result["status"], result["stored_new"]) == ("completed", 2)
    assert len(items_of(table, "lead")) == 2
    again = admin_api(stack, "POST", f"/admin/imports/{job['import_id']}/resume")  # nothing left to do
    assert (again.status, again.json["status"]) == (200, "completed")


def test_an_import_whose_routing_stalled_is_completed_on_resume_with_what_was_routed(stack, sent_emails):
    job = admin_api(stack, "POST", "/admin/imports", upload(HEADER + good_row(1))).json
    while stack.pump_queues():  # the rows are stored; the scorer has not run (a stalled stream)
        pass
    assert admin_api(stack, "GET", f"/admin/imports/{job['import_id']}").json["status"] == "routing"
    before = len(sent_emails())

    assert admin_api(stack, "POST", f"/admin/imports/{job['import_id']}/resume").json["status"] == "routing"
    while stack.pump_queues():
        pass

    result = admin_api(stack, "GET", f"/admin/imports/{job['import_id']}").json
    assert (result["status"], result["routed"], result["summaries_sent"]) == ("completed", 0, 0)
    stack.drain(timeout=60)  # the lead is scored and assigned all the same; no email for it
    assert len(sent_emails()) == before


def test_an_imported_referral_is_credited_to_its_partner_without_thanking_them_for_the_past(
        stack, table, sent_emails):
    # GIVEN a file of last year's referrals, a column naming the partner's code as typed
    rows = ("Name,Email,Referral Code\n"
            "Paco Pasado,paco@pasado-import.example.com, Maria-Lopez\n"
            "Nadie Nadie,nadie@pasado-import.example.com,no-such-partner\n")
    before = len(sent_emails())

    # WHEN it is imported
    started = admin_api(stack, "POST", "/admin/imports", upload(rows))
    assert started.status == 202, started.json
    stack.drain(timeout=60)

    # THEN each lead is attributed as capture attributes a post: a known code to its partner
    # and group, an unknown one kept and flagged
    leads = {lead["contact"]["email"]: lead for lead in items_of(table, "lead")
             if lead["contact"].get("email", "").endswith("@pasado-import.example.com")}
    paco, nadie = leads["paco@pasado-import.example.com"], leads["nadie@pasado-import.example.com"]
    assert (paco["source"]["partner_id"], paco["source"]["partner_group"], paco["source"]["channel"]) == (
        "maria-lopez", "bni-downtown", "referral")
    assert (nadie["source"]["ref"], nadie["source"].get("partner_id"), nadie["source"]["partner_flag"]) == (
        "no-such-partner", None, "unknown")
    # AND the partner report counts Paco for María, but María gets no "thank you" for it
    report = admin_api(stack, "GET", "/reports/partners").json
    [maria] = [p for p in report["partners"] if p["partner_id"] == "maria-lopez"]
    assert maria["received"] >= 1
    assert not emails_to(sent_emails()[before:], "maria@lopez-roofing.example.com")
