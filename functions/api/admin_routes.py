"""The admin API (the `admins` group only; anyone else is 403 `admins_only`): forms with
their embed snippets (leadflow.capture.form_admin), managers with their load
(leadflow.routing.manager_admin), and logins (leadflow.logins). The `leadflow` command
calls the same services; refusals (leadflow.shared.refusal) become 4xx in app.py."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import api_context
from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path

from leadflow.capture import form_admin
from leadflow.capture.form_admin import AdminForm, FormChanges, FormList, NewForm
from leadflow.logins import service as logins
from leadflow.logins.service import AdminRights, Invitation, Login, LoginList
from leadflow.routing import manager_admin
from leadflow.routing.manager_admin import ManagerChanges, ManagerList, ManagerLoad, NewManager
from leadflow.shared.access import require_admin
from leadflow.shared.clock import utc_now
from leadflow.shared.http import INVALID_REQUEST, error_response

router = Router()
logger = Logger(child=True)

FORM_ID = Path(description="the form's id", pattern=form_admin.FORM_ID_PATTERN, examples=["demo"])
MANAGER_ID = Path(description="the manager's id", pattern=manager_admin.MANAGER_ID_PATTERN, examples=["m-olivia"])
USER_ID = Path(description="the user's id (`user_id` in `GET /admin/users`), never their email: paths end up in "
                           "logs", pattern=logins.USER_ID_PATTERN, examples=["7f3e2a1c-5b6d-4e8f-9a0b-1c2d3e4f5a6b"])

# The errors each route may answer (leadflow.shared.http.error_response puts them in the document).
ADMINS_ONLY = {403: error_response({"admins_only": "anyone but an admin"})}
BAD_PATH = {400: error_response({INVALID_REQUEST: None})}
NO_FORM = {404: error_response({"form_not_found": None})}
NO_MANAGER = {404: error_response({"manager_not_found": None})}
BAD_FORM = {400: error_response({"invalid_form": "each field at fault in `errors`: pydantic's type, or "
                                 "`name_required`, `invalid_url`, `invalid_origin`, `honeypot_is_a_field`, "
                                 "`invalid_field_name`, `consent_text_required`", INVALID_REQUEST: None})}
BAD_MANAGER = {400: error_response({"invalid_manager": "each field at fault in `errors`: `name_required`, "
                                    "`invalid_email`, or pydantic's type", INVALID_REQUEST: None})}
FORM_ANSWER = "the form, with its embed snippets for the deployed API"
MANAGER_ANSWER = "the manager, with their load"


def _admin() -> None:
    require_admin(api_context.caller(router))


def _today() -> date:
    """Today (UTC): whether a manager is on leave."""
    return utc_now().date()


def _created(body: object) -> Response:
    return Response(status_code=201, content_type="application/json", body=body)


# -- forms -------------------------------------------------------------------------------

@router.get("/admin/forms", tags=["admin"], summary="Every form, with its embed snippets",
            description="Forms by id. A form stored before this API existed shows here once it has been changed "
                        "once (an empty `PATCH` will do); capture and `GET /admin/forms/{form_id}` reach it anyway.",
            responses={200: {"description": "the forms"}, **ADMINS_ONLY})
def list_forms() -> FormList:
    _admin()
    return form_admin.list_forms(api_context.forms, api_context.public_api_url(router))


@router.post("/admin/forms", tags=["admin"], status_code=201, summary="Create a form",
             description="Settings left out take their defaults (README, \"Per-form configuration\").",
             responses={201: {"description": FORM_ANSWER}, **BAD_FORM, **ADMINS_ONLY,
                        409: error_response({"form_exists": "the id is taken"})})
def create_form(new: NewForm) -> Response[AdminForm]:
    _admin()
    form = form_admin.create_form(api_context.forms, new, api_context.public_api_url(router))
    logger.info("form created", extra={"form_id": form.form_id})
    return _created(form)


@router.get("/admin/forms/<form_id>", tags=["admin"], summary="One form, with its embed snippets",
            responses={200: {"description": FORM_ANSWER}, **BAD_PATH, **NO_FORM, **ADMINS_ONLY})
def get_form(form_id: Annotated[str, FORM_ID]) -> AdminForm:
    _admin()
    return form_admin.get_form(api_context.forms, form_id, api_context.public_api_url(router))


@router.patch("/admin/forms/<form_id>", tags=["admin"], summary="Change some of a form's settings",
              description="Only the settings sent change; null clears an optional one. The form they make must be "
                          "valid as a whole. Capture sees the change within a minute.",
              responses={200: {"description": FORM_ANSWER}, **BAD_FORM, **NO_FORM, **ADMINS_ONLY})
def update_form(form_id: Annotated[str, FORM_ID], changes: FormChanges) -> AdminForm:
    _admin()
    form = form_admin.update_form(api_context.forms, form_id, changes, api_context.public_api_url(router))
    logger.info("form changed", extra={"form_id": form_id, "settings": sorted(changes.model_fields_set)})
    return form


@router.post("/admin/forms/<form_id>/disable", tags=["admin"], summary="Switch a form off",
             description="Its posts are answered 410 `form_disabled` (within a minute); nothing is deleted.",
             responses={200: {"description": FORM_ANSWER}, **BAD_PATH, **NO_FORM, **ADMINS_ONLY})
def disable_form(form_id: Annotated[str, FORM_ID]) -> AdminForm:
    return _switch(form_id, enabled=False)


@router.post("/admin/forms/<form_id>/enable", tags=["admin"], summary="Switch a form back on",
             responses={200: {"description": FORM_ANSWER}, **BAD_PATH, **NO_FORM, **ADMINS_ONLY})
def enable_form(form_id: Annotated[str, FORM_ID]) -> AdminForm:
    return _switch(form_id, enabled=True)


def _switch(form_id: str, *, enabled: bool) -> AdminForm:
    _admin()
    form = form_admin.set_form_enabled(api_context.forms, form_id, enabled, api_context.public_api_url(router))
    logger.info("form switched", extra={"form_id": form_id, "enabled": enabled})
    return form


# -- managers ----------------------------------------------------------------------------

@router.get("/admin/managers", tags=["admin"], summary="Every manager, with their load",
            description="Open leads, capacity, last assignment, active, on leave, and `email_status` "
                        "(`suppressed`: SES will not deliver to their address).",
            responses={200: {"description": "the managers, by id"}, **ADMINS_ONLY})
def list_managers() -> ManagerList:
    _admin()
    return manager_admin.list_managers(api_context.roster, _today())


@router.post("/admin/managers", tags=["admin"], status_code=201, summary="Add a manager",
             responses={201: {"description": MANAGER_ANSWER}, **BAD_MANAGER, **ADMINS_ONLY,
                        409: error_response({"manager_exists": "the id is taken"})})
def create_manager(new: NewManager) -> Response[ManagerLoad]:
    _admin()
    manager = manager_admin.create_manager(api_context.roster, new, _today())
    logger.info("manager created", extra={"manager_id": manager.manager_id})
    return _created(manager)


@router.get("/admin/managers/<manager_id>", tags=["admin"], summary="One manager, with their load",
            responses={200: {"description": MANAGER_ANSWER}, **BAD_PATH, **NO_MANAGER, **ADMINS_ONLY})
def get_manager(manager_id: Annotated[str, MANAGER_ID]) -> ManagerLoad:
    _admin()
    return manager_admin.get_manager(api_context.roster, manager_id, _today())


@router.patch("/admin/managers/<manager_id>", tags=["admin"], summary="Change some of a manager's settings",
              description="Only what is sent changes (their load is never written: assignments keep it); "
                          "`on_leave_until: null` ends a leave. A new `email` clears `email_status`, which was "
                          "about the old address.",
              responses={200: {"description": MANAGER_ANSWER}, **BAD_MANAGER, **NO_MANAGER, **ADMINS_ONLY})
def update_manager(manager_id: Annotated[str, MANAGER_ID], changes: ManagerChanges) -> ManagerLoad:
    _admin()
    manager = manager_admin.update_manager(api_context.roster, manager_id, changes, _today())
    logger.info("manager changed", extra={"manager_id": manager_id, "settings": sorted(changes.model_fields_set)})
    return manager


# -- logins ------------------------------------------------------------------------------

@router.get("/admin/users", tags=["admin"], summary="Everyone who may sign in",
            responses={200: {"description": "the users, by email"}, **ADMINS_ONLY})
def list_users() -> LoginList:
    _admin()
    return logins.list_logins(api_context.logins)


@router.post("/admin/users", tags=["admin"], status_code=201, summary="Invite a person",
             description="Creates their login in the stack's user pool; Cognito emails them a temporary password. "
                         "`manager_id` binds them to a manager (whose leads they see); `admin` puts them in the "
                         "admins group. Someone with a login already is 409 `user_exists`, not invited again.",
             responses={201: {"description": "the new login"}, **ADMINS_ONLY,
                        400: error_response({"invalid_invitation": "`invalid_email` or `unknown_manager` in "
                                             "`errors`", INVALID_REQUEST: None}),
                        409: error_response({"user_exists": "this email has a login"})})
def invite_user(invitation: Invitation) -> Response[Login]:
    _admin()
    login = logins.invite(api_context.logins, api_context.roster, invitation)
    # Ids only: the person's email never reaches the logs.
    logger.info("user invited", extra={"user_id": login.user_id, "manager_id": login.manager_id,
                                       "admin": login.admin})
    return _created(login)


@router.put("/admin/users/<user_id>/admin", tags=["admin"], summary="Make a user an admin",
            description="From their next sign-in (tokens carry the groups they had when issued).",
            responses={200: {"description": "done (also when they were one already)"}, **BAD_PATH, **ADMINS_ONLY,
                       404: error_response({"user_not_found": None})})
def grant_admin(user_id: Annotated[str, USER_ID]) -> AdminRights:
    return _admin_rights(user_id, admin=True)


@router.delete("/admin/users/<user_id>/admin", tags=["admin"], summary="Take a user's admin rights away",
               description="From their next sign-in; their tokens issued before keep them for up to an hour.",
               responses={200: {"description": "done (also when they were not one)"}, **BAD_PATH, **ADMINS_ONLY,
                          404: error_response({"user_not_found": None})})
def revoke_admin(user_id: Annotated[str, USER_ID]) -> AdminRights:
    return _admin_rights(user_id, admin=False)


def _admin_rights(user_id: str, *, admin: bool) -> AdminRights:
    _admin()
    rights = logins.set_admin(api_context.logins, user_id, admin)
    logger.info("admin rights changed", extra={"user_id": user_id, "admin": admin})
    return rights
