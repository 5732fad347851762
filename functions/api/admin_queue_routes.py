"""The unassigned queue (list it, hand a lead to a manager, run assignment again),
offboarding a manager (admins only: anyone else is 403 `admins_only`), and leads entered
by hand (`POST /leads`: managers for themselves, admins for anyone). The rules are in
leadflow.routing.handover and leadflow.capture.manual; the `leadflow` command calls the
same functions; refusals (leadflow.shared.refusal) become 4xx in app.py."""

from __future__ import annotations

from typing import Annotated

import api_context
from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from pydantic import BaseModel, ConfigDict, Field

from leadflow.capture import manual
from leadflow.capture.manual import EnteredLead, ManualLead
from leadflow.reporting.listing import MAX_CURSOR_LENGTH
from leadflow.reporting.views import LeadList, summary_of
from leadflow.routing import handover
from leadflow.routing.handover import HandOut, Offboarding, QueueRun
from leadflow.routing.manager_admin import MANAGER_ID_PATTERN
from leadflow.routing.queue_store import QueueStore
from leadflow.routing.rule_sets import RuleSetSource
from leadflow.routing.store import RoutingStore
from leadflow.shared.access import require_admin
from leadflow.shared.http import INVALID_REQUEST, error_response

router = Router()
logger = Logger(child=True)

queue = QueueStore(api_context.table)
# The assignment policy of each lead's profile: the deployment's override, else the shipped one.
rule_sets = RuleSetSource(RoutingStore(api_context.table).get_rule_set_json, ttl_seconds=60)

LEAD_ID = Path(description="the lead's id", pattern=r"^[A-Za-z0-9_-]{1,64}$",
               examples=["9f1c2b7e4d3a4b8c9e0f1a2b3c4d5e6f"])
MANAGER_ID = Path(description="the manager's id", pattern=MANAGER_ID_PATTERN, examples=["m-olivia"])
Limit = Annotated[int, Query(ge=1, le=handover.MAX_BATCH, description="leads looked at, at most, in this call")]
Cursor = Annotated[str | None, Query(max_length=MAX_CURSOR_LENGTH, description="`next_cursor` of the previous "
                                                                                "call: go on from there")]

ADMINS_ONLY = {403: error_response({"admins_only": "anyone but an admin"})}
BAD_CURSOR = {400: error_response({"invalid_cursor": "a cursor of another run", INVALID_REQUEST: None})}
NO_MANAGER = {404: error_response({"manager_not_found": None})}
CANNOT_TAKE = {"manager_unavailable": "inactive or on leave", "manager_full": "no room (an admin may `force`)"}


class HandOutRequest(BaseModel):
    """Who gets the lead; `force`: even when they are full (kept in the lead's history)."""

    model_config = ConfigDict(extra="forbid", strict=True, json_schema_extra={"examples": [
        {"manager_id": "m-olivia"}, {"manager_id": "m-sam", "force": True}]})

    manager_id: str = Field(pattern=MANAGER_ID_PATTERN, description="the manager to give it to")
    force: bool = Field(default=False, description="past their capacity (never to someone inactive or away)")


def _admin() -> str:
    """The admin calling (`by` in history entries); 403 for anyone else."""
    caller = api_context.caller(router)
    require_admin(caller)
    return caller.actor


# -- the unassigned queue ------------------------------------------------------------------

@router.get("/admin/unassigned", tags=["admin"], summary="The leads nobody could take",
            description="Newest first, a page at a time (as `GET /leads?manager_id=unassigned`).",
            responses={200: {"description": "a page of lead summaries"}, **ADMINS_ONLY,
                       400: error_response({"invalid_cursor": "a cursor of another list", INVALID_REQUEST: None})})
def list_unassigned(limit: Annotated[int, Query(ge=1, le=100, description="leads read at most")] = 25,
                    cursor: Cursor = None) -> LeadList:
    _admin()
    page = handover.list_unassigned(api_context.listing, limit=limit, cursor=cursor)
    return LeadList(leads=[summary_of(lead) for lead in page.leads], next_cursor=page.next_cursor)


@router.post("/admin/unassigned/<lead_id>/assign", tags=["admin"], summary="Give a lead of the queue to a manager",
             description="The manager must be active and not on leave, and have room unless `force` (the lead's "
                         "history then says it was forced, and by whom). They are emailed (`Lead Assigned`).",
             responses={200: {"description": "the lead's new manager, and their load"}, **ADMINS_ONLY,
                        400: error_response({INVALID_REQUEST: None}),
                        404: error_response({"lead_not_found": None, "manager_not_found": None}),
                        409: error_response({"lead_not_unassigned": "not in the queue (any more)", **CANNOT_TAKE,
                                             "lead_changed": "it kept changing: try again"})})
def assign_from_queue(lead_id: Annotated[str, LEAD_ID], request: HandOutRequest) -> HandOut:
    by = _admin()
    return handover.hand_out(queue, api_context.publisher, lead_id, request.manager_id, by=by, force=request.force)


@router.post("/admin/unassigned/rerun", tags=["admin"], summary="Run assignment again for the queue",
             description="Oldest first, through the normal rules (after adding a manager, say): each lead a manager "
                         "can take is assigned and they are emailed; the others stay, each with why. At most `limit` "
                         "leads and a few seconds a call: follow `next_cursor` until it is null.",
             responses={200: {"description": "what became of each lead looked at"}, **ADMINS_ONLY, **BAD_CURSOR})
def rerun_queue(limit: Limit = handover.DEFAULT_BATCH, cursor: Cursor = None) -> QueueRun:
    by = _admin()
    run = handover.rerun_queue(queue, api_context.publisher, rule_sets, by=by, limit=limit, cursor=cursor)
    logger.info("queue rerun", extra={"checked": run.checked, "assigned": run.assigned, "left": run.left,
                                      "more": run.next_cursor is not None})
    return run


# -- a manager who leaves ------------------------------------------------------------------

@router.post("/admin/managers/<manager_id>/offboard", tags=["admin"], summary="Offboard a manager",
             description="They become inactive (no new leads), and each of their open leads (assigned, contacted, "
                         "qualified, postponed) goes to another eligible manager through the normal rules, keeping "
                         "its status; the new manager is emailed. A lead nobody can take goes to the unassigned queue "
                         "(the admins are alerted). Closed leads stay theirs. At most `limit` leads and a few seconds "
                         "a call: follow `next_cursor` until it is null; calling again later finishes anything left.",
             responses={200: {"description": "what became of each lead looked at"}, **ADMINS_ONLY, **BAD_CURSOR,
                        **NO_MANAGER})
def offboard(manager_id: Annotated[str, MANAGER_ID], limit: Limit = handover.DEFAULT_BATCH,
             cursor: Cursor = None) -> Offboarding:
    by = _admin()
    done = handover.offboard_manager(queue, api_context.publisher, rule_sets, manager_id, by=by, limit=limit,
                                     cursor=cursor)
    logger.info("manager offboarded", extra={"manager_id": manager_id, "reassigned": done.reassigned,
                                             "queued": done.queued, "more": done.next_cursor is not None})
    return done


# -- leads entered by hand ------------------------------------------------------------------

@router.post("/leads", tags=["leads"], status_code=201, summary="Enter a lead by hand",
             description="A lead that did not come from a form (channel `outbound`, form `manual`): validated and "
                         "deduplicated as a form post is, then scored and assigned like every lead within seconds. A "
                         "manager enters leads for themselves (they get it, whatever their load); an admin names any "
                         "manager with room (or `force`s it), or leaves it to the rules.",
             responses={201: {"description": "stored; scoring and assignment follow"},
                        400: error_response({"invalid_lead": "each field at fault in `errors`: `name_required`, "
                                             "`contact_required`, `invalid_email`, `invalid_phone`",
                                             INVALID_REQUEST: None}),
                        403: error_response({"own_leads_only": "a manager naming another", "admins_only": "a "
                                             "manager forcing", "no_manager": "a user linked to no manager"}),
                        **NO_MANAGER, 409: error_response(CANNOT_TAKE)})
def enter_lead(entry: ManualLead) -> Response[EnteredLead]:
    caller = api_context.caller(router)
    entered = manual.enter_lead(api_context.forms, api_context.roster, entry, caller)
    # Ids only: the person's name, email and phone never reach the logs.
    logger.info("lead entered by hand", extra={"lead_id": entered.lead_id, "submission_id": entered.submission_id,
                                               "assign_to": entered.assign_to, "is_new_lead": entered.is_new_lead})
    return Response(status_code=201, content_type="application/json", body=entered)
