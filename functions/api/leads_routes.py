"""The leads: a manager's own, or every lead for admins (leadflow.shared.access). Lists
with opaque cursors (leadflow.reporting.listing), one lead with its submissions and
history, the moves of its lifecycle (leadflow.lifecycle), notes, and the CSV export.

Every action answers the same shape, `LeadChangeResult`: the lead as it is now (read
again after the change) and what was done (the status change, the note, the contact)."""

from __future__ import annotations

from datetime import date
from typing import Annotated
from urllib.parse import urlencode

import api_context
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query

from leadflow.lifecycle import service as lifecycle
from leadflow.lifecycle.requests import (
    Conversion,
    LeadChangeResult,
    NoteInput,
    Postponement,
    Rejection,
    StatusChange,
)
from leadflow.lifecycle.transitions import LeadNotFound, allowed_next
from leadflow.reporting.export import CSV_COLUMNS, leads_csv
from leadflow.reporting.listing import MAX_CURSOR_LENGTH, lead_query, list_leads
from leadflow.reporting.views import LeadDetail, LeadList, first_call_due, submission_view, summary_of
from leadflow.shared.access import Caller, check_lead_access
from leadflow.shared.http import INVALID_REQUEST, IsoDay, error_response
from leadflow.shared.models import Lead, LeadStatus, RejectionReason, Temperature

router = Router()

MAX_LIST_LIMIT = 100
MAX_EXPORT_LIMIT = 500
LEAD_ID = Path(description="the lead's id", pattern=r"^[A-Za-z0-9_-]{1,64}$",
               examples=["9f1c2b7e4d3a4b8c9e0f1a2b3c4d5e6f"])

# The errors each route may answer, by status and code (leadflow.shared.http.error_response
# puts them in the document, where the contract test holds the code to them).
NOT_YOURS = {403: error_response({"not_your_lead": "another manager's lead"}),
             404: error_response({"lead_not_found": None})}
REFUSED = {409: error_response({"transition_not_allowed": "with the lead's `status` and the `allowed` statuses",
                                "lead_changed": "another change got there first: read it again"})}
LIST_ERRORS = {400: error_response({"invalid_cursor": "a cursor of another list", "invalid_date_range": "`from` "
                                    "after `to`", INVALID_REQUEST: None}),
               403: error_response({"not_your_leads": "a manager asking for another's", "admins_only": "a manager "
                                    "asking for the unassigned leads", "no_manager": "a user linked to no manager"})}


# -- lists -------------------------------------------------------------------------------

LIST_DESCRIPTION = (
    "A manager sees their own queue; an admin every lead (newest first, month by month within `from`..`to`, "
    "by default the last 12 months), one manager's queue (`manager_id`), or the leads nobody could take "
    "(`manager_id=unassigned` or `status=unassigned`). A queue comes status by status (assigned, contacted, "
    "qualified, postponed, converted, rejected), newest first in each. Dates are UTC days, both included: for "
    "every lead, the day it was created; in a queue, the day it entered its status (a postponed lead: its "
    "follow-up day). A cursor works only with the query that made it (else 400 `invalid_cursor`).")


StatusParam = Annotated[LeadStatus | None, Query(description="only leads in this status")]
TemperatureParam = Annotated[Temperature | None, Query(description="only leads this hot (their current score)")]
FromParam = Annotated[IsoDay | None, Query(alias="from", description="from this UTC day (see above)")]
ToParam = Annotated[IsoDay | None, Query(alias="to", description="through this UTC day (see above)")]
ManagerParam = Annotated[str | None, Query(max_length=64, description="admins only: one manager's queue, or "
                                                                      "`unassigned`")]
CursorParam = Annotated[str | None, Query(max_length=MAX_CURSOR_LENGTH, description="`next_cursor` of the "
                                                                                    "previous page")]


@router.get("/leads", tags=["leads"], summary="List leads, newest first, a page at a time",
            description=LIST_DESCRIPTION,
            responses={200: {"description": "a page of lead summaries"}, **LIST_ERRORS})
def get_leads(status: StatusParam = None, temperature: TemperatureParam = None, date_from: FromParam = None,
              date_to: ToParam = None, manager_id: ManagerParam = None,
              limit: Annotated[int, Query(ge=1, le=MAX_LIST_LIMIT, description="leads read at most")] = 25,
              cursor: CursorParam = None) -> LeadList:
    query = lead_query(api_context.caller(router), manager_id=manager_id, status=status, temperature=temperature,
                       date_from=date_from, date_to=date_to)
    page = list_leads(api_context.listing, query, limit=limit, cursor=cursor)
    return LeadList(leads=[summary_of(lead, api_context.settings.sla()) for lead in page.leads],
                    next_cursor=page.next_cursor)


@router.get("/exports/leads", tags=["leads"], summary="Export leads as CSV, a page at a time",
            description=(
                "The same leads as `GET /leads` (same filters and cursors), as CSV (UTF-8, CRLF, a header row on "
                "the first page only, so pages appended in order make one file). The next page's cursor is in "
                "`X-Next-Cursor` and in `Link: <?...&cursor=...>; rel=\"next\"`; neither header on the last page. "
                "Cells a spreadsheet would run as a formula (starting with = + - @, a tab or a carriage "
                "return) start with an apostrophe. Holds the leads' emails and phone numbers: handle with care."),
            responses={200: {"description": "CSV: " + ", ".join(CSV_COLUMNS),
                "content": {"text/csv": {"schema": {"type": "string"}}},
                "headers": {"X-Next-Cursor": {"description": "the next page's cursor", "schema": {"type": "string"}},
                            "Link": {"description": "the next page, rel=\"next\"", "schema": {"type": "string"}}}},
                **LIST_ERRORS})
def export_leads(status: StatusParam = None, temperature: TemperatureParam = None, date_from: FromParam = None,
                 date_to: ToParam = None, manager_id: ManagerParam = None,
                 limit: Annotated[int, Query(ge=1, le=MAX_EXPORT_LIMIT, description="leads read at most")] = 200,
                 cursor: CursorParam = None) -> Response[str]:
    query = lead_query(api_context.caller(router), manager_id=manager_id, status=status, temperature=temperature,
                       date_from=date_from, date_to=date_to)
    page = list_leads(api_context.listing, query, limit=limit, cursor=cursor)
    headers = {"Content-Disposition": 'attachment; filename="leads.csv"', "Cache-Control": "no-store"}
    if page.next_cursor:
        params = {k: v for k, v in (router.current_event.query_string_parameters or {}).items() if k != "cursor"}
        # A reference with only a query: the same address (whatever the stage or domain) with these parameters.
        headers["Link"] = f'<?{urlencode({**params, "cursor": page.next_cursor})}>; rel="next"'
        headers["X-Next-Cursor"] = page.next_cursor
    return Response(status_code=200, content_type="text/csv; charset=utf-8",
                    body=leads_csv(page.leads, header=cursor is None), headers=headers)


# -- one lead ----------------------------------------------------------------------------

@router.get("/leads/<lead_id>", tags=["leads"], summary="One lead with its submissions and history",
            responses={200: {"description": "the lead, its submissions and its history, newest first"},
                       400: error_response({INVALID_REQUEST: None}), **NOT_YOURS})
def get_lead(lead_id: Annotated[str, LEAD_ID]) -> LeadDetail:
    who = api_context.caller(router)
    found = api_context.listing.get_lead_file(lead_id)
    if found is None:
        raise LeadNotFound(lead_id)
    check_lead_access(who, found.lead)
    return LeadDetail(lead=found.lead, submissions=[submission_view(s) for s in found.submissions],
                      history=found.activities, complete=found.complete,
                      next_statuses=list(allowed_next(found.lead.status)),
                      first_call_due_at=first_call_due(found.lead, api_context.settings.sla()))


def _own_lead(lead_id: str) -> Caller:
    """The caller, once they may act on this lead (404 / 403 otherwise)."""
    who = api_context.caller(router)
    lead = api_context.leads.get_lead(lead_id)
    if lead is None:
        raise LeadNotFound(lead_id)
    check_lead_access(who, lead)
    return who


def _now(lead_id: str) -> Lead:
    lead = api_context.leads.get_lead(lead_id)
    if lead is None:  # erased between the change and this read
        raise LeadNotFound(lead_id)
    return lead


def _change(lead_id: str, status: LeadStatus, *, reason: RejectionReason | None = None, note: str | None = None,
            follow_up_on: date | None = None, farewell: bool = False) -> LeadChangeResult:
    who = _own_lead(lead_id)
    event = lifecycle.change_status(
        api_context.leads, api_context.publisher, lead_id, status, by=who.actor,
        reason=reason.value if reason else None, note=note, follow_up_on=follow_up_on, farewell=farewell,
        reminders=api_context.reminders)
    lead = _now(lead_id)
    return LeadChangeResult(lead=lead, change=event, contact_id=lead.contact_id if status == LeadStatus.CONVERTED
                            else None)


BAD_MOVE = {"reason_required": "`rejected` without a `reason`", "reason_not_expected": None,
            "follow_up_required": "`postponed` without a `follow_up_on`", "follow_up_not_in_future": None,
            "follow_up_not_expected": None, "manager_required": "back to `assigned` with no manager",
            INVALID_REQUEST: None}
TRANSITIONS = "; ".join(f"{s.value} → {', '.join(t.value for t in allowed_next(s)) or 'nothing (final)'}"
                        for s in LeadStatus)


@router.post("/leads/<lead_id>/status", tags=["lifecycle"], summary="Move a lead to another status",
             description=f"Allowed moves: {TRANSITIONS}. Anything else: 409 naming the allowed ones. `rejected` "
                         "needs a `reason`, `postponed` a `follow_up_on`; `converted` creates the contact.",
             responses={200: {"description": "the lead now, and the change"}, 400: error_response(BAD_MOVE),
                        **NOT_YOURS, **REFUSED})
def change_status(lead_id: Annotated[str, LEAD_ID], change: StatusChange) -> LeadChangeResult:
    return _change(lead_id, change.status, reason=change.reason, note=change.note,
                   follow_up_on=change.follow_up_on)


@router.post("/leads/<lead_id>/reject", tags=["lifecycle"], summary="Reject a lead, with a reason",
             description="A reason from the list, any free text in `note`, and, with `farewell`, a goodbye email "
                         "to the person carrying a short questionnaire link.",
             responses={200: {"description": "the lead now, and the change"},
                        400: error_response({"farewell_needs_email": "a lead with no email address",
                                             INVALID_REQUEST: None}), **NOT_YOURS, **REFUSED})
def reject(lead_id: Annotated[str, LEAD_ID], rejection: Rejection) -> LeadChangeResult:
    return _change(lead_id, LeadStatus.REJECTED, reason=rejection.reason, note=rejection.note,
                   farewell=rejection.farewell)


@router.post("/leads/<lead_id>/postpone", tags=["lifecycle"], summary="Put a lead off to a day",
             description="On that day the lead goes back to its manager, who is reminded.",
             responses={200: {"description": "the lead now, and the change"},
                        400: error_response({"follow_up_not_in_future": None, INVALID_REQUEST: None}),
                        **NOT_YOURS, **REFUSED})
def postpone(lead_id: Annotated[str, LEAD_ID], postponement: Postponement) -> LeadChangeResult:
    return _change(lead_id, LeadStatus.POSTPONED, note=postponement.note, follow_up_on=postponement.follow_up_on)


@router.post("/leads/<lead_id>/convert", tags=["lifecycle"], status_code=201,
             summary="Convert a qualified lead into a contact",
             description="Creates a contact linked to the lead; the lead keeps its submissions and history.",
             responses={201: {"description": "the lead now (converted) and the new contact's id"},
                        400: error_response({INVALID_REQUEST: None}), **NOT_YOURS, **REFUSED})
def convert(lead_id: Annotated[str, LEAD_ID],
            conversion: Annotated[Conversion | None, Body()] = None) -> Response[LeadChangeResult]:
    who = _own_lead(lead_id)
    contact = lifecycle.convert(api_context.leads, api_context.publisher, lead_id, who.actor,
                                note=conversion.note if conversion else None)
    result = LeadChangeResult(lead=_now(lead_id), contact_id=contact.contact_id)
    return Response(status_code=201, content_type="application/json", body=result)


@router.post("/leads/<lead_id>/notes", tags=["lifecycle"], status_code=201, summary="Add a note to a lead's history",
             responses={201: {"description": "the lead and the note"},
                        400: error_response({"note_empty": "only spaces", INVALID_REQUEST: None}), **NOT_YOURS})
def add_note(lead_id: Annotated[str, LEAD_ID], note: NoteInput) -> Response[LeadChangeResult]:
    who = _own_lead(lead_id)
    activity = lifecycle.add_note(api_context.leads, lead_id, note.text, who.actor)
    result = LeadChangeResult(lead=_now(lead_id), note=activity)
    return Response(status_code=201, content_type="application/json", body=result)
