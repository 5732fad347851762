"""`leadflow import` without a deployment: its usage errors and its progress bar."""

from __future__ import annotations

import io

from leadflow.capture.importing.service import ImportJob
from leadflow.capture.importing.store import ImportRecord
from leadflow_cli.commands.imports import progress_bar
from leadflow_cli.main import main


def run(*argv: str) -> tuple[int, str]:
    err = io.StringIO()
    code = main(list(argv), out=io.StringIO(), err=err)
    return code, err.getvalue()


def test_an_import_needs_a_file_and_a_form_before_any_aws_call(tmp_path):
    assert run("import")[0] == 2
    path = tmp_path / "a.csv"
    path.write_text("Email\na@b.co\n", "utf-8")
    code, err = run("import", str(path))
    assert code == 2 and "--form ID" in err
    code, err = run("import", str(tmp_path / "missing.csv"), "--form", "demo")
    assert code == 2 and "cannot read" in err


def test_the_bar_says_how_far_the_import_is():
    record = ImportRecord(import_id="i", form_id="expo", created_at="2026-12-01T10:00:00Z", created_by="cli",
                          rows=500, to_store=480, chunks=5, chunks_done=5, refused=20, stored_new=480, routed=240)
    bar = progress_bar(ImportJob.of(record))
    assert bar == "[######################--------]  75.0%  routing: 480/480 rows stored, 240 routed"
