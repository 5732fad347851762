"""`leadflow import` against a deployed stack (moto in process): the same service as
`POST /admin/imports`, the job run by the stack's own ImportFunction while the command
waits (the stack's pumps run in the background, as under `make dev`)."""

from __future__ import annotations

import io
import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from leadflow_cli.main import main
from leadflow_local.stack import LocalStack
from support import cli_target, items_of

CSV = ("Name;Email;Phone;Company;Interest\n"
       "Ana Ruiz;ana@acme-corp.com;;Acme Corp;quote\n"
       "Bo Li;;;;ebook\n"  # row 3: neither email nor phone
       "Cy Twombly;cy@gmail.com;+1 415 555 0199;;ebook\n")


def leadflow(*argv: str, stack: LocalStack) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), target=cli_target(stack), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def pumping(stack: LocalStack) -> Iterator[LocalStack]:
    stop = threading.Event()
    threads = stack.run_pumps(stop, busy=0.01, idle=0.05)
    yield stack
    stop.set()
    for thread in threads:
        thread.join(timeout=5)


@pytest.fixture
def csv_file(tmp_path: Path) -> Path:
    path = tmp_path / "expo.csv"
    path.write_bytes(CSV.encode("cp1252"))
    return path


def test_import_waits_for_the_job_and_lists_the_refused_rows_with_exit_1(pumping, csv_file, table, sent_emails):
    code, out, err = leadflow("import", str(csv_file), "--form", "demo", "--campaign", "expo", "--json",
                              "--timeout", "60", stack=pumping)

    assert code == 1, err
    answer = json.loads(out)  # one document: the job and every refused row
    assert (answer["status"], answer["stored_new"], answer["refused"]) == ("completed", 2, 1)
    assert [(r["row"], r["field"], r["code"]) for r in answer["refusals"]] == [(3, "email", "contact_required")]
    assert len(items_of(table, "lead")) == 2
    assert answer["summaries_sent"] == len(sent_emails()) >= 1


def test_a_dry_run_writes_nothing_and_says_which_rows_fail(stack, csv_file, table):
    before = len(table.scan()["Items"])

    code, out, err = leadflow("import", str(csv_file), "--form", "demo", "--dry-run", stack=stack)

    assert code == 1
    assert "nothing written" in out and "new leads" in out
    assert "row 3, email: " in err and "[contact_required]" in err
    assert len(table.scan()["Items"]) == before


def test_a_file_refused_whole_and_usage_errors(stack, tmp_path):
    binary = tmp_path / "sheet.xlsx"
    binary.write_bytes(b"PK\x03\x04\x00\x00\x00")
    code, _out, err = leadflow("import", str(binary), "--form", "demo", stack=stack)
    assert code == 1 and "[not_text]" in err
    assert leadflow("import", str(tmp_path / "missing.csv"), "--form", "demo", stack=stack)[0] == 2
    assert leadflow("import", str(binary), stack=stack)[0] == 2  # no --form
    assert leadflow("import", str(binary), "--form", "demo", "--map", "nothing", stack=stack)[0] == 2


def test_status_of_an_unknown_import_is_refused(stack):
    code, _out, err = leadflow("import", "--status", "0" * 32, stack=stack)
    assert code == 1 and "[import_not_found]" in err
