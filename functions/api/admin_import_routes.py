"""The admin API's CSV imports (admins only): a dry run that says what each row would do,
the import itself (checked at once, stored by ImportFunction chunk by chunk), its
progress and result, and resuming a stalled one. The `leadflow import` command calls
the same service (leadflow.capture.importing.service)."""

from __future__ import annotations

from typing import Annotated

import api_context
from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path

from leadflow.capture.importing.service import IMPORT_ID_PATTERN, DryRun, ImportJob, ImportRequest, SqsChunkQueue
from leadflow.shared import aws
from leadflow.shared.access import require_admin
from leadflow.shared.http import INVALID_REQUEST, error_response

router = Router()
logger = Logger(child=True)

IMPORT_ID = Path(description="the import's id (`import_id` in the answer to `POST /admin/imports`)",
                 pattern=IMPORT_ID_PATTERN, examples=["3f2a9c1d4b5e6f708192a3b4c5d6e7f8"])
ADMINS_ONLY = {403: error_response({"admins_only": "anyone but an admin"})}
BAD_PATH = {400: error_response({INVALID_REQUEST: None})}
NO_IMPORT = {404: error_response({"import_not_found": None})}
FILE_ERRORS = ("`not_base64`, `not_text`, `file_too_large`, `too_many_rows`, `too_many_columns`, `malformed_csv`, "
               "`no_usable_header`, `no_rows`, `unknown_field` / `unknown_column` (the mapping), `form_disabled`")
BAD_FILE = {400: error_response({"invalid_import": f"each problem in `errors`: {FILE_ERRORS}", INVALID_REQUEST: None}),
            404: error_response({"form_not_found": None})}


def _admin() -> str:
    caller = api_context.caller(router)
    require_admin(caller)
    return caller.actor


def _queue() -> SqsChunkQueue:
    return SqsChunkQueue(api_context.settings.import_queue_url, aws.client("sqs"))


@router.post("/admin/imports/dry-run", tags=["admin"], summary="What importing a CSV file would do, row by row",
             description="The file is read and each row checked as capture checks a post to the form, and looked "
                         "up: `new` (a new lead), `attached` (to the person's existing lead), `unchanged` (imported "
                         "before: nothing stored) or `refused` (each problem with the row number, the field and a "
                         "code). Nothing is written.",
             responses={200: {"description": "each row's outcome"}, **BAD_FILE, **ADMINS_ONLY})
def dry_run_import(request: ImportRequest) -> DryRun:
    _admin()
    return api_context.importer.dry_run(request)


@router.post("/admin/imports", tags=["admin"], status_code=202, summary="Import leads from a CSV file",
             description="The file is read and checked at once: a file that cannot be imported, or without a single "
                         "good row, is refused whole (nothing written). Otherwise its good rows are queued and stored "
                         "in the background through the capture path (dedupe, scoring, assignment), each row once: "
                         "importing the same file again creates nothing. Each manager gets one email listing their "
                         "new leads when the import is done; no email per lead. Follow it with "
                         "`GET /admin/imports/{import_id}`.",
             responses={202: {"description": "the import, started: its refused rows (the first 1,000) in `refusals`"},
                        **BAD_FILE, **ADMINS_ONLY})
def start_import(request: ImportRequest) -> Response[ImportJob]:
    by = _admin()
    job, refusals = api_context.importer.start_import(request, _queue(), by)
    logger.info("import started", extra={"import_id": job.import_id, "form_id": job.form_id, "rows": job.rows,
                                         "refused": len(refusals)})
    return Response(status_code=202, content_type="application/json", body=job)


@router.get("/admin/imports/<import_id>", tags=["admin"], summary="An import's progress and result",
            description="`status`: `storing` (rows being stored), `routing` (every row stored, leads being scored "
                        "and assigned), `completed` (the managers' summaries sent); counts of new, attached, "
                        "unchanged and refused rows, assigned and unassigned leads.",
            responses={200: {"description": "the import"}, **BAD_PATH, **NO_IMPORT, **ADMINS_ONLY})
def get_import(import_id: Annotated[str, IMPORT_ID]) -> ImportJob:
    _admin()
    return api_context.importer.status(import_id)


@router.post("/admin/imports/<import_id>/resume", tags=["admin"], summary="Resume a stalled import",
             description="Queues again the chunks of rows not stored yet (after they failed into the import's "
                         "dead-letter queue); with every row stored, has the summaries of what was assigned sent "
                         "and the import completed. Safe to repeat: nothing is stored or sent twice.",
             responses={200: {"description": "the import"}, **BAD_PATH, **NO_IMPORT, **ADMINS_ONLY})
def resume_import(import_id: Annotated[str, IMPORT_ID]) -> ImportJob:
    _admin()
    job = api_context.importer.resume(import_id, _queue())
    logger.info("import resumed", extra={"import_id": import_id, "status": job.status})
    return job
