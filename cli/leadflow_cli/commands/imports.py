"""`leadflow import FILE.csv --form ID [--dry-run] [--map HEADER=FIELD ...] [--campaign C]`:
import leads from a CSV file into a form, as `POST /admin/imports` does
(leadflow.capture.importing.service): the file is read and every row checked at once,
the good rows are queued and stored by the stack's ImportFunction through the capture
path, and the command waits for the import to complete, with a progress bar on a
terminal. `--dry-run` says what each row would do and writes nothing. `--resume ID`
queues a stalled import's remaining chunks again; `--status ID` shows one.

Exit 0: every row imported (or, dry run, would be). Exit 1: rows refused, each listed
with its row number, field and code; the good rows of a real import are imported all
the same ("partially imported"), and a file refused whole imports nothing. Exit 2:
usage (no such file, no target)."""

from __future__ import annotations

import base64
import time
from pathlib import Path
from typing import Any, TextIO

from leadflow_cli.commands.parsing import add_command
from leadflow_cli.context import Context
from leadflow_cli.output import Problem, Refused, UsageError, table

POLL_SECONDS = 0.5
BAR_WIDTH = 30


def register(groups: Any, common: Any) -> None:
    command = add_command(groups, common, "import", run=run_import, description=__doc__,
                          help="import leads from a CSV file into a form (dry run, progress, resume)")
    command.add_argument("file", nargs="?", metavar="FILE.csv",
                         help="UTF-8 (with or without BOM) or Windows-1252; `,` or `;`; a header row first")
    command.add_argument("--form", dest="form_id", help="the form the leads come through (its rules apply)")
    command.add_argument("--dry-run", action="store_true", help="say what each row would do; write nothing")
    command.add_argument("--map", dest="mapping", action="append", default=[], metavar="HEADER=FIELD",
                         help="read column HEADER as FIELD (email, phone, first_name, utm_source..., or ignore); "
                              "repeatable. Other headers are read as form fields are (E-mail, Tel, Nombre...)")
    command.add_argument("--campaign", help="the utm_campaign of rows that name none (a trade show, a partner)")
    command.add_argument("--no-wait", action="store_true", help="start the import and return (its id)")
    command.add_argument("--timeout", type=float, default=900.0, metavar="SECONDS",
                         help="how long to wait for the import to complete (default 900)")
    command.add_argument("--status", metavar="IMPORT_ID", help="show an import's progress and result")
    command.add_argument("--resume", metavar="IMPORT_ID", help="queue a stalled import's remaining work again")


def run_import(context: Context) -> None:
    args = context.args
    if args.status or args.resume:
        return _follow(context, args.status or args.resume, resume=bool(args.resume))
    if not args.file or not args.form_id:
        raise UsageError("give FILE.csv and --form ID (or --status / --resume IMPORT_ID)")
    request = _request(args)
    importer = _importer(context)
    from leadflow.shared.refusal import Refused as ServiceRefused

    try:
        if args.dry_run:
            return _show_dry_run(context, importer.dry_run(request).model_dump(mode="json"))
        from leadflow.capture.importing.service import SqsChunkQueue
        from leadflow_cli.commands.erase import operator

        target = context.target
        queue = SqsChunkQueue(target.require("import_queue_url", "ImportQueueUrl output"), target.client("sqs"))
        job, refusals = importer.start_import(request, queue, created_by=operator(target))
    except ServiceRefused as refused:
        raise Refused([Problem(field=e.field, code=e.code, message=e.message) for e in refused.errors]) from None
    context.printer.note(f"import {job.import_id}: {job.to_store} rows to store, {job.refused} refused")
    final = job if args.no_wait else _wait(context, importer, job.import_id, args.timeout)
    _answer(context, final.model_dump(mode="json"), [r.model_dump() for r in refusals])


def _request(args: Any) -> Any:
    from pydantic import ValidationError

    from leadflow.capture.importing.service import ImportRequest

    try:
        data = Path(args.file).read_bytes()
    except OSError as error:
        raise UsageError(f"cannot read {args.file}: {error.strerror}") from None
    mapping: dict[str, str] = {}
    for pair in args.mapping:
        header, sep, field = pair.rpartition("=")
        if not sep or not header:
            raise UsageError(f"--map {pair!r}: write HEADER=FIELD")
        mapping[header] = field
    try:
        return ImportRequest(form_id=args.form_id, file=base64.b64encode(data).decode(), mapping=mapping,
                             campaign=args.campaign)
    except ValidationError as error:
        raise Refused.of_validation(error) from None


def _importer(context: Context) -> Any:
    from leadflow.capture.importing.service import Importer
    from leadflow.capture.importing.store import ImportStore
    from leadflow.capture.store import CaptureStore
    from leadflow.shared.hashing import PersonalDataHasher
    from leadflow.shared.secrets import SecretKeys
    from leadflow.storage.table import Table

    target = context.target
    table = Table(target.table_name, target.client("dynamodb"))
    hash_key = target.require("hash_key_secret_arn", "HashKeySecret (the key of personal-data hashes)")
    return Importer(ImportStore(table), CaptureStore(table),
                    PersonalDataHasher(SecretKeys(hash_key, client=target.client("secretsmanager"))))


def _follow(context: Context, import_id: str, *, resume: bool) -> None:
    from leadflow.shared.refusal import Refused as ServiceRefused

    importer = _importer(context)
    try:
        if resume:
            from leadflow.capture.importing.service import SqsChunkQueue

            target = context.target
            queue = SqsChunkQueue(target.require("import_queue_url", "ImportQueueUrl output"), target.client("sqs"))
            importer.resume(import_id, queue)
            job = _wait(context, importer, import_id, context.args.timeout)
        else:
            job = importer.status(import_id)
    except ServiceRefused as refused:
        raise Refused([Problem(field=e.field, code=e.code, message=e.message) for e in refused.errors]) from None
    data = job.model_dump(mode="json")
    _answer(context, data, data["refusals"])


def _wait(context: Context, importer: Any, import_id: str, timeout: float) -> Any:
    """Poll the job until it completes (or `timeout`), drawing a bar on a terminal."""
    err: TextIO = context.printer.err
    bar = not context.printer.as_json and err.isatty()
    deadline = time.monotonic() + timeout
    job = importer.status(import_id)
    while job.status != "completed" and time.monotonic() < deadline:
        if bar:
            print(f"\r{progress_bar(job)}", end="", file=err, flush=True)
        time.sleep(POLL_SECONDS)
        job = importer.status(import_id)
    if bar:
        print(f"\r{progress_bar(job)}", file=err, flush=True)
    if job.status != "completed":
        context.printer.note(f"still {job.status} after {timeout:.0f} s: follow it with "
                             f"`leadflow import --status {import_id}`")
    return job


def progress_bar(job: Any) -> str:
    done = round(job.progress * BAR_WIDTH)
    stored = job.stored_new + job.attached + job.unchanged + job.late_refused
    return (f"[{'#' * done}{'-' * (BAR_WIDTH - done)}] {job.progress:6.1%}  {job.status}: "
            f"{stored}/{job.to_store} rows stored, {job.routed} routed")


def _answer(context: Context, job: dict[str, Any], refusals: list[dict[str, Any]]) -> None:
    """The job (with every refused row in --json); exit 1 listing the refused rows."""
    problems = [Problem(field=f"row {r['row']}" + (f", {r['field']}" if r["field"] else ""), code=r["code"],
                        message=r["message"]) for r in refusals]
    context.printer.answer({**job, "refusals": refusals}, lambda: render_job(job))
    if problems:
        raise Refused(problems, shown=True)


def render_job(job: dict[str, Any]) -> str:
    lines = [f"import {job['import_id']} into {job['form_id']}: {job['status']}"]
    rows = [("rows in the file", job["rows"]), ("new leads", job["stored_new"]),
            ("attached to existing leads", job["attached"]), ("already imported (unchanged)", job["unchanged"]),
            ("refused", job["refused"] + job["late_refused"]), ("assigned", job["assigned"]),
            ("unassigned", job["unassigned"]), ("manager summaries sent", job["summaries_sent"])]
    lines.append(table(("", "count"), rows))
    if job["refused"] + job["late_refused"]:
        lines.append("the other rows are imported; fix the refused ones and import them again")
    return "\n".join(lines)


def _show_dry_run(context: Context, run: dict[str, Any]) -> None:
    refusals = [e for plan in run["plan"] for e in plan["errors"]]

    def text() -> str:
        header = (f"dry run into {run['form_id']} ({run['encoding']}, '{run['separator']}'): nothing written\n"
                  + table(("column", "read as"), list(run["columns"].items())))
        counts = table(("would be", "rows"), [("new leads", run["new"]), ("attached", run["attached"]),
                                              ("unchanged", run["unchanged"]), ("refused", run["refused"])])
        return f"{header}\n\n{counts}"

    context.printer.answer(run, text)
    if refusals:
        raise Refused([Problem(field=f"row {r['row']}" + (f", {r['field']}" if r["field"] else ""), code=r["code"],
                               message=r["message"]) for r in refusals], shown=True)
